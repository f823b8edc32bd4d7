//! The microlp formulation: a binary `x_{g,i}` per remaining option,
//! `Σ_i x_{g,i} = 1` per group, and one `≤` row per binding budget, with each
//! budget row scaled by its residual room (coefficients in `[0, 1]`) and the
//! objective by its largest Ω. The answer is checked exactly before it is
//! returned.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use microlp::{ComparisonOp, OptimizationDirection, Problem as Lp, SolutionStatus, SolveOptions as LpOptions};

use crate::error::Error;
use crate::model::Shifted;

/// microlp's answer.
#[derive(Debug, Clone)]
pub(crate) struct MilpOutcome {
    /// Selection (option index per group) and its shifted ΣΩ, or `None` when
    /// microlp proved the problem infeasible.
    pub best: Option<(Vec<usize>, f64)>,
    /// Proven optimal (or proven infeasible when `best` is `None`).
    pub proven: bool,
    /// Branch-and-bound nodes microlp solved.
    pub nodes: u64,
}

/// Solves the problem restricted to the `alive` options of each group, with
/// an optional known selection as warm start.
pub(crate) fn solve(
    m: &Shifted,
    alive: &[Vec<usize>],
    warm: Option<&[usize]>,
    deadline: Option<Instant>,
) -> Result<MilpOutcome, Error> {
    let ng = m.groups();
    let nb = m.budgets();
    let s_omega = m.omega.iter().flatten().copied().fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let mut lp = Lp::new(OptimizationDirection::Minimize);
    let mut vars: Vec<Vec<(usize, microlp::Variable)>> = Vec::with_capacity(ng);
    let mut base = vec![0.0; nb];
    for (g, al) in alive.iter().enumerate() {
        if al.len() == 1 {
            let i = al[0];
            for (k, b) in base.iter_mut().enumerate() {
                *b += m.cost[g][i][k];
            }
            vars.push(Vec::new());
            continue;
        }
        let v: Vec<_> = al.iter().map(|&i| (i, lp.add_binary_var(m.omega[g][i] / s_omega))).collect();
        let row: Vec<_> = v.iter().map(|&(_, x)| (x, 1.0)).collect();
        lp.add_constraint(row.as_slice(), ComparisonOp::Eq, 1.0);
        vars.push(v);
    }
    for (k, &used) in base.iter().enumerate() {
        let room = m.resid[k] - used;
        let row: Vec<_> = vars
            .iter()
            .enumerate()
            .flat_map(|(g, v)| {
                v.iter().map(move |&(i, x)| (x, m.cost[g][i][k] / m.resid[k])).filter(|&(_, c)| c != 0.0)
            })
            .collect();
        if !row.is_empty() {
            lp.add_constraint(row.as_slice(), ComparisonOp::Le, room / m.resid[k]);
        }
    }
    let mut opts = LpOptions::default();
    opts.tolerances.feasibility = 1e-10;
    opts.time_limit = deadline.map(|d| d.saturating_duration_since(Instant::now()));
    if let Some(w) = warm {
        opts.warm_start = Some(
            vars.iter()
                .enumerate()
                .flat_map(|(g, v)| v.iter().map(move |&(i, x)| (x, if w[g] == i { 1.0 } else { 0.0 })))
                .collect(),
        );
    }
    let result =
        catch_unwind(AssertUnwindSafe(|| lp.solve_with(opts))).map_err(|_| Error::Solver("microlp panicked".into()))?;
    let outcome = match result {
        Ok(o) => o,
        Err(microlp::Error::Infeasible) => {
            return Ok(MilpOutcome { best: None, proven: true, nodes: 0 });
        }
        Err(e) => return Err(Error::Solver(e.to_string())),
    };
    let nodes = outcome.stats().nodes_solved;
    let Some(sol) = outcome.solution() else {
        return Ok(MilpOutcome { best: None, proven: false, nodes });
    };
    let mut sel = Vec::with_capacity(ng);
    for g in 0..ng {
        if vars[g].is_empty() {
            sel.push(alive[g][0]);
            continue;
        }
        let on: Vec<usize> = vars[g].iter().filter(|&&(_, x)| sol.var_value(x) > 0.5).map(|&(i, _)| i).collect();
        if on.len() != 1 {
            return Err(Error::Solver(format!("microlp chose {} options for group {g}", on.len())));
        }
        sel.push(on[0]);
    }
    if !m.feasible(&sel) {
        return Err(Error::Solver("microlp's selection exceeds a budget when checked exactly".into()));
    }
    let obj = m.objective(&sel);
    Ok(MilpOutcome { best: Some((sel, obj)), proven: sol.status() == SolutionStatus::Optimal, nodes })
}
