//! `QuantBnLinear` (batch norm folded into the weight and bias before quantization) and
//! `QuantMlp` with batch-norm layers, in float64 (the only precision this test binary uses:
//! burn 0.21 fixes one float type per device for the whole process).
//!
//! - eval: the folded layer equals linear → batch norm computed here in plain f64 (float mode to
//!   1e-12; quantized within the quantization error bound);
//! - training: batch statistics (output equals batch norm with the batch's mean and biased
//!   variance), running mean/variance updated with momentum and the unbiased variance, nothing
//!   updated in eval or when frozen;
//! - nested autodiff: `H·v` through the folded layer (batch statistics) equals central
//!   differences of the gradient;
//! - QAT with batch norm trains (8 bits within 1 % of the float model with batch norm);
//! - the integer engine equals the eval-mode model exactly with batch-norm layers (both scale
//!   modes), and the exported QONNX graph equals the integer engine (power of two);
//! - save/load keeps the batch-norm state.

mod common;

use burn::backend::Autodiff;
use burn::module::{AutodiffModule, Param, RunningState};
use burn::prelude::*;
use hawq_core::backend::Cpu64;
use hawq_core::export::{ExportOptions, INPUT, export_qonnx};
use hawq_core::layers::{QuantBnLinear, QuantBnLinearConfig, QuantLinearConfig};
use hawq_core::rng::SplitMix64;
use hawq_core::train::{TrainConfig, evaluate, train};
use hawq_core::{Dataset, Error, Granularity, IntegerMlp, QuantConfig, QuantMlp, ScaleMode};

type B = Cpu64;
type Ad = Autodiff<Cpu64>;
type Ad2 = Autodiff<Ad>;

const EPS: f64 = 1e-5;

fn host<Bk: Backend, const D: usize>(t: Tensor<Bk, D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

fn tensor<Bk: Backend, const D: usize>(v: Vec<f64>, shape: [usize; D], device: &Bk::Device) -> Tensor<Bk, D> {
    Tensor::from_data(TensorData::new(v, shape), device)
}

fn random(n: usize, lo: f64, hi: f64, rng: &mut SplitMix64) -> Vec<f64> {
    (0..n).map(|_| rng.uniform(lo, hi)).collect()
}

/// A layer with non-trivial γ, β, running mean and variance.
fn layer<Bk: Backend>(config: QuantBnLinearConfig, device: &Bk::Device, seed: u64) -> QuantBnLinear<Bk> {
    let mut rng = SplitMix64::new(seed);
    let d = config.linear.d_output;
    let mut l = config.init::<Bk>(device, seed);
    l.bn.gamma = Param::from_tensor(tensor(random(d, 0.5, 2.0, &mut rng), [d], device));
    l.bn.beta = Param::from_tensor(tensor(random(d, -1.0, 1.0, &mut rng), [d], device));
    l.bn.running_mean = RunningState::new(tensor(random(d, -0.5, 0.5, &mut rng), [d], device));
    l.bn.running_var = RunningState::new(tensor(random(d, 0.2, 3.0, &mut rng), [d], device));
    l
}

/// Plain f64 `x · W + b` (`x`: `[n, d_in]`, `W`: `[d_in, d_out]`).
fn linear_ref(x: &[f64], w: &[f64], b: &[f64], d_in: usize, d_out: usize) -> Vec<f64> {
    let n = x.len() / d_in;
    let mut y = vec![0.0; n * d_out];
    for i in 0..n {
        for j in 0..d_out {
            y[i * d_out + j] = b[j] + (0..d_in).map(|k| x[i * d_in + k] * w[k * d_out + j]).sum::<f64>();
        }
    }
    y
}

/// Plain f64 batch norm of `y` (`[n, d]`) with per-channel `mean`, `var`, `gamma`, `beta`.
fn bn_ref(y: &[f64], mean: &[f64], var: &[f64], gamma: &[f64], beta: &[f64]) -> Vec<f64> {
    let d = mean.len();
    y.iter()
        .enumerate()
        .map(|(k, v)| {
            let j = k % d;
            (v - mean[j]) / (var[j] + EPS).sqrt() * gamma[j] + beta[j]
        })
        .collect()
}

/// Per-channel mean and biased variance of `y` (`[n, d]`), two-pass, f64.
fn moments(y: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let n = (y.len() / d) as f64;
    let mean: Vec<f64> = (0..d).map(|j| y.iter().skip(j).step_by(d).sum::<f64>() / n).collect();
    let var = (0..d).map(|j| y.iter().skip(j).step_by(d).map(|v| (v - mean[j]).powi(2)).sum::<f64>() / n).collect();
    (mean, var)
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

struct Params {
    w: Vec<f64>,
    b: Vec<f64>,
    gamma: Vec<f64>,
    beta: Vec<f64>,
    mean: Vec<f64>,
    var: Vec<f64>,
}

fn params<Bk: Backend>(l: &QuantBnLinear<Bk>) -> Params {
    Params {
        w: host(l.linear.weight.val()),
        b: host(l.linear.bias.val()),
        gamma: host(l.bn.gamma.val()),
        beta: host(l.bn.beta.val()),
        mean: host(l.bn.running_mean.value_sync()),
        var: host(l.bn.running_var.value_sync()),
    }
}

#[test]
fn eval_fold_equals_linear_then_batch_norm() {
    let device = Default::default();
    let (d_in, d_out, n) = (6, 5, 40);
    let mut rng = SplitMix64::new(1);
    let x = random(n * d_in, -2.0, 2.0, &mut rng);

    // Float mode: exactly linear → batch norm (running statistics).
    let float_cfg = QuantBnLinearConfig {
        linear: QuantLinearConfig { enabled: false, ..QuantLinearConfig::new(d_in, d_out) },
        ..QuantBnLinearConfig::new(d_in, d_out)
    };
    let l = layer::<B>(float_cfg, &device, 7);
    let p = params(&l);
    let want = bn_ref(&linear_ref(&x, &p.w, &p.b, d_in, d_out), &p.mean, &p.var, &p.gamma, &p.beta);
    let got = host(l.forward(tensor(x.clone(), [n, d_in], &device), 1.0));
    let err = max_abs_diff(&got, &want);
    println!("float fold vs linear→BN: max |diff| {err:.2e}");
    assert!(err < 1e-12, "{err}");
    // The folded weight and bias themselves.
    let (wf, bf) = l.folded_host();
    for j in 0..d_out {
        let f = p.gamma[j] / (p.var[j] + EPS).sqrt();
        for k in 0..d_in {
            let r = p.w[k * d_out + j] * f;
            assert!((f64::from(wf[k * d_out + j]) - r).abs() <= 1e-6 * r.abs().max(1e-3), "W_f[{k},{j}]");
        }
        let rb = (p.b[j] - p.mean[j]) * f + p.beta[j];
        assert!((f64::from(bf[j]) - rb).abs() <= 1e-6 * rb.abs().max(1e-3), "b_f[{j}]");
    }

    // Quantized (8-bit per-channel and 4-bit per-tensor weights): within the quantization error
    // of the reference, with scales derived here from the reference folded weight.
    for (bits, granularity) in [(8, Granularity::PerChannel), (4, Granularity::PerTensor)] {
        let cfg = QuantBnLinearConfig {
            linear: QuantLinearConfig { weight_bits: bits, granularity, ..QuantLinearConfig::new(d_in, d_out) },
            ..QuantBnLinearConfig::new(d_in, d_out)
        };
        let l = layer::<B>(cfg, &device, 7);
        let p = params(&l);
        let s_in = 2f64.powi(-10);
        let xq: Vec<f64> = x.iter().map(|v| (v / s_in).round_ties_even() * s_in).collect();
        let want = bn_ref(&linear_ref(&xq, &p.w, &p.b, d_in, d_out), &p.mean, &p.var, &p.gamma, &p.beta);
        let got = host(l.forward(tensor(xq.clone(), [n, d_in], &device), s_in as f32));
        let qmax = f64::from((1u32 << (bits - 1)) - 1);
        let reach: Vec<f64> = (0..d_out)
            .map(|j| {
                let f = p.gamma[j] / (p.var[j] + EPS).sqrt();
                (0..d_in).map(|k| (p.w[k * d_out + j] * f).abs()).fold(0.0, f64::max)
            })
            .collect();
        let scales: Vec<f64> = match granularity {
            Granularity::PerChannel => reach.iter().map(|r| r / qmax).collect(),
            Granularity::PerTensor => vec![reach.iter().copied().fold(0.0, f64::max) / qmax; d_out],
        };
        let code_scales = l.weight_scales();
        for (a, b) in code_scales.iter().zip(&scales) {
            assert!((f64::from(*a) - b).abs() <= 1e-6 * b, "scale {a} vs {b}");
        }
        let mut worst = 0.0f64;
        for i in 0..n {
            for j in 0..d_out {
                let bound =
                    (0..d_in).map(|k| xq[i * d_in + k].abs()).sum::<f64>() * scales[j] / 2.0 + scales[j] * s_in / 2.0;
                let e = (got[i * d_out + j] - want[i * d_out + j]).abs();
                assert!(e <= bound * 1.001 + 1e-9, "sample {i} channel {j}: |diff| {e} > bound {bound}");
                worst = worst.max(e / bound);
            }
        }
        println!("{bits}-bit {granularity:?}: worst |diff| / quantization bound {worst:.3}");
        // And it is really quantized: different from the float reference somewhere.
        assert!(max_abs_diff(&got, &want) > 0.0);
    }
}

#[test]
fn training_uses_batch_statistics_and_updates_running_ones_with_momentum() {
    let device = Default::default();
    let (d_in, d_out, n) = (4, 3, 16);
    let cfg = QuantBnLinearConfig {
        linear: QuantLinearConfig { enabled: false, ..QuantLinearConfig::new(d_in, d_out) },
        momentum: 0.8,
        ..QuantBnLinearConfig::new(d_in, d_out)
    };
    let l = layer::<Ad>(cfg, &device, 3);
    let p = params(&l);
    let (mut mean, mut var) = (p.mean.clone(), p.var.clone());
    let mut rng = SplitMix64::new(2);
    for step in 0..3 {
        let x = random(n * d_in, -1.0 + step as f64, 2.0, &mut rng);
        let y = linear_ref(&x, &p.w, &p.b, d_in, d_out);
        let (bm, bv) = moments(&y, d_out);
        // Training output: batch norm with the batch's mean and biased variance.
        let want = bn_ref(&y, &bm, &bv, &p.gamma, &p.beta);
        let got = host(l.forward(tensor(x.clone(), [n, d_in], &device), 1.0));
        let err = max_abs_diff(&got, &want);
        assert!(err < 1e-11, "step {step}: {err}");
        // Running statistics: m · old + (1 − m) · batch, unbiased variance.
        for j in 0..d_out {
            mean[j] = 0.8 * mean[j] + 0.2 * bm[j];
            var[j] = 0.8 * var[j] + 0.2 * bv[j] * n as f64 / (n as f64 - 1.0);
        }
        let (rm, rv) = (host(l.bn.running_mean.value_sync()), host(l.bn.running_var.value_sync()));
        assert!(max_abs_diff(&rm, &mean) < 1e-13 && max_abs_diff(&rv, &var) < 1e-13, "step {step}");
    }
    // Eval (no autodiff) and frozen (with autodiff) fold with the running statistics and leave
    // them alone.
    let x = random(n * d_in, -1.0, 1.0, &mut rng);
    let want = bn_ref(&linear_ref(&x, &p.w, &p.b, d_in, d_out), &mean, &var, &p.gamma, &p.beta);
    let eval = l.valid();
    assert!(max_abs_diff(&host(eval.forward(tensor(x.clone(), [n, d_in], &device), 1.0)), &want) < 1e-12);
    let frozen = l.clone().freeze();
    assert!(max_abs_diff(&host(frozen.forward(tensor(x.clone(), [n, d_in], &device), 1.0)), &want) < 1e-12);
    assert!(max_abs_diff(&host(l.bn.running_mean.value_sync()), &mean) < 1e-13);
    assert!(max_abs_diff(&host(l.bn.running_var.value_sync()), &var) < 1e-13);
}

#[test]
fn quantized_training_passes_gradients_to_weight_gamma_and_beta() {
    let device = Default::default();
    let l = layer::<Ad>(QuantBnLinearConfig::new(4, 3), &device, 5);
    let mut rng = SplitMix64::new(9);
    let x = tensor::<Ad, 2>(random(32, -1.0, 1.0, &mut rng), [8, 4], &device);
    let c = tensor::<Ad, 2>(random(24, -1.0, 1.0, &mut rng), [8, 3], &device);
    let g = (l.forward(x, 1.0 / 1024.0) * c).sum().backward();
    for (name, grad) in [
        ("weight", l.linear.weight.grad(&g).map(host)),
        ("gamma", l.bn.gamma.grad(&g).map(host)),
        ("beta", l.bn.beta.grad(&g).map(host)),
    ] {
        let grad = grad.unwrap_or_else(|| panic!("no gradient for {name}"));
        assert!(grad.iter().all(|v| v.is_finite()) && grad.iter().any(|v| *v != 0.0), "{name}: {grad:?}");
    }
}

/// `Σ c ⊙ y³` of the layer's output: smooth, with a non-trivial Hessian.
fn smooth_loss<Bk: Backend>(y: Tensor<Bk, 2>, c: Tensor<Bk, 2>) -> Tensor<Bk, 1> {
    (y.clone() * y.clone() * y * c).sum()
}

#[test]
fn nested_autodiff_hvp_through_the_fold_matches_central_differences() {
    let device = Default::default();
    let (d_in, d_out, n) = (4, 3, 10);
    let mut rng = SplitMix64::new(4);
    let xv = random(n * d_in, -1.0, 1.0, &mut rng);
    let cv = random(n * d_out, -1.0, 1.0, &mut rng);
    let v = random(d_in * d_out, -1.0, 1.0, &mut rng);
    for frozen in [false, true] {
        let cfg = QuantBnLinearConfig {
            linear: QuantLinearConfig { enabled: false, ..QuantLinearConfig::new(d_in, d_out) },
            ..QuantBnLinearConfig::new(d_in, d_out)
        };
        let base = layer::<Ad>(cfg, &device, 8);
        let base = if frozen { base.freeze() } else { base };
        let w0 = host(base.linear.weight.val());

        // Gradient with respect to W at W0 + t·v, single level.
        let grad_at = |t: f64| -> Vec<f64> {
            let mut l = base.clone().freeze();
            l.bn.frozen = frozen;
            let w: Vec<f64> = w0.iter().zip(&v).map(|(a, b)| a + t * b).collect();
            l.linear.weight = Param::from_tensor(tensor(w, [d_in, d_out], &device));
            let loss = smooth_loss(
                l.forward(tensor(xv.clone(), [n, d_in], &device), 1.0),
                tensor(cv.clone(), [n, d_out], &device),
            );
            host(l.linear.weight.grad(&loss.backward()).unwrap())
        };
        let eps = 1e-5;
        let (gp, gm) = (grad_at(eps), grad_at(-eps));
        let fd: Vec<f64> = gp.iter().zip(&gm).map(|(a, b)| (a - b) / (2.0 * eps)).collect();

        // H·v by double backward: lift to Autodiff<Autodiff<_>>.
        let outer = QuantBnLinear::<Ad2>::from_inner(base.clone());
        let loss = smooth_loss(
            outer.forward(tensor(xv.clone(), [n, d_in], &device), 1.0),
            tensor(cv.clone(), [n, d_out], &device),
        );
        let g = outer.linear.weight.grad(&loss.backward()).unwrap();
        let s = (g * tensor::<Ad, 2>(v.clone(), [d_in, d_out], &device)).sum();
        let hv = host(outer.linear.weight.val().inner().grad(&s.backward()).unwrap());

        let num: f64 = hv.iter().zip(&fd).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
        let den: f64 = fd.iter().map(|b| b * b).sum::<f64>().sqrt();
        println!("frozen={frozen}: relative error of H·v vs central differences {:.3e}", num / den);
        assert!(den > 0.0 && num / den < 1e-6, "{}", num / den);
    }
    // The quantized layer runs under nested autodiff too (straight-through weights).
    let outer = QuantBnLinear::<Ad2>::from_inner(layer::<Ad>(QuantBnLinearConfig::new(d_in, d_out), &device, 8));
    let loss = smooth_loss(
        outer.forward(tensor(xv.clone(), [n, d_in], &device), 1.0 / 256.0),
        tensor(cv.clone(), [n, d_out], &device),
    );
    let g = outer.linear.weight.grad(&loss.backward()).unwrap();
    let s = (g * tensor::<Ad, 2>(v.clone(), [d_in, d_out], &device)).sum();
    let hv = host(outer.linear.weight.val().inner().grad(&s.backward()).unwrap());
    assert!(hv.iter().all(|x| x.is_finite()) && hv.iter().any(|x| *x != 0.0));
}

#[test]
fn batch_norm_flags_are_validated() {
    let e = QuantConfig::uniform(&[4, 8, 3], 8).with_batch_norm(&[true]).validate().unwrap_err();
    assert!(matches!(e, Error::Config { .. }), "{e}");
    let e = QuantConfig::uniform(&[4, 8, 3], 8).with_batch_norm_hidden().with_bn_settings(1.0, 1e-5).validate();
    assert!(matches!(e, Err(Error::Config { .. })));
    let e = QuantConfig::uniform(&[4, 8, 3], 8).with_batch_norm_hidden().with_bn_settings(0.9, 0.0).validate();
    assert!(matches!(e, Err(Error::Config { .. })));
    let c = QuantConfig::uniform(&[4, 8, 3], 8).with_batch_norm_hidden();
    assert_eq!(c.batch_norm, vec![true, false]);
    let m = c.init::<B>(&Default::default(), 0).unwrap();
    assert!(m.batch_norm(0).is_some() && m.batch_norm(1).is_none());
    // The JSON of a configuration written before batch norm existed still reads (no flags).
    let mut json: serde_json::Value =
        serde_json::from_str(&QuantConfig::uniform(&[4, 8, 3], 8).to_json().unwrap()).unwrap();
    for key in ["batch_norm", "bn_momentum", "bn_epsilon", "act_percentile"] {
        json.as_object_mut().unwrap().remove(key);
    }
    let old = QuantConfig::from_json(&json.to_string()).unwrap();
    assert_eq!(old, QuantConfig::uniform(&[4, 8, 3], 8));
}

fn train_accuracy(config: QuantConfig) -> (f64, QuantMlp<B>) {
    let (train_set, test_set) = common::blobs();
    let model = config.init::<Ad>(&Default::default(), 42).unwrap();
    let tc = common::blob_training();
    let model = train(model, &train_set, None, &tc, &mut |_| {}).unwrap().model.valid().freeze();
    (evaluate(&model, &test_set, 1000).unwrap().accuracy, model)
}

#[test]
fn qat_with_batch_norm_trains() {
    let widths = [16, 32, 5];
    let (float_acc, _) = train_accuracy(QuantConfig::float(&widths).with_batch_norm_hidden());
    let (qat_acc, model) = train_accuracy(QuantConfig::uniform(&widths, 8).with_batch_norm_hidden());
    println!("accuracy with batch norm: float {float_acc:.4}, QAT 8-bit {qat_acc:.4}");
    assert!(float_acc > 0.6, "{float_acc}");
    assert!(qat_acc >= float_acc - 0.01, "QAT {qat_acc} vs float {float_acc}");
    // The running statistics moved away from their start (mean 0, variance 1), and the eval
    // model folds them.
    let bn = model.batch_norm(0).unwrap();
    let (mean, var) = bn.running_statistics_host();
    assert!(mean.iter().any(|m| m.abs() > 1e-3) && var.iter().any(|v| (v - 1.0).abs() > 1e-3));
    let (w, _) = model.effective_weights_host(0);
    assert_ne!(w, model.layers[0].weight_host());
}

/// A jet tagger with batch norm on its hidden layers, trained (float64) for one epoch on half of
/// the test set, then frozen.
fn trained_jets(mode: ScaleMode, test: &Dataset) -> QuantMlp<B> {
    let config = QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).with_scale_mode(mode).with_batch_norm_hidden();
    let model = config.init::<Ad>(&Default::default(), 3).unwrap();
    let (part, _) = test.split(0.5, 9);
    let tc = TrainConfig { epochs: 1, batch_size: 256, learning_rate: 3e-3, ..Default::default() };
    train(model, &part, None, &tc, &mut |_| {}).unwrap().model.valid().freeze()
}

fn jets_tensor(d: &Dataset) -> Tensor<B, 2> {
    let v: Vec<f64> = d.features.iter().map(|&x| f64::from(x)).collect();
    tensor(v, [d.len(), d.n_features], &Default::default())
}

#[test]
fn integer_engine_equals_eval_model_with_batch_norm() {
    let test = common::jets_test_standardised();
    for mode in [ScaleMode::PowerOfTwo, ScaleMode::Dyadic] {
        let model = trained_jets(mode, &test);
        let int = model.to_integer().unwrap();
        // The engine's weights are the folded ones, not the raw linear weights (per channel a
        // positive fold factor leaves the integers alone but changes the scales and the bias).
        let raw = model.layers[0].quantized(int.input_scale);
        assert_ne!(int.layers[0].weight_scales, raw.weight_scales);
        assert_ne!(int.layers[0].bias, raw.bias.values);
        let engine = int.forward_trace(&int.quantize_input(&test.features).unwrap()).unwrap();
        let burn = model.forward_integer(jets_tensor(&test)).unwrap();
        let (equal, total) = common::equal_activations(&engine, burn.activations);
        println!("{mode:?} with batch norm: {equal} of {total} activations equal over {} jets", test.len());
        assert_eq!(equal, total);
        if mode == ScaleMode::PowerOfTwo {
            // The straight-through QAT graph itself (frozen: folded with running statistics).
            let fq = host(model.forward_fake_quant(jets_tensor(&test), false));
            let s = f64::from(int.output_scale());
            let last = engine.last().unwrap();
            let same = fq.iter().zip(last).filter(|(a, q)| **a == **q as f64 * s).count();
            println!("PowerOfTwo with batch norm: fake-quant graph equals engine on {same} of {}", fq.len());
            assert_eq!(same, fq.len());
            let model_onnx = export_qonnx(&int, &ExportOptions::default()).unwrap();
            let (equal, total) = compare_export(&model_onnx, &int, &test);
            println!("export with batch norm: {equal} of {total} activations equal");
            assert_eq!(equal, total);
        }
    }
}

/// (equal, total) over every activation `Quant` of the exported graph against the engine (as in
/// `tests/export.rs`).
fn compare_export(model: &qonnx_ir::Model, int: &IntegerMlp, test: &Dataset) -> (usize, usize) {
    use qonnx_ir::exec::{ExecOptions, execute};
    let x = qonnx_ir::Tensor::from_f32(&[test.len(), test.n_features], test.features.clone()).unwrap();
    let out =
        execute(model, &[(INPUT, x)], &ExecOptions { exact: true, keep_intermediates: true, any_batch: true }).unwrap();
    let engine = int.forward_trace(&int.quantize_input(&test.features).unwrap()).unwrap();
    let g = &model.graph;
    let producer = |t: &str| g.nodes.iter().find(|m| m.outputs.iter().any(|o| o == t));
    let is_activation = |t: &str| t == INPUT || producer(t).is_some_and(|m| m.op_type == "Relu" || m.op_type == "Add");
    let stages: Vec<String> = g
        .nodes
        .iter()
        .filter(|n| n.op_type == "Quant" && is_activation(&n.inputs[0]))
        .map(|n| n.outputs[0].clone())
        .collect();
    assert_eq!(stages.len(), engine.len());
    let mut scales = vec![int.input_scale];
    scales.extend(int.layers.iter().map(|l| l.output_scale));
    let (mut equal, mut total) = (0, 0);
    for ((name, e), s) in stages.iter().zip(&engine).zip(scales) {
        let t = out.intermediates.get(name).or_else(|| out.output(name)).unwrap().to_f32();
        for (v, q) in t.iter().zip(e) {
            total += 1;
            if (f64::from(*v) / f64::from(s)).round_ties_even() == *q as f64 {
                equal += 1;
            }
        }
    }
    (equal, total)
}

#[test]
fn save_and_load_keep_batch_norm_state() {
    let device = Default::default();
    let (train_set, _) = common::blobs();
    let config = QuantConfig::uniform(&[16, 12, 5], 6).with_batch_norm(&[true, true]);
    let model = config.init::<Ad>(&device, 1).unwrap();
    let tc = TrainConfig { epochs: 1, batch_size: 128, ..Default::default() };
    let model = train(model, &train_set, None, &tc, &mut |_| {}).unwrap().model.valid().freeze();
    let dir = std::env::temp_dir().join(format!("hawq-core-bn-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model");
    hawq_core::record::save(&model, &path).unwrap();
    let loaded: QuantMlp<B> = hawq_core::record::load(&path, &device).unwrap();
    assert_eq!(
        loaded.batch_norm(1).unwrap().running_statistics_host(),
        model.batch_norm(1).unwrap().running_statistics_host()
    );
    assert_eq!(loaded.to_integer().unwrap(), model.to_integer().unwrap());
    std::fs::remove_dir_all(&dir).ok();
}
