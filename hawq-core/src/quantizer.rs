//! The HAWQ quantizers as pure functions on `f32` slices: scales, integer ranges, rounding,
//! weight and bias quantization, requantization multipliers (shift or dyadic `b/2^c`) and
//! percentile clipping.
//!
//! Every float step is computed in float32 exactly as QONNX's `Quant` computes it
//! (`round_half_even(clamp(x / s, qmin, qmax))`), so that the integers found here are the integers
//! that an exported graph's `Quant` nodes produce from the same float initializers.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Significant bits of a dyadic requantization multiplier `b`: `2^(B−1) ≤ b < 2^B` (except that
/// rounding may give exactly `2^B`). 24 bits keep `acc · b` exact in f64 for accumulators up to
/// 2^29, so that a float64 evaluation of the model reproduces the integer engine.
pub const DYADIC_MULTIPLIER_BITS: u32 = 24;

/// How scales are represented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ScaleMode {
    /// Every scale is rounded *up* to a power of two (nothing that fitted clips): the model is
    /// plain fixed point and requantization is a shift.
    PowerOfTwo,
    /// Free float scales; requantization multiplies by a dyadic number `b / 2^c` (HAWQ-V3).
    #[default]
    Dyadic,
}

/// Whether a weight tensor has one scale or one per output channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Granularity {
    /// One scale for the whole tensor.
    PerTensor,
    /// One scale per output channel (column of the `[in, out]` weight).
    #[default]
    PerChannel,
}

pub use qonnx_ir::IntRange;

/// Checks a bit width: 1..=32, else [`Error::InvalidBits`] naming `what`.
pub fn check_bits(what: &str, bits: u32) -> Result<()> {
    if (1..=32).contains(&bits) { Ok(()) } else { Err(Error::InvalidBits { what: what.to_string(), bits }) }
}

/// Rounds half to even (numpy's `round`, QONNX's `ROUND`).
pub fn round_half_even(x: f32) -> f32 {
    x.round_ties_even()
}

/// Quantizes one value to an integer exactly as QONNX `Quant` (zero-point 0) does: `x / s` in
/// float32, clamp, round half to even (bipolar: `x ≥ 0 → +1`, else −1).
pub fn quantize(x: f32, scale: f32, range: IntRange) -> i64 {
    let y = x / scale;
    if range.is_bipolar() {
        return if y >= 0.0 { 1 } else { -1 };
    }
    let (lo, hi) = (range.min() as f32, range.max() as f32);
    let y = if y > hi {
        hi
    } else if y < lo {
        lo
    } else {
        y
    };
    // `as` saturates (and maps NaN to 0); the final clamp matters only at 32 bits, where
    // 2^31 − 1 is not a float32.
    range.clamp(round_half_even(y) as i64)
}

/// `quantize(x, s, range) · s`: the value QONNX `Quant` outputs.
pub fn fake_quantize(x: f32, scale: f32, range: IntRange) -> f32 {
    quantize(x, scale, range) as f32 * scale
}

/// The smallest power of two `≥ s` (`s` itself when it is one); 1 for zero, negative or
/// non-finite `s`.
pub fn pow2_ceil(s: f32) -> f32 {
    if !(s.is_finite() && s > 0.0) {
        return 1.0;
    }
    let e = log2_ceil(f64::from(s));
    2f32.powi(e)
}

/// `ceil(log2(v))` for positive finite `v`, computed exactly.
fn log2_ceil(v: f64) -> i32 {
    let mut e = v.log2().floor() as i32;
    // Correct the float log2 so that 2^e ≤ v < 2^(e+1) holds exactly.
    while 2f64.powi(e) > v {
        e -= 1;
    }
    while 2f64.powi(e + 1) <= v {
        e += 1;
    }
    if 2f64.powi(e) == v { e } else { e + 1 }
}

/// `floor(log2(v))` for positive finite `v`, computed exactly.
fn log2_floor(v: f64) -> i32 {
    let mut e = v.log2().floor() as i32;
    while 2f64.powi(e) > v {
        e -= 1;
    }
    while 2f64.powi(e + 1) <= v {
        e += 1;
    }
    e
}

/// The exponent `k` of a power of two `s = 2^k`, or `None` when `s` is not one.
pub fn pow2_exponent(s: f32) -> Option<i32> {
    if !(s.is_finite() && s > 0.0) {
        return None;
    }
    let e = log2_floor(f64::from(s));
    (2f64.powi(e) == f64::from(s)).then_some(e)
}

/// Applies the scale mode: a power of two rounded up, or `s` unchanged. A zero or non-finite
/// scale (all-zero tensor) becomes 1.
pub fn apply_mode(s: f32, mode: ScaleMode) -> f32 {
    if !(s.is_finite() && s > 0.0) {
        return 1.0;
    }
    match mode {
        ScaleMode::PowerOfTwo => pow2_ceil(s),
        ScaleMode::Dyadic => s,
    }
}

/// The scale of a quantizer whose inputs reach `max_abs`: `max_abs / denominator` (see
/// [`IntRange::scale_denominator`]), then the scale mode.
pub fn scale_for(max_abs: f32, range: IntRange, mode: ScaleMode) -> f32 {
    apply_mode(max_abs / range.scale_denominator(), mode)
}

/// The weight range at `bits` bits: signed, narrow (symmetric), bipolar at 1 bit.
pub fn weight_range(bits: u32) -> IntRange {
    IntRange::new(bits, true, bits > 1)
}

/// The `p`-th percentile (0 < p ≤ 100, nearest rank) of `|values|`; `p ≥ 100` is the maximum.
pub fn percentile_abs(values: &[f32], p: f32) -> f32 {
    let mut a: Vec<f32> = values.iter().map(|v| v.abs()).collect();
    if a.is_empty() {
        return 0.0;
    }
    if p >= 100.0 {
        return a.iter().copied().fold(0.0, f32::max);
    }
    a.sort_by(f32::total_cmp);
    let rank = ((p.max(0.0) / 100.0) * a.len() as f32).ceil() as usize;
    a[rank.clamp(1, a.len()) - 1]
}

/// The `p`-th and `(100 − p)`-th percentiles of `values` (nearest rank, `50 ≤ p ≤ 100`), as
/// `(low, high)`: with `k = ⌈p · n / 100⌉` (at least 1), `high` is the `k`-th smallest value and
/// `low` the `k`-th largest, so the two ends drop the same number of values (`n − k` each).
/// `p = 100` gives `(min, max)`; an empty slice gives `(0, 0)`. The upper end is the same nearest
/// rank as [`percentile_abs`]. NaNs sort above every number (`f32::total_cmp`).
pub fn percentile_range(values: &[f32], p: f32) -> (f32, f32) {
    let n = values.len();
    if n == 0 {
        return (0.0, 0.0);
    }
    // p · n is exact in f64 (a float32 times an integer below 2^29), so an integral p · n / 100
    // gives exactly that integer.
    let k = ((f64::from(p.clamp(50.0, 100.0)) * n as f64) / 100.0).ceil() as usize;
    let k = k.clamp(1, n);
    let mut v = values.to_vec();
    let (_, hi, _) = v.select_nth_unstable_by(k - 1, f32::total_cmp);
    let hi = *hi;
    let (_, lo, _) = v.select_nth_unstable_by(n - k, f32::total_cmp);
    (*lo, hi)
}

/// How a weight tensor is quantized.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct WeightQuantizer {
    /// Bit width.
    pub bits: u32,
    /// Per tensor or per output channel.
    pub granularity: Granularity,
    /// Scale representation.
    pub mode: ScaleMode,
    /// Clip at this percentile of `|W|` instead of the maximum (`None`: the maximum).
    pub clip_percentile: Option<f32>,
}

impl WeightQuantizer {
    /// The scales of a row-major `[d_in, d_out]` weight, one per output channel (repeated when
    /// per tensor).
    pub fn scales(&self, w: &[f32], d_in: usize, d_out: usize) -> Vec<f32> {
        let range = weight_range(self.bits);
        let reach = |vals: &[f32]| match self.clip_percentile {
            Some(p) => percentile_abs(vals, p),
            None => vals.iter().fold(0.0f32, |m, v| m.max(v.abs())),
        };
        match self.granularity {
            Granularity::PerTensor => vec![scale_for(reach(w), range, self.mode); d_out],
            Granularity::PerChannel => (0..d_out)
                .map(|j| {
                    let col: Vec<f32> = (0..d_in).map(|i| w[i * d_out + j]).collect();
                    scale_for(reach(&col), range, self.mode)
                })
                .collect(),
        }
    }

    /// The integer weights of a row-major `[d_in, d_out]` weight at per-channel `scales`.
    pub fn quantize(&self, w: &[f32], d_out: usize, scales: &[f32]) -> Vec<i64> {
        let range = weight_range(self.bits);
        w.iter().enumerate().map(|(k, &v)| quantize(v, scales[k % d_out], range)).collect()
    }
}

/// A quantized bias: integers at scale `s_w · s_in`, and the channels that clipped.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedBias {
    /// One integer per output channel.
    pub values: Vec<i64>,
    /// The scale of each channel (`s_w,j · s_in`, float32).
    pub scales: Vec<f32>,
    /// Output channels whose bias did not fit the bias bit width and was clamped.
    pub clipped: Vec<usize>,
}

/// Quantizes a bias to `bits` signed bits at scale `s_w,j · s_in` (float32 product), reporting
/// the channels that clip.
pub fn quantize_bias(bias: &[f32], weight_scales: &[f32], input_scale: f32, bits: u32) -> QuantizedBias {
    let range = IntRange::new(bits, true, false);
    let scales: Vec<f32> = weight_scales.iter().map(|s| s * input_scale).collect();
    let mut clipped = Vec::new();
    let values = bias
        .iter()
        .zip(&scales)
        .enumerate()
        .map(|(j, (&b, &s))| {
            let exact = f64::from(round_half_even(b / s));
            if exact > range.max() as f64 || exact < range.min() as f64 {
                clipped.push(j);
            }
            quantize(b, s, range)
        })
        .collect();
    QuantizedBias { values, scales, clipped }
}

/// Rounds `v / 2^c` half to even, in integers.
pub fn shift_round_half_even(v: i128, c: u32) -> i128 {
    if c == 0 {
        return v;
    }
    if c >= 127 {
        return 0;
    }
    let q = v >> c; // floor
    let r = v - (q << c);
    let half = 1i128 << (c - 1);
    if r > half || (r == half && q & 1 == 1) { q + 1 } else { q }
}

/// A requantization multiplier in integer form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Requant {
    /// Multiply by `2^−k` (a right shift with rounding when `k > 0`, a left shift otherwise).
    Shift(i32),
    /// Multiply by `b / 2^c` (HAWQ-V3 dyadic number).
    Dyadic {
        /// Integer multiplier.
        b: i64,
        /// Right shift.
        c: u32,
    },
}

impl Requant {
    /// The integer form of the ratio `m = s_acc / s_out` (given as the two scales, so that the
    /// ratio is computed exactly in f64): a shift when both are powers of two, else dyadic with
    /// [`DYADIC_MULTIPLIER_BITS`] significant bits. `layer` names the layer in errors.
    pub fn from_scales(s_acc: f64, s_out: f64, mode: ScaleMode, layer: usize) -> Result<Requant> {
        let m = s_acc / s_out;
        if !(m.is_finite() && m > 0.0) {
            return Err(Error::Multiplier { layer, multiplier: m });
        }
        if mode == ScaleMode::PowerOfTwo {
            let e = log2_floor(m);
            if 2f64.powi(e) == m {
                return Ok(Requant::Shift(-e));
            }
        }
        let e = log2_floor(m);
        let c = DYADIC_MULTIPLIER_BITS as i32 - 1 - e;
        if !(0..=100).contains(&c) {
            return Err(Error::Multiplier { layer, multiplier: m });
        }
        let b = (m * 2f64.powi(c)).round_ties_even() as i64;
        Ok(Requant::Dyadic { b, c: c as u32 })
    }

    /// The multiplier as a float (exact).
    pub fn as_f64(&self) -> f64 {
        match *self {
            Requant::Shift(k) => 2f64.powi(-k),
            Requant::Dyadic { b, c } => b as f64 * 2f64.powi(-(c as i32)),
        }
    }

    /// The integer numerator and right shift: `value = acc · num / 2^shift`, for shifts `k ≤ 0`
    /// the numerator is `2^−k` and the shift 0.
    pub fn parts(&self) -> (i64, u32) {
        match *self {
            Requant::Shift(k) if k >= 0 => (1, k as u32),
            Requant::Shift(k) => (1i64 << (-k).min(62), 0),
            Requant::Dyadic { b, c } => (b, c),
        }
    }

    /// `round_half_even(acc · m)` in integer arithmetic (no clamp).
    pub fn apply(&self, acc: i64) -> i64 {
        let (num, shift) = self.parts();
        let v = shift_round_half_even(i128::from(acc) * i128::from(num), shift);
        v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shift_rounding_matches_float_half_even() {
        for v in -200i128..200 {
            for c in 0..5u32 {
                let want = (v as f64 / f64::from(1u32 << c)).round_ties_even() as i128;
                assert_eq!(shift_round_half_even(v, c), want, "v={v} c={c}");
            }
        }
    }

    #[test]
    fn pow2_helpers() {
        assert_eq!(pow2_ceil(0.3), 0.5);
        assert_eq!(pow2_ceil(0.25), 0.25);
        assert_eq!(pow2_ceil(3.0), 4.0);
        assert_eq!(pow2_exponent(0.125), Some(-3));
        assert_eq!(pow2_exponent(0.3), None);
    }
}
