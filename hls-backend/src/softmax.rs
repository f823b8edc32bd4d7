//! The lookup-table softmax, specified in integers so that the Rust emulator and the generated
//! C++ compute the same bits.
//!
//! For inputs `x_i` (raw, `F` fractional bits): `d_i = max − x_i`; the exponential table is
//! indexed by `d_i` at [`EXP_FRAC`] fractional bits (truncated, capped at the last entry) and
//! holds `round(e^−d · 2^16)`; the sum `s = Σ e_i` indexes the inverse table by its top
//! [`INV_BITS`] bits; the output is `(e_i · inv[k]) >> 16`, an `ap_ufixed<16,0>` saturated at
//! its maximum.

use crate::fixed::{FixedType, Overflow, Rounding};

/// Fractional bits of the exponential table's index.
pub const EXP_FRAC: i32 = 6;
/// Entries of the exponential table (covers `d` in `[0, 16)`).
pub const EXP_SIZE: usize = 1024;
/// Index bits of the inverse table.
pub const INV_BITS: u32 = 10;

/// The output type: `ap_ufixed<16,0>` with saturation.
pub fn output_type() -> FixedType {
    FixedType { width: 16, int_bits: 0, signed: false, rounding: Rounding::Trn, overflow: Overflow::Sat }
}

/// `round(e^(−k/2^EXP_FRAC) · 2^16)` for every index.
pub fn exp_table() -> Vec<u32> {
    (0..EXP_SIZE).map(|k| ((-(k as f64) / f64::from(EXP_FRAC).exp2()).exp() * 65536.0).round() as u32).collect()
}

/// The shift that takes the largest possible sum for `n` classes to [`INV_BITS`] bits.
pub fn inv_shift(n: usize) -> u32 {
    let max_sum = n as u64 * 65536;
    let bits = 64 - max_sum.leading_zeros();
    bits.saturating_sub(INV_BITS)
}

/// `round(2^(32 − shift) / (k + 0.5))`, capped to 32 bits, for every index.
pub fn inv_table(n: usize) -> Vec<u64> {
    let shift = inv_shift(n);
    (0..(1usize << INV_BITS))
        .map(|k| ((2f64.powi(32 - shift as i32) / (k as f64 + 0.5)).round() as u64).min(u64::from(u32::MAX)))
        .collect()
}

/// Softmax of one vector of raw values with `frac` fractional bits, into raw outputs.
pub fn softmax(x: &[i64], frac: i32, exp: &[u32], inv: &[u64], shift: u32, out: &mut [i64]) {
    let m = x.iter().copied().max().unwrap_or(0);
    let mut sum: u64 = 0;
    let mut e = [0u64; 64];
    let mut big = Vec::new();
    let es: &mut [u64] = if x.len() <= 64 {
        &mut e[..x.len()]
    } else {
        big.resize(x.len(), 0);
        &mut big
    };
    for (k, &v) in x.iter().enumerate() {
        es[k] = exp_entry(m, v, frac, exp);
        sum += es[k];
    }
    let factor = inv_entry(sum, inv, shift);
    for (o, &ev) in out.iter_mut().zip(es.iter()) {
        *o = scaled(ev, factor);
    }
}

/// [`softmax`] on a tile of `T` samples at once: `x` and `out` are column-major, `[n][T]` (the
/// HLS emulator's tiles, whose narrow form holds `i32`), and each sample's outputs are those of
/// [`softmax`] on its column. Inlined, so that its loops are compiled for the caller's SIMD
/// level (the emulator's tile loop is compiled once per level).
#[inline(always)]
pub fn softmax_tile<const T: usize, V: Copy + Into<i64>>(
    x: &[V],
    frac: i32,
    exp: &[u32],
    inv: &[u64],
    shift: u32,
    out: &mut [i64],
) {
    let (rows, _) = x.as_chunks::<T>();
    let (outs, _) = out.as_chunks_mut::<T>();
    let mut m = [0i64; T];
    if let Some(first) = rows.first() {
        m = first.map(Into::into);
    }
    for row in rows {
        for (mr, &v) in m.iter_mut().zip(row) {
            *mr = (*mr).max(v.into());
        }
    }
    // The table entries go to `out` first, then their scaled values.
    let mut sum = [0u64; T];
    for (row, o) in rows.iter().zip(outs.iter_mut()) {
        for (((or, sr), &v), &mr) in o.iter_mut().zip(&mut sum).zip(row).zip(&m) {
            let e = exp_entry(mr, v.into(), frac, exp);
            *sr += e;
            *or = e as i64;
        }
    }
    let factor = sum.map(|sr| inv_entry(sr, inv, shift));
    for o in outs.iter_mut() {
        for (or, &f) in o.iter_mut().zip(&factor) {
            *or = scaled(*or as u64, f);
        }
    }
}

/// The exponential table's entry for `v` under the maximum `m` (raw, `frac` fractional bits).
#[inline(always)]
fn exp_entry(m: i64, v: i64, frac: i32, exp: &[u32]) -> u64 {
    let d = (m - v) as u64;
    let idx = if frac >= EXP_FRAC { d >> (frac - EXP_FRAC) } else { d << (EXP_FRAC - frac).min(32) };
    u64::from(exp[(idx as usize).min(EXP_SIZE - 1)])
}

/// The inverse table's entry for a vector whose table entries sum to `sum`.
#[inline(always)]
fn inv_entry(sum: u64, inv: &[u64], shift: u32) -> u64 {
    inv[((sum >> shift) as usize).min(inv.len() - 1)]
}

/// The output for the table entry `e` and the vector's inverse-table entry `factor`.
#[inline(always)]
fn scaled(e: u64, factor: u64) -> i64 {
    ((e * factor) >> 16).min(65535) as i64
}
