//! Fuzz target: the `.npy` sample folder of `jet-data` (`JetSample::from_readers`, the reader
//! behind `JetSample::load`). The input holds the four files of the layout
//! ([`jet_common::split_folder`]). A sample that loads has its labels decoded. Errors are fine; a
//! panic, an abort or an allocation far beyond the input's size is a bug.
#![no_main]

use std::path::Path;

use jet_data::JetSample;
use libfuzzer_sys::fuzz_target;

#[path = "jet_common.rs"]
mod jet_common;

fuzz_target!(|data: &[u8]| {
    if let Ok(sample) = JetSample::from_readers(Path::new("fuzz"), jet_common::split_folder(data)) {
        let _ = (sample.labels_train(), sample.labels_test());
    }
});
