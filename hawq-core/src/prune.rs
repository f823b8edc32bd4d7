//! Magnitude pruning: a mask that zeroes, in every layer, the given fraction of the weights with
//! the smallest magnitude, and training that keeps them zero ([`TrainConfig::mask`]
//! re-applies the mask after every optimizer step). Zero weights are what the BOPs count
//! discounts (`f_p`, `qonnx_ir::cost`) and what the firmware skips.
//!
//! [`TrainConfig::mask`]: crate::train::TrainConfig::mask

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::bits::layer_name;
use crate::error::{Error, Result};
use crate::layers::from_host;
use crate::mlp::QuantMlp;

/// Which weights stay: one flag per weight of each layer, row-major `[d_in, d_out]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PruneMask {
    /// Per layer, `true` where the weight is kept.
    pub layers: Vec<Vec<bool>>,
}

impl PruneMask {
    /// Fraction of weights pruned over all layers.
    pub fn sparsity(&self) -> f64 {
        let n: usize = self.layers.iter().map(Vec::len).sum();
        let pruned: usize = self.layers.iter().map(|l| l.iter().filter(|&&k| !k).count()).sum();
        pruned as f64 / n.max(1) as f64
    }
}

/// The mask that prunes `⌊sparsity · n⌋` weights of each layer of `n`: those of smallest
/// magnitude in eval mode (the weight the layer quantizes, batch norm folded), ties broken by
/// position. An error unless `0 ≤ sparsity < 1`.
pub fn magnitude_mask<B: Backend>(model: &QuantMlp<B>, sparsity: f64) -> Result<PruneMask> {
    if !(0.0..1.0).contains(&sparsity) {
        return Err(Error::InvalidSetting {
            setting: "pruning sparsity".into(),
            message: format!("{sparsity} is not in [0, 1)"),
        });
    }
    let layers = (0..model.layers.len())
        .map(|l| {
            let (w, _) = model.effective_weights_host(l);
            let mut order: Vec<usize> = (0..w.len()).collect();
            order.sort_by(|&a, &b| w[a].abs().total_cmp(&w[b].abs()).then(a.cmp(&b)));
            let mut keep = vec![true; w.len()];
            let k = (sparsity * w.len() as f64).floor() as usize;
            order[..k].iter().for_each(|&i| keep[i] = false);
            keep
        })
        .collect();
    Ok(PruneMask { layers })
}

impl<B: Backend> QuantMlp<B> {
    /// The model with the masked weights set to zero (parameter ids and gradient tracking kept,
    /// so training goes on). An error when the mask does not fit the model.
    pub fn apply_mask(mut self, mask: &PruneMask) -> Result<QuantMlp<B>> {
        check_mask(&self, mask)?;
        for (layer, keep) in self.layers.iter_mut().zip(&mask.layers) {
            let shape = layer.weight.val().dims();
            let device = layer.weight.val().device();
            let tracked = layer.weight.val().is_require_grad();
            let masked = layer.weight_host().iter().zip(keep).map(|(&w, &k)| if k { w } else { 0.0 }).collect();
            // A new leaf tensor (a product would be a node of the graph, which cannot be tracked).
            let w = from_host::<B, 2>(masked, shape, &device);
            let w = if tracked { w.require_grad() } else { w };
            layer.weight = burn::module::Param::initialized(layer.weight.id, w);
        }
        Ok(self)
    }
}

/// Checks that `mask` has one flag per weight of every layer of `model`.
pub fn check_mask<B: Backend>(model: &QuantMlp<B>, mask: &PruneMask) -> Result<()> {
    let bad = |message: String| Error::InvalidSetting { setting: "pruning mask".into(), message };
    if mask.layers.len() != model.layers.len() {
        return Err(bad(format!("{} layers, the model has {}", mask.layers.len(), model.layers.len())));
    }
    for (l, (layer, keep)) in model.layers.iter().zip(&mask.layers).enumerate() {
        let n = layer.config.d_input * layer.config.d_output;
        if keep.len() != n {
            return Err(bad(format!("{}: {} flags for {n} weights", layer_name(l), keep.len())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::QuantConfig;
    use crate::backend::{Cpu, CpuTrain};
    use crate::train::{TrainConfig, train};

    #[test]
    fn prunes_the_smallest_weights_and_training_keeps_them_zero() {
        let model = QuantConfig::fpga(&[6, 8, 3], 8).init::<CpuTrain>(&Default::default(), 3).unwrap();
        let mask = magnitude_mask(&model, 0.5).unwrap();
        assert_eq!(mask.layers.iter().map(|l| l.iter().filter(|&&k| !k).count()).collect::<Vec<_>>(), [24, 12]);
        assert!((mask.sparsity() - 0.5).abs() < 1e-12);
        // The pruned weights are the smallest: every kept one is at least as large.
        let w = model.layers[0].weight_host();
        let max_pruned = w.iter().zip(&mask.layers[0]).filter(|(_, k)| !**k).map(|(v, _)| v.abs()).fold(0.0, f32::max);
        assert!(w.iter().zip(&mask.layers[0]).filter(|(_, k)| **k).all(|(v, _)| v.abs() >= max_pruned));
        let data = crate::Dataset::synthetic_blobs(300, 6, 3, 2.0, 1).unwrap();
        let tc = TrainConfig {
            epochs: 2,
            batch_size: 32,
            learning_rate: 1e-2,
            mask: Some(mask.clone()),
            ..Default::default()
        };
        let pruned = model.apply_mask(&mask).unwrap();
        let trained = train(pruned, &data, None, &tc, &mut |_| {}).unwrap().model;
        for (layer, keep) in trained.layers.iter().zip(&mask.layers) {
            let w = layer.weight_host();
            assert!(w.iter().zip(keep).all(|(v, k)| *k || *v == 0.0), "masked weights stay zero");
            assert!(w.iter().zip(keep).any(|(v, k)| *k && *v != 0.0), "the others train");
        }
        let bad = PruneMask { layers: vec![vec![true; 3]] };
        assert!(magnitude_mask(&trained, 1.0).is_err());
        assert!(
            QuantConfig::fpga(&[6, 8, 3], 8).init::<Cpu>(&Default::default(), 1).unwrap().apply_mask(&bad).is_err()
        );
    }
}
