//! [`super::dense`] on AVX2, for callers that detected AVX2 at run time: `vpmaddwd` multiplies
//! each vector of eight word pairs with a broadcast weight pair and adds both products of a pair
//! into its 32-bit lane, `vpaddd` into the accumulators. [`GROUP`] channels and [`SPAN`] samples
//! a pass: eight accumulators, two input vectors and the weight in the sixteen vector registers.
//!
//! [`sums`] leaves a pass's sums in registers, for a caller that goes on in registers (the
//! integer engine requantizes them there); [`dense`] stores every pass, as [`super::dense`] does.
//! [`sums_with`] is the pass with another multiply-add ([`MulAdd`]), for callers with more
//! instructions than AVX2 (the integer engine's AVX-VNNI dot products).
#![allow(unsafe_code)] // AVX2 intrinsics behind the callers' runtime detection.

use std::arch::x86_64::*;

use super::{BLOCK, GROUP, by_spans};

/// Samples a pass computes: two vectors of eight 32-bit lanes.
pub const SPAN: usize = 16;

/// One multiply-add of a pass: an input vector `x` (eight words) times a broadcast weight word
/// `w`, added into the accumulator `acc`, lane by lane, in wrapping 32-bit arithmetic.
pub trait MulAdd {
    /// `acc` plus the products of `x` and `w` that fall in each lane.
    ///
    /// # Safety
    /// The CPU must have the instructions of the implementation.
    unsafe fn mul_add(acc: __m256i, x: __m256i, w: __m256i) -> __m256i;
}

/// [`MulAdd`] on 16-bit pairs in AVX2: `vpmaddwd` (both products of a pair into its lane), then
/// `vpaddd`.
pub struct MaddWd;

impl MulAdd for MaddWd {
    #[inline(always)]
    unsafe fn mul_add(acc: __m256i, x: __m256i, w: __m256i) -> __m256i {
        // SAFETY: the caller vouches for AVX2.
        unsafe { _mm256_add_epi32(acc, _mm256_madd_epi16(x, w)) }
    }
}

/// The sums of channels `j .. j + GROUP` on samples `h .. h + SPAN` of the block: `sums[c][k]`
/// holds samples `h + 8k .. h + 8k + 8` of channel `j + c`. Shapes as in [`super::dense`]:
/// `words` `[g][BLOCK]`, `pairs` `[g][n_pad]`, `bias` `[n_pad]`.
///
/// # Safety
/// The CPU must support AVX2.
///
/// # Panics
/// If the channels or samples lie outside the shapes, or `pairs` is shorter than `words` needs.
#[inline]
#[target_feature(enable = "avx2")]
pub unsafe fn sums(words: &[i32], pairs: &[i32], bias: &[i32], j: usize, h: usize) -> [[__m256i; 2]; GROUP] {
    // SAFETY: this function's features are `MaddWd`'s.
    unsafe { sums_with::<MaddWd>(words, pairs, bias, j, h) }
}

/// [`sums`] with the multiply-add `M`: each input word of [`SPAN`] samples (two vectors) times
/// each channel's broadcast weight word, into eight accumulators that start at the bias. It has
/// no target features of its own and is always inlined, so that it compiles into the caller's
/// function with the caller's features, `M`'s instructions inlined in the loop.
///
/// # Safety
/// The CPU must support AVX2 and `M`'s instructions.
///
/// # Panics
/// As [`sums`].
#[inline(always)]
pub unsafe fn sums_with<M: MulAdd>(
    words: &[i32],
    pairs: &[i32],
    bias: &[i32],
    j: usize,
    h: usize,
) -> [[__m256i; 2]; GROUP] {
    let n_pad = bias.len();
    let groups = words.len() / BLOCK;
    assert!(j + GROUP <= n_pad && h + SPAN <= BLOCK && pairs.len() >= groups * n_pad, "pass outside the layer");
    // SAFETY (the intrinsics): the caller vouches for AVX2.
    let mut acc = [[unsafe { _mm256_setzero_si256() }; 2]; GROUP];
    for (a, &b) in acc.iter_mut().zip(&bias[j..j + GROUP]) {
        *a = [unsafe { _mm256_set1_epi32(b) }; 2];
    }
    // Pointers, checked once above, keep bounds checks and index arithmetic out of the loop.
    let mut xp = words[h..].as_ptr();
    let mut wp = pairs[j..].as_ptr();
    for _ in 0..groups {
        // SAFETY: the pass reads `words[g·BLOCK + h .. + SPAN]` and `pairs[g·n_pad + j .. +
        // GROUP]` for `g < groups`, inside both slices by the assertion; the caller vouches for
        // the instructions.
        unsafe {
            let xv = [_mm256_loadu_si256(xp.cast()), _mm256_loadu_si256(xp.add(8).cast())];
            for (c, a) in acc.iter_mut().enumerate() {
                let w = _mm256_set1_epi32(*wp.add(c));
                for (ah, &xh) in a.iter_mut().zip(&xv) {
                    *ah = M::mul_add(*ah, xh, w);
                }
            }
            xp = xp.add(BLOCK);
            wp = wp.add(n_pad);
        }
    }
    acc
}

/// [`super::dense`] on AVX2: every pass's [`sums`], stored.
///
/// # Safety
/// The CPU must support AVX2.
///
/// # Panics
/// As [`super::dense`].
#[inline]
#[target_feature(enable = "avx2")]
pub unsafe fn dense(words: &[i32], pairs: &[i32], bias: &[i32], j0: usize, acc: &mut [[i32; BLOCK]]) {
    assert!(acc.len().is_multiple_of(GROUP) && j0 + acc.len() <= bias.len(), "channel range outside the layer");
    by_spans(acc, SPAN, |gc, h, group| {
        // SAFETY: this function's caller checked AVX2.
        let s = unsafe { sums(words, pairs, bias, j0 + gc, h) };
        for (a, s) in group.iter_mut().zip(&s) {
            let y = &mut a[h..h + SPAN];
            // SAFETY: `y` holds the 16 values; AVX2 as above.
            unsafe {
                _mm256_storeu_si256(y.as_mut_ptr().cast(), s[0]);
                _mm256_storeu_si256(y[8..].as_mut_ptr().cast(), s[1]);
            }
        }
    });
}
