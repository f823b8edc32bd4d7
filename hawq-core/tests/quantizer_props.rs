//! Properties of the quantizers on random inputs (proptest; `quantizers.rs` has the worked
//! examples). Every expected value is computed here from the definitions in
//! `docs/src/number-contract.md`, independently of the code under test: integer ranges in integer
//! arithmetic, round half to even from the exact value of the float32 quotient `x / s` (which
//! the contract fixes as QONNX's order: divide in float32, clamp, round), dyadic multipliers and
//! shifts against exact rationals in `i128`.

use burn::prelude::*;
use hawq_core::backend::Cpu;
use hawq_core::layers::fake_quant;
use hawq_core::quantizer::*;
use proptest::prelude::*;

/// `(min, max)` of a range from its definition: signed `[−2^(b−1), 2^(b−1) − 1]` (narrow: the
/// minimum goes up by one), unsigned `[0, 2^b − 1]` (narrow: the maximum goes down by one), and
/// signed 1-bit ranges bipolar, `{−1, +1}`.
fn range_by_definition(bits: u32, signed: bool, narrow: bool) -> (i128, i128) {
    let n = i128::from(narrow);
    match (signed, bits) {
        (true, 1) => (-1, 1),
        (true, _) => (-(1i128 << (bits - 1)) + n, (1i128 << (bits - 1)) - 1),
        (false, _) => (0, (1i128 << bits) - 1 - n),
    }
}

/// Round half to even of the exact value of `y`, by its integer part and fraction in f64 (both
/// exact for a float32 `y`).
fn round_half_even_exact(y: f32) -> f64 {
    let y = f64::from(y);
    let fl = y.floor();
    let frac = y - fl;
    if frac > 0.5 || (frac == 0.5 && fl.rem_euclid(2.0) == 1.0) { fl + 1.0 } else { fl }
}

/// The integer QONNX `Quant` gives `x` at scale `s` (zero-point 0), from the definitions.
fn quant_by_definition(x: f32, s: f32, bits: u32, signed: bool, narrow: bool) -> i64 {
    let y = x / s;
    let (lo, hi) = range_by_definition(bits, signed, narrow);
    if signed && bits == 1 {
        return if y >= 0.0 { 1 } else { -1 };
    }
    // Round, then clamp: for integer bounds the same as clamp, then round (see the contract).
    let r = round_half_even_exact(y);
    if r <= lo as f64 {
        lo as i64
    } else if r >= hi as f64 {
        hi as i64
    } else {
        r as i64
    }
}

/// `(bits, signed, narrow)`: 1–16 bits and sometimes 32.
fn range_params() -> impl Strategy<Value = (u32, bool, bool)> {
    (prop_oneof![9 => 1..=16u32, 1 => Just(32u32)], any::<bool>(), any::<bool>())
}

/// A positive scale `m · 2^e`: a power of two half the time, else any mantissa.
fn scale() -> impl Strategy<Value = f32> {
    (prop_oneof![Just(1.0f32), 1.0f32..2.0], -24..=12i32).prop_map(|(m, e)| m * 2f32.powi(e))
}

/// A value to quantize at scale `s` in a range of `bits` bits: on the grid, on a tie, one
/// float32 step beside a tie, anywhere within (and beyond) the range, far outside, or an extreme
/// float.
fn value(s: f32, bits: u32) -> impl Strategy<Value = f32> {
    let reach = 2f32.powi(bits.min(31) as i32);
    let k = -(reach as i64) - 2..=(reach as i64) + 2;
    prop_oneof![
        k.clone().prop_map(move |k| k as f32 * s),
        k.clone().prop_map(move |k| (k as f32 + 0.5) * s),
        (k, any::<bool>()).prop_map(move |(k, up)| {
            let t = (k as f32 + 0.5) * s;
            if up { t.next_up() } else { t.next_down() }
        }),
        (-1.5f32..1.5).prop_map(move |u| u * reach * s),
        (-1e4f32..1e4).prop_map(move |u| u * reach * s),
        prop_oneof![Just(0.0f32), Just(-0.0), Just(f32::MAX), Just(f32::MIN), Just(f32::MIN_POSITIVE)],
    ]
}

fn case() -> impl Strategy<Value = (u32, bool, bool, f32, f32)> {
    (range_params(), scale())
        .prop_flat_map(|((bits, signed, narrow), s)| (Just(bits), Just(signed), Just(narrow), Just(s), value(s, bits)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

    /// `IntRange` has the defined bounds for every width 1–32, sign and narrowness.
    #[test]
    fn ranges_have_the_defined_bounds(bits in 1..=32u32, signed: bool, narrow: bool) {
        let r = IntRange::new(bits, signed, narrow);
        let (lo, hi) = range_by_definition(bits, signed, narrow);
        prop_assert_eq!((i128::from(r.min()), i128::from(r.max())), (lo, hi));
        prop_assert_eq!(r.is_bipolar(), signed && bits == 1);
    }

    /// `quantize` lies in the range, rounds the float32 quotient half to even and clamps outside.
    #[test]
    fn quantize_rounds_half_to_even_and_clamps((bits, signed, narrow, s, x) in case()) {
        let r = IntRange::new(bits, signed, narrow);
        let q = quantize(x, s, r);
        let (lo, hi) = range_by_definition(bits, signed, narrow);
        prop_assert!((lo..=hi).contains(&i128::from(q)), "{} outside [{}, {}]", q, lo, hi);
        prop_assert_eq!(q, quant_by_definition(x, s, bits, signed, narrow), "x = {:e}, s = {:e}", x, s);
        prop_assert_eq!(fake_quantize(x, s, r), q as f32 * s);
        let exact = f64::from(x) / f64::from(s);
        if r.is_bipolar() {
            // Checked against the definition above (the sign of the float32 quotient).
        } else if exact > hi as f64 + 0.5 {
            prop_assert_eq!(i128::from(q), hi, "clamps above");
        } else if exact < lo as f64 - 0.5 {
            prop_assert_eq!(i128::from(q), lo, "clamps below");
        } else if bits <= 16 && exact >= lo as f64 && exact <= hi as f64 {
            // Inside the range the value comes back within s/2, plus the float32 division's own
            // rounding (half a unit in the last place of the quotient).
            let err = (f64::from(x) - q as f64 * f64::from(s)).abs();
            let y = x / s;
            let half_ulp = f64::from(y.abs().next_up() - y.abs()) / 2.0;
            prop_assert!(err <= f64::from(s) * (0.5 + half_ulp), "|x − q·s| = {:e}, s = {:e}", err, s);
        }
    }

    /// Power-of-two mode gives the smallest power of two at or above the scale, dyadic mode the
    /// scale itself; `pow2_exponent` recognises exactly the powers of two.
    #[test]
    fn scale_modes((m, e) in (1.0f32..2.0, -60..=60i32)) {
        let s = m * 2f32.powi(e);
        let p = apply_mode(s, ScaleMode::PowerOfTwo);
        let k = pow2_exponent(p).expect("a power of two");
        prop_assert_eq!(f64::from(p), 2f64.powi(k));
        prop_assert!(f64::from(p) >= f64::from(s) && f64::from(p) / 2.0 < f64::from(s));
        prop_assert_eq!(apply_mode(s, ScaleMode::Dyadic), s);
        prop_assert_eq!(pow2_exponent(s).is_some(), m == 1.0);
    }

    /// Symmetric weight scales: nothing clips, and in dyadic mode the largest weight of each
    /// channel lands on the end of the range.
    #[test]
    fn weight_scales_are_symmetric_and_never_clip(
        bits in 2..=16u32,
        pow2: bool,
        per_channel: bool,
        (d_in, d_out, w) in (1..=6usize, 1..=4usize).prop_flat_map(|(i, o)| {
            (Just(i), Just(o), proptest::collection::vec(-4.0f32..4.0, i * o))
        }),
    ) {
        let mode = if pow2 { ScaleMode::PowerOfTwo } else { ScaleMode::Dyadic };
        let granularity = if per_channel { Granularity::PerChannel } else { Granularity::PerTensor };
        let wq = WeightQuantizer { bits, granularity, mode, clip_percentile: None };
        let s = wq.scales(&w, d_in, d_out);
        let q = wq.quantize(&w, d_out, &s);
        let top = (1i64 << (bits - 1)) - 1;
        prop_assert!(q.iter().all(|v| v.abs() <= top));
        for j in 0..d_out {
            let cols: Vec<usize> = if per_channel { vec![j] } else { (0..d_out).collect() };
            let w = &w;
            let reach = cols.iter().flat_map(|&c| (0..d_in).map(move |i| w[i * d_out + c].abs())).fold(0.0, f32::max);
            if reach == 0.0 {
                prop_assert_eq!(s[j], 1.0);
            } else if pow2 {
                let ideal = f64::from(reach) / top as f64;
                prop_assert!(f64::from(s[j]) >= ideal * (1.0 - 1e-6) && f64::from(s[j]) / 2.0 < ideal);
            } else {
                let max_q = (0..d_in).filter(|&i| w[i * d_out + j].abs() == reach).map(|i| q[i * d_out + j].abs()).max();
                if let Some(m) = max_q {
                    prop_assert_eq!(m, top, "the channel's largest weight ends the range");
                }
            }
        }
    }

    /// Dyadic multipliers `b / 2^c` have 24 significant bits and reproduce the ratio to 2^−24;
    /// power-of-two ratios become exact shifts; `apply` rounds `acc · b / 2^c` half to even.
    #[test]
    fn requantization_multipliers_are_exact_to_their_precision(
        s_acc in scale(),
        s_out in scale(),
        pow2: bool,
        accs in proptest::collection::vec(-(1i64 << 40)..(1i64 << 40), 1..16),
    ) {
        let mode = if pow2 { ScaleMode::PowerOfTwo } else { ScaleMode::Dyadic };
        let m = f64::from(s_acc) / f64::from(s_out);
        let both_pow2 = pow2_exponent(s_acc).is_some() && pow2_exponent(s_out).is_some();
        let r = match Requant::from_scales(f64::from(s_acc), f64::from(s_out), mode, 0) {
            Ok(r) => r,
            Err(_) => {
                // Only a dyadic multiplier of 2^24 or more has no `b / 2^c` with `c ≥ 0`.
                prop_assert!(m >= 2f64.powi(24) && !(pow2 && both_pow2), "m = {}", m);
                return Ok(());
            }
        };
        match r {
            Requant::Shift(k) => {
                prop_assert!(pow2, "a shift only in power-of-two mode");
                prop_assert_eq!(2f64.powi(-k), m);
            }
            Requant::Dyadic { b, c } => {
                prop_assert!(!(pow2 && both_pow2), "a shift for powers of two");
                prop_assert!((1i64 << 23..=1i64 << 24).contains(&b), "b = {}", b);
                let approx = b as f64 / 2f64.powi(c as i32);
                prop_assert!((approx - m).abs() <= m * 2f64.powi(-24), "{} vs {}", approx, m);
            }
        }
        let (num, shift) = r.parts();
        for acc in accs {
            // round_half_even(acc · num / 2^shift) by Euclidean division.
            let v = i128::from(acc) * i128::from(num);
            let d = 1i128 << shift;
            let (q, rem) = (v.div_euclid(d), v.rem_euclid(d));
            let want = if 2 * rem > d || (2 * rem == d && q.rem_euclid(2) == 1) { q + 1 } else { q };
            prop_assert_eq!(shift_round_half_even(v, shift), want);
            // `apply` returns an i64: it saturates there.
            let want = want.clamp(i128::from(i64::MIN), i128::from(i64::MAX));
            prop_assert_eq!(i128::from(r.apply(acc)), want, "acc = {}", acc);
        }
    }

    /// A bias is quantized at `s_w · s_in` to a signed width, reporting exactly the channels
    /// whose rounded value falls outside it.
    #[test]
    fn bias_quantization_reports_clipping(
        bits in 2..=32u32,
        s_in in scale(),
        cols in proptest::collection::vec((scale(), -1e6f32..1e6), 1..6),
    ) {
        let (sw, bias): (Vec<f32>, Vec<f32>) = cols.into_iter().unzip();
        let qb = quantize_bias(&bias, &sw, s_in, bits);
        let (lo, hi) = range_by_definition(bits, true, false);
        let mut clipped = Vec::new();
        for j in 0..bias.len() {
            prop_assert_eq!(qb.scales[j], sw[j] * s_in);
            prop_assert_eq!(qb.values[j], quant_by_definition(bias[j], qb.scales[j], bits, true, false));
            let r = round_half_even_exact(bias[j] / qb.scales[j]);
            if r < lo as f64 || r > hi as f64 {
                clipped.push(j);
            }
        }
        prop_assert_eq!(qb.clipped, clipped);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// burn's fake quantization (the training graph) equals the host quantizer on random
    /// tensors with one scale per column, values on and off the grid and ties included.
    #[test]
    fn burn_fake_quant_equals_the_host_quantizer(
        (bits, signed, narrow) in range_params(),
        (scales, rows) in proptest::collection::vec(scale(), 1..5).prop_flat_map(|s| {
            let n = s.len();
            let cell = (-3000i32..3000, 0..5u8);
            (Just(s), proptest::collection::vec(proptest::collection::vec(cell, n), 1..8))
        }),
    ) {
        let c = scales.len();
        // Cells as multiples of a grid finer than the scale (on it, on ties, between) or far
        // beyond any range.
        let x: Vec<f32> = rows
            .iter()
            .flatten()
            .enumerate()
            .map(|(i, &(k, how))| scales[i % c] * k as f32 / [1.0, 2.0, 8.0, 1000.0, 2f32.powi(-20)][usize::from(how)])
            .collect();
        let range = IntRange::new(bits, signed, narrow);
        let device = Default::default();
        let xt = Tensor::<Cpu, 2>::from_data(TensorData::new(x.clone(), [rows.len(), c]), &device);
        let st = Tensor::<Cpu, 2>::from_data(TensorData::new(scales.clone(), [1, c]), &device);
        let got: Vec<f32> = fake_quant(xt, st, range).into_data().to_vec().unwrap();
        for (i, (&g, &v)) in got.iter().zip(&x).enumerate() {
            prop_assert_eq!(g, fake_quantize(v, scales[i % c], range), "x = {:e}, s = {:e}", v, scales[i % c]);
        }
    }
}
