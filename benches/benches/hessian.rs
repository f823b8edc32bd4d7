//! Hessian work of `hawq-core` on the jet MLP (16-64-32-32-5, float32, ReLU, cross-entropy):
//! - one exact Hessian-vector product (double backward) over one plain gradient at batch 1024,
//!   same process (target ≤ 2.5×);
//! - the time for all per-layer Hutchinson traces to `tol = 1e-3` on 100,000 samples (the
//!   40,000-odd simulated training jets tiled, standardised), each probe's product over all of them.
//!
//! Under `cargo test --benches` (no `--bench` argument) only a small smoke run, which also checks
//! that the sensitivity table parses as a `hawq-ilp` problem and solves.

use std::time::{Duration, Instant};

use burn::backend::Autodiff;
use criterion::{Criterion, black_box, criterion_main};
use hawq_core::backend::Cpu;
use hawq_core::hessian::{
    EigenConfig, HessianData, Hvp, SensitivityOptions, TraceConfig, hutchinson_trace, sensitivity_table,
    top_eigenvalues,
};
use hawq_core::rng::SplitMix64;
use hawq_core::{Dataset, QuantConfig};
use ndarray::Array2;

const WIDTHS: [usize; 5] = [16, 64, 32, 32, 5];

/// `cargo test --benches` runs benches without `--bench`: then only a quick smoke run.
fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// The simulated training jets, standardised, tiled to `n` samples (synthetic blobs if the
/// files are missing).
fn jets(n: usize) -> Dataset {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/testdata/simulated-jets");
    let x: Result<Array2<f32>, _> = ndarray_npy::read_npy(format!("{dir}/X_train_val.npy"));
    let y: Result<Array2<f32>, _> = ndarray_npy::read_npy(format!("{dir}/y_train_val.npy"));
    let (Ok(x), Ok(y)) = (x, y) else {
        eprintln!("simulated jets not found in {dir}: synthetic blobs instead");
        return Dataset::synthetic_blobs(n, 16, 5, 1.0, 1).expect("blobs");
    };
    let d = x.ncols();
    let mut f: Vec<f32> = x.as_standard_layout().iter().copied().collect();
    for k in 0..d {
        let col: Vec<f64> = f.iter().skip(k).step_by(d).map(|&v| f64::from(v)).collect();
        let mean = col.iter().sum::<f64>() / col.len() as f64;
        let sd = (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64).sqrt().max(1e-6);
        for v in f.iter_mut().skip(k).step_by(d) {
            *v = ((f64::from(*v) - mean) / sd) as f32;
        }
    }
    let t: Vec<f32> = y.as_standard_layout().iter().copied().collect();
    let base = Dataset::from_one_hot("jets", f, &t, d, y.ncols()).expect("jets");
    let idx: Vec<usize> = (0..n).map(|i| i % base.len()).collect();
    base.subset(&idx)
}

fn bench(c: &mut Criterion) {
    let device = Default::default();
    let batch = if smoke() { 128 } else { 1024 };
    let model = QuantConfig::float(&WIDTHS).init::<Autodiff<Cpu>>(&device, 42).expect("model");
    let hvp = Hvp::<Cpu>::new(model);
    let one = HessianData::<Cpu>::new(&jets(batch), batch, &device).expect("batch");
    let mut rng = SplitMix64::new(7);
    let v: Vec<_> = (0..hvp.num_layers()).map(|l| hvp.rademacher(l, &mut rng)).collect();

    let mut g = c.benchmark_group("hessian");
    g.sample_size(if smoke() { 10 } else { 30 }).measurement_time(Duration::from_secs(if smoke() { 1 } else { 5 }));
    g.bench_function(format!("gradient_b{batch}"), |b| b.iter(|| black_box(hvp.gradient(&one).expect("gradient"))));
    g.bench_function(format!("hvp_b{batch}"), |b| b.iter(|| black_box(hvp.hvp(&one, &v).expect("hvp"))));
    g.finish();

    // The ratio by hand, interleaved, median of repetitions.
    let reps = if smoke() { 3 } else { 60 };
    let (mut tg, mut th) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        let t = Instant::now();
        black_box(hvp.gradient(&one).expect("gradient"));
        tg.push(t.elapsed().as_secs_f64());
        let t = Instant::now();
        black_box(hvp.hvp(&one, &v).expect("hvp"));
        th.push(t.elapsed().as_secs_f64());
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let (mg, mh) = (median(&mut tg), median(&mut th));
    println!("\nhawq-core Hessian, 16-64-32-32-5 float32 ReLU MLP, batch {batch} (this run)");
    println!(
        "  gradient {:.3} ms, HVP {:.3} ms → HVP / gradient = {:.2}× (target ≤ 2.5×)",
        mg * 1e3,
        mh * 1e3,
        mh / mg
    );

    // All per-layer traces to tol 1e-3, each probe over all samples.
    let n = if smoke() { 2_000 } else { 100_000 };
    let data = jets(n);
    let all = HessianData::<Cpu>::new(&data, 4096, &device).expect("data");
    let config = TraceConfig {
        max_iter: if smoke() { 3 } else { 500 },
        min_iter: if smoke() { 2 } else { 10 },
        tol: 1e-3,
        batches_per_probe: 0,
        seed: 1,
        layers: None,
    };
    let t = Instant::now();
    let traces = hutchinson_trace(&hvp, &all, &config, &mut |_| {}).expect("traces");
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  per-layer traces on {n} samples (batches of 4096), tol 1e-3: {:.2} s, {} probes, converged {}",
        secs, traces.iterations, traces.converged
    );
    for t in &traces.layers {
        println!(
            "    {}: Tr = {:.4e} ± {:.1e} ({} probes), Tr̄ = {:.3e}",
            t.name,
            t.mean,
            t.std_err,
            t.samples,
            t.average()
        );
    }
    if smoke() {
        let eig = top_eigenvalues(&hvp, &one, &EigenConfig { max_iter: 3, ..EigenConfig::default() }, &mut |_| {})
            .expect("eigenvalues");
        assert_eq!(eig.len(), WIDTHS.len() - 1);
        let table =
            sensitivity_table(hvp.model(), &traces, &SensitivityOptions::grid(&[2, 4, 8], &[8])).expect("table");
        let problem = hawq_ilp::Problem::from_json(&table.to_ilp_json_string()).expect("hawq-ilp reads the table");
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
