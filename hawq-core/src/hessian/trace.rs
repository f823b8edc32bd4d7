//! Hutchinson estimates of each layer's Hessian trace.

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::hvp::check_value;
use super::{HessianData, Hvp, layer_name};
use crate::error::{Error, Result};
use crate::rng::SplitMix64;

/// Settings of [`hutchinson_trace`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceConfig {
    /// At most this many probes (Rademacher vectors); at least 1.
    pub max_iter: usize,
    /// At least this many probes of a layer before the tolerance may stop it (at least 2 are
    /// always taken, so that a standard error exists).
    pub min_iter: usize,
    /// A layer stops (is not probed again) at the first probe, after `min_iter`, in which the
    /// relative change of its running mean falls below `tol`, as in PyHessian:
    /// `|m_k − m_{k−1}| < tol · (|m_{k−1}| + 10⁻⁶)`. 0 probes every layer `max_iter` times.
    pub tol: f64,
    /// Batches of the data each probe's product averages over: 0 for all of them (the Hessian of
    /// the whole data set, as PyHessian's data-loader mode), `k` for the next `k` batches in
    /// turn (mini-batch Hessians; the mean over probes still estimates the data set's trace).
    pub batches_per_probe: usize,
    /// Seed of the Rademacher vectors.
    pub seed: u64,
    /// The layers to estimate (`None`: all).
    pub layers: Option<Vec<usize>>,
}

impl Default for TraceConfig {
    fn default() -> Self {
        TraceConfig { max_iter: 200, min_iter: 10, tol: 1e-3, batches_per_probe: 0, seed: 0, layers: None }
    }
}

/// One layer's trace estimate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerTrace {
    /// Layer index.
    pub layer: usize,
    /// Layer name (`layer{index}`).
    pub name: String,
    /// Parameters in the block (weights, plus biases when included).
    pub params: usize,
    /// The estimate of `Tr(H_l)`: the mean of `v_lᵀ (H v)_l` over the probes.
    pub mean: f64,
    /// Its standard error (sample deviation / √samples).
    pub std_err: f64,
    /// Probes averaged.
    pub samples: usize,
    /// Whether the tolerance stopped this layer (else `max_iter` did).
    #[serde(default)]
    pub converged: bool,
}

impl LayerTrace {
    /// The average trace `Tr(H_l) / #params` (HAWQ's Tr̄).
    pub fn average(&self) -> f64 {
        self.mean / self.params.max(1) as f64
    }
}

/// The result of [`hutchinson_trace`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceResult {
    /// One estimate per selected layer.
    pub layers: Vec<LayerTrace>,
    /// Probes taken (products computed; each covers the layers not yet converged).
    pub iterations: usize,
    /// Whether the tolerance stopped every layer (else `max_iter` stopped some).
    pub converged: bool,
    /// Whether the blocks include biases.
    pub include_bias: bool,
}

/// Reported after each probe.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceProgress<'a> {
    /// Probes taken so far.
    pub iteration: usize,
    /// The running estimates (`converged` marks the layers no longer probed).
    pub layers: &'a [LayerTrace],
    /// The largest relative change of a running mean among the layers probed in this probe
    /// (infinite on their first probe).
    pub max_relative_change: f64,
}

/// PyHessian's floor under the running mean in the relative-change test.
const TOL_FLOOR: f64 = 1e-6;

#[derive(Debug, Clone, Copy, Default)]
struct Welford {
    n: usize,
    mean: f64,
    m2: f64,
}

impl Welford {
    fn push(&mut self, x: f64) {
        self.n += 1;
        let d = x - self.mean;
        self.mean += d / self.n as f64;
        self.m2 += d * (x - self.mean);
    }

    fn std_err(&self) -> f64 {
        if self.n < 2 { f64::INFINITY } else { (self.m2 / (self.n - 1) as f64 / self.n as f64).sqrt() }
    }
}

/// Estimates `Tr(H_l)` of each selected layer with Hutchinson's method, as PyHessian does: each
/// probe draws one Rademacher vector `v` over the blocks of the layers still being estimated,
/// takes one product `H v` restricted to those blocks and adds `v_lᵀ (H v)_l` to layer `l`'s
/// samples; cross-block terms vanish in expectation because the blocks of `v` are independent.
/// Each layer stops on its own (see [`TraceConfig::tol`]); later products leave its block out
/// (its parameters become constants there), which makes them cheaper and removes its
/// cross-block terms from the other layers' samples (still unbiased).
///
/// Errors: `max_iter = 0`, a negative or non-finite `tol` ([`Error::InvalidSetting`]); an
/// unknown layer or one without trainable parameters ([`Error::NoParameters`]); a
/// non-finite loss, gradient or product ([`Error::HessianNonFinite`], naming the layer and
/// the probe). An empty data set cannot be built into a [`HessianData`].
pub fn hutchinson_trace<B: Backend>(
    hvp: &Hvp<B>,
    data: &HessianData<B>,
    config: &TraceConfig,
    progress: &mut dyn FnMut(&TraceProgress),
) -> Result<TraceResult> {
    if config.max_iter == 0 {
        return Err(Error::InvalidSetting { setting: "trace max_iter".into(), message: "must be at least 1".into() });
    }
    if !(config.tol.is_finite() && config.tol >= 0.0) {
        return Err(Error::InvalidSetting {
            setting: "trace tol".into(),
            message: format!("{} is not a finite non-negative number", config.tol),
        });
    }
    let layers: Vec<usize> = config.layers.clone().unwrap_or_else(|| (0..hvp.num_layers()).collect());
    hvp.check_layers(&layers)?;
    let n_batches = data.num_batches();
    let per_probe = if config.batches_per_probe == 0 { n_batches } else { config.batches_per_probe.min(n_batches) };
    let min_iter = config.min_iter.max(2);
    let mut rng = SplitMix64::new(config.seed);
    let mut stats = vec![Welford::default(); layers.len()];
    let mut results: Vec<LayerTrace> = layers
        .iter()
        .map(|&l| LayerTrace {
            layer: l,
            name: layer_name(l),
            params: hvp.block_len(l),
            mean: 0.0,
            std_err: f64::INFINITY,
            samples: 0,
            converged: false,
        })
        .collect();
    let mut next_batch = 0;
    let mut iterations = 0;
    for it in 0..config.max_iter {
        // Positions (in `layers`) of the layers still being estimated.
        let active: Vec<usize> = (0..layers.len()).filter(|&k| !results[k].converged).collect();
        if active.is_empty() {
            break;
        }
        let selected: Vec<usize> = active.iter().map(|&k| layers[k]).collect();
        let batches: Vec<usize> = (0..per_probe).map(|k| (next_batch + k) % n_batches).collect();
        next_batch = (next_batch + per_probe) % n_batches;
        let v: Vec<_> = selected.iter().map(|&l| hvp.rademacher(l, &mut rng)).collect();
        let hv = hvp.hvp_selected(data, &batches, &selected, &v, it, false)?.hv;
        let mut max_change: f64 = 0.0;
        for ((&k, vk), hk) in active.iter().zip(&v).zip(&hv) {
            let sample = vk.dot(hk);
            check_value(sample, "Hessian-vector product", &layer_name(layers[k]), it)?;
            let old = stats[k].mean;
            stats[k].push(sample);
            let change =
                if stats[k].n < 2 { f64::INFINITY } else { (stats[k].mean - old).abs() / (old.abs() + TOL_FLOOR) };
            max_change = max_change.max(change);
            let r = &mut results[k];
            (r.mean, r.std_err, r.samples) = (stats[k].mean, stats[k].std_err(), stats[k].n);
            r.converged = config.tol > 0.0 && stats[k].n >= min_iter && change < config.tol;
        }
        iterations = it + 1;
        progress(&TraceProgress { iteration: iterations, layers: &results, max_relative_change: max_change });
    }
    let converged = results.iter().all(|r| r.converged);
    Ok(TraceResult { layers: results, iterations, converged, include_bias: hvp.include_bias() })
}
