//! The top eigenvalue of each layer's Hessian block by power iteration (HAWQ-V1).

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::hvp::check_value;
use super::{HessianData, Hvp, layer_name};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// Settings of [`top_eigenvalues`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EigenConfig {
    /// At most this many products per layer; at least 1.
    pub max_iter: usize,
    /// Stop when `|λ_k − λ_{k−1}| ≤ tol · |λ_{k−1}|`.
    pub tol: f64,
    /// Seed of the (Gaussian) start vectors.
    pub seed: u64,
    /// The layers (`None`: all).
    pub layers: Option<Vec<usize>>,
}

impl Default for EigenConfig {
    fn default() -> Self {
        EigenConfig { max_iter: 100, tol: 1e-4, seed: 0, layers: None }
    }
}

/// One layer's top eigenvalue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerEigen {
    /// Layer index.
    pub layer: usize,
    /// Layer name.
    pub name: String,
    /// The Rayleigh quotient `vᵀ H_ll v` of the last unit vector: the eigenvalue of largest
    /// magnitude of the block `H_ll` once converged.
    pub eigenvalue: f64,
    /// Products taken.
    pub iterations: usize,
    /// Whether the tolerance was met.
    pub converged: bool,
}

/// Reported after each power step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EigenProgress {
    /// The layer.
    pub layer: usize,
    /// Steps taken for it.
    pub iteration: usize,
    /// The current estimate.
    pub eigenvalue: f64,
}

/// Power iteration on each selected layer's diagonal block `H_ll` of the Hessian of the loss
/// over all of `data` (one product over all batches per step; pass a sample of the data to
/// bound the cost). The vector is non-zero on block `l` only and the product is read on block
/// `l` only, so the result belongs to that layer alone.
///
/// On a quantized model the products come from the straight-through graph and the block is
/// `J_ll`, the Jacobian of the straight-through gradient, which need not be symmetric: its top
/// eigenvalue may be complex and the iteration may not converge (`converged` tells). Use
/// [`Hvp::float_of`] for the float model with the same weights.
pub fn top_eigenvalues<B: Backend>(
    hvp: &Hvp<B>,
    data: &HessianData<B>,
    config: &EigenConfig,
    progress: &mut dyn FnMut(&EigenProgress),
) -> Result<Vec<LayerEigen>> {
    if config.max_iter == 0 {
        return Err(Error::InvalidSetting {
            setting: "eigenvalue max_iter".into(),
            message: "must be at least 1".into(),
        });
    }
    if !(config.tol.is_finite() && config.tol >= 0.0) {
        return Err(Error::InvalidSetting {
            setting: "eigenvalue tol".into(),
            message: format!("{} is not a finite non-negative number", config.tol),
        });
    }
    let layers: Vec<usize> = config.layers.clone().unwrap_or_else(|| (0..hvp.num_layers()).collect());
    hvp.check_layers(&layers)?;
    let batches: Vec<usize> = (0..data.num_batches()).collect();
    let mut rng = SplitMix64::new(config.seed);
    let mut out = Vec::with_capacity(layers.len());
    for &l in &layers {
        let mut v = hvp.block_from(l, &mut || rng.normal() as f32);
        let norm = v.dot(&v).sqrt();
        v = v.scale(1.0 / norm);
        let (mut lambda, mut converged, mut iterations) = (f64::NAN, false, 0);
        for it in 0..config.max_iter {
            let hv = hvp.hvp_selected(data, &batches, &[l], std::slice::from_ref(&v), it, false)?.hv;
            let hv = hv
                .into_iter()
                .next()
                .ok_or_else(|| Error::NoParameters { layer: layer_name(l), reason: "no product".into() })?;
            let new = v.dot(&hv);
            check_value(new, "Hessian-vector product", &layer_name(l), it)?;
            iterations = it + 1;
            progress(&EigenProgress { layer: l, iteration: iterations, eigenvalue: new });
            let done = it > 0 && (new - lambda).abs() <= config.tol * lambda.abs();
            lambda = new;
            let norm = hv.dot(&hv).sqrt();
            if done || norm == 0.0 {
                converged = true;
                break;
            }
            v = hv.scale(1.0 / norm);
        }
        out.push(LayerEigen { layer: l, name: layer_name(l), eigenvalue: lambda, iterations, converged });
    }
    Ok(out)
}
