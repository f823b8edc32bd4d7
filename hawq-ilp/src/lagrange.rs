//! Lagrangian lower bounds: relaxing the budgets with multipliers λ ≥ 0 gives
//! `L(λ) = Σ_g min_i (Ω_gi + λ·c_gi) − λ·R ≤ ΣΩ` of every selection within
//! the budgets. The best λ (the LP relaxation's duals) comes from solving the
//! LP dual with microlp; any λ ≥ 0 gives a valid bound, so the bound stays
//! exact even when the LP is solved inexactly.

use std::panic::{AssertUnwindSafe, catch_unwind};

use microlp::{ComparisonOp, OptimizationDirection, Problem as Lp};

use crate::model::Shifted;

/// Coefficients below this (relative to the row's largest, 1) are dropped from
/// the dual LP, to keep it within microlp's recommended range. This only
/// weakens λ, never the validity of the bound.
const TINY: f64 = 1e-7;

/// The bound at λ: `(L(λ), r)` with `r[g][i] = Ω_gi + λ·c_gi − min_i(…)`,
/// the reduced cost of each option (≥ 0).
pub(crate) fn bound(m: &Shifted, lambda: &[f64]) -> (f64, Vec<Vec<f64>>) {
    let mut lb: f64 = -lambda.iter().zip(&m.resid).map(|(l, r)| l * r).sum::<f64>();
    let mut reduced = Vec::with_capacity(m.groups());
    for g in 0..m.groups() {
        let v: Vec<f64> = m.omega[g]
            .iter()
            .zip(&m.cost[g])
            .map(|(o, c)| o + lambda.iter().zip(c).map(|(l, c)| l * c).sum::<f64>())
            .collect();
        let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
        lb += lo;
        reduced.push(v.into_iter().map(|x| x - lo).collect());
    }
    (lb, reduced)
}

/// Multipliers λ ≥ 0 (one per binding budget) maximising the bound: the duals
/// of the LP relaxation, from microlp; projected subgradient ascent if the LP
/// solve fails.
pub(crate) fn multipliers(m: &Shifted) -> Vec<f64> {
    if m.budgets() == 0 {
        return Vec::new();
    }
    let s_omega = m.omega.iter().flatten().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let from_lp = catch_unwind(AssertUnwindSafe(|| dual_lp(m, s_omega))).ok().flatten();
    let scaled = match from_lp {
        Some(mu) => mu,
        None => subgradient(m, s_omega),
    };
    scaled.iter().zip(&m.resid).map(|(mu, r)| (mu * s_omega / r).max(0.0)).collect()
}

/// Scaled costs `c / R_k` in `[0, 1]`.
fn scaled_cost(m: &Shifted, g: usize, i: usize, k: usize) -> f64 {
    let c = m.cost[g][i][k] / m.resid[k];
    if c < TINY { 0.0 } else { c }
}

/// Solves `max Σ_g u_g − Σ_k μ_k  s.t.  u_g − Σ_k c̃_gik μ_k ≤ Ω̃_gi, μ ≥ 0`
/// (costs scaled by the residual budgets, Ω by its largest value).
fn dual_lp(m: &Shifted, s_omega: f64) -> Option<Vec<f64>> {
    let mut lp = Lp::new(OptimizationDirection::Maximize);
    let u: Vec<_> = (0..m.groups()).map(|_| lp.add_var(1.0, (f64::NEG_INFINITY, f64::INFINITY))).collect();
    let mu: Vec<_> = (0..m.budgets()).map(|_| lp.add_var(-1.0, (0.0, f64::INFINITY))).collect();
    for (g, &ug) in u.iter().enumerate() {
        for i in 0..m.omega[g].len() {
            let mut row = vec![(ug, 1.0)];
            for (k, &v) in mu.iter().enumerate() {
                let c = scaled_cost(m, g, i, k);
                if c != 0.0 {
                    row.push((v, -c));
                }
            }
            lp.add_constraint(row.as_slice(), ComparisonOp::Le, m.omega[g][i] / s_omega);
        }
    }
    let sol = lp.solve().ok()?.into_solution().ok()?;
    Some(mu.iter().map(|&v| sol.var_value(v).max(0.0)).collect())
}

/// Projected subgradient ascent on the scaled dual, keeping the best point.
fn subgradient(m: &Shifted, s_omega: f64) -> Vec<f64> {
    let nb = m.budgets();
    let eval = |mu: &[f64]| -> (f64, Vec<f64>) {
        let mut val = -mu.iter().sum::<f64>();
        let mut grad = vec![-1.0; nb];
        for g in 0..m.groups() {
            let mut best = (f64::INFINITY, 0);
            for i in 0..m.omega[g].len() {
                let v = m.omega[g][i] / s_omega + (0..nb).map(|k| mu[k] * scaled_cost(m, g, i, k)).sum::<f64>();
                if v < best.0 {
                    best = (v, i);
                }
            }
            val += best.0;
            for (k, gk) in grad.iter_mut().enumerate() {
                *gk += scaled_cost(m, g, best.1, k);
            }
        }
        (val, grad)
    };
    let mut mu = vec![0.0; nb];
    let (mut best_val, _) = eval(&mu);
    let mut best = mu.clone();
    let mut step = 1.0 / m.groups().max(1) as f64;
    for it in 0..500 {
        let (val, grad) = eval(&mu);
        if val > best_val {
            best_val = val;
            best = mu.clone();
        }
        let norm: f64 = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
        if norm == 0.0 {
            break;
        }
        for k in 0..nb {
            mu[k] = (mu[k] + step * grad[k] / norm).max(0.0);
        }
        if it % 50 == 49 {
            step *= 0.5;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presolve::presolve;
    use crate::{Candidate, Layer, Problem};

    fn knapsack() -> Shifted {
        let layer = |n: &str| {
            Layer::new(n)
                .candidate(Candidate::new("lo", 10.0).cost("b", 1.0))
                .candidate(Candidate::new("mid", 4.0).cost("b", 2.0))
                .candidate(Candidate::new("hi", 1.0).cost("b", 4.0))
        };
        let p = Problem::new().layer(layer("a")).layer(layer("b")).layer(layer("c")).budget("b", 7.0);
        Shifted::new(&presolve(&p).unwrap())
    }

    #[test]
    fn lp_bound_is_below_optimum_and_tight_enough() {
        let m = knapsack();
        let lambda = multipliers(&m);
        let (lb, r) = bound(&m, &lambda);
        // Optimum: two `mid` and one `hi`... costs 2+2+... enumerate by hand:
        // budget 7 → mid,mid,lo (5) Ω 18 / hi,mid,lo (7) Ω 15 / mid,mid,mid (6) Ω 12.
        // Shifted Ω subtracts 1 per group: 12 − 3 = 9.
        assert!(lb <= 9.0 + 1e-9, "lb = {lb}");
        assert!(lb > 7.0, "lb = {lb}");
        assert!(r.iter().flatten().all(|&x| x >= 0.0));
        // The subgradient fallback gives a valid bound too.
        let mu = subgradient(&m, 9.0);
        let lam: Vec<f64> = mu.iter().zip(&m.resid).map(|(u, r)| u * 9.0 / r).collect();
        assert!(bound(&m, &lam).0 <= 9.0 + 1e-9);
    }
}
