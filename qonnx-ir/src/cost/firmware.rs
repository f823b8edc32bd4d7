//! The firmware model of a dense layer in a fully parallel (hls4ml-style `io_parallel`,
//! latency strategy) FPGA implementation: where each product is built (DSP slices or LUTs) and
//! how many clock cycles the layer takes. `hls-backend`'s estimate and `hawq-core`'s sensitivity
//! table (the ILP's `latency` cost) both compute them here, so a latency budget the ILP meets is
//! the latency the estimate reports for the same layers.
//!
//! - **Multiplier** of an `a × b`-bit product: LUTs when either operand has at most
//!   [`LUT_MULT_MAX_BITS`] bits (`⌈a·b/2⌉` LUTs), else one DSP48 slice when it fits 27 × 18,
//!   else two.
//! - **Latency** of a dense layer with fan-in `n` and reuse factor `R` at clock period `T`: a
//!   multiplier stage (1 cycle in LUTs, 3 in DSPs), then the adder tree of depth
//!   `⌈log2(n + 1)⌉` (the `+ 1` is the bias), `⌊T · ADDER_LEVELS_PER_NS⌋` levels (at least one)
//!   per cycle, plus `R − 1` cycles.

use serde::{Deserialize, Serialize};

/// Products with an operand this narrow (or narrower) are built from LUTs.
pub const LUT_MULT_MAX_BITS: u32 = 10;
/// Adder-tree levels that fit in one ns of the clock period.
pub const ADDER_LEVELS_PER_NS: f64 = 0.8;

/// The clock and parallelism a firmware layer is built for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Timing {
    /// Clock period in ns.
    pub clock_period_ns: f64,
    /// Reuse factor: how many times each multiplier is reused per sample (1: fully parallel).
    pub reuse: u32,
}

impl Default for Timing {
    /// 5 ns (200 MHz), fully parallel: the jet-tagging study's setting.
    fn default() -> Timing {
        Timing { clock_period_ns: 5.0, reuse: 1 }
    }
}

/// The cost of one `a × b`-bit product.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Multiplier {
    /// DSP48 slices.
    pub dsp: u64,
    /// LUTs.
    pub lut: u64,
}

/// Where an `a × b`-bit product is built and what it costs.
pub fn multiplier(a_bits: u32, b_bits: u32) -> Multiplier {
    if a_bits.min(b_bits) <= LUT_MULT_MAX_BITS {
        Multiplier { dsp: 0, lut: u64::from(a_bits * b_bits).div_ceil(2) }
    } else if a_bits.max(b_bits) <= 27 && a_bits.min(b_bits) <= 18 {
        Multiplier { dsp: 1, lut: 0 }
    } else {
        Multiplier { dsp: 2, lut: 0 }
    }
}

/// Clock cycles of the adder tree summing `fan_in` products and the bias.
pub fn adder_tree_cycles(fan_in: usize, timing: &Timing) -> u64 {
    let levels_per_cycle = (timing.clock_period_ns * ADDER_LEVELS_PER_NS).floor().max(1.0);
    let depth = ((fan_in + 1) as f64).log2().ceil();
    (depth / levels_per_cycle).ceil() as u64
}

/// Clock cycles of a dense layer with `fan_in` inputs of `a_bits` bits and `w_bits`-bit weights
/// (the widths of the firmware types, which for per-channel power-of-two scales include the
/// spread of the channels' exponents).
pub fn dense_latency_cycles(fan_in: usize, a_bits: u32, w_bits: u32, timing: &Timing) -> u64 {
    let stage = if multiplier(a_bits, w_bits).dsp > 0 { 3 } else { 1 };
    stage + adder_tree_cycles(fan_in, timing) + u64::from(timing.reuse.max(1) - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multipliers_and_latency_follow_the_documented_model() {
        assert_eq!(multiplier(8, 16), Multiplier { dsp: 0, lut: 64 });
        assert_eq!(multiplier(16, 16), Multiplier { dsp: 1, lut: 0 });
        assert_eq!(multiplier(6, 16), Multiplier { dsp: 0, lut: 48 });
        assert_eq!(multiplier(27, 18), Multiplier { dsp: 1, lut: 0 });
        assert_eq!(multiplier(27, 19), Multiplier { dsp: 2, lut: 0 });
        assert_eq!(multiplier(32, 32), Multiplier { dsp: 2, lut: 0 });
        let t = Timing::default();
        // 5 ns · 0.8 = 4 levels per cycle; 16 inputs + bias: depth 5 → 2 cycles.
        assert_eq!(adder_tree_cycles(16, &t), 2);
        assert_eq!(dense_latency_cycles(16, 16, 8, &t), 1 + 2);
        assert_eq!(dense_latency_cycles(64, 16, 16, &t), 3 + 2);
        assert_eq!(dense_latency_cycles(64, 16, 16, &Timing { reuse: 4, ..t }), 3 + 2 + 3);
    }
}
