//! Training: Adam, a step learning-rate schedule, cross-entropy (plus optional L1 on weights),
//! mini-batches, epochs, early stopping on validation loss, metrics and a progress callback.
//! Works on any autodiff backend; everything random comes from the seed.

use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::tensor::backend::AutodiffBackend;

use crate::data::Dataset;
use crate::error::{HawqError, Result};
use crate::layers::{from_host, to_host};
use crate::metrics::{Metrics, metrics};
use crate::mlp::QuantMlp;
use crate::rng::SplitMix64;

/// Training settings.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainConfig {
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per step.
    pub batch_size: usize,
    /// Initial learning rate.
    pub learning_rate: f64,
    /// Multiply the learning rate by `lr_gamma` every `lr_step` epochs (0: never).
    pub lr_step: usize,
    /// The step factor.
    pub lr_gamma: f64,
    /// Weight of the L1 penalty on the weights (0: none).
    pub l1: f64,
    /// Stop after this many epochs without a better validation loss (needs validation data).
    pub patience: Option<usize>,
    /// Seed of the shuffling.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            epochs: 10,
            batch_size: 1024,
            learning_rate: 1e-3,
            lr_step: 0,
            lr_gamma: 0.5,
            l1: 0.0,
            patience: None,
            seed: 0,
        }
    }
}

impl TrainConfig {
    /// The learning rate in epoch `epoch` (0-based).
    pub fn lr_at(&self, epoch: usize) -> f64 {
        match epoch.checked_div(self.lr_step) {
            Some(k) => self.learning_rate * self.lr_gamma.powi(k as i32),
            None => self.learning_rate,
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(HawqError::Config { what: "training config".into(), message: m.to_string() });
        if self.batch_size == 0 {
            return bad("batch size is zero");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning rate must be positive");
        }
        Ok(())
    }
}

/// What one epoch did (given to the progress callback).
#[derive(Debug, Clone, PartialEq)]
pub struct EpochReport {
    /// Epoch index (0-based).
    pub epoch: usize,
    /// Learning rate used.
    pub learning_rate: f64,
    /// Mean training loss over the batches (with the L1 term).
    pub train_loss: f64,
    /// Validation metrics, when validation data was given.
    pub valid: Option<Metrics>,
}

/// The result of [`train`].
#[derive(Debug)]
pub struct TrainOutcome<B: AutodiffBackend> {
    /// The trained model (the best by validation loss when early stopping is on).
    pub model: QuantMlp<B>,
    /// One report per epoch run.
    pub history: Vec<EpochReport>,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
}

fn check_data<B: Backend>(model: &QuantMlp<B>, data: &Dataset, what: &str) -> Result<()> {
    if data.is_empty() {
        return Err(HawqError::EmptyDataset { what: what.to_string() });
    }
    let (d_in, d_out) = (model.config.widths[0], model.config.widths[model.config.widths.len() - 1]);
    if data.n_features != d_in || data.n_classes > d_out {
        return Err(HawqError::Shape {
            what: what.to_string(),
            message: format!(
                "{} features and {} classes for a model with {d_in} inputs and {d_out} outputs",
                data.n_features, data.n_classes
            ),
        });
    }
    crate::error::check_finite(&format!("{what} features"), &data.features)
}

/// Cross-entropy of `logits` against integer `labels` (one-hot built on the host).
pub fn cross_entropy_loss<B: Backend>(logits: Tensor<B, 2>, labels: &[usize]) -> Tensor<B, 1> {
    let [n, k] = logits.dims();
    let mut onehot = vec![0.0f32; n * k];
    for (i, &l) in labels.iter().enumerate() {
        onehot[i * k + l] = 1.0;
    }
    let onehot = from_host::<B, 2>(onehot, [n, k], &logits.device());
    let logp = burn::tensor::activation::log_softmax(logits, 1);
    (logp * onehot).sum_dim(1).mean().neg()
}

/// The model's outputs on `data`, in batches, as host `[n, d_out]`.
pub fn predict<B: Backend>(model: &QuantMlp<B>, data: &Dataset, batch_size: usize) -> Vec<f32> {
    let device = model.layers[0].weight.val().device();
    let mut out = Vec::with_capacity(data.len() * model.config.widths[model.config.widths.len() - 1]);
    let idx: Vec<usize> = (0..data.len()).collect();
    for chunk in idx.chunks(batch_size.max(1)) {
        let (f, _) = data.gather(chunk);
        let x = from_host::<B, 2>(f, [chunk.len(), data.n_features], &device);
        out.extend(to_host(model.forward(x)));
    }
    out
}

/// Loss, accuracy and per-class AUC of `model` on `data` (on a backend without autodiff this is
/// the integer-faithful eval forward).
pub fn evaluate<B: Backend>(model: &QuantMlp<B>, data: &Dataset, batch_size: usize) -> Result<Metrics> {
    check_data(model, data, "evaluation data")?;
    let k = model.config.widths[model.config.widths.len() - 1];
    Ok(metrics(&predict(model, data, batch_size), &data.labels, k))
}

/// Trains `model` on `train_data`, validating on `valid` after each epoch, reporting each epoch
/// to `progress`.
pub fn train<B: AutodiffBackend>(
    mut model: QuantMlp<B>,
    train_data: &Dataset,
    valid: Option<&Dataset>,
    config: &TrainConfig,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<TrainOutcome<B>> {
    config.validate()?;
    check_data(&model, train_data, "training data")?;
    if let Some(v) = valid {
        check_data(&model, v, "validation data")?;
    }
    let device = model.layers[0].weight.val().device();
    let mut optim = AdamConfig::new().init::<B, QuantMlp<B>>();
    let mut rng = SplitMix64::new(config.seed);
    let mut history = Vec::new();
    let mut best: Option<(f64, QuantMlp<B>)> = None;
    let mut since_best = 0;
    let mut stopped_early = false;
    for epoch in 0..config.epochs {
        let lr = config.lr_at(epoch);
        let mut order: Vec<usize> = (0..train_data.len()).collect();
        rng.shuffle(&mut order);
        let (mut sum, mut batches) = (0.0, 0usize);
        for (b, chunk) in order.chunks(config.batch_size).enumerate() {
            let (f, labels) = train_data.gather(chunk);
            let x = from_host::<B, 2>(f, [chunk.len(), train_data.n_features], &device);
            let logits = model.forward(x);
            let mut loss = cross_entropy_loss(logits, &labels);
            if config.l1 > 0.0 {
                for layer in &model.layers {
                    loss = loss + layer.weight.val().abs().sum() * config.l1;
                }
            }
            let value = f64::from(to_host(loss.clone())[0]);
            if !value.is_finite() {
                return Err(HawqError::NonFinite {
                    what: format!("training loss, epoch {epoch} batch {b}"),
                    index: 0,
                    value,
                });
            }
            sum += value;
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(lr, model, grads);
        }
        let valid_metrics = match valid {
            Some(v) => Some(evaluate(&model.valid(), v, config.batch_size.max(4096))?),
            None => None,
        };
        let report =
            EpochReport { epoch, learning_rate: lr, train_loss: sum / batches.max(1) as f64, valid: valid_metrics };
        progress(&report);
        if let (Some(patience), Some(m)) = (config.patience, &report.valid) {
            if best.as_ref().is_none_or(|(l, _)| m.loss < *l) {
                best = Some((m.loss, model.clone()));
                since_best = 0;
            } else {
                since_best += 1;
            }
            history.push(report);
            if since_best >= patience {
                stopped_early = true;
                break;
            }
        } else {
            history.push(report);
        }
    }
    let model = match best {
        Some((_, m)) => m,
        None => model,
    };
    Ok(TrainOutcome { model, history, stopped_early })
}
