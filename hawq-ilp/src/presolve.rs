//! Presolve: merge tied layers into groups, apply fixed layers, detect a
//! budget that cannot be met, drop candidates that cost more than a budget
//! leaves room for, and drop dominated candidates.

use crate::error::Error;
use crate::problem::{Indexed, Problem, budget_tolerance};

/// One option of a group: a candidate index taken by every member layer.
#[derive(Debug, Clone)]
pub(crate) struct Opt {
    /// Candidate index within each member layer.
    pub cand: usize,
    /// Σ Ω over the member layers.
    pub omega: f64,
    /// Σ cost over the member layers, one per budget.
    pub cost: Vec<f64>,
}

/// A tie group (a single layer when untied) and its remaining options.
#[derive(Debug, Clone)]
pub(crate) struct Group {
    /// Layer indices.
    pub members: Vec<usize>,
    /// Remaining options.
    pub opts: Vec<Opt>,
}

/// The presolved model.
#[derive(Debug, Clone)]
pub(crate) struct Reduced {
    /// Groups and their options.
    pub groups: Vec<Group>,
    /// Name of each budgeted cost.
    pub budget_names: Vec<String>,
    /// Budget limit plus its tolerance: a total ≤ `cap` is within budget.
    pub cap: Vec<f64>,
    /// The smallest total of each budgeted cost any allowed selection reaches
    /// (each budget alone).
    pub minimal: Vec<f64>,
    /// Options removed because another is no worse in Ω and in every budgeted cost.
    pub removed_dominated: usize,
    /// Options removed because their cost alone leaves no room for the other layers.
    pub removed_too_costly: usize,
}

/// Presolves `problem` (validating it first).
pub(crate) fn presolve(problem: &Problem) -> Result<Reduced, Error> {
    presolve_indexed(problem, &problem.indexed()?)
}

pub(crate) fn presolve_indexed(problem: &Problem, ix: &Indexed) -> Result<Reduced, Error> {
    let budget_names: Vec<String> = ix.budgets.iter().map(|&(k, _)| ix.cost_names[k].clone()).collect();
    let limits: Vec<f64> = ix.budgets.iter().map(|&(_, l)| l).collect();
    let cap: Vec<f64> = limits.iter().map(|&l| l + budget_tolerance(l)).collect();
    let mut groups = Vec::with_capacity(ix.groups.len());
    for (members, fixed) in ix.groups.iter().zip(&ix.group_fixed) {
        let first = &problem.layers[members[0]];
        let cands: Vec<usize> = match fixed {
            Some(c) => vec![*c],
            None => (0..first.candidates.len()).collect(),
        };
        let opts = cands
            .into_iter()
            .map(|c| {
                let mut omega = 0.0;
                let mut cost = vec![0.0; ix.budgets.len()];
                for &l in members {
                    let cand = &problem.layers[l].candidates[c];
                    omega += cand.omega;
                    for (j, &(k, _)) in ix.budgets.iter().enumerate() {
                        cost[j] += cand.costs[&ix.cost_names[k]];
                    }
                }
                Opt { cand: c, omega, cost }
            })
            .collect();
        groups.push(Group { members: members.clone(), opts });
    }
    // A budget that cannot be met on its own.
    let minimal = minimal_totals(&groups, budget_names.len());
    for j in 0..budget_names.len() {
        if minimal[j] > cap[j] {
            return Err(Error::InfeasibleBudget {
                cost: budget_names[j].clone(),
                budget: limits[j],
                minimal: minimal[j],
            });
        }
    }
    let joint_infeasible = || joint_infeasible_error(&budget_names, &minimal);
    // Options whose cost leaves the other groups no room; repeat until stable,
    // since removing one can raise a group's minimum of another cost.
    let mut removed_too_costly = 0;
    loop {
        let mins = minimal_totals(&groups, budget_names.len());
        if mins.iter().zip(&cap).any(|(m, c)| m > c) {
            return Err(joint_infeasible());
        }
        let mut changed = false;
        for g in &mut groups {
            let gmin: Vec<f64> =
                (0..cap.len()).map(|j| g.opts.iter().map(|o| o.cost[j]).fold(f64::INFINITY, f64::min)).collect();
            let before = g.opts.len();
            g.opts.retain(|o| (0..cap.len()).all(|j| mins[j] - gmin[j] + o.cost[j] <= cap[j]));
            if g.opts.is_empty() {
                return Err(joint_infeasible());
            }
            if g.opts.len() != before {
                removed_too_costly += before - g.opts.len();
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Dominance: drop an option when another is no worse in Ω and every
    // budgeted cost (among equals, keep the lowest candidate index).
    let mut removed_dominated = 0;
    for g in &mut groups {
        let n = g.opts.len();
        let mut keep = vec![true; n];
        for a in 0..n {
            for b in 0..n {
                if a == b || !keep[b] {
                    continue;
                }
                let (oa, ob) = (&g.opts[a], &g.opts[b]);
                let no_worse = ob.omega <= oa.omega && oa.cost.iter().zip(&ob.cost).all(|(ca, cb)| cb <= ca);
                let strictly = ob.omega < oa.omega || oa.cost.iter().zip(&ob.cost).any(|(ca, cb)| cb < ca);
                if no_worse && (strictly || b < a) {
                    keep[a] = false;
                    break;
                }
            }
        }
        let mut i = 0;
        g.opts.retain(|_| {
            i += 1;
            keep[i - 1]
        });
        removed_dominated += n - g.opts.len();
    }
    Ok(Reduced { groups, budget_names, cap, minimal, removed_dominated, removed_too_costly })
}

/// The error for budgets that cannot be met together.
pub(crate) fn joint_infeasible_error(names: &[String], minimal: &[f64]) -> Error {
    Error::InfeasibleCombination {
        minimal: names.iter().zip(minimal).map(|(n, m)| format!("{n}={m}")).collect::<Vec<_>>().join(", "),
    }
}

/// Σ over groups of each group's cheapest option, per budget.
pub(crate) fn minimal_totals(groups: &[Group], nb: usize) -> Vec<f64> {
    (0..nb)
        .map(|j| groups.iter().map(|g| g.opts.iter().map(|o| o.cost[j]).fold(f64::INFINITY, f64::min)).sum())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Candidate, Layer};

    #[test]
    fn dominated_and_costly_are_removed() {
        let p = Problem::new()
            .layer(
                Layer::new("a")
                    .candidate(Candidate::new("cheap", 3.0).cost("bops", 1.0))
                    .candidate(Candidate::new("dominated", 4.0).cost("bops", 2.0))
                    .candidate(Candidate::new("good", 1.0).cost("bops", 3.0))
                    .candidate(Candidate::new("huge", 0.0).cost("bops", 100.0)),
            )
            .layer(Layer::new("b").candidate(Candidate::new("only", 0.0).cost("bops", 1.0)))
            .budget("bops", 5.0);
        let r = presolve(&p).unwrap();
        let cands: Vec<usize> = r.groups[0].opts.iter().map(|o| o.cand).collect();
        assert_eq!(cands, vec![0, 2]);
        assert_eq!(r.removed_dominated, 1);
        assert_eq!(r.removed_too_costly, 1);
    }

    #[test]
    fn infeasible_budget_names_minimum() {
        let p = Problem::new()
            .layer(
                Layer::new("a")
                    .candidate(Candidate::new("x", 0.0).cost("bops", 7.0))
                    .candidate(Candidate::new("y", 0.0).cost("bops", 9.0)),
            )
            .layer(Layer::new("b").candidate(Candidate::new("z", 0.0).cost("bops", 4.0)))
            .budget("bops", 10.0);
        let err = presolve(&p).unwrap_err();
        assert_eq!(err, Error::InfeasibleBudget { cost: "bops".into(), budget: 10.0, minimal: 11.0 });
        assert!(err.to_string().contains("minimal achievable total is 11"));
    }
}
