//! The layer kernel of the portable kernel set on aarch64, in NEON intrinsics (NEON is part of the
//! aarch64 baseline, so no detection is needed): activations as two 16-bit words per 32-bit lane
//! ([`Lanes::I16`](super::packed::Lanes::I16)), each vector of four words multiplied with a
//! broadcast weight word pair by `smlal`/`smlal2` (`vmlal_s16`, `vmlal_high_s16`), which add the
//! eight 16 × 16-bit products into two vectors of 32-bit partial sums, one product per lane; `addp`
//! (`vpaddq_s32`) adds the two partial sums of each sample at the end. Four output channels and
//! eight samples are computed at a time, their sixteen accumulators in registers. Requantization
//! and the output packing are the portable ones ([`portable::finish_group`]).
//!
//! Each partial sum adds a subset of the products that the packing proved to fit `i32` in any order
//! ([`super::packed`]), plus the bias once, so it fits `i32` too; the arithmetic wraps in any case,
//! and the final sums are the reference path's bit for bit.
#![allow(unsafe_code)] // NEON loads and stores through pointers into checked slices.

use std::arch::aarch64::*;

use super::packed::{BLOCK, PackedLayer};
use super::portable;

/// Output channels computed together.
const GROUP: usize = 4;
/// Samples computed together: two vectors of four 32-bit words.
const SPAN: usize = 8;

/// One layer on one block (the portable kernel set's [`super::blocks::Kernels::layer`] on
/// aarch64).
#[inline(always)]
pub(crate) fn run_layer(layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
    let x = &x[..layer.words_in * BLOCK];
    portable::run_layer_by_spans::<GROUP>(layer, y, SPAN, |j0, h, acc| span(layer, x, j0, h, acc));
}

/// Channels `j0..j0 + GROUP`, samples `h..h + SPAN` of the block: the accumulators (bias
/// included) into `acc`.
#[inline(always)]
fn span(layer: &PackedLayer, x: &[i32], j0: usize, h: usize, acc: &mut [[i32; BLOCK]; GROUP]) {
    let stride = layer.d_out_pad;
    // SAFETY: NEON is always present on aarch64; every load and store below goes through a slice
    // of exactly the length it reads or writes (four 32-bit values), so it stays in bounds.
    unsafe {
        // Per channel, four vectors of partial sums: samples h..h+2, h+2..h+4 (the low and high
        // halves of the first word vector), h+4..h+6, h+6..h+8. Lanes 0 and 2 start at the bias,
        // so that each sample's two partial sums hold it once.
        let mut sums = [[vdupq_n_s32(0); 4]; GROUP];
        for (s, &b) in sums.iter_mut().zip(&layer.bias[j0..j0 + GROUP]) {
            let start = [b, 0, b, 0];
            *s = [vld1q_s32(start.as_ptr()); 4];
        }
        for (g, xg) in x.chunks_exact(BLOCK).enumerate() {
            let (x0, x1) = (&xg[h..h + 4], &xg[h + 4..h + 8]);
            let x0 = vreinterpretq_s16_s32(vld1q_s32(x0.as_ptr()));
            let x1 = vreinterpretq_s16_s32(vld1q_s32(x1.as_ptr()));
            let (x0_low, x1_low) = (vget_low_s16(x0), vget_low_s16(x1));
            for (s, &w) in sums.iter_mut().zip(&layer.weight[g * stride + j0..g * stride + j0 + GROUP]) {
                // The word pair (low, high) repeated over the eight 16-bit lanes.
                let w = vreinterpretq_s16_s32(vdupq_n_s32(w));
                let w_low = vget_low_s16(w);
                s[0] = vmlal_s16(s[0], x0_low, w_low);
                s[1] = vmlal_high_s16(s[1], x0, w);
                s[2] = vmlal_s16(s[2], x1_low, w_low);
                s[3] = vmlal_high_s16(s[3], x1, w);
            }
        }
        for (a, s) in acc.iter_mut().zip(&sums) {
            let (first, second) = a[h..h + SPAN].split_at_mut(4);
            vst1q_s32(first.as_mut_ptr(), vpaddq_s32(s[0], s[1]));
            vst1q_s32(second.as_mut_ptr(), vpaddq_s32(s[2], s[3]));
        }
    }
}
