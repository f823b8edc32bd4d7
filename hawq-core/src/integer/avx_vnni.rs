//! AVX-VNNI kernels of the packed integer engine, for x86-64 CPUs with the VEX-encoded 256-bit
//! dot products and without AVX-512 (Intel client CPUs since Alder Lake, Intel's E-core Xeons):
//! the AVX2 set's layer driver, requantization and input packing ([`avx2::run_layer`],
//! [`avx2::pack_f32`]) with these sums, which are the shared AVX2 pass
//! ([`dense16::avx2::sums_with`]) with the dot products as its multiply-add. Activations that fit bytes are packed as unsigned bytes
//! ([`Lanes::U8`], as for AVX-512) and multiplied four at a time with `vpdpbusd`; 16-bit words
//! with `vpdpwssd`, which adds both products of a pair into the accumulator in one instruction
//! where AVX2 takes `vpmaddwd` and `vpaddd`.
//!
//! Sums are proven to fit `i32` when the model is packed ([`super::packed`]); both instructions
//! add without saturation, so they give the reference path's integers bit for bit (a pair of
//! `−2^15 · −2^15` products wraps, and the final, fitting sum undoes the wrap).
#![allow(unsafe_code)] // SIMD intrinsics; every function is called only after runtime feature detection.

use std::arch::x86_64::*;

use qonnx_ir::simd::dense16::{self, GROUP, avx2::MulAdd};

use super::avx2::{self, Sums};
use super::blocks::{self, InputQuant, Kernels};
use super::packed::{Lanes, PackedLayer, PackedMlp};

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
/// packed; the pass is the shared AVX2 one ([`dense16::avx2::sums_with`]) with these
/// multiply-adds.
struct Dot;

impl Sums for Dot {
    #[inline(always)]
    unsafe fn sums(layer: &PackedLayer, x: &[i32], j0: usize, h: usize) -> [[__m256i; 2]; GROUP] {
        let (weight, bias) = (&layer.weight, &layer.bias[..layer.d_out_pad]);
        // SAFETY: the caller vouches for AVX2 and AVX-VNNI.
        unsafe {
            match layer.lanes_in {
                Lanes::U8 => dense16::avx2::sums_with::<DpBusd>(x, weight, bias, j0, h),
                Lanes::I16 => dense16::avx2::sums_with::<DpWssd>(x, weight, bias, j0, h),
                Lanes::I8 => unreachable!("signed bytes are packed for the aarch64 kernels only"),
            }
        }
    }
}

/// `vpdpbusd`: four unsigned input bytes times four signed weight bytes, added into each lane.
struct DpBusd;

impl MulAdd for DpBusd {
    #[inline(always)]
    unsafe fn mul_add(acc: __m256i, x: __m256i, w: __m256i) -> __m256i {
        // SAFETY: the caller vouches for AVX-VNNI.
        unsafe { _mm256_dpbusd_avx_epi32(acc, x, w) }
    }
}

/// `vpdpwssd`: both products of a 16-bit pair added into each lane, in one instruction.
struct DpWssd;

impl MulAdd for DpWssd {
    #[inline(always)]
    unsafe fn mul_add(acc: __m256i, x: __m256i, w: __m256i) -> __m256i {
        // SAFETY: the caller vouches for AVX-VNNI.
        unsafe { _mm256_dpwssd_avx_epi32(acc, x, w) }
    }
}
