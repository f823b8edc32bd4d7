//! The shifted numeric model the exact searches work on: per group, Ω and the
//! binding costs minus the group's minimum, and each budget's residual room.

use crate::presolve::Reduced;

/// Presolved groups with per-group minima subtracted.
#[derive(Debug, Clone)]
pub(crate) struct Shifted {
    /// `omega[g][i]`: Ω of option i minus the group's smallest Ω (≥ 0).
    pub omega: Vec<Vec<f64>>,
    /// `cost[g][i][k]`: cost k of option i minus the group's smallest (≥ 0),
    /// for the binding budgets only.
    pub cost: Vec<Vec<Vec<f64>>>,
    /// Room left in budget k (tolerance included) once every group pays its minimum.
    pub resid: Vec<f64>,
    /// Σ over groups of the smallest Ω.
    pub offset: f64,
    /// Σ over groups of the largest |Ω|: the scale of the objective's round-off.
    pub scale: f64,
}

impl Shifted {
    /// Builds the shifted model; budgets that can never bind are left out.
    pub fn new(red: &Reduced) -> Shifted {
        let nb = red.cap.len();
        let mins = crate::presolve::minimal_totals(&red.groups, nb);
        let mut active = Vec::new();
        for (k, &least) in mins.iter().enumerate() {
            let resid = red.cap[k] - least;
            let max_total: f64 = red
                .groups
                .iter()
                .map(|g| {
                    let lo = g.opts.iter().map(|o| o.cost[k]).fold(f64::INFINITY, f64::min);
                    g.opts.iter().map(|o| o.cost[k] - lo).fold(0.0, f64::max)
                })
                .sum();
            if max_total > resid {
                active.push((k, resid));
            }
        }
        let mut omega = Vec::new();
        let mut cost = Vec::new();
        let mut offset = 0.0;
        let mut scale = 0.0;
        for g in &red.groups {
            let lo = g.opts.iter().map(|o| o.omega).fold(f64::INFINITY, f64::min);
            offset += lo;
            scale += g.opts.iter().map(|o| o.omega.abs()).fold(0.0, f64::max);
            omega.push(g.opts.iter().map(|o| o.omega - lo).collect());
            let clo: Vec<f64> =
                active.iter().map(|&(k, _)| g.opts.iter().map(|o| o.cost[k]).fold(f64::INFINITY, f64::min)).collect();
            cost.push(
                g.opts.iter().map(|o| active.iter().zip(&clo).map(|(&(k, _), lo)| o.cost[k] - lo).collect()).collect(),
            );
        }
        Shifted { omega, cost, resid: active.iter().map(|&(_, r)| r).collect(), offset, scale }
    }

    /// Number of groups.
    pub fn groups(&self) -> usize {
        self.omega.len()
    }

    /// Number of binding budgets.
    pub fn budgets(&self) -> usize {
        self.resid.len()
    }

    /// Whether a selection (option per group) meets every budget.
    pub fn feasible(&self, sel: &[usize]) -> bool {
        (0..self.budgets()).all(|k| {
            let used: f64 = sel.iter().enumerate().map(|(g, &i)| self.cost[g][i][k]).sum();
            used <= self.resid[k]
        })
    }

    /// Σ shifted Ω of a selection.
    pub fn objective(&self, sel: &[usize]) -> f64 {
        sel.iter().enumerate().map(|(g, &i)| self.omega[g][i]).sum()
    }
}
