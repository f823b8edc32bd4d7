//! [`super::dense`] on AVX-512 VNNI, for callers that detected it at run time: `vpdpwssd`
//! multiplies each vector of sixteen word pairs with a broadcast weight pair and adds both
//! products of a pair and the accumulator's lane in one instruction (wrapping, as `vpmaddwd`
//! followed by `vpaddd` does, so the wrap argument of [`super`] holds unchanged). A pass covers
//! `N` channels (up to [`CHANNELS`]) and the whole block of [`BLOCK`] samples in two vectors:
//! sixteen accumulators, two input vectors and the weight among the 32 vector registers.
//!
//! [`sums`] leaves a pass's sums in registers, for a caller that goes on in registers (the
//! integer engine requantizes them there); [`dense`] stores every pass, as [`super::dense`] does
//! (the HLS emulator's tiles).
#![allow(unsafe_code)] // AVX-512 intrinsics behind the callers' runtime detection.

use std::arch::x86_64::*;

use super::{BLOCK, GROUP};

/// Channels of a full pass: eight, each with two accumulators of sixteen 32-bit lanes.
pub const CHANNELS: usize = 8;

/// 512-bit vectors per block of samples.
const VECS: usize = BLOCK / 16;

/// The sums of channels `j .. j + N` on the whole block: `sums[c][k]` holds samples
/// `16k .. 16k + 16` of channel `j + c`. Shapes as in [`super::dense`]: `words` `[g][BLOCK]`,
/// `pairs` `[g][n_pad]`, `bias` `[n_pad]`.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512BW and AVX-512 VNNI.
///
/// # Panics
/// If the channels lie outside the shapes, or `pairs` is shorter than `words` needs.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub unsafe fn sums<const N: usize>(words: &[i32], pairs: &[i32], bias: &[i32], j: usize) -> [[__m512i; VECS]; N] {
    let n_pad = bias.len();
    let groups = words.len() / BLOCK;
    assert!(j + N <= n_pad && pairs.len() >= groups * n_pad, "pass outside the layer");
    let mut acc = [[_mm512_setzero_si512(); VECS]; N];
    for (a, &b) in acc.iter_mut().zip(&bias[j..j + N]) {
        *a = [_mm512_set1_epi32(b); VECS];
    }
    // Pointers, checked once above, keep bounds checks and index arithmetic out of the loop.
    let mut xp = words.as_ptr();
    let mut wp = pairs[j..].as_ptr();
    for _ in 0..groups {
        // SAFETY: the pass reads `words[g·BLOCK .. + BLOCK]` and `pairs[g·n_pad + j .. + N]` for
        // `g < groups`, inside both slices by the assertion.
        unsafe {
            let xv = [_mm512_loadu_si512(xp.cast()), _mm512_loadu_si512(xp.add(16).cast())];
            for (c, a) in acc.iter_mut().enumerate() {
                let w = _mm512_set1_epi32(*wp.add(c));
                for (ah, &xh) in a.iter_mut().zip(&xv) {
                    *ah = _mm512_dpwssd_epi32(*ah, xh, w);
                }
            }
            xp = xp.add(BLOCK);
            wp = wp.add(n_pad);
        }
    }
    acc
}

/// [`super::dense`] on AVX-512 VNNI: passes of [`CHANNELS`] channels (the last of [`GROUP`]
/// where the range is not a multiple of eight), stored.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512BW and AVX-512 VNNI.
///
/// # Panics
/// As [`super::dense`].
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub unsafe fn dense(words: &[i32], pairs: &[i32], bias: &[i32], j0: usize, acc: &mut [[i32; BLOCK]]) {
    assert!(acc.len().is_multiple_of(GROUP) && j0 + acc.len() <= bias.len(), "channel range outside the layer");
    let mut chunks = acc.chunks_exact_mut(CHANNELS);
    let mut j = j0;
    for group in &mut chunks {
        // SAFETY: this function's caller checked the features.
        store(group, unsafe { sums::<CHANNELS>(words, pairs, bias, j) });
        j += CHANNELS;
    }
    let rest = chunks.into_remainder();
    if !rest.is_empty() {
        // SAFETY: as above; the rest is one group of GROUP channels (the assertion).
        store(rest, unsafe { sums::<GROUP>(words, pairs, bias, j) });
    }
}

/// Stores a pass's sums to the first `N` rows of `acc`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn store<const N: usize>(acc: &mut [[i32; BLOCK]], sums: [[__m512i; VECS]; N]) {
    for (a, s) in acc.iter_mut().zip(sums) {
        for (y, v) in a.chunks_exact_mut(16).zip(s) {
            // SAFETY: `y` holds 16 values; AVX-512F is enabled in this function.
            unsafe { _mm512_storeu_si512(y.as_mut_ptr().cast(), v) };
        }
    }
}
