//! The integer engine's fast form: every layer's weights packed for 32-bit dot-product
//! instructions (four `u8 × i8` products per 32-bit lane as AVX-512 VNNI's `vpdpbusd` computes
//! them, four `i8 × i8` as aarch64's `sdot`, or two `i16 × i16` as `vpdpwssd`, `vpmaddwd` and
//! NEON's `smlal` pairs), activations stored as bytes or 16-bit words in
//! blocks of [`BLOCK`] samples, and each layer's requantization reduced to one multiply, one add
//! and one arithmetic shift per value.
//!
//! A model is packed only when every step provably stays in range: activations fit bytes (after
//! subtracting the range's minimum) or 16-bit words, weights fit `i8` or `i16`, every accumulator
//! fits `i32`, and the requantization product fits `i32` (else `i64`). Everything is integer
//! arithmetic with no overflow, so the packed form computes exactly what the reference path of
//! [`super::IntegerMlp`] computes; when a condition fails the model is not packed.

use super::{IntegerLayer, IntegerMlp};
use crate::quantizer::IntRange;

/// Samples per block: the lanes of two 512-bit vectors of 32-bit values.
pub(crate) const BLOCK: usize = 32;
/// Output channels computed together (accumulators held in registers).
pub(crate) const CHANNELS: usize = 8;

/// How activations are packed into 32-bit words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lanes {
    /// Four unsigned bytes (`value − offset`, the offset the range's minimum), multiplied with
    /// signed byte weights (`vpdpbusd`).
    U8,
    /// Four signed bytes (`value − offset`, the offset 128 above the range's minimum), multiplied
    /// with signed byte weights (`sdot`). The bit patterns are those of [`Lanes::U8`] with the
    /// top bit flipped; the extra offset is folded into the bias like the first.
    I8,
    /// Two signed 16-bit words, multiplied with 16-bit weights.
    I16,
}

impl Lanes {
    /// Values per 32-bit word.
    pub(crate) fn per_word(self) -> usize {
        match self {
            Lanes::U8 | Lanes::I8 => 4,
            Lanes::I16 => 2,
        }
    }

    /// The packing and offset for activations in `range`, if any fits: bytes packed as `bytes`
    /// (`U8` or `I8`) where the range spans at most 256 values, else 16-bit words; 16-bit words
    /// throughout when `bytes` is `None` (the kernels without byte dot products).
    fn for_range(range: IntRange, bytes: Option<Lanes>) -> Option<(Lanes, i64)> {
        let (lo, hi) = (range.min(), range.max());
        if range.is_bipolar() {
            // Bipolar quantizers take the sign, not a rounded clamp: left to the reference path.
            None
        } else if let Some(b @ (Lanes::U8 | Lanes::I8)) = bytes
            && hi - lo <= 255
        {
            Some((b, if b == Lanes::I8 { lo + 128 } else { lo }))
        } else if lo >= i64::from(i16::MIN) && hi <= i64::from(i16::MAX) {
            Some((Lanes::I16, 0))
        } else {
            None
        }
    }

    /// Whether a weight fits the packing.
    fn weight_fits(self, w: i64) -> bool {
        match self {
            Lanes::U8 | Lanes::I8 => (-128..=127).contains(&w),
            Lanes::I16 => (i64::from(i16::MIN)..=i64::from(i16::MAX)).contains(&w),
        }
    }

    /// Puts `v` (already offset) into position `t` of a word.
    pub(crate) fn place(self, v: i64, t: usize) -> i32 {
        match self {
            Lanes::U8 | Lanes::I8 => (((v as u32) & 0xFF) << (8 * t)) as i32,
            Lanes::I16 => (((v as u32) & 0xFFFF) << (16 * t)) as i32,
        }
    }
}

/// One channel's requantization: `v = (p + add + ((p >> shift) & odd)) >> shift` with
/// `p = acc · num`, which is `acc · num / 2^shift` rounded half to even; or, where the layer's
/// products are proven below 2^53 ([`PackedLayer::float`]), `acc · mult` in float64 rounded to
/// nearest even, which is the same integer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Rq {
    /// Numerator.
    pub(crate) num: i64,
    /// `2^(shift−1) − 1` (0 without a shift).
    pub(crate) add: i64,
    /// 1 (0 without a shift).
    pub(crate) odd: i64,
    /// Right shift.
    pub(crate) shift: u32,
    /// `num / 2^shift`, exact in float64 (`num` < 2^31, `shift` < 62).
    pub(crate) mult: f64,
}

/// One packed layer: `acc = bias + Σ word(x) · word(w)`, `v = clamp((acc·num + add +
/// ((acc·num >> shift) & odd)) >> shift)`, which is `acc · num / 2^shift` rounded half to even.
#[derive(Debug, Clone)]
pub(crate) struct PackedLayer {
    /// Outputs, and outputs rounded up to a multiple of [`CHANNELS`].
    pub(crate) d_out: usize,
    pub(crate) d_out_pad: usize,
    /// 32-bit words per input sample.
    pub(crate) words_in: usize,
    /// Packing of the inputs.
    pub(crate) lanes_in: Lanes,
    /// Weights, `[words_in][d_out_pad]`, each word packing the weights of consecutive inputs.
    pub(crate) weight: Vec<i32>,
    /// Bias with the input offset folded in, `[d_out_pad]`.
    pub(crate) bias: Vec<i32>,
    /// Requantization of each channel, `[d_out_pad]`.
    pub(crate) rq: Vec<Rq>,
    /// Whether the requantization needs 64-bit products.
    pub(crate) wide: bool,
    /// Whether every product `acc · num` is below 2^53 in magnitude, so that `acc · mult`
    /// computed in float64 is exact and its rounding to nearest even is the requantized value:
    /// the 64-bit products then need no 64-bit integer multiplies.
    pub(crate) float: bool,
    /// Whether, on the float64 path, every product `acc · mult` lies within `±i32::MAX`: its
    /// rounding then converts to 32-bit lanes without leaving their range, so the clamp to the
    /// output bounds (integers, with which rounding commutes) can follow the conversion in 32-bit
    /// lanes, or be left to saturating packs, instead of preceding it in float64.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernels only
    pub(crate) float_in_i32: bool,
    /// Whether every numerator is 1 (a pure shift).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernels only
    pub(crate) unit: bool,
    /// The output clamp.
    pub(crate) lo: i32,
    pub(crate) hi: i32,
    /// Packing and offset of the outputs (the next layer's inputs); `None` on the last layer.
    pub(crate) lanes_out: Option<(Lanes, i32)>,
}

/// A whole packed model.
#[derive(Debug, Clone)]
pub(crate) struct PackedMlp {
    /// Inputs per sample and 32-bit words per packed input sample.
    pub(crate) d_in: usize,
    /// Input packing and offset.
    pub(crate) lanes_in: Lanes,
    pub(crate) offset_in: i32,
    /// The layers.
    pub(crate) layers: Vec<PackedLayer>,
}

impl PackedMlp {
    /// Packs `model` (activations in bytes packed as `bytes` where they fit, else in 16-bit
    /// words; see [`Lanes::for_range`]), or `None` when a value could leave the packed ranges.
    pub(crate) fn new(model: &IntegerMlp, bytes: Option<Lanes>) -> Option<PackedMlp> {
        let (lanes_in, offset_in) = Lanes::for_range(model.input_range, bytes)?;
        let mut layers = Vec::with_capacity(model.layers.len());
        let (mut lanes, mut offset, mut range) = (lanes_in, offset_in, model.input_range);
        let last = model.layers.len() - 1;
        for (l, layer) in model.layers.iter().enumerate() {
            if layer.output.is_bipolar() {
                return None;
            }
            let out = if l == last { None } else { Some(Lanes::for_range(layer.output, bytes)?) };
            layers.push(pack_layer(layer, lanes, offset, range, out)?);
            if let Some((next, off)) = out {
                (lanes, offset, range) = (next, off, layer.output);
            }
        }
        Some(PackedMlp { d_in: model.d_in(), lanes_in, offset_in: offset_in as i32, layers })
    }

    /// 32-bit words per packed input sample.
    pub(crate) fn words_in(&self) -> usize {
        self.d_in.div_ceil(self.lanes_in.per_word())
    }

    /// The largest number of 32-bit words a block's activations take.
    pub(crate) fn max_words(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.words_in.max(l.lanes_out.map_or(0, |(o, _)| l.d_out_pad / o.per_word())))
            .max()
            .unwrap_or(0)
    }
}

/// Packs one layer whose inputs are packed as `lanes` with `offset`, in `range`.
fn pack_layer(
    layer: &IntegerLayer,
    lanes: Lanes,
    offset: i64,
    range: IntRange,
    out: Option<(Lanes, i64)>,
) -> Option<PackedLayer> {
    let (d_in, d_out) = (layer.d_in, layer.d_out);
    if layer.weight.iter().any(|&w| !lanes.weight_fits(w)) {
        return None;
    }
    let per = lanes.per_word();
    let words_in = d_in.div_ceil(per);
    let d_out_pad = d_out.div_ceil(CHANNELS) * CHANNELS;
    let mut weight = vec![0i32; words_in * d_out_pad];
    for i in 0..d_in {
        for j in 0..d_out {
            weight[(i / per) * d_out_pad + j] |= lanes.place(layer.weight[i * d_out + j], i % per);
        }
    }
    // The stored inputs are `u = q − offset` with `|u| ≤ reach`.
    let reach = i128::from((range.max() - offset).abs().max((range.min() - offset).abs()));
    let limit = i128::from(i32::MAX);
    let mut bias = vec![0i32; d_out_pad];
    let mut rq = vec![Rq { num: 1, add: 0, odd: 0, shift: 0, mult: 1.0 }; d_out_pad];
    let (mut wide, mut float, mut float_in_i32) = (false, true, true);
    for j in 0..d_out {
        let col = (0..d_in).map(|i| i128::from(layer.weight[i * d_out + j]));
        let (sum, abs): (i128, i128) = col.fold((0, 0), |(s, a), w| (s + w, a + w.abs()));
        let b = i128::from(layer.bias[j]) + i128::from(offset) * sum;
        // Every partial sum, and so the accumulator, fits i32.
        if b.abs() + reach * abs > limit {
            return None;
        }
        let (n, c) = layer.requant[j].parts();
        if c >= 62 || n > i64::from(i32::MAX) {
            return None;
        }
        let reach_acc = b.abs() + reach * abs;
        let reach_prod = reach_acc.checked_mul(i128::from(n))? + (1i128 << c);
        if reach_prod > limit {
            wide = true;
        }
        if reach_prod > i128::from(i64::MAX) {
            return None;
        }
        // Below 2^53, `acc` and `num` are exact in float64, and so are `mult = num · 2^−c` (31
        // significant bits, a normal number since `c < 62`) and `acc · mult = (acc · num) · 2^−c`
        // (at most 53 significant bits, scaled by a power of two): the float product is the
        // exact rational value, and rounding it to nearest even is the requantization.
        if reach_acc * i128::from(n) >= 1i128 << 53 {
            float = false;
        }
        // `|acc · mult| = |acc · num| · 2^−c ≤ i32::MAX`.
        if reach_acc * i128::from(n) > limit << c {
            float_in_i32 = false;
        }
        bias[j] = b as i32;
        let mult = n as f64 * 2f64.powi(-(c as i32));
        rq[j] = match c {
            0 => Rq { num: n, add: 0, odd: 0, shift: 0, mult },
            _ => Rq { num: n, add: (1i64 << (c - 1)) - 1, odd: 1, shift: c, mult },
        };
    }
    // Layers without 64-bit products and with unit numerators only ([`PackedLayer::unit`]) rely
    // on this fold.
    if !wide {
        // Without a multiplier the rounding addend can start in the accumulator: with
        // `p' = acc + add`, `(p' + ((p' >> c) & 1)) >> c` is still `acc / 2^c` rounded half to
        // even (when `acc mod 2^c > 2^(c−1)` both forms carry into the next multiple whatever
        // the odd bit; otherwise `p' >> c == acc >> c`). `|p'|` stays below `reach_prod`.
        for (b, r) in bias.iter_mut().zip(rq.iter_mut()) {
            if r.num == 1 && r.add > 0 {
                *b += r.add as i32;
                r.add = 0;
            }
        }
    }
    let to_i32 = |v: i64| i32::try_from(v).ok();
    Some(PackedLayer {
        d_out,
        d_out_pad,
        words_in,
        lanes_in: lanes,
        weight,
        bias,
        unit: rq.iter().all(|r| r.num == 1),
        rq,
        wide,
        float: wide && float,
        float_in_i32: wide && float && float_in_i32,
        lo: to_i32(layer.output.min())?,
        hi: to_i32(layer.output.max())?,
        lanes_out: match out {
            Some((l, off)) => Some((l, to_i32(off)?)),
            None => None,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::quantizer::{Requant, shift_round_half_even};

    #[test]
    fn rounding_formula_is_half_to_even() {
        for c in 0..6u32 {
            for v in -300i64..300 {
                let (add, odd) = if c > 0 { ((1i64 << (c - 1)) - 1, 1) } else { (0, 0) };
                let got = (v + add + ((v >> c) & odd)) >> c;
                assert_eq!(i128::from(got), shift_round_half_even(i128::from(v), c), "v={v} c={c}");
            }
        }
    }

    /// A one-layer model: 40 inputs in `input`, 3 outputs, weights `w`, requantization `rq`.
    fn one_layer(input: IntRange, w: i64, rq: Requant) -> IntegerMlp {
        let layer = IntegerLayer {
            d_in: 40,
            d_out: 3,
            weight: (0..120).map(|k| if k % 3 == 1 { -w } else { w - k % 5 }).collect(),
            bias: vec![17, -3, 0],
            requant: vec![rq; 3],
            output: IntRange::new(8, true, false),
            relu: false,
            weight_bits: 16,
            bias_bits: 32,
            weight_scales: vec![1.0; 3],
            bias_scales: vec![1.0; 3],
            input_scale: 1.0,
            output_scale: 1.0,
        };
        IntegerMlp::new(1.0, input, vec![layer], crate::ScaleMode::Dyadic).expect("model")
    }

    /// Each requantization form (32-bit shift, 32-bit multiply, float64 within and beyond the
    /// i32 range, 64-bit integer) is chosen where its bound says, and every SIMD level, and the
    /// portable set's plain loops, give the reference integers with it.
    #[test]
    fn every_requantization_form_equals_the_reference() {
        let i16_in = IntRange::new(16, true, false);
        // (model, wide, float, float within i32, unit numerators); the fourth case's products
        // reach `2^31 · 1.5`, beyond i32, while staying below 2^53.
        let cases = [
            (one_layer(i16_in, 3, Requant::Shift(9)), false, false, false, true),
            (one_layer(i16_in, 3, Requant::Dyadic { b: 5, c: 12 }), false, false, false, false),
            (one_layer(i16_in, 300, Requant::Dyadic { b: (1 << 23) + 7, c: 40 }), true, true, true, false),
            (one_layer(i16_in, 1_500, Requant::Dyadic { b: 3, c: 1 }), true, true, false, false),
            (one_layer(i16_in, 1_500, Requant::Dyadic { b: (1 << 30) + 3, c: 55 }), true, false, false, false),
        ];
        let mut rng = crate::rng::SplitMix64::new(1);
        for (k, (m, wide, float, in_i32, unit)) in cases.iter().enumerate() {
            let p = PackedMlp::new(m, None).expect("packs");
            let l = &p.layers[0];
            assert_eq!((l.wide, l.float, l.float_in_i32, l.unit), (*wide, *float, *in_i32, *unit), "case {k}");
            let mut q: Vec<i64> = (0..40 * 70)
                .map(|i| match i % 7 {
                    0 => i16_in.min(),
                    1 => i16_in.max(),
                    _ => (rng.next_u64() % 65_536) as i64 - 32_768,
                })
                .collect();
            // Samples `[v, −v, 0, …]`, whose sums are the bias plus `v` times the difference of
            // two weights: small, so that outputs of the large multipliers fall inside the clamp.
            for (row, v) in q.chunks_exact_mut(40).zip(1..=9) {
                row.fill(0);
                (row[0], row[1]) = (v, -v);
            }
            // Samples at either end of the range in every input: the largest sums, whose
            // products leave i32 in the fourth case.
            q[40 * 10..40 * 11].fill(i16_in.max());
            q[40 * 11..40 * 12].fill(i16_in.min());
            let reference = m.forward_int_reference(&q).expect("reference");
            // Outputs that are not all clamped, so the rounding itself is compared.
            assert!(reference.iter().any(|&v| v > -128 && v < 127), "case {k}: every output clamped");
            for simd in qonnx_ir::Simd::available() {
                let e = m.prepare_with(simd).expect("available");
                assert_eq!(e.forward_int(&q).expect("run"), reference, "case {k}, {simd}");
            }
            // The plain loops that the portable set runs on targets without SSE2 or NEON code.
            let mut plain = vec![0i32; reference.len()];
            super::super::portable::run_int_plain(&p, &q, &mut plain);
            assert_eq!(plain.into_iter().map(i64::from).collect::<Vec<_>>(), reference, "case {k}, plain loops");
        }
    }

    /// Signed-byte packing ([`Lanes::I8`], the aarch64 `sdot` kernels' form) gives the reference
    /// integers through the portable set's plain loops, whatever the target: unsigned and signed
    /// byte ranges (stored 128 below their minimum's offset), a 16-bit layer between byte layers,
    /// widths that are not multiples of four, inputs at the range edges, from integers and from
    /// floats (whose packing writes bytes too).
    #[test]
    fn signed_byte_packing_equals_the_reference() {
        let mut rng = crate::rng::SplitMix64::new(11);
        let mut uniform = |lo: i64, hi: i64| lo + (rng.next_u64() % (hi - lo + 1) as u64) as i64;
        // (inputs, outputs, output range, requantization)
        let shapes = [
            (13, 21, IntRange::new(6, true, false), Requant::Shift(9)),
            (21, 10, IntRange::new(12, true, false), Requant::Dyadic { b: 3_000_001, c: 27 }),
            (10, 6, IntRange::new(8, false, false), Requant::Shift(6)),
            (6, 3, IntRange::new(8, true, false), Requant::Dyadic { b: 5_000_003, c: 31 }),
        ];
        let layers = shapes
            .iter()
            .map(|&(d_in, d_out, output, requant)| IntegerLayer {
                d_in,
                d_out,
                weight: (0..d_in * d_out).map(|_| uniform(-128, 127)).collect(),
                bias: (0..d_out).map(|_| uniform(-3000, 3000)).collect(),
                requant: vec![requant; d_out],
                output,
                relu: false,
                weight_bits: 8,
                bias_bits: 32,
                weight_scales: vec![1.0; d_out],
                bias_scales: vec![1.0; d_out],
                input_scale: 1.0,
                output_scale: 1.0,
            })
            .collect();
        let input = IntRange::new(8, false, false);
        let m = IntegerMlp::new(0.25, input, layers, crate::ScaleMode::Dyadic).expect("model");
        let p = PackedMlp::new(&m, Some(Lanes::I8)).expect("packs");
        assert_eq!((p.lanes_in, p.offset_in), (Lanes::I8, 128));
        let lanes: Vec<_> = p.layers.iter().map(|l| (l.lanes_in, l.lanes_out)).collect();
        assert_eq!(
            lanes,
            [
                (Lanes::I8, Some((Lanes::I8, -32 + 128))),
                (Lanes::I8, Some((Lanes::I16, 0))),
                (Lanes::I16, Some((Lanes::I8, 128))),
                (Lanes::I8, None)
            ]
        );
        // 70 samples: two whole blocks and a partial one; the first two at the range's ends.
        let mut q: Vec<i64> = (0..13 * 70).map(|_| uniform(0, 255)).collect();
        q[..13].fill(0);
        q[13..26].fill(255);
        let reference = m.forward_int_reference(&q).expect("reference");
        let distinct: std::collections::BTreeSet<_> = reference.iter().collect();
        assert!(distinct.len() > 20, "outputs mostly clamped: {distinct:?}");
        let mut out = vec![0i32; reference.len()];
        super::super::portable::run_int_plain(&p, &q, &mut out);
        assert_eq!(out.iter().map(|&v| i64::from(v)).collect::<Vec<_>>(), reference, "from integers");
        // Floats that quantize to the same integers (the input scale is 0.25).
        let x: Vec<f32> = q.iter().map(|&v| v as f32 * 0.25).collect();
        let quant = super::super::blocks::InputQuant { scale: 0.25, lo: 0.0, hi: 255.0 };
        out.fill(0);
        assert_eq!(super::super::portable::run_f32_plain(&p, quant, &x, &mut out), None);
        assert_eq!(out.iter().map(|&v| i64::from(v)).collect::<Vec<_>>(), reference, "from floats");
    }

    #[test]
    fn lanes_for_ranges() {
        let (u8, i8) = (Some(Lanes::U8), Some(Lanes::I8));
        assert_eq!(Lanes::for_range(IntRange::new(8, false, false), u8), Some((Lanes::U8, 0)));
        assert_eq!(Lanes::for_range(IntRange::new(8, true, false), u8), Some((Lanes::U8, -128)));
        // Signed bytes: 0..=255 stored as −128..=127, −128..=127 as itself.
        assert_eq!(Lanes::for_range(IntRange::new(8, false, false), i8), Some((Lanes::I8, 128)));
        assert_eq!(Lanes::for_range(IntRange::new(8, true, false), i8), Some((Lanes::I8, 0)));
        assert_eq!(Lanes::for_range(IntRange::new(8, true, false), None), Some((Lanes::I16, 0)));
        assert_eq!(Lanes::for_range(IntRange::new(16, true, false), u8), Some((Lanes::I16, 0)));
        assert_eq!(Lanes::for_range(IntRange::new(16, false, false), i8), None);
        assert_eq!(Lanes::U8.place(-1, 1), 0xFF00);
        assert_eq!(Lanes::I8.place(255 - 128, 3), 0x7F00_0000);
        assert_eq!(Lanes::I16.place(-2, 1), 0xFFFE_0000u32 as i32);
    }
}
