//! x86-64 kernels of the fused chains: AVX-512 (float32 FMA, and byte-code dot products with
//! VNNI), AVX2 + FMA (float32 FMA), and the plain-Rust kernels compiled for AVX2 + FMA.
//!
//! Every function here computes what the portable kernels in `super` compute, bit for bit: the
//! product sums are exact (see the module above), and the tail uses the float32 operations of the
//! separate ops, lane by lane (`min`/`max` with the operand order of the scalar comparisons, so
//! that NaN goes through as it does there; round to nearest even by `vrndscaleps`, which keeps the
//! sign of a zero result as the magic-number rounding with `copysign` does).
//!
//! The functions are `unsafe` because they need the CPU features they are compiled for; the
//! callers check them (`Backend::detect`, `Backend::of`). Memory is accessed through raw pointers only after
//! the slice bounds have been checked at the top of each entry point.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

use super::{Certificate, DenseStage, Dst, Int8Weights, PANEL};

/// `vrndscaleps` immediate: round to nearest even, integer result, no exceptions.
const ROUND_NEAREST: i32 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;

/// The most accumulator registers of a block (rows × panels).
const MAX_ACC: usize = 24;

/// Lanes of panel `p` that hold one of the `n` real columns.
#[inline(always)]
fn lanes(n: usize, p: usize) -> __mmask16 {
    let left = n - p * PANEL;
    if left >= PANEL { 0xffff } else { (1u16 << left) - 1 }
}

/// Where the tail writes, as raw pointers (bounds checked by [`Out::new`]).
#[derive(Clone, Copy)]
enum Out {
    F32 { p: *mut f32, stride: usize },
    Codes { p: *mut u8, stride: usize, offset: i32 },
}

impl Out {
    /// Checks that `rows` rows of the stage's output fit `dst`, and the stage's own arrays.
    fn new(st: &DenseStage, dst: Dst<'_>, rows: usize) -> Out {
        assert!(st.np.is_multiple_of(PANEL) && st.np >= st.n && st.wp.len() == st.np * st.k);
        assert!(st.bias.as_ref().is_none_or(|b| b.len() == st.np));
        match dst {
            Dst::F32 { data, stride } => {
                assert!(stride >= st.n && (rows == 0 || (rows - 1) * stride + st.n <= data.len()));
                Out::F32 { p: data.as_mut_ptr(), stride }
            }
            Dst::Codes { data, stride, offset } => {
                assert!(stride >= st.np && (rows == 0 || (rows - 1) * stride + st.np <= data.len()));
                assert!(st.quant.as_ref().is_some_and(|q| q.code_offset.is_some()));
                Out::Codes { p: data.as_mut_ptr(), stride, offset }
            }
        }
    }
}

/// Bias, ReLU and quantizer on the product sums `v` of panel `p`, written to row `r` of `out`.
/// Returns the lanes that were NaN where byte codes were written (if `NAN`: sums from byte codes
/// are finite, and so is everything after them).
#[inline(always)]
unsafe fn tail<const NAN: bool>(st: &DenseStage, p: usize, mut v: __m512, out: Out, r: usize) -> __mmask16 {
    // SAFETY (whole function): the caller has AVX-512F; `bias` has `np` entries; `out` holds row
    // `r` (checked by `Out::new`), with `np` bytes a row for codes and `n` floats for values.
    unsafe {
        let zero = _mm512_setzero_ps();
        if let Some(b) = &st.bias {
            v = _mm512_add_ps(v, _mm512_loadu_ps(b.as_ptr().add(p * PANEL)));
        }
        if st.relu && !st.relu_in_quant {
            // x > 0 or NaN stays; anything else (−0.0 included) becomes +0.0.
            let le = _mm512_cmp_ps_mask::<_CMP_LE_OQ>(v, zero);
            v = _mm512_mask_mov_ps(v, le, zero);
        }
        let Some(q) = &st.quant else {
            if let Out::F32 { p: o, stride } = out {
                _mm512_mask_storeu_ps(o.add(r * stride + p * PANEL), lanes(st.n, p), v);
            }
            return 0;
        };
        let mut y = match q.inv_s {
            Some(inv) => _mm512_mul_ps(v, _mm512_set1_ps(inv)),
            None => _mm512_div_ps(v, _mm512_set1_ps(q.s)),
        };
        y = _mm512_add_ps(y, _mm512_set1_ps(q.z));
        // `if y > hi { hi }` then `if y < lo { lo }`: vminps/vmaxps return the second operand
        // when the comparison is false (NaN included).
        y = _mm512_min_ps(_mm512_set1_ps(q.hi), y);
        y = _mm512_max_ps(_mm512_set1_ps(q.lo), y);
        let l = _mm512_roundscale_ps::<ROUND_NEAREST>(y);
        match out {
            Out::F32 { p: o, stride } => {
                let z = _mm512_set1_ps(q.z);
                let val = _mm512_mul_ps(_mm512_sub_ps(l, z), _mm512_set1_ps(q.s));
                _mm512_mask_storeu_ps(o.add(r * stride + p * PANEL), lanes(st.n, p), val);
                0
            }
            Out::Codes { p: o, stride, offset } => {
                let nan = if NAN { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(l, l) } else { 0 };
                let c = _mm512_add_epi32(_mm512_cvtps_epi32(l), _mm512_set1_epi32(offset));
                _mm_storeu_si128(o.add(r * stride + p * PANEL).cast(), _mm512_cvtepi32_epi8(c));
                nan
            }
        }
    }
}

/// Float32 product sums of rows `r0 .. r0+R` and panels `p0 .. p0+NB`, then the tail.
#[inline(always)]
unsafe fn f32_block<const R: usize, const NB: usize>(
    st: &DenseStage,
    x: *const f32,
    xs: usize,
    r0: usize,
    p0: usize,
    out: Out,
) -> __mmask16 {
    const { assert!(R * NB <= MAX_ACC) };
    // SAFETY: the caller has AVX-512F and checked that rows `r0 .. r0+R` of `k` inputs lie in
    // `x` and panels `p0 .. p0+NB` in `st.wp`.
    unsafe {
        let k = st.k;
        let mut acc = [[_mm512_setzero_ps(); NB]; R];
        let w = st.wp.as_ptr().add(p0 * k * PANEL);
        let xr = x.add(r0 * xs);
        for kk in 0..k {
            let mut wv = [_mm512_setzero_ps(); NB];
            for (b, wv) in wv.iter_mut().enumerate() {
                *wv = _mm512_loadu_ps(w.add(b * k * PANEL + kk * PANEL));
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                let a = _mm512_set1_ps(*xr.add(r * xs + kk));
                for (acc, &wv) in acc.iter_mut().zip(&wv) {
                    *acc = _mm512_fmadd_ps(a, wv, *acc);
                }
            }
        }
        // Through memory once, so that the accumulators stay in registers in the loop above.
        let mut sums = [0f32; MAX_ACC * PANEL];
        for (r, acc) in acc.iter().enumerate() {
            for (b, &v) in acc.iter().enumerate() {
                _mm512_storeu_ps(sums.as_mut_ptr().add((r * NB + b) * PANEL), v);
            }
        }
        let mut nan = 0;
        for r in 0..R {
            for b in 0..NB {
                nan |= tail::<true>(st, p0 + b, _mm512_loadu_ps(sums.as_ptr().add((r * NB + b) * PANEL)), out, r0 + r);
            }
        }
        nan
    }
}

/// All rows for panels `p0 .. p0+NB`, `R` rows at a time.
#[inline(always)]
unsafe fn f32_panels<const R: usize, const NB: usize>(
    st: &DenseStage,
    x: *const f32,
    xs: usize,
    rows: usize,
    p0: usize,
    out: Out,
) -> __mmask16 {
    // SAFETY: as for `f32_block`, for all `rows`.
    unsafe {
        let mut nan = 0;
        let mut r = 0;
        while r + R <= rows {
            nan |= f32_block::<R, NB>(st, x, xs, r, p0, out);
            r += R;
        }
        while r < rows {
            nan |= f32_block::<1, NB>(st, x, xs, r, p0, out);
            r += 1;
        }
        nan
    }
}

/// Exact float32 product sums (fused multiply–add, which equals multiply-then-add when the sums
/// are exact) of `rows` rows of `x` (row stride `xs`), then the tail into `dst`. `false` if a NaN
/// met byte codes.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn dense_f32(st: &DenseStage, x: &[f32], xs: usize, rows: usize, dst: Dst<'_>) -> bool {
    if rows == 0 {
        return true;
    }
    assert!(xs >= st.k && (rows - 1) * xs + st.k <= x.len());
    let out = Out::new(st, dst, rows);
    let (x, nb) = (x.as_ptr(), st.np / PANEL);
    let mut nan = 0;
    let mut p = 0;
    // SAFETY: bounds checked above; the CPU has AVX-512F.
    unsafe {
        while p < nb {
            let take = (nb - p).min(4);
            nan |= match take {
                4 => f32_panels::<6, 4>(st, x, xs, rows, p, out),
                3 => f32_panels::<8, 3>(st, x, xs, rows, p, out),
                2 => f32_panels::<12, 2>(st, x, xs, rows, p, out),
                _ => f32_panels::<16, 1>(st, x, xs, rows, p, out),
            };
            p += take;
        }
    }
    nan == 0
}

/// Integer sums of byte codes times byte weights for rows `r0 .. r0+R` and panels
/// `p0 .. p0+NB`, turned into the float32 sums they equal, then the tail.
#[inline(always)]
unsafe fn i8_block<const R: usize, const NB: usize>(
    st: &DenseStage,
    w8: &Int8Weights,
    x: *const u8,
    xs: usize,
    r0: usize,
    p0: usize,
    out: Out,
) -> __mmask16 {
    const { assert!(R * NB <= MAX_ACC) };
    // SAFETY: the caller has AVX-512F and VNNI and checked that rows `r0 .. r0+R` of `kp` codes
    // lie in `x` and panels `p0 .. p0+NB` in the byte weights, units and corrections.
    unsafe {
        let groups = w8.kp / 4;
        let mut acc = [[_mm512_setzero_si512(); NB]; R];
        let w = w8.w.as_ptr().add(p0 * w8.kp * PANEL);
        let xr = x.add(r0 * xs);
        for g in 0..groups {
            let mut wv = [_mm512_setzero_si512(); NB];
            for (b, wv) in wv.iter_mut().enumerate() {
                *wv = _mm512_loadu_si512(w.add(b * w8.kp * PANEL + g * PANEL * 4).cast());
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                let a = _mm512_set1_epi32(xr.add(r * xs + 4 * g).cast::<i32>().read_unaligned());
                for (acc, &wv) in acc.iter_mut().zip(&wv) {
                    *acc = _mm512_dpbusd_epi32(*acc, a, wv);
                }
            }
        }
        // Through memory once, so that the accumulators stay in registers in the loop above.
        let mut sums = [0i32; MAX_ACC * PANEL];
        for (r, acc) in acc.iter().enumerate() {
            for (b, &v) in acc.iter().enumerate() {
                _mm512_storeu_si512(sums.as_mut_ptr().add((r * NB + b) * PANEL).cast(), v);
            }
        }
        let mut nan = 0;
        for b in 0..NB {
            let p = p0 + b;
            let corr = _mm512_loadu_si512(w8.corr.as_ptr().add(p * PANEL).cast());
            let unit = _mm512_loadu_ps(w8.unit.as_ptr().add(p * PANEL));
            for r in 0..R {
                let acc = _mm512_loadu_si512(sums.as_ptr().add((r * NB + b) * PANEL).cast());
                // |sum| < 2^24: exact in float32; times a power of two in the normal range: exact.
                let v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_add_epi32(acc, corr)), unit);
                nan |= tail::<false>(st, p, v, out, r0 + r);
            }
        }
        nan
    }
}

/// All rows for panels `p0 .. p0+NB`, `R` rows at a time.
#[inline(always)]
unsafe fn i8_panels<const R: usize, const NB: usize>(
    st: &DenseStage,
    w8: &Int8Weights,
    x: *const u8,
    xs: usize,
    rows: usize,
    p0: usize,
    out: Out,
) -> __mmask16 {
    // SAFETY: as for `i8_block`, for all `rows`.
    unsafe {
        let mut nan = 0;
        let mut r = 0;
        while r + R <= rows {
            nan |= i8_block::<R, NB>(st, w8, x, xs, r, p0, out);
            r += R;
        }
        while r < rows {
            nan |= i8_block::<1, NB>(st, w8, x, xs, r, p0, out);
            r += 1;
        }
        nan
    }
}

/// The stage on byte codes `x` (`rows` rows, row stride `xs`): `vpdpbusd` sums, exact, then the
/// tail into `dst`. `false` if a NaN met byte codes.
///
/// # Safety
/// The CPU must have AVX-512F and AVX-512 VNNI.
#[target_feature(enable = "avx512f,avx512vnni")]
pub(super) unsafe fn dense_i8(
    st: &DenseStage,
    w8: &Int8Weights,
    x: &[u8],
    xs: usize,
    rows: usize,
    dst: Dst<'_>,
) -> bool {
    if rows == 0 {
        return true;
    }
    assert!(xs >= w8.kp && (rows - 1) * xs + w8.kp <= x.len());
    assert!(w8.w.len() == st.np * w8.kp && w8.unit.len() == st.np && w8.corr.len() == st.np);
    let out = Out::new(st, dst, rows);
    let (x, nb) = (x.as_ptr(), st.np / PANEL);
    let mut nan = 0;
    let mut p = 0;
    // SAFETY: bounds checked above; the CPU has AVX-512F and VNNI.
    unsafe {
        while p < nb {
            let take = (nb - p).min(4);
            nan |= match take {
                4 => i8_panels::<6, 4>(st, w8, x, xs, rows, p, out),
                3 => i8_panels::<8, 3>(st, w8, x, xs, rows, p, out),
                2 => i8_panels::<12, 2>(st, w8, x, xs, rows, p, out),
                _ => i8_panels::<16, 1>(st, w8, x, xs, rows, p, out),
            };
            p += take;
        }
    }
    nan == 0
}

/// The tail of product sums computed elsewhere (`acc`, `rows × n`). `false` if a NaN met byte
/// codes.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn tails_from(st: &DenseStage, acc: &[f32], rows: usize, dst: Dst<'_>) -> bool {
    assert!(acc.len() >= rows * st.n);
    let out = Out::new(st, dst, rows);
    let mut nan = 0;
    for r in 0..rows {
        for p in 0..st.np / PANEL {
            // SAFETY: the masked load reads the row's real columns only; bounds checked above.
            unsafe {
                let v = _mm512_maskz_loadu_ps(lanes(st.n, p), acc.as_ptr().add(r * st.n + p * PANEL));
                nan |= tail::<true>(st, p, v, out, r);
            }
        }
    }
    nan == 0
}

/// The tail of product sums computed elsewhere (`acc`, `rows × n`) with AVX2, to float rows at
/// `data` (stride `stride`): byte codes are only handed to AVX-512 VNNI stages.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn tails_from_avx2(st: &DenseStage, acc: &[f32], rows: usize, data: &mut [f32], stride: usize) {
    let n = st.n;
    for (src, out) in acc.chunks_exact(n).take(rows).zip(data.chunks_mut(stride)) {
        let out = &mut out[..n];
        for c0 in (0..n).step_by(8) {
            let left = (n - c0).min(8);
            let mut buf = [0f32; 8];
            buf[..left].copy_from_slice(&src[c0..c0 + left]);
            // SAFETY: the caller has AVX2; `buf` holds 8 values; `c0 + 8 <= np` (`np` is a
            // multiple of 16 at least `n`), as `tail_avx2` needs.
            unsafe {
                let v = tail_avx2(st, c0, _mm256_loadu_ps(buf.as_ptr()));
                _mm256_storeu_ps(buf.as_mut_ptr(), v);
            }
            out[c0..c0 + left].copy_from_slice(&buf[..left]);
        }
    }
}

/// Bias, ReLU and quantizer on the product sums `v` of columns `c0 .. c0+8` with AVX2: the
/// operations of [`tail`] on 8 lanes (`vroundps` rounds to nearest even and keeps the sign of a
/// zero result, as `vrndscaleps` does).
#[inline(always)]
unsafe fn tail_avx2(st: &DenseStage, c0: usize, mut v: __m256) -> __m256 {
    // SAFETY (whole function): the caller has AVX2; `bias` has `np` entries and `c0 + 8 <= np`.
    unsafe {
        let zero = _mm256_setzero_ps();
        if let Some(b) = &st.bias {
            v = _mm256_add_ps(v, _mm256_loadu_ps(b.as_ptr().add(c0)));
        }
        if st.relu && !st.relu_in_quant {
            // x > 0 or NaN stays; anything else (−0.0 included) becomes +0.0.
            v = _mm256_blendv_ps(v, zero, _mm256_cmp_ps::<_CMP_LE_OQ>(v, zero));
        }
        let Some(q) = &st.quant else { return v };
        let mut y = match q.inv_s {
            Some(inv) => _mm256_mul_ps(v, _mm256_set1_ps(inv)),
            None => _mm256_div_ps(v, _mm256_set1_ps(q.s)),
        };
        y = _mm256_add_ps(y, _mm256_set1_ps(q.z));
        // As in `tail`: vminps/vmaxps return the second operand when the comparison is false.
        y = _mm256_min_ps(_mm256_set1_ps(q.hi), y);
        y = _mm256_max_ps(_mm256_set1_ps(q.lo), y);
        let l = _mm256_round_ps::<ROUND_NEAREST>(y);
        _mm256_mul_ps(_mm256_sub_ps(l, _mm256_set1_ps(q.z)), _mm256_set1_ps(q.s))
    }
}

/// Float32 product sums of rows `r0 .. r0+R` and panel `p` with AVX2 (a panel is two vectors of
/// 8), then the tail, written to the float rows at `out` (stride `stride`, `n` columns).
#[inline(always)]
unsafe fn f32_block_avx2<const R: usize>(
    st: &DenseStage,
    x: *const f32,
    xs: usize,
    r0: usize,
    p: usize,
    out: *mut f32,
    stride: usize,
) {
    // SAFETY: the caller has AVX2 and FMA and checked that rows `r0 .. r0+R` of `k` inputs lie
    // in `x`, that panel `p` lies in `st.wp`, and that the rows of `n` outputs lie in `out`.
    unsafe {
        let k = st.k;
        let mut acc = [[_mm256_setzero_ps(); 2]; R];
        let w = st.wp.as_ptr().add(p * k * PANEL);
        let xr = x.add(r0 * xs);
        for kk in 0..k {
            let wv = [_mm256_loadu_ps(w.add(kk * PANEL)), _mm256_loadu_ps(w.add(kk * PANEL + 8))];
            for (r, acc) in acc.iter_mut().enumerate() {
                let a = _mm256_set1_ps(*xr.add(r * xs + kk));
                for (acc, &wv) in acc.iter_mut().zip(&wv) {
                    *acc = _mm256_fmadd_ps(a, wv, *acc);
                }
            }
        }
        let c0 = p * PANEL;
        let cols = PANEL.min(st.n - c0);
        for (r, acc) in acc.iter().enumerate() {
            for (h, &v) in acc.iter().enumerate() {
                let left = cols.saturating_sub(8 * h).min(8);
                if left == 0 {
                    continue;
                }
                let v = tail_avx2(st, c0 + 8 * h, v);
                let o = out.add((r0 + r) * stride + c0 + 8 * h);
                if left == 8 {
                    _mm256_storeu_ps(o, v);
                } else {
                    let mut t = [0f32; 8];
                    _mm256_storeu_ps(t.as_mut_ptr(), v);
                    std::ptr::copy_nonoverlapping(t.as_ptr(), o, left);
                }
            }
        }
    }
}

/// Exact float32 product sums with AVX2 and FMA (which equals multiply-then-add when the sums are
/// exact), then the tail, for float32 outputs: 6 rows × one panel of 16 columns at a time, in
/// twelve accumulator registers. Byte-code outputs (which only the VNNI backend asks for) take the
/// portable kernel compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn dense_f32_avx2(st: &DenseStage, x: &[f32], xs: usize, rows: usize, dst: Dst<'_>) -> bool {
    let Dst::F32 { data, stride } = dst else {
        return super::portable::dense_f32(st, x, xs, rows, dst);
    };
    if rows == 0 {
        return true;
    }
    assert!(xs >= st.k && (rows - 1) * xs + st.k <= x.len());
    assert!(stride >= st.n && (rows - 1) * stride + st.n <= data.len());
    assert!(st.np.is_multiple_of(PANEL) && st.np >= st.n && st.wp.len() == st.np * st.k);
    assert!(st.bias.as_ref().is_none_or(|b| b.len() == st.np));
    let (x, out) = (x.as_ptr(), data.as_mut_ptr());
    // SAFETY: bounds checked above; the CPU has AVX2 and FMA.
    unsafe {
        for p in 0..st.np / PANEL {
            let mut r = 0;
            while r + 6 <= rows {
                f32_block_avx2::<6>(st, x, xs, r, p, out, stride);
                r += 6;
            }
            while r < rows {
                f32_block_avx2::<1>(st, x, xs, r, p, out, stride);
                r += 1;
            }
        }
    }
    true
}

/// [`Certificate::holds`] compiled for AVX-512F.
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn holds_avx512(c: &Certificate, x: &[f32], xs: usize, k: usize, rows: usize) -> bool {
    c.holds_impl(x, xs, k, rows)
}

/// [`Certificate::holds`] compiled for AVX2.
///
/// # Safety
/// The CPU must have AVX2 and FMA.
#[target_feature(enable = "avx2,fma")]
pub(super) unsafe fn holds_avx2(c: &Certificate, x: &[f32], xs: usize, k: usize, rows: usize) -> bool {
    c.holds_impl(x, xs, k, rows)
}

/// [`super::softmax_rows_impl`] with AVX-512: the columns of 16 rows gathered into vectors, the
/// same float32 operations per row in the same order (`vmaxps(v, m)` keeps `m` where `v` is NaN,
/// as `f32::max` does; the choice between ±0 cannot matter, the maximum is only subtracted).
///
/// # Safety
/// The CPU must have AVX-512F.
#[target_feature(enable = "avx512f")]
pub(super) unsafe fn softmax_rows_avx512(o: &mut [f32], n: usize, scratch: &mut Vec<f32>) {
    const L: usize = super::SOFT_LANES;
    let block = L * n;
    if n == 0 || i32::try_from(block).is_err() {
        return super::softmax_rows_impl(o, n, scratch);
    }
    scratch.resize(block, 0.0);
    let lane = _mm512_mullo_epi32(
        _mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
        _mm512_set1_epi32(n as i32),
    );
    let mut chunks = o.chunks_exact_mut(block);
    for rows in &mut chunks {
        let t = scratch.as_mut_ptr();
        // SAFETY: the gather reads elements l·n + j < 16·n of `rows`; `t` has 16·n floats.
        unsafe {
            let mut m = _mm512_set1_ps(f32::NEG_INFINITY);
            for j in 0..n {
                let v = _mm512_i32gather_ps::<4>(_mm512_add_epi32(lane, _mm512_set1_epi32(j as i32)), rows.as_ptr());
                _mm512_storeu_ps(t.add(j * L), v);
                m = _mm512_max_ps(v, m);
            }
            for j in 0..n {
                let p = t.add(j * L);
                _mm512_storeu_ps(p, _mm512_sub_ps(_mm512_loadu_ps(p), m));
            }
        }
        super::exp_all(&mut scratch[..block]);
        let t = scratch.as_mut_ptr();
        // SAFETY: `t` has 16·n floats.
        unsafe {
            let mut sum = _mm512_setzero_ps();
            for j in 0..n {
                sum = _mm512_add_ps(sum, _mm512_loadu_ps(t.add(j * L)));
            }
            for j in 0..n {
                let p = t.add(j * L);
                _mm512_storeu_ps(p, _mm512_div_ps(_mm512_loadu_ps(p), sum));
            }
        }
        for (l, row) in rows.chunks_exact_mut(n).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = scratch[j * L + l];
            }
        }
    }
    for row in chunks.into_remainder().chunks_exact_mut(n) {
        super::softmax_row(row, false);
    }
}
