//! AVX2 kernels of the packed integer engine: activations as two 16-bit words per 32-bit lane
//! ([`Lanes::I16`]; models are packed without bytes for this set), summed by the workspace's
//! shared AVX2 dense kernel ([`dense16::avx2::sums`]: `vpmaddwd` with a broadcast weight word
//! pair, `vpaddd` into 8 accumulators, 4 output channels × 16 samples a pass, the sums left in
//! registers). Requantization happens there, in registers, in a form chosen once a layer: a
//! multiply and per-lane shifts in 32-bit lanes, or float64 (one fused multiply-add with a
//! rounding constant where the results fit 32 bits) where the layer's products need more than
//! 32 bits and are proven below 2^53; the few layers beyond that take the portable 64-bit lanes.
//! The AVX-VNNI set ([`super::avx_vnni`]) runs this layer driver and input packing too, with its
//! own sums ([`Sums`]) and byte activations ([`Lanes::U8`]) besides the words.
//!
//! Sums are proven to fit `i32` when the model is packed ([`super::packed`]); `vpmaddwd` wraps
//! only on a pair of `−2^15 · −2^15` products, whose wrap the final, fitting sum undoes. The float
//! inputs are quantized eight at a time and transposed into the block layout in registers.
#![allow(unsafe_code)] // SIMD intrinsics; every function is called only after runtime feature detection.

use std::arch::x86_64::*;

use qonnx_ir::simd::dense16::{self, GROUP, avx2::SPAN as HALF};

use super::blocks::{self, InputQuant, Kernels};
use super::packed::{BLOCK, Lanes, PackedLayer, PackedMlp, Rq};
use super::portable::{self, ROUND_F64};

/// The shared kernel's block of samples is the engine's block, and a pass's channels fill one
/// word of bytes.
const _: () = assert!(BLOCK == dense16::BLOCK && GROUP == 4);

/// The AVX2 kernel set for the block driver.
struct Avx2;

impl Kernels for Avx2 {
    #[inline(always)]
    unsafe fn layer(&self, layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
        // SAFETY: the driver runs inside `run_f32` / `run_int`, whose callers checked the CPU.
        unsafe { run_layer::<Words>(layer, x, y) }
    }

    #[inline(always)]
    unsafe fn pack_f32(&self, p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
        // SAFETY: as above.
        unsafe { pack_f32(p, q, x, rows, buf) }
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

/// The sums of one pass of [`run_layer`]: channels `j0 .. j0 + GROUP` of `layer` on samples
/// `h .. h + HALF` of the block whose packed inputs are `x`, `sums[c][k]` holding samples
/// `h + 8k .. h + 8k + 8` of channel `j0 + c`, bias included.
pub(super) trait Sums {
    /// The pass's sums.
    ///
    /// # Safety
    /// The CPU must have the features of the kernel set that uses this form.
    unsafe fn sums(layer: &PackedLayer, x: &[i32], j0: usize, h: usize) -> [[__m256i; 2]; GROUP];
}

/// [`Sums`] on 16-bit words: the shared [`dense16::avx2::sums`] (`vpmaddwd`, `vpaddd`).
struct Words;

impl Sums for Words {
    #[inline(always)]
    unsafe fn sums(layer: &PackedLayer, x: &[i32], j0: usize, h: usize) -> [[__m256i; 2]; GROUP] {
        debug_assert_eq!(layer.lanes_in, Lanes::I16);
        // SAFETY: the caller vouches for AVX2.
        unsafe { dense16::avx2::sums(x, &layer.weight, &layer.bias[..layer.d_out_pad], j0, h) }
    }
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

/// The requantization forms of these kernels, chosen once a layer ([`requant_mode`]). In 32-bit
/// lanes: a multiply and shifts ([`requant32`]).
const SHIFT32: u8 = 0;
/// Through float64, products within `±i32::MAX` ([`PackedLayer::float_in_i32`]).
const F64_IN_I32: u8 = 1;
/// Through float64, clamped there ([`PackedLayer::float`]).
const F64: u8 = 2;
/// In 64-bit lanes (the portable code).
const WIDE: u8 = 3;

/// The requantization form of `layer` on these kernels.
fn requant_mode(layer: &PackedLayer) -> u8 {
    if layer.float_in_i32 {
        F64_IN_I32
    } else if layer.float {
        F64
    } else if layer.wide {
        WIDE
    } else {
        SHIFT32
    }
}

/// One layer on one block ([`Kernels::layer`]) with the sums of `S`, its requantization form
/// fixed at compile time. Without target features of its own, so that it is compiled into the
/// kernel set's entry points (`run_f32`, `run_int`) with all of theirs: the sums of the AVX-VNNI
/// set are then inlined rather than called once a pass.
///
/// # Safety
/// The CPU must have AVX2, FMA and the features `S` needs.
#[inline(always)]
pub(super) unsafe fn run_layer<S: Sums>(layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
    // SAFETY: the caller vouches for the features.
    unsafe {
        match requant_mode(layer) {
            SHIFT32 => run_layer_in::<SHIFT32, S>(layer, x, y),
            F64_IN_I32 => run_layer_in::<F64_IN_I32, S>(layer, x, y),
            F64 => run_layer_in::<F64, S>(layer, x, y),
            _ => run_layer_in::<WIDE, S>(layer, x, y),
        }
    }
}

/// One channel's requantization constants as vectors, set up once a group of channels.
#[derive(Clone, Copy)]
struct Consts {
    /// Numerator, rounding addend, odd-bit mask and shift (the integer form).
    num: __m256i,
    add: __m256i,
    odd: __m256i,
    shift: __m256i,
    /// `num / 2^shift` (the float64 forms).
    mult: __m256d,
}

impl Consts {
    /// The constants of channels `rq` (a group).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn of(rq: &[Rq]) -> [Consts; GROUP] {
        let mut consts = [Consts {
            num: _mm256_setzero_si256(),
            add: _mm256_setzero_si256(),
            odd: _mm256_setzero_si256(),
            shift: _mm256_setzero_si256(),
            mult: _mm256_setzero_pd(),
        }; GROUP];
        for (k, r) in consts.iter_mut().zip(rq) {
            *k = Consts {
                num: _mm256_set1_epi32(r.num as i32),
                add: _mm256_set1_epi32(r.add as i32),
                odd: _mm256_set1_epi32(r.odd as i32),
                shift: _mm256_set1_epi32(r.shift as i32),
                mult: _mm256_set1_pd(r.mult),
            };
        }
        consts
    }
}

/// Eight samples of the four channels `v` as words of bytes, channel 0 lowest: each clamped to
/// `[lo, hi]` and less `off` (`bounds`), which leaves it in 0..=255, so that the saturating packs
/// keep it; `transpose` is the byte order that makes the packs' channel-major bytes
/// sample-major.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn byte_words(v: [__m256i; GROUP], bounds: [__m256i; 3], transpose: __m256i) -> __m256i {
    let [lo, hi, off] = bounds;
    let (u0, u1) = (_mm256_sub_epi32(clamp(v[0], lo, hi), off), _mm256_sub_epi32(clamp(v[1], lo, hi), off));
    let (u2, u3) = (_mm256_sub_epi32(clamp(v[2], lo, hi), off), _mm256_sub_epi32(clamp(v[3], lo, hi), off));
    _mm256_shuffle_epi8(_mm256_packus_epi16(_mm256_packs_epi32(u0, u1), _mm256_packs_epi32(u2, u3)), transpose)
}

/// [`run_layer`] with requantization form `MODE`.
///
/// # Safety
/// As [`run_layer`].
#[inline(always)]
unsafe fn run_layer_in<const MODE: u8, S: Sums>(layer: &PackedLayer, x: &[i32], y: &mut [i32]) {
    // SAFETY: the caller vouches for AVX2, FMA and the features of `S`; every intrinsic and
    // kernel called here needs no more.
    unsafe {
        let stride = layer.d_out_pad;
        let x = &x[..layer.words_in * BLOCK];
        let (lo, hi) = (_mm256_set1_epi32(layer.lo), _mm256_set1_epi32(layer.hi));
        let (lo_f, hi_f) = (_mm256_set1_pd(f64::from(layer.lo)), _mm256_set1_pd(f64::from(layer.hi)));
        let magic = _mm256_set1_pd(ROUND_F64);
        // Per 128-bit half, `vpackssdw` leaves four values of one channel, then four of the next;
        // this byte order alternates them.
        #[rustfmt::skip]
        let interleave = _mm256_setr_epi8(
            0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,
            0, 1, 8, 9, 2, 3, 10, 11, 4, 5, 12, 13, 6, 7, 14, 15,
        );
        // Per 128-bit half, `vpackssdw` + `vpackuswb` leave the bytes of four samples × four
        // channels channel-major; this byte order makes them sample-major (one word a sample).
        #[rustfmt::skip]
        let transpose = _mm256_setr_epi8(
            0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
            0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15,
        );
        for j0 in (0..stride).step_by(GROUP) {
            let rq = &layer.rq[j0..j0 + GROUP];
            let consts = Consts::of(rq);
            for h in (0..BLOCK).step_by(HALF) {
                let mut acc = S::sums(layer, x, j0, h);
                for ((a, k), r) in acc.iter_mut().zip(&consts).zip(rq) {
                    for ah in a.iter_mut() {
                        *ah = match MODE {
                            // Clamped below, with the packing.
                            SHIFT32 => requant32(*ah, k, layer.unit),
                            F64_IN_I32 => requant_f64_in_i32(*ah, k.mult, magic),
                            F64 => requant_f64(*ah, k.mult, lo_f, hi_f),
                            _ => {
                                let mut lanes = [0i32; 8];
                                store(&mut lanes, *ah);
                                portable::requant_lanes(layer, *r, &mut lanes);
                                load(&lanes)
                            }
                        };
                    }
                }
                match layer.lanes_out {
                    None => {
                        for (c, a) in acc.iter().enumerate() {
                            let at = (j0 + c) * BLOCK + h;
                            store(&mut y[at..], clamp(a[0], lo, hi));
                            store(&mut y[at + 8..], clamp(a[1], lo, hi));
                        }
                    }
                    Some((Lanes::U8, off)) => {
                        // The group's four channels clamped, less the offset (which leaves them in
                        // 0..=255, so the saturating packs keep them), one byte each of a word:
                        // channel `j0` lowest.
                        let off = _mm256_set1_epi32(off);
                        let at = (j0 / 4) * BLOCK + h;
                        for k in 0..2 {
                            let v = [acc[0][k], acc[1][k], acc[2][k], acc[3][k]];
                            store(&mut y[at + 8 * k..], byte_words(v, [lo, hi, off], transpose));
                        }
                    }
                    Some((lanes, off)) => {
                        debug_assert_eq!(lanes, Lanes::I16);
                        // Two channels' values saturated to 16 bits, clamped there (the bounds are
                        // 16-bit values and saturation keeps the order, so this is the clamp in 32
                        // bits), less the offset, and interleaved into words: channel `j` low.
                        let (lo, hi) = (_mm256_set1_epi16(layer.lo as i16), _mm256_set1_epi16(layer.hi as i16));
                        let off = _mm256_set1_epi16(off as i16);
                        for (t, pair) in acc.chunks_exact(2).enumerate() {
                            let at = (j0 / 2 + t) * BLOCK + h;
                            for k in 0..2 {
                                let v = _mm256_min_epi16(
                                    _mm256_max_epi16(_mm256_packs_epi32(pair[0][k], pair[1][k]), lo),
                                    hi,
                                );
                                store(&mut y[at + 8 * k..], _mm256_shuffle_epi8(_mm256_sub_epi16(v, off), interleave));
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `v` clamped to `[lo, hi]`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn clamp(v: __m256i, lo: __m256i, hi: __m256i) -> __m256i {
    _mm256_min_epi32(_mm256_max_epi32(v, lo), hi)
}

/// `(p + add + ((p >> shift) & odd)) >> shift` with `p = acc · num` in 32-bit lanes (the
/// packing proved that nothing overflows; with unit numerators the addend sits in the bias).
/// The shifts take the count per lane (`vpsravd`, one instruction where a count in a register
/// takes two).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn requant32(acc: __m256i, k: &Consts, unit: bool) -> __m256i {
    let p = if unit { acc } else { _mm256_mullo_epi32(acc, k.num) };
    let bit = _mm256_and_si256(_mm256_srav_epi32(p, k.shift), k.odd);
    let p = if unit { p } else { _mm256_add_epi32(p, k.add) };
    _mm256_srav_epi32(_mm256_add_epi32(p, bit), k.shift)
}

/// [`requant_f64`] without the clamp, for layers whose products stay within `±i32::MAX`
/// ([`PackedLayer::float_in_i32`]); the caller clamps in 32-bit lanes (rounding commutes with
/// clamping to integer bounds). One fused multiply-add per four lanes gives `acc · mult +
/// 1.5·2^52` rounded once, to nearest even: `1.5·2^52 + n` with `n` the rounded product (exact,
/// since the spacing there is 1 and `|n| < 2^31`), whose low 32 bits are `n`; a shuffle then
/// collects the eight low halves.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn requant_f64_in_i32(acc: __m256i, mult: __m256d, magic: __m256d) -> __m256i {
    let low = _mm256_fmadd_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(acc)), mult, magic);
    let high = _mm256_fmadd_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256::<1>(acc)), mult, magic);
    // Per 128-bit half: the low words of two lanes of `low`, then of two of `high` (samples 0, 1,
    // 4, 5 | 2, 3, 6, 7); the permutation restores the order.
    let words = _mm256_shuffle_ps::<0b10_00_10_00>(_mm256_castpd_ps(low), _mm256_castpd_ps(high));
    _mm256_permute4x64_epi64::<0b11_01_10_00>(_mm256_castps_si256(words))
}

/// The requantization through float64, clamped: exact under the layer's
/// [`PackedLayer::float`] bound; `vcvtpd2dq` rounds to nearest even (the default rounding mode).
#[inline]
#[target_feature(enable = "avx2,fma")]
fn requant_f64(acc: __m256i, m: __m256d, lo: __m256d, hi: __m256d) -> __m256i {
    let low = requant_f64_half(_mm256_castsi256_si128(acc), m, lo, hi);
    let high = requant_f64_half(_mm256_extracti128_si256::<1>(acc), m, lo, hi);
    _mm256_set_m128i(high, low)
}

/// [`requant_f64`] on 4 lanes.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn requant_f64_half(v: __m128i, m: __m256d, lo: __m256d, hi: __m256d) -> __m128i {
    _mm256_cvtpd_epi32(_mm256_min_pd(_mm256_max_pd(_mm256_mul_pd(_mm256_cvtepi32_pd(v), m), lo), hi))
}

/// Quantizes `rows` float samples into 16-bit word pairs or, for [`Lanes::U8`] inputs, words of
/// four bytes in `buf` (`[words][BLOCK]`, lanes past `rows` zero), as
/// [`portable::pack_f32_words`] does: sixteen features of eight rows at a time, quantized in
/// 8-lane vectors (`vcvtps2dq` rounds to nearest even, the default rounding mode), packed into
/// eight words a row (four of bytes), and an 8 × 8 transpose gathers each word's eight rows.
/// `false` when a value is not finite.
#[target_feature(enable = "avx2,fma")]
pub(super) fn pack_f32(p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool {
    debug_assert_ne!(p.lanes_in, Lanes::I8);
    let bytes = p.lanes_in == Lanes::U8;
    let per = p.lanes_in.per_word();
    let d = p.d_in;
    let inverse = q.exact_inverse();
    let quant = Quantize {
        factor: _mm256_set1_ps(inverse.unwrap_or(q.scale)),
        multiply: inverse.is_some(),
        lo: _mm256_set1_ps(q.lo),
        hi: _mm256_set1_ps(q.hi),
        offset: _mm256_set1_epi32(p.offset_in),
    };
    let byte_order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    let mut bad = _mm256_setzero_ps();
    for k0 in (0..d).step_by(16) {
        let m = 16.min(d - k0);
        for r0 in (0..BLOCK).step_by(8) {
            let mut t = [_mm256_setzero_si256(); 8];
            for (i, ti) in t.iter_mut().enumerate().take(rows.saturating_sub(r0)) {
                let row = &x[(r0 + i) * d + k0..(r0 + i) * d + k0 + m];
                let (a, b) = if m == 16 {
                    (load_ps(&row[..8]), load_ps(&row[8..]))
                } else {
                    // Features past `d` quantize zero: a value in range, times zero weights.
                    let mut padded = [0f32; 16];
                    padded[..m].copy_from_slice(row);
                    (load_ps(&padded[..8]), load_ps(&padded[8..]))
                };
                bad = _mm256_or_ps(bad, _mm256_cmp_ps::<_CMP_UNORD_Q>(_mm256_sub_ps(a, a), _mm256_sub_ps(b, b)));
                // The values fit 16 bits, so the saturating pack keeps them; it interleaves the
                // 128-bit halves (features 0–3 and 8–11, then 4–7 and 12–15), which the
                // permutation puts back in order. Bytes (values in 0..=255) pack once more,
                // leaving the four words of features 0–3, 8–11 in the low half and 4–7, 12–15 in
                // the high one; the permutation gathers them, in order, in the low half.
                let words = _mm256_packs_epi32(quant.apply(a), quant.apply(b));
                *ti = if bytes {
                    _mm256_permutevar8x32_epi32(_mm256_packus_epi16(words, words), byte_order)
                } else {
                    _mm256_permute4x64_epi64::<0b11_01_10_00>(words)
                };
            }
            transpose8(&mut t);
            for (w, tw) in t.iter().enumerate().take(m.div_ceil(per)) {
                store(&mut buf[(k0 / per + w) * BLOCK + r0..], *tw);
            }
        }
    }
    _mm256_movemask_ps(bad) == 0
}

/// The float input quantizer in vectors.
struct Quantize {
    /// The exact inverse scale when `multiply`, else the scale.
    factor: __m256,
    multiply: bool,
    /// The range as floats, and the input offset.
    lo: __m256,
    hi: __m256,
    offset: __m256i,
}

impl Quantize {
    /// `clamp(x / scale)` rounded half to even, minus the offset (NaN lanes are reported by the
    /// caller, whatever they become here).
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    fn apply(&self, x: __m256) -> __m256i {
        let y = if self.multiply { _mm256_mul_ps(x, self.factor) } else { _mm256_div_ps(x, self.factor) };
        let y = _mm256_min_ps(_mm256_max_ps(y, self.lo), self.hi);
        _mm256_sub_epi32(_mm256_cvtps_epi32(y), self.offset)
    }
}

/// Transposes the 8 × 8 matrix of 32-bit values whose rows are `t`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn transpose8(t: &mut [__m256i; 8]) {
    // Pairs of rows interleaved (2 × 2 blocks), then pairs of pairs (4 × 4 blocks within each
    // 128-bit half), then the halves exchanged.
    let s: [__m256i; 8] = std::array::from_fn(|k| {
        let (a, b) = (t[2 * (k / 2)], t[2 * (k / 2) + 1]);
        if k % 2 == 0 { _mm256_unpacklo_epi32(a, b) } else { _mm256_unpackhi_epi32(a, b) }
    });
    let u: [__m256i; 8] = std::array::from_fn(|k| {
        let (base, half) = (4 * (k / 4), (k % 4) / 2);
        let (a, b) = (s[base + half], s[base + half + 2]);
        if k % 2 == 0 { _mm256_unpacklo_epi64(a, b) } else { _mm256_unpackhi_epi64(a, b) }
    });
    for (c, tc) in t.iter_mut().enumerate() {
        let (a, b) = (u[c % 4], u[4 + c % 4]);
        *tc = if c < 4 { _mm256_permute2x128_si256::<0x20>(a, b) } else { _mm256_permute2x128_si256::<0x31>(a, b) };
    }
}

/// Loads `x[0..8]`.
#[inline]
#[target_feature(enable = "avx2,fma")]
fn load_ps(x: &[f32]) -> __m256 {
    let x = &x[..8];
    // SAFETY: `x` holds the 8 values.
    unsafe { _mm256_loadu_ps(x.as_ptr()) }
}
