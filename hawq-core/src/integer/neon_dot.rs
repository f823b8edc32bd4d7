//! The aarch64 dot-product kernels of the packed integer engine ([`super::packed`]), for CPUs
//! with Armv8.2's `FEAT_DotProd` (`Simd::Dotprod`): layers whose inputs are bytes
//! ([`Lanes::I8`], signed, the range's offset folded into the bias) multiply them with byte
//! weights by `sdot`, which adds four `i8 × i8` products into each 32-bit lane, sixteen products
//! an instruction against the four of the baseline's `smlal`; layers on 16-bit words run the
//! baseline NEON kernel ([`dense16::dense`]). The requantization, the output packing and the
//! float input packing are the portable set's ([`super::portable`]).
//!
//! Rust 1.95 has no stable intrinsic for `sdot` (`vdotq_laneq_s32` is unstable), so the one
//! instruction is written as inline assembly in a function compiled with the `dotprod` feature.
//! Every sum is proven to fit `i32` when the model is packed; `sdot` wraps, so the final sums are
//! the reference path's bit for bit.
#![allow(unsafe_code)] // NEON loads, stores and `sdot`, behind runtime feature detection.

use std::arch::aarch64::*;
use std::arch::asm;

use qonnx_ir::simd::dense16;

use super::blocks::{self, InputQuant, Kernels};
use super::packed::{BLOCK, CHANNELS, Lanes, PackedLayer, PackedMlp};
use super::portable;

/// Samples a pass computes: four vectors of four 32-bit words.
const SPAN: usize = 16;

/// Channels a pass computes: the four 32-bit weight words of one vector, one `sdot` lane each.
const QUAD: usize = 4;

const _: () = assert!(BLOCK.is_multiple_of(SPAN) && CHANNELS.is_multiple_of(QUAD));

/// The dot-product kernel set for the block driver.
struct NeonDot;

impl Kernels for NeonDot {
    #[inline(always)]
    unsafe fn layer(&self, layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
        if layer.lanes_in == Lanes::I8 {
            // SAFETY: the driver runs inside `run_f32` / `run_int`, whose callers checked the
            // CPU; the closure lives only for this call.
            let dense = |x: &[i32], w: &[i32], b: &[i32], j0, acc: &mut [[i32; BLOCK]]| unsafe {
                dense_bytes(x, w, b, j0, acc)
            };
            portable::run_layer(layer, x, y, dense);
        } else {
            portable::run_layer(layer, x, y, dense16::dense);
        }
    }

    #[inline(always)]
    unsafe fn pack_f32(&self, p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
        portable::pack_f32_words(p, q, x, rows, buf)
    }
}

/// [`blocks::run_f32`] on the dot-product kernels.
///
/// # Safety
/// The CPU must support `FEAT_DotProd` (`Simd::Dotprod.supported()`).
#[target_feature(enable = "dotprod")]
pub(crate) unsafe fn run_f32(p: &PackedMlp, q: InputQuant, x: &[f32], out: &mut [i32]) -> Option<usize> {
    // SAFETY: this function's own feature is the kernels'.
    unsafe { blocks::run_f32(&NeonDot, p, q, x, out) }
}

/// [`blocks::run_int`] on the dot-product kernels.
///
/// # Safety
/// As [`run_f32`].
#[target_feature(enable = "dotprod")]
pub(crate) unsafe fn run_int(p: &PackedMlp, q: &[i64], out: &mut [i32]) {
    // SAFETY: as above.
    unsafe { blocks::run_int(&NeonDot, p, q, out) }
}

/// `acc + Σ_t a.byte[4i + t] · b.byte[4K + t]` in each 32-bit lane `i`, signed bytes, wrapping:
/// `sdot` by element, lane `K` of `b` broadcast.
///
/// # Safety
/// The CPU must support `FEAT_DotProd`.
#[target_feature(enable = "dotprod")]
#[inline]
unsafe fn sdot_lane<const K: i32>(mut acc: int32x4_t, a: int32x4_t, b: int32x4_t) -> int32x4_t {
    // SAFETY: one register-to-register instruction of a feature the caller checked.
    unsafe {
        asm!(
            "sdot {acc:v}.4s, {a:v}.16b, {b:v}.4b[{k}]",
            acc = inout(vreg) acc,
            a = in(vreg) a,
            b = in(vreg) b,
            k = const K,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    acc
}

/// The sums of channels `j0 .. j0 + acc.len()` into `acc` (`acc[c][r]` for channel `j0 + c`), as
/// [`portable::dense_bytes_plain`] computes them: from signed bytes `words` (`[g][BLOCK]`),
/// byte weights `pairs` (`[g][n_pad]`) and `bias` (`[n_pad]`). Four channels and sixteen samples
/// a pass, their sixteen accumulators in registers: each step loads the four channels' weight
/// words of one input group in one vector and four vectors of samples, and `sdot` multiplies
/// each sample vector with each channel's lane.
///
/// # Safety
/// The CPU must support `FEAT_DotProd`.
///
/// # Panics
/// If `acc.len()` is not a multiple of four or the slices are shorter than the shapes say:
/// programming errors of the caller, which owns the packed layout.
#[target_feature(enable = "dotprod")]
pub(crate) unsafe fn dense_bytes(words: &[i32], pairs: &[i32], bias: &[i32], j0: usize, acc: &mut [[i32; BLOCK]]) {
    let n_pad = bias.len();
    let groups = words.len() / BLOCK;
    assert!(acc.len().is_multiple_of(QUAD) && j0 + acc.len() <= n_pad, "channel range outside the layer");
    assert!(pairs.len() >= groups * n_pad, "weights shorter than the layer");
    for (q, quad) in acc.chunks_exact_mut(QUAD).enumerate() {
        let j = j0 + q * QUAD;
        // SAFETY: every load and store goes through a slice of exactly the four 32-bit values it
        // reads or writes; the CPU has the dot products (this function's contract).
        unsafe {
            let b = vld1q_s32(bias[j..j + QUAD].as_ptr());
            let start =
                [vdupq_laneq_s32::<0>(b), vdupq_laneq_s32::<1>(b), vdupq_laneq_s32::<2>(b), vdupq_laneq_s32::<3>(b)];
            for h in (0..BLOCK).step_by(SPAN) {
                // sums[c][v]: channel j + c, samples h + 4v .. h + 4v + 4, from the bias.
                let mut sums = start.map(|s| [s; 4]);
                for (xg, wg) in words.chunks_exact(BLOCK).zip(pairs.chunks_exact(n_pad)) {
                    let w = vld1q_s32(wg[j..j + QUAD].as_ptr());
                    let xs = &xg[h..h + SPAN];
                    for (v, x) in xs.chunks_exact(4).enumerate() {
                        let x = vld1q_s32(x.as_ptr());
                        sums[0][v] = sdot_lane::<0>(sums[0][v], x, w);
                        sums[1][v] = sdot_lane::<1>(sums[1][v], x, w);
                        sums[2][v] = sdot_lane::<2>(sums[2][v], x, w);
                        sums[3][v] = sdot_lane::<3>(sums[3][v], x, w);
                    }
                }
                for (a, s) in quad.iter_mut().zip(&sums) {
                    for (v, sv) in s.iter().enumerate() {
                        vst1q_s32(a[h + 4 * v..h + 4 * v + 4].as_mut_ptr(), *sv);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernel gives the plain loops' sums where the CPU has the dot products: on random
    /// bytes, and on one sample whose bytes are all −128 against a channel of −128 weights (the
    /// largest products, 2^14 each) and one of 127 weights.
    #[test]
    fn sdot_kernel_equals_the_plain_loops() {
        if !qonnx_ir::Simd::Dotprod.supported() {
            test_support::simd_levels_not_run();
            return;
        }
        let (groups, n_pad) = (7, 16);
        let mut rng = crate::rng::SplitMix64::new(5);
        let mut x: Vec<i32> = (0..groups * BLOCK).map(|_| rng.next_u64() as i32).collect();
        let mut w: Vec<i32> = (0..groups * n_pad).map(|_| rng.next_u64() as i32).collect();
        let bias: Vec<i32> = (0..n_pad).map(|_| (rng.next_u64() % 1_000_000) as i32 - 500_000).collect();
        for g in 0..groups {
            x[g * BLOCK + 3] = 0x8080_8080u32 as i32;
            w[g * n_pad + 5] = 0x8080_8080u32 as i32;
            w[g * n_pad + 6] = 0x7F7F_7F7F;
        }
        for j0 in [0, 8] {
            let (mut fast, mut plain) = ([[0i32; BLOCK]; CHANNELS], [[0i32; BLOCK]; CHANNELS]);
            // SAFETY: the dot products were detected above.
            unsafe { dense_bytes(&x, &w, &bias, j0, &mut fast) };
            portable::dense_bytes_plain(&x, &w, &bias, j0, &mut plain);
            assert_eq!(fast, plain, "j0={j0}");
            if j0 == 0 {
                // 7 groups of 4 products each.
                assert_eq!(fast[5][3], bias[5] + 28 * 128 * 128);
                assert_eq!(fast[6][3], bias[6] - 28 * 128 * 127);
            }
        }
    }
}
