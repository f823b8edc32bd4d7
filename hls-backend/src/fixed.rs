//! Fixed-point types with the exact semantics of Xilinx `ap_fixed` / `ap_ufixed`: a value is an
//! integer `v` times `2^−F` (F fractional bits, F = W − I, possibly negative), stored in `W` bits;
//! casts quantize with a rounding mode at the new LSB and then handle overflow at the new MSB.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// `ap_fixed` quantization (rounding) modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Rounding {
    /// `AP_TRN`: toward −∞ (drop bits).
    Trn,
    /// `AP_TRN_ZERO`: toward zero.
    TrnZero,
    /// `AP_RND`: to nearest, ties toward +∞.
    Rnd,
    /// `AP_RND_ZERO`: to nearest, ties toward zero.
    RndZero,
    /// `AP_RND_MIN_INF`: to nearest, ties toward −∞.
    RndMinInf,
    /// `AP_RND_INF`: to nearest, ties away from zero.
    RndInf,
    /// `AP_RND_CONV`: to nearest, ties to even (convergent).
    RndConv,
}

/// `ap_fixed` overflow modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Overflow {
    /// `AP_WRAP`: two's-complement wrap-around.
    Wrap,
    /// `AP_SAT`: saturate to the type's range.
    Sat,
    /// `AP_SAT_ZERO`: overflow gives zero.
    SatZero,
    /// `AP_SAT_SYM`: saturate to a symmetric range (signed: ±(2^(W−1)−1)).
    SatSym,
}

impl Rounding {
    /// Every mode, in the order of `ap_fixed`'s documentation.
    pub const ALL: [Rounding; 7] = [
        Rounding::Trn,
        Rounding::TrnZero,
        Rounding::Rnd,
        Rounding::RndZero,
        Rounding::RndMinInf,
        Rounding::RndInf,
        Rounding::RndConv,
    ];

    /// The C++ enumerator.
    pub fn cpp(self) -> &'static str {
        match self {
            Rounding::Trn => "AP_TRN",
            Rounding::TrnZero => "AP_TRN_ZERO",
            Rounding::Rnd => "AP_RND",
            Rounding::RndZero => "AP_RND_ZERO",
            Rounding::RndMinInf => "AP_RND_MIN_INF",
            Rounding::RndInf => "AP_RND_INF",
            Rounding::RndConv => "AP_RND_CONV",
        }
    }
}

impl Overflow {
    /// Every mode.
    pub const ALL: [Overflow; 4] = [Overflow::Wrap, Overflow::Sat, Overflow::SatZero, Overflow::SatSym];

    /// The C++ enumerator.
    pub fn cpp(self) -> &'static str {
        match self {
            Overflow::Wrap => "AP_WRAP",
            Overflow::Sat => "AP_SAT",
            Overflow::SatZero => "AP_SAT_ZERO",
            Overflow::SatSym => "AP_SAT_SYM",
        }
    }
}

/// A fixed-point type: `ap_fixed<W, I, Q, O>` (signed) or `ap_ufixed<W, I, Q, O>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FixedType {
    /// Total bits W (1 ..= 62 here, so values fit i64 with headroom).
    pub width: u32,
    /// Integer bits I (sign included for signed types); may be negative or exceed W.
    pub int_bits: i32,
    /// Signed (`ap_fixed`) or unsigned (`ap_ufixed`).
    pub signed: bool,
    /// Quantization mode.
    pub rounding: Rounding,
    /// Overflow mode.
    pub overflow: Overflow,
}

/// The widest type the emulator handles (values and intermediate products fit in i64/i128).
pub const MAX_WIDTH: u32 = 62;

/// The largest magnitude of the integer bits I a precision string may give (`ap_fixed<W,I>`):
/// beyond the binary point moves of a QONNX float32 power-of-two scale (2^−149 … 2^127) there
/// is no use for more, and within it the fractional bits W − I and their differences stay far
/// from overflowing.
pub const MAX_INT_BITS: i32 = 128;

impl FixedType {
    /// A type with truncation and wrap-around (the `ap_fixed` defaults).
    pub fn new(width: u32, int_bits: i32, signed: bool) -> Result<FixedType> {
        if !(1..=MAX_WIDTH).contains(&width) || (signed && width < 2 && int_bits < 1) {
            return Err(Error::Precision(format!("width {width} is outside 1..={MAX_WIDTH}")));
        }
        Ok(FixedType { width, int_bits, signed, rounding: Rounding::Trn, overflow: Overflow::Wrap })
    }

    /// The explicit conversion from the workspace's integer vocabulary: the integers of `range`
    /// scaled by `2^-frac`, i.e. `ap_[u]fixed<bits, bits − frac>` with the given quantization mode
    /// and saturation (`AP_SAT_SYM` for a narrow signed range, which drops the most negative
    /// value as the narrow range does; `AP_SAT` otherwise). Bipolar ranges and narrow unsigned
    /// ranges have no `ap_fixed` equivalent and are refused.
    pub fn from_int_range(range: qonnx_ir::IntRange, frac: i32, rounding: Rounding) -> Result<FixedType> {
        if range.is_bipolar() || (range.narrow && !range.signed) {
            return Err(Error::Precision(format!("the integer range {range:?} has no ap_fixed equivalent")));
        }
        let overflow = if range.narrow { Overflow::SatSym } else { Overflow::Sat };
        Ok(FixedType::new(range.bits, range.bits as i32 - frac, range.signed)?.with_modes(rounding, overflow))
    }

    /// The same type with other quantization and overflow modes.
    pub fn with_modes(mut self, rounding: Rounding, overflow: Overflow) -> FixedType {
        self.rounding = rounding;
        self.overflow = overflow;
        self
    }

    /// Fractional bits F = W − I.
    pub fn frac(&self) -> i32 {
        self.width as i32 - self.int_bits
    }

    /// The smallest raw integer.
    pub fn min_raw(&self) -> i64 {
        if self.signed { -(1i64 << (self.width - 1)) } else { 0 }
    }

    /// The largest raw integer.
    pub fn max_raw(&self) -> i64 {
        if self.signed { (1i64 << (self.width - 1)) - 1 } else { (1i64 << self.width) - 1 }
    }

    /// The value of a raw integer.
    pub fn value(&self, raw: i64) -> f64 {
        raw as f64 * (-f64::from(self.frac())).exp2()
    }

    /// The C++ type, e.g. `ap_fixed<16,6,AP_RND_CONV,AP_SAT>` (default modes are left out).
    pub fn cpp(&self) -> String {
        let base = if self.signed { "ap_fixed" } else { "ap_ufixed" };
        if self.rounding == Rounding::Trn && self.overflow == Overflow::Wrap {
            format!("{base}<{},{}>", self.width, self.int_bits)
        } else {
            format!("{base}<{},{},{},{}>", self.width, self.int_bits, self.rounding.cpp(), self.overflow.cpp())
        }
    }

    /// The narrowest type (truncation, wrap) holding every raw integer in `[lo, hi]` at `frac`
    /// fractional bits.
    pub fn for_range(lo: i64, hi: i64, frac: i32) -> Result<FixedType> {
        let signed = lo < 0;
        let mut w = 1u32;
        loop {
            let t = FixedType {
                width: w,
                int_bits: w as i32 - frac,
                signed,
                rounding: Rounding::Trn,
                overflow: Overflow::Wrap,
            };
            if t.min_raw() <= lo && hi <= t.max_raw() && (w >= 2 || !signed) {
                return Ok(t);
            }
            w += 1;
            if w > MAX_WIDTH {
                return Err(Error::Precision(format!("range [{lo}, {hi}] needs more than {MAX_WIDTH} bits")));
            }
        }
    }

    /// Casts raw integer `v` with `from_frac` fractional bits into this type, as an `ap_fixed`
    /// assignment does: quantize at this type's LSB with its rounding mode, then apply its
    /// overflow mode.
    pub fn cast(&self, v: i64, from_frac: i32) -> i64 {
        let shift = self.frac() - from_frac;
        let q = if shift >= 0 {
            // Exact: the result may exceed i64 only for absurd types, so use i128.
            let w = (v as i128) << shift.min(64);
            w.clamp(i64::MIN as i128, i64::MAX as i128) as i64
        } else {
            round_shift(v, (-shift) as u32, self.rounding)
        };
        self.overflow(q)
    }

    /// Applies the overflow mode to a raw integer that is already at this type's LSB.
    pub fn overflow(&self, q: i64) -> i64 {
        let (lo, hi) = (self.min_raw(), self.max_raw());
        if (lo..=hi).contains(&q) {
            if self.overflow == Overflow::SatSym && self.signed && q == lo {
                return lo + 1;
            }
            return q;
        }
        match self.overflow {
            Overflow::Sat => q.clamp(lo, hi),
            Overflow::SatSym => {
                if self.signed {
                    q.clamp(lo + 1, hi)
                } else {
                    q.clamp(lo, hi)
                }
            }
            Overflow::SatZero => 0,
            Overflow::Wrap => {
                let m = (q as u64) & ((1u64 << self.width) - 1);
                if self.signed && m >> (self.width - 1) == 1 { (m as i64) - (1i64 << self.width) } else { m as i64 }
            }
        }
    }

    /// Converts a float to this type (as `ap_fixed`'s constructor from `double`: quantize with
    /// the type's rounding mode, then overflow). NaN becomes 0.
    pub fn from_f64(&self, x: f64) -> i64 {
        self.quantize_scaled(x * f64::from(self.frac()).exp2())
    }

    /// [`FixedType::from_f64`] on every value of `x` into `out`, with the scale computed once and
    /// the rounding and overflow modes decided once per slice, so that each loop is straight-line
    /// code that the compiler can vectorize.
    #[inline(always)]
    pub fn from_f64_slice(&self, x: &[f64], out: &mut [i64]) {
        let scale = f64::from(self.frac()).exp2();
        // Each arm passes its mode as a constant, which the inlined loop's test folds.
        match self.rounding {
            Rounding::Trn => self.quantize_slice(x, out, scale, Rounding::Trn),
            Rounding::TrnZero => self.quantize_slice(x, out, scale, Rounding::TrnZero),
            Rounding::Rnd => self.quantize_slice(x, out, scale, Rounding::Rnd),
            Rounding::RndZero => self.quantize_slice(x, out, scale, Rounding::RndZero),
            Rounding::RndMinInf => self.quantize_slice(x, out, scale, Rounding::RndMinInf),
            Rounding::RndInf => self.quantize_slice(x, out, scale, Rounding::RndInf),
            Rounding::RndConv => self.quantize_slice(x, out, scale, Rounding::RndConv),
        }
    }

    /// [`FixedType::from_f64_slice`] with the rounding mode `rounding` (this type's).
    #[inline(always)]
    fn quantize_slice(&self, x: &[f64], out: &mut [i64], scale: f64, rounding: Rounding) {
        // NaN takes 0 (rounded from 0.0: a select, not a branch), which every type holds and
        // every overflow mode keeps.
        let rounded = |v: f64| {
            let scaled = v * scale;
            round_scaled(if scaled.is_nan() { 0.0 } else { scaled }, rounding)
        };
        if self.overflow == Overflow::Sat {
            let (lo, hi) = (self.min_raw(), self.max_raw());
            for (o, &v) in out.iter_mut().zip(x) {
                *o = rounded(v).clamp(lo, hi);
            }
        } else if self.overflow == Overflow::Wrap && self.width < 64 {
            // The low `width` bits, sign-extended for signed types: [`FixedType::overflow`]'s
            // wrap, which leaves values in range as they are.
            let up = 64 - self.width;
            for (o, &v) in out.iter_mut().zip(x) {
                *o = low_bits(rounded(v) << up, up, self.signed);
            }
        } else {
            for (o, &v) in out.iter_mut().zip(x) {
                *o = self.overflow(rounded(v));
            }
        }
    }

    /// The raw value of `x · 2^frac` (exact: a power-of-two multiple), rounded and overflowed.
    #[inline(always)]
    fn quantize_scaled(&self, scaled: f64) -> i64 {
        if scaled.is_nan() {
            return 0;
        }
        self.overflow(round_scaled(scaled, self.rounding))
    }
}

/// `x` shifted back down by `up` bits: the low `64 − up` bits of the value `x` was shifted up
/// from, sign-extended for signed types (the wrap of a `64 − up`-bit type).
#[inline(always)]
fn low_bits(x: i64, up: u32, signed: bool) -> i64 {
    if signed { x >> up } else { ((x as u64) >> up) as i64 }
}

/// A finite or infinite `scaled` (not NaN) rounded to an integer with `rounding`, within
/// `±9·10^18` (so that adding the rounding's one cannot overflow).
#[inline(always)]
fn round_scaled(scaled: f64, rounding: Rounding) -> i64 {
    debug_assert!(!scaled.is_nan());
    let lo = scaled.floor();
    let rem = scaled - lo;
    // The unchecked conversion vectorizes (the saturating `as` does not).
    #[allow(unsafe_code)]
    // SAFETY: `scaled` is not NaN, so the clamped `lo` is a finite integer within `±9·10^18`,
    // which `i64` holds.
    let lo_i = unsafe { lo.clamp(-9.0e18, 9.0e18).to_int_unchecked::<i64>() };
    let up = match rounding {
        Rounding::Trn => false,
        Rounding::TrnZero => rem > 0.0 && scaled < 0.0,
        Rounding::Rnd => rem >= 0.5,
        Rounding::RndZero => rem > 0.5 || (rem == 0.5 && scaled < 0.0),
        Rounding::RndMinInf => rem > 0.5,
        Rounding::RndInf => rem > 0.5 || (rem == 0.5 && scaled > 0.0),
        Rounding::RndConv => rem > 0.5 || (rem == 0.5 && lo_i & 1 == 1),
    };
    lo_i + i64::from(up)
}

/// `v · 2^−s` rounded to an integer with `mode` (s ≥ 1).
pub fn round_shift(v: i64, s: u32, mode: Rounding) -> i64 {
    if s >= 63 {
        // Only the sign survives: −1 when truncating a negative value toward −∞, else 0.
        return if mode == Rounding::Trn && v < 0 { -1 } else { 0 };
    }
    let floor = v >> s;
    let rem = v - (floor << s); // 0 ≤ rem < 2^s
    let half = 1i64 << (s - 1);
    let up = match mode {
        Rounding::Trn => false,
        Rounding::TrnZero => v < 0 && rem != 0,
        Rounding::Rnd => rem >= half,
        Rounding::RndZero => rem > half || (rem == half && v < 0),
        Rounding::RndMinInf => rem > half,
        Rounding::RndInf => rem > half || (rem == half && v >= 0),
        Rounding::RndConv => rem > half || (rem == half && floor & 1 == 1),
    };
    floor + i64::from(up)
}

impl fmt::Display for FixedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cpp())
    }
}

/// Casts a slice of raw values with `from_frac` fractional bits into `ty` (the same result as
/// [`FixedType::cast`] element by element), with the mode decisions taken once per slice so the
/// common cases run as straight-line, vectorizable loops.
/// The source values may be any integer type that widens to `i64` (the emulator's tiles pass
/// their 32-bit accumulators without a separate widening pass).
#[inline(always)]
pub fn cast_slice<S: Copy + Into<i64>>(ty: &FixedType, from_frac: i32, src: &[S], dst: &mut [i64]) {
    let shift = ty.frac() - from_frac;
    let (lo, hi) = (ty.min_raw(), ty.max_raw());
    let sat_sym_lo = if ty.signed { lo + 1 } else { lo };
    match (shift, ty.rounding, ty.overflow) {
        (0..=32, _, Overflow::Sat) => {
            for (d, v) in dst.iter_mut().zip(src.iter().map(|&v| v.into())) {
                *d = (v << shift).clamp(lo, hi);
            }
        }
        (0..=32, _, Overflow::Wrap) => {
            // Keep the low W bits, sign-extended for signed types.
            let up = 64 - ty.width;
            for (d, v) in dst.iter_mut().zip(src.iter().map(|&v| v.into())) {
                *d = low_bits((v << shift) << up, up, ty.signed);
            }
        }
        (-62..=-1, Rounding::RndConv, Overflow::Sat | Overflow::SatSym) => {
            let s = (-shift) as u32;
            let half = 1i64 << (s - 1);
            let lo = if ty.overflow == Overflow::SatSym { sat_sym_lo } else { lo };
            for (d, v) in dst.iter_mut().zip(src.iter().map(|&v| v.into())) {
                let f = v >> s;
                let rem = v - (f << s);
                let up = i64::from(rem > half) | (i64::from(rem == half) & (f & 1));
                *d = (f + up).clamp(lo, hi);
            }
        }
        (-62..=-1, Rounding::Trn, Overflow::Sat) => {
            let s = (-shift) as u32;
            for (d, v) in dst.iter_mut().zip(src.iter().map(|&v| v.into())) {
                *d = (v >> s).clamp(lo, hi);
            }
        }
        _ => {
            for (d, v) in dst.iter_mut().zip(src.iter().map(|&v| v.into())) {
                *d = ty.cast(v, from_frac);
            }
        }
    }
}

/// [`cast_slice`] for 32-bit sources (the emulator's dense accumulators), with the same results:
/// into a type of at most 31 bits, in 32-bit lanes where every intermediate provably fits (no
/// shift, a left shift that wraps, or a right shift of 1 to 31 bits that truncates or rounds
/// half to even; then saturation or wrapping). 32-bit lanes vectorize on every SIMD level, SSE2
/// included, where 64-bit compares and arithmetic shifts do not exist. Other cases take
/// [`cast_slice`].
///
/// Why the lanes suffice, for `v` in `i32` and a right shift by `s` in `1..=31`: `f = v >> s` is
/// `floor(v / 2^s)`; `f << s` lies in `[v − 2^s + 1, v]` and is a multiple of `2^s`, so it is at
/// least `i32::MIN`; the remainder lies in `[0, 2^s)`; `|f| ≤ 2^30`, so `f + 1` fits. A left
/// shift keeps the low 32 bits of `v · 2^shift`, of which a wrap to at most 31 bits keeps fewer.
#[inline(always)]
pub fn cast_slice_i32(ty: &FixedType, from_frac: i32, src: &[i32], dst: &mut [i64]) {
    if !cast_slice_i32_lanes(ty, from_frac, src, dst) {
        cast_slice(ty, from_frac, src, dst);
    }
}

/// The 32-bit cases of [`cast_slice_i32`] into 64-bit or 32-bit destinations (the emulator's
/// tiles keep values of at most 31 bits in 32-bit lanes): `false`, with nothing written, where
/// [`cast_slice_i32`] takes [`cast_slice`]. Every result lies in the type's raw range, so it
/// fits `i32`.
#[inline(always)]
pub fn cast_slice_i32_lanes<D: From<i32>>(ty: &FixedType, from_frac: i32, src: &[i32], dst: &mut [D]) -> bool {
    let shift = ty.frac() - from_frac;
    ty.width <= 31
        && (-31..=31).contains(&shift)
        && match (shift.signum(), ty.rounding) {
            (0, _) => overflow_i32(ty, src, dst, |v| v),
            (1, _) => ty.overflow == Overflow::Wrap && overflow_i32(ty, src, dst, |v| v.wrapping_shl(shift as u32)),
            (_, Rounding::Trn) => overflow_i32(ty, src, dst, |v| v >> -shift),
            (_, Rounding::RndConv) => {
                let s = -shift;
                let half = 1i32 << (s - 1);
                overflow_i32(ty, src, dst, |v| {
                    let f = v >> s;
                    let rem = v - (f << s);
                    f + (i32::from(rem > half) | (i32::from(rem == half) & (f & 1)))
                })
            }
            _ => false,
        }
}

/// `dst = overflow(round(src))` in 32-bit lanes for a type of at most 31 bits (saturation or
/// wrapping); `false`, with nothing written, for the other overflow modes.
#[inline(always)]
fn overflow_i32<D: From<i32>>(ty: &FixedType, src: &[i32], dst: &mut [D], round: impl Fn(i32) -> i32) -> bool {
    debug_assert!(ty.width <= 31);
    let (lo, hi) = (ty.min_raw() as i32, ty.max_raw() as i32);
    let up = 32 - ty.width;
    match ty.overflow {
        Overflow::Sat => map_i32(src, dst, |v| round(v).clamp(lo, hi)),
        Overflow::SatSym => {
            let lo = if ty.signed { lo + 1 } else { lo };
            map_i32(src, dst, |v| round(v).clamp(lo, hi))
        }
        Overflow::Wrap if ty.signed => map_i32(src, dst, |v| (round(v) << up) >> up),
        Overflow::Wrap => map_i32(src, dst, |v| (((round(v) as u32) << up) >> up) as i32),
        Overflow::SatZero => return false,
    }
    true
}

/// `dst[k] = f(src[k])`, widened where `D` is wider: one straight loop per `f`, for the compiler
/// to vectorize.
#[inline(always)]
fn map_i32<D: From<i32>>(src: &[i32], dst: &mut [D], f: impl Fn(i32) -> i32) {
    for (d, &v) in dst.iter_mut().zip(src) {
        *d = D::from(f(v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounding_modes_at_ties_and_between() {
        // Values in quarters: −1.5, −0.75(=−3/4), −0.5, 0.5, 0.75, 1.5, 2.5 → shift by 2 bits.
        let cases: [(i64, [i64; 7]); 7] = [
            (-6, [-2, -1, -1, -1, -2, -2, -2]),
            (-3, [-1, 0, -1, -1, -1, -1, -1]),
            (-2, [-1, 0, 0, 0, -1, -1, 0]),
            (2, [0, 0, 1, 0, 0, 1, 0]),
            (3, [0, 0, 1, 1, 1, 1, 1]),
            (6, [1, 1, 2, 1, 1, 2, 2]),
            (10, [2, 2, 3, 2, 2, 3, 2]),
        ];
        for (v, want) in cases {
            for (m, w) in Rounding::ALL.iter().zip(want) {
                assert_eq!(round_shift(v, 2, *m), w, "{v}/4 with {m:?}");
                let t = FixedType::new(8, 8, true).unwrap().with_modes(*m, Overflow::Wrap);
                assert_eq!(t.from_f64(v as f64 / 4.0), w, "from_f64 {v}/4 with {m:?}");
            }
        }
    }

    #[test]
    fn cast_slice_equals_cast() {
        let vals: Vec<i64> = (-3000..3000).map(|v| v * 7 + 3).collect();
        for rounding in [Rounding::RndConv, Rounding::Trn, Rounding::RndInf, Rounding::TrnZero] {
            for overflow in [Overflow::Sat, Overflow::SatSym, Overflow::Wrap] {
                for (w, i, signed) in [(6, 0, false), (8, 3, true), (12, 12, true)] {
                    let t = FixedType::new(w, i, signed).unwrap().with_modes(rounding, overflow);
                    for from in [-2, 0, 3, 9] {
                        let mut out = vec![0; vals.len()];
                        cast_slice(&t, from, &vals, &mut out);
                        let want: Vec<i64> = vals.iter().map(|&v| t.cast(v, from)).collect();
                        assert_eq!(out, want, "{t} from {from}");
                    }
                }
            }
        }
    }

    /// The slice form, with its modes decided once per slice, gives [`FixedType::from_f64`]'s
    /// values: on ties at every scale, NaN, infinities and values beyond every type.
    #[test]
    fn from_f64_slice_equals_from_f64() {
        let mut x = vec![f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e300, -1e300, 9.5e18, -9.5e18];
        for k in -600..600 {
            x.extend([f64::from(k) / 8.0, f64::from(k) * 0.37, f64::from(k) * 1e3 + 0.5]);
        }
        for rounding in Rounding::ALL {
            for overflow in Overflow::ALL {
                for (w, i, signed) in [(1, 1, false), (6, 0, false), (8, 3, true), (16, 6, true), (40, 20, true)] {
                    let t = FixedType::new(w, i, signed).unwrap().with_modes(rounding, overflow);
                    let mut out = vec![0; x.len()];
                    t.from_f64_slice(&x, &mut out);
                    for (&v, &o) in x.iter().zip(&out) {
                        assert_eq!(o, t.from_f64(v), "{t}: {v}");
                    }
                }
            }
        }
    }

    #[test]
    fn cast_slice_i32_equals_cast() {
        // The ends of i32, values around powers of two and ties, and a spread between.
        let mut vals: Vec<i32> = vec![i32::MIN, i32::MIN + 1, i32::MAX, i32::MAX - 1, 0, 1, -1];
        for b in 1..31 {
            for d in [-1, 0, 1] {
                vals.extend([(1i32 << b) + d, -(1i32 << b) + d, (3i32 << (b - 1)) + d, -(3i32 << (b - 1)) + d]);
            }
        }
        vals.extend((-2000..2000).map(|k: i32| k.wrapping_mul(1_234_567)));
        let wide: Vec<i64> = vals.iter().map(|&v| i64::from(v)).collect();
        for rounding in Rounding::ALL {
            for overflow in Overflow::ALL {
                for (w, i, signed) in [
                    (1, 1, false),
                    (2, 1, true),
                    (6, 0, false),
                    (8, 3, true),
                    (16, 6, true),
                    (31, 9, true),
                    (31, 31, false),
                    (32, 12, true),
                    (40, 20, true),
                ] {
                    let t = FixedType::new(w, i, signed).unwrap().with_modes(rounding, overflow);
                    for shift in -34..=34 {
                        let from = t.frac() - shift;
                        let mut out = vec![0; vals.len()];
                        cast_slice_i32(&t, from, &vals, &mut out);
                        let want: Vec<i64> = wide.iter().map(|&v| t.cast(v, from)).collect();
                        assert_eq!(out, want, "{t} from {from}");
                        // The same into 32-bit lanes, where those cases apply.
                        let mut narrow = vec![0i32; vals.len()];
                        if cast_slice_i32_lanes(&t, from, &vals, &mut narrow) {
                            assert!(t.width <= 31, "{t}: 32-bit lanes for a type wider than 31 bits");
                            let narrow: Vec<i64> = narrow.into_iter().map(i64::from).collect();
                            assert_eq!(narrow, want, "{t} from {from}, 32-bit lanes");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn overflow_modes() {
        let t = FixedType::new(4, 4, true).unwrap(); // −8..7
        assert_eq!(t.with_modes(Rounding::Trn, Overflow::Wrap).overflow(9), -7);
        assert_eq!(t.with_modes(Rounding::Trn, Overflow::Wrap).overflow(-9), 7);
        assert_eq!(t.with_modes(Rounding::Trn, Overflow::Sat).overflow(9), 7);
        assert_eq!(t.with_modes(Rounding::Trn, Overflow::Sat).overflow(-100), -8);
        assert_eq!(t.with_modes(Rounding::Trn, Overflow::SatSym).overflow(-100), -7);
        assert_eq!(t.with_modes(Rounding::Trn, Overflow::SatSym).overflow(-8), -7);
        assert_eq!(t.with_modes(Rounding::Trn, Overflow::SatZero).overflow(8), 0);
        let u = FixedType::new(3, 3, false).unwrap().with_modes(Rounding::Trn, Overflow::Sat);
        assert_eq!((u.overflow(-2), u.overflow(9)), (0, 7));
    }

    #[test]
    fn cast_between_scales() {
        let acc = 0b1011_0110; // 182 at 5 fractional bits = 5.6875
        let t = FixedType::new(6, 0, false).unwrap().with_modes(Rounding::RndConv, Overflow::Sat); // ufixed<6,0>
        assert_eq!(t.cast(acc, 5), 63); // saturates at 63/64
        let t = FixedType::new(8, 4, true).unwrap().with_modes(Rounding::RndConv, Overflow::Sat); // 4 frac bits
        assert_eq!(t.cast(acc, 5), 91); // 182/2 = 91 exactly
        assert_eq!(t.cast(183, 5), 92); // 91.5 → 92 (even)
        assert_eq!(t.cast(181, 5), 90); // 90.5 → 90 (even)
        assert_eq!(t.cast(3, 2), 12); // widening is exact
        assert_eq!(FixedType::for_range(-5, 100, 3).unwrap().cpp(), "ap_fixed<8,5>");
        assert_eq!(FixedType::for_range(0, 255, 0).unwrap().cpp(), "ap_ufixed<8,8>");
    }
}
