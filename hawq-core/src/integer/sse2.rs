//! The layer kernel of the portable kernel set on x86-64, in SSE2 intrinsics (SSE2 is part of the
//! x86-64 baseline, so no detection is needed): activations as two 16-bit words per 32-bit lane
//! ([`Lanes::I16`](super::packed::Lanes::I16)), `pmaddwd` multiplying each vector of four word
//! pairs with a broadcast weight word pair and adding both products of a pair into its 32-bit lane,
//! `paddd` into the accumulators. Four output channels and eight samples are computed at a time,
//! their eight accumulators, the two input vectors and the weight in the sixteen vector registers.
//! Requantization and the output packing are the portable ones ([`portable::finish_group`]).
//!
//! Sums are proven to fit `i32` when the model is packed ([`super::packed`]); `pmaddwd` wraps only
//! on a pair of `−2^15 · −2^15` products, whose wrap the final, fitting sum undoes, so the results
//! are the reference path's bit for bit.
#![allow(unsafe_code)] // SSE2 loads and stores through pointers into checked slices.

use std::arch::x86_64::*;

use super::packed::{BLOCK, PackedLayer};
use super::portable;

/// Output channels computed together.
const GROUP: usize = 4;
/// Samples computed together: two vectors of four 32-bit words.
const SPAN: usize = 8;
/// Vectors of four samples in a span.
const VECS: usize = SPAN / 4;

/// One layer on one block (the portable kernel set's [`super::blocks::Kernels::layer`] on
/// x86-64).
#[inline(always)]
pub(crate) fn run_layer(layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
    let x = &x[..layer.words_in * BLOCK];
    portable::run_layer_by_spans::<GROUP>(layer, y, SPAN, |j0, h, acc| span(layer, x, j0, h, acc));
}

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

/// Channels `j0..j0 + GROUP`, samples `h..h + SPAN` of the block: the accumulators (bias
/// included) into `acc`.
#[inline(always)]
fn span(layer: &PackedLayer, x: &[i32], j0: usize, h: usize, acc: &mut [[i32; BLOCK]; GROUP]) {
    let stride = layer.d_out_pad;
    // SAFETY (every intrinsic below): SSE2 is part of the x86-64 baseline.
    let mut sums = [[unsafe { _mm_setzero_si128() }; VECS]; GROUP];
    for (s, &b) in sums.iter_mut().zip(&layer.bias[j0..j0 + GROUP]) {
        *s = [unsafe { _mm_set1_epi32(b) }; VECS];
    }
    for (g, xg) in x.chunks_exact(BLOCK).enumerate() {
        let xv: [__m128i; VECS] = std::array::from_fn(|k| load(&xg[h + 4 * k..]));
        for (s, &w) in sums.iter_mut().zip(&layer.weight[g * stride + j0..g * stride + j0 + GROUP]) {
            let w = unsafe { _mm_set1_epi32(w) };
            for (sh, &xh) in s.iter_mut().zip(&xv) {
                *sh = unsafe { _mm_add_epi32(*sh, _mm_madd_epi16(xh, w)) };
            }
        }
    }
    for (a, s) in acc.iter_mut().zip(&sums) {
        for (k, &v) in s.iter().enumerate() {
            store(&mut a[h + 4 * k..], v);
        }
    }
}
