//! The typed seam to `hawq-ilp` (feature `ilp`, on by default): a sensitivity table becomes an
//! ILP [`Problem`], and the ILP's [`Solution`] becomes bit widths for the model, with no label
//! parsing. Layer names are the table's (`layer{l}`), candidates keep their order, and a choice
//! is read by its index.

use hawq_ilp::{Candidate, Layer, Problem, Solution};

use super::SensitivityTable;
use crate::bits::{BitConfig, QuantConfig};
use crate::error::{Error, Result};

impl SensitivityTable {
    /// The ILP problem: one layer per row, one candidate per `(weight, input activation)` pair
    /// with its Ω and its `size`, `bops` and `latency` costs; no budgets yet (add them with
    /// `problem.budgets.push(hawq_ilp::Budget::new("bops", limit))`).
    pub fn to_problem(&self) -> Problem {
        let layers = self.layers.iter().map(|l| Layer {
            name: l.name.clone(),
            candidates: l
                .candidates
                .iter()
                .map(|c| Candidate { label: c.label.clone(), omega: c.omega, costs: c.costs.clone() })
                .collect(),
        });
        Problem { layers: layers.collect(), ..Problem::default() }
    }

    /// [`SensitivityTable::to_problem`] as pretty-printed JSON: the file `hawq-ilp solve` reads
    /// (`hawq_ilp::Problem`'s serde form).
    pub fn to_ilp_json_string(&self) -> Result<String> {
        serde_json::to_string_pretty(&self.to_problem())
            .map_err(|e| Error::Config { what: "sensitivity table JSON".into(), message: e.to_string() })
    }

    /// The bit widths `solution` chooses, applied to `config`: each row's weight bits go to its
    /// layer and its input-activation bits to the quantizer in front of it (the previous layer's
    /// activation quantizer; layer 0's input width is the model's and stays). Layers the table
    /// does not cover keep their widths. Errors: a row without a choice, or a choice that is not
    /// one of the row's candidates (a solution of another table).
    pub fn apply(&self, config: &QuantConfig, solution: &Solution) -> Result<QuantConfig> {
        let mut bits: Vec<BitConfig> = config.layers.clone();
        for row in &self.layers {
            let err =
                |message: String| Error::InvalidSetting { setting: format!("ILP solution for {}", row.name), message };
            let choice = solution
                .choices
                .iter()
                .find(|c| c.layer == row.name)
                .ok_or_else(|| err("the solution has no choice for this layer".into()))?;
            let cand = row.candidates.get(choice.index).filter(|c| c.label == choice.candidate).ok_or_else(|| {
                err(format!("candidate {} (#{}) is not in the table", choice.candidate, choice.index))
            })?;
            let layer =
                bits.get_mut(row.layer).ok_or_else(|| err(format!("the model has {} layers", config.layers.len())))?;
            layer.weight = cand.weight_bits;
            if row.layer > 0 {
                bits[row.layer - 1].activation = cand.activation_bits;
            }
        }
        let out = QuantConfig { layers: bits, ..config.clone() };
        out.validate()?;
        Ok(out)
    }
}
