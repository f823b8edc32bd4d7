//! The solver against an independent brute force on random small instances:
//! ties, fixed layers, several budgets, and infeasible budgets. The brute force
//! enumerates every index vector with integer arithmetic for the costs.

use hawq_ilp::{
    Algorithm, Candidate, Error, FrontOptions, Layer, Problem, SolveOptions, Sweep, pareto_front, solve, sweep,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const COSTS: [&str; 3] = ["bops", "size", "lat"];

/// A random instance plus the raw data the brute force reads.
struct Instance {
    problem: Problem,
    /// omega[l][c]
    omega: Vec<Vec<f64>>,
    /// cost[l][c][k], integers
    cost: Vec<Vec<[i64; 3]>>,
    /// (cost index, integer limit)
    budgets: Vec<(usize, i64)>,
    /// tie groups as layer indices
    ties: Vec<Vec<usize>>,
    /// (layer, candidate)
    fixed: Vec<(usize, usize)>,
}

fn random_instance(rng: &mut StdRng) -> Instance {
    let layers = rng.gen_range(1..=6);
    let k_common = rng.gen_range(2..=4);
    let mut omega = Vec::new();
    let mut cost = Vec::new();
    let mut problem = Problem::new();
    let mut ks = Vec::new();
    for l in 0..layers {
        // Most layers share the candidate count so they can be tied.
        let k = if rng.gen_bool(0.7) { k_common } else { rng.gen_range(1..=5) };
        ks.push(k);
        let mut layer = Layer::new(format!("L{l}"));
        let mut om = Vec::new();
        let mut co = Vec::new();
        for c in 0..k {
            // Dyadic Ω (exact sums); sometimes negative, sometimes repeated.
            let o = if rng.gen_bool(0.1) { 1.0 } else { rng.gen_range(-64..=640) as f64 / 64.0 };
            let cs = [rng.gen_range(0..=100_i64), rng.gen_range(0..=50_i64), rng.gen_range(0..=20_i64)];
            let mut cand = Candidate::new(format!("c{c}"), o);
            for (name, v) in COSTS.iter().zip(cs) {
                cand = cand.cost(*name, v as f64);
            }
            layer = layer.candidate(cand);
            om.push(o);
            co.push(cs);
        }
        problem = problem.layer(layer);
        omega.push(om);
        cost.push(co);
    }
    // Budgets between (a bit below) the minimum and the maximum total.
    let mut budgets = Vec::new();
    for k in 0..3 {
        if rng.gen_bool(0.6) {
            let lo: i64 = cost.iter().map(|l| l.iter().map(|c| c[k]).min().unwrap()).sum();
            let hi: i64 = cost.iter().map(|l| l.iter().map(|c| c[k]).max().unwrap()).sum();
            let limit = rng.gen_range(lo - (hi - lo) / 8 - 1..=hi);
            problem = problem.budget(COSTS[k], limit as f64);
            budgets.push((k, limit));
        }
    }
    // Ties among layers with the common candidate count.
    let mut ties = Vec::new();
    let same: Vec<usize> = (0..layers).filter(|&l| ks[l] == k_common).collect();
    if same.len() >= 2 && rng.gen_bool(0.4) {
        let n = rng.gen_range(2..=same.len().min(3));
        let group: Vec<usize> = same[..n].to_vec();
        problem = problem.tie(group.iter().map(|l| format!("L{l}")));
        ties.push(group);
    }
    let mut fixed = Vec::new();
    if rng.gen_bool(0.3) {
        let l = rng.gen_range(0..layers);
        let c = rng.gen_range(0..ks[l]);
        problem = problem.fix(format!("L{l}"), format!("c{c}"));
        fixed.push((l, c));
    }
    Instance { problem, omega, cost, budgets, ties, fixed }
}

/// Every index vector allowed by ties and fixed layers.
fn allowed(inst: &Instance) -> Vec<Vec<usize>> {
    let ks: Vec<usize> = inst.omega.iter().map(Vec::len).collect();
    let mut out = Vec::new();
    let mut idx = vec![0; ks.len()];
    loop {
        let tie_ok = inst.ties.iter().all(|t| t.iter().all(|&l| idx[l] == idx[t[0]]));
        let fix_ok = inst.fixed.iter().all(|&(l, c)| idx[l] == c);
        if tie_ok && fix_ok {
            out.push(idx.clone());
        }
        let mut pos = 0;
        loop {
            if pos == ks.len() {
                return out;
            }
            idx[pos] += 1;
            if idx[pos] < ks[pos] {
                break;
            }
            idx[pos] = 0;
            pos += 1;
        }
    }
}

fn total(inst: &Instance, idx: &[usize], k: usize) -> i64 {
    idx.iter().enumerate().map(|(l, &c)| inst.cost[l][c][k]).sum()
}

fn within_budgets(inst: &Instance, idx: &[usize]) -> bool {
    inst.budgets.iter().all(|&(k, lim)| total(inst, idx, k) <= lim)
}

fn omega_of(inst: &Instance, idx: &[usize]) -> f64 {
    idx.iter().enumerate().map(|(l, &c)| inst.omega[l][c]).sum()
}

/// Brute-force optimum: Some(min ΣΩ) or None when infeasible.
fn brute_optimum(inst: &Instance) -> Option<f64> {
    allowed(inst)
        .into_iter()
        .filter(|idx| within_budgets(inst, idx))
        .map(|idx| omega_of(inst, &idx))
        .min_by(f64::total_cmp)
}

fn check_instance(seed: u64, inst: &Instance, algorithm: Algorithm) -> bool {
    let opts = SolveOptions { algorithm, ..SolveOptions::default() };
    let expected = brute_optimum(inst);
    let got = solve(&inst.problem, &opts);
    match (expected, got) {
        (Some(best), Ok(sol)) => {
            assert!(sol.proven_optimal, "seed {seed}: not proven optimal");
            let idx = sol.indices();
            assert!(allowed(inst).contains(&idx), "seed {seed}: selection {idx:?} breaks a tie or a fixed layer");
            assert!(within_budgets(inst, &idx), "seed {seed}: selection {idx:?} exceeds a budget");
            let own = omega_of(inst, &idx);
            assert!(
                (own - best).abs() <= 1e-9 * (1.0 + best.abs()),
                "seed {seed} {algorithm:?}: objective {own} but brute force finds {best}"
            );
            assert!((sol.objective - own).abs() <= 1e-9 * (1.0 + own.abs()));
            for &(k, _) in &inst.budgets {
                assert_eq!(sol.totals[COSTS[k]], total(inst, &idx, k) as f64);
            }
            false
        }
        (None, Err(Error::InfeasibleBudget { cost, budget, minimal })) => {
            // The named minimum is the brute-force minimum of that cost alone.
            let k = COSTS.iter().position(|c| *c == cost).unwrap();
            let min = allowed(inst).iter().map(|idx| total(inst, idx, k)).min().unwrap();
            assert_eq!(minimal, min as f64, "seed {seed}: wrong minimal total");
            assert!(minimal > budget, "seed {seed}");
            true
        }
        (None, Err(Error::InfeasibleCombination { .. })) => {
            // Each budget alone must be achievable, otherwise the error should
            // have named it.
            for &(k, lim) in &inst.budgets {
                let min = allowed(inst).iter().map(|idx| total(inst, idx, k)).min().unwrap();
                assert!(min <= lim, "seed {seed}: budget {} alone is infeasible", COSTS[k]);
            }
            true
        }
        (Some(best), Err(e)) => panic!("seed {seed}: solver says {e} but brute force finds {best}"),
        (None, Ok(sol)) => {
            panic!("seed {seed}: brute force finds nothing feasible but the solver returns {:?}", sol.indices())
        }
        (None, Err(e)) => panic!("seed {seed}: unexpected error {e}"),
    }
}

fn run_many(algorithm: Algorithm, seeds: std::ops::Range<u64>) {
    let (mut feasible, mut infeasible, mut with_ties, mut with_fixed, mut multi) = (0, 0, 0, 0, 0);
    for seed in seeds {
        let mut rng = StdRng::seed_from_u64(seed);
        let inst = random_instance(&mut rng);
        if check_instance(seed, &inst, algorithm) {
            infeasible += 1;
        } else {
            feasible += 1;
        }
        with_ties += usize::from(!inst.ties.is_empty());
        with_fixed += usize::from(!inst.fixed.is_empty());
        multi += usize::from(inst.budgets.len() >= 2);
    }
    // The generator must exercise every feature.
    assert!(feasible >= 100, "{feasible} feasible");
    assert!(infeasible >= 10, "{infeasible} infeasible");
    assert!(with_ties >= 20 && with_fixed >= 20 && multi >= 50);
}

#[test]
fn auto_matches_brute_force_on_400_instances() {
    run_many(Algorithm::Auto, 0..400);
}

#[test]
fn branch_and_bound_matches_brute_force_on_400_instances() {
    run_many(Algorithm::BranchAndBound, 1000..1400);
}

#[test]
fn microlp_matches_brute_force_on_200_instances() {
    run_many(Algorithm::Microlp, 2000..2200);
}

/// Brute-force front of (ΣΩ, cost k) over selections within the budgets.
fn brute_front(inst: &Instance, k: usize) -> Vec<(f64, f64)> {
    let mut pts: Vec<(f64, f64)> = allowed(inst)
        .into_iter()
        .filter(|idx| within_budgets(inst, idx))
        .map(|idx| (total(inst, &idx, k) as f64, omega_of(inst, &idx)))
        .collect();
    pts.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    let mut front: Vec<(f64, f64)> = Vec::new();
    for p in pts {
        if front.last().is_none_or(|l| p.1 < l.1) {
            front.push(p);
        }
    }
    front
}

#[test]
fn pareto_front_matches_brute_force_and_sweeps() {
    let mut checked = 0;
    for seed in 5000..5200_u64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let inst = random_instance(&mut rng);
        let k = rng.gen_range(0..3);
        let expected = brute_front(&inst, k);
        match pareto_front(&inst.problem, COSTS[k], &FrontOptions::default()) {
            Ok(front) => {
                let got: Vec<(f64, f64)> = front.points.iter().map(|p| (p.cost, p.objective)).collect();
                assert_eq!(got, expected, "seed {seed}");
                // Each point's selection reaches it.
                for p in &front.points {
                    let idx: Vec<usize> = p.choices.iter().map(|c| c.index).collect();
                    assert!(allowed(&inst).contains(&idx) && within_budgets(&inst, &idx));
                    assert_eq!(omega_of(&inst, &idx), p.objective);
                }
                // A sweep over the cost lands on the front.
                let lo = expected[0].0;
                let hi = expected.last().unwrap().0 + 3.0;
                let sw = Sweep { cost: COSTS[k].into(), start: lo - 2.0, stop: hi, step: ((hi - lo) / 7.0).max(1.0) };
                let mut restricted = inst.problem.clone();
                restricted.budgets.retain(|b| b.cost != COSTS[k]);
                let full = pareto_front(&restricted, COSTS[k], &FrontOptions::default()).unwrap();
                for pt in sweep(&inst.problem, &sw, &SolveOptions::default()).unwrap() {
                    match (full.best_within(pt.budget), &pt.solution) {
                        (Some(best), Some(sol)) => {
                            assert!((best.objective - sol.objective).abs() < 1e-9, "seed {seed}")
                        }
                        (None, None) => {}
                        (a, b) => panic!("seed {seed}: front {a:?} vs sweep {b:?}"),
                    }
                }
                checked += 1;
            }
            Err(Error::InfeasibleBudget { .. } | Error::InfeasibleCombination { .. }) => {
                assert!(expected.is_empty(), "seed {seed}");
            }
            Err(e) => panic!("seed {seed}: {e}"),
        }
    }
    assert!(checked >= 100, "{checked}");
}
