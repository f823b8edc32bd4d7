//! Fuzz target: arbitrary bytes → `Model::from_bytes` → cleanup on a copy → `Executor` → run on
//! inputs synthesized from the declared graph inputs (values drawn from the same bytes), with
//! `exact` off and on. Errors are fine; a panic is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qonnx_ir::Model;

#[path = "common.rs"]
mod common;

fuzz_target!(|data: &[u8]| {
    if let Ok(model) = Model::from_bytes(data, "fuzz input") {
        common::exercise(&model, data);
    }
});
