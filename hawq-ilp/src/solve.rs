//! The solve entry point: validate, presolve, bound, search, and report.

use std::collections::BTreeMap;
use std::time::Instant;

use crate::bnb::{self, Limits, Stop};
use crate::error::Error;
use crate::lagrange;
use crate::milp;
use crate::model::Shifted;
use crate::presolve::{self, Reduced, joint_infeasible_error};
use crate::problem::Problem;
use crate::solution::{Algorithm, Choice, Method, Solution, SolveOptions, SolveStats};

/// Node budget of the crate's search before `Algorithm::Auto` hands the
/// remaining problem to microlp.
const AUTO_NODE_BUDGET: u64 = 200_000;

/// Chooses one candidate per layer minimising ΣΩ within every budget.
///
/// Errors: any validation error of [`Problem::validate`];
/// [`Error::InfeasibleBudget`] naming the minimal achievable total when one
/// budget alone cannot be met; [`Error::InfeasibleCombination`] when the
/// budgets cannot be met together; [`Error::LimitReached`] when a limit
/// runs out before any feasible selection is found.
pub fn solve(problem: &Problem, options: &SolveOptions) -> Result<Solution, Error> {
    let start = Instant::now();
    let deadline = options.time_limit.map(|t| start + t);
    let red = presolve::presolve(problem)?;
    let model = Shifted::new(&red);
    let mut stats = SolveStats {
        groups: red.groups.len(),
        options_after_presolve: red.groups.iter().map(|g| g.opts.len()).sum(),
        removed_dominated: red.removed_dominated,
        removed_too_costly: red.removed_too_costly,
        ..SolveStats::default()
    };
    let trivial = model.budgets() == 0 || red.groups.iter().all(|g| g.opts.len() == 1);
    if trivial {
        // Every group takes its smallest Ω (cheapest among equals).
        let sel: Vec<usize> = (0..model.groups())
            .map(|g| {
                (0..model.omega[g].len())
                    .min_by(|&a, &b| {
                        model.omega[g][a].total_cmp(&model.omega[g][b]).then_with(|| {
                            let ca: f64 = model.cost[g][a].iter().sum();
                            let cb: f64 = model.cost[g][b].iter().sum();
                            ca.total_cmp(&cb)
                        })
                    })
                    .unwrap_or(0)
            })
            .collect();
        stats.lower_bound = model.offset + model.objective(&sel);
        return Ok(report(problem, &red, &sel, true, Method::Presolve, stats, start));
    }
    let lambda = lagrange::multipliers(&model);
    let (sel, proven, method) = match options.algorithm {
        Algorithm::Microlp => {
            let all: Vec<Vec<usize>> = (0..model.groups()).map(|g| (0..model.omega[g].len()).collect()).collect();
            stats.lower_bound = model.offset + lagrange::bound(&model, &lambda).0;
            let out = milp::solve(&model, &all, None, deadline)?;
            stats.nodes = out.nodes;
            match out.best {
                Some((sel, _)) => (sel, out.proven, Method::Microlp),
                None if out.proven => {
                    return Err(joint_infeasible_error(&red.budget_names, &red.minimal));
                }
                None => return Err(Error::LimitReached("microlp time limit".into())),
            }
        }
        Algorithm::Auto | Algorithm::BranchAndBound => {
            let user_nodes = options.node_limit.unwrap_or(u64::MAX);
            let nodes =
                if options.algorithm == Algorithm::Auto { user_nodes.min(AUTO_NODE_BUDGET) } else { user_nodes };
            let out = bnb::search(&model, &lambda, Limits { deadline, nodes });
            stats.nodes = out.nodes;
            stats.lower_bound = model.offset + out.lower_bound;
            stats.removed_by_reduced_cost = out.fixed;
            let hand_over = options.algorithm == Algorithm::Auto
                && out.stopped == Some(Stop::Nodes)
                && user_nodes > AUTO_NODE_BUDGET;
            if hand_over {
                let warm = out.best.as_ref().map(|b| b.0.as_slice());
                let m = milp::solve(&model, &out.alive, warm, deadline)?;
                stats.nodes += m.nodes;
                match (m.best, out.best) {
                    (Some((sel, obj)), prev) => {
                        // microlp searched the options reduced-cost fixing kept;
                        // the incumbent it was measured against is the fallback.
                        match prev {
                            Some((psel, pobj)) if pobj <= obj => (psel, m.proven, Method::Microlp),
                            _ => (sel, m.proven, Method::Microlp),
                        }
                    }
                    (None, Some((psel, _))) => (psel, m.proven, Method::Microlp),
                    (None, None) if m.proven => {
                        return Err(joint_infeasible_error(&red.budget_names, &red.minimal));
                    }
                    (None, None) => {
                        return Err(Error::LimitReached("time limit".into()));
                    }
                }
            } else {
                match out.best {
                    Some((sel, _)) => (sel, out.stopped.is_none(), Method::BranchAndBound),
                    None if out.stopped.is_none() => {
                        return Err(joint_infeasible_error(&red.budget_names, &red.minimal));
                    }
                    None => {
                        let why = match out.stopped {
                            Some(Stop::Time) => "time limit",
                            _ => "node limit",
                        };
                        return Err(Error::LimitReached(why.into()));
                    }
                }
            }
        }
    };
    Ok(report(problem, &red, &sel, proven, method, stats, start))
}

/// Builds the solution record from an option index per group.
fn report(
    problem: &Problem,
    red: &Reduced,
    sel: &[usize],
    proven: bool,
    method: Method,
    stats: SolveStats,
    start: Instant,
) -> Solution {
    let mut index = vec![0; problem.layers.len()];
    for (g, &i) in red.groups.iter().zip(sel) {
        for &l in &g.members {
            index[l] = g.opts[i].cand;
        }
    }
    let choices: Vec<Choice> = problem
        .layers
        .iter()
        .zip(&index)
        .map(|(layer, &i)| Choice { layer: layer.name.clone(), candidate: layer.candidates[i].label.clone(), index: i })
        .collect();
    let (objective, totals) = evaluate_indices(problem, &index);
    Solution {
        choices,
        objective,
        totals,
        solve_time_s: start.elapsed().as_secs_f64(),
        proven_optimal: proven,
        method,
        stats,
    }
}

/// ΣΩ and the total of every cost for a candidate index per layer (indices
/// already validated).
pub(crate) fn evaluate_indices(problem: &Problem, index: &[usize]) -> (f64, BTreeMap<String, f64>) {
    let mut objective = 0.0;
    let mut totals: BTreeMap<String, f64> = problem.cost_names().into_iter().map(|n| (n, 0.0)).collect();
    for (layer, &i) in problem.layers.iter().zip(index) {
        let c = &layer.candidates[i];
        objective += c.omega;
        for (name, v) in &c.costs {
            if let Some(t) = totals.get_mut(name) {
                *t += v;
            }
        }
    }
    (objective, totals)
}
