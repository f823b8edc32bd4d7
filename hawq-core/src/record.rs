//! Save and load of trained models: the burn record (named MessagePack, double precision, so
//! that float32 and float64 models round-trip bit for bit; records written in single precision
//! still load) plus a readable JSON of the quantization configuration and current scales.

use std::path::{Path, PathBuf};

use burn::prelude::*;
use burn::record::{BinBytesRecorder, DoublePrecisionSettings, NamedMpkFileRecorder, Recorder};
use serde::{Deserialize, Serialize};

use crate::bits::QuantConfig;
use crate::error::{Error, Result};
use crate::mlp::QuantMlp;

/// Format tag of the JSON file.
pub const FORMAT: &str = "hawq-core/1";

/// The JSON saved beside a model's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedModel {
    /// [`FORMAT`].
    pub format: String,
    /// The quantization configuration.
    pub config: QuantConfig,
    /// Whether the activation quantizers were frozen.
    pub frozen: bool,
    /// Input scale (informative).
    pub input_scale: f32,
    /// Activation scale after each layer (informative).
    pub activation_scales: Vec<f32>,
    /// Weight scales of each layer, per output channel (of the batch-norm-folded weight where a
    /// layer has a batch norm; informative).
    pub weight_scales: Vec<Vec<f32>>,
}

fn file_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::File { path: path.to_path_buf(), message: e.to_string() }
}

/// The two files of a saved model: `<path>.mpk` and `<path>.json`.
pub fn paths(path: &Path) -> (PathBuf, PathBuf) {
    (path.with_extension("mpk"), path.with_extension("json"))
}

/// Writes `<path>.mpk` (weights and quantizer state) and `<path>.json` (configuration).
pub fn save<B: Backend>(model: &QuantMlp<B>, path: &Path) -> Result<()> {
    let (mpk, json) = paths(path);
    let saved = SavedModel {
        format: FORMAT.into(),
        config: model.config.clone(),
        frozen: model.input_act.frozen,
        input_scale: model.input_act.scale(),
        activation_scales: model.acts.iter().map(|a| a.scale()).collect(),
        weight_scales: (0..model.layers.len()).map(|l| model.effective_weight_scales(l)).collect(),
    };
    let text = serde_json::to_string_pretty(&saved).map_err(|e| file_err(&json, e))?;
    std::fs::write(&json, text).map_err(|e| file_err(&json, e))?;
    let recorder = NamedMpkFileRecorder::<DoublePrecisionSettings>::new();
    model.clone().save_file(mpk.clone(), &recorder).map_err(|e| file_err(&mpk, e))
}

/// Reads a model written by [`save`].
pub fn load<B: Backend>(path: &Path, device: &B::Device) -> Result<QuantMlp<B>> {
    let (mpk, json) = paths(path);
    let text = std::fs::read_to_string(&json).map_err(|e| file_err(&json, e))?;
    let saved: SavedModel = serde_json::from_str(&text).map_err(|e| file_err(&json, e))?;
    if saved.format != FORMAT {
        return Err(file_err(&json, format!("unknown format {:?} (expected {FORMAT:?})", saved.format)));
    }
    let model = QuantMlp::<B>::new(&saved.config, device, 0)?;
    let recorder = NamedMpkFileRecorder::<DoublePrecisionSettings>::new();
    let model = model.load_file(mpk.clone(), &recorder, device).map_err(|e| file_err(&mpk, e))?;
    check_shapes(&model, &mpk)?;
    Ok(if saved.frozen { model.freeze() } else { model })
}

/// Fails naming `file` when the tensors of a loaded record do not have the shapes the model's
/// configuration gives (burn loads a record of other widths without a word, and the model would
/// fail at its first use).
pub(crate) fn check_shapes<B: Backend>(model: &QuantMlp<B>, file: &Path) -> Result<()> {
    for (l, layer) in model.layers.iter().enumerate() {
        let (d_in, d_out) = (model.config.widths[l], model.config.widths[l + 1]);
        let (w, b) = (layer.weight.val().dims(), layer.bias.val().dims());
        if w != [d_in, d_out] || b != [d_out] {
            return Err(file_err(
                file,
                format!(
                    "layer {l}: the record holds a {w:?} weight and a {b:?} bias, but the configuration \
                     gives {d_in}×{d_out} (a record of another model?)"
                ),
            ));
        }
    }
    Ok(())
}

/// The same model on another backend (for example float32 training → float64 checks), through
/// a double-precision in-memory record.
pub fn to_backend<B1: Backend, B2: Backend>(model: &QuantMlp<B1>, device: &B2::Device) -> Result<QuantMlp<B2>> {
    let bad =
        |e: burn::record::RecorderError| Error::Config { what: "backend conversion".into(), message: e.to_string() };
    let recorder = BinBytesRecorder::<DoublePrecisionSettings>::default();
    let bytes = Recorder::<B1>::record(&recorder, model.clone().into_record(), ()).map_err(bad)?;
    let record = Recorder::<B2>::load(&recorder, bytes, device).map_err(bad)?;
    let fresh = QuantMlp::<B2>::new(&model.config, device, 0)?;
    let out = fresh.load_record(record);
    Ok(if model.input_act.frozen { out.freeze() } else { out })
}
