//! Quantizer tests: ties, ranges (signed, unsigned, narrow), per channel, 1 bit, 16 bits, the
//! scale modes, dyadic multipliers, and burn's round agreeing with the host quantizer.

use burn::module::Param;
use burn::prelude::*;
use hawq_core::backend::Cpu;
use hawq_core::layers::{QuantLinearConfig, fake_quant, round_ste};
use hawq_core::quantizer::*;

#[test]
fn ties_round_half_to_even() {
    let r = IntRange::new(8, true, false);
    for (x, want) in [(0.5, 0), (1.5, 2), (2.5, 2), (-0.5, 0), (-1.5, -2), (-2.5, -2), (3.5, 4), (-3.5, -4)] {
        assert_eq!(quantize(x, 1.0, r), want, "x = {x}");
        assert_eq!(round_half_even(x), want as f32);
    }
    // Ties at a non-unit scale: 0.375 / 0.25 = 1.5 → 2, 0.625 / 0.25 = 2.5 → 2.
    assert_eq!(quantize(0.375, 0.25, r), 2);
    assert_eq!(quantize(0.625, 0.25, r), 2);
}

#[test]
fn burn_round_is_half_to_even_and_ste_passes_gradients() {
    let device = Default::default();
    let x = Tensor::<Cpu, 1>::from_floats([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, -3.5], &device);
    let got: Vec<f32> = round_ste(x).into_data().to_vec().unwrap();
    assert_eq!(got, vec![0.0, 2.0, 2.0, 0.0, -2.0, -2.0, 0.0, -4.0]);

    type Ad = burn::backend::Autodiff<Cpu>;
    let x = Tensor::<Ad, 1>::from_floats([0.3, 1.7, 9.0, -9.0], &device).require_grad();
    let s = Tensor::<Ad, 1>::from_floats([1.0], &device);
    let y = fake_quant(x.clone(), s, IntRange::new(4, true, false)); // range [-8, 7]
    let g = y.sum().backward();
    let gx: Vec<f32> = x.grad(&g).unwrap().into_data().to_vec().unwrap();
    assert_eq!(gx, vec![1.0, 1.0, 0.0, 0.0], "identity inside the range, zero where clamped");
}

/// Regression (found by `quantizer_props.rs`): the bipolar straight-through quantizer computed
/// `y + (sign − y)`, which gave 0 instead of +1 at `x / s = 17 · 2^20`, where `sign − y` rounds in
/// float32. The definition: `x / s ≥ 0 → +1`, else −1, with an identity gradient.
#[test]
fn bipolar_fake_quant_is_exact_far_from_zero() {
    let device = Default::default();
    type Ad = burn::backend::Autodiff<Cpu>;
    let x = [17.0 * 2f32.powi(20), -3.0e9, 2f32.powi(24) + 2.0, -0.0, 0.25, -0.25];
    let xt = Tensor::<Ad, 1>::from_floats(x, &device).require_grad();
    let s = Tensor::<Ad, 1>::from_floats([1.0], &device);
    let y = fake_quant(xt.clone(), s, IntRange::new(1, true, false));
    let got: Vec<f32> = y.clone().into_data().to_vec().unwrap();
    assert_eq!(got, vec![1.0, -1.0, 1.0, 1.0, 1.0, -1.0]);
    let g = y.sum().backward();
    let gx: Vec<f32> = xt.grad(&g).unwrap().into_data().to_vec().unwrap();
    assert_eq!(gx, vec![1.0; 6]);
}

/// Regression: the layer's straight-through weight was `w + (ŵ − w)`, which is not `ŵ` when a
/// weight is clipped far below its value (a percentile clip) because `ŵ − w` rounds; the same
/// for a clipped bias. One-hot inputs read each row of the weight the forward pass uses, plus
/// the bias: it must be the host quantizer's `q · s` exactly.
#[test]
fn straight_through_weights_are_the_quantized_weights_when_clipped() {
    let device = Default::default();
    type Ad = burn::backend::Autodiff<Cpu>;
    let cfg = QuantLinearConfig { clip_percentile: Some(50.0), bias_bits: 4, ..QuantLinearConfig::new(4, 2) };
    let mut layer = cfg.init::<Ad>(&device, 1);
    let w = vec![10.0f32, -0.3, 1.27, 0.7, -0.61, 100.0, 0.013, -7.5];
    layer.weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [4, 2]), &device));
    layer.bias = Param::from_tensor(Tensor::from_data(TensorData::new(vec![1000.0f32, -0.005], [2]), &device));
    let s_in = 0.25;
    let q = layer.quantized(s_in);
    assert_eq!(q.bias.clipped, vec![0], "the first bias clips at 4 bits");
    let mut eye = vec![0.0f32; 16];
    for i in 0..4 {
        eye[i * 4 + i] = 1.0;
    }
    let x = Tensor::<Ad, 2>::from_data(TensorData::new(eye, [4, 4]), &device);
    let got: Vec<f32> = layer.forward(x, s_in).into_data().to_vec().unwrap();
    for i in 0..4 {
        for j in 0..2 {
            let wq = q.weight[i * 2 + j] as f32 * q.weight_scales[j];
            let bq = q.bias.values[j] as f32 * q.bias.scales[j];
            assert_eq!(got[i * 2 + j], wq + bq, "row {i}, column {j}");
        }
    }
}

#[test]
fn ranges_signed_unsigned_narrow() {
    assert_eq!((IntRange::new(8, true, false).min(), IntRange::new(8, true, false).max()), (-128, 127));
    assert_eq!((IntRange::new(8, true, true).min(), IntRange::new(8, true, true).max()), (-127, 127));
    assert_eq!((IntRange::new(8, false, false).min(), IntRange::new(8, false, false).max()), (0, 255));
    assert_eq!((IntRange::new(8, false, true).min(), IntRange::new(8, false, true).max()), (0, 254));
    assert_eq!(
        (IntRange::new(32, true, false).min(), IntRange::new(32, true, false).max()),
        (-(1 << 31), (1 << 31) - 1)
    );
    let u4 = IntRange::new(4, false, false);
    assert_eq!(quantize(-3.0, 1.0, u4), 0);
    assert_eq!(quantize(100.0, 1.0, u4), 15);
    let s4 = IntRange::new(4, true, false);
    assert_eq!(quantize(-100.0, 1.0, s4), -8);
    assert_eq!(quantize(100.0, 1.0, s4), 7);
    assert_eq!(quantize(-100.0, 1.0, IntRange::new(4, true, true)), -7);
    // Unsigned activations after ReLU use all 2^b levels: scale = max / (2^b - 1).
    assert_eq!(scale_for(255.0, IntRange::new(8, false, false), ScaleMode::Dyadic), 1.0);
    assert_eq!(scale_for(127.0, IntRange::new(8, true, false), ScaleMode::Dyadic), 1.0);
}

#[test]
fn symmetric_weights_per_tensor_and_per_channel() {
    // [d_in = 2, d_out = 2], columns have reaches 1.27 and 0.127.
    let w = [1.27f32, 0.1, -0.635, -0.127];
    let per_tensor = WeightQuantizer {
        bits: 8,
        granularity: Granularity::PerTensor,
        mode: ScaleMode::Dyadic,
        clip_percentile: None,
    };
    let s = per_tensor.scales(&w, 2, 2);
    assert_eq!(s, vec![1.27 / 127.0; 2]);
    assert_eq!(per_tensor.quantize(&w, 2, &s), vec![127, 10, -64, -13]); // -0.635/0.01 = -63.5 → -64 (even)
    let per_channel = WeightQuantizer { granularity: Granularity::PerChannel, ..per_tensor };
    let s = per_channel.scales(&w, 2, 2);
    assert_eq!(s, vec![1.27 / 127.0, 0.127 / 127.0]);
    let q = per_channel.quantize(&w, 2, &s);
    assert_eq!(q, vec![127, 100, -64, -127]);
    // Power-of-two mode rounds each scale up: nothing that fitted clips.
    let p2 = WeightQuantizer { mode: ScaleMode::PowerOfTwo, ..per_channel };
    let s = p2.scales(&w, 2, 2);
    assert_eq!(s, vec![1.0 / 64.0, 1.0 / 512.0]); // 0.01 → 2^-6, 0.001 → 2^-9
    assert!(p2.quantize(&w, 2, &s).iter().all(|v| v.abs() <= 127));
}

#[test]
fn one_bit_is_bipolar_and_sixteen_bits_is_fine() {
    let w = [0.3f32, -0.2, 0.0, -0.7];
    let q1 = WeightQuantizer {
        bits: 1,
        granularity: Granularity::PerTensor,
        mode: ScaleMode::Dyadic,
        clip_percentile: None,
    };
    let s = q1.scales(&w, 4, 1);
    assert_eq!(s[0], 0.7);
    assert_eq!(q1.quantize(&w, 1, &s), vec![1, -1, 1, -1]);
    assert_eq!(weight_range(1), IntRange::new(1, true, false));
    // 16 bits: 32767 levels each side, round trip error at most s/2.
    let q16 = WeightQuantizer { bits: 16, ..q1 };
    let w: Vec<f32> = (0..1000).map(|i| ((i as f32) * 0.731).sin()).collect();
    let s = q16.scales(&w, 1000, 1);
    let q = q16.quantize(&w, 1, &s);
    assert!(q.iter().all(|v| v.abs() <= 32767));
    for (a, b) in w.iter().zip(&q) {
        assert!((a - *b as f32 * s[0]).abs() <= s[0] / 2.0 * 1.0001);
    }
    // Unsigned 1-bit activations: {0, 1}.
    assert_eq!(quantize(0.7, 1.0, IntRange::new(1, false, false)), 1);
    assert_eq!(quantize(-0.7, 1.0, IntRange::new(1, false, false)), 0);
}

#[test]
fn bias_at_product_scale_reports_clipping() {
    let b = quantize_bias(&[0.5, 1000.0, -0.25], &[0.01, 0.01, 0.01], 0.5, 8);
    assert_eq!(b.scales, vec![0.005; 3]);
    assert_eq!(b.values, vec![100, 127, -50]);
    assert_eq!(b.clipped, vec![1]);
}

#[test]
fn percentile_clipping() {
    let v: Vec<f32> = (1..=100).map(|i| i as f32).collect();
    assert_eq!(percentile_abs(&v, 100.0), 100.0);
    assert_eq!(percentile_abs(&v, 99.0), 99.0);
    assert_eq!(percentile_abs(&v, 50.0), 50.0);
    let q = WeightQuantizer {
        bits: 8,
        granularity: Granularity::PerTensor,
        mode: ScaleMode::Dyadic,
        clip_percentile: Some(99.0),
    };
    assert_eq!(q.scales(&v, 100, 1)[0], 99.0 / 127.0);
}

#[test]
fn requantization_multipliers() {
    // Power of two: a shift.
    assert_eq!(Requant::from_scales(0.25 * 0.5, 0.5, ScaleMode::PowerOfTwo, 0).unwrap(), Requant::Shift(2));
    assert_eq!(Requant::from_scales(4.0, 1.0, ScaleMode::PowerOfTwo, 0).unwrap(), Requant::Shift(-2));
    assert_eq!(Requant::Shift(2).apply(6), 2); // 1.5 → 2
    assert_eq!(Requant::Shift(2).apply(10), 2); // 2.5 → 2
    assert_eq!(Requant::Shift(-2).apply(-3), -12);
    // Dyadic: b / 2^c within 2^-24 relative of the ratio.
    let m = 0.0123456789f64;
    let r = Requant::from_scales(m, 1.0, ScaleMode::Dyadic, 0).unwrap();
    let Requant::Dyadic { b, c } = r else { panic!("expected dyadic") };
    assert!((1i64 << 23..=1i64 << 24).contains(&b), "b = {b}");
    assert!(((b as f64) / 2f64.powi(c as i32) - m).abs() <= m * 2f64.powi(-24));
    for acc in -5000i64..5000 {
        assert_eq!(r.apply(acc), (acc as f64 * r.as_f64()).round_ties_even() as i64);
    }
    assert!(Requant::from_scales(f64::NAN, 1.0, ScaleMode::Dyadic, 3).is_err());
}

#[test]
fn bits_out_of_range_are_typed_errors() {
    assert!(matches!(check_bits("x", 0), Err(hawq_core::Error::InvalidBits { bits: 0, .. })));
    assert!(matches!(check_bits("x", 33), Err(hawq_core::Error::InvalidBits { bits: 33, .. })));
    assert!(check_bits("x", 1).is_ok() && check_bits("x", 32).is_ok());
}

/// The nearest-rank percentiles by a full sort: `k = ⌈p·n/100⌉`, the `k`-th smallest value and
/// the `k`-th largest (written independently of `percentile_range`).
fn percentile_reference(values: &[f32], p: f64) -> (f32, f32) {
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let n = v.len();
    let mut k = 1;
    while (k as f64) < p / 100.0 * n as f64 - 1e-9 {
        k += 1;
    }
    let k = k.min(n);
    (v[n - k], v[k - 1])
}

#[test]
fn percentile_range_matches_a_sorting_reference() {
    let mut rng = hawq_core::rng::SplitMix64::new(3);
    for n in [1usize, 2, 3, 10, 99, 100, 101, 1000, 12_345] {
        // Values with ties (rounded to a grid) and both signs.
        let v: Vec<f32> = (0..n).map(|_| ((rng.normal() * 8.0).round() / 4.0) as f32).collect();
        for p in [50.0f32, 75.0, 90.0, 99.0, 99.9, 99.99, 100.0] {
            assert_eq!(percentile_range(&v, p), percentile_reference(&v, f64::from(p)), "n = {n}, p = {p}");
        }
    }
    // Exact ranks: 1..=100 at p = 99 drops one value at each end.
    let v: Vec<f32> = (1..=100).map(|i| i as f32).collect();
    assert_eq!(percentile_range(&v, 99.0), (2.0, 99.0));
    assert_eq!(percentile_range(&v, 100.0), (1.0, 100.0));
    assert_eq!(percentile_abs(&v, 99.0), 99.0, "the same rank as the weight percentile");
}

#[test]
fn percentile_activation_range_ignores_an_outlier() {
    use hawq_core::layers::QuantActConfig;
    let device = Default::default();
    let mut rng = hawq_core::rng::SplitMix64::new(8);
    // 20,200 values in [-1, 1) and one outlier at 1000.
    let mut v: Vec<f32> = (0..20_200).map(|_| rng.uniform(-1.0, 1.0) as f32).collect();
    v[1234] = 1000.0;
    let x = Tensor::<Cpu, 2>::from_data(TensorData::new(v.clone(), [200, 101]), &device);

    let minmax = QuantActConfig::new(8, true, ScaleMode::Dyadic).init::<Cpu>(&device);
    minmax.observe(&x);
    assert_eq!(minmax.running_range().1, 1000.0, "min/max follows the outlier");

    let p = 99.99;
    let clipped = QuantActConfig::new(8, true, ScaleMode::Dyadic).with_percentile(p).init::<Cpu>(&device);
    clipped.observe(&x);
    let (lo, hi) = clipped.running_range();
    assert_eq!((lo, hi), percentile_reference(&v, f64::from(p)));
    assert!(hi < 1.0 && lo > -1.0 && lo < -0.99, "percentile range ({lo}, {hi}) ignores the outlier");
    assert!(clipped.scale() < minmax.scale() / 500.0);

    // A second batch moves the range with momentum: old · m + new · (1 − m).
    let w: Vec<f32> = (0..20_000).map(|_| rng.uniform(0.0, 3.0) as f32).collect();
    let y = Tensor::<Cpu, 2>::from_data(TensorData::new(w.clone(), [100, 200]), &device);
    clipped.observe(&y);
    let (lo2, hi2) = percentile_reference(&w, f64::from(p));
    let m = clipped.config.momentum;
    assert_eq!(clipped.running_range(), (m * lo + (1.0 - m) * lo2, m * hi + (1.0 - m) * hi2));

    // The model-level setting reaches every activation quantizer after a layer, not the input.
    let model = hawq_core::QuantConfig::uniform(&[4, 8, 3], 8).with_act_percentile(p).init::<Cpu>(&device, 1).unwrap();
    assert!(model.acts.iter().all(|a| a.config.percentile == Some(p)));
    assert_eq!(model.input_act.config.percentile, None);
    let bad = hawq_core::QuantConfig::uniform(&[4, 8, 3], 8).with_act_percentile(30.0);
    assert!(matches!(bad.validate(), Err(hawq_core::Error::Config { .. })));
}
