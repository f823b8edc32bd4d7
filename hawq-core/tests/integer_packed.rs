//! The packed SIMD kernels of the integer engine, at every SIMD level this CPU runs (AVX-512
//! VNNI, AVX-VNNI, AVX2, aarch64 dot products, portable; `IntegerMlp::prepare_with`), against its reference path
//! (`forward_int_reference`: plain loops with 64-bit arithmetic where 32 bits could overflow), on
//! seeded random models: byte and 16-bit activations, signed and unsigned ranges (the signed
//! ones stored with an offset), power-of-two shifts in both directions and dyadic multipliers
//! (32- and 64-bit requantization), widths that are not multiples of the vector sizes, batches
//! that are not multiples of the 16-sample block, inputs at the range edges and requantization
//! ties. Models the kernels cannot take (17-bit activations, 64-bit accumulators, bipolar
//! ranges) must fall back to the reference path and still give its results. Then every level on
//! all simulated test jets, with jet taggers in both scale modes.

mod common;

use hawq_core::Simd;
use hawq_core::quantizer::{IntRange, Requant, quantize};
use hawq_core::rng::SplitMix64;
use hawq_core::{IntegerLayer, IntegerMlp, QuantConfig, ScaleMode};

/// A uniform integer in `lo..=hi`.
fn uniform(rng: &mut SplitMix64, lo: i64, hi: i64) -> i64 {
    lo + (rng.next_u64() % (hi - lo + 1) as u64) as i64
}

/// A random layer from `input` to `output`.
fn layer(
    rng: &mut SplitMix64,
    d_in: usize,
    d_out: usize,
    weight_bits: u32,
    output: IntRange,
    relu: bool,
) -> IntegerLayer {
    let wmax = (1i64 << (weight_bits - 1)) - 1;
    let weight = (0..d_in * d_out).map(|_| uniform(rng, -wmax - 1, wmax)).collect();
    let bias = (0..d_out).map(|_| uniform(rng, -5000, 5000)).collect();
    // Per layer either power-of-two shifts (32-bit requantization unless the products are
    // large) or dyadic multipliers (64-bit products).
    let dyadic = rng.next_u64().is_multiple_of(3);
    let requant = (0..d_out)
        .map(|_| match (dyadic, rng.next_u64() % 3) {
            (true, _) => Requant::Dyadic { b: uniform(rng, 1 << 22, (1 << 23) - 1), c: uniform(rng, 26, 36) as u32 },
            (false, 0) => Requant::Shift(uniform(rng, -1, 3) as i32),
            (false, _) => Requant::Shift(uniform(rng, 4, 14) as i32),
        })
        .collect();
    IntegerLayer {
        d_in,
        d_out,
        weight,
        bias,
        requant,
        output,
        relu,
        weight_bits,
        bias_bits: 32,
        weight_scales: vec![0.01; d_out],
        bias_scales: vec![1e-4; d_out],
        input_scale: 0.01,
        output_scale: 0.01,
    }
}

/// A random model; `wide_activations` makes one hidden range 16 bits signed (16-bit lanes).
fn model(rng: &mut SplitMix64, input: IntRange, wide_activations: bool) -> IntegerMlp {
    let n_layers = uniform(rng, 1, 4) as usize;
    let mut widths = vec![uniform(rng, 1, 40) as usize];
    for _ in 0..n_layers {
        widths.push(uniform(rng, 1, 70) as usize);
    }
    let layers = (0..n_layers)
        .map(|l| {
            let last = l + 1 == n_layers;
            let output = if last {
                IntRange::new(uniform(rng, 2, 16) as u32, true, rng.next_u64().is_multiple_of(2))
            } else if wide_activations && l == 0 {
                IntRange::new(12, true, false)
            } else if rng.next_u64().is_multiple_of(4) {
                IntRange::new(uniform(rng, 2, 8) as u32, true, false)
            } else {
                IntRange::new(uniform(rng, 1, 8) as u32, false, false)
            };
            let wbits = uniform(rng, 2, 8) as u32;
            layer(rng, widths[l], widths[l + 1], wbits, output, !last && !output.signed)
        })
        .collect();
    // Power-of-two input scales (multiplied by their exact inverse) and others (divided).
    let scale = if rng.next_u64().is_multiple_of(2) { 1.0 / 64.0 } else { 0.0137 };
    IntegerMlp::new(scale, input, layers, ScaleMode::Dyadic).expect("valid random model")
}

/// Random inputs in `range`, a quarter of them at its ends.
fn inputs(rng: &mut SplitMix64, range: IntRange, n: usize) -> Vec<i64> {
    (0..n)
        .map(|_| match rng.next_u64() % 8 {
            0 => range.min(),
            1 => range.max(),
            _ => uniform(rng, range.min(), range.max()),
        })
        .collect()
}

/// Every SIMD level this CPU runs against the reference path on random batches; returns the
/// levels that packed the model.
fn check(model: &IntegerMlp, rng: &mut SplitMix64, case: usize) -> Vec<Simd> {
    let mut packed = Vec::new();
    for simd in Simd::available() {
        let engine = model.prepare_with(simd).expect("an available level");
        if engine.uses_packed_kernels() {
            assert_eq!(engine.simd(), simd);
            packed.push(simd);
        } else {
            assert_eq!(engine.simd(), Simd::Reference);
        }
        check_level(model, &engine, rng, &format!("case {case}, {simd}"));
    }
    packed
}

/// One prepared engine against the reference path.
fn check_level(model: &IntegerMlp, engine: &hawq_core::PreparedMlp<'_>, rng: &mut SplitMix64, what: &str) {
    for batch in [1, 15, 16, 17, 31, 32, 33, 53] {
        let q = inputs(rng, model.input_range, batch * model.d_in());
        let fast = engine.forward_int(&q).expect("forward_int");
        let reference = model.forward_int_reference(&q).expect("reference");
        assert_eq!(fast, reference, "{what}, batch {batch}: packed kernels differ from the reference");
        // Float inputs through the input quantizer: on a quarter of the grid (so half-way
        // points, which round to even, occur often) and a little beyond both ends of the range.
        let r = model.input_range;
        let x: Vec<f32> = (0..batch * model.d_in())
            .map(|_| uniform(rng, 4 * r.min() - 8, 4 * r.max() + 8) as f32 / 4.0 * model.input_scale)
            .collect();
        let fast = engine.predict(&x).expect("predict");
        let q = model.quantize_input(&x).expect("quantize");
        assert!(q.iter().zip(&x).all(|(&a, &v)| a == quantize(v, model.input_scale, model.input_range)));
        let s = model.output_scale();
        let reference: Vec<f32> =
            model.forward_int_reference(&q).expect("reference").iter().map(|&v| v as f32 * s).collect();
        assert_eq!(fast, reference, "{what}, batch {batch}: predict differs from the reference");
    }
}

#[test]
fn packed_kernels_equal_the_reference_on_random_models() {
    let mut rng = SplitMix64::new(2026);
    let levels = Simd::available();
    eprintln!("SIMD levels on this CPU: {levels:?}");
    test_support::simd_levels_not_run();
    assert!(levels.contains(&Simd::Portable), "the portable kernels run everywhere");
    let mut packed = std::collections::BTreeMap::<Simd, usize>::new();
    let ranges = [
        IntRange::new(8, true, false),
        IntRange::new(8, false, false),
        IntRange::new(6, true, true),
        IntRange::new(16, true, false),
        IntRange::new(12, true, false),
    ];
    for case in 0..150 {
        let input = ranges[case % ranges.len()];
        let m = model(&mut rng, input, case % 3 == 0);
        for simd in check(&m, &mut rng, case) {
            *packed.entry(simd).or_default() += 1;
        }
    }
    eprintln!("random models packed per level (of 150): {packed:?}");
    for simd in levels.into_iter().filter(|&s| s != Simd::Reference) {
        let n = packed.get(&simd).copied().unwrap_or(0);
        assert!(n >= 100, "only {n} of 150 random models took the {simd} kernels");
    }
}

#[test]
fn models_outside_the_kernels_fall_back_to_the_reference() {
    let mut rng = SplitMix64::new(7);
    // 17-bit unsigned inputs fit neither bytes nor 16-bit words.
    let wide_input = model(&mut rng, IntRange::new(17, false, false), false);
    assert!(!wide_input.uses_packed_kernels());
    assert!(check(&wide_input, &mut rng, 0).is_empty());
    // A bipolar input quantizer takes the sign.
    let bipolar = model(&mut rng, IntRange::new(1, true, false), false);
    assert!(!bipolar.uses_packed_kernels());
    assert!(check(&bipolar, &mut rng, 1).is_empty());
    // 16-bit weights against 16-bit inputs over many inputs: accumulators beyond 32 bits.
    let mut big = layer(&mut rng, 300, 3, 16, IntRange::new(16, true, false), false);
    big.weight.iter_mut().for_each(|w| *w = 32_000);
    let big = IntegerMlp::new(1.0, IntRange::new(16, true, false), vec![big], ScaleMode::Dyadic).expect("model");
    assert!(!big.uses_packed_kernels());
    assert!(big.max_accumulator_bits() > 32);
    assert!(check(&big, &mut rng, 2).is_empty());
}

#[test]
fn a_level_this_cpu_lacks_is_an_error() {
    let mut rng = SplitMix64::new(3);
    let m = model(&mut rng, IntRange::new(8, true, false), false);
    for simd in Simd::ALL {
        assert_eq!(m.prepare_with(simd).is_ok(), simd.supported(), "{simd}");
    }
}

/// Every level on all simulated test jets: jet taggers (16-64-32-32-5, 8-bit weights, one epoch)
/// with 8- and 16-bit inputs, in both scale modes; both entry points (`predict` on the float
/// features, `forward_int` on their quantized values) give the reference integers.
#[test]
fn every_level_equals_the_reference_on_all_test_jets() {
    let test = common::jets_test_standardised();
    let mut rng = SplitMix64::new(5);
    for mode in [ScaleMode::PowerOfTwo, ScaleMode::Dyadic] {
        for input_bits in [8, 16] {
            let config =
                QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).with_input_bits(input_bits).with_scale_mode(mode);
            let int = common::integer_model(config, &test);
            let q = int.quantize_input(&test.features).expect("quantize");
            let reference = int.forward_int_reference(&q).expect("reference");
            let s = int.output_scale();
            let reference_f: Vec<f32> = reference.iter().map(|&v| v as f32 * s).collect();
            for simd in Simd::available() {
                let engine = int.prepare_with(simd).expect("an available level");
                let what = format!("{mode:?}, {input_bits}-bit inputs, {simd}");
                assert!(engine.uses_packed_kernels() || simd == Simd::Reference, "{what}: not packed");
                assert_eq!(engine.forward_int(&q).expect("forward_int"), reference, "{what}: forward_int");
                assert_eq!(engine.predict(&test.features).expect("predict"), reference_f, "{what}: predict");
                check_level(&int, &engine, &mut rng, &what);
            }
            eprintln!("{mode:?}, {input_bits}-bit inputs: every level equals the reference on {} jets", test.len());
        }
    }
}

#[test]
fn packed_predict_reports_non_finite_inputs() {
    let mut rng = SplitMix64::new(11);
    let m = model(&mut rng, IntRange::new(8, true, false), false);
    let mut x = vec![0.25f32; m.d_in() * 20];
    let at = x.len() - 3;
    x[at] = f32::INFINITY;
    match m.predict(&x) {
        Err(hawq_core::Error::NonFinite { index, .. }) => assert_eq!(index, at),
        other => panic!("expected a non-finite input error, got {other:?}"),
    }
}
