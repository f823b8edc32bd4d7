//! The study's one error type.

use std::path::PathBuf;

/// What can go wrong in a study step. Errors of the libraries pass through with their own
/// context (the layer, node, file or line they name); the study adds the step and the file.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Reading or checking the jets.
    #[error(transparent)]
    Data(#[from] jet_data::Error),
    /// Training, the Hessian, the integer engine or the export.
    #[error(transparent)]
    Hawq(#[from] hawq_core::Error),
    /// The bit allocation.
    #[error(transparent)]
    Ilp(#[from] hawq_ilp::Error),
    /// The firmware model, the HLS project or its C simulation.
    #[error(transparent)]
    Hls(#[from] hls_backend::Error),
    /// The QONNX graph, its cost analysis or its file.
    #[error(transparent)]
    Qonnx(#[from] qonnx_ir::Error),
    /// A file or folder could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// A JSON file could not be read or written.
    #[error("{path}: {source}")]
    Json {
        /// The file.
        path: PathBuf,
        /// What went wrong, with line and column.
        source: serde_json::Error,
    },
    /// A setting that cannot work (named).
    #[error("setting `{setting}`: {message}")]
    Setting {
        /// The setting.
        setting: String,
        /// Why.
        message: String,
    },
    /// An external tool (Python qonnx, g++) failed.
    #[error("{tool}: {message}")]
    Tool {
        /// The tool.
        tool: String,
        /// What it said.
        message: String,
    },
    /// A plot could not be drawn.
    #[error("plot {file}: {message}")]
    Plot {
        /// The plot's file.
        file: PathBuf,
        /// What the plotting library said.
        message: String,
    },
    /// A step's result is missing where a later step needs it (e.g. `merge` of incomplete shards).
    #[error("step `{step}` has no result in {dir}; run it first")]
    Missing {
        /// The step.
        step: String,
        /// The study folder.
        dir: PathBuf,
    },
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// An `Error::Io` maker for `map_err`.
pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.into();
    move |source| Error::Io { path, source }
}

/// An `Error::Json` maker for `map_err`.
pub(crate) fn json(path: impl Into<PathBuf>) -> impl FnOnce(serde_json::Error) -> Error {
    let path = path.into();
    move |source| Error::Json { path, source }
}
