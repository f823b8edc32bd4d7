//! Costs measured elsewhere, looked up per layer and candidate ([`CostTable`]: latency from
//! synthesis or from `hls-backend`'s estimates). The formulas of bit operations and size live
//! in one place for the whole workspace, `qonnx_ir::cost::LayerCost`; the ILP itself only adds
//! up the costs its candidates carry.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::problem::Problem;

/// A per-layer, per-candidate table of a cost measured or estimated elsewhere
/// (latency in cycles from synthesis, or from `hls-backend`'s estimates):
/// layer name → candidate label → value.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CostTable {
    /// layer name → candidate label → value.
    pub entries: BTreeMap<String, BTreeMap<String, f64>>,
}

impl CostTable {
    /// An empty table.
    pub fn new() -> Self {
        CostTable::default()
    }

    /// Records the value for a layer's candidate.
    pub fn insert(&mut self, layer: impl Into<String>, candidate: impl Into<String>, value: f64) {
        self.entries.entry(layer.into()).or_default().insert(candidate.into(), value);
    }

    /// The value for a layer's candidate.
    pub fn lookup(&self, layer: &str, candidate: &str) -> Result<f64, Error> {
        self.entries
            .get(layer)
            .and_then(|m| m.get(candidate))
            .copied()
            .ok_or_else(|| Error::MissingTableEntry { layer: layer.to_string(), candidate: candidate.to_string() })
    }

    /// Writes this table's values into `problem` as the cost `name` of every
    /// candidate. Every layer and candidate of the problem must have an entry,
    /// finite and non-negative.
    pub fn apply(&self, problem: &mut Problem, name: &str) -> Result<(), Error> {
        for layer in &mut problem.layers {
            for c in &mut layer.candidates {
                let v = self.lookup(&layer.name, &c.label)?;
                if !v.is_finite() || v < 0.0 {
                    return Err(Error::InvalidCost {
                        layer: layer.name.clone(),
                        candidate: c.label.clone(),
                        cost: name.to_string(),
                        value: v,
                    });
                }
                c.costs.insert(name.to_string(), v);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_apply_and_missing() {
        let mut p = Problem::new().layer(
            crate::Layer::new("fc1")
                .candidate(crate::Candidate::new("w2", 1.0))
                .candidate(crate::Candidate::new("w4", 0.5)),
        );
        let mut t = CostTable::new();
        t.insert("fc1", "w2", 10.0);
        assert!(matches!(t.apply(&mut p, "latency"), Err(Error::MissingTableEntry { .. })));
        t.insert("fc1", "w4", 12.0);
        t.apply(&mut p, "latency").unwrap();
        assert_eq!(p.layers[0].candidates[1].costs["latency"], 12.0);
    }
}
