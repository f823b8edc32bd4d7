//! Training: Adam, a step learning-rate schedule, cross-entropy (plus optional L1 on weights),
//! mini-batches, epochs, early stopping on validation loss, metrics, a progress callback, and
//! checkpoints that [`resume`] continues from exactly. Works on any autodiff backend; everything
//! random comes from the seed.
//!
//! A checkpoint directory holds `checkpoint.json` (format, epochs done, best validation loss,
//! early-stopping counter, shuffling RNG state, the quantization and training configurations and
//! the history so far, numbers as exact strings) and a subdirectory `epoch-NNNNNN/` with
//! `model.bin`, `optimizer.bin` (Adam's moments and step counts) and, when early stopping keeps
//! one, `best.bin` (burn `BinFileRecorder` records in double precision, so float32 and float64
//! models round-trip bit for bit). `checkpoint.json` is replaced atomically after the records are
//! written, so an interrupted write leaves the previous checkpoint valid.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::prelude::*;
use burn::record::{BinFileRecorder, DoublePrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use serde::{Deserialize, Serialize};

use crate::bits::QuantConfig;
use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::layers::{from_host, to_host};
use crate::metrics::{Metrics, exact_f64, exact_f64_opt, metrics};
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
    /// Where and when to write checkpoints (`None`: never).
    #[serde(default)]
    pub checkpoint: Option<CheckpointConfig>,
    /// Weights to keep at zero (magnitude pruning, [`crate::prune`]): the mask is applied after
    /// every optimizer step (`None`: no pruning).
    #[serde(default)]
    pub mask: Option<crate::prune::PruneMask>,
}

/// Where and when [`train`] (and [`resume`]) write a checkpoint. Each write replaces the
/// previous one in `dir`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointConfig {
    /// The checkpoint directory (created when missing).
    pub dir: PathBuf,
    /// Write after every `every`-th epoch (epochs `every`, `2·every`, …; 0: not on a schedule).
    pub every: usize,
    /// Write after every epoch whose validation loss is a new best (needs validation data).
    pub at_best: bool,
}

impl CheckpointConfig {
    /// A checkpoint in `dir` after every `every`-th epoch.
    pub fn every(dir: impl Into<PathBuf>, every: usize) -> CheckpointConfig {
        CheckpointConfig { dir: dir.into(), every, at_best: false }
    }

    /// A checkpoint in `dir` at each new best validation loss.
    pub fn at_best(dir: impl Into<PathBuf>) -> CheckpointConfig {
        CheckpointConfig { dir: dir.into(), every: 0, at_best: true }
    }
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
            checkpoint: None,
            mask: None,
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
        let bad = |m: &str| Err(Error::Config { what: "training config".into(), message: m.to_string() });
        if self.batch_size == 0 {
            return bad("batch size is zero");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("learning rate must be positive");
        }
        if let Some(c) = &self.checkpoint
            && c.every == 0
            && !c.at_best
        {
            return bad("a checkpoint needs `every > 0` or `at_best`");
        }
        Ok(())
    }
}

/// What one epoch did (given to the progress callback).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochReport {
    /// Epoch index (0-based).
    pub epoch: usize,
    /// Learning rate used.
    #[serde(with = "exact_f64")]
    pub learning_rate: f64,
    /// Mean training loss over the batches (with the L1 term).
    #[serde(with = "exact_f64")]
    pub train_loss: f64,
    /// Validation metrics, when validation data was given.
    pub valid: Option<Metrics>,
}

/// The result of [`train`].
#[derive(Debug)]
pub struct TrainOutcome<B: AutodiffBackend> {
    /// The trained model (the best by validation loss when early stopping is on).
    pub model: QuantMlp<B>,
    /// One report per epoch run (after [`resume`], including the epochs before the checkpoint).
    pub history: Vec<EpochReport>,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
}

fn check_data<B: Backend>(model: &QuantMlp<B>, data: &Dataset, what: &str) -> Result<()> {
    if data.is_empty() {
        return Err(Error::EmptyDataset { what: what.to_string() });
    }
    let (d_in, d_out) = (model.config.widths[0], model.config.widths[model.config.widths.len() - 1]);
    if data.n_features != d_in || data.n_classes > d_out {
        return Err(Error::Shape {
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

/// The model's outputs on `data`, in batches, as host `[n, d_out]`. An [`Error::Shape`] when
/// the data's feature count is not the model's input width.
pub fn predict<B: Backend>(model: &QuantMlp<B>, data: &Dataset, batch_size: usize) -> Result<Vec<f32>> {
    let d_in = model.config.widths[0];
    if data.n_features != d_in {
        return Err(Error::Shape {
            what: "prediction data".into(),
            message: format!("{} features for a model with {d_in} inputs", data.n_features),
        });
    }
    let device = model.layers[0].weight.val().device();
    let mut out = Vec::with_capacity(data.len() * model.config.widths[model.config.widths.len() - 1]);
    let idx: Vec<usize> = (0..data.len()).collect();
    for chunk in idx.chunks(batch_size.max(1)) {
        let (f, _) = data.gather(chunk);
        let x = from_host::<B, 2>(f, [chunk.len(), data.n_features], &device);
        out.extend(to_host(model.forward(x)));
    }
    Ok(out)
}

/// Loss, accuracy and per-class AUC of `model` on `data` (on a backend without autodiff this is
/// the integer-faithful eval forward).
pub fn evaluate<B: Backend>(model: &QuantMlp<B>, data: &Dataset, batch_size: usize) -> Result<Metrics> {
    check_data(model, data, "evaluation data")?;
    let k = model.config.widths[model.config.widths.len() - 1];
    Ok(metrics(&predict(model, data, batch_size)?, &data.labels, k))
}

type AdamOptim<B> = OptimizerAdaptor<Adam, QuantMlp<B>, B>;

/// Everything a training run carries from one epoch to the next.
struct RunState<B: AutodiffBackend> {
    model: QuantMlp<B>,
    optim: AdamOptim<B>,
    rng: SplitMix64,
    /// Epochs completed (the next epoch's index).
    epochs_done: usize,
    /// The best validation loss so far.
    best_loss: Option<f64>,
    /// A snapshot of the model at the best validation loss (kept when early stopping is on).
    best_model: Option<QuantMlp<B>>,
    /// Epochs since the best validation loss.
    since_best: usize,
    stopped_early: bool,
    history: Vec<EpochReport>,
}

/// Trains `model` on `train_data`, validating on `valid` after each epoch, reporting each epoch
/// to `progress`, writing checkpoints as `config.checkpoint` says.
pub fn train<B: AutodiffBackend>(
    model: QuantMlp<B>,
    train_data: &Dataset,
    valid: Option<&Dataset>,
    config: &TrainConfig,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<TrainOutcome<B>> {
    config.validate()?;
    check_data(&model, train_data, "training data")?;
    if let Some(mask) = &config.mask {
        crate::prune::check_mask(&model, mask)?;
    }
    if let Some(v) = valid {
        check_data(&model, v, "validation data")?;
    }
    let state = RunState {
        model,
        optim: AdamConfig::new().init::<B, QuantMlp<B>>(),
        rng: SplitMix64::new(config.seed),
        epochs_done: 0,
        best_loss: None,
        best_model: None,
        since_best: 0,
        stopped_early: false,
        history: Vec::new(),
    };
    run(state, train_data, valid, config, progress)
}

/// Continues a run from the checkpoint in `dir` (written by [`train`] or [`resume`] with
/// `config.checkpoint`) up to `config.epochs` epochs in all, on `device`. With the same data and
/// the same settings as the interrupted run (only `epochs` and `checkpoint` may differ), the
/// result equals that of one uninterrupted run bit for bit: the checkpoint holds the model
/// (weights, activation ranges, batch-norm statistics), Adam's state, the shuffling RNG, the
/// best validation loss and model, the early-stopping counter and the history.
pub fn resume<B: AutodiffBackend>(
    dir: &Path,
    device: &B::Device,
    train_data: &Dataset,
    valid: Option<&Dataset>,
    config: &TrainConfig,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<TrainOutcome<B>> {
    config.validate()?;
    let meta = read_checkpoint(dir)?;
    let files = dir.join(&meta.files);
    let recorder = BinFileRecorder::<DoublePrecisionSettings>::new();
    let load_model = |name: &str| -> Result<QuantMlp<B>> {
        let path = files.join(name);
        let fresh = QuantMlp::<B>::new(&meta.quant_config, device, 0)?;
        let model =
            fresh.load_file(path.clone(), &recorder, device).map_err(|e| file_err(&path.with_extension("bin"), e))?;
        crate::record::check_shapes(&model, &path.with_extension("bin"))?;
        Ok(if meta.frozen { model.freeze() } else { model })
    };
    let model = load_model("model")?;
    check_data(&model, train_data, "training data")?;
    if let Some(mask) = &config.mask {
        crate::prune::check_mask(&model, mask)?;
    }
    if let Some(v) = valid {
        check_data(&model, v, "validation data")?;
    }
    let best_model = if meta.has_best_model { Some(load_model("best")?) } else { None };
    let opt_path = files.join("optimizer");
    let record = Recorder::<B>::load(&recorder, opt_path.clone(), device)
        .map_err(|e| file_err(&opt_path.with_extension("bin"), e))?;
    let optim = AdamConfig::new().init::<B, QuantMlp<B>>().load_record(record);
    let state = RunState {
        model,
        optim,
        rng: SplitMix64::new(meta.rng_state),
        epochs_done: meta.epochs_done,
        best_loss: meta.best_valid_loss,
        best_model,
        since_best: meta.since_best,
        stopped_early: meta.stopped_early,
        history: meta.history,
    };
    run(state, train_data, valid, config, progress)
}

fn run<B: AutodiffBackend>(
    mut st: RunState<B>,
    train_data: &Dataset,
    valid: Option<&Dataset>,
    config: &TrainConfig,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<TrainOutcome<B>> {
    let device = st.model.layers[0].weight.val().device();
    while !st.stopped_early && st.epochs_done < config.epochs {
        let epoch = st.epochs_done;
        let lr = config.lr_at(epoch);
        let mut order: Vec<usize> = (0..train_data.len()).collect();
        st.rng.shuffle(&mut order);
        let (mut sum, mut batches) = (0.0, 0usize);
        for (b, chunk) in order.chunks(config.batch_size).enumerate() {
            let (f, labels) = train_data.gather(chunk);
            let x = from_host::<B, 2>(f, [chunk.len(), train_data.n_features], &device);
            let logits = st.model.forward(x);
            let mut loss = cross_entropy_loss(logits, &labels);
            if config.l1 > 0.0 {
                for layer in &st.model.layers {
                    loss = loss + layer.weight.val().abs().sum() * config.l1;
                }
            }
            let value = f64::from(to_host(loss.clone())[0]);
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    what: format!("training loss, epoch {epoch} batch {b}"),
                    index: 0,
                    value,
                });
            }
            sum += value;
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &st.model);
            st.model = st.optim.step(lr, st.model, grads);
            if let Some(mask) = &config.mask {
                st.model = st.model.apply_mask(mask)?;
            }
        }
        let valid_metrics = match valid {
            Some(v) => Some(evaluate(&st.model.valid(), v, config.batch_size.max(4096))?),
            None => None,
        };
        let report =
            EpochReport { epoch, learning_rate: lr, train_loss: sum / batches.max(1) as f64, valid: valid_metrics };
        progress(&report);
        st.epochs_done = epoch + 1;
        let mut new_best = false;
        if let Some(m) = &report.valid {
            if st.best_loss.is_none_or(|l| m.loss < l) {
                st.best_loss = Some(m.loss);
                st.since_best = 0;
                new_best = true;
                if config.patience.is_some() {
                    // A snapshot, not a clone: a clone would share the running activation
                    // ranges and batch-norm statistics with the model that keeps training.
                    st.best_model = Some(st.model.snapshot());
                }
            } else {
                st.since_best += 1;
            }
            if config.patience.is_some_and(|p| st.since_best >= p) {
                st.stopped_early = true;
            }
        }
        st.history.push(report);
        if let Some(c) = &config.checkpoint
            && ((c.every > 0 && st.epochs_done.is_multiple_of(c.every)) || (c.at_best && new_best))
        {
            write_checkpoint(c, &st, config)?;
        }
    }
    let model = match (config.patience, st.best_model) {
        (Some(_), Some(m)) => m,
        _ => st.model,
    };
    Ok(TrainOutcome { model, history: st.history, stopped_early: st.stopped_early })
}

/// Format tag of `checkpoint.json`.
pub const CHECKPOINT_FORMAT: &str = "hawq-core-checkpoint/1";

/// The name of a checkpoint directory's metadata file.
pub const CHECKPOINT_FILE: &str = "checkpoint.json";

/// The readable part of a checkpoint (`checkpoint.json`); the records sit in `files`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckpointMeta {
    /// [`CHECKPOINT_FORMAT`].
    pub format: String,
    /// The subdirectory (relative to the checkpoint directory) holding `model.bin`,
    /// `optimizer.bin` and maybe `best.bin`.
    pub files: String,
    /// Epochs completed; training resumes with this epoch index.
    pub epochs_done: usize,
    /// The best validation loss so far (exact, as a string).
    #[serde(with = "exact_f64_opt")]
    pub best_valid_loss: Option<f64>,
    /// Epochs since the best validation loss (the early-stopping counter).
    pub since_best: usize,
    /// Whether early stopping had ended the run.
    pub stopped_early: bool,
    /// Whether `best.bin` holds the model at the best validation loss.
    pub has_best_model: bool,
    /// The state of the shuffling RNG after the last completed epoch.
    pub rng_state: u64,
    /// Whether the model's activation quantizers (and batch norms) were frozen.
    pub frozen: bool,
    /// The model's quantization configuration.
    pub quant_config: QuantConfig,
    /// The training configuration of the run that wrote the checkpoint.
    pub train_config: TrainConfig,
    /// One report per completed epoch.
    pub history: Vec<EpochReport>,
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::File { path: path.to_path_buf(), message: e.to_string() }
}

/// Reads `checkpoint.json` of the checkpoint directory `dir`.
pub fn read_checkpoint(dir: &Path) -> Result<CheckpointMeta> {
    let path = dir.join(CHECKPOINT_FILE);
    let text = std::fs::read_to_string(&path).map_err(|e| file_err(&path, e))?;
    let meta: CheckpointMeta = serde_json::from_str(&text).map_err(|e| file_err(&path, e))?;
    if meta.format != CHECKPOINT_FORMAT {
        return Err(file_err(&path, format!("unknown format {:?} (expected {CHECKPOINT_FORMAT:?})", meta.format)));
    }
    if meta.files.is_empty() || meta.files.contains(['/', '\\']) || meta.files.starts_with('.') {
        return Err(file_err(&path, format!("bad record directory {:?}", meta.files)));
    }
    meta.quant_config.validate().map_err(|e| file_err(&path, e))?;
    Ok(meta)
}

/// Writes the records into a fresh `epoch-NNNNNN/` subdirectory, then replaces
/// `checkpoint.json` atomically, then removes the previous subdirectory.
fn write_checkpoint<B: AutodiffBackend>(c: &CheckpointConfig, st: &RunState<B>, config: &TrainConfig) -> Result<()> {
    let previous = read_checkpoint(&c.dir).ok().map(|m| m.files);
    let files = format!("epoch-{:06}", st.epochs_done);
    let sub = c.dir.join(&files);
    std::fs::create_dir_all(&sub).map_err(|e| file_err(&sub, e))?;
    let recorder = BinFileRecorder::<DoublePrecisionSettings>::new();
    let save = |model: &QuantMlp<B>, name: &str| -> Result<()> {
        let path = sub.join(name);
        model.clone().save_file(path.clone(), &recorder).map_err(|e| file_err(&path.with_extension("bin"), e))
    };
    save(&st.model, "model")?;
    if let Some(best) = &st.best_model {
        save(best, "best")?;
    }
    let opt_path = sub.join("optimizer");
    Recorder::<B>::record(&recorder, st.optim.to_record(), opt_path.clone())
        .map_err(|e| file_err(&opt_path.with_extension("bin"), e))?;
    let meta = CheckpointMeta {
        format: CHECKPOINT_FORMAT.into(),
        files: files.clone(),
        epochs_done: st.epochs_done,
        best_valid_loss: st.best_loss,
        since_best: st.since_best,
        stopped_early: st.stopped_early,
        has_best_model: st.best_model.is_some(),
        rng_state: st.rng.state(),
        frozen: st.model.input_act.frozen,
        quant_config: st.model.config.clone(),
        train_config: config.clone(),
        history: st.history.clone(),
    };
    let json = c.dir.join(CHECKPOINT_FILE);
    let tmp = c.dir.join(format!("{CHECKPOINT_FILE}.tmp"));
    let text = serde_json::to_string_pretty(&meta).map_err(|e| file_err(&json, e))?;
    std::fs::write(&tmp, text).map_err(|e| file_err(&tmp, e))?;
    std::fs::rename(&tmp, &json).map_err(|e| file_err(&json, e))?;
    if let Some(old) = previous.filter(|old| *old != files) {
        // Best effort: a stale record directory does no harm.
        let _ = std::fs::remove_dir_all(c.dir.join(old));
    }
    Ok(())
}
