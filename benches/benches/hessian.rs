//! Hessian work of `hawq-core` on the jet MLP (16-64-32-32-5, float32, ReLU, cross-entropy),
//! trained for a few epochs on the simulated jets (standardised):
//! - one exact Hessian-vector product (double backward) over one plain gradient at batch 1024,
//!   same process, the four timings interleaved, median of many repetitions (target ≤ 2.5×).
//!   Two like-for-like pairs: the weight blocks (what HAWQ uses, `Hvp::new`) against the gradient
//!   of the weights, and every parameter (`with_bias(true)`) against the training gradient;
//! - the time for all per-layer Hutchinson traces to `tol = 1e-3` (PyHessian's criterion per
//!   layer) on 100,000 samples (the 40,243 simulated training jets tiled), each probe's product
//!   over all of them.
//!
//! For the benchmark report, the same MLP in JAX on the CPU (`benches/py/jax_peer.py`,
//! `.venv-peers`) times its gradient of the weights and its exact Hessian-vector product
//! (forward-over-reverse) on the same batch.
//!
//! Under `cargo test --benches` (no `--bench` argument) only a small smoke run, which also checks
//! that the sensitivity table parses as a `hawq-ilp` problem and solves.

use std::time::{Duration, Instant};

use benches::report::BenchResult;
use benches::{fmt_ratio, fmt_s, median, peers_python, run_python, smoke};
use burn::backend::Autodiff;
use criterion::{Criterion, black_box, criterion_main};
use hawq_core::backend::Cpu;
use hawq_core::hessian::{
    EigenConfig, HessianData, Hvp, LayerBlock, SensitivityOptions, TraceConfig, hutchinson_trace, sensitivity_table,
    top_eigenvalues,
};
use hawq_core::rng::SplitMix64;
use hawq_core::train::{TrainConfig, train};
use hawq_core::{Dataset, QuantConfig, QuantMlp};

const WIDTHS: [usize; 5] = [16, 64, 32, 32, 5];

/// The built-in training jets, standardised, tiled to `n` samples.
fn jets(n: usize) -> Dataset {
    let base = benches::jets(test_support::Split::TrainVal);
    let idx: Vec<usize> = (0..n).map(|i| i % base.len()).collect();
    base.subset(&idx)
}

/// The float jet MLP after a few epochs of Adam on the simulated jets.
fn trained_model(device: &burn::backend::ndarray::NdArrayDevice) -> QuantMlp<Autodiff<Cpu>> {
    let model = QuantConfig::float(&WIDTHS).init::<Autodiff<Cpu>>(device, 42).expect("model");
    let (n, epochs) = if smoke() { (2_000, 1) } else { (40_243, 10) };
    let config = TrainConfig { epochs, batch_size: 1024, learning_rate: 3e-3, ..TrainConfig::default() };
    train(model, &jets(n), None, &config, &mut |_| {}).expect("training").model
}

fn bench(c: &mut Criterion) {
    let device = Default::default();
    let batch = if smoke() { 128 } else { 1024 };
    let model = trained_model(&device);
    let weights = Hvp::<Cpu>::new(model.clone());
    let all = Hvp::<Cpu>::new(model).with_bias(true);
    let one = HessianData::<Cpu>::new(&jets(batch), batch, &device).expect("batch");
    let mut rng = SplitMix64::new(7);
    let vw: Vec<LayerBlock<Cpu>> = (0..weights.num_layers()).map(|l| weights.rademacher(l, &mut rng)).collect();
    let va: Vec<LayerBlock<Cpu>> = (0..all.num_layers()).map(|l| all.rademacher(l, &mut rng)).collect();

    let mut g = c.benchmark_group("hessian");
    g.sample_size(if smoke() { 10 } else { 30 }).measurement_time(Duration::from_secs(if smoke() { 1 } else { 5 }));
    g.bench_function(format!("gradient_weights_b{batch}"), |b| {
        b.iter(|| black_box(weights.gradient(&one).expect("gradient")))
    });
    g.bench_function(format!("hvp_weights_b{batch}"), |b| b.iter(|| black_box(weights.hvp(&one, &vw).expect("hvp"))));
    g.bench_function(format!("gradient_all_b{batch}"), |b| b.iter(|| black_box(all.gradient(&one).expect("gradient"))));
    g.bench_function(format!("hvp_all_b{batch}"), |b| b.iter(|| black_box(all.hvp(&one, &va).expect("hvp"))));
    g.finish();

    // The ratios by hand: the four timings interleaved, medians of the repetitions.
    let reps = if smoke() { 3 } else { 300 };
    let mut t = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    let time = |f: &mut dyn FnMut()| {
        let start = Instant::now();
        f();
        start.elapsed().as_secs_f64()
    };
    for _ in 0..reps {
        t[0].push(time(&mut || drop(black_box(weights.gradient(&one).expect("gradient")))));
        t[1].push(time(&mut || drop(black_box(weights.hvp(&one, &vw).expect("hvp")))));
        t[2].push(time(&mut || drop(black_box(all.gradient(&one).expect("gradient")))));
        t[3].push(time(&mut || drop(black_box(all.hvp(&one, &va).expect("hvp")))));
    }
    let [gw, hw, ga, ha] = t.clone().map(|mut v| median(&mut v) * 1e3);
    let [gw0, hw0, ga0, ha0] = t.map(|v| v.iter().copied().fold(f64::INFINITY, f64::min) * 1e3);
    println!(
        "\nhawq-core Hessian, trained 16-64-32-32-5 float32 ReLU MLP, batch {batch} (this run, {reps} interleaved repetitions; median, minimum)"
    );
    println!(
        "  weight blocks:  gradient {gw:.3} ms, HVP {hw:.3} ms → HVP / gradient = {:.2}× (minima {gw0:.3}, {hw0:.3} ms: {:.2}×; target ≤ 2.5×)",
        hw / gw,
        hw0 / gw0
    );
    println!(
        "  all parameters: gradient {ga:.3} ms, HVP {ha:.3} ms → HVP / gradient = {:.2}× (minima {ga0:.3}, {ha0:.3} ms: {:.2}×; target ≤ 2.5×)",
        ha / ga,
        ha0 / ga0
    );
    println!("  (HVP of the weight blocks / training gradient of all parameters, not like for like: {:.2}×)", hw / ga);
    let jax = if smoke() { None } else { jax_hessian(batch) };

    // All per-layer traces to tol 1e-3, each probe over all samples.
    let n = if smoke() { 2_000 } else { 100_000 };
    let data = HessianData::<Cpu>::new(&jets(n), 4096, &device).expect("data");
    let config = TraceConfig {
        max_iter: if smoke() { 3 } else { 1_000 },
        min_iter: if smoke() { 2 } else { 10 },
        tol: 1e-3,
        batches_per_probe: 0,
        seed: 1,
        layers: None,
    };
    let start = Instant::now();
    let mut stopped = vec![None; weights.num_layers()];
    let traces = hutchinson_trace(&weights, &data, &config, &mut |p| {
        for (k, l) in p.layers.iter().enumerate() {
            if l.converged && stopped[k].is_none() {
                stopped[k] = Some((p.iteration, start.elapsed().as_secs_f64()));
            }
        }
    })
    .expect("traces");
    let secs = start.elapsed().as_secs_f64();
    println!(
        "  per-layer traces on {n} samples (batches of 4096, every probe over all of them), tol 1e-3: {secs:.2} s, {} probes, all converged: {}",
        traces.iterations, traces.converged
    );
    for (t, s) in traces.layers.iter().zip(&stopped) {
        let when = s.map_or("not converged".to_string(), |(it, at)| format!("stopped at probe {it}, {at:.2} s"));
        println!(
            "    {}: Tr = {:.4e} ± {:.1e} ({} probes, {when}), Tr̄ = {:.3e}",
            t.name,
            t.mean,
            t.std_err,
            t.samples,
            t.average()
        );
    }
    if !smoke() {
        let mut result = BenchResult::new("hessian");
        if let Some(v) = jax.as_ref().and_then(|j| j["jax"].as_str()) {
            result.peer(format!("JAX {v} (CPU)"));
        }
        let ms = |k: &str| jax.as_ref().and_then(|j| j[k].as_f64()).map(|s| s * 1e3);
        let (jg, jh) = (ms("gradient_median_s"), ms("hvp_median_s"));
        let t = result.table(
            "One exact Hessian-vector product and one gradient, batch 1024",
            &format!(
                "The 16-64-32-32-5 float32 ReLU MLP, cross-entropy, gradient and HVP with respect to the \
                 weight matrices (what HAWQ's traces use) on one batch of simulated jets. Ours: burn's CPU \
                 backend, double backward, the timings interleaved, medians of {reps}. JAX: `jax.grad` and \
                 `jax.jvp` of it (forward-over-reverse), jitted, interleaved, medians of 300 (the threads it \
                 chooses). Target: a product at most 2.5 gradients."
            ),
            &["measure", "ours", "JAX", "ratio"],
        );
        let s = |v: f64| fmt_s(Some(v / 1e3));
        t.row(&["gradient".into(), s(gw), fmt_s(jg.map(|v| v / 1e3)), fmt_ratio(jg.map(|j| j / gw))]);
        t.row(&["Hessian-vector product".into(), s(hw), fmt_s(jh.map(|v| v / 1e3)), fmt_ratio(jh.map(|j| j / hw))]);
        t.row(&[
            "product / gradient".to_string(),
            format!("{:.2}×", hw / gw),
            jg.zip(jh).map_or("—".into(), |(g, h)| format!("{:.2}×", h / g)),
            "—".into(),
        ]);
        t.row(&[
            "all parameters: gradient / product".to_string(),
            format!("{} / {} ({:.2}×)", s(ga), s(ha), ha / ga),
            "—".into(),
            "—".into(),
        ]);
        result.note(format!(
            "All per-layer Hutchinson traces to tol 1e-3 on {n} samples: {secs:.2} s, {} probes (converged: {}).",
            traces.iterations, traces.converged
        ));
        result.save();
    }
    if smoke() {
        let eig = top_eigenvalues(&weights, &one, &EigenConfig { max_iter: 3, ..EigenConfig::default() }, &mut |_| {})
            .expect("eigenvalues");
        assert_eq!(eig.len(), WIDTHS.len() - 1);
        let table =
            sensitivity_table(weights.model(), &traces, &SensitivityOptions::grid(&[2, 4, 8], &[8])).expect("table");
        let problem = hawq_ilp::Problem::from_json(&table.to_ilp_json_string().expect("table JSON"))
            .expect("hawq-ilp reads the table");
        problem.validate().expect("valid problem");
        assert_eq!(problem.layers.len(), WIDTHS.len() - 1);
        assert_eq!(problem.layers[0].candidates.len(), 3);
    }
}

/// The criterion group (a module of its own, so the generated function needs no doc comment).
mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);

/// JAX's gradient and Hessian-vector product of the same MLP on `batch` training jets.
fn jax_hessian(batch: usize) -> Option<serde_json::Value> {
    let python = peers_python()?;
    let dir = std::env::temp_dir().join(format!("hessian-bench-jax-{}", std::process::id()));
    let (x, labels) = benches::write_dataset_npy(&dir, &jets(batch));
    let res =
        run_python(&python, "jax_peer.py", &["hessian", &x, &labels, "--batch", &batch.to_string(), "--reps", "300"]);
    let _ = std::fs::remove_dir_all(&dir);
    res.map_err(|e| println!("JAX not measured: {e}")).ok()
}
