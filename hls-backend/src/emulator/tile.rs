//! The emulator on tiles of [`TILE`] samples, layer by layer: activations column-major per tile
//! (`[n][TILE]`, raw values in 32-bit lanes where their type has at most 31 bits, else in 64-bit
//! lanes), so that casts, ReLUs, affine layers and the lookup-table softmax run over whole rows
//! of samples, and 16-bit dense layers run on the multiply-add kernels of [`super::dot`]. Layers
//! without a tile form (wide dense layers, argmax) run sample by sample on the per-sample path's
//! own code. Every value is what the per-sample path computes.
#![allow(unsafe_code)] // Dispatch to the SIMD kernels after runtime feature detection.

#[cfg(target_arch = "x86_64")]
use qonnx_ir::Simd;

use super::dot::{self, Dense16};
use super::{Emulator, Plan};
use crate::fixed::{cast_slice, cast_slice_i32, cast_slice_i32_lanes};
use crate::model::LayerKind;
use crate::softmax::softmax_tile;

/// Samples a tile holds.
pub(crate) const TILE: usize = 32;

/// Runs every sample of `x` (raw, `[batch][n_inputs]`) into `raw` (`[batch][n_outputs]`) on the
/// emulator's SIMD level; `in_type` when the values are known to be of the input type.
pub(super) fn run(e: &Emulator, x: &[i64], in_type: bool, raw: &mut [i64]) {
    match e.simd {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `Emulator::with_simd` checked the level (`new` takes a supported one).
        Simd::Avx512 => unsafe { run_avx512(e, x, in_type, raw) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Simd::Avx2 | Simd::AvxVnni => unsafe { run_avx2(e, x, in_type, raw) },
        _ => run_tiles(e, x, in_type, raw, &dot::Portable),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn run_avx512(e: &Emulator, x: &[i64], in_type: bool, raw: &mut [i64]) {
    run_tiles(e, x, in_type, raw, &dot::Avx512);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
fn run_avx2(e: &Emulator, x: &[i64], in_type: bool, raw: &mut [i64]) {
    run_tiles(e, x, in_type, raw, &dot::Avx2);
}

/// The tile loop, inlined into each level's entry point so that its loops are compiled for it.
///
/// Values of types of at most 31 bits stay in 32-bit lanes (`na`/`nb`, "narrow") from the input
/// through 16-bit dense layers, ReLUs and casts, which halves the memory the tiles move and
/// doubles the lanes of each vector; the other layers take 64-bit lanes (`a`/`b`), widened from
/// the narrow ones first.
#[inline(always)]
fn run_tiles<K: Dense16>(e: &Emulator, x: &[i64], in_type: bool, raw: &mut [i64], kernel: &K) {
    let (n_in, n_out) = (e.model.n_inputs, e.model.n_outputs());
    let width = e.width();
    let pad = width.div_ceil(dot::CHANNELS) * dot::CHANNELS;
    let (mut a, mut b) = (vec![0i64; width * TILE], vec![0i64; width * TILE]);
    let (mut na, mut nb) = (vec![0i32; width * TILE], vec![0i32; width * TILE]);
    let mut acc64 = [0i64; TILE];
    let mut words = vec![0i32; width.div_ceil(2) * TILE];
    let mut acc32 = vec![0i32; pad * TILE];
    let mut s = e.scratch();
    let batch = x.len() / n_in;
    // Raw inputs of the type fit 32 bits; other values (`run_raw` takes any) stay in 64-bit
    // lanes, as the per-sample path holds them.
    let input_narrow = e.model.input_type.width <= 31 && (in_type || x.iter().all(|&v| i32::try_from(v).is_ok()));
    for r0 in (0..batch).step_by(TILE) {
        let rows = TILE.min(batch - r0);
        let samples = &x[r0 * n_in..(r0 + rows) * n_in];
        if input_narrow {
            transpose_in(samples, n_in, &mut na[..n_in * TILE], |v| v as i32);
        } else {
            transpose_in(samples, n_in, &mut a[..n_in * TILE], |v| v);
        }
        let (mut n, mut frac) = (n_in, e.model.input_type.frac());
        // The width of the type the current values belong to, and whether they are in `na`
        // (32-bit lanes, only for widths of at most 31 bits) rather than `a`.
        let mut bits = e.model.input_type.width;
        let mut narrow = input_narrow;
        for (li, (l, plan)) in e.model.layers.iter().zip(&e.plans).enumerate() {
            let ty = l.out_type;
            let fits = ty.width <= 31;
            let mut next_narrow = false;
            match (plan, &l.kind) {
                (Plan::Dense16 { pairs, bias_pad, .. }, LayerKind::Dense(d)) => {
                    let w = n.div_ceil(2);
                    if !narrow {
                        // Only the low 16 bits of each value enter the words.
                        for (o, &v) in na[..n * TILE].iter_mut().zip(&a[..n * TILE]) {
                            *o = v as i32;
                        }
                    }
                    // SAFETY: `run`'s caller checked the kernel's level.
                    unsafe { pack_pairs(&na[..n * TILE], n, &mut words[..w * TILE], kernel) };
                    let acc = &mut acc32[..bias_pad.len() * TILE];
                    // SAFETY: `run`'s caller checked the kernel's level.
                    unsafe { kernel.dense(&words[..w * TILE], pairs, bias_pad, acc) };
                    let (acc, from) = (&acc[..l.n_out * TILE], d.acc_type.frac());
                    next_narrow = fits && cast_slice_i32_lanes(&ty, from, acc, &mut nb[..l.n_out * TILE]);
                    if !next_narrow {
                        cast_slice_i32(&ty, from, acc, &mut b[..l.n_out * TILE]);
                    }
                }
                (Plan::Relu, _) if narrow => {
                    for (o, &v) in nb[..n * TILE].iter_mut().zip(&na[..n * TILE]) {
                        *o = v.max(0);
                    }
                    next_narrow = true;
                }
                // Values of at most 31 bits are cast in 32-bit lanes (see `cast_slice_i32`).
                (Plan::Cast, _) if narrow => {
                    let cur = &na[..n * TILE];
                    next_narrow = fits && cast_slice_i32_lanes(&ty, frac, cur, &mut nb[..n * TILE]);
                    if !next_narrow {
                        cast_slice_i32(&ty, frac, cur, &mut b[..n * TILE]);
                    }
                }
                (Plan::Softmax { exp, inv, shift }, _) if narrow => {
                    softmax_tile::<TILE, i32>(&na[..n * TILE], frac, exp, inv, *shift, &mut b[..l.n_out * TILE]);
                }
                _ => {
                    if narrow {
                        for (o, &v) in a[..n * TILE].iter_mut().zip(&na[..n * TILE]) {
                            *o = i64::from(v);
                        }
                    }
                    let scratch = (&mut s, &mut acc64, &mut acc32[..n * TILE]);
                    wide_layer(e, li, (n, frac, bits), (&a[..n * TILE], &mut b[..l.n_out * TILE]), scratch);
                }
            }
            std::mem::swap(&mut a, &mut b);
            std::mem::swap(&mut na, &mut nb);
            narrow = next_narrow;
            // Dense, affine and cast layers cast into their output type; a ReLU keeps its input's
            // values (clamped below at 0); nothing is assumed of the others' values.
            bits = match plan {
                Plan::Dense16 { .. } | Plan::Dense { .. } | Plan::Affine { .. } | Plan::Cast => ty.width,
                Plan::Relu => bits,
                Plan::Softmax { .. } | Plan::Argmax => 64,
            };
            (n, frac) = (l.n_out, ty.frac());
        }
        let out = &mut raw[r0 * n_out..(r0 + rows) * n_out];
        if narrow {
            transpose_out(&na[..n_out * TILE], n_out, out, i64::from);
        } else {
            transpose_out(&a[..n_out * TILE], n_out, out, |v| v);
        }
    }
}

/// The first `out.len() / n_out` samples of a tile (`[n_out][TILE]`) into `out` (row-major).
#[inline(always)]
fn transpose_out<T: Copy>(tile: &[T], n_out: usize, out: &mut [i64], widen: impl Fn(T) -> i64) {
    for (r, sample) in out.chunks_exact_mut(n_out).enumerate() {
        for (j, o) in sample.iter_mut().enumerate() {
            *o = widen(tile[j * TILE + r]);
        }
    }
}

/// The samples `x` (row-major, `n_in` each, at most [`TILE`]) into a tile (`[n_in][TILE]`);
/// lanes past the samples take zero, so that every lane holds a value of the input type.
#[inline(always)]
fn transpose_in<T: Copy + Default>(x: &[i64], n_in: usize, tile: &mut [T], narrow: impl Fn(i64) -> T) {
    tile.fill(T::default());
    for (r, sample) in x.chunks_exact(n_in).enumerate() {
        for (i, &v) in sample.iter().enumerate() {
            tile[i * TILE + r] = narrow(v);
        }
    }
}

/// Pairs of consecutive inputs of a tile (`cur`, `[n][TILE]`) as one word per sample
/// (`words`, `[n / 2][TILE]`), the low half first, by the kernel's [`Dense16::pair`]; the last
/// word of an odd `n` holds one input.
///
/// # Safety
/// The CPU must have `kernel`'s features.
#[inline(always)]
unsafe fn pack_pairs(cur: &[i32], n: usize, words: &mut [i32], kernel: &impl Dense16) {
    let (rows, _) = cur[..n * TILE].as_chunks::<TILE>();
    let (dst, _) = words.as_chunks_mut::<TILE>();
    for (k, d) in dst.iter_mut().enumerate() {
        let high = rows.get(2 * k + 1).unwrap_or(&[0; TILE]);
        // SAFETY: the caller vouches for the features.
        unsafe { kernel.pair(&rows[2 * k], high, d) };
    }
}

/// Layer `li` on a tile in 64-bit lanes: `cur` (`[n][TILE]`, `frac` fractional bits, values of a
/// type `bits` wide) into `next` (`[n_out][TILE]`); layers without a tile form (wide dense
/// layers, argmax) run sample by sample on the per-sample path's own code.
#[inline(always)]
fn wide_layer(
    e: &Emulator,
    li: usize,
    (n, frac, bits): (usize, i32, u32),
    (cur, next): (&[i64], &mut [i64]),
    (s, acc64, narrow): (&mut super::Scratch, &mut [i64; TILE], &mut [i32]),
) {
    let (l, plan) = (&e.model.layers[li], &e.plans[li]);
    let ty = l.out_type;
    match (plan, &l.kind) {
        (Plan::Affine { scale, shift, prod_shift, bias_shift }, LayerKind::Affine(af)) => {
            for j in 0..n {
                let add = shift[j] << bias_shift;
                for (o, &v) in acc64.iter_mut().zip(&cur[j * TILE..(j + 1) * TILE]) {
                    *o = ((v * scale[j]) << prod_shift) + add;
                }
                cast_slice(&ty, af.acc_type.frac(), acc64, &mut next[j * TILE..(j + 1) * TILE]);
            }
        }
        (Plan::Relu, _) => {
            for (o, &v) in next.iter_mut().zip(cur) {
                *o = v.max(0);
            }
        }
        // Values of at most 31 bits are cast in 32-bit lanes (see `cast_slice_i32`).
        (Plan::Cast, _) if bits <= 31 => {
            for (o, &v) in narrow.iter_mut().zip(cur) {
                *o = v as i32;
            }
            cast_slice_i32(&ty, frac, narrow, next);
        }
        (Plan::Cast, _) => cast_slice(&ty, frac, cur, next),
        (Plan::Softmax { exp, inv, shift }, _) => softmax_tile::<TILE, i64>(cur, frac, exp, inv, *shift, next),
        _ => {
            for r in 0..TILE {
                for (i, v) in s.a[..n].iter_mut().enumerate() {
                    *v = cur[i * TILE + r];
                }
                e.step_one(li, n, frac, s);
                for (j, &v) in s.b[..l.n_out].iter().enumerate() {
                    next[j * TILE + r] = v;
                }
            }
        }
    }
}
