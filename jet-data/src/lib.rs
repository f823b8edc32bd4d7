//! `jet-data` owns the project's LHC jet data: the 16 high-level features and 5 classes of the
//! jet-tagging study, their readers — the hls4ml tutorial `.npy` layout (optionally
//! gzip-compressed), OpenML 42468 as CSV or ARFF, and the Zenodo HDF5 files (feature `hdf5`) —
//! with the format detected from the path ([`load`]) and a seeded split, the standard scaler fitted on training data, the shipped sample of simulated jets
//! that is the built-in data of every test, example and of `jet-tagging reproduce`, and the
//! driver of the project's Pythia8 + FastJet simulator (a pinned Python package under
//! `simulator/`).
//!
//! ```
//! let sample = jet_data::JetSample::builtin()?;
//! assert_eq!(sample.x_train.ncols(), jet_data::FEATURES.len());
//! let scaler = jet_data::Standardiser::fit(&sample.x_train);
//! let x = scaler.apply(&sample.x_test)?;
//! assert_eq!(x.nrows(), sample.labels_test().len());
//! # Ok::<(), jet_data::Error>(())
//! ```
#![deny(missing_docs)]

mod error;
pub mod hdf5;
mod sample;
mod scaler;
pub mod simulate;
mod table;
pub mod text;

pub use error::{Error, Result};
pub use sample::{CLASSES, FEATURES, JetSample, NPY_STEMS};
pub use scaler::Standardiser;
pub use table::{Format, JetTable, load, load_table};
