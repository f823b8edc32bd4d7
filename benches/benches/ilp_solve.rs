//! Solve time of `hawq-ilp` on seeded random instances of 4, 20, 50, 150 and
//! 300 layers × 7 candidates × 3 budgets (bops, size, latency), each budget
//! set 40–60 % of the way from the smallest to the largest achievable total so
//! that all three bind. Before measuring, each size is solved once and its
//! time, node count and proven-optimal flag printed; a size not proven optimal
//! fails the bench. `microlp` alone (its MIP search on the same presolved
//! formulation) is measured beside the default for the sizes it finishes.

use std::time::Duration;

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
    for &layers in &[4usize, 20, 50, 150, 300] {
        let problem = instance(layers, 42 + layers as u64);
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
}

mod group {
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
