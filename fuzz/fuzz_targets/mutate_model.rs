//! Fuzz target: structured mutations of the real test models ([`mutations`]: the first byte
//! picks one of the models vendored in `testdata/models/`, the following bytes are a list of
//! mutations). The mutated model is then run through [`common::exercise`] like `load_execute`,
//! with the input values drawn from the rest of the bytes. This reaches the ops and passes with
//! well-formed but unusual graphs far more often than raw protobuf bytes do.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "common.rs"]
mod common;
#[path = "mutations.rs"]
mod mutations;

fuzz_target!(|data: &[u8]| {
    if let Some((model, rest)) = mutations::mutated_model(data) {
        common::exercise(&model, rest);
    }
});
