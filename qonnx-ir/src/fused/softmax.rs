//! The row softmax at the end of a chain, computed as the `Softmax` op computes each row, several
//! rows side by side.

use super::Backend;
#[cfg(target_arch = "x86_64")]
use super::x86;
use crate::ops::softmax_row;

/// Lanes of the row-parallel softmax.
pub(super) const SOFT_LANES: usize = 16;

/// [`softmax_row`] on each row of `n` values in `o`.
pub(super) fn softmax_rows(be: Backend, o: &mut [f32], n: usize, scratch: &mut Vec<f32>) {
    match be {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX-512F (`Backend::detect`, `Backend::of`).
        #[allow(unsafe_code)]
        Backend::Avx512 { .. } => unsafe { x86::softmax_rows_avx512(o, n, scratch) },
        _ => softmax_rows_impl(o, n, scratch),
    }
}

/// [`softmax_row`] on each row of `n` values in `o`, 16 rows at a time side by side, so that all
/// but the `exp` calls run on vectors: for each row, the same float32 operations in the same
/// order (the maximum by `f32::max`, whose choice between +0 and −0 cannot matter as it is only
/// subtracted; the sum accumulated from the first column on; one division per value).
#[inline(always)]
pub(super) fn softmax_rows_impl(o: &mut [f32], n: usize, scratch: &mut Vec<f32>) {
    let block = SOFT_LANES * n;
    scratch.resize(block, 0.0);
    let t = &mut scratch[..block];
    let mut chunks = o.chunks_exact_mut(block);
    for rows in &mut chunks {
        // t[j][l]: column j of row l.
        for (l, row) in rows.chunks_exact(n).enumerate() {
            for (j, &v) in row.iter().enumerate() {
                t[j * SOFT_LANES + l] = v;
            }
        }
        let mut m = [f32::NEG_INFINITY; SOFT_LANES];
        for col in t.chunks_exact(SOFT_LANES) {
            for (m, &v) in m.iter_mut().zip(col) {
                *m = m.max(v);
            }
        }
        for col in t.chunks_exact_mut(SOFT_LANES) {
            for (e, &m) in col.iter_mut().zip(&m) {
                *e -= m;
            }
        }
        exp_all(t);
        let mut sum = [0f32; SOFT_LANES];
        for col in t.chunks_exact(SOFT_LANES) {
            for (s, &e) in sum.iter_mut().zip(col) {
                *s += e;
            }
        }
        for (l, row) in rows.chunks_exact_mut(n).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = t[j * SOFT_LANES + l] / sum[l];
            }
        }
    }
    for row in chunks.into_remainder().chunks_exact_mut(n) {
        softmax_row(row, false);
    }
}

/// `exp` of each value: one libm call each, in a plain loop (not spread over vector lanes).
#[inline(never)]
pub(super) fn exp_all(t: &mut [f32]) {
    for e in t {
        *e = e.exp();
    }
}
