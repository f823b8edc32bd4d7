//! The dense kernels of the emulator's tiles: a dense layer whose operands fit 16 bits and
//! whose accumulator fits 32 (the emulator's `Dense16` plan) on [`TILE`] samples at once.
//! Inputs come as pairs of consecutive 16-bit inputs in one 32-bit word per sample
//! (`[n_in / 2][TILE]`), weights as the matching pairs (`[n_in / 2][n_pad]`); each kernel
//! multiplies both halves and adds both products into 32-bit accumulators: the workspace's
//! shared kernels, [`qonnx_ir::simd::dense16`] (`vpdpwssd` on AVX-512 VNNI, `vpmaddwd` on AVX2,
//! the baseline SIMD elsewhere), which `hawq-core`'s integer engine runs as well. The lowering sized the accumulator so that no sum overflows it; a lone pair of
//! `−2^15 · −2^15` products may wrap, and the final, fitting sum undoes the wrap. So every kernel
//! gives the per-sample path's bits.
#![allow(unsafe_code)] // SIMD intrinsics behind runtime feature detection (`Simd::check`).

use qonnx_ir::simd::dense16;

use super::tile::TILE;

/// The padding of output channels: `n_pad` is a multiple of it, and it is a multiple of every
/// shared kernel's pass (eight channels on AVX-512, [`dense16::GROUP`] elsewhere).
pub(super) const CHANNELS: usize = 8;

/// `weights` (`[n_in][n_out]`, raw) as input pairs `[n_in / 2][n_pad]` and `bias` padded to
/// `n_pad` (the next multiple of [`CHANNELS`]).
pub(super) fn pack_weights(weights: &[i64], bias: &[i32], n_in: usize, n_out: usize) -> (Vec<i32>, Vec<i32>) {
    let n_pad = n_out.div_ceil(CHANNELS) * CHANNELS;
    let mut pairs = vec![0i32; n_in.div_ceil(2) * n_pad];
    for i in 0..n_in {
        for j in 0..n_out {
            let w = (weights[i * n_out + j] as i32) & 0xFFFF;
            pairs[(i / 2) * n_pad + j] |= w << (16 * (i % 2));
        }
    }
    let mut bias_pad = bias.to_vec();
    bias_pad.resize(n_pad, 0);
    (pairs, bias_pad)
}

/// A dense kernel: `acc[j][r] = bias[j] + Σ_g words[g][r] · pairs[g][j]` (both 16-bit halves),
/// for `j < n_pad` and `r < TILE`.
pub(super) trait Dense16 {
    /// Runs the kernel.
    ///
    /// # Safety
    /// The CPU must have the kernel's features.
    unsafe fn dense(&self, words: &[i32], pairs: &[i32], bias: &[i32], acc: &mut [i32]);

    /// One row of input words from two rows of 16-bit values: `out[r] = (low[r] & 0xFFFF) |
    /// (high[r] << 16)`. The compiler unrolls this loop fully and then leaves it scalar, hence the
    /// SIMD forms.
    ///
    /// # Safety
    /// As [`Dense16::dense`].
    #[inline(always)]
    unsafe fn pair(&self, low: &[i32; TILE], high: &[i32; TILE], out: &mut [i32; TILE]) {
        for ((o, &lo), &hi) in out.iter_mut().zip(low).zip(high) {
            *o = (lo & 0xFFFF) | (hi << 16);
        }
    }
}

/// The workspace's shared kernel in the baseline SIMD of the target
/// ([`qonnx_ir::simd::dense16`]: SSE2 on x86-64, NEON on aarch64, plain loops elsewhere).
pub(super) struct Portable;

/// The shared kernel's block of samples is the tile, and its channel group divides ours.
const _: () = assert!(TILE == dense16::BLOCK && CHANNELS.is_multiple_of(dense16::GROUP));

impl Dense16 for Portable {
    #[inline(always)]
    unsafe fn dense(&self, words: &[i32], pairs: &[i32], bias: &[i32], acc: &mut [i32]) {
        let (rows, _) = acc.as_chunks_mut::<TILE>();
        dense16::dense(words, pairs, bias, 0, rows);
    }
}

/// AVX2: the workspace's shared AVX2 kernel ([`dense16::avx2`]).
#[cfg(target_arch = "x86_64")]
pub(super) struct Avx2;

#[cfg(target_arch = "x86_64")]
impl Dense16 for Avx2 {
    #[inline(always)]
    unsafe fn dense(&self, words: &[i32], pairs: &[i32], bias: &[i32], acc: &mut [i32]) {
        let (rows, _) = acc.as_chunks_mut::<TILE>();
        // SAFETY: the caller checked AVX2.
        unsafe { dense16::avx2::dense(words, pairs, bias, 0, rows) }
    }

    #[inline(always)]
    unsafe fn pair(&self, low: &[i32; TILE], high: &[i32; TILE], out: &mut [i32; TILE]) {
        use std::arch::x86_64::*;
        // SAFETY: the caller checked the level.
        let mask = unsafe { _mm256_set1_epi32(0xFFFF) };
        for k in (0..TILE).step_by(8) {
            // SAFETY: `k + 8 <= TILE`, inside the three arrays; the caller checked AVX2.
            unsafe {
                let lo = _mm256_loadu_si256(low[k..].as_ptr().cast());
                let hi = _mm256_loadu_si256(high[k..].as_ptr().cast());
                let word = _mm256_or_si256(_mm256_and_si256(lo, mask), _mm256_slli_epi32::<16>(hi));
                _mm256_storeu_si256(out[k..].as_mut_ptr().cast(), word);
            }
        }
    }
}

/// AVX-512 VNNI: the workspace's shared AVX-512 kernel ([`dense16::avx512`]: `vpdpwssd`, 8
/// channels × 32 samples a pass).
#[cfg(target_arch = "x86_64")]
pub(super) struct Avx512;

#[cfg(target_arch = "x86_64")]
impl Dense16 for Avx512 {
    #[inline(always)]
    unsafe fn dense(&self, words: &[i32], pairs: &[i32], bias: &[i32], acc: &mut [i32]) {
        let (rows, _) = acc.as_chunks_mut::<TILE>();
        // SAFETY: the caller checked AVX-512F/BW/VNNI.
        unsafe { dense16::avx512::dense(words, pairs, bias, 0, rows) }
    }

    #[inline(always)]
    unsafe fn pair(&self, low: &[i32; TILE], high: &[i32; TILE], out: &mut [i32; TILE]) {
        use std::arch::x86_64::*;
        // SAFETY: the caller checked the level.
        let mask = unsafe { _mm512_set1_epi32(0xFFFF) };
        for k in (0..TILE).step_by(16) {
            // SAFETY: `k + 16 <= TILE`, inside the three arrays; the caller checked AVX-512F.
            unsafe {
                let lo = _mm512_loadu_si512(low[k..].as_ptr().cast());
                let hi = _mm512_loadu_si512(high[k..].as_ptr().cast());
                let word = _mm512_or_si512(_mm512_and_si512(lo, mask), _mm512_slli_epi32::<16>(hi));
                _mm512_storeu_si512(out[k..].as_mut_ptr().cast(), word);
            }
        }
    }
}
