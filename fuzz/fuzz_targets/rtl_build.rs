//! Fuzz target: the RTL writer. A mutated test model ([`mutations`]) is lowered with a
//! configuration drawn from the input ([`hls_common`]), cut to at most 1–12 features per layer
//! ([`shrink`]: the full test models take seconds per build under the fuzzer's instrumentation),
//! then built as Verilog with a pipelining and sharing choice from the input (`rtl::build`); the
//! netlist is evaluated on inputs from the input plus the input type's extremes and must give
//! exactly the emulator's raw outputs (as the crate documents), and the design's files are
//! rendered in memory. Errors are fine; a panic or a netlist that disagrees with the emulator is
//! a bug.
#![no_main]

use hls_backend::rtl::{self, Pipeline, RtlConfig};
use hls_backend::{Emulator, HlsModel, LayerKind};
use libfuzzer_sys::fuzz_target;
use qonnx_ir::Simd;

#[path = "hls_common.rs"]
mod hls_common;
#[path = "mutations.rs"]
mod mutations;

/// Clock periods to try, including ones shorter than a logic level and not finite.
const CLOCKS: [f64; 8] = [5.0, 1.0, 2.5, 0.5, 1e9, 0.0, f64::NAN, f64::INFINITY];

/// `model` with every layer cut to its first `max` inputs and outputs (an argmax keeps its one
/// output). Every part of a lowered model stays consistent: a dense layer keeps the weights
/// between the features kept, and its accumulator, sized for all its inputs, still bounds the
/// sums of fewer.
fn shrink(model: &mut HlsModel, max: usize) {
    let mut n_in = model.n_inputs.min(max);
    model.n_inputs = n_in;
    for l in &mut model.layers {
        match &mut l.kind {
            LayerKind::Dense(d) => {
                let n_out = d.n_out().min(max);
                let old_out = d.n_out();
                d.weights = (0..n_in)
                    .flat_map(|i| (0..n_out).map(move |j| (i, j)))
                    .map(|(i, j)| d.weights[i * old_out + j])
                    .collect();
                d.n_in = n_in;
                d.bias.truncate(n_out);
                l.n_out = n_out;
            }
            LayerKind::Affine(a) => {
                a.scale.truncate(n_in);
                a.shift.truncate(n_in);
                l.n_out = n_in;
            }
            LayerKind::Argmax => l.n_out = 1,
            LayerKind::Relu | LayerKind::Cast | LayerKind::Softmax => l.n_out = n_in,
        }
        n_in = l.n_out;
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((mut hls, _cfg, mut c)) = hls_common::lowered(data) else { return };
    let (Some(p), Some(v), Some(share), Some(max)) = (c.byte(), c.byte(), c.byte(), c.byte()) else { return };
    shrink(&mut hls, 1 + usize::from(max % 12));
    let pipeline = match p % 3 {
        0 => Pipeline::Combinational,
        1 => Pipeline::Levels(u32::from(v % 12)),
        _ => Pipeline::ClockNs(CLOCKS[usize::from(v) % CLOCKS.len()]),
    };
    let config = RtlConfig { pipeline, share: share % 2 == 0 };
    let Ok(design) = rtl::build(&hls, &config) else { return };
    let Some(x) = hls_common::inputs(&mut c, hls.n_inputs) else { return };
    let Ok(emulator) = Emulator::with_simd(&hls, Simd::Reference) else { return };
    let mut raw = emulator.quantize_inputs(&x);
    let t = hls.input_type;
    raw.extend(std::iter::repeat_n(t.min_raw(), hls.n_inputs));
    raw.extend(std::iter::repeat_n(t.max_raw(), hls.n_inputs));
    let Ok(expected) = emulator.run_raw(&raw) else { return };
    let got = design.evaluate(&raw).expect("the netlist evaluates whole samples");
    assert_eq!(got, expected.raw, "the RTL netlist differs from the emulator");
    let files = design.files(&raw, &expected.raw);
    assert!(!files.is_empty());
});
