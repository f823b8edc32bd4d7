//! [`super::dense`] on AVX2, for callers that detected AVX2 at run time: `vpmaddwd` multiplies
//! each vector of eight word pairs with a broadcast weight pair and adds both products of a pair
//! into its 32-bit lane, `vpaddd` into the accumulators. [`GROUP`] channels and [`SPAN`] samples
//! a pass: eight accumulators, two input vectors and the weight in the sixteen vector registers.
//!
//! [`sums`] leaves a pass's sums in registers, for a caller that goes on in registers (the
//! integer engine requantizes them there); [`dense`] stores every pass, as [`super::dense`] does.
#![allow(unsafe_code)] // AVX2 intrinsics behind the callers' runtime detection.

use std::arch::x86_64::*;

use super::{BLOCK, GROUP, by_spans};

/// Samples a pass computes: two vectors of eight 32-bit lanes.
pub const SPAN: usize = 16;

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
    let n_pad = bias.len();
    let groups = words.len() / BLOCK;
    assert!(j + GROUP <= n_pad && h + SPAN <= BLOCK && pairs.len() >= groups * n_pad, "pass outside the layer");
    let mut acc = [[_mm256_setzero_si256(); 2]; GROUP];
    for (a, &b) in acc.iter_mut().zip(&bias[j..j + GROUP]) {
        *a = [_mm256_set1_epi32(b); 2];
    }
    // Pointers, checked once above, keep bounds checks and index arithmetic out of the loop.
    let mut xp = words[h..].as_ptr();
    let mut wp = pairs[j..].as_ptr();
    for _ in 0..groups {
        // SAFETY: the pass reads `words[g·BLOCK + h .. + SPAN]` and `pairs[g·n_pad + j .. +
        // GROUP]` for `g < groups`, inside both slices by the assertion.
        unsafe {
            let xv = [_mm256_loadu_si256(xp.cast()), _mm256_loadu_si256(xp.add(8).cast())];
            for (c, a) in acc.iter_mut().enumerate() {
                let w = _mm256_set1_epi32(*wp.add(c));
                for (ah, &xh) in a.iter_mut().zip(&xv) {
                    *ah = _mm256_add_epi32(*ah, _mm256_madd_epi16(xh, w));
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
