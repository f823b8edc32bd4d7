//! The emulator on tiles of [`TILE`] samples, layer by layer: activations column-major per tile
//! (`[n][TILE]`, raw `i64`), so that casts, ReLUs and affine layers run over whole rows of
//! samples, and 16-bit dense layers run on the multiply-add kernels of [`super::dot`]. Layers
//! without a tile form (wide dense layers, softmax, argmax) run sample by sample on the
//! per-sample path's own code. Every value is what the per-sample path computes.
#![allow(unsafe_code)] // Dispatch to the SIMD kernels after runtime feature detection.

#[cfg(target_arch = "x86_64")]
use qonnx_ir::Simd;

use super::dot::{self, Dense16};
use super::{Emulator, Plan};
use crate::fixed::{cast_slice, cast_slice_i32};
use crate::model::LayerKind;

/// Samples a tile holds.
pub(crate) const TILE: usize = 32;

/// Runs every sample of `x` (raw, `[batch][n_inputs]`) into `raw` (`[batch][n_outputs]`) on the
/// emulator's SIMD level.
pub(super) fn run(e: &Emulator, x: &[i64], raw: &mut [i64]) {
    match e.simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Emulator::with_simd` checked the level (`new` takes a supported one).
        Simd::Avx512 => unsafe { run_avx512(e, x, raw) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Simd::Avx2 => unsafe { run_avx2(e, x, raw) },
        _ => run_tiles(e, x, raw, &dot::Portable),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn run_avx512(e: &Emulator, x: &[i64], raw: &mut [i64]) {
    run_tiles(e, x, raw, &dot::Avx512);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2(e: &Emulator, x: &[i64], raw: &mut [i64]) {
    run_tiles(e, x, raw, &dot::Avx2);
}

/// The tile loop, inlined into each level's entry point so that its loops are compiled for it.
#[inline(always)]
fn run_tiles<K: Dense16>(e: &Emulator, x: &[i64], raw: &mut [i64], kernel: &K) {
    let (n_in, n_out) = (e.model.n_inputs, e.model.n_outputs());
    let width = e.width();
    let pad = width.div_ceil(dot::CHANNELS) * dot::CHANNELS;
    let (mut a, mut b) = (vec![0i64; width * TILE], vec![0i64; width * TILE]);
    let mut acc64 = [0i64; TILE];
    let mut words = vec![0i32; width.div_ceil(2) * TILE];
    let mut acc32 = vec![0i32; pad * TILE];
    let mut s = e.scratch();
    let batch = x.len() / n_in;
    for r0 in (0..batch).step_by(TILE) {
        let rows = TILE.min(batch - r0);
        // Lanes past `rows` run on zero inputs, so that every lane holds values of its type.
        a[..n_in * TILE].fill(0);
        for r in 0..rows {
            for (i, &v) in x[(r0 + r) * n_in..(r0 + r + 1) * n_in].iter().enumerate() {
                a[i * TILE + r] = v;
            }
        }
        let (mut n, mut frac) = (n_in, e.model.input_type.frac());
        // The width of the type the current values belong to.
        let mut bits = e.model.input_type.width;
        for (li, (l, plan)) in e.model.layers.iter().zip(&e.plans).enumerate() {
            let (cur, next) = (&a[..n * TILE], &mut b[..l.n_out * TILE]);
            let ty = l.out_type;
            match (plan, &l.kind) {
                (Plan::Dense16 { pairs, bias_pad, .. }, LayerKind::Dense(d)) => {
                    let w = n.div_ceil(2);
                    for (k, dst) in words[..w * TILE].chunks_exact_mut(TILE).enumerate() {
                        let low = &cur[2 * k * TILE..(2 * k + 1) * TILE];
                        if 2 * k + 1 < n {
                            let high = &cur[(2 * k + 1) * TILE..(2 * k + 2) * TILE];
                            for ((o, &lo), &hi) in dst.iter_mut().zip(low).zip(high) {
                                *o = (lo as i32 & 0xFFFF) | ((hi as i32) << 16);
                            }
                        } else {
                            for (o, &lo) in dst.iter_mut().zip(low) {
                                *o = lo as i32 & 0xFFFF;
                            }
                        }
                    }
                    let acc = &mut acc32[..bias_pad.len() * TILE];
                    // SAFETY: `run`'s caller checked the kernel's level.
                    unsafe { kernel.dense(&words[..w * TILE], pairs, bias_pad, acc) };
                    cast_slice_i32(&ty, d.acc_type.frac(), &acc[..l.n_out * TILE], next);
                }
                (Plan::Affine { scale, shift, prod_shift, bias_shift }, LayerKind::Affine(af)) => {
                    let t = &mut acc64;
                    for j in 0..n {
                        let add = shift[j] << bias_shift;
                        for (o, &v) in t.iter_mut().zip(&cur[j * TILE..(j + 1) * TILE]) {
                            *o = ((v * scale[j]) << prod_shift) + add;
                        }
                        cast_slice(&ty, af.acc_type.frac(), t, &mut next[j * TILE..(j + 1) * TILE]);
                    }
                }
                (Plan::Relu, _) => {
                    for (o, &v) in next.iter_mut().zip(cur) {
                        *o = v.max(0);
                    }
                }
                // Values of at most 31 bits are cast in 32-bit lanes (see `cast_slice_i32`).
                (Plan::Cast, _) if bits <= 31 => {
                    let narrow = &mut acc32[..n * TILE];
                    for (o, &v) in narrow.iter_mut().zip(cur) {
                        *o = v as i32;
                    }
                    cast_slice_i32(&ty, frac, narrow, next);
                }
                (Plan::Cast, _) => cast_slice(&ty, frac, cur, next),
                _ => {
                    for r in 0..TILE {
                        for (i, v) in s.a[..n].iter_mut().enumerate() {
                            *v = cur[i * TILE + r];
                        }
                        e.step_one(li, n, frac, &mut s);
                        for (j, &v) in s.b[..l.n_out].iter().enumerate() {
                            next[j * TILE + r] = v;
                        }
                    }
                }
            }
            std::mem::swap(&mut a, &mut b);
            // Dense, affine and cast layers cast into their output type; a ReLU keeps its input's
            // values (clamped below at 0); nothing is assumed of the others' values.
            bits = match plan {
                Plan::Dense16 { .. } | Plan::Dense { .. } | Plan::Affine { .. } | Plan::Cast => ty.width,
                Plan::Relu => bits,
                Plan::Softmax { .. } | Plan::Argmax => 64,
            };
            (n, frac) = (l.n_out, ty.frac());
        }
        for r in 0..rows {
            for j in 0..n_out {
                raw[(r0 + r) * n_out + j] = a[j * TILE + r];
            }
        }
    }
}
