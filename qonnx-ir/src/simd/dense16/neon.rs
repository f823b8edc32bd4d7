//! [`super::dense`] on aarch64 in NEON intrinsics (part of the aarch64 baseline): each vector of
//! four words is multiplied with a broadcast weight pair by `smlal`/`smlal2` (`vmlal_s16`,
//! `vmlal_high_s16`), which add the eight 16 × 16-bit products into two vectors of 32-bit partial
//! sums, one product per lane; `addp` (`vpaddq_s32`) adds the two partial sums of each sample at
//! the end. [`GROUP`] channels and eight samples a pass, their sixteen accumulators in registers.
//! Each partial sum adds a subset of the products plus the bias once; the arithmetic wraps, and
//! the final sums are exact.
#![allow(unsafe_code)] // NEON loads and stores through pointers into checked slices.

use std::arch::aarch64::*;

use super::{BLOCK, GROUP, by_spans};

/// Samples a pass computes: two vectors of four 32-bit words.
const SPAN: usize = 8;

/// [`super::dense`].
#[inline(always)]
pub(super) fn dense(words: &[i32], pairs: &[i32], bias: &[i32], j0: usize, acc: &mut [[i32; BLOCK]]) {
    let n_pad = bias.len();
    by_spans(acc, SPAN, |gc, h, group| {
        let j = j0 + gc;
        // SAFETY: NEON is always present on aarch64; every load and store below goes through a
        // slice of exactly the length it reads or writes (four 32-bit values), so it stays in
        // bounds.
        unsafe {
            // Per channel, four vectors of partial sums: samples h..h+2, h+2..h+4 (the low and
            // high halves of the first word vector), h+4..h+6, h+6..h+8. Lanes 0 and 2 start at
            // the bias, so that each sample's two partial sums hold it once.
            let mut sums = [[vdupq_n_s32(0); 4]; GROUP];
            for (s, &b) in sums.iter_mut().zip(&bias[j..j + GROUP]) {
                let start = [b, 0, b, 0];
                *s = [vld1q_s32(start.as_ptr()); 4];
            }
            for (g, xg) in words.chunks_exact(BLOCK).enumerate() {
                let (x0, x1) = (&xg[h..h + 4], &xg[h + 4..h + 8]);
                let x0 = vreinterpretq_s16_s32(vld1q_s32(x0.as_ptr()));
                let x1 = vreinterpretq_s16_s32(vld1q_s32(x1.as_ptr()));
                let (x0_low, x1_low) = (vget_low_s16(x0), vget_low_s16(x1));
                for (s, &w) in sums.iter_mut().zip(&pairs[g * n_pad + j..g * n_pad + j + GROUP]) {
                    // The word pair (low, high) repeated over the eight 16-bit lanes.
                    let w = vreinterpretq_s16_s32(vdupq_n_s32(w));
                    let w_low = vget_low_s16(w);
                    s[0] = vmlal_s16(s[0], x0_low, w_low);
                    s[1] = vmlal_high_s16(s[1], x0, w);
                    s[2] = vmlal_s16(s[2], x1_low, w_low);
                    s[3] = vmlal_high_s16(s[3], x1, w);
                }
            }
            for (a, s) in group.iter_mut().zip(&sums) {
                let (first, second) = a[h..h + SPAN].split_at_mut(4);
                vst1q_s32(first.as_mut_ptr(), vpaddq_s32(s[0], s[1]));
                vst1q_s32(second.as_mut_ptr(), vpaddq_s32(s[2], s[3]));
            }
        }
    });
}
