//! Cost models as pure functions, usable without the ILP: bit operations and
//! size of a dense layer, and latency looked up in a caller's table.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::error::IlpError;
use crate::problem::Problem;

/// Bit operations of a dense (fully connected) layer with `n` inputs and `m`
/// outputs, weights at `b_w` bits, activations at `b_a` bits and a fraction
/// `f_p` of the weights pruned:
///
/// `BOPs = m · n · ((1 − f_p) · b_a · b_w + b_a + b_w + log2 n)`
///
/// (Baskin et al., as used by the HAWQ and hls4ml jet studies).
///
/// ```
/// # use hawq_ilp::cost::dense_bops;
/// // 16 inputs, 64 outputs, 8-bit weights and activations, nothing pruned.
/// let bops = dense_bops(64, 16, 8, 8, 0.0).unwrap();
/// assert_eq!(bops, 64.0 * 16.0 * (64.0 + 8.0 + 8.0 + 4.0));
/// ```
pub fn dense_bops(m: u64, n: u64, b_w: u32, b_a: u32, f_p: f64) -> Result<f64, IlpError> {
    check_shape(m, n, f_p)?;
    let (m, n) = (m as f64, n as f64);
    let (bw, ba) = (f64::from(b_w), f64::from(b_a));
    Ok(m * n * ((1.0 - f_p) * ba * bw + ba + bw + n.log2()))
}

/// Size in bits of a dense layer's parameters: the unpruned weights at `b_w`
/// bits plus `m` biases at `b_bias` bits (pass 0 for no bias).
///
/// `size = (1 − f_p) · m · n · b_w + m · b_bias`
///
/// ```
/// # use hawq_ilp::cost::dense_size_bits;
/// assert_eq!(dense_size_bits(64, 16, 6, 0, 0.0).unwrap(), 6144.0);
/// ```
pub fn dense_size_bits(m: u64, n: u64, b_w: u32, b_bias: u32, f_p: f64) -> Result<f64, IlpError> {
    check_shape(m, n, f_p)?;
    let (m, n) = (m as f64, n as f64);
    Ok((1.0 - f_p) * m * n * f64::from(b_w) + m * f64::from(b_bias))
}

fn check_shape(m: u64, n: u64, f_p: f64) -> Result<(), IlpError> {
    if m == 0 || n == 0 {
        return Err(IlpError::InvalidCostModel(format!(
            "a dense layer needs m ≥ 1 outputs and n ≥ 1 inputs (got m = {m}, n = {n})"
        )));
    }
    if !(0.0..=1.0).contains(&f_p) {
        return Err(IlpError::InvalidCostModel(format!("the pruned fraction f_p must lie in [0, 1] (got {f_p})")));
    }
    Ok(())
}

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
    pub fn lookup(&self, layer: &str, candidate: &str) -> Result<f64, IlpError> {
        self.entries
            .get(layer)
            .and_then(|m| m.get(candidate))
            .copied()
            .ok_or_else(|| IlpError::MissingTableEntry { layer: layer.to_string(), candidate: candidate.to_string() })
    }

    /// Writes this table's values into `problem` as the cost `name` of every
    /// candidate. Every layer and candidate of the problem must have an entry,
    /// finite and non-negative.
    pub fn apply(&self, problem: &mut Problem, name: &str) -> Result<(), IlpError> {
        for layer in &mut problem.layers {
            for c in &mut layer.candidates {
                let v = self.lookup(&layer.name, &c.label)?;
                if !v.is_finite() || v < 0.0 {
                    return Err(IlpError::InvalidCost {
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
    fn bops_with_pruning() {
        // m = 5, n = 32, 4-bit weights, 6-bit activations, half pruned.
        let b = dense_bops(5, 32, 4, 6, 0.5).unwrap();
        assert_eq!(b, 5.0 * 32.0 * (0.5 * 24.0 + 6.0 + 4.0 + 5.0));
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(dense_bops(0, 3, 4, 4, 0.0).is_err());
        assert!(dense_bops(3, 3, 4, 4, 1.5).is_err());
        assert!(dense_size_bits(3, 3, 4, 4, f64::NAN).is_err());
    }

    #[test]
    fn table_apply_and_missing() {
        let mut p = Problem::new().layer(
            crate::Layer::new("fc1")
                .candidate(crate::Candidate::new("w2", 1.0))
                .candidate(crate::Candidate::new("w4", 0.5)),
        );
        let mut t = CostTable::new();
        t.insert("fc1", "w2", 10.0);
        assert!(matches!(t.apply(&mut p, "latency"), Err(IlpError::MissingTableEntry { .. })));
        t.insert("fc1", "w4", 12.0);
        t.apply(&mut p, "latency").unwrap();
        assert_eq!(p.layers[0].candidates[1].costs["latency"], 12.0);
    }
}
