//! Pareto fronts of (ΣΩ, one cost): an exact front by dynamic programming over
//! the layers (merging non-dominated partial selections), and budget sweeps
//! that solve the ILP at evenly spaced budgets.

use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::presolve;
use crate::problem::{Problem, budget_tolerance};
use crate::solution::{Choice, Solution, SolveOptions};
use crate::solve::{evaluate_indices, solve};

/// One point of an exact Pareto front.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoPoint {
    /// Total of the front's cost.
    pub cost: f64,
    /// ΣΩ.
    pub objective: f64,
    /// A selection reaching it.
    pub choices: Vec<Choice>,
}

/// The exact front: points sorted by increasing cost and strictly decreasing ΣΩ.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParetoFront {
    /// The cost on the horizontal axis.
    pub cost: String,
    /// The non-dominated points.
    pub points: Vec<ParetoPoint>,
}

impl ParetoFront {
    /// The smallest ΣΩ reachable with the front's cost at most `budget`
    /// (within the budget tolerance), if any.
    pub fn best_within(&self, budget: f64) -> Option<&ParetoPoint> {
        let cap = budget + budget_tolerance(budget);
        self.points.iter().rev().find(|p| p.cost <= cap)
    }
}

/// Options of [`pareto_front`].
#[derive(Debug, Clone, PartialEq)]
pub struct FrontOptions {
    /// Largest number of partial selections kept after any layer; past it the
    /// computation stops with [`Error::FrontTooLarge`].
    pub max_labels: usize,
}

impl Default for FrontOptions {
    fn default() -> Self {
        FrontOptions { max_labels: 2_000_000 }
    }
}

/// The exact Pareto front of (ΣΩ, total of `cost`) over every selection that
/// meets the problem's budgets (a budget on `cost` itself truncates the
/// front), ties and fixed layers.
pub fn pareto_front(problem: &Problem, cost: &str, options: &FrontOptions) -> Result<ParetoFront, Error> {
    problem.check_cost_name(cost)?;
    let ix = problem.indexed()?;
    // Report budgets that cannot be met the same way a solve does.
    presolve::presolve_indexed(problem, &ix)?;
    let red_names: Vec<&str> = ix.budgets.iter().map(|&(k, _)| ix.cost_names[k].as_str()).collect();
    // Dimension 0 is the front's cost; then every budgeted cost.
    let mut dims: Vec<String> = vec![cost.to_string()];
    let mut caps: Vec<f64> = vec![f64::INFINITY];
    for (&(_, limit), name) in ix.budgets.iter().zip(&red_names) {
        let cap = limit + budget_tolerance(limit);
        if *name == cost {
            caps[0] = cap;
        } else {
            dims.push(name.to_string());
            caps.push(cap);
        }
    }
    let nd = dims.len();
    // Options per group: (candidate index, Ω, costs per dimension).
    let groups: Vec<Vec<(usize, f64, Vec<f64>)>> = ix
        .groups
        .iter()
        .zip(&ix.group_fixed)
        .map(|(members, fixed)| {
            let n = problem.layers[members[0]].candidates.len();
            let cands: Vec<usize> = match fixed {
                Some(c) => vec![*c],
                None => (0..n).collect(),
            };
            cands
                .into_iter()
                .map(|c| {
                    let mut omega = 0.0;
                    let mut v = vec![0.0; nd];
                    for &l in members {
                        let cand = &problem.layers[l].candidates[c];
                        omega += cand.omega;
                        for (d, name) in dims.iter().enumerate() {
                            v[d] += cand.costs[name];
                        }
                    }
                    (c, omega, v)
                })
                .collect()
        })
        .collect();
    // Cheapest completion of each dimension after group g.
    let ng = groups.len();
    let mut rest = vec![vec![0.0; nd]; ng + 1];
    for g in (0..ng).rev() {
        let after = rest[g + 1].clone();
        for (d, slot) in rest[g].iter_mut().enumerate() {
            let lo = groups[g].iter().map(|o| o.2[d]).fold(f64::INFINITY, f64::min);
            *slot = after[d] + lo;
        }
    }
    // Labels: (Ω, costs); back-pointers per stage: (parent label, option).
    let mut labels: Vec<(f64, Vec<f64>)> = vec![(0.0, vec![0.0; nd])];
    let mut back: Vec<Vec<(usize, usize)>> = Vec::with_capacity(ng);
    for g in 0..ng {
        let mut next: Vec<(f64, Vec<f64>, usize, usize)> = Vec::new();
        for (p, (om, cs)) in labels.iter().enumerate() {
            for (o, (_, oo, oc)) in groups[g].iter().enumerate() {
                let c: Vec<f64> = cs.iter().zip(oc).map(|(a, b)| a + b).collect();
                if (0..nd).any(|d| c[d] + rest[g + 1][d] > caps[d]) {
                    continue;
                }
                next.push((om + oo, c, p, o));
            }
        }
        let next = non_dominated(next);
        if next.len() > options.max_labels {
            return Err(Error::FrontTooLarge {
                cap: options.max_labels,
                layer: problem.layers[ix.groups[g][0]].name.clone(),
            });
        }
        back.push(next.iter().map(|l| (l.2, l.3)).collect());
        labels = next.into_iter().map(|l| (l.0, l.1)).collect();
    }
    if labels.is_empty() {
        let minimal = presolve::minimal_totals(&presolve::presolve_indexed(problem, &ix)?.groups, red_names.len());
        let names: Vec<String> = red_names.iter().map(|s| s.to_string()).collect();
        return Err(presolve::joint_infeasible_error(&names, &minimal));
    }
    // Final 2-D front in (cost, Ω).
    let mut order: Vec<usize> = (0..labels.len()).collect();
    order.sort_by(|&a, &b| labels[a].1[0].total_cmp(&labels[b].1[0]).then(labels[a].0.total_cmp(&labels[b].0)));
    let mut points = Vec::new();
    let mut best = f64::INFINITY;
    for li in order {
        if labels[li].0 >= best {
            continue;
        }
        best = labels[li].0;
        // Walk back to the selection.
        let mut index = vec![0; problem.layers.len()];
        let mut cur = li;
        for g in (0..ng).rev() {
            let (parent, o) = back[g][cur];
            for &l in &ix.groups[g] {
                index[l] = groups[g][o].0;
            }
            cur = parent;
        }
        let (objective, totals) = evaluate_indices(problem, &index);
        let choices = problem
            .layers
            .iter()
            .zip(&index)
            .map(|(layer, &i)| Choice {
                layer: layer.name.clone(),
                candidate: layer.candidates[i].label.clone(),
                index: i,
            })
            .collect();
        points.push(ParetoPoint { cost: totals[cost], objective, choices });
    }
    Ok(ParetoFront { cost: cost.to_string(), points })
}

/// Keeps the labels no other label matches or beats in Ω and every cost
/// (one of each group of equal labels).
fn non_dominated(mut v: Vec<(f64, Vec<f64>, usize, usize)>) -> Vec<(f64, Vec<f64>, usize, usize)> {
    // Sort by Ω then costs: a label can only be dominated by an earlier one.
    v.sort_by(|a, b| {
        a.0.total_cmp(&b.0).then_with(|| {
            a.1.iter().zip(&b.1).map(|(x, y)| x.total_cmp(y)).find(|o| o.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
        })
    });
    if v.first().is_some_and(|l| l.1.len() == 1) {
        // One cost: keep the strictly decreasing staircase.
        let mut out: Vec<(f64, Vec<f64>, usize, usize)> = Vec::new();
        let mut lowest = f64::INFINITY;
        for l in v {
            if l.1[0] < lowest {
                lowest = l.1[0];
                out.push(l);
            }
        }
        return out;
    }
    let mut out: Vec<(f64, Vec<f64>, usize, usize)> = Vec::new();
    for l in v {
        let dominated = out.iter().any(|k| k.0 <= l.0 && k.1.iter().zip(&l.1).all(|(a, b)| a <= b));
        if !dominated {
            out.push(l);
        }
    }
    out
}

/// A budget sweep `cost=start:stop:step` (for example `bops=250000:550000:50000`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// The swept cost.
    pub cost: String,
    /// First budget.
    pub start: f64,
    /// Last budget (included when the steps land on it).
    pub stop: f64,
    /// Increment, positive.
    pub step: f64,
}

impl Sweep {
    /// The budgets of the sweep, `start, start + step, …, ≤ stop`.
    pub fn values(&self) -> Vec<f64> {
        let n = ((self.stop - self.start) / self.step + 1e-9).floor() as usize;
        (0..=n).map(|i| self.start + i as f64 * self.step).collect()
    }

    fn check(&self, spec: &str) -> Result<(), Error> {
        let bad = |reason: &str| Error::InvalidSweep { spec: spec.to_string(), reason: reason.to_string() };
        if !(self.start.is_finite() && self.stop.is_finite() && self.step.is_finite()) {
            return Err(bad("start, stop and step must be finite numbers"));
        }
        if self.step <= 0.0 {
            return Err(bad("step must be positive"));
        }
        if self.stop < self.start {
            return Err(bad("stop is below start"));
        }
        if (self.stop - self.start) / self.step > 1e6 {
            return Err(bad("more than a million budgets"));
        }
        Ok(())
    }
}

impl FromStr for Sweep {
    type Err = Error;

    fn from_str(spec: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::InvalidSweep { spec: spec.to_string(), reason: reason.to_string() };
        let (cost, range) = spec.split_once('=').ok_or_else(|| bad("expected cost=start:stop:step"))?;
        let parts: Vec<&str> = range.split(':').collect();
        if parts.len() != 3 || cost.trim().is_empty() {
            return Err(bad("expected cost=start:stop:step"));
        }
        let num = |s: &str| s.trim().parse::<f64>().map_err(|_| bad(&format!("`{s}` is not a number")));
        let sweep =
            Sweep { cost: cost.trim().to_string(), start: num(parts[0])?, stop: num(parts[1])?, step: num(parts[2])? };
        sweep.check(spec)?;
        Ok(sweep)
    }
}

/// The result at one budget of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The budget on the swept cost.
    pub budget: f64,
    /// The optimal selection, or `None` when the budget cannot be met.
    pub solution: Option<Solution>,
    /// Why there is no solution (the infeasibility message).
    pub error: Option<String>,
}

/// Solves the problem at each budget of the sweep (the problem's other
/// budgets stay; a budget on the swept cost is replaced). Infeasible budgets
/// are reported in their point; any other error stops the sweep.
pub fn sweep(problem: &Problem, sweep: &Sweep, options: &SolveOptions) -> Result<Vec<SweepPoint>, Error> {
    sweep.check(&format!("{}={}:{}:{}", sweep.cost, sweep.start, sweep.stop, sweep.step))?;
    problem.check_cost_name(&sweep.cost)?;
    let mut p = problem.clone();
    p.budgets.retain(|b| b.cost != sweep.cost);
    let mut out = Vec::new();
    for budget in sweep.values() {
        p.budgets.push(crate::Budget::new(sweep.cost.clone(), budget));
        let point = match solve(&p, options) {
            Ok(s) => SweepPoint { budget, solution: Some(s), error: None },
            Err(e @ (Error::InfeasibleBudget { .. } | Error::InfeasibleCombination { .. })) => {
                SweepPoint { budget, solution: None, error: Some(e.to_string()) }
            }
            Err(e) => return Err(e),
        };
        p.budgets.pop();
        out.push(point);
    }
    Ok(out)
}
