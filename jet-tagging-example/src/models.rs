//! Training one model (on the CPU or, with feature `wgpu`, the GPU), and evaluating and exporting
//! it: test metrics from the integer-only engine, the QONNX graph (a plain ONNX graph for a float
//! model), its BOPs from `qonnx-ir`'s cost analysis, and the engine's outputs on the test jets.

use std::path::Path;

use burn::module::AutodiffModule;
use burn::tensor::backend::AutodiffBackend;
use hawq_core::backend::Cpu;
use hawq_core::export::{ExportOptions, export_float, export_qonnx};
use hawq_core::metrics::{metrics, roc_curve, softmax};
use hawq_core::prune::magnitude_mask;
use hawq_core::train::{EpochReport, TrainConfig, evaluate, predict, train};
use hawq_core::{BitConfig, IntegerMlp, QuantConfig, QuantMlp, record};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io};
use crate::jets::Jets;
use crate::results::{LayerBits, ModelResult};

/// Where training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Device {
    /// burn's ndarray backend.
    Cpu,
    /// burn's wgpu backend (feature `wgpu`).
    Wgpu,
}

/// How a training run starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Start {
    /// A fresh model of this configuration, initialised with this seed.
    Fresh(QuantConfig, u64),
    /// The model stored in a step folder (`model.*`), given other bits (warm start), optionally
    /// pruned by magnitude to a sparsity that training then keeps.
    From {
        /// The step folder (the study gives it relative to the study folder in keys).
        dir: String,
        /// The bits.
        bits: Vec<BitConfig>,
        /// The fraction of each layer's weights pruned (`None`: none).
        prune: Option<f64>,
    },
}

/// The file stem of a stored model inside its step folder.
pub const MODEL_FILE: &str = "model";
/// The exported graph inside a step folder.
pub const ONNX_FILE: &str = "model.onnx";
/// The exported graph with the scaler folded in front: it takes raw features.
pub const RAW_ONNX_FILE: &str = "model_raw_features.onnx";
/// The model's outputs on the test jets (`[jets, classes]`, float32; the integer engine's,
/// dequantized, for a quantized model).
pub const OUTPUTS_FILE: &str = "engine_outputs.npy";

/// Trains as `start` and `tc` say on `device`, reporting each epoch; the result is on the CPU.
pub fn train_model(
    start: &Start,
    data: &hawq_core::Dataset,
    tc: &TrainConfig,
    device: Device,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<(QuantMlp<Cpu>, Vec<f64>)> {
    match device {
        Device::Cpu => train_on::<hawq_core::backend::CpuTrain>(&Default::default(), start, data, tc, progress),
        #[cfg(feature = "wgpu")]
        Device::Wgpu => train_on::<hawq_core::backend::GpuTrain>(&Default::default(), start, data, tc, progress),
        #[cfg(not(feature = "wgpu"))]
        Device::Wgpu => Err(Error::Setting {
            setting: "device".into(),
            message: "this build has no GPU backend; rebuild with `--features wgpu`".into(),
        }),
    }
}

fn train_on<B: AutodiffBackend>(
    device: &B::Device,
    start: &Start,
    data: &hawq_core::Dataset,
    tc: &TrainConfig,
    progress: &mut dyn FnMut(&EpochReport),
) -> Result<(QuantMlp<Cpu>, Vec<f64>)> {
    let (model, tc) = match start {
        Start::Fresh(config, seed) => (config.init::<B>(device, *seed)?, tc.clone()),
        Start::From { dir, bits, prune } => {
            let model = record::load::<B>(&Path::new(dir).join(MODEL_FILE), device)?.unfreeze().with_bits(bits)?;
            match prune {
                Some(s) => {
                    let mask = magnitude_mask(&model, *s)?;
                    (model.apply_mask(&mask)?, TrainConfig { mask: Some(mask), ..tc.clone() })
                }
                None => (model, tc.clone()),
            }
        }
    };
    let out = train(model, data, None, &tc, progress)?;
    let losses = out.history.iter().map(|r| r.train_loss).collect();
    Ok((record::to_backend::<B::InnerBackend, Cpu>(&out.model.valid(), &Default::default())?, losses))
}

/// The integer-only model of a trained quantized model.
pub fn integer_of(model: &QuantMlp<Cpu>) -> Result<IntegerMlp> {
    Ok(model.clone().freeze().to_integer()?)
}

/// Saves `model` into the step folder `dir`, exports it, evaluates it on the test jets and
/// writes its outputs there. `rel` is the folder's path relative to the study folder.
pub fn save_and_evaluate(
    model: &QuantMlp<Cpu>,
    name: &str,
    jets: &Jets,
    train_loss: Vec<f64>,
    dir: &Path,
    rel: &str,
) -> Result<ModelResult> {
    record::save(model, &dir.join(MODEL_FILE))?;
    let k = jets.test.n_classes;
    let test = &jets.test;
    let frozen = model.clone().freeze();
    let graph_logits = predict(&frozen, test, 4096)?;
    let accuracy_training_graph = 100.0 * evaluate(&frozen, test, 4096)?.accuracy;
    let opts = ExportOptions { name: name.replace(' ', "_"), ..Default::default() };
    let (logits, onnx, input_bits, bits, weights, max_acc) = if model.config.quantize {
        let int = integer_of(model)?;
        let logits = int.predict(&test.features)?;
        let bits = int.layers.iter().map(|l| LayerBits { weight: l.weight_bits, activation: l.output.bits }).collect();
        let weights: Vec<bool> = int.layers.iter().flat_map(|l| l.weight.iter().map(|&w| w == 0)).collect();
        let acc = Some(int.max_accumulator_bits());
        (logits, export_qonnx(&int, &opts)?, Some(int.input_range.bits), bits, weights, acc)
    } else {
        let weights =
            (0..model.layers.len()).flat_map(|l| model.effective_weights_host(l).0).map(|w| w == 0.0).collect();
        (graph_logits, export_float(model, &opts)?, None, Vec::new(), weights, None)
    };
    let onnx_path = dir.join(ONNX_FILE);
    onnx.save(&onnx_path)?;
    fold_scaler(&onnx, &jets.info.scaler)?.save(dir.join(RAW_ONNX_FILE))?;
    let cost = qonnx_ir::cost::analyze(&onnx)?;
    let out = ndarray::Array2::from_shape_vec((test.len(), k), logits.clone())
        .map_err(|e| Error::Setting { setting: "outputs".into(), message: e.to_string() })?;
    let npy = dir.join(OUTPUTS_FILE);
    crate::store::write_npy(&npy, &out)?;
    let m = metrics(&logits, &test.labels, k);
    let p = softmax(&logits, k);
    let roc = (0..k)
        .map(|c| {
            let s: Vec<f64> = p.chunks(k).map(|r| r[c]).collect();
            let pos: Vec<bool> = test.labels.iter().map(|&l| l == c).collect();
            roc_curve(&s, &pos, 200)
        })
        .collect();
    let zeros = weights.iter().filter(|&&z| z).count();
    Ok(ModelResult {
        name: name.into(),
        input_bits,
        bits,
        accuracy: 100.0 * m.accuracy,
        accuracy_training_graph,
        auc: m.auc,
        roc,
        bops: cost.total_bops,
        weight_bits: cost.total_weight_bits,
        sparsity: zeros as f64 / weights.len().max(1) as f64,
        max_accumulator_bits: max_acc,
        train_loss,
        onnx: format!("{rel}/{ONNX_FILE}"),
    })
}

/// `graph` with the standard scaler folded in front, so that it takes raw features: its input
/// (renamed `<input>_raw`) feeds `Sub(x, mean)` then `Div(·, sd)` in float32, which is exactly
/// `Standardiser::apply`, and their result takes the old input's name. Shapes are inferred again.
pub fn fold_scaler(graph: &qonnx_ir::Model, scaler: &jet_data::Standardiser) -> Result<qonnx_ir::Model> {
    use qonnx_ir::{Node, Tensor};
    let mut m = graph.clone();
    let g = &mut m.graph;
    let input = g
        .inputs
        .first()
        .map(|v| v.name.clone())
        .ok_or_else(|| Error::Setting { setting: "scaler folding".into(), message: "the graph has no input".into() })?;
    let n = scaler.mean.len();
    let raw = format!("{input}_raw");
    g.inputs[0].name = raw.clone();
    g.set_initializer("scaler_mean", Tensor::from_f32(&[n], scaler.mean.clone())?);
    g.set_initializer("scaler_sd", Tensor::from_f32(&[n], scaler.sd.clone())?);
    let mut sub = Node::new("Sub", &[&raw, "scaler_mean"], &["scaler_centred"]);
    sub.name = Some("scaler_sub".into());
    let mut div = Node::new("Div", &["scaler_centred", "scaler_sd"], &[&input]);
    div.name = Some("scaler_div".into());
    g.nodes.splice(0..0, [sub, div]);
    qonnx_ir::transform::infer_shapes(&mut m)?;
    m.set_metadata("hawq.input", "raw features (the standard scaler is folded in: scaler_sub, scaler_div)");
    Ok(m)
}

/// Reads a stored model back from its step folder.
pub fn load_model(dir: &Path) -> Result<QuantMlp<Cpu>> {
    record::load::<Cpu>(&dir.join(MODEL_FILE), &Default::default()).map_err(Error::from)
}

/// Removes a folder if it exists (for outputs replaced whole).
pub fn remove_if_exists(path: &Path) -> Result<()> {
    if path.exists() {
        std::fs::remove_dir_all(path).map_err(io(path))?;
    }
    Ok(())
}
