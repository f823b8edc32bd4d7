//! AVX2 kernels of the packed integer engine: activations as two 16-bit words per 32-bit lane
//! ([`Lanes::I16`]; models are packed without bytes for this set), summed by the workspace's
//! shared AVX2 dense kernel ([`dense16::avx2::sums`]: `vpmaddwd` with a broadcast weight word
//! pair, `vpaddd` into 8 accumulators, 4 output channels × 16 samples a pass, the sums left in
//! registers). Requantization happens there, in registers: a multiply and shifts in
//! 32-bit lanes, or float64 where the layer's products need more than 32 bits and are proven
//! below 2^53; the few layers beyond that take the portable 64-bit lanes.
//!
//! Sums are proven to fit `i32` when the model is packed ([`super::packed`]); `vpmaddwd` wraps
//! only on a pair of `−2^15 · −2^15` products, whose wrap the final, fitting sum undoes. The float
//! input packing is the portable one, compiled here for AVX2.
#![allow(unsafe_code)] // SIMD intrinsics; every function is called only after runtime feature detection.

use std::arch::x86_64::*;

use qonnx_ir::simd::dense16::{self, GROUP, avx2::SPAN as HALF};

use super::blocks::{self, InputQuant, Kernels};
use super::packed::{BLOCK, Lanes, PackedLayer, PackedMlp, Rq};
use super::portable;

/// The shared kernel's block of samples is the engine's block.
const _: () = assert!(BLOCK == dense16::BLOCK);

/// The AVX2 kernel set for the block driver.
struct Avx2;

impl Kernels for Avx2 {
    #[inline(always)]
    unsafe fn layer(&self, layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
        // SAFETY: the driver runs inside `run_f32` / `run_int`, whose callers checked the CPU.
        unsafe { run_layer(layer, x, y) }
    }

    #[inline(always)]
    unsafe fn pack_f32(&self, p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
        portable::pack_f32_words(p, q, x, rows, buf)
    }
}

/// [`blocks::run_f32`] on the AVX2 kernels.
///
/// # Safety
/// The CPU must support AVX2 and FMA (`Simd::Avx2.supported()`).
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn run_f32(p: &PackedMlp, q: InputQuant, x: &[f32], out: &mut [i32]) -> Option<usize> {
    // SAFETY: this function's own features are the kernels'.
    unsafe { blocks::run_f32(&Avx2, p, q, x, out) }
}

/// [`blocks::run_int`] on the AVX2 kernels.
///
/// # Safety
/// As [`run_f32`].
#[target_feature(enable = "avx2,fma")]
pub(crate) unsafe fn run_int(p: &PackedMlp, q: &[i64], out: &mut [i32]) {
    // SAFETY: as above.
    unsafe { blocks::run_int(&Avx2, p, q, out) }
}

/// Loads `x[0..8]`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn load(x: &[i32]) -> __m256i {
    let x = &x[..8];
    // SAFETY: `x` holds the 8 values.
    unsafe { _mm256_loadu_si256(x.as_ptr().cast()) }
}

/// Stores `v` to `y[0..8]`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn store(y: &mut [i32], v: __m256i) {
    let y = &mut y[..8];
    // SAFETY: `y` holds the 8 values.
    unsafe { _mm256_storeu_si256(y.as_mut_ptr().cast(), v) }
}

/// One layer on one block ([`Kernels::layer`]).
#[target_feature(enable = "avx2,fma")]
fn run_layer(layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
    debug_assert_eq!(layer.lanes_in, Lanes::I16);
    let stride = layer.d_out_pad;
    let x = &x[..layer.words_in * BLOCK];
    let (lo, hi) = (_mm256_set1_epi32(layer.lo), _mm256_set1_epi32(layer.hi));
    let (lo_f, hi_f) = (_mm256_set1_pd(f64::from(layer.lo)), _mm256_set1_pd(f64::from(layer.hi)));
    for j0 in (0..stride).step_by(GROUP) {
        for h in (0..BLOCK).step_by(HALF) {
            // SAFETY: this function's own features include AVX2.
            let mut acc = unsafe { dense16::avx2::sums(x, &layer.weight, &layer.bias[..stride], j0, h) };
            for (a, r) in acc.iter_mut().zip(&layer.rq[j0..j0 + GROUP]) {
                for ah in a.iter_mut() {
                    *ah = if layer.float_in_i32 {
                        _mm256_min_epi32(_mm256_max_epi32(requant_f64_in_i32(*ah, r.mult), lo), hi)
                    } else if layer.float {
                        requant_f64(*ah, r.mult, lo_f, hi_f)
                    } else if layer.wide {
                        let mut lanes = [0i32; 8];
                        store(&mut lanes, *ah);
                        portable::requant_lanes(layer, *r, &mut lanes);
                        load(&lanes)
                    } else {
                        _mm256_min_epi32(_mm256_max_epi32(requant32(*ah, *r), lo), hi)
                    };
                }
            }
            match layer.lanes_out {
                None => {
                    for (c, a) in acc.iter().enumerate() {
                        let at = (j0 + c) * BLOCK + h;
                        store(&mut y[at..], a[0]);
                        store(&mut y[at + 8..], a[1]);
                    }
                }
                Some((lanes, off)) => {
                    debug_assert_eq!(lanes, Lanes::I16);
                    let (off, mask) = (_mm256_set1_epi32(off), _mm256_set1_epi32(0xFFFF));
                    for (t, pair) in acc.chunks_exact(2).enumerate() {
                        let at = (j0 / 2 + t) * BLOCK + h;
                        for k in 0..2 {
                            let low = _mm256_and_si256(_mm256_sub_epi32(pair[0][k], off), mask);
                            let high = _mm256_slli_epi32::<16>(_mm256_sub_epi32(pair[1][k], off));
                            store(&mut y[at + 8 * k..], _mm256_or_si256(low, high));
                        }
                    }
                }
            }
        }
    }
}

/// `(p + add + ((p >> shift) & odd)) >> shift` with `p = acc · num` in 32-bit lanes (the
/// packing proved that nothing overflows; with unit numerators the addend sits in the bias).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn requant32(acc: __m256i, r: Rq) -> __m256i {
    let p = if r.num == 1 { acc } else { _mm256_mullo_epi32(acc, _mm256_set1_epi32(r.num as i32)) };
    let c = _mm_cvtsi32_si128(r.shift as i32);
    let bit = _mm256_and_si256(_mm256_sra_epi32(p, c), _mm256_set1_epi32(r.odd as i32));
    let p = _mm256_add_epi32(p, _mm256_set1_epi32(r.add as i32));
    _mm256_sra_epi32(_mm256_add_epi32(p, bit), c)
}

/// The requantization through float64, clamped: exact under the layer's
/// [`PackedLayer::float`] bound; `vcvtpd2dq` rounds to nearest even (the default rounding mode).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn requant_f64(acc: __m256i, mult: f64, lo: __m256d, hi: __m256d) -> __m256i {
    let m = _mm256_set1_pd(mult);
    let low = requant_f64_half(_mm256_castsi256_si128(acc), m, lo, hi);
    let high = requant_f64_half(_mm256_extracti128_si256::<1>(acc), m, lo, hi);
    _mm256_set_m128i(high, low)
}

/// [`requant_f64`] without the clamp, for layers whose products stay within `±i32::MAX`
/// ([`PackedLayer::float_in_i32`]): the conversion cannot leave the 32-bit range, and the
/// caller clamps in 32-bit lanes (rounding commutes with clamping to integer bounds).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn requant_f64_in_i32(acc: __m256i, mult: f64) -> __m256i {
    let m = _mm256_set1_pd(mult);
    let low = round_f64_half(_mm256_castsi256_si128(acc), m);
    _mm256_set_m128i(round_f64_half(_mm256_extracti128_si256::<1>(acc), m), low)
}

/// [`requant_f64_in_i32`] on 4 lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn round_f64_half(v: __m128i, m: __m256d) -> __m128i {
    _mm256_cvtpd_epi32(_mm256_mul_pd(_mm256_cvtepi32_pd(v), m))
}

/// [`requant_f64`] on 4 lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn requant_f64_half(v: __m128i, m: __m256d, lo: __m256d, hi: __m256d) -> __m128i {
    _mm256_cvtpd_epi32(_mm256_min_pd(_mm256_max_pd(_mm256_mul_pd(_mm256_cvtepi32_pd(v), m), lo), hi))
}
