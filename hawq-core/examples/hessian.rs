//! Trains the 16-64-32-32-5 jet MLP (8-bit QAT) for a few epochs on the built-in simulated jets, then
//! reports each layer's Hessian trace (Hutchinson, on the straight-through graph and on the float
//! graph with the same weights), its top eigenvalue (power iteration on the float graph), and the
//! sensitivity table in the `hawq-ilp` layout.
//!
//! `cargo run --release -p hawq-core --example hessian [-- EPOCHS [SAMPLES [OUT.json]]]`

use std::time::Instant;

use burn::backend::Autodiff;
use hawq_core::backend::Cpu;
use hawq_core::hessian::{
    EigenConfig, HessianData, Hvp, SensitivityOptions, TraceConfig, hutchinson_trace, sensitivity_table,
    top_eigenvalues,
};
use hawq_core::train::{TrainConfig, train};
use hawq_core::{Dataset, QuantConfig};
use test_support::Split;

type Error = Box<dyn std::error::Error>;

/// A split of the built-in jets (the shipped simulated sample), standardised with the training
/// split's mean and deviation.
fn load(split: Split) -> Result<Dataset, Error> {
    let j = test_support::jets(split);
    Ok(Dataset::from_one_hot(&format!("{split:?}"), j.features, &j.one_hot, j.n_features, j.n_classes)?)
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    let epochs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(5);
    let samples = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(10_000);
    let out = args
        .get(3)
        .cloned()
        .unwrap_or_else(|| std::env::temp_dir().join("hawq_ilp_problem.json").display().to_string());
    let data = load(Split::TrainVal)?;

    let device = Default::default();
    let model = QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).init::<Autodiff<Cpu>>(&device, 42)?;
    let config = TrainConfig { epochs, batch_size: 1024, learning_rate: 3e-3, ..Default::default() };
    let outcome =
        train(model, &data, None, &config, &mut |r| println!("epoch {:>2}  train loss {:.4}", r.epoch, r.train_loss))?;
    let model = outcome.model;

    let hdata = HessianData::<Cpu>::sampled(&data, 2048, Some(samples), 3, &device)?;
    let trace_cfg = TraceConfig { max_iter: 300, tol: 1e-3, ..TraceConfig::default() };
    let ste = Hvp::<Cpu>::new(model.clone());
    let float = Hvp::<Cpu>::float_of(model.clone());
    let start = Instant::now();
    let t_ste = hutchinson_trace(&ste, &hdata, &trace_cfg, &mut |_| {})?;
    let t_float = hutchinson_trace(&float, &hdata, &trace_cfg, &mut |_| {})?;
    let traces_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let eig = top_eigenvalues(
        &float,
        &hdata,
        &EigenConfig { max_iter: 100, tol: 1e-4, ..EigenConfig::default() },
        &mut |_| {},
    )?;
    let eig_s = start.elapsed().as_secs_f64();
    println!(
        "\nHessian of the cross-entropy on {} jets, weight blocks, Hutchinson to tol {} ({} / {} products; all layers converged: {} / {})",
        hdata.num_samples(),
        trace_cfg.tol,
        t_ste.iterations,
        t_float.iterations,
        t_ste.converged,
        t_float.converged
    );
    println!(
        "layer    params  Tr(H) 8-bit STE (probes)        Tr(H) float (probes)            Tr̄ float    top eigenvalue (float)"
    );
    for ((s, f), e) in t_ste.layers.iter().zip(&t_float.layers).zip(&eig) {
        println!(
            "{:<8} {:>6}  {:>10.4e} ± {:<8.1e} ({:>3})  {:>10.4e} ± {:<8.1e} ({:>3})  {:>10.3e}  {:>10.4e} ({} steps{})",
            s.name,
            s.params,
            s.mean,
            s.std_err,
            s.samples,
            f.mean,
            f.std_err,
            f.samples,
            f.average(),
            e.eigenvalue,
            e.iterations,
            if e.converged { "" } else { ", not converged" }
        );
    }
    println!("(both trace estimates {traces_s:.1} s, eigenvalues {eig_s:.1} s)");
    let table = sensitivity_table(&model, &t_ste, &SensitivityOptions::grid(&[2, 3, 4, 6, 8], &[8]))?;
    println!("\nΩ = Tr̄(H) · ‖Q_b(W) − W‖² (8-bit activations):");
    for row in &table.layers {
        let cells: Vec<String> = row.candidates.iter().map(|c| format!("{} {:.3e}", c.label, c.omega)).collect();
        println!("  {}: {}", row.name, cells.join("  "));
    }
    std::fs::write(&out, table.to_ilp_json_string()?)?;
    println!("hawq-ilp problem table written to {out}");
    Ok(())
}
