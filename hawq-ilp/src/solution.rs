//! Solve options and the solution record.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Which exact algorithm to run after presolve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Algorithm {
    /// The crate's branch and bound (Lagrangian bounds from a microlp LP,
    /// reduced-cost fixing), handing the remaining problem to microlp's MIP
    /// search if its node budget runs out.
    #[default]
    Auto,
    /// The crate's branch and bound only.
    BranchAndBound,
    /// microlp's MIP search on the presolved binary formulation
    /// (`x_{l,c} ∈ {0,1}`, `Σ_c x_{l,c} = 1`, one row per budget).
    Microlp,
}

/// The method that produced (and, when proven, proved) a solution.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Presolve left nothing to decide (no binding budget, or one option per layer).
    Presolve,
    /// The crate's branch and bound over the multiple-choice knapsack.
    BranchAndBound,
    /// microlp's MIP branch and bound.
    Microlp,
}

/// Options of a solve.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SolveOptions {
    /// The algorithm.
    pub algorithm: Algorithm,
    /// Wall-clock limit; on expiry the best selection found is returned with
    /// `proven_optimal == false`.
    pub time_limit: Option<Duration>,
    /// Limit on branch-and-bound nodes (the crate's search).
    pub node_limit: Option<u64>,
}

/// The candidate chosen for one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// Layer name.
    pub layer: String,
    /// Chosen candidate's label.
    pub candidate: String,
    /// Chosen candidate's index in the layer.
    pub index: usize,
}

/// What presolve and the search did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SolveStats {
    /// Decision groups (layers after merging ties).
    pub groups: usize,
    /// Options left after presolve, over all groups.
    pub options_after_presolve: usize,
    /// Options removed as dominated.
    pub removed_dominated: usize,
    /// Options removed because they alone exceed what a budget leaves.
    pub removed_too_costly: usize,
    /// Options removed by reduced-cost fixing against the Lagrangian bound.
    pub removed_by_reduced_cost: usize,
    /// Branch-and-bound nodes visited (the crate's search, then microlp's).
    pub nodes: u64,
    /// The Lagrangian (LP) lower bound on ΣΩ.
    pub lower_bound: f64,
}

/// The selection and what it costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Solution {
    /// One choice per layer, in layer order.
    pub choices: Vec<Choice>,
    /// ΣΩ of the selection.
    pub objective: f64,
    /// Total of every cost the table defines, budgeted or not.
    pub totals: BTreeMap<String, f64>,
    /// Wall-clock time of the solve, in seconds.
    pub solve_time_s: f64,
    /// Whether the selection is proven optimal (to within 10⁻¹⁰ of Σ|Ω|).
    pub proven_optimal: bool,
    /// The method that found it.
    pub method: Method,
    /// Presolve and search statistics.
    pub stats: SolveStats,
}

impl Solution {
    /// The solve time as a [`Duration`].
    pub fn solve_time(&self) -> Duration {
        Duration::from_secs_f64(self.solve_time_s)
    }

    /// The label chosen for `layer`, if the problem has such a layer.
    pub fn candidate_of(&self, layer: &str) -> Option<&str> {
        self.choices.iter().find(|c| c.layer == layer).map(|c| c.candidate.as_str())
    }

    /// Candidate index per layer, in layer order.
    pub fn indices(&self) -> Vec<usize> {
        self.choices.iter().map(|c| c.index).collect()
    }
}
