//! `jet-tagging-example`: the LHC jet-tagging study of "End-to-end codesign of Hessian-aware
//! quantized neural networks for FPGAs and ASICs" (Campos et al.) as one library and one binary,
//! `jet-tagging`, composed from the workspace's crates.
//!
//! It owns the study, not the techniques: the jets come from `jet-data` ([`jets`]), training,
//! Hessian traces, the integer engine and the QONNX export from `hawq-core`, the bit allocation
//! from `hawq-ilp`, the cost analysis from `qonnx-ir` and the firmware from `hls-backend`. What
//! is here:
//! - [`config`]: the study's settings (the paper's grid, or a quick one);
//! - [`store`]: each step's result stored under a key of its inputs, so reruns resume;
//! - [`study`]: the steps in order (homogeneous trainings, Hessian, ILP sweep, fine-tuning, QONNX
//!   check, firmware), shards and their merge;
//! - [`results`], [`report`] and [`plots`]: `results.json`, `report.md` and the figures.
//!
//! ```no_run
//! use jet_tagging_example::config::StudyConfig;
//! use jet_tagging_example::models::Device;
//! use jet_tagging_example::study::{Options, Stage, Study};
//!
//! let opts = Options {
//!     out: "study-quick".into(), data: None, config: StudyConfig::quick(), device: Device::Cpu,
//!     threads: 2, shard: None, python: None, ap_types: None,
//! };
//! let results = Study::open(opts, &mut |_| {})?.run(Stage::Report)?.expect("the report stage");
//! println!("{}", jet_tagging_example::report::markdown(&results));
//! # Ok::<(), jet_tagging_example::error::Error>(())
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod error;
mod finish;
pub mod firmware;
pub mod jets;
pub mod models;
pub mod plots;
pub mod report;
pub mod results;
pub mod store;
pub mod study;
pub mod tools;

pub use error::{Error, Result};
pub use finish::{pick_hessian, write_report};
