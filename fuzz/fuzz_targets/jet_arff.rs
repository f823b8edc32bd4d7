//! Fuzz target: the ARFF reader of `jet-data` (`text::parse_arff`, the parser behind
//! `read_arff`) on arbitrary bytes; a table that parses is split (`JetTable::split`) with a
//! fraction and seed taken from its first byte. Errors are fine; a panic is a bug.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = jet_data::text::parse_arff(data, Path::new("fuzz.arff")) {
        let b = data.first().copied().unwrap_or(0);
        let _ = table.split(f64::from(b) / 256.0, u64::from(b));
    }
});
