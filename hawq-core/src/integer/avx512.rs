//! AVX-512 VNNI kernels of the packed integer engine ([`super::packed`]): a block of
//! [`BLOCK`] samples sits in the lanes of two vectors, one 32-bit word (four bytes or two 16-bit
//! words of one sample) per lane; `vpdpbusd` (bytes, here) or `vpdpwssd` (16-bit pairs: the
//! workspace's shared kernel [`dense16::avx512::sums`], which the HLS emulator runs too)
//! multiply them with a broadcast weight word and add into 32-bit accumulators, [`CHANNELS`]
//! output channels at a time; the requantization, clamp and repacking of the outputs happen in
//! registers.
//!
//! The arithmetic is integer arithmetic with every value provably in range (the packing
//! conditions of [`super::packed`]), so the results equal the reference path bit for bit.
#![allow(unsafe_code)] // SIMD intrinsics; every function is called only after runtime feature detection.

use std::arch::x86_64::*;

use qonnx_ir::simd::dense16;

use super::blocks::{self, InputQuant, Kernels};
use super::packed::{BLOCK, CHANNELS, Lanes, PackedLayer, PackedMlp, Rq};

/// The shared kernel's block of samples and pass of channels are the engine's.
const _: () = assert!(BLOCK == dense16::BLOCK && CHANNELS == dense16::avx512::CHANNELS);

/// The AVX-512 kernel set for the block driver.
struct Avx512;

impl Kernels for Avx512 {
    #[inline(always)]
    unsafe fn layer(&self, layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
        // SAFETY: the driver runs inside `run_f32` / `run_int`, whose callers checked the CPU.
        unsafe { run_layer(layer, x, y) }
    }

    #[inline(always)]
    unsafe fn pack_f32(&self, p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
        // SAFETY: as above.
        unsafe { pack_f32(p, q, x, rows, buf) }
    }
}

/// [`blocks::run_f32`] on the AVX-512 kernels.
///
/// # Safety
/// The CPU must support AVX-512F, AVX-512BW and AVX-512 VNNI (`Simd::Avx512.supported()`).
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(crate) unsafe fn run_f32(p: &PackedMlp, q: InputQuant, x: &[f32], out: &mut [i32]) -> Option<usize> {
    // SAFETY: this function's own features are the kernels'.
    unsafe { blocks::run_f32(&Avx512, p, q, x, out) }
}

/// [`blocks::run_int`] on the AVX-512 kernels.
///
/// # Safety
/// As [`run_f32`].
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
pub(crate) unsafe fn run_int(p: &PackedMlp, q: &[i64], out: &mut [i32]) {
    // SAFETY: as above.
    unsafe { blocks::run_int(&Avx512, p, q, out) }
}

/// Quantizes `rows` float samples into packed words in `buf` (`[words][BLOCK]`); `false` when a
/// value is not finite.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn pack_f32(p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
    let d = p.d_in;
    let per = p.lanes_in.per_word();
    let (scale, lo, hi) = (_mm512_set1_ps(q.scale), _mm512_set1_ps(q.lo), _mm512_set1_ps(q.hi));
    let inverse = q.exact_inverse().map(|inv| _mm512_set1_ps(inv));
    let offset = _mm512_set1_epi32(p.offset_in);
    let zero = _mm512_setzero_ps();
    let mut bad = 0u16;
    // One chunk of 16 features of every row of the block: row-major words in `tile`, then
    // transposed into `buf` (word-major, as the layers read them).
    let mut tile = [0i32; BLOCK * 8];
    for k0 in (0..d).step_by(16) {
        let m = 16.min(d - k0);
        let mask: __mmask16 = if m == 16 { 0xFFFF } else { (1u16 << m) - 1 };
        let words = m.div_ceil(per);
        let chunk = Chunk { k0, mask, offset, lo, hi, zero };
        bad |= match (p.lanes_in, inverse) {
            (Lanes::U8, Some(inv)) => quantize_chunk::<true, true>(x, d, rows, &chunk, inv, &mut tile),
            (Lanes::U8, None) => quantize_chunk::<true, false>(x, d, rows, &chunk, scale, &mut tile),
            (Lanes::I16, Some(inv)) => quantize_chunk::<false, true>(x, d, rows, &chunk, inv, &mut tile),
            (Lanes::I16, None) => quantize_chunk::<false, false>(x, d, rows, &chunk, scale, &mut tile),
            (Lanes::I8, _) => unreachable!("signed bytes are packed for the aarch64 kernels only"),
        };
        let at = k0 / per;
        match p.lanes_in {
            Lanes::U8 => {
                tile[4 * rows..4 * BLOCK].fill(0);
                transpose_bytes(&tile, words, &mut buf[at * BLOCK..]);
            }
            Lanes::I16 => {
                for (r, row) in tile.chunks_exact(8).take(rows).enumerate() {
                    for (t, &w) in row.iter().take(words).enumerate() {
                        buf[(at + t) * BLOCK + r] = w;
                    }
                }
                for t in 0..words {
                    buf[(at + t) * BLOCK + rows..(at + t + 1) * BLOCK].fill(0);
                }
            }
            Lanes::I8 => unreachable!("signed bytes are packed for the aarch64 kernels only"),
        }
    }
    bad == 0
}

/// What [`quantize_chunk`] needs besides the data.
struct Chunk {
    /// First feature of the chunk.
    k0: usize,
    /// Features of the chunk present.
    mask: __mmask16,
    /// The input offset, the range as floats, and zero.
    offset: __m512i,
    lo: __m512,
    hi: __m512,
    zero: __m512,
}

/// Quantizes features `k0..k0 + 16` of `rows` rows of `x` (`d` features per row) into `tile`
/// (4 words per row as bytes when `BYTES`, else 8 words of 16-bit values), multiplying by the
/// exact inverse scale when `MUL` and dividing by the scale otherwise. Returns the lanes that
/// held a non-finite value.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn quantize_chunk<const BYTES: bool, const MUL: bool>(
    x: &[f32],
    d: usize,
    rows: usize,
    c: &Chunk,
    factor: __m512,
    tile: &mut [i32; BLOCK * 8],
) -> __mmask16 {
    let mut bad = 0;
    for (r, row) in x.chunks_exact(d).take(rows).enumerate() {
        // SAFETY: the mask limits the load to `row[k0..k0 + m]`.
        let v = unsafe { _mm512_maskz_loadu_ps(c.mask, row.as_ptr().add(c.k0)) };
        bad |= c.mask & !_mm512_cmp_ps_mask::<_CMP_EQ_OQ>(_mm512_sub_ps(v, v), c.zero);
        let y = if MUL { _mm512_mul_ps(v, factor) } else { _mm512_div_ps(v, factor) };
        let y = _mm512_min_ps(_mm512_max_ps(y, c.lo), c.hi);
        let i = _mm512_sub_epi32(
            _mm512_cvt_roundps_epi32::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(y),
            c.offset,
        );
        if BYTES {
            // SAFETY: `tile[4r..4r + 4]` holds the 16 bytes.
            unsafe { _mm_storeu_si128(tile[4 * r..4 * r + 4].as_mut_ptr().cast(), _mm512_cvtepi32_epi8(i)) };
        } else {
            // SAFETY: `tile[8r..8r + 8]` holds the 32 bytes.
            unsafe { _mm256_storeu_si256(tile[8 * r..8 * r + 8].as_mut_ptr().cast(), _mm512_cvtepi32_epi16(i)) };
        }
    }
    bad
}

/// `tile` holds 4 words per row for BLOCK rows; writes the first `words` of them word-major:
/// `buf[w·BLOCK + r] = tile[4r + w]`. Per 16 rows: a permutation makes each 128-bit lane one
/// word of 4 rows, then a 4 × 4 transpose of lanes collects each word's 16 rows.
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn transpose_bytes(tile: &[i32], words: usize, buf: &mut [i32]) {
    let order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    for h in 0..VECS {
        let mut z = [_mm512_setzero_si512(); 4];
        for (k, zk) in z.iter_mut().enumerate() {
            let at = 4 * (16 * h + 4 * k);
            // SAFETY: `tile[at..at + 16]` is in bounds (checked by the slice).
            *zk = _mm512_permutexvar_epi32(order, unsafe { _mm512_loadu_si512(tile[at..at + 16].as_ptr().cast()) });
        }
        let t0 = _mm512_shuffle_i32x4::<0b01_00_01_00>(z[0], z[1]);
        let t1 = _mm512_shuffle_i32x4::<0b01_00_01_00>(z[2], z[3]);
        let t2 = _mm512_shuffle_i32x4::<0b11_10_11_10>(z[0], z[1]);
        let t3 = _mm512_shuffle_i32x4::<0b11_10_11_10>(z[2], z[3]);
        let out = [
            _mm512_shuffle_i32x4::<0b10_00_10_00>(t0, t1),
            _mm512_shuffle_i32x4::<0b11_01_11_01>(t0, t1),
            _mm512_shuffle_i32x4::<0b10_00_10_00>(t2, t3),
            _mm512_shuffle_i32x4::<0b11_01_11_01>(t2, t3),
        ];
        for (w, ow) in out.into_iter().enumerate().take(words) {
            let at = w * BLOCK + 16 * h;
            // SAFETY: `buf[at..at + 16]` is in bounds (checked by the slice).
            unsafe { _mm512_storeu_si512(buf[at..at + 16].as_mut_ptr().cast(), ow) };
        }
    }
}

/// 512-bit vectors per block row.
const VECS: usize = BLOCK / 16;

/// One block row of 32-bit values in registers.
type Row = [__m512i; VECS];

/// The sums of channels `j0 .. j0 + CHANNELS` of a layer whose inputs are unsigned bytes, four
/// per word: `vpdpbusd` multiplies each sample's four bytes with the four signed weight bytes of
/// a broadcast word and adds the products into 32-bit accumulators (`vpdpwssd` on 16-bit
/// inputs is the shared [`dense16::avx512::sums`]).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn byte_sums(layer: &PackedLayer, x: &[i32], j0: usize) -> [Row; CHANNELS] {
    let stride = layer.d_out_pad;
    let mut acc = [[_mm512_setzero_si512(); VECS]; CHANNELS];
    for (a, &b) in acc.iter_mut().zip(&layer.bias[j0..j0 + CHANNELS]) {
        *a = [_mm512_set1_epi32(b); VECS];
    }
    for (g, xg) in x.chunks_exact(BLOCK).enumerate() {
        let xv = load(xg);
        for (a, &w) in acc.iter_mut().zip(&layer.weight[g * stride + j0..g * stride + j0 + CHANNELS]) {
            let w = _mm512_set1_epi32(w);
            for (ah, xh) in a.iter_mut().zip(xv) {
                *ah = _mm512_dpbusd_epi32(*ah, xh, w);
            }
        }
    }
    acc
}

/// Loads `x[0..BLOCK]`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn load(x: &[i32]) -> Row {
    let x = &x[..BLOCK];
    let mut v = [_mm512_setzero_si512(); VECS];
    for (h, vh) in v.iter_mut().enumerate() {
        // SAFETY: `x` holds BLOCK = 16 · VECS values.
        *vh = unsafe { _mm512_loadu_si512(x[16 * h..].as_ptr().cast()) };
    }
    v
}

/// Stores `v` to `y[0..BLOCK]`.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn store(y: &mut [i32], v: Row) {
    let y = &mut y[..BLOCK];
    for (h, vh) in v.into_iter().enumerate() {
        // SAFETY: `y` holds BLOCK = 16 · VECS values.
        unsafe { _mm512_storeu_si512(y[16 * h..].as_mut_ptr().cast(), vh) };
    }
}

/// One layer on one block: `x` holds `layer.words_in` input words per sample, the outputs go to
/// `y` (packed words for a hidden layer, `[d_out_pad][BLOCK]` integers for the last).
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn run_layer(layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
    let stride = layer.d_out_pad;
    let x = &x[..layer.words_in * BLOCK];
    let (lo, hi) = (_mm512_set1_epi32(layer.lo), _mm512_set1_epi32(layer.hi));
    for j0 in (0..stride).step_by(CHANNELS) {
        let mut v = match layer.lanes_in {
            Lanes::U8 => byte_sums(layer, x, j0),
            // SAFETY: this function's own features are the kernel's.
            Lanes::I16 => unsafe { dense16::avx512::sums::<CHANNELS>(x, &layer.weight, &layer.bias[..stride], j0) },
            Lanes::I8 => unreachable!("signed bytes are packed for the aarch64 kernels only"),
        };
        let rq = &layer.rq[j0..j0 + CHANNELS];
        // Unsigned byte outputs are clamped by saturating packs below (the float64 path out of
        // i32 and the 64-bit path clamp themselves).
        let bytes = layer.lanes_out == Some((Lanes::U8, 0)) && layer.lo == 0;
        let unit = layer.unit;
        let (lo_f, hi_f) = (_mm512_set1_pd(f64::from(layer.lo)), _mm512_set1_pd(f64::from(layer.hi)));
        for (vc, r) in v.iter_mut().zip(rq) {
            for vh in vc.iter_mut() {
                *vh = if layer.float_in_i32 {
                    let q = requant_f64_in_i32(*vh, r.mult);
                    if bytes { q } else { _mm512_min_epi32(_mm512_max_epi32(q, lo), hi) }
                } else if layer.float {
                    requant_f64(*vh, r.mult, lo_f, hi_f)
                } else if layer.wide {
                    requant64(*vh, *r, layer.lo, layer.hi)
                } else if bytes {
                    requant32(*vh, *r, unit)
                } else {
                    _mm512_min_epi32(_mm512_max_epi32(requant32(*vh, *r, unit), lo), hi)
                };
            }
        }
        if bytes {
            // Per 128-bit lane, `packs` + `packus` leave the bytes of 4 samples × 4 channels
            // channel-major; the shuffle makes them sample-major (one word per sample).
            let order = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15));
            let top = _mm512_set1_epi8(layer.hi as i8);
            for (t, g) in v.chunks_exact(4).enumerate() {
                let mut word = [_mm512_setzero_si512(); VECS];
                for (h, w) in word.iter_mut().enumerate() {
                    let a = _mm512_packs_epi32(g[0][h], g[1][h]);
                    let b = _mm512_packs_epi32(g[2][h], g[3][h]);
                    let u = _mm512_min_epu8(_mm512_packus_epi16(a, b), top);
                    *w = _mm512_shuffle_epi8(u, order);
                }
                store(&mut y[(j0 / 4 + t) * BLOCK..], word);
            }
            continue;
        }
        match layer.lanes_out {
            None => {
                for (c, vc) in v.into_iter().enumerate() {
                    store(&mut y[(j0 + c) * BLOCK..], vc);
                }
            }
            Some((Lanes::U8, off)) => {
                let off = _mm512_set1_epi32(off);
                for (t, g) in v.chunks_exact(4).enumerate() {
                    let mut word = [_mm512_setzero_si512(); VECS];
                    for (h, w) in word.iter_mut().enumerate() {
                        let (u0, u1) = (_mm512_sub_epi32(g[0][h], off), _mm512_sub_epi32(g[1][h], off));
                        let (u2, u3) = (_mm512_sub_epi32(g[2][h], off), _mm512_sub_epi32(g[3][h], off));
                        let low = _mm512_or_si512(u0, _mm512_slli_epi32::<8>(u1));
                        let high = _mm512_or_si512(_mm512_slli_epi32::<16>(u2), _mm512_slli_epi32::<24>(u3));
                        *w = _mm512_or_si512(low, high);
                    }
                    store(&mut y[(j0 / 4 + t) * BLOCK..], word);
                }
            }
            Some((Lanes::I16, off)) => {
                let (off, mask) = (_mm512_set1_epi32(off), _mm512_set1_epi32(0xFFFF));
                for (t, g) in v.chunks_exact(2).enumerate() {
                    let mut word = [_mm512_setzero_si512(); VECS];
                    for (h, w) in word.iter_mut().enumerate() {
                        let low = _mm512_and_si512(_mm512_sub_epi32(g[0][h], off), mask);
                        *w = _mm512_or_si512(low, _mm512_slli_epi32::<16>(_mm512_sub_epi32(g[1][h], off)));
                    }
                    store(&mut y[(j0 / 2 + t) * BLOCK..], word);
                }
            }
            Some((Lanes::I8, _)) => unreachable!("signed bytes are packed for the aarch64 kernels only"),
        }
    }
}

/// `(p + add + ((p >> shift) & odd)) >> shift` with `p = acc · num` (`acc` itself when `unit`,
/// whose addends are folded into the bias), in 32-bit lanes; without branches per channel (a
/// zero shift has `add = odd = 0`).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn requant32(acc: __m512i, r: Rq, unit: bool) -> __m512i {
    let p = if unit { acc } else { _mm512_mullo_epi32(acc, _mm512_set1_epi32(r.num as i32)) };
    let c = _mm_cvtsi32_si128(r.shift as i32);
    let bit = _mm512_and_si512(_mm512_sra_epi32(p, c), _mm512_set1_epi32(r.odd as i32));
    // With a unit numerator the addend sits in the bias already (`add` is 0).
    let p = if unit { p } else { _mm512_add_epi32(p, _mm512_set1_epi32(r.add as i32)) };
    _mm512_sra_epi32(_mm512_add_epi32(p, bit), c)
}

/// The same through float64, clamped: `acc · mult` is exact there (the layer's
/// [`PackedLayer::float`] bound), clamping to the integer bounds commutes with rounding, and the
/// conversion rounds to nearest even. Two float64 multiplies replace two 64-bit integer products
/// and their 64-bit shifts.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn requant_f64(acc: __m512i, mult: f64, lo: __m512d, hi: __m512d) -> __m512i {
    let m = _mm512_set1_pd(mult);
    let low = requant_f64_half(_mm512_castsi512_si256(acc), m, lo, hi);
    let high = requant_f64_half(_mm512_extracti64x4_epi64::<1>(acc), m, lo, hi);
    _mm512_inserti64x4::<1>(_mm512_castsi256_si512(low), high)
}

/// [`requant_f64`] on 8 lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn requant_f64_half(v: __m256i, m: __m512d, lo: __m512d, hi: __m512d) -> __m256i {
    let y = _mm512_min_pd(_mm512_max_pd(_mm512_mul_pd(_mm512_cvtepi32_pd(v), m), lo), hi);
    _mm512_cvt_roundpd_epi32::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(y)
}

/// [`requant_f64`] without the clamp, for layers whose products stay within `±i32::MAX`
/// ([`PackedLayer::float_in_i32`]): the conversion cannot leave the 32-bit range, and the
/// caller clamps in 32-bit lanes (rounding commutes with clamping to integer bounds).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn requant_f64_in_i32(acc: __m512i, mult: f64) -> __m512i {
    let m = _mm512_set1_pd(mult);
    let low = round_f64_half(_mm512_castsi512_si256(acc), m);
    let high = round_f64_half(_mm512_extracti64x4_epi64::<1>(acc), m);
    _mm512_inserti64x4::<1>(_mm512_castsi256_si512(low), high)
}

/// [`requant_f64_in_i32`] on 8 lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn round_f64_half(v: __m256i, m: __m512d) -> __m256i {
    _mm512_cvt_roundpd_epi32::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(_mm512_mul_pd(
        _mm512_cvtepi32_pd(v),
        m,
    ))
}

/// The same with 64-bit products, clamped, back in 32-bit lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn requant64(acc: __m512i, r: Rq, lo: i32, hi: i32) -> __m512i {
    let even = round64(_mm512_mul_epi32(acc, _mm512_set1_epi64(r.num)), r, lo, hi);
    let odd = round64(_mm512_mul_epi32(_mm512_srli_epi64::<32>(acc), _mm512_set1_epi64(r.num)), r, lo, hi);
    _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64::<32>(odd))
}

/// `clamp((p + add + ((p >> shift) & odd)) >> shift)` in 64-bit lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn round64(p: __m512i, r: Rq, lo: i32, hi: i32) -> __m512i {
    let c = _mm_cvtsi32_si128(r.shift as i32);
    let bit = _mm512_and_si512(_mm512_sra_epi64(p, c), _mm512_set1_epi64(r.odd));
    let q = _mm512_sra_epi64(_mm512_add_epi64(_mm512_add_epi64(p, _mm512_set1_epi64(r.add)), bit), c);
    _mm512_min_epi64(_mm512_max_epi64(q, _mm512_set1_epi64(i64::from(lo))), _mm512_set1_epi64(i64::from(hi)))
}
