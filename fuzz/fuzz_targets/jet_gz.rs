//! Fuzz target: gzip-compressed jet files, through the path-based readers that look through a
//! trailing `.gz` (`read_csv`, `read_arff`, `JetSample::load`). Byte 0 picks the reader (its low
//! 7 bits `% 3`: CSV, ARFF, an `.npy.gz` sample folder whose four files are laid out as in
//! `jet_npy`) and, by its bit 7, whether the rest is gzip-compressed here first (a valid stream
//! whose content is fuzzed) or written as it is (corrupt, truncated, concatenated or bomb-like
//! streams). The files go to one folder per process, rewritten every run. Errors are fine; a
//! panic, an abort or an allocation far beyond what the stream decompresses to is a bug.
#![no_main]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use flate2::Compression;
use flate2::write::GzEncoder;
use jet_data::{JetSample, NPY_STEMS, text};
use libfuzzer_sys::fuzz_target;

#[path = "jet_common.rs"]
mod jet_common;

/// This process's folder.
fn folder() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let d = std::env::temp_dir().join(format!("jet-gz-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&d).expect("creating the fuzz folder");
        d
    })
}

/// `bytes` compressed, or as they are.
fn stream(bytes: &[u8], compress: bool) -> Vec<u8> {
    if !compress {
        return bytes.to_vec();
    }
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(bytes).expect("compressing in memory");
    gz.finish().expect("compressing in memory")
}

/// Writes `bytes` to `name` in the folder.
fn put(name: &str, bytes: &[u8]) -> PathBuf {
    let p = folder().join(name);
    std::fs::write(&p, bytes).expect("writing the fuzz file");
    p
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else { return };
    let compress = mode & 0x80 != 0;
    match (mode & 0x7F) % 3 {
        0 => {
            if let Ok(t) = text::read_csv(&put("jets.csv.gz", &stream(rest, compress))) {
                let _ = t.split(0.25, 1);
            }
        }
        1 => {
            if let Ok(t) = text::read_arff(&put("jets.arff.gz", &stream(rest, compress))) {
                let _ = t.split(0.25, 1);
            }
        }
        _ => {
            let dir = folder().join("sample");
            std::fs::create_dir_all(&dir).expect("creating the sample folder");
            for (stem, file) in NPY_STEMS.iter().zip(jet_common::split_folder(rest)) {
                std::fs::write(dir.join(format!("{stem}.npy.gz")), stream(file, compress)).expect("writing");
            }
            if let Ok(sample) = JetSample::load(&dir) {
                let _ = (sample.labels_train(), sample.labels_test());
            }
        }
    }
});
