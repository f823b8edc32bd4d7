//! The three computations of a model agree on random small MLPs (proptest): the integer engine
//! (`IntegerMlp`, the reference by rule 1 of `docs/src/number-contract.md`, at every SIMD level
//! this CPU runs), the exported QONNX graph run by `qonnx-ir`'s exact executor, and the
//! bit-accurate emulator of the HLS firmware that `hls-backend` lowers from that graph (at every
//! SIMD level). The models have 1–3 layers of widths 1–12, random per-layer weight, activation
//! and bias widths, random input widths and signs, both scale modes and both granularities,
//! random weights and biases, and are calibrated on random data; the inputs lie on the input
//! grid, on its ties, beside them, anywhere in range and far outside it.
//!
//! What must agree, by the contract:
//! - engine = emulator, bit for bit, whenever `hls-backend` lowers the model (power-of-two
//!   scales; it refuses dyadic ones);
//! - engine = executor, bit for bit, in power-of-two mode for every sample whose accumulators
//!   (bias, the sum of products and their total) fit float32's 24-bit significand;
//! - in dyadic mode, layer by layer: where a sample's input to a layer is the same integers in
//!   both, each output of the layer is the same integer unless `acc · m` lies within float
//!   rounding of a tie (bounded below), where it may be one step off.

use burn::module::Param;
use burn::prelude::*;
use hawq::hawq_core::backend::Cpu;
use hawq::hawq_core::export::{ExportOptions, INPUT, INPUT_QUANT, export_qonnx};
use hawq::hawq_core::{BitConfig, Error, Granularity, IntegerMlp, QuantConfig, ScaleMode, Simd, layer_name};
use hawq::hls_backend::{Emulator, HlsConfig, lower::lower};
use hawq::qonnx_ir::exec::{ExecOptions, execute};
use hawq::qonnx_ir::{Model, Tensor as QTensor};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use std::cell::Cell;

/// One generated layer: widths of weights, activation and bias; weights and biases as values in
/// [−1, 1) times `2^w_exp` and `2^b_exp` (some exactly zero).
#[derive(Debug, Clone)]
struct LayerCase {
    bits: BitConfig,
    w_exp: i32,
    b_exp: i32,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

/// How one input value is placed relative to the input grid `s_in`: `k · s_in`, `(k + ½) · s_in`,
/// one float32 step above or below that tie, `u` times the range's reach, or far outside.
#[derive(Debug, Clone, Copy)]
enum Place {
    Grid(i32),
    Tie(i32),
    BesideTie(i32, bool),
    InRange(f32),
    Outside(f32),
}

#[derive(Debug, Clone)]
struct Case {
    widths: Vec<usize>,
    layers: Vec<LayerCase>,
    input_bits: u32,
    input_signed: bool,
    pow2: bool,
    per_channel: bool,
    /// Calibration data in [−1, 1) times `2^calib_exp`, `[rows, widths[0]]`.
    calib_exp: i32,
    calib: Vec<f32>,
    /// Test inputs, `[rows, widths[0]]`.
    inputs: Vec<Place>,
}

fn bits(lo: u32) -> impl Strategy<Value = u32> {
    prop_oneof![8 => lo..=8u32, 1 => Just(16u32)]
}

fn value(zero_weight: u32) -> impl Strategy<Value = f32> {
    prop_oneof![zero_weight => Just(0.0f32), 10 => -1.0f32..1.0]
}

fn place() -> impl Strategy<Value = Place> {
    prop_oneof![
        (-300..300i32).prop_map(Place::Grid),
        (-300..300i32).prop_map(Place::Tie),
        (-300..300i32, any::<bool>()).prop_map(|(k, up)| Place::BesideTie(k, up)),
        (-1.2f32..1.2).prop_map(Place::InRange),
        (-1e3f32..1e3).prop_map(Place::Outside),
    ]
}

fn case() -> impl Strategy<Value = Case> {
    let widths = proptest::collection::vec(1..=12usize, 2..=4);
    (widths, any::<bool>(), any::<bool>(), any::<bool>(), bits(1), -3..=3i32, 1..=12usize)
        .prop_flat_map(|(widths, pow2, per_channel, input_signed, input_bits, calib_exp, rows)| {
            let n = widths.len() - 1;
            let layers: Vec<_> = (0..n)
                .map(|l| {
                    let (d_in, d_out) = (widths[l], widths[l + 1]);
                    // Hidden activations are unsigned (1 bit allowed); the output is signed.
                    let act = bits(if l + 1 == n { 2 } else { 1 });
                    let bias_bits = prop_oneof![3 => Just(32u32), 1 => 4..=31u32];
                    (bits(2), act, bias_bits, -4..=2i32, -4..=2i32).prop_flat_map(
                        move |(weight, activation, bias, w_exp, b_exp)| {
                            let w = proptest::collection::vec(value(1), d_in * d_out);
                            let b = proptest::collection::vec(value(2), d_out);
                            (w, b).prop_map(move |(weights, bias_v)| LayerCase {
                                bits: BitConfig { weight, activation, bias },
                                w_exp,
                                b_exp,
                                weights,
                                bias: bias_v,
                            })
                        },
                    )
                })
                .collect();
            let d = widths[0];
            (
                Just(widths),
                layers,
                Just(pow2),
                Just(per_channel),
                Just(input_signed),
                // A signed 1-bit input would be bipolar, which the firmware does not take.
                Just(if input_signed { input_bits.max(2) } else { input_bits }),
                Just(calib_exp),
                proptest::collection::vec(-1.0f32..1.0, 16 * d),
                proptest::collection::vec(place(), rows * d),
            )
        })
        .prop_map(|(widths, layers, pow2, per_channel, input_signed, input_bits, calib_exp, calib, inputs)| Case {
            widths,
            layers,
            input_bits,
            input_signed,
            pow2,
            per_channel,
            calib_exp,
            calib,
            inputs,
        })
}

/// The calibrated integer model of a case, built with `hawq-core`'s public API; `None` where
/// `to_integer` refuses a dyadic multiplier `s_w · s_in / s_out ≥ 2^24` (documented: an output
/// range calibrated to almost nothing, as when a layer's weights are all zero).
fn build(case: &Case) -> Option<IntegerMlp> {
    let mode = if case.pow2 { ScaleMode::PowerOfTwo } else { ScaleMode::Dyadic };
    let granularity = if case.per_channel { Granularity::PerChannel } else { Granularity::PerTensor };
    let mut config = QuantConfig::uniform(&case.widths, 8)
        .with_scale_mode(mode)
        .with_granularity(granularity)
        .with_input_bits(case.input_bits);
    config.input_signed = case.input_signed;
    config.layers = case.layers.iter().map(|l| l.bits).collect();
    let device = Default::default();
    let mut model = config.init::<Cpu>(&device, 1).unwrap();
    for (l, lc) in case.layers.iter().enumerate() {
        let (d_in, d_out) = (case.widths[l], case.widths[l + 1]);
        let w: Vec<f32> = lc.weights.iter().map(|v| v * 2f32.powi(lc.w_exp)).collect();
        let b: Vec<f32> = lc.bias.iter().map(|v| v * 2f32.powi(lc.b_exp)).collect();
        model.layers[l].weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [d_in, d_out]), &device));
        model.layers[l].bias = Param::from_tensor(Tensor::from_data(TensorData::new(b, [d_out]), &device));
    }
    let calib: Vec<f32> = case.calib.iter().map(|v| v * 2f32.powi(case.calib_exp)).collect();
    let rows = calib.len() / case.widths[0];
    model.calibrate(Tensor::from_data(TensorData::new(calib, [rows, case.widths[0]]), &device));
    match model.freeze().to_integer() {
        Ok(int) => Some(int),
        Err(Error::Multiplier { multiplier, .. }) if !case.pow2 && multiplier >= 2f64.powi(24) => None,
        Err(e) => panic!("{e}"),
    }
}

/// The float inputs of a case, placed on the model's input grid.
fn inputs(case: &Case, int: &IntegerMlp) -> Vec<f32> {
    let s = int.input_scale;
    let reach = int.input_range.max() as f32 * s;
    case.inputs
        .iter()
        .map(|p| match *p {
            Place::Grid(k) => k as f32 * s,
            Place::Tie(k) => (k as f32 + 0.5) * s,
            Place::BesideTie(k, up) => {
                let t = (k as f32 + 0.5) * s;
                if up { t.next_up() } else { t.next_down() }
            }
            Place::InRange(u) => u * reach,
            Place::Outside(u) => u * reach,
        })
        .collect()
}

/// Each layer's accumulators `Σ q·w` (without the bias) for the engine's activations `trace`.
fn products(int: &IntegerMlp, trace: &[Vec<i64>], batch: usize) -> Vec<Vec<i64>> {
    int.layers
        .iter()
        .zip(trace)
        .map(|(layer, x)| {
            (0..batch * layer.d_out)
                .map(|k| {
                    let (n, j) = (k / layer.d_out, k % layer.d_out);
                    (0..layer.d_in).map(|i| x[n * layer.d_in + i] * layer.weight[i * layer.d_out + j]).sum()
                })
                .collect()
        })
        .collect()
}

/// The output tensor of the node called `name`.
fn node_output(model: &Model, name: &str) -> String {
    let node = model.graph.nodes.iter().find(|n| n.name.as_deref() == Some(name)).unwrap();
    node.outputs[0].clone()
}

/// What one case compared.
#[derive(Debug, Default, Clone, Copy)]
struct Stats {
    cases: usize,
    emulated: usize,
    /// Activations compared between engine and executor.
    compared: usize,
    /// Samples no longer compared (accumulator beyond 24 bits, or a one-step difference at a tie).
    dropped: usize,
    /// Dyadic activations within float rounding of a tie.
    near_ties: usize,
    /// Of those, the ones one step apart.
    tie_steps: usize,
    /// Dyadic models whose multiplier the engine refuses (see [`build`]).
    refused: usize,
}

/// Runs every check on one case.
fn check(case: &Case, stats: &mut Stats) -> Result<(), TestCaseError> {
    stats.cases += 1;
    let Some(int) = build(case) else {
        stats.refused += 1;
        return Ok(());
    };
    let x = inputs(case, &int);
    let d_in = int.d_in();
    let batch = x.len() / d_in;
    let q_in = int.quantize_input(&x).unwrap();
    let trace = int.forward_trace(&q_in).unwrap();
    let engine = trace.last().unwrap().clone();
    prop_assert_eq!(&int.forward_int_reference(&q_in).unwrap(), &engine);
    for simd in Simd::ALL.into_iter().filter(|s| s.supported()) {
        prop_assert_eq!(&int.prepare_with(simd).unwrap().forward_int(&q_in).unwrap(), &engine, "engine at {:?}", simd);
    }
    prop_assert_eq!(&int.forward_int(&q_in).unwrap(), &engine, "engine at the default level");

    let qonnx = export_qonnx(&int, &ExportOptions::default()).unwrap();
    let s_out = f64::from(int.output_scale());

    // The firmware model.
    match lower(&qonnx, &HlsConfig::default()) {
        Ok(hls) => {
            let xf: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
            let mut emulators = vec![Emulator::new(&hls)];
            for simd in Simd::ALL.into_iter().filter(|s| s.supported()) {
                emulators.push(Emulator::with_simd(&hls, simd).unwrap());
            }
            for emu in &emulators {
                let out = emu.run(&xf).unwrap().values();
                prop_assert_eq!(out.len(), engine.len());
                for (k, (&e, &q)) in out.iter().zip(&engine).enumerate() {
                    prop_assert_eq!(e, q as f64 * s_out, "emulator at {:?}, output {}", emu.simd(), k);
                }
            }
            stats.emulated += 1;
        }
        Err(e) => prop_assert!(!case.pow2, "power-of-two model not lowered: {}", e),
    }

    // The exact executor, with every activation quantizer's output kept.
    let t = QTensor::from_f32(&[batch, d_in], x.clone()).unwrap();
    let opts = ExecOptions { exact: true, any_batch: true, keep_intermediates: true };
    let r = execute(&qonnx, &[(INPUT, t)], &opts).unwrap();
    let graph_ints = |tensor: &str, scale: f32| -> Vec<i64> {
        let v = r.intermediates.get(tensor).or_else(|| r.output(tensor)).unwrap().to_f64();
        v.iter().map(|&y| (y / f64::from(scale)).round_ties_even() as i64).collect()
    };
    let q_graph = graph_ints(&node_output(&qonnx, INPUT_QUANT), int.input_scale);
    prop_assert_eq!(&q_graph, &q_in, "input quantization");
    let sums = products(&int, &trace, batch);
    let fits = |v: i64| v.unsigned_abs() <= 1 << 24;
    // Samples still comparable: their input to the next layer is the same in both.
    let mut live = vec![true; batch];
    for (l, layer) in int.layers.iter().enumerate() {
        let got = graph_ints(&node_output(&qonnx, &format!("{}_act_quant", layer_name(l))), layer.output_scale);
        let want = &trace[l + 1];
        for n in 0..batch {
            if !live[n] {
                continue;
            }
            for j in 0..layer.d_out {
                let k = n * layer.d_out + j;
                let (s, b) = (sums[l][k], layer.bias[j]);
                let acc = s + b;
                if case.pow2 {
                    if !(fits(s) && fits(b) && fits(acc)) {
                        live[n] = false;
                        stats.dropped += 1;
                        break;
                    }
                    prop_assert_eq!(got[k], want[k], "layer {} sample {} output {}: acc = {}", l, n, j, acc);
                    stats.compared += 1;
                } else {
                    // acc · m exactly, and how far float rounding can move the graph's value
                    // (float32 dequantization, sums and division: a few 2^-24 relative to the
                    // magnitudes involved) and the engine's b / 2^c (2^-24 relative).
                    let m = f64::from(layer.weight_scales[j]) * f64::from(layer.input_scale)
                        / f64::from(layer.output_scale);
                    let t = acc as f64 * m;
                    let abs_sum: i64 = (0..layer.d_in)
                        .map(|i| (trace[l][n * layer.d_in + i] * layer.weight[i * layer.d_out + j]).abs())
                        .sum();
                    let slack = 2f64.powi(-20) * m * (abs_sum + b.abs()) as f64 + 2f64.powi(-30);
                    let near_tie = ((t - t.floor()) - 0.5).abs() <= slack;
                    if near_tie {
                        stats.near_ties += 1;
                        prop_assert!(
                            (got[k] - want[k]).abs() <= 1,
                            "layer {} sample {}: {} vs {}",
                            l,
                            n,
                            got[k],
                            want[k]
                        );
                        if got[k] != want[k] {
                            live[n] = false;
                            stats.dropped += 1;
                            stats.tie_steps += 1;
                        }
                    } else {
                        prop_assert_eq!(got[k], want[k], "layer {} sample {} output {}: acc·m = {}", l, n, j, t);
                        stats.compared += 1;
                    }
                }
            }
        }
    }
    // The graph's outputs are the last activation quantizer's values.
    let out = r.outputs[0].1.to_f64();
    prop_assert_eq!(out.len(), engine.len());
    if case.pow2 {
        for (n, row) in out.as_slice().unwrap().chunks(int.d_out()).enumerate() {
            if live[n] {
                let want: Vec<f64> =
                    engine[n * int.d_out()..(n + 1) * int.d_out()].iter().map(|&q| q as f64 * s_out).collect();
                prop_assert_eq!(row, &want[..], "executor output of sample {}", n);
            }
        }
    }
    Ok(())
}

#[test]
fn engine_emulator_and_executor_agree_on_random_mlps() {
    let stats = Cell::new(Stats::default());
    // 1,024 cases take about a second; PROPTEST_CASES sets another number.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1024);
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let result = runner.run(&case(), |case| {
        let mut s = stats.get();
        let r = check(&case, &mut s);
        stats.set(s);
        r
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // The generator reaches what it is meant to: firmware for most power-of-two models, and the
    // executor compared on most activations.
    let s = stats.get();
    assert!(s.emulated >= s.cases / 3, "{s:?}");
    assert!(s.refused <= s.cases / 100, "{s:?}");
    assert!(s.compared >= 20 * s.dropped.max(1), "{s:?}");
    eprintln!("{s:?}");
}
