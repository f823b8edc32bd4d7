//! A jet-tagging-MLP-like 4-layer table (16→64→32→32→5) with candidates
//! (w, a) in {2..8}², solved at 350k BOPs, then swept from 250k to 550k.
//!
//! Run with `cargo run -p hawq-ilp --example jet_mlp`.

use hawq_ilp::{Candidate, Error, Layer, Problem, SolveOptions, Sweep, solve, sweep};
use qonnx_ir::cost::LayerCost;

fn main() -> Result<(), Error> {
    // (name, fan-in, fan-out, Hessian trace) — traces as a Hutchinson estimate might give.
    let shapes = [("fc1", 16, 64, 25.0), ("fc2", 64, 32, 4.0), ("fc3", 32, 32, 2.5), ("output", 32, 5, 9.0)];
    let mut problem = Problem::new();
    for (name, n, m, trace) in shapes {
        let mut layer = Layer::new(name);
        for w in 2..=8u32 {
            for a in 2..=8u32 {
                // HAWQ-style sensitivity: trace × expected squared quantisation error.
                let omega = trace * (4f64.powi(-(w as i32)) + 0.25 * 4f64.powi(-(a as i32)));
                // The workspace's one cost model (BOPs; size with 16-bit biases).
                let cost = LayerCost::dense(n, m, w, a, 0);
                layer = layer.candidate(
                    Candidate::new(format!("w{w}a{a}"), omega)
                        .cost("bops", cost.bops)
                        .cost("size", cost.weight_and_bias_bits(16) as f64),
                );
            }
        }
        problem = problem.layer(layer);
    }
    let problem = problem.budget("bops", 350_000.0);
    let solution = solve(&problem, &SolveOptions::default())?;
    println!("at 350k BOPs (proven optimal: {}):", solution.proven_optimal);
    for c in &solution.choices {
        println!("  {:7} {}", c.layer, c.candidate);
    }
    println!(
        "  ΣΩ = {:.4e}, BOPs = {}, size = {} bits",
        solution.objective, solution.totals["bops"], solution.totals["size"]
    );
    let range: Sweep = "bops=250000:550000:50000".parse()?;
    println!("sweep:");
    for point in sweep(&problem, &range, &SolveOptions::default())? {
        if let Some(s) = point.solution {
            let labels: Vec<&str> = s.choices.iter().map(|c| c.candidate.as_str()).collect();
            println!("  {:>7}  ΣΩ = {:.4e}  {}", point.budget, s.objective, labels.join(" "));
        }
    }
    Ok(())
}
