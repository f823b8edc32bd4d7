//! The crate's error type.

use std::path::PathBuf;

/// Everything that can go wrong reading jet data or running the simulator.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened or read.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A `.npy` file is not a float32 matrix or is damaged.
    #[error("{path}: not a readable float32 .npy matrix: {message}")]
    Npy {
        /// The file.
        path: PathBuf,
        /// What the reader said.
        message: String,
    },
    /// The files of a sample do not fit together or hold values that are not jets.
    #[error("{path}: {message}")]
    Invalid {
        /// The file (or folder) at fault.
        path: PathBuf,
        /// What is wrong, naming the row where there is one.
        message: String,
    },
    /// A matrix has another number of columns than expected.
    #[error("expected {expected} feature columns, found {found}")]
    Columns {
        /// Columns expected.
        expected: usize,
        /// Columns found.
        found: usize,
    },
    /// The simulator could not be started or failed.
    #[error("simulator: {0}")]
    Simulator(String),
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
