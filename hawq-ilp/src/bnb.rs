//! The crate's exact branch and bound over the multiple-choice knapsack:
//! a greedy incumbent, reduced-cost fixing against the Lagrangian bound, and
//! a depth-first search whose nodes are bounded by the same Lagrangian bound
//! and by the cheapest completion of every budget.

use std::time::Instant;

use crate::lagrange;
use crate::model::Shifted;

/// Why a search stopped before finishing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The caller's time limit.
    Time,
    /// The node limit.
    Nodes,
}

/// Search limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Deadline.
    pub deadline: Option<Instant>,
    /// Node budget.
    pub nodes: u64,
}

/// The outcome of a search.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    /// Best selection found (option index per group) and its shifted ΣΩ.
    pub best: Option<(Vec<usize>, f64)>,
    /// `None` when the search finished: `best` is then optimal (or the
    /// problem infeasible when `best` is `None`).
    pub stopped: Option<Stop>,
    /// Nodes visited.
    pub nodes: u64,
    /// The Lagrangian lower bound (shifted units).
    pub lower_bound: f64,
    /// Options still alive after reduced-cost fixing, per group.
    pub alive: Vec<Vec<usize>>,
    /// Options removed by reduced-cost fixing.
    pub fixed: usize,
}

/// Allowed gap below which two objectives count as equal.
pub(crate) fn epsilon(m: &Shifted) -> f64 {
    1e-10 * m.scale.max(f64::MIN_POSITIVE)
}

/// Runs the search with multipliers `lambda`.
pub(crate) fn search(m: &Shifted, lambda: &[f64], limits: Limits) -> Outcome {
    let ng = m.groups();
    let nb = m.budgets();
    let (lb, r) = lagrange::bound(m, lambda);
    let eps = epsilon(m);
    let mut best = greedy(m, &r);
    let mut ub = best.as_ref().map_or(f64::INFINITY, |b| b.1);
    let all: Vec<Vec<usize>> = (0..ng).map(|g| (0..m.omega[g].len()).collect()).collect();
    if lb >= ub - eps {
        return Outcome { best, stopped: None, nodes: 0, lower_bound: lb, alive: all, fixed: 0 };
    }
    // Reduced-cost fixing: an option whose reduced cost alone lifts the bound
    // to the incumbent cannot be in a better selection.
    let mut fixed = 0;
    let alive: Vec<Vec<usize>> = (0..ng)
        .map(|g| {
            let mut keep: Vec<usize> = (0..m.omega[g].len()).filter(|&i| lb + r[g][i] < ub - eps).collect();
            if keep.is_empty() {
                // Only when no better selection exists through this group;
                // keep the cheapest-Ω option so the search still has a path.
                keep.push((0..m.omega[g].len()).min_by(|&a, &b| r[g][a].total_cmp(&r[g][b])).unwrap_or(0));
            }
            fixed += m.omega[g].len() - keep.len();
            keep.sort_by(|&a, &b| r[g][a].total_cmp(&r[g][b]));
            keep
        })
        .collect();
    // Groups left with one option are decided.
    let mut base_used = vec![0.0; nb];
    let mut base_r = 0.0;
    let mut base_omega = 0.0;
    let mut order: Vec<usize> = Vec::new();
    for g in 0..ng {
        if alive[g].len() == 1 {
            let i = alive[g][0];
            for (k, u) in base_used.iter_mut().enumerate() {
                *u += m.cost[g][i][k];
            }
            base_r += r[g][i];
            base_omega += m.omega[g][i];
        } else {
            order.push(g);
        }
    }
    // Branch first on the groups whose choice moves the budgets most.
    let spread = |g: usize| -> f64 {
        (0..nb)
            .map(|k| {
                let (lo, hi) = alive[g]
                    .iter()
                    .fold((f64::INFINITY, 0.0_f64), |(lo, hi), &i| (lo.min(m.cost[g][i][k]), hi.max(m.cost[g][i][k])));
                (hi - lo) / m.resid[k].max(f64::MIN_POSITIVE)
            })
            .fold(0.0, f64::max)
    };
    order.sort_by(|&a, &b| spread(b).total_cmp(&spread(a)));
    let depth = order.len();
    // Suffix sums over the branching order.
    let mut smin = vec![vec![0.0; nb]; depth + 1];
    let mut sfirst = vec![vec![0.0; nb]; depth + 1];
    let mut sfirst_r = vec![0.0; depth + 1];
    let mut sfirst_omega = vec![0.0; depth + 1];
    for d in (0..depth).rev() {
        let g = order[d];
        let first = alive[g][0];
        for k in 0..nb {
            let lo = alive[g].iter().map(|&i| m.cost[g][i][k]).fold(f64::INFINITY, f64::min);
            smin[d][k] = smin[d + 1][k] + lo;
            sfirst[d][k] = sfirst[d + 1][k] + m.cost[g][first][k];
        }
        sfirst_r[d] = sfirst_r[d + 1] + r[g][first];
        sfirst_omega[d] = sfirst_omega[d + 1] + m.omega[g][first];
    }
    let mut s = Search {
        m,
        r: &r,
        alive: &alive,
        order: &order,
        smin,
        sfirst,
        sfirst_r,
        sfirst_omega,
        lb,
        eps,
        ub,
        best_path: None,
        path: vec![0; depth],
        used: vec![base_used; depth + 1],
        nodes: 0,
        limits,
        stopped: None,
    };
    s.dfs(0, base_r, base_omega);
    let nodes = s.nodes;
    let stopped = s.stopped;
    if let Some(path) = s.best_path {
        ub = s.ub;
        let mut sel: Vec<usize> = alive.iter().map(|a| a[0]).collect();
        for (d, &g) in order.iter().enumerate() {
            sel[g] = alive[g][path[d]];
        }
        best = Some((sel, ub));
    }
    let mut stopped = stopped;
    let mut alive = alive;
    if stopped.is_some() && ub.is_finite() {
        // Fix again against the improved incumbent, for whoever continues.
        for (g, a) in alive.iter_mut().enumerate() {
            let before = a.len();
            a.retain(|&i| lb + r[g][i] < ub - eps);
            fixed += before - a.len();
        }
        if alive.iter().any(Vec::is_empty) {
            // Some group has no option that could lead below the incumbent.
            stopped = None;
        }
    }
    Outcome { best, stopped, nodes, lower_bound: lb, alive, fixed }
}

struct Search<'a> {
    m: &'a Shifted,
    r: &'a [Vec<f64>],
    alive: &'a [Vec<usize>],
    order: &'a [usize],
    /// Σ over the groups from depth d on of their cheapest alive cost k.
    smin: Vec<Vec<f64>>,
    /// Σ of cost k of each remaining group's first (least reduced cost) option.
    sfirst: Vec<Vec<f64>>,
    /// Σ of those options' reduced costs.
    sfirst_r: Vec<f64>,
    /// Σ of those options' Ω.
    sfirst_omega: Vec<f64>,
    lb: f64,
    eps: f64,
    ub: f64,
    /// Position (within `alive`) chosen per depth, for the best selection.
    best_path: Option<Vec<usize>>,
    path: Vec<usize>,
    /// Cost used by the decided groups, per depth.
    used: Vec<Vec<f64>>,
    nodes: u64,
    limits: Limits,
    stopped: Option<Stop>,
}

impl Search<'_> {
    fn dfs(&mut self, d: usize, rsum: f64, osum: f64) {
        if self.stopped.is_some() {
            return;
        }
        self.nodes += 1;
        if self.nodes >= self.limits.nodes {
            self.stopped = Some(Stop::Nodes);
            return;
        }
        if self.nodes.is_multiple_of(4096)
            && let Some(t) = self.limits.deadline
            && Instant::now() >= t
        {
            self.stopped = Some(Stop::Time);
            return;
        }
        let bound = self.lb + rsum + self.sfirst_r[d];
        if bound >= self.ub - self.eps {
            return;
        }
        let nb = self.m.budgets();
        if (0..nb).any(|k| self.used[d][k] + self.smin[d][k] > self.m.resid[k]) {
            return;
        }
        if (0..nb).all(|k| self.used[d][k] + self.sfirst[d][k] <= self.m.resid[k]) {
            // Completing with every remaining group's first option is feasible.
            let value = osum + self.sfirst_omega[d];
            if value < self.ub - self.eps {
                self.ub = value;
                let mut p = self.path.clone();
                p[d..].fill(0);
                self.best_path = Some(p);
            }
            if value <= bound + self.eps {
                return; // it meets the bound: nothing below is better
            }
        }
        if d == self.order.len() {
            return;
        }
        let g = self.order[d];
        for pos in 0..self.alive[g].len() {
            let i = self.alive[g][pos];
            let nr = rsum + self.r[g][i];
            if self.lb + nr + self.sfirst_r[d + 1] >= self.ub - self.eps {
                break; // options are sorted by reduced cost
            }
            let (lo, hi) = self.used.split_at_mut(d + 1);
            let mut ok = true;
            for k in 0..nb {
                hi[0][k] = lo[d][k] + self.m.cost[g][i][k];
                if hi[0][k] + self.smin[d + 1][k] > self.m.resid[k] {
                    ok = false;
                }
            }
            if !ok {
                continue;
            }
            self.path[d] = pos;
            self.dfs(d + 1, nr, osum + self.m.omega[g][i]);
            if self.stopped.is_some() {
                return;
            }
        }
    }
}

/// A feasible selection by greedy repair of the Lagrangian choice, then
/// greedy improvement; `None` if the repair fails.
pub(crate) fn greedy(m: &Shifted, r: &[Vec<f64>]) -> Option<(Vec<usize>, f64)> {
    let ng = m.groups();
    let nb = m.budgets();
    let mut sel: Vec<usize> =
        (0..ng).map(|g| (0..r[g].len()).min_by(|&a, &b| r[g][a].total_cmp(&r[g][b])).unwrap_or(0)).collect();
    let mut used = vec![0.0; nb];
    for (g, &i) in sel.iter().enumerate() {
        for (k, u) in used.iter_mut().enumerate() {
            *u += m.cost[g][i][k];
        }
    }
    let norm: Vec<f64> = m.resid.iter().map(|r| r.max(f64::MIN_POSITIVE)).collect();
    let violation = |used: &[f64]| -> f64 { (0..nb).map(|k| (used[k] - m.resid[k]).max(0.0) / norm[k]).sum() };
    // Repair: the move that buys the most violation per unit of Ω.
    let mut v = violation(&used);
    while v > 0.0 {
        let mut pick: Option<(f64, usize, usize)> = None;
        for (g, &cur) in sel.iter().enumerate() {
            for i in 0..m.omega[g].len() {
                if i == cur {
                    continue;
                }
                let nu: Vec<f64> = (0..nb).map(|k| used[k] - m.cost[g][cur][k] + m.cost[g][i][k]).collect();
                let gain = v - violation(&nu);
                if gain <= 0.0 {
                    continue;
                }
                let loss = (m.omega[g][i] - m.omega[g][cur]).max(0.0);
                let ratio = loss / gain;
                if pick.is_none_or(|p| ratio < p.0) {
                    pick = Some((ratio, g, i));
                }
            }
        }
        let (_, g, i) = pick?;
        for (k, u) in used.iter_mut().enumerate() {
            *u += m.cost[g][i][k] - m.cost[g][sel[g]][k];
        }
        sel[g] = i;
        v = violation(&used);
    }
    // Improve: the feasible move that lowers Ω the most, until none does.
    loop {
        let mut pick: Option<(f64, usize, usize)> = None;
        for (g, &cur) in sel.iter().enumerate() {
            for i in 0..m.omega[g].len() {
                let gain = m.omega[g][cur] - m.omega[g][i];
                if gain <= 0.0 || pick.is_some_and(|p| gain <= p.0) {
                    continue;
                }
                if (0..nb).all(|k| used[k] - m.cost[g][cur][k] + m.cost[g][i][k] <= m.resid[k]) {
                    pick = Some((gain, g, i));
                }
            }
        }
        let Some((_, g, i)) = pick else { break };
        for (k, u) in used.iter_mut().enumerate() {
            *u += m.cost[g][i][k] - m.cost[g][sel[g]][k];
        }
        sel[g] = i;
    }
    if !m.feasible(&sel) {
        return None;
    }
    let obj = m.objective(&sel);
    Some((sel, obj))
}
