//! The problem description (layers × candidates, budgets, ties, fixed layers)
//! and its validation.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One configuration a layer may take (for example weights at 4 bits and
/// activations at 6 bits), with its sensitivity Ω and its costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    /// Label, unique within the layer (for example `w4a6`).
    pub label: String,
    /// Sensitivity Ω (the objective term); any finite value.
    pub omega: f64,
    /// Named costs (for example `bops`, `size`, `latency`); finite and non-negative.
    #[serde(default)]
    pub costs: BTreeMap<String, f64>,
}

impl Candidate {
    /// A candidate with no costs yet.
    pub fn new(label: impl Into<String>, omega: f64) -> Self {
        Candidate { label: label.into(), omega, costs: BTreeMap::new() }
    }

    /// Adds (or replaces) a named cost.
    pub fn cost(mut self, name: impl Into<String>, value: f64) -> Self {
        self.costs.insert(name.into(), value);
        self
    }
}

/// A layer and the candidates it may choose from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Layer name, unique within the problem.
    pub name: String,
    /// Its candidates; exactly one is chosen.
    pub candidates: Vec<Candidate>,
}

impl Layer {
    /// A layer with no candidates yet.
    pub fn new(name: impl Into<String>) -> Self {
        Layer { name: name.into(), candidates: Vec::new() }
    }

    /// Adds a candidate.
    pub fn candidate(mut self, candidate: Candidate) -> Self {
        self.candidates.push(candidate);
        self
    }
}

/// An upper bound `Σ cost ≤ limit` on one named cost.
///
/// A total counts as within the budget when it exceeds `limit` by at most
/// [`Budget::tolerance`] (10⁻⁹ relative), which absorbs float round-off of sums.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Budget {
    /// The cost it bounds.
    pub cost: String,
    /// Upper limit on the total.
    pub limit: f64,
}

impl Budget {
    /// A budget `Σ cost ≤ limit`.
    pub fn new(cost: impl Into<String>, limit: f64) -> Self {
        Budget { cost: cost.into(), limit }
    }

    /// The absolute slack allowed above `limit`: `1e-9 · max(|limit|, 1)`.
    pub fn tolerance(&self) -> f64 {
        budget_tolerance(self.limit)
    }
}

/// `1e-9 · max(|limit|, 1)`: the slack a total may exceed a budget by.
pub(crate) fn budget_tolerance(limit: f64) -> f64 {
    1e-9 * limit.abs().max(1.0)
}

/// A bit-allocation problem: choose one candidate per layer minimising ΣΩ
/// subject to the budgets, ties and fixed layers. Serialises to and from the
/// JSON table the `hawq-ilp` binary reads.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Problem {
    /// The layers, in network order.
    pub layers: Vec<Layer>,
    /// `≤` budgets on named costs.
    #[serde(default)]
    pub budgets: Vec<Budget>,
    /// Groups of layer names that must choose the same candidate (same index
    /// and label).
    #[serde(default)]
    pub ties: Vec<Vec<String>>,
    /// Layers forced to one candidate: layer name → candidate label.
    #[serde(default)]
    pub fixed: BTreeMap<String, String>,
}

impl Problem {
    /// An empty problem.
    pub fn new() -> Self {
        Problem::default()
    }

    /// Adds a layer.
    pub fn layer(mut self, layer: Layer) -> Self {
        self.layers.push(layer);
        self
    }

    /// Adds a budget `Σ cost ≤ limit`, replacing an existing budget on the same cost.
    pub fn budget(mut self, cost: impl Into<String>, limit: f64) -> Self {
        self.set_budget(cost, limit);
        self
    }

    /// Sets a budget `Σ cost ≤ limit`, replacing an existing budget on the same cost.
    pub fn set_budget(&mut self, cost: impl Into<String>, limit: f64) {
        let cost = cost.into();
        match self.budgets.iter_mut().find(|b| b.cost == cost) {
            Some(b) => b.limit = limit,
            None => self.budgets.push(Budget { cost, limit }),
        }
    }

    /// Ties layers together: they must choose the same candidate.
    pub fn tie<S: Into<String>>(mut self, layers: impl IntoIterator<Item = S>) -> Self {
        self.ties.push(layers.into_iter().map(Into::into).collect());
        self
    }

    /// Forces `layer` to take candidate `label`.
    pub fn fix(mut self, layer: impl Into<String>, label: impl Into<String>) -> Self {
        self.fixed.insert(layer.into(), label.into());
        self
    }

    /// Parses a problem from its JSON table.
    pub fn from_json(text: &str) -> Result<Self, Error> {
        Ok(serde_json::from_str(text)?)
    }

    /// Writes the problem as pretty-printed JSON.
    pub fn to_json(&self) -> Result<String, Error> {
        Ok(serde_json::to_string_pretty(self)?)
    }

    /// The cost names the table defines, sorted.
    pub fn cost_names(&self) -> Vec<String> {
        let mut names = BTreeSet::new();
        for layer in &self.layers {
            for c in &layer.candidates {
                names.extend(c.costs.keys().cloned());
            }
        }
        names.into_iter().collect()
    }

    /// Checks the whole problem: names, numbers, ties and fixed layers.
    /// Every solve calls it first.
    pub fn validate(&self) -> Result<(), Error> {
        self.indexed().map(|_| ())
    }

    /// The unknown-cost error for `cost`, or `Ok` when the table defines it.
    pub(crate) fn check_cost_name(&self, cost: &str) -> Result<(), Error> {
        let names = self.cost_names();
        if names.iter().any(|n| n == cost) {
            Ok(())
        } else {
            Err(Error::UnknownCost { cost: cost.to_string(), known: names.join(", ") })
        }
    }

    /// Validates and converts to index form.
    pub(crate) fn indexed(&self) -> Result<Indexed, Error> {
        if self.layers.is_empty() {
            return Err(Error::NoLayers);
        }
        let cost_names = self.cost_names();
        let mut by_name = HashMap::new();
        for (i, layer) in self.layers.iter().enumerate() {
            if by_name.insert(layer.name.as_str(), i).is_some() {
                return Err(Error::DuplicateLayer { layer: layer.name.clone() });
            }
            if layer.candidates.is_empty() {
                return Err(Error::EmptyLayer { layer: layer.name.clone() });
            }
            let mut labels = HashMap::new();
            for c in &layer.candidates {
                if labels.insert(c.label.as_str(), ()).is_some() {
                    return Err(Error::DuplicateCandidate { layer: layer.name.clone(), candidate: c.label.clone() });
                }
                if !c.omega.is_finite() {
                    return Err(Error::InvalidOmega {
                        layer: layer.name.clone(),
                        candidate: c.label.clone(),
                        value: c.omega,
                    });
                }
                for name in &cost_names {
                    match c.costs.get(name) {
                        None => {
                            return Err(Error::MissingCost {
                                layer: layer.name.clone(),
                                candidate: c.label.clone(),
                                cost: name.clone(),
                            });
                        }
                        Some(&v) if !v.is_finite() || v < 0.0 => {
                            return Err(Error::InvalidCost {
                                layer: layer.name.clone(),
                                candidate: c.label.clone(),
                                cost: name.clone(),
                                value: v,
                            });
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        // Budgets.
        let mut budgets: Vec<(usize, f64)> = Vec::new();
        for b in &self.budgets {
            let Some(k) = cost_names.iter().position(|n| *n == b.cost) else {
                return Err(Error::UnknownCost { cost: b.cost.clone(), known: cost_names.join(", ") });
            };
            if !b.limit.is_finite() {
                return Err(Error::InvalidBudget { cost: b.cost.clone(), value: b.limit });
            }
            match budgets.iter_mut().find(|(kk, _)| *kk == k) {
                // Two budgets on one cost: the tighter one binds.
                Some(existing) => existing.1 = existing.1.min(b.limit),
                None => budgets.push((k, b.limit)),
            }
        }
        // Ties: union-find over layers.
        let n = self.layers.len();
        let mut parent: Vec<usize> = (0..n).collect();
        fn find(p: &mut [usize], mut x: usize) -> usize {
            while p[x] != x {
                p[x] = p[p[x]];
                x = p[x];
            }
            x
        }
        for tie in &self.ties {
            let mut first: Option<usize> = None;
            for name in tie {
                let Some(&i) = by_name.get(name.as_str()) else {
                    return Err(Error::UnknownLayer { layer: name.clone(), context: "tie".into() });
                };
                match first {
                    None => first = Some(i),
                    Some(f) => {
                        check_same_labels(&self.layers[f], &self.layers[i])?;
                        let (a, b) = (find(&mut parent, f), find(&mut parent, i));
                        parent[b] = a;
                    }
                }
            }
        }
        // Fixed layers.
        let mut fixed: Vec<Option<usize>> = vec![None; n];
        for (name, label) in &self.fixed {
            let Some(&i) = by_name.get(name.as_str()) else {
                return Err(Error::UnknownLayer { layer: name.clone(), context: "fixed".into() });
            };
            let Some(c) = self.layers[i].candidates.iter().position(|c| c.label == *label) else {
                return Err(Error::UnknownCandidate {
                    layer: name.clone(),
                    candidate: label.clone(),
                    context: "fixed".into(),
                });
            };
            fixed[i] = Some(c);
        }
        // Groups in order of their first layer.
        let mut group_of_root: HashMap<usize, usize> = HashMap::new();
        let mut groups: Vec<Vec<usize>> = Vec::new();
        for i in 0..n {
            let r = find(&mut parent, i);
            let g = *group_of_root.entry(r).or_insert_with(|| {
                groups.push(Vec::new());
                groups.len() - 1
            });
            groups[g].push(i);
        }
        let mut group_fixed: Vec<Option<usize>> = vec![None; groups.len()];
        for (g, members) in groups.iter().enumerate() {
            let mut owner: Option<usize> = None;
            for &i in members {
                if let Some(c) = fixed[i] {
                    match (group_fixed[g], owner) {
                        (Some(prev), Some(o)) if prev != c => {
                            return Err(Error::ConflictingFix {
                                layer: self.layers[i].name.clone(),
                                candidate: self.layers[i].candidates[c].label.clone(),
                                other: self.layers[o].candidates[prev].label.clone(),
                            });
                        }
                        _ => {
                            group_fixed[g] = Some(c);
                            owner = Some(i);
                        }
                    }
                }
            }
        }
        Ok(Indexed { cost_names, budgets, groups, group_fixed })
    }
}

fn check_same_labels(a: &Layer, b: &Layer) -> Result<(), Error> {
    let mismatch = |detail: String| Error::TieMismatch { first: a.name.clone(), other: b.name.clone(), detail };
    if a.candidates.len() != b.candidates.len() {
        return Err(mismatch(format!("{} candidates against {}", a.candidates.len(), b.candidates.len())));
    }
    for (i, (ca, cb)) in a.candidates.iter().zip(&b.candidates).enumerate() {
        if ca.label != cb.label {
            return Err(mismatch(format!("candidate {i} is `{}` against `{}`", ca.label, cb.label)));
        }
    }
    Ok(())
}

/// The validated problem in index form.
#[derive(Debug, Clone)]
pub(crate) struct Indexed {
    /// All cost names, sorted.
    pub cost_names: Vec<String>,
    /// (cost index, limit), one per budgeted cost.
    pub budgets: Vec<(usize, f64)>,
    /// Layer indices of each tie group (singletons for untied layers).
    pub groups: Vec<Vec<usize>>,
    /// The candidate index each group is fixed to.
    pub group_fixed: Vec<Option<usize>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn two_layers() -> Problem {
        Problem::new()
            .layer(
                Layer::new("a")
                    .candidate(Candidate::new("x", 1.0).cost("bops", 1.0))
                    .candidate(Candidate::new("y", 0.5).cost("bops", 2.0)),
            )
            .layer(
                Layer::new("b")
                    .candidate(Candidate::new("x", 1.0).cost("bops", 1.0))
                    .candidate(Candidate::new("y", 0.5).cost("bops", 2.0)),
            )
    }

    #[test]
    fn groups_follow_ties() {
        let p = two_layers().tie(["a", "b"]).fix("b", "y");
        let ix = p.indexed().unwrap();
        assert_eq!(ix.groups, vec![vec![0, 1]]);
        assert_eq!(ix.group_fixed, vec![Some(1)]);
    }

    #[test]
    fn conflicting_fix_through_tie() {
        let p = two_layers().tie(["a", "b"]).fix("a", "x").fix("b", "y");
        assert!(matches!(p.validate(), Err(Error::ConflictingFix { .. })));
    }

    #[test]
    fn duplicate_budget_keeps_tighter() {
        let mut p = two_layers();
        p.budgets.push(Budget::new("bops", 3.0));
        p.budgets.push(Budget::new("bops", 2.0));
        assert_eq!(p.indexed().unwrap().budgets, vec![(0, 2.0)]);
    }

    #[test]
    fn json_round_trip() {
        let p = two_layers().budget("bops", 3.0).tie(["a", "b"]);
        let back = Problem::from_json(&p.to_json().unwrap()).unwrap();
        assert_eq!(p, back);
    }
}
