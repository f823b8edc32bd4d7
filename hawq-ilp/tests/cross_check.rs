//! Medium instances (too big for brute force): the crate's branch and bound,
//! microlp's MIP search and, for one budget, the exact Pareto front computed
//! by dynamic programming must agree on the optimum.

use hawq_ilp::{Algorithm, Candidate, FrontOptions, Layer, Problem, SolveOptions, pareto_front, solve};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn instance(seed: u64, layers: usize, budgets: usize) -> Problem {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut p = Problem::new();
    for l in 0..layers {
        let size = rng.gen_range(50..2000) as f64;
        let trace = 10f64.powf(rng.gen_range(-2.0..2.0));
        let mut layer = Layer::new(format!("L{l}"));
        for b in 2..=8 {
            let omega = trace * 4f64.powi(-b) * rng.gen_range(0.7..1.4);
            layer = layer.candidate(
                Candidate::new(format!("b{b}"), omega)
                    .cost("bops", (size * (b * b) as f64).round())
                    .cost("size", size * b as f64)
                    .cost("lat", (b as f64 * rng.gen_range(1.0..4.0)).round()),
            );
        }
        p = p.layer(layer);
    }
    for cost in ["bops", "size", "lat"].iter().take(budgets) {
        let (lo, hi) = p.layers.iter().fold((0.0, 0.0), |(lo, hi), l| {
            let v: Vec<f64> = l.candidates.iter().map(|c| c.costs[*cost]).collect();
            (lo + v.iter().cloned().fold(f64::INFINITY, f64::min), hi + v.iter().cloned().fold(0.0, f64::max))
        });
        p = p.budget(*cost, (lo + rng.gen_range(0.3..0.7) * (hi - lo)).round());
    }
    p
}

fn with(algorithm: Algorithm) -> SolveOptions {
    SolveOptions { algorithm, ..SolveOptions::default() }
}

#[test]
fn methods_agree_on_medium_instances() {
    for seed in 0..30 {
        let layers = 10 + (seed as usize % 4) * 5;
        let p = instance(seed, layers, 1 + seed as usize % 3);
        let a = solve(&p, &with(Algorithm::BranchAndBound)).unwrap();
        let b = solve(&p, &with(Algorithm::Microlp)).unwrap();
        let c = solve(&p, &with(Algorithm::Auto)).unwrap();
        assert!(a.proven_optimal && b.proven_optimal && c.proven_optimal, "seed {seed}");
        let tol = 1e-9 * a.objective.abs();
        assert!((a.objective - b.objective).abs() <= tol, "seed {seed}: {} vs microlp {}", a.objective, b.objective);
        assert!((a.objective - c.objective).abs() <= tol, "seed {seed}");
        for s in [&a, &b, &c] {
            for budget in &p.budgets {
                assert!(s.totals[&budget.cost] <= budget.limit, "seed {seed}");
            }
        }
    }
}

#[test]
fn single_budget_matches_exact_front() {
    for seed in 100..120 {
        let p = instance(seed, 12, 1);
        let sol = solve(&p, &SolveOptions::default()).unwrap();
        let mut open = p.clone();
        open.budgets.clear();
        let front = pareto_front(&open, "bops", &FrontOptions::default()).unwrap();
        let best = front.best_within(p.budgets[0].limit).unwrap();
        assert!((best.objective - sol.objective).abs() <= 1e-9 * sol.objective, "seed {seed}");
        // The front is a strict staircase.
        for w in front.points.windows(2) {
            assert!(w[0].cost < w[1].cost && w[0].objective > w[1].objective);
        }
    }
}
