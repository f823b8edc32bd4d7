//! Resource and latency **estimates** from a documented analytic model — not synthesis results.
//!
//! The model, per layer, with `R` the layer's reuse factor:
//! - **Multipliers** (dense: one per non-zero weight, affine: one per channel): a product of
//!   operand widths `a × b` goes to a DSP48 slice when both operands are wider than
//!   [`LUT_MULT_MAX_BITS`] bits (two slices if it exceeds 27 × 18), otherwise to LUTs, costing
//!   `⌈a·b/2⌉` LUTs. Divided by `R` (rounded up).
//! - **Adders**: one accumulator addition per multiplier, `W_acc` LUTs each (one LUT per bit of
//!   carry chain), divided by `R`.
//! - **Flip-flops**: the layer's output register (`n_out · W_out`) plus one pipeline register per
//!   adder-tree level (`n_out · W_acc` per level).
//! - **Latency**: a multiplier stage (1 cycle in LUTs, 3 in DSPs), then the adder tree of depth
//!   `⌈log2(fan-in + 1)⌉`, [`ADDER_LEVELS_PER_NS`] levels per ns of clock period, plus `R − 1`
//!   cycles; ReLU and casts take one cycle, the table softmax four, argmax `⌈log2 n⌉`.
//! - **BOPs** (dense): `m·n·((1 − f_p)·b_a·b_w + b_a + b_w + log2 n)`, from `qonnx_ir::cost` (the
//!   workspace's one cost model), with the weight quantizer's bits and the input type's width.

use serde::Serialize;

use qonnx_ir::cost::LayerCost;

use crate::config::HlsConfig;
use crate::model::{HlsModel, LayerKind};

/// Products with an operand this narrow (or narrower) are built from LUTs.
pub const LUT_MULT_MAX_BITS: u32 = 10;
/// Adder-tree levels that fit in one ns of the clock period.
pub const ADDER_LEVELS_PER_NS: f64 = 0.8;

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

fn mult_cost(a: u32, b: u32) -> (u64, u64) {
    if a.min(b) <= LUT_MULT_MAX_BITS {
        (0, u64::from(a * b).div_ceil(2))
    } else if a.max(b) <= 27 && a.min(b) <= 18 {
        (1, 0)
    } else {
        (2, 0)
    }
}

/// Estimates every layer of `model` under `config`.
pub fn estimate(model: &HlsModel, config: &HlsConfig) -> Estimate {
    let levels_per_cycle = (config.clock_period_ns * ADDER_LEVELS_PER_NS).floor().max(1.0);
    let mut layers = Vec::new();
    for (i, l) in model.layers.iter().enumerate() {
        let r = u64::from(config.reuse(&l.name));
        let in_t = model.input_type_of(i);
        let n_in = model.input_size_of(i);
        let out_w = u64::from(l.out_type.width);
        let (mut dsp, lut, mut ff, mut cycles, mut bops);
        (dsp, ff, cycles, bops) = (0u64, out_w * l.n_out as u64, 1u64, 0f64);
        match &l.kind {
            LayerKind::Dense(d) => {
                let nz = d.nonzero() as u64;
                let (md, ml) = mult_cost(in_t.width, d.weight_type.width);
                dsp = (md * nz).div_ceil(r);
                lut = (ml * nz + nz * u64::from(d.acc_type.width)).div_ceil(r);
                let depth = ((n_in + 1) as f64).log2().ceil();
                let tree_cycles = (depth / levels_per_cycle).ceil() as u64;
                ff += tree_cycles * l.n_out as u64 * u64::from(d.acc_type.width);
                cycles = if md > 0 { 3 } else { 1 } + tree_cycles + (r - 1);
                let zeros = d.n_in * l.n_out - d.nonzero();
                bops = LayerCost::dense(d.n_in, l.n_out, d.weight_bits, in_t.width, zeros).bops;
            }
            LayerKind::Affine(a) => {
                let (md, ml) = mult_cost(in_t.width, a.scale_type.width);
                dsp = (md * l.n_out as u64).div_ceil(r);
                lut = ((ml + u64::from(a.acc_type.width)) * l.n_out as u64).div_ceil(r);
                cycles = if md > 0 { 4 } else { 2 };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multiplier_mapping() {
        assert_eq!(mult_cost(6, 16), (0, 48));
        assert_eq!(mult_cost(16, 16), (1, 0));
        assert_eq!(mult_cost(27, 18), (1, 0));
        assert_eq!(mult_cost(32, 32), (2, 0));
    }
}
