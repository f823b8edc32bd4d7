//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `hls-backend`, naming the node, layer, file or setting.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The QONNX model could not be read or analysed.
    #[error(transparent)]
    Qonnx(#[from] qonnx_ir::Error),
    /// An op that the backend cannot lower.
    #[error("node `{node}`: op `{op}` is not supported by the HLS backend")]
    UnsupportedOp {
        /// The node.
        node: String,
        /// Its op type.
        op: String,
    },
    /// A node that is supported in principle but not in this form (non-constant parameter,
    /// rounding mode with no `ap_fixed` equivalent, …).
    #[error("node `{node}` ({op}): {message}")]
    Unsupported {
        /// The node.
        node: String,
        /// Its op type.
        op: String,
        /// Why.
        message: String,
    },
    /// The graph is not a chain of layers the backend understands.
    #[error("graph structure: {0}")]
    Structure(String),
    /// A precision that cannot be represented.
    #[error("precision: {0}")]
    Precision(String),
    /// A layer the RTL writer cannot build (an op it has no circuit for, a signal too wide).
    #[error("layer `{layer}`: {message}")]
    Rtl {
        /// The layer.
        layer: String,
        /// Why.
        message: String,
    },
    /// A configuration error (unknown layer, bad value).
    #[error("configuration: {0}")]
    Config(String),
    /// Emulator input of the wrong shape.
    #[error("emulator input: {0}")]
    Input(String),
    /// A file could not be written or read.
    #[error("{path}: {error}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },
}

/// The `map_err` of an I/O failure on `path`.
pub(crate) fn io(path: &std::path::Path) -> impl FnOnce(std::io::Error) -> Error {
    let path = path.to_path_buf();
    move |error| Error::Io { path, error }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
