//! `hawq-core`: HAWQ quantization on burn.
//!
//! This crate owns the HAWQ quantizers ([`quantizer`]), the quantization-aware layers and MLP
//! on burn ([`layers`], [`QuantMlp`]), training ([`train`]), magnitude pruning ([`prune`]) and
//! metrics ([`metrics`]), the integer-only (HAWQ-V3 dyadic) engine ([`IntegerMlp`]), export to
//! QONNX through `qonnx-ir` ([`export`]), and save/load of trained models ([`record`]). Hessian trace estimation and the
//! sensitivity Ω build on the same model definition.
//!
//! The number contract (`docs/src/number-contract.md`): the integer engine is the truth; the
//! eval-mode forward pass of a [`QuantMlp`] and the exported QONNX graph compute the same
//! integers.
//!
//! ```
//! use hawq_core::{QuantConfig, backend::Cpu};
//! # fn main() -> Result<(), hawq_core::Error> {
//! let device = Default::default();
//! let model = QuantConfig::uniform(&[4, 8, 3], 8).init::<Cpu>(&device, 7)?;
//! let integer = model.to_integer()?;
//! assert_eq!(integer.d_out(), 3);
//! # Ok(()) }
//! ```

pub mod backend;
pub mod bits;
pub mod data;
pub mod error;
pub mod export;
pub mod hessian;
pub mod integer;
pub mod layers;
pub mod metrics;
pub mod mlp;
pub mod prune;
pub mod quantizer;
pub mod record;
pub mod rng;
pub mod train;

pub use bits::{BitConfig, HiddenActivation, QuantConfig, Target, layer_name};
pub use data::Dataset;
pub use error::{Error, Result};
pub use integer::{IntegerLayer, IntegerMlp, PreparedMlp};
pub use mlp::{IntegerForward, QuantMlp, QuantWarning};
pub use qonnx_ir::Simd;
pub use quantizer::{Granularity, IntRange, Requant, ScaleMode};
