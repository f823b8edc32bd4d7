//! Fuzz target: the CSV reader of `jet-data` (`text::parse_csv`, the parser behind `read_csv`)
//! on arbitrary bytes; a table that parses is split (`JetTable::split`) with a fraction and seed
//! taken from its first byte. Errors are fine; a panic is a bug.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(table) = jet_data::text::parse_csv(data, Path::new("fuzz.csv")) {
        let b = data.first().copied().unwrap_or(0);
        let _ = table.split(f64::from(b) / 256.0, u64::from(b));
    }
});
