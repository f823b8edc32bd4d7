//! The fused chains' kernels in plain Rust, for the CPUs without the x86-64 ones (and the
//! tails of products computed elsewhere on every backend but AVX-512): written an operation at
//! a time over arrays of fixed size, so that the compiler vectorizes them for the target (SSE2
//! on x86-64, NEON on aarch64), with the same float32 operations on each element as the separate
//! ops.

use super::{DenseStage, Dst, PANEL};

/// [`super::dense_f32`] in plain Rust. The sums are exact, so any order gives them: to float rows,
/// [`ROWS`] rows and a panel at a time with the accumulators in registers, then
/// [`DenseStage::tails_row`]; to byte codes (which only AVX-512 VNNI stages read, so this path is
/// for completeness), per row and panel.
#[inline(always)]
pub(super) fn dense_f32(st: &DenseStage, x: &[f32], xs: usize, rows: usize, mut dst: Dst<'_>) -> bool {
    let k = st.k;
    if let Dst::F32 { data, stride } = &mut dst {
        let mut sums = vec![0f32; ROWS * st.np];
        for r0 in (0..rows).step_by(ROWS) {
            let take = ROWS.min(rows - r0);
            let mut xr = [[0f32; 0].as_slice(); ROWS];
            for (i, xr) in xr.iter_mut().enumerate() {
                // Rows past the tile repeat its last row; their sums are not written.
                let r = r0 + i.min(take - 1);
                *xr = &x[r * xs..r * xs + k];
            }
            for (p, panel) in st.wp.chunks_exact(k * PANEL).enumerate() {
                let mut acc = [[0f32; PANEL]; ROWS];
                for (kk, wr) in panel.chunks_exact(PANEL).enumerate() {
                    for (acc, xr) in acc.iter_mut().zip(&xr) {
                        let a = xr[kk];
                        for (c, &w) in acc.iter_mut().zip(wr) {
                            *c += a * w;
                        }
                    }
                }
                for (i, acc) in acc.iter().enumerate() {
                    sums[i * st.np + p * PANEL..i * st.np + (p + 1) * PANEL].copy_from_slice(acc);
                }
            }
            for i in 0..take {
                let out = &mut data[(r0 + i) * *stride..(r0 + i) * *stride + st.n];
                st.tails_row(&sums[i * st.np..i * st.np + st.n], out);
            }
        }
        return true;
    }
    let mut ok = true;
    for r in 0..rows {
        let xr = &x[r * xs..r * xs + k];
        for (p, panel) in st.wp.chunks_exact(k * PANEL).enumerate() {
            let mut acc = [0f32; PANEL];
            for (&a, wr) in xr.iter().zip(panel.chunks_exact(PANEL)) {
                for (c, &w) in acc.iter_mut().zip(wr) {
                    *c += a * w;
                }
            }
            for (j, &v) in acc.iter().enumerate() {
                ok &= st.tail_to(p * PANEL + j, v, &mut dst, r);
            }
        }
    }
    ok
}

/// Rows the portable float kernel computes together: their accumulators (four vectors a row on
/// 128-bit SIMD) stay in the vector registers, 16 on x86-64, 32 on aarch64.
const ROWS: usize = if cfg!(target_arch = "aarch64") { 4 } else { 2 };

/// [`super::tails_from`] in plain Rust: to float rows by [`DenseStage::tails_row`], to byte
/// codes per value.
#[inline(always)]
pub(super) fn tails_from(st: &DenseStage, acc: &[f32], rows: usize, mut dst: Dst<'_>) -> bool {
    if let Dst::F32 { data, stride } = &mut dst {
        for (src, out) in acc.chunks_exact(st.n).take(rows).zip(data.chunks_mut(*stride)) {
            st.tails_row(src, &mut out[..st.n]);
        }
        return true;
    }
    // Byte codes: every column of the padded row.
    let mut ok = true;
    for r in 0..rows {
        for c in 0..st.np {
            let v = if c < st.n { acc[r * st.n + c] } else { 0.0 };
            ok &= st.tail_to(c, v, &mut dst, r);
        }
    }
    ok
}
