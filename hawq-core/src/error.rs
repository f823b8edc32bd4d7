//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `hawq-core`. Each variant names the layer, quantizer, file or
/// data item concerned.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A bit width outside `1..=32`.
    #[error("{what}: bit width {bits} is out of range (1..=32)")]
    InvalidBits {
        /// The quantizer (for example `layer 1 weight`).
        what: String,
        /// The rejected width.
        bits: u32,
    },
    /// Layer widths that do not chain, or a configuration that does not fit the model.
    #[error("{what}: {message}")]
    Config {
        /// The layer or setting concerned.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A NaN or infinite value in weights, data or a loss.
    #[error("{what}: non-finite value {value} at index {index}")]
    NonFinite {
        /// Where it was found (for example `layer 0 weight` or `training features`).
        what: String,
        /// The flat index of the first offending value.
        index: usize,
        /// The value itself.
        value: f64,
    },
    /// A data set without samples.
    #[error("{what}: the data set is empty")]
    EmptyDataset {
        /// Which data set.
        what: String,
    },
    /// Data whose shape does not match the model.
    #[error("{what}: {message}")]
    Shape {
        /// Which tensor or data set.
        what: String,
        /// What is wrong.
        message: String,
    },
    /// A requantization multiplier that cannot be represented as `b / 2^c`.
    #[error("layer {layer}: requantization multiplier {multiplier} cannot be represented as b/2^c")]
    Multiplier {
        /// The layer index.
        layer: usize,
        /// The multiplier.
        multiplier: f64,
    },
    /// Reading or writing a file failed.
    #[error("{path}: {message}")]
    File {
        /// The file.
        path: PathBuf,
        /// What failed.
        message: String,
    },
    /// A NaN or infinite loss, gradient or Hessian-vector product during a Hessian estimate.
    #[error("Hessian estimate, iteration {iteration}: non-finite {quantity} ({value}) at {layer}")]
    HessianNonFinite {
        /// `loss`, `gradient` or `Hessian-vector product`.
        quantity: String,
        /// The layer (for example `layer 2`), or `the whole model` for the loss.
        layer: String,
        /// The iteration (probe or power step, 0-based) at which it appeared.
        iteration: usize,
        /// The offending value (a sum over the block for gradients and products).
        value: f64,
    },
    /// A layer selected for a Hessian estimate that has no (trainable) parameters.
    #[error("{layer}: no trainable parameters ({reason})")]
    NoParameters {
        /// The layer as selected (for example `layer 7`).
        layer: String,
        /// Why: out of range, or its parameters do not require gradients.
        reason: String,
    },
    /// A setting of a Hessian estimate that cannot work (`max_iter = 0`, a zero batch size, a
    /// negative tolerance, no candidates).
    #[error("{setting}: {message}")]
    InvalidSetting {
        /// The setting (for example `trace max_iter`).
        setting: String,
        /// What is wrong.
        message: String,
    },
    /// The QONNX graph could not be built, transformed or run.
    #[error("QONNX export ({what}): {source}")]
    Qonnx {
        /// The step that failed.
        what: String,
        /// The `qonnx-ir` error.
        #[source]
        source: qonnx_ir::Error,
    },
}

/// `Result` with [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// Fails with [`Error::NonFinite`] at the first NaN or infinity of `values`.
pub(crate) fn check_finite(what: &str, values: &[f32]) -> Result<()> {
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(Error::NonFinite { what: what.to_string(), index, value: f64::from(values[index]) }),
        None => Ok(()),
    }
}
