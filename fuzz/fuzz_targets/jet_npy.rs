//! Fuzz target: the `.npy` sample folder of `jet-data` (`JetSample::from_readers`, the reader
//! behind `JetSample::load`). The input holds the four files of the layout (`X_train_val`,
//! `y_train_val`, `X_test`, `y_test`): three little-endian `u32` lengths, then the first three
//! files with those lengths (cut at the end of the input), then the fourth file as the rest. A
//! sample that loads has its labels decoded. Errors are fine; a panic, an abort or an allocation
//! far beyond the input's size is a bug.
#![no_main]

use std::path::Path;

use jet_data::JetSample;
use libfuzzer_sys::fuzz_target;

/// The four files an input holds.
fn split(data: &[u8]) -> [&[u8]; 4] {
    let (mut lens, mut rest) = ([0usize; 3], data);
    for l in &mut lens {
        let Some((head, tail)) = rest.split_first_chunk::<4>() else { break };
        *l = u32::from_le_bytes(*head) as usize;
        rest = tail;
    }
    let mut files = [&[][..]; 4];
    for (k, l) in lens.iter().enumerate() {
        let (file, tail) = rest.split_at((*l).min(rest.len()));
        files[k] = file;
        rest = tail;
    }
    files[3] = rest;
    files
}

fuzz_target!(|data: &[u8]| {
    if let Ok(sample) = JetSample::from_readers(Path::new("fuzz"), split(data)) {
        let _ = (sample.labels_train(), sample.labels_test());
    }
});
