//! Fuzz target: QONNX → HLS lowering. A mutated test model ([`mutations`]) is lowered with a
//! configuration drawn from the input ([`hls_common`]: precisions, reuse factors, softmax form,
//! per-layer overrides); the lowered model goes through the resource estimate, the emulator at
//! every SIMD level this CPU runs (which must agree with the per-sample reference level, raw
//! output for raw output) and the HLS project renderer (in memory). Errors are fine; a panic or
//! a disagreement between emulator levels is a bug.
#![no_main]

use hls_backend::Emulator;
use hls_backend::estimate::estimate;
use hls_backend::writer::render;
use libfuzzer_sys::fuzz_target;
use qonnx_ir::Simd;

#[path = "hls_common.rs"]
mod hls_common;
#[path = "mutations.rs"]
mod mutations;

fuzz_target!(|data: &[u8]| {
    let Some((hls, cfg, mut c)) = hls_common::lowered(data) else { return };
    let _ = estimate(&hls, &cfg).table();
    let Some(x) = hls_common::inputs(&mut c, hls.n_inputs) else { return };
    let Ok(reference) = Emulator::with_simd(&hls, Simd::Reference) else { return };
    let raw = reference.quantize_inputs(&x);
    let expected = reference.run_raw(&raw).ok();
    for level in Simd::available() {
        let Ok(e) = Emulator::with_simd(&hls, level) else { continue };
        assert_eq!(e.quantize_inputs(&x), raw, "input quantization at {level:?} differs from the reference");
        assert_eq!(e.run_raw(&raw).ok(), expected, "emulator at {level:?} differs from the reference");
    }
    let outputs = reference.run(&x).ok().map(|o| o.values());
    let _ = render(&hls, &cfg, &x, outputs.as_deref());
});
