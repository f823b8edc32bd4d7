//! The proof that a stage's float32 product sums are exact, so that any summation order gives
//! the same value: statically from the input quantizer and the weight grids
//! ([`sums_exact_for`]), or per tile of float input by a [`Certificate`].

use ndarray::ArrayView2;

use super::Backend;
#[cfg(target_arch = "x86_64")]
use super::x86;

/// How a stage knows that its float32 product sums are exact.
#[derive(Debug, Clone)]
pub(crate) enum Sums {
    /// Proven when the executor was built (quantized input, bounded weights).
    Exact,
    /// To be checked on each tile of input; `None` when no input can pass (the product is then
    /// always computed as the unfused `MatMul` computes it).
    Checked(Option<Certificate>),
}

/// The bounds a tile of float input must meet for a stage's sums to be exact: see
/// [`Certificate::holds`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Certificate {
    /// `⌈log2 max_c Σ_k |w_kc| / 2^e_c⌉`, with `e_c` the grid exponent of column `c`.
    units_log2: i32,
    /// The smallest and largest column grid exponent.
    ew_min: i32,
    ew_max: i32,
}

impl Certificate {
    /// Whether every partial sum of `x · w` is exactly representable in float32 for these `rows`
    /// rows of `k` inputs (row stride `xs`), so that any summation order gives the same value.
    ///
    /// With `M = max |x|` (finite) and `M < 2^(e_M+1)`, `e_M ≥ −126`, let `u = 2^e_u` with
    /// `e_u ≥ e_M + 1 + units_log2 − 24`. If every `x` is an integer multiple `q·u`, then
    /// `|q| < 2^(24 − units_log2)`, and each partial sum of column `c` is an integer multiple of
    /// `2^(e_u+e_c)` below `2^24` of them: exact, as long as that unit is a normal number and
    /// `2^(e_u+e_c+24)` is finite, which the bounds on `e_u` ensure.
    pub(super) fn holds(&self, be: Backend, x: &[f32], xs: usize, k: usize, rows: usize) -> bool {
        assert!(rows == 0 || (xs >= k && (rows - 1) * xs + k <= x.len()));
        match be {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has AVX-512F (`Backend::detect`, `Backend::of`).
            #[allow(unsafe_code)]
            Backend::Avx512 { .. } => unsafe { x86::holds_avx512(self, x, xs, k, rows) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the CPU has AVX2 and FMA (`Backend::detect`, `Backend::of`).
            #[allow(unsafe_code)]
            Backend::Avx2 => unsafe { x86::holds_avx2(self, x, xs, k, rows) },
            Backend::Portable => self.holds_impl(x, xs, k, rows),
        }
    }

    /// [`Certificate::holds`] in plain Rust.
    #[inline(always)]
    pub(super) fn holds_impl(&self, x: &[f32], xs: usize, k: usize, rows: usize) -> bool {
        // max |x| by the bit patterns (integer order is float order for non-negative floats, and
        // an integer maximum vectorizes); infinity and NaN lie above every finite value.
        let rows_of = || (0..rows).map(|r| &x[r * xs..r * xs + k]);
        let flat = (xs == k).then(|| &x[..rows * k]);
        let mut mb = 0u32;
        for row in flat.into_iter().chain(rows_of().filter(|_| flat.is_none())) {
            for &v in row {
                mb = mb.max(v.to_bits() & 0x7fff_ffff);
            }
        }
        if mb >= 0x7f80_0000 {
            return false;
        }
        // M < 2^(e_m + 1) (subnormals and zero: e_m = −126).
        let e_m = ((mb >> 23) as i32 - 127).max(-126);
        let e_u = (e_m + 1 + self.units_log2 - 24).max(-126 - self.ew_min).max(-126);
        if e_u > 126 || e_u + self.ew_max + 24 > 127 {
            return false;
        }
        let inv = f32::from_bits(((127 - e_u) as u32) << 23); // 2^−e_u, a normal number
        // x = q·u with integer q ≠ 0 gives |x·(1/u)| ≥ 1, computed exactly; NaN fails.
        let mut ok = true;
        for row in flat.into_iter().chain(rows_of().filter(|_| flat.is_none())) {
            for &v in row {
                let t = v * inv;
                ok &= (v == 0.0) | ((t.abs() >= 1.0) & (t == t.trunc()));
            }
        }
        ok
    }
}

/// The power-of-two grid of each weight column.
pub(crate) struct Grids {
    /// For each column, the largest `e` such that every weight is an integer multiple of `2^e`
    /// (`None` for a column of zeros).
    pub ew: Vec<Option<i32>>,
    /// For each column, `Σ_k |w_kc| / 2^e_c`.
    pub units: Vec<f64>,
}

/// The column grids of `w`, or `None` when a weight is not finite.
pub(crate) fn column_grids(w: ArrayView2<'_, f32>) -> Option<Grids> {
    let mut g = Grids { ew: Vec::new(), units: Vec::new() };
    for col in w.columns() {
        let mut e = None::<i32>;
        for &v in col {
            if !v.is_finite() {
                return None;
            }
            if v != 0.0 {
                let ev = grid_exponent(f64::from(v))?;
                e = Some(e.map_or(ev, |e| e.min(ev)));
            }
        }
        let units = e.map_or(0.0, |e| col.iter().map(|&v| f64::from(v).abs() * 2f64.powi(-e)).sum());
        g.ew.push(e);
        g.units.push(units);
    }
    Some(g)
}

/// The static proof: inputs that are integer multiples of `2^ex` with magnitude at most
/// `qmax·2^ex` give partial sums below 2^24 units of `2^(ex+e_c)` in every column, with that unit
/// a normal float32 and `2^(ex+e_c+24)` finite.
pub(crate) fn sums_exact_for(g: &Grids, ex: i32, qmax: f64) -> bool {
    let limit = f64::from(1u32 << 24);
    g.ew.iter().zip(&g.units).all(|(ew, &units)| match ew {
        None => true,
        Some(ew) => units * qmax < limit && ex + ew >= -126 && ex + ew + 24 <= 127,
    })
}

/// The certificate for checking float inputs against `g`, if any input can pass.
pub(crate) fn certificate(g: &Grids) -> Option<Certificate> {
    let max_units = g.units.iter().copied().fold(0.0, f64::max);
    let mut units_log2 = 0;
    while f64::from(units_log2).exp2() < max_units {
        units_log2 += 1;
        if units_log2 > 60 {
            return None;
        }
    }
    let (ew_min, ew_max) = match (g.ew.iter().flatten().min(), g.ew.iter().flatten().max()) {
        (Some(&a), Some(&b)) => (a, b),
        _ => (0, 0),
    };
    Some(Certificate { units_log2, ew_min, ew_max })
}

/// `e` such that `v = 2^e`, if `v` is a positive power of two.
pub(crate) fn pow2_exponent(v: f64) -> Option<i32> {
    (v > 0.0 && v.is_finite() && v.log2().fract() == 0.0).then(|| v.log2() as i32)
}

/// The largest `e` such that `v` is an integer multiple of `2^e` (for finite non-zero `v`).
fn grid_exponent(v: f64) -> Option<i32> {
    if !v.is_finite() || v == 0.0 {
        return None;
    }
    let bits = v.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as i32;
    let mant = (bits & ((1u64 << 52) - 1)) | if exp == 0 { 0 } else { 1u64 << 52 };
    let e = if exp == 0 { -1074 } else { exp - 1075 };
    Some(e + mant.trailing_zeros() as i32)
}
