//! AVX-VNNI kernels of the packed integer engine, for x86-64 CPUs with the VEX-encoded 256-bit
//! dot products and without AVX-512 (Intel client CPUs since Alder Lake, Intel's E-core Xeons):
//! the AVX2 set's layer driver, requantization and input packing ([`avx2::run_layer`],
//! [`avx2::pack_f32`]) with these sums. Activations that fit bytes are packed as unsigned bytes
//! ([`Lanes::U8`], as for AVX-512) and multiplied four at a time with `vpdpbusd`; 16-bit words
//! with `vpdpwssd`, which adds both products of a pair into the accumulator in one instruction
//! where AVX2 takes `vpmaddwd` and `vpaddd`.
//!
//! Sums are proven to fit `i32` when the model is packed ([`super::packed`]); both instructions
//! add without saturation, so they give the reference path's integers bit for bit (a pair of
//! `−2^15 · −2^15` products wraps, and the final, fitting sum undoes the wrap).
#![allow(unsafe_code)] // SIMD intrinsics; every function is called only after runtime feature detection.

use std::arch::x86_64::*;

use qonnx_ir::simd::dense16::{GROUP, avx2::SPAN};

use super::avx2::{self, Sums};
use super::blocks::{self, InputQuant, Kernels};
use super::packed::{BLOCK, Lanes, PackedLayer, PackedMlp};

/// The AVX-VNNI kernel set for the block driver.
struct AvxVnni;

impl Kernels for AvxVnni {
    #[inline(always)]
    unsafe fn layer(&self, layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
        // SAFETY: the driver runs inside `run_f32` / `run_int`, whose callers checked the CPU.
        unsafe { avx2::run_layer::<Dot>(layer, x, y) }
    }

    #[inline(always)]
    unsafe fn pack_f32(&self, p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
        // SAFETY: as above (AVX2 and FMA are part of this set).
        unsafe { avx2::pack_f32(p, q, x, rows, buf) }
    }
}

/// [`blocks::run_f32`] on the AVX-VNNI kernels.
///
/// # Safety
/// The CPU must support AVX2, FMA and AVX-VNNI (`Simd::AvxVnni.supported()`).
#[target_feature(enable = "avx2,fma,avxvnni")]
pub(crate) unsafe fn run_f32(p: &PackedMlp, q: InputQuant, x: &[f32], out: &mut [i32]) -> Option<usize> {
    // SAFETY: this function's own features are the kernels'.
    unsafe { blocks::run_f32(&AvxVnni, p, q, x, out) }
}

/// [`blocks::run_int`] on the AVX-VNNI kernels.
///
/// # Safety
/// As [`run_f32`].
#[target_feature(enable = "avx2,fma,avxvnni")]
pub(crate) unsafe fn run_int(p: &PackedMlp, q: &[i64], out: &mut [i32]) {
    // SAFETY: as above.
    unsafe { blocks::run_int(&AvxVnni, p, q, out) }
}

/// [`Sums`] with the dot-product instructions: bytes or 16-bit words, as the layer's inputs are
/// packed.
struct Dot;

impl Sums for Dot {
    #[inline(always)]
    unsafe fn sums(layer: &PackedLayer, x: &[i32], j0: usize, h: usize) -> [[__m256i; 2]; GROUP] {
        // SAFETY: the caller vouches for AVX-VNNI.
        unsafe {
            match layer.lanes_in {
                Lanes::U8 => dot_sums::<true>(layer, x, j0, h),
                Lanes::I16 => dot_sums::<false>(layer, x, j0, h),
                Lanes::I8 => unreachable!("signed bytes are packed for the aarch64 kernels only"),
            }
        }
    }
}

/// The sums of channels `j0 .. j0 + GROUP` on samples `h .. h + SPAN` ([`Sums::sums`]): each
/// input word of 16 samples (two vectors) times each channel's broadcast weight word, added into
/// eight accumulators by `vpdpbusd` (unsigned bytes times signed bytes, when `BYTES`) or
/// `vpdpwssd` (16-bit pairs).
#[inline]
#[target_feature(enable = "avx2,fma,avxvnni")]
fn dot_sums<const BYTES: bool>(layer: &PackedLayer, x: &[i32], j0: usize, h: usize) -> [[__m256i; 2]; GROUP] {
    let stride = layer.d_out_pad;
    let groups = layer.words_in;
    assert!(
        j0 + GROUP <= stride && h + SPAN <= BLOCK && x.len() >= groups * BLOCK && layer.weight.len() >= groups * stride,
        "pass outside the layer"
    );
    let mut acc = [[_mm256_setzero_si256(); 2]; GROUP];
    for (a, &b) in acc.iter_mut().zip(&layer.bias[j0..j0 + GROUP]) {
        *a = [_mm256_set1_epi32(b); 2];
    }
    // Pointers, checked once above, keep bounds checks and index arithmetic out of the loop.
    let mut xp = x[h..].as_ptr();
    let mut wp = layer.weight[j0..].as_ptr();
    for _ in 0..groups {
        // SAFETY: the pass reads `x[g·BLOCK + h .. + SPAN]` and `weight[g·stride + j0 .. +
        // GROUP]` for `g < groups`, inside both slices by the assertion.
        unsafe {
            let xv = [_mm256_loadu_si256(xp.cast()), _mm256_loadu_si256(xp.add(8).cast())];
            for (c, a) in acc.iter_mut().enumerate() {
                let w = _mm256_set1_epi32(*wp.add(c));
                for (ah, &xh) in a.iter_mut().zip(&xv) {
                    *ah = if BYTES { _mm256_dpbusd_avx_epi32(*ah, xh, w) } else { _mm256_dpwssd_avx_epi32(*ah, xh, w) };
                }
            }
            xp = xp.add(BLOCK);
            wp = wp.add(stride);
        }
    }
    acc
}
