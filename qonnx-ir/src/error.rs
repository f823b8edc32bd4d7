//! The crate's one error type.

use std::path::PathBuf;

/// Everything that can go wrong in `qonnx-ir`. Each variant names the file, node, tensor or op
/// it is about, so that a message alone tells the user where to look.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be read or written.
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the operating system said.
        error: std::io::Error,
    },
    /// The bytes are not a valid ONNX protobuf message.
    #[error("{context}: not a valid ONNX model: {error}")]
    Decode {
        /// What was being decoded (usually a file name).
        context: String,
        /// What prost said.
        error: prost::DecodeError,
    },
    /// A tensor (initializer, attribute or runtime value) is malformed or of an unsupported type.
    #[error("tensor `{tensor}`: {message}")]
    Tensor {
        /// The tensor's name.
        tensor: String,
        /// What is wrong.
        message: String,
    },
    /// The model as a whole is malformed (no graph, duplicate producers, …).
    #[error("invalid model: {0}")]
    Model(String),
    /// The graph's nodes form a cycle.
    #[error("the graph has a cycle through node `{node}`")]
    Cycle {
        /// A node on the cycle.
        node: String,
    },
    /// A node reads a tensor that nothing produces.
    #[error("node `{node}` ({op}): input `{input}` is not produced by any node, graph input or initializer")]
    MissingInput {
        /// The node's name.
        node: String,
        /// The node's op type.
        op: String,
        /// The missing tensor.
        input: String,
    },
    /// A graph input was not supplied to the executor.
    #[error("graph input `{0}` was not supplied")]
    MissingGraphInput(String),
    /// The executor was asked for a tensor that the graph does not compute.
    #[error("tensor `{0}` is not computed by this graph")]
    UnknownTensor(String),
    /// No implementation is registered for this op.
    #[error("node `{node}`: unsupported op `{op}` (domain `{domain}`)")]
    UnknownOp {
        /// The node's name.
        node: String,
        /// The op type.
        op: String,
        /// The op's domain.
        domain: String,
    },
    /// A node's inputs or attributes are invalid for its op (shape mismatch, bad bit width, …).
    #[error("node `{node}` ({op}): {message}")]
    Node {
        /// The node's name.
        node: String,
        /// The node's op type.
        op: String,
        /// What is wrong.
        message: String,
    },
    /// A QONNX datatype name could not be parsed.
    #[error("`{0}` is not a QONNX datatype")]
    DataType(String),
    /// A SIMD level name (as in `HAWQ_SIMD`) is unknown, or this CPU lacks its instructions.
    #[error("SIMD level `{requested}`: {message}")]
    Simd {
        /// The level asked for.
        requested: String,
        /// Why it cannot be used.
        message: String,
    },
    /// A transformation cannot be applied to this model.
    #[error("transformation {pass}: {message}")]
    Transform {
        /// The pass.
        pass: &'static str,
        /// Why it cannot be applied.
        message: String,
    },
}

/// `Result` with the crate's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
