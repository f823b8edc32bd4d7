//! Resource and latency **estimates** from a documented analytic model — not synthesis results.
//!
//! The model, per layer, with `R` the layer's reuse factor:
//! - **Multipliers** (dense: one per non-zero weight, affine: one per channel): where a product
//!   of operand widths `a × b` is built and its cost come from
//!   [`qonnx_ir::cost::firmware::multiplier`] (DSP48 slices for wide operands, else `⌈a·b/2⌉`
//!   LUTs), the workspace's one firmware cost model. Divided by `R` (rounded up).
//! - **Adders**: one accumulator addition per multiplier, `W_acc` LUTs each (one LUT per bit of
//!   carry chain), divided by `R`.
//! - **Flip-flops**: the layer's output register (`n_out · W_out`) plus one pipeline register per
//!   adder-tree level (`n_out · W_acc` per level).
//! - **Latency**: a dense layer's from [`qonnx_ir::cost::firmware::dense_latency_cycles`] (a
//!   multiplier stage, the adder tree, `R − 1` cycles), the same model `hawq-core`'s sensitivity
//!   table gives the ILP; an affine layer 2 cycles (4 with DSPs); ReLU and casts one cycle, the
//!   table softmax four, argmax `⌈log2 n⌉`.
//! - **BOPs** (dense): `m·n·((1 − f_p)·b_a·b_w + b_a + b_w + log2 n)`, from `qonnx_ir::cost` (the
//!   workspace's one cost model), with the weight quantizer's bits and the input type's width.

use serde::Serialize;

use qonnx_ir::cost::LayerCost;
use qonnx_ir::cost::firmware::{Timing, adder_tree_cycles, dense_latency_cycles, multiplier};

use crate::config::HlsConfig;
use crate::model::{HlsModel, LayerKind};

/// Estimates of one layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerEstimate {
    /// Layer name.
    pub layer: String,
    /// DSP48 slices.
    pub dsp: u64,
    /// LUTs.
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// Latency in clock cycles.
    pub latency_cycles: u64,
    /// Bit operations.
    pub bops: f64,
}

/// Estimates of a model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Estimate {
    /// Always `"analytic estimate"`: these are not synthesis results.
    pub kind: &'static str,
    /// Per layer.
    pub layers: Vec<LayerEstimate>,
    /// Σ DSPs.
    pub dsp: u64,
    /// Σ LUTs.
    pub lut: u64,
    /// Σ FFs.
    pub ff: u64,
    /// Σ latency in cycles.
    pub latency_cycles: u64,
    /// Latency in ns at the configured clock.
    pub latency_ns: f64,
    /// Σ BOPs.
    pub bops: f64,
}

/// Estimates every layer of `model` under `config`.
pub fn estimate(model: &HlsModel, config: &HlsConfig) -> Estimate {
    let mut layers = Vec::new();
    for (i, l) in model.layers.iter().enumerate() {
        let timing = Timing { clock_period_ns: config.clock_period_ns, reuse: config.reuse(&l.name) };
        let r = u64::from(timing.reuse);
        let in_t = model.input_type_of(i);
        let n_in = model.input_size_of(i);
        let out_w = u64::from(l.out_type.width);
        let (mut dsp, lut, mut ff, mut cycles, mut bops);
        (dsp, ff, cycles, bops) = (0u64, out_w * l.n_out as u64, 1u64, 0f64);
        match &l.kind {
            LayerKind::Dense(d) => {
                let nz = d.nonzero() as u64;
                let m = multiplier(in_t.width, d.weight_type.width);
                dsp = (m.dsp * nz).div_ceil(r);
                lut = (m.lut * nz + nz * u64::from(d.acc_type.width)).div_ceil(r);
                ff += adder_tree_cycles(n_in, &timing) * l.n_out as u64 * u64::from(d.acc_type.width);
                cycles = dense_latency_cycles(n_in, in_t.width, d.weight_type.width, &timing);
                let zeros = d.n_in * l.n_out - d.nonzero();
                bops = LayerCost::dense(d.n_in, l.n_out, d.weight_bits, in_t.width, zeros).bops;
            }
            LayerKind::Affine(a) => {
                let m = multiplier(in_t.width, a.scale_type.width);
                dsp = (m.dsp * l.n_out as u64).div_ceil(r);
                lut = ((m.lut + u64::from(a.acc_type.width)) * l.n_out as u64).div_ceil(r);
                cycles = if m.dsp > 0 { 4 } else { 2 };
            }
            LayerKind::Relu | LayerKind::Cast => lut = out_w * l.n_out as u64,
            LayerKind::Softmax => {
                lut = 64 * n_in as u64 + 200;
                cycles = 4;
            }
            LayerKind::Argmax => {
                lut = u64::from(in_t.width) * n_in as u64;
                cycles = (n_in as f64).log2().ceil().max(1.0) as u64;
            }
        }
        layers.push(LayerEstimate { layer: l.name.clone(), dsp, lut, ff, latency_cycles: cycles, bops });
    }
    let latency_cycles = layers.iter().map(|l| l.latency_cycles).sum();
    Estimate {
        kind: "analytic estimate",
        dsp: layers.iter().map(|l| l.dsp).sum(),
        lut: layers.iter().map(|l| l.lut).sum(),
        ff: layers.iter().map(|l| l.ff).sum(),
        latency_cycles,
        latency_ns: latency_cycles as f64 * config.clock_period_ns,
        bops: layers.iter().map(|l| l.bops).sum(),
        layers,
    }
}

impl Estimate {
    /// A plain-text table.
    pub fn table(&self) -> String {
        let mut s = format!(
            "{:<12} {:>6} {:>8} {:>8} {:>8} {:>12}   ({})\n",
            "layer", "DSP", "LUT", "FF", "cycles", "BOPs", self.kind
        );
        for l in &self.layers {
            s += &format!(
                "{:<12} {:>6} {:>8} {:>8} {:>8} {:>12.0}\n",
                l.layer, l.dsp, l.lut, l.ff, l.latency_cycles, l.bops
            );
        }
        s += &format!(
            "{:<12} {:>6} {:>8} {:>8} {:>8} {:>12.0}   latency ≈ {:.1} ns\n",
            "total", self.dsp, self.lut, self.ff, self.latency_cycles, self.bops, self.latency_ns
        );
        s
    }
}
