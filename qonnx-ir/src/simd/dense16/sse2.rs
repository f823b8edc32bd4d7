//! [`super::dense`] on x86-64 in SSE2 intrinsics (part of the x86-64 baseline): `pmaddwd`
//! multiplies each vector of four word pairs with a broadcast weight pair and adds both products
//! of a pair into its 32-bit lane, `paddd` into the accumulators. [`GROUP`] channels and eight
//! samples a pass: eight accumulators, two input vectors and the weight in the sixteen vector
//! registers.
#![allow(unsafe_code)] // SSE2 loads and stores through pointers into checked slices.

use std::arch::x86_64::*;

use super::{BLOCK, GROUP, by_spans};

/// Samples a pass computes: two vectors of four 32-bit lanes.
const SPAN: usize = 8;

/// Loads `x[0..4]`.
#[inline(always)]
fn load(x: &[i32]) -> __m128i {
    let x = &x[..4];
    // SAFETY: SSE2 is always present on x86-64; `x` holds the 4 values.
    unsafe { _mm_loadu_si128(x.as_ptr().cast()) }
}

/// Stores `v` to `y[0..4]`.
#[inline(always)]
fn store(y: &mut [i32], v: __m128i) {
    let y = &mut y[..4];
    // SAFETY: as above; `y` holds the 4 values.
    unsafe { _mm_storeu_si128(y.as_mut_ptr().cast(), v) }
}

/// [`super::dense`].
#[inline(always)]
pub(super) fn dense(words: &[i32], pairs: &[i32], bias: &[i32], j0: usize, acc: &mut [[i32; BLOCK]]) {
    let n_pad = bias.len();
    by_spans(acc, SPAN, |gc, h, group| {
        let j = j0 + gc;
        // SAFETY (every intrinsic below): SSE2 is part of the x86-64 baseline.
        let mut sums = [[unsafe { _mm_setzero_si128() }; 2]; GROUP];
        for (s, &b) in sums.iter_mut().zip(&bias[j..j + GROUP]) {
            *s = [unsafe { _mm_set1_epi32(b) }; 2];
        }
        for (g, xg) in words.chunks_exact(BLOCK).enumerate() {
            let xv = [load(&xg[h..]), load(&xg[h + 4..])];
            for (s, &w) in sums.iter_mut().zip(&pairs[g * n_pad + j..g * n_pad + j + GROUP]) {
                let w = unsafe { _mm_set1_epi32(w) };
                for (sh, &xh) in s.iter_mut().zip(&xv) {
                    *sh = unsafe { _mm_add_epi32(*sh, _mm_madd_epi16(xh, w)) };
                }
            }
        }
        for (a, s) in group.iter_mut().zip(&sums) {
            store(&mut a[h..], s[0]);
            store(&mut a[h + 4..], s[1]);
        }
    });
}
