//! Hessian-vector products, Hutchinson traces, power iteration and the sensitivity table, in
//! float64 (the only precision this test binary uses: burn 0.21 fixes the float type per device
//! for the whole process).

use burn::backend::Autodiff;
use burn::module::Param;
use burn::prelude::*;
use hawq_core::backend::Cpu64;
use hawq_core::hessian::{
    EigenConfig, HessianData, Hvp, Loss, SensitivityOptions, TraceConfig, hutchinson_trace, sensitivity_table,
    top_eigenvalues,
};
use hawq_core::rng::SplitMix64;
use hawq_core::{Dataset, Error, HiddenActivation, QuantConfig, QuantMlp};

type B = Cpu64;
type Ad = Autodiff<Cpu64>;

fn host<Bk: Backend, const D: usize>(t: Tensor<Bk, D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

fn rel_err(a: &[f64], b: &[f64]) -> f64 {
    let num: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt();
    let den: f64 = b.iter().map(|y| y * y).sum::<f64>().sqrt();
    num / den
}

fn random_vec(n: usize, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64::new(seed);
    (0..n).map(|_| rng.normal()).collect()
}

/// The full Hessian, column by column from basis products.
fn full_hessian(hvp: &Hvp<B>, data: &HessianData<B>) -> Vec<Vec<f64>> {
    let p = hvp.num_params();
    (0..p)
        .map(|q| {
            let mut e = vec![0.0; p];
            e[q] = 1.0;
            hvp.hvp_flat(data, &e).unwrap()
        })
        .collect()
}

#[test]
fn tanh_hvp_matches_central_differences_of_the_gradient() {
    let device = Default::default();
    let config = QuantConfig::float(&[5, 7, 6, 3]).with_hidden_activation(HiddenActivation::Tanh);
    let model = config.init::<Ad>(&device, 3).unwrap();
    let data = Dataset::synthetic_blobs(96, 5, 3, 1.0, 4).unwrap();
    let batches = HessianData::<B>::new(&data, 40, &device).unwrap();
    for (loss, bias) in [(Loss::CrossEntropy, true), (Loss::HalfSquaredError, false)] {
        let hvp = Hvp::<B>::new(model.clone()).with_loss(loss).with_bias(bias);
        let v = random_vec(hvp.num_params(), 11);
        let hv = hvp.hvp_flat(&batches, &v).unwrap();
        let eps = 1e-5;
        let plus: Vec<f64> = v.iter().map(|x| x * eps).collect();
        let minus: Vec<f64> = v.iter().map(|x| -x * eps).collect();
        let gp = hvp.perturbed(&plus).unwrap().gradient_flat(&batches).unwrap();
        let gm = hvp.perturbed(&minus).unwrap().gradient_flat(&batches).unwrap();
        let fd: Vec<f64> = gp.iter().zip(&gm).map(|(a, b)| (a - b) / (2.0 * eps)).collect();
        let err = rel_err(&hv, &fd);
        println!("tanh MLP {loss:?} bias={bias}: relative error of H·v vs central differences {err:.3e}");
        assert!(err < 1e-4, "{err}");
    }
}

/// The exact Hessian of a 1-hidden-layer ReLU net `f = relu(x W1 + b1) W2 + b2` for its fixed
/// activation pattern: `H = mean_i [J_iᵀ G_i J_i + Σ_c r_ic ∇²f_ic]`, where `G` and `r` are the
/// loss's Hessian and gradient with respect to the outputs, and the only second derivatives of
/// `f_c` are `∂²f_c / ∂W1_pj ∂W2_jc = D_j x_p` and `∂²f_c / ∂b1_j ∂W2_jc = D_j`.
#[allow(clippy::too_many_arguments)]
fn relu_closed_form(
    w1: &[f64],
    b1: &[f64],
    w2: &[f64],
    b2: &[f64],
    data: &Dataset,
    loss: Loss,
    d: usize,
    m: usize,
    k: usize,
) -> Vec<Vec<f64>> {
    let p = d * m + m + m * k + k;
    let iw1 = |pp: usize, j: usize| pp * m + j;
    let ib1 = |j: usize| d * m + j;
    let iw2 = |j: usize, c: usize| d * m + m + j * k + c;
    let ib2 = |c: usize| d * m + m + m * k + c;
    let mut h = vec![vec![0.0; p]; p];
    let n = data.len();
    for i in 0..n {
        let x: Vec<f64> = data.features[i * d..(i + 1) * d].iter().map(|&v| f64::from(v)).collect();
        let pre: Vec<f64> = (0..m).map(|j| b1[j] + (0..d).map(|q| x[q] * w1[q * m + j]).sum::<f64>()).collect();
        assert!(pre.iter().all(|v| v.abs() > 1e-6), "too close to a kink");
        let mask: Vec<f64> = pre.iter().map(|&v| if v > 0.0 { 1.0 } else { 0.0 }).collect();
        let a: Vec<f64> = pre.iter().zip(&mask).map(|(v, dm)| v * dm).collect();
        let f: Vec<f64> = (0..k).map(|c| b2[c] + (0..m).map(|j| a[j] * w2[j * k + c]).sum::<f64>()).collect();
        let t: Vec<f64> = (0..k).map(|c| if c == data.labels[i] { 1.0 } else { 0.0 }).collect();
        let (g, r): (Vec<Vec<f64>>, Vec<f64>) = match loss {
            Loss::HalfSquaredError => (
                (0..k).map(|c| (0..k).map(|e| if c == e { 1.0 } else { 0.0 }).collect()).collect(),
                (0..k).map(|c| f[c] - t[c]).collect(),
            ),
            Loss::CrossEntropy => {
                let mx = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let z: f64 = f.iter().map(|v| (v - mx).exp()).sum();
                let pr: Vec<f64> = f.iter().map(|v| (v - mx).exp() / z).collect();
                (
                    (0..k)
                        .map(|c| (0..k).map(|e| if c == e { pr[c] } else { 0.0 } - pr[c] * pr[e]).collect())
                        .collect(),
                    (0..k).map(|c| pr[c] - t[c]).collect(),
                )
            }
        };
        let mut jac = vec![vec![0.0; p]; k];
        for c in 0..k {
            for j in 0..m {
                for q in 0..d {
                    jac[c][iw1(q, j)] = mask[j] * x[q] * w2[j * k + c];
                }
                jac[c][ib1(j)] = mask[j] * w2[j * k + c];
                jac[c][iw2(j, c)] = a[j];
            }
            jac[c][ib2(c)] = 1.0;
        }
        for u in 0..p {
            for w in 0..p {
                let mut s = 0.0;
                for c in 0..k {
                    for e in 0..k {
                        s += jac[c][u] * g[c][e] * jac[e][w];
                    }
                }
                h[u][w] += s / n as f64;
            }
        }
        for c in 0..k {
            for j in 0..m {
                for q in 0..d {
                    let v = r[c] * mask[j] * x[q] / n as f64;
                    h[iw1(q, j)][iw2(j, c)] += v;
                    h[iw2(j, c)][iw1(q, j)] += v;
                }
                let v = r[c] * mask[j] / n as f64;
                h[ib1(j)][iw2(j, c)] += v;
                h[iw2(j, c)][ib1(j)] += v;
            }
        }
    }
    h
}

#[test]
fn relu_hessian_from_products_equals_the_closed_form() {
    let device = Default::default();
    let (d, m, k) = (3, 4, 2);
    let model = QuantConfig::float(&[d, m, k]).init::<Ad>(&device, 5).unwrap();
    let data = Dataset::synthetic_blobs(24, d, k, 1.0, 6).unwrap();
    let batches = HessianData::<B>::new(&data, 10, &device).unwrap();
    let l0 = &model.layers[0];
    let l1 = &model.layers[1];
    let (w1, b1) = (host(l0.weight.val().inner()), host(l0.bias.val().inner()));
    let (w2, b2) = (host(l1.weight.val().inner()), host(l1.bias.val().inner()));
    for loss in [Loss::HalfSquaredError, Loss::CrossEntropy] {
        let hvp = Hvp::<B>::new(model.clone()).with_loss(loss).with_bias(true);
        assert_eq!(hvp.num_params(), d * m + m + m * k + k);
        let cols = full_hessian(&hvp, &batches);
        let exact = relu_closed_form(&w1, &b1, &w2, &b2, &data, loss, d, m, k);
        let got: Vec<f64> = (0..cols.len()).flat_map(|r| cols.iter().map(move |c| c[r])).collect();
        let want: Vec<f64> = exact.iter().flatten().copied().collect();
        let err = rel_err(&got, &want);
        let asym = (0..cols.len())
            .flat_map(|a| (0..cols.len()).map(move |b| (a, b)))
            .map(|(a, b)| (cols[a][b] - cols[b][a]).abs())
            .fold(0.0, f64::max);
        println!("ReLU 3-4-2 {loss:?}: relative error vs closed-form Hessian {err:.3e}, max asymmetry {asym:.1e}");
        assert!(err < 1e-4, "{err}");
    }
}

/// Least squares with a linear model: `H = I_k ⊗ XᵀX / n`, so `Tr(H) = k · Σ_i ‖x_i‖² / n`.
fn least_squares() -> (Hvp<B>, HessianData<B>, f64) {
    let device = Default::default();
    let (d, k, n) = (4, 3, 64);
    let data = Dataset::synthetic_blobs(n, d, k, 1.0, 9).unwrap();
    let model = QuantConfig::float(&[d, k]).init::<Ad>(&device, 8).unwrap();
    let hvp = Hvp::<B>::new(model).with_loss(Loss::HalfSquaredError);
    let batches = HessianData::<B>::new(&data, n, &device).unwrap();
    let exact = k as f64 * data.features.iter().map(|&v| f64::from(v).powi(2)).sum::<f64>() / n as f64;
    (hvp, batches, exact)
}

#[test]
fn least_squares_products_and_trace_are_exact() {
    let (hvp, batches, exact) = least_squares();
    let cols = full_hessian(&hvp, &batches);
    let diag: f64 = (0..cols.len()).map(|i| cols[i][i]).sum();
    assert!((diag - exact).abs() < 1e-10 * exact, "{diag} vs {exact}");
    let config = TraceConfig { max_iter: 200, tol: 0.0, seed: 1, ..TraceConfig::default() };
    let mut reports = 0;
    let r = hutchinson_trace(&hvp, &batches, &config, &mut |_| reports += 1).unwrap();
    let t = &r.layers[0];
    println!(
        "least squares: exact trace {exact:.4}, estimate {:.4} ± {:.4} ({} samples)",
        t.mean, t.std_err, t.samples
    );
    assert_eq!((reports, t.samples, r.iterations), (200, 200, 200));
    assert!((t.mean - exact).abs() < 3.0 * t.std_err, "{} vs {exact} ± {}", t.mean, t.std_err);
    assert!(t.std_err > 0.0 && t.std_err < 0.2 * exact);
}

#[test]
fn least_squares_trace_error_shrinks_as_one_over_sqrt_samples() {
    let (hvp, batches, exact) = least_squares();
    let rms = |samples: usize, base: u64| {
        let mut within = 0;
        let mut sq = 0.0;
        let seeds = 24;
        for s in 0..seeds {
            let config = TraceConfig { max_iter: samples, tol: 0.0, seed: base + s, ..TraceConfig::default() };
            let t = hutchinson_trace(&hvp, &batches, &config, &mut |_| {}).unwrap().layers[0].clone();
            sq += (t.mean - exact).powi(2);
            within += usize::from((t.mean - exact).abs() < 3.0 * t.std_err);
        }
        ((sq / seeds as f64).sqrt(), within)
    };
    let (e16, w16) = rms(16, 100);
    let (e64, w64) = rms(64, 1000);
    println!(
        "least squares: RMS error {e16:.4} with 16 samples, {e64:.4} with 64 (ratio {:.2}, ideal 2); within 3 SE: {w16}/24, {w64}/24",
        e16 / e64
    );
    assert!((1.4..3.0).contains(&(e16 / e64)), "{e16} / {e64}");
    assert!(w16 >= 21 && w64 >= 22, "{w16} {w64}");
}

#[test]
fn power_iteration_finds_the_top_eigenvalue_of_a_block() {
    let (hvp, batches, _) = least_squares();
    // The block is I_3 ⊗ XᵀX/n: its top eigenvalue is that of the 4×4 XᵀX/n.
    let cols = full_hessian(&hvp, &batches);
    let a: Vec<Vec<f64>> = (0..4).map(|p| (0..4).map(|q| cols[p * 3][q * 3]).collect()).collect();
    // Reference: power iteration in plain f64 with many steps.
    let mut v = vec![1.0, 0.3, -0.2, 0.5];
    let mut lambda = 0.0;
    for _ in 0..5000 {
        let w: Vec<f64> = (0..4).map(|p| (0..4).map(|q| a[p][q] * v[q]).sum()).collect();
        let norm = w.iter().map(|x| x * x).sum::<f64>().sqrt();
        lambda = (0..4).map(|p| v[p] * w[p]).sum::<f64>();
        v = w.iter().map(|x| x / norm).collect();
    }
    let config = EigenConfig { max_iter: 200, tol: 1e-10, seed: 3, layers: None };
    let r = top_eigenvalues(&hvp, &batches, &config, &mut |_| {}).unwrap();
    println!(
        "least squares block: top eigenvalue {:.6} (reference {lambda:.6}), {} steps",
        r[0].eigenvalue, r[0].iterations
    );
    assert!(r[0].converged);
    assert!((r[0].eigenvalue - lambda).abs() < 1e-6 * lambda);
}

#[test]
fn per_layer_traces_of_a_relu_mlp_match_exact_block_traces() {
    let device = Default::default();
    let model = QuantConfig::float(&[4, 6, 5, 3]).init::<Ad>(&device, 21).unwrap();
    let data = Dataset::synthetic_blobs(48, 4, 3, 1.0, 22).unwrap();
    let batches = HessianData::<B>::new(&data, 48, &device).unwrap();
    let hvp = Hvp::<B>::new(model);
    let cols = full_hessian(&hvp, &batches);
    let config = TraceConfig { max_iter: 300, tol: 0.0, seed: 5, ..TraceConfig::default() };
    let r = hutchinson_trace(&hvp, &batches, &config, &mut |_| {}).unwrap();
    let mut off = 0;
    for t in &r.layers {
        let exact: f64 = (off..off + t.params).map(|i| cols[i][i]).sum();
        off += t.params;
        println!("{}: exact trace {exact:.5}, estimate {:.5} ± {:.5}", t.name, t.mean, t.std_err);
        assert!((t.mean - exact).abs() < 3.0 * t.std_err + 1e-12, "{} vs {exact}", t.mean);
    }
}

#[test]
fn non_finite_losses_stop_with_the_iteration_named() {
    let device = Default::default();
    let model = QuantConfig::float(&[2, 2]).init::<Ad>(&device, 1).unwrap();
    // Batch 0 has zero features (loss finite), batch 1 ones: with a weight of 1e200 its squared
    // error overflows to infinity at the second probe.
    let data = Dataset::new("two batches", vec![0.0, 0.0, 1.0, 1.0], vec![0, 1], 2, 2).unwrap();
    let batches = HessianData::<B>::new(&data, 1, &device).unwrap();
    let hvp = Hvp::<B>::new(model).with_loss(Loss::HalfSquaredError);
    let huge = hvp.perturbed(&[1e200, 0.0, 0.0, 0.0]).unwrap();
    let config = TraceConfig { max_iter: 5, tol: 0.0, batches_per_probe: 1, ..TraceConfig::default() };
    match hutchinson_trace(&huge, &batches, &config, &mut |_| {}) {
        Err(Error::HessianNonFinite { quantity, iteration, value, .. }) => {
            assert_eq!((quantity.as_str(), iteration), ("loss", 1));
            assert!(value.is_infinite());
        }
        other => panic!("{other:?}"),
    }
    // A NaN weight poisons every batch (0 · NaN = NaN): the first probe stops.
    let nan = hvp.perturbed(&[f64::NAN, 0.0, 0.0, 0.0]).unwrap();
    let err = hutchinson_trace(&nan, &batches, &config, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::HessianNonFinite { iteration: 0, .. }), "{err}");
    let err = top_eigenvalues(&nan, &batches, &EigenConfig::default(), &mut |_| {}).unwrap_err();
    println!("{err}");
    assert!(matches!(err, Error::HessianNonFinite { iteration: 0, .. }), "{err}");
}

#[test]
fn gradient_and_product_in_one_pass_equal_the_separate_ones() {
    let device = Default::default();
    let model = QuantConfig::float(&[5, 7, 6, 3]).init::<Ad>(&device, 13).unwrap();
    let data = Dataset::synthetic_blobs(90, 5, 3, 1.0, 14).unwrap();
    let batches = HessianData::<B>::new(&data, 40, &device).unwrap();
    for bias in [false, true] {
        let hvp = Hvp::<B>::new(model.clone()).with_bias(bias);
        let mut rng = SplitMix64::new(2);
        let v: Vec<_> = (0..hvp.num_layers()).map(|l| hvp.rademacher(l, &mut rng)).collect();
        let (loss, grad, hv) = hvp.gradient_and_hvp(&batches, &v).unwrap();
        let (loss1, grad1) = hvp.gradient(&batches).unwrap();
        let hv1 = hvp.hvp(&batches, &v).unwrap();
        let flat = |b: &[hawq_core::hessian::LayerBlock<B>]| b.iter().flat_map(|x| x.to_f64()).collect::<Vec<f64>>();
        assert_eq!(flat(&grad).len(), hvp.num_params());
        assert!((loss - loss1).abs() <= 1e-15 * loss1.abs(), "{loss} {loss1}");
        assert_eq!(flat(&grad), flat(&grad1), "bias={bias}");
        assert_eq!(flat(&hv), flat(&hv1), "bias={bias}");
    }
}

/// Sets layer `l`'s weight (row-major `[d_in, d_out]`, every entry `w`, or per output column
/// `cols`) and a zero bias.
fn set_layer(model: &mut QuantMlp<Ad>, l: usize, cols: &[f64]) {
    let device = Default::default();
    let layer = &mut model.layers[l];
    let (i, o) = (layer.config.d_input, layer.config.d_output);
    let w: Vec<f64> = (0..i * o).map(|k| cols[k % o]).collect();
    layer.weight = Param::initialized(
        layer.weight.id,
        Tensor::<Ad, 2>::from_data(TensorData::new(w, [i, o]), &device).require_grad(),
    );
    layer.bias = Param::initialized(layer.bias.id, Tensor::<Ad, 1>::zeros([o], &device).require_grad());
}

/// A 2-2-3 ReLU net `f = relu(x W1) W2` with every `W1` entry `w1` and `W2`'s columns
/// `(w2, −w2, 0)`, on two batches of four samples: batch 0 all zeros (every product zero),
/// batch 1 all `(x, x)` with label 1. Logits on batch 1: `±4 x w1 w2`, 0.
fn overflow_case(w1: f64, w2: f64, x: f32) -> (Hvp<B>, HessianData<B>) {
    let device = Default::default();
    let mut model = QuantConfig::float(&[2, 2, 3]).init::<Ad>(&device, 1).unwrap();
    set_layer(&mut model, 0, &[w1, w1]);
    set_layer(&mut model, 1, &[w2, -w2, 0.0]);
    let features = [vec![0.0f32; 8], vec![x; 8]].concat();
    let data = Dataset::new("overflow", features, vec![0, 2, 1, 1, 1, 1, 1, 1], 2, 3).unwrap();
    (Hvp::<B>::new(model), HessianData::<B>::new(&data, 4, &device).unwrap())
}

#[test]
fn a_gradient_that_overflows_with_a_finite_loss_stops_naming_layer_and_probe() {
    // x = 1e10, W1 = 1e-308, W2 = ±1e299: logits ±40 (the loss is finite, about 80), but
    // ∂L/∂W1 = Σ_i x_i (∂L/∂h_i) ≈ 1e10 · 2e299 overflows; ∂L/∂W2 = hᵀ ∂L/∂f ≈ 2e-298 does not.
    let (hvp, data) = overflow_case(1e-308, 1e299, 1e10);
    let loss = hvp.loss_value(&data).unwrap();
    assert!(loss.is_finite() && loss > 10.0, "{loss}");
    let (_, grad) = hvp.gradient(&data).unwrap();
    let (g0, g1) = (grad[0].to_f64(), grad[1].to_f64());
    assert!(g0.iter().all(|g| g.is_infinite()), "{g0:?}");
    assert!(g1.iter().all(|g| g.is_finite()), "{g1:?}");
    let config = assert_layer0_stops(&hvp, &data, "gradient");
    // Layer 1 alone: its gradient is finite and so is its block of the Hessian.
    let only1 = TraceConfig { layers: Some(vec![1]), ..config };
    let r = hutchinson_trace(&hvp, &data, &only1, &mut |_| {}).unwrap();
    assert!(r.layers[0].mean.is_finite());
}

/// Runs the trace (one batch per probe: probe 0 takes the zero batch, probe 1 the overflowing
/// one) and the eigenvalues of an `overflow_case`, and checks that each stops with a non-finite
/// `quantity` in layer 0 (trace at probe 1 after one finished probe, eigenvalues at iteration 0).
/// Returns the trace configuration.
fn assert_layer0_stops(hvp: &Hvp<B>, data: &HessianData<B>, quantity: &str) -> TraceConfig {
    let config = TraceConfig { max_iter: 5, tol: 0.0, batches_per_probe: 1, ..TraceConfig::default() };
    let mut probes = 0;
    let err = hutchinson_trace(hvp, data, &config, &mut |_| probes += 1).unwrap_err();
    println!("{err}");
    match &err {
        Error::HessianNonFinite { quantity: q, layer, iteration, value } => {
            assert_eq!((q.as_str(), layer.as_str(), *iteration), (quantity, "layer0", 1));
            assert!(!value.is_finite());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(probes, 1);
    let err = top_eigenvalues(hvp, data, &EigenConfig::default(), &mut |_| {}).unwrap_err();
    assert!(
        matches!(&err, Error::HessianNonFinite { quantity: q, layer, iteration: 0, .. }
            if q == quantity && layer == "layer0"),
        "{err}"
    );
    config
}

#[test]
fn a_product_that_overflows_with_a_finite_gradient_stops_naming_layer_and_probe() {
    // x = 1, W1 = 5e-201, W2 = ±1e200: logits ±2, gradient ≈ 2e200 (finite), but the
    // layer-0 block of the Hessian is of order W2² ≈ 1e400: the product overflows there.
    let (hvp, data) = overflow_case(5e-201, 1e200, 1.0);
    let (_, grad) = hvp.gradient(&data).unwrap();
    assert!(grad.iter().flat_map(|g| g.to_f64()).all(f64::is_finite));
    assert_layer0_stops(&hvp, &data, "Hessian-vector product");
}

#[test]
fn a_layer_without_trainable_parameters_is_named() {
    let device = Default::default();
    let mut model = QuantConfig::float(&[2, 3, 3, 2]).init::<Ad>(&device, 1).unwrap();
    model.layers[1].weight = model.layers[1].weight.clone().set_require_grad(false);
    let data = Dataset::synthetic_blobs(8, 2, 2, 1.0, 1).unwrap();
    let batches = HessianData::<B>::new(&data, 8, &device).unwrap();
    let hvp = Hvp::<B>::new(model);
    let config = TraceConfig { max_iter: 3, ..TraceConfig::default() };
    let err = hutchinson_trace(&hvp, &batches, &config, &mut |_| {}).unwrap_err();
    assert!(matches!(&err, Error::NoParameters { layer, .. } if layer == "layer1"), "{err}");
    let err = top_eigenvalues(&hvp, &batches, &EigenConfig::default(), &mut |_| {}).unwrap_err();
    assert!(matches!(&err, Error::NoParameters { layer, .. } if layer == "layer1"), "{err}");
    assert!(matches!(hvp.gradient(&batches), Err(Error::NoParameters { .. })));
    // The other layers can still be estimated.
    let others = TraceConfig { layers: Some(vec![0, 2]), ..config };
    let r = hutchinson_trace(&hvp, &batches, &others, &mut |_| {}).unwrap();
    assert_eq!(r.layers.iter().map(|t| t.layer).collect::<Vec<_>>(), vec![0, 2]);
}

#[test]
fn each_layer_stops_on_its_own_relative_change() {
    let device = Default::default();
    let model = QuantConfig::float(&[4, 6, 5, 3]).init::<Ad>(&device, 21).unwrap();
    let data = Dataset::synthetic_blobs(48, 4, 3, 1.0, 22).unwrap();
    let batches = HessianData::<B>::new(&data, 48, &device).unwrap();
    let hvp = Hvp::<B>::new(model);
    let (tol, min_iter) = (1e-2, 5);
    let config = TraceConfig { max_iter: 2000, min_iter, tol, seed: 3, ..TraceConfig::default() };
    // Every layer's running mean after each of its probes.
    let mut means: Vec<Vec<f64>> = vec![Vec::new(); 3];
    let mut last = 0;
    let r = hutchinson_trace(&hvp, &batches, &config, &mut |p| {
        assert_eq!(p.iteration, last + 1);
        last = p.iteration;
        for (k, t) in p.layers.iter().enumerate() {
            if t.samples > means[k].len() {
                assert_eq!(t.samples, means[k].len() + 1);
                means[k].push(t.mean);
            }
        }
    })
    .unwrap();
    assert!(r.converged);
    let samples: Vec<usize> = r.layers.iter().map(|t| t.samples).collect();
    println!("per-layer stopping at tol {tol}: samples {samples:?}, {} products", r.iterations);
    assert_eq!(r.iterations, *samples.iter().max().unwrap());
    for (t, m) in r.layers.iter().zip(&means) {
        assert!(t.converged);
        assert_eq!((m.len(), *m.last().unwrap()), (t.samples, t.mean));
        let rel = |k: usize| (m[k] - m[k - 1]).abs() / (m[k - 1].abs() + 1e-6);
        // It stopped at the first probe (from min_iter on) whose relative change was below tol.
        assert!(t.samples >= min_iter && rel(t.samples - 1) < tol, "{}: {}", t.name, rel(t.samples - 1));
        for k in min_iter..t.samples {
            assert!(rel(k - 1) >= tol, "{} should have stopped after {k} probes", t.name);
        }
    }
}

#[test]
fn bad_inputs_give_typed_errors() {
    let device = Default::default();
    let model = QuantConfig::float(&[2, 3, 2]).init::<Ad>(&device, 1).unwrap();
    let data = Dataset::synthetic_blobs(8, 2, 2, 1.0, 1).unwrap();
    let batches = HessianData::<B>::new(&data, 4, &device).unwrap();
    let hvp = Hvp::<B>::new(model.clone());
    let empty = Dataset { features: vec![], labels: vec![], n_features: 2, n_classes: 2 };
    assert!(matches!(HessianData::<B>::new(&empty, 4, &device), Err(Error::EmptyDataset { .. })));
    assert!(matches!(HessianData::<B>::new(&data, 0, &device), Err(Error::InvalidSetting { .. })));
    let zero = TraceConfig { max_iter: 0, ..TraceConfig::default() };
    let err = hutchinson_trace(&hvp, &batches, &zero, &mut |_| {}).unwrap_err();
    assert!(matches!(err, Error::InvalidSetting { .. }), "{err}");
    let err = top_eigenvalues(&hvp, &batches, &EigenConfig { max_iter: 0, ..EigenConfig::default() }, &mut |_| {})
        .unwrap_err();
    assert!(matches!(err, Error::InvalidSetting { .. }), "{err}");
    let missing = TraceConfig { layers: Some(vec![7]), ..TraceConfig::default() };
    let err = hutchinson_trace(&hvp, &batches, &missing, &mut |_| {}).unwrap_err();
    assert!(matches!(&err, Error::NoParameters { layer, .. } if layer == "layer7"), "{err}");
    let frozen = Hvp::<B>::new(model.no_grad());
    let err = hutchinson_trace(&frozen, &batches, &TraceConfig::default(), &mut |_| {}).unwrap_err();
    assert!(matches!(&err, Error::NoParameters { layer, .. } if layer == "layer0"), "{err}");
    let wide = Dataset::synthetic_blobs(8, 5, 2, 1.0, 1).unwrap();
    let wide = HessianData::<B>::new(&wide, 4, &device).unwrap();
    assert!(matches!(hvp.hvp_flat(&wide, &vec![0.0; hvp.num_params()]), Err(Error::Shape { .. })));
    assert!(matches!(hvp.hvp_flat(&batches, &[1.0]), Err(Error::Shape { .. })));
    let tanh_quant = QuantConfig::uniform(&[2, 2], 8).with_hidden_activation(HiddenActivation::Tanh);
    assert!(matches!(tanh_quant.validate(), Err(Error::Config { .. })));
}

#[test]
fn sensitivity_table_uses_the_real_quantizer_and_fits_the_ilp_layout() {
    let device = Default::default();
    let data = Dataset::synthetic_blobs(64, 4, 3, 1.0, 2).unwrap();
    let model = QuantConfig::uniform(&[4, 8, 3], 8).init::<Ad>(&device, 4).unwrap();
    let x = Tensor::<Ad, 2>::from_data(TensorData::new(data.features.clone(), [64, 4]).convert::<f64>(), &device);
    model.calibrate(x);
    let batches = HessianData::<B>::new(&data, 32, &device).unwrap();
    // The quantized model: straight-through products (traces stay valid).
    let hvp = Hvp::<B>::new(model.clone());
    let traces =
        hutchinson_trace(&hvp, &batches, &TraceConfig { max_iter: 50, ..TraceConfig::default() }, &mut |_| {}).unwrap();
    let options = SensitivityOptions::grid(&[2, 4, 8], &[4, 8]);
    let table = sensitivity_table(hvp.model(), &traces, &options).unwrap();
    assert_eq!(table.layers.len(), 2);
    for row in &table.layers {
        let err = |w: u32| row.candidates.iter().find(|c| c.weight_bits == w).unwrap().weight_error;
        println!(
            "{}: Tr̄ {:.4e}, ‖ΔW‖² at 2/4/8 bits {:.3e} {:.3e} {:.3e}",
            row.name,
            row.average_trace,
            err(2),
            err(4),
            err(8)
        );
        // With the rescaling quantizer the error falls ~4× per bit: 2 → 8 bits is far more than 100×.
        assert!(err(2) > 100.0 * err(8) && err(4) > err(8));
        for c in &row.candidates {
            assert_eq!(c.omega, row.average_trace * c.weight_error);
            assert_eq!(c.label, format!("w{}a{}", c.weight_bits, c.activation_bits));
        }
    }
    // The ILP's JSON (feature `ilp`): the file `hawq-ilp solve` reads.
    #[cfg(feature = "ilp")]
    {
        let json: serde_json::Value = serde_json::from_str(&table.to_ilp_json_string().unwrap()).unwrap();
        let layers = json["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 2);
        assert_eq!(layers[0]["name"], "layer0");
        let c = &layers[1]["candidates"][0];
        assert_eq!(c["label"], "w2a4");
        assert!(c["omega"].is_f64() && c["costs"]["bops"].is_f64() && c["costs"]["size"].is_f64());
        assert!(json["budgets"].as_array().unwrap().is_empty() && json["ties"].as_array().unwrap().is_empty());
        assert!(json["fixed"].as_object().unwrap().is_empty());
    }
    // The table itself round-trips through serde (to the last bit or so: serde_json's default
    // float parsing may differ in the last place).
    let back: hawq_core::hessian::SensitivityTable =
        serde_json::from_str(&serde_json::to_string(&table).unwrap()).unwrap();
    for (a, b) in back.layers.iter().zip(&table.layers) {
        assert_eq!((&a.name, a.params, a.candidates.len()), (&b.name, b.params, b.candidates.len()));
        for (x, y) in a.candidates.iter().zip(&b.candidates) {
            assert_eq!((&x.label, &x.costs), (&y.label, &y.costs));
            assert!((x.omega - y.omega).abs() <= 1e-15 * y.omega.abs());
        }
    }
    // Layer 0's input is the model's input quantizer, whose width the table leaves alone: one
    // candidate per weight width, at the input's 16 bits.
    assert_eq!(table.layers[0].candidates.len(), 3);
    assert!(table.layers[0].candidates.iter().all(|c| c.activation_bits == 16));
    assert_eq!(table.layers[1].candidates.len(), 6);
    // With the activation term (on the quantizer in front of layer 1; none for layer 0).
    let with_act = SensitivityOptions { activation_weight: 1.0, ..options };
    let t2 = sensitivity_table(hvp.model(), &traces, &with_act).unwrap();
    let c4 = &t2.layers[1].candidates[0];
    assert!(c4.activation_term > 0.0 && c4.omega > c4.activation_term);
    assert_eq!(t2.layers[0].candidates[0].activation_term, 0.0);
}

#[test]
fn quantized_model_traces_via_straight_through_and_float_of() {
    let device = Default::default();
    let data = Dataset::synthetic_blobs(64, 4, 3, 1.0, 2).unwrap();
    let model = QuantConfig::uniform(&[4, 8, 3], 8).init::<Ad>(&device, 4).unwrap();
    let x = Tensor::<Ad, 2>::from_data(TensorData::new(data.features.clone(), [64, 4]).convert::<f64>(), &device);
    model.calibrate(x);
    let stats_before = model.acts[0].stats_host();
    let batches = HessianData::<B>::new(&data, 64, &device).unwrap();
    let ste = Hvp::<B>::new(model.clone());
    let float = Hvp::<B>::float_of(model.clone());
    let v = random_vec(ste.num_params(), 1);
    let a = ste.hvp_flat(&batches, &v).unwrap();
    let b = float.hvp_flat(&batches, &v).unwrap();
    // Same weights, 8 bits: the straight-through product is close to the float one, not equal.
    let err = rel_err(&a, &b);
    println!("8-bit straight-through H·v vs float H·v: relative difference {err:.3e}");
    assert!(err > 0.0 && err < 0.5, "{err}");
    assert_eq!(ste.model().acts[0].stats_host(), stats_before, "frozen ranges must not move");
}
