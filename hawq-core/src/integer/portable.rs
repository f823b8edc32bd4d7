//! The portable kernels of the packed integer engine: the kernel set that needs no CPU feature
//! beyond the architecture's baseline. The layer's multiply-adds are the workspace's shared
//! baseline kernel ([`qonnx_ir::simd::dense16`]: SSE2 on x86-64, NEON on aarch64, plain loops
//! elsewhere) on activations packed as two 16-bit words per 32-bit lane ([`Lanes::I16`]; models
//! are packed without bytes for these kernels), [`CHANNELS`] channels at a time. The per-lane
//! requantization here is also the AVX2 kernel set's for layers that need 64-bit lanes; the
//! requantization, the output packing and the float input packing here are also the aarch64
//! dot-product set's ([`super::neon_dot`]), which takes signed bytes ([`Lanes::I8`]) as well.
//!
//! Every sum is proven to fit `i32` when the model is packed ([`super::packed`]); the
//! arithmetic wraps (a pair of products may reach 2^31 on its own, the final sum cannot), so the
//! results are the reference path's bit for bit.

#![allow(unsafe_code)] // The kernel-set trait's methods are `unsafe`; these need no CPU feature.
use qonnx_ir::simd::dense16;

use super::blocks::{self, InputQuant, Kernels};
use super::packed::{BLOCK, CHANNELS, Lanes, PackedLayer, PackedMlp, Rq};

/// `1.5 · 2^23`: adding it to a float32 `y` of magnitude below 2^22 rounds `y` to an integer
/// `n`, half to even (the sum lies in `[2^23, 2^24)`, where the spacing is 1), and the sum's bit
/// pattern is then `ROUND_F32.to_bits() + n`.
const ROUND_F32: f32 = 12_582_912.0;
/// `1.5 · 2^52`: the same for float64 below 2^51 (the low 32 bits of the sum are then `n`).
pub(crate) const ROUND_F64: f64 = 6_755_399_441_055_744.0;

/// The portable kernel set.
pub(crate) struct Portable;

impl Kernels for Portable {
    #[inline(always)]
    unsafe fn layer(&self, layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
        run_layer(layer, x, y, dense16::dense);
    }

    #[inline(always)]
    unsafe fn pack_f32(&self, p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
        pack_f32_words(p, q, x, rows, buf)
    }
}

/// [`blocks::run_f32`] on the portable kernels.
pub(crate) fn run_f32(p: &PackedMlp, q: InputQuant, x: &[f32], out: &mut [i32]) -> Option<usize> {
    // SAFETY: the portable kernels need no CPU feature.
    #[allow(unsafe_code)]
    unsafe {
        blocks::run_f32(&Portable, p, q, x, out)
    }
}

/// [`blocks::run_int`] on the portable kernels.
pub(crate) fn run_int(p: &PackedMlp, q: &[i64], out: &mut [i32]) {
    // SAFETY: as above.
    #[allow(unsafe_code)]
    unsafe {
        blocks::run_int(&Portable, p, q, out)
    }
}

/// The portable kernel set with the plain loops of [`dense16::dense_plain`] on every target, for
/// the tests.
#[cfg(test)]
struct Plain;

#[cfg(test)]
impl Kernels for Plain {
    unsafe fn layer(&self, layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
        let dense = if layer.lanes_in == Lanes::I8 { dense_bytes_plain } else { dense16::dense_plain };
        run_layer(layer, x, y, dense);
    }

    unsafe fn pack_f32(&self, p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
        pack_f32_words(p, q, x, rows, buf)
    }
}

/// [`blocks::run_int`] on the plain loops of [`dense16::dense_plain`] and [`dense_bytes_plain`],
/// whatever the target.
#[cfg(test)]
pub(crate) fn run_int_plain(p: &PackedMlp, q: &[i64], out: &mut [i32]) {
    // SAFETY: the plain loops need no CPU feature.
    unsafe { blocks::run_int(&Plain, p, q, out) }
}

/// [`blocks::run_f32`] on the plain loops, whatever the target.
#[cfg(test)]
pub(crate) fn run_f32_plain(p: &PackedMlp, q: InputQuant, x: &[f32], out: &mut [i32]) -> Option<usize> {
    // SAFETY: as above.
    unsafe { blocks::run_f32(&Plain, p, q, x, out) }
}

/// The sums of signed bytes ([`Lanes::I8`]) in the form of [`dense16::dense`]: `acc[c][r] =
/// bias[j0 + c] + Σ_g Σ_t byte_t(words[g][r]) · byte_t(pairs[g][j0 + c])`, signed bytes, in
/// wrapping 32-bit arithmetic, as aarch64's `sdot` computes them; what the tests compare that
/// kernel with, and what the plain test set runs on every target.
#[cfg(test)]
pub(crate) fn dense_bytes_plain(words: &[i32], pairs: &[i32], bias: &[i32], j0: usize, acc: &mut [[i32; BLOCK]]) {
    let n_pad = bias.len();
    for (c, a) in acc.iter_mut().enumerate() {
        *a = [bias[j0 + c]; BLOCK];
    }
    for (g, xg) in words.chunks_exact(BLOCK).enumerate() {
        for (a, &w) in acc.iter_mut().zip(&pairs[g * n_pad + j0..]) {
            let w = w.to_le_bytes().map(|b| i32::from(b as i8));
            for (ar, &x) in a.iter_mut().zip(xg) {
                let x = x.to_le_bytes().map(|b| i32::from(b as i8));
                *ar = ar.wrapping_add(x[0] * w[0] + x[1] * w[1] + x[2] * w[2] + x[3] * w[3]);
            }
        }
    }
}

/// Quantizes `rows` float samples into packed words in `buf` (`[words][BLOCK]`, lanes past
/// `rows` zero; 16-bit word pairs, or bytes where the model's inputs are packed so):
/// `clamp(x / scale)` (or `x · scale⁻¹` where that is exact), rounded half to even, minus the
/// input offset. `false` when a value is not finite.
#[inline(always)]
pub(crate) fn pack_f32_words(p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
    let d = p.d_in;
    let words = p.words_in();
    let per = p.lanes_in.per_word();
    // One row of 16-bit values per sample, padded to whole words.
    let stride = per * words;
    let mut tile = vec![0i16; BLOCK * stride];
    let offset = p.offset_in;
    let mut bad = 0u32;
    let inverse = q.exact_inverse();
    // `y + 1.5·2^23` for an integer-valued `|y| < 2^22` has the bit pattern `ROUND_BITS + y`.
    let base = ROUND_F32.to_bits() as i32 + offset;
    for (row, t) in x.chunks_exact(d).take(rows).zip(tile.chunks_exact_mut(stride)) {
        for (o, &v) in t.iter_mut().zip(row) {
            // Infinities and NaN have every exponent bit set.
            bad |= u32::from(v.to_bits() & 0x7F80_0000 == 0x7F80_0000);
            let y = match inverse {
                Some(inv) => v * inv,
                None => v / q.scale,
            };
            // The clamp first (the range lies within ±2^15; `max` and `min` also take a NaN to
            // the bounds), then rounding half to even by the magic number, read back from the
            // bits: the same integer as rounding first, since the bounds are integers.
            let y = y.max(q.lo).min(q.hi) + ROUND_F32;
            *o = (y.to_bits() as i32 - base) as i16;
        }
    }
    for w in 0..words {
        let dst = &mut buf[w * BLOCK..(w + 1) * BLOCK];
        for (r, o) in dst.iter_mut().enumerate() {
            let v = &tile[r * stride + per * w..r * stride + per * (w + 1)];
            *o = match p.lanes_in {
                Lanes::I16 => i32::from(v[0] as u16) | (i32::from(v[1]) << 16),
                // Bytes: every value lies within 0..=255 (U8) or −128..=127 (I8).
                Lanes::U8 | Lanes::I8 => i32::from_le_bytes([v[0] as u8, v[1] as u8, v[2] as u8, v[3] as u8]),
            };
        }
    }
    bad == 0
}

/// The shared kernels' block of samples is the engine's.
const _: () = assert!(BLOCK == dense16::BLOCK && CHANNELS.is_multiple_of(dense16::GROUP));

/// One layer on one block ([`Kernels::layer`]), [`CHANNELS`] outputs at a time: their sums by
/// `dense` (a form of [`dense16::dense`] on 16-bit word pairs, or of [`dense_bytes_plain`] on
/// signed bytes, as the layer's inputs are packed), then [`finish_group`].
#[inline(always)]
pub(crate) fn run_layer(
    layer: &PackedLayer,
    x: &[i32],
    y: &mut [i32],
    dense: impl Fn(&[i32], &[i32], &[i32], usize, &mut [[i32; BLOCK]]),
) {
    debug_assert_ne!(layer.lanes_in, Lanes::U8);
    let x = &x[..layer.words_in * BLOCK];
    for j0 in (0..layer.d_out_pad).step_by(CHANNELS) {
        let mut acc = [[0i32; BLOCK]; CHANNELS];
        dense(x, &layer.weight, &layer.bias, j0, &mut acc);
        finish_group(layer, j0, &mut acc, y);
    }
}

/// The end of a group of channels `j0..j0 + acc.len()` (a multiple of four) whose accumulators
/// for the whole block are in `acc`: requantization and clamping, then the outputs to `y`,
/// packed as 16-bit word pairs or bytes for the next layer, or as integers on the last layer.
#[inline(always)]
pub(crate) fn finish_group(layer: &PackedLayer, j0: usize, acc: &mut [[i32; BLOCK]], y: &mut [i32]) {
    for (a, r) in acc.iter_mut().zip(&layer.rq[j0..]) {
        requant_lanes(layer, *r, a);
    }
    match layer.lanes_out {
        None => {
            for (c, a) in acc.iter().enumerate() {
                y[(j0 + c) * BLOCK..(j0 + c + 1) * BLOCK].copy_from_slice(a);
            }
        }
        Some((Lanes::I16, off)) => {
            for (t, pair) in acc.chunks_exact(2).enumerate() {
                let dst = &mut y[(j0 / 2 + t) * BLOCK..(j0 / 2 + t + 1) * BLOCK];
                for ((o, &v0), &v1) in dst.iter_mut().zip(&pair[0]).zip(&pair[1]) {
                    *o = ((v0 - off) & 0xFFFF) | ((v1 - off) << 16);
                }
            }
        }
        Some((Lanes::U8 | Lanes::I8, off)) => {
            for (t, quad) in acc.chunks_exact(4).enumerate() {
                let dst = &mut y[(j0 / 4 + t) * BLOCK..(j0 / 4 + t + 1) * BLOCK];
                for (r, o) in dst.iter_mut().enumerate() {
                    let b = |c: usize| ((quad[c][r] - off) & 0xFF) << (8 * c);
                    *o = b(0) | b(1) | b(2) | b(3);
                }
            }
        }
    }
}

/// Requantizes and clamps one channel's accumulators in place: `acc · num / 2^shift` rounded
/// half to even, in 32-bit lanes, through float64 ([`PackedLayer::float`]) or, failing both, in
/// 64-bit lanes.
#[inline(always)]
pub(crate) fn requant_lanes(layer: &PackedLayer, r: Rq, acc: &mut [i32]) {
    let (lo, hi) = (layer.lo, layer.hi);
    if layer.float {
        let (m, lo, hi) = (r.mult, f64::from(lo), f64::from(hi));
        for a in acc.iter_mut() {
            // `y` lies within the i32 output range, so `y + 1.5·2^52` is `1.5·2^52 + n` with `n`
            // the rounded value, and its low 32 bits are `n`: read from the bits rather than
            // through `as i32`, whose saturating conversion does not vectorize on SSE2.
            let y = (f64::from(*a) * m).max(lo).min(hi);
            *a = (y + ROUND_F64).to_bits() as i32;
        }
    } else if layer.wide {
        for a in acc.iter_mut() {
            let p = i64::from(*a) * r.num;
            let v = (p + r.add + ((p >> r.shift) & r.odd)) >> r.shift;
            *a = v.clamp(i64::from(lo), i64::from(hi)) as i32;
        }
    } else {
        // Every product and sum below is proven to fit i32 (the shift is then below 31).
        let (num, add, odd, shift) = (r.num as i32, r.add as i32, r.odd as i32, r.shift);
        let round = |p: i32| ((p.wrapping_add(add).wrapping_add((p >> shift) & odd)) >> shift).clamp(lo, hi);
        if num == 1 {
            // A pure shift: no multiply (SSE2 has no 32-bit `pmulld` to vectorize it with).
            acc.iter_mut().for_each(|a| *a = round(*a));
        } else {
            acc.iter_mut().for_each(|a| *a = round(a.wrapping_mul(num)));
        }
    }
}
