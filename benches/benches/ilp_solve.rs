//! Solve time of `hawq-ilp` on seeded random instances of 4, 20, 50, 150 and
//! 300 layers × 7 candidates × 3 budgets (bops, size, latency), each budget
//! set 40–60 % of the way from the smallest to the largest achievable total so
//! that all three bind. Before measuring, each size is solved once and its
//! time, node count and proven-optimal flag printed; a size not proven optimal
//! fails the bench. `microlp` alone (its MIP search on the same presolved
//! formulation) is measured beside the default for the sizes it finishes. For the benchmark
//! report, the same instances go to PuLP with the CBC solver its wheel bundles
//! (`benches/py/pulp_ilp.py`, `.venv-peers`): same optimum required, medians compared.

use std::time::{Duration, Instant};

use benches::report::BenchResult;
use benches::{fmt_ratio, fmt_s, median, peers_python, run_python, smoke};

use criterion::{BenchmarkId, Criterion, criterion_main};
use hawq_ilp::{Algorithm, Candidate, Layer, Problem, SolveOptions, solve};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// (weight bits, activation bits) of the 7 candidates.
const CONFIGS: [(u32, u32); 7] = [(2, 4), (3, 4), (4, 4), (4, 6), (6, 6), (6, 8), (8, 8)];

/// A jet-MLP-like random network of `layers` dense layers.
fn instance(layers: usize, seed: u64) -> Problem {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut p = Problem::new();
    let mut fan_in: u64 = 16;
    for l in 0..layers {
        let fan_out: u64 = [8, 16, 32, 64, 128][rng.gen_range(0..5)];
        let trace = 10f64.powf(rng.gen_range(-3.0..3.0));
        let w_norm = rng.gen_range(0.5..2.0);
        let reuse = rng.gen_range(1..=8) as f64;
        let mut layer = Layer::new(format!("dense_{l}"));
        for &(bw, ba) in &CONFIGS {
            let noise = rng.gen_range(0.8..1.25);
            let omega = trace * (w_norm * 4f64.powi(-(bw as i32)) + 0.5 * 4f64.powi(-(ba as i32))) * noise;
            let cost = qonnx_ir::cost::LayerCost::dense(fan_in as usize, fan_out as usize, bw, ba, 0);
            let (bops, size) = (cost.bops, cost.weight_and_bias_bits(16) as f64);
            // A latency table as a synthesis run would give: grows with the
            // product width, divided by the reuse factor, plus pipeline depth.
            let latency = ((fan_in * fan_out) as f64 * f64::from(bw * ba) / (64.0 * reuse)).ceil()
                + f64::from(bw.max(ba))
                + rng.gen_range(0..3) as f64;
            layer = layer.candidate(
                Candidate::new(format!("w{bw}a{ba}"), omega)
                    .cost("bops", bops)
                    .cost("size", size)
                    .cost("latency", latency),
            );
        }
        p = p.layer(layer);
        fan_in = fan_out;
    }
    for (i, cost) in ["bops", "size", "latency"].iter().enumerate() {
        let (lo, hi) = p.layers.iter().fold((0.0, 0.0), |(lo, hi), l| {
            let v = l.candidates.iter().map(|c| c.costs[*cost]);
            (lo + v.clone().fold(f64::INFINITY, f64::min), hi + v.fold(0.0, f64::max))
        });
        let frac = [0.4, 0.5, 0.6][i] + rng.gen_range(-0.05..0.05);
        p = p.budget(*cost, (lo + frac * (hi - lo)).round());
    }
    p
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("ilp_solve");
    let dir = std::env::temp_dir().join(format!("ilp-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    let mut rows = Vec::new();
    for &layers in &[4usize, 20, 50, 150, 300] {
        let problem = instance(layers, 42 + layers as u64);
        let file = dir.join(format!("{layers}.json"));
        std::fs::write(&file, problem.to_json().expect("a problem serialises")).expect("writing the problem");
        let opts = SolveOptions::default();
        let once = solve(&problem, &opts).expect("solvable");
        println!(
            "ilp_solve/{layers} layers: {:.3} ms, proven_optimal = {}, method = {:?}, nodes = {}, \
             objective = {:.6e}, removed: {} dominated, {} by reduced cost",
            once.solve_time_s * 1e3,
            once.proven_optimal,
            once.method,
            once.stats.nodes,
            once.objective,
            once.stats.removed_dominated,
            once.stats.removed_by_reduced_cost,
        );
        assert!(once.proven_optimal, "{layers} layers not proven optimal");
        // Nine more seeds: the spread of solve times, all proven optimal?
        let mut times: Vec<f64> = (1..10)
            .map(|s| {
                let sol = solve(&instance(layers, 1000 * s + layers as u64), &opts).unwrap();
                assert!(sol.proven_optimal, "{layers} layers, seed {s}: not proven optimal");
                sol.solve_time_s * 1e3
            })
            .collect();
        times.sort_by(f64::total_cmp);
        let mut ours: Vec<f64> = (0..if smoke() { 1 } else { 10 })
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(solve(&problem, &opts).unwrap());
                t.elapsed().as_secs_f64()
            })
            .collect();
        rows.push((layers, once.objective, median(&mut ours), file));
        println!(
            "ilp_solve/{layers} layers, 9 other seeds, all proven optimal: median {:.3} ms, max {:.3} ms",
            times[4], times[8]
        );
        if layers >= 150 {
            group.sample_size(10).measurement_time(Duration::from_secs(5));
        } else {
            group.sample_size(20).measurement_time(Duration::from_secs(3));
        }
        group.bench_with_input(BenchmarkId::new("auto", layers), &problem, |b, p| b.iter(|| solve(p, &opts).unwrap()));
        // microlp alone, for the ratio; limited to 10 s per solve.
        let ml = SolveOptions {
            algorithm: Algorithm::Microlp,
            time_limit: Some(Duration::from_secs(10)),
            ..SolveOptions::default()
        };
        match solve(&problem, &ml) {
            Ok(s) => {
                println!(
                    "ilp_solve/{layers} layers, microlp alone: {:.3} ms, proven_optimal = {}, \
                     objective = {:.6e} (same optimum: {})",
                    s.solve_time_s * 1e3,
                    s.proven_optimal,
                    s.objective,
                    (s.objective - once.objective).abs() <= 1e-9 * once.objective.abs()
                );
                if s.proven_optimal && s.solve_time_s < 1.0 {
                    group.bench_with_input(BenchmarkId::new("microlp", layers), &problem, |b, p| {
                        b.iter(|| solve(p, &ml).unwrap())
                    });
                }
            }
            Err(e) => println!("ilp_solve/{layers} layers, microlp alone: {e}"),
        }
    }
    group.finish();
    if !smoke() {
        report(&rows);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// PuLP + CBC on the same instances, and the report's table.
fn report(rows: &[(usize, f64, f64, std::path::PathBuf)]) {
    let mut result = BenchResult::new("ilp_solve");
    let files: Vec<&str> = rows.iter().map(|r| r.3.to_str().expect("UTF-8 temporary path")).collect();
    let mut args = vec!["3"];
    args.extend(&files);
    let peer = peers_python().and_then(|py| match run_python(&py, "pulp_ilp.py", &args) {
        Ok(v) => Some(v),
        Err(e) => {
            println!("PuLP not measured: {e}");
            None
        }
    });
    if let Some(v) = &peer {
        result.peer(format!("PuLP {} with its bundled CBC (one thread)", v["pulp"].as_str().unwrap_or("?")));
    }
    let t = result.table(
        "Seeded jet-MLP-like instances, 7 candidates a layer, 3 binding budgets",
        "Ours: `hawq_ilp::solve` with default options, median of 10 solves (proven optimal, checked). \
         PuLP: the same 0/1 model built in Python and solved by CBC on one thread, median of 3; its \
         total (what a PuLP user waits for) and the solver call alone (PuLP's `solutionTime`). The \
         optimum must be the same.",
        &["layers", "ours", "PuLP + CBC, total", "CBC call", "ratio (total)", "ratio (CBC call)", "same optimum"],
    );
    for (i, (layers, objective, ours, _)) in rows.iter().enumerate() {
        let r = peer.as_ref().map(|v| &v["results"][i]);
        let total = r.and_then(|r| r["median_s"].as_f64());
        let call = r.and_then(|r| r["solver_median_s"].as_f64());
        let same = r.map_or("—".to_string(), |r| match (r["status"].as_str(), r["objective"].as_f64()) {
            (Some("Optimal"), Some(o)) => {
                if (o - objective).abs() <= 1e-7 * objective.abs().max(1e-12) {
                    "yes".into()
                } else {
                    format!("no: {o:e} vs ours {objective:e}")
                }
            }
            (status, _) => format!("no: CBC status {}", status.unwrap_or("?")),
        });
        t.row(&[
            layers.to_string(),
            fmt_s(Some(*ours)),
            fmt_s(total),
            fmt_s(call),
            fmt_ratio(total.map(|p| p / ours)),
            fmt_ratio(call.map(|p| p / ours)),
            same,
        ]);
    }
    result.save();
}

mod group {
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
