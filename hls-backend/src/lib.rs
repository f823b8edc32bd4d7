//! `hls-backend`: from any QONNX graph to a bit-accurate HLS C++ project.
//!
//! This crate owns lowering a cleaned-up [`qonnx_ir`] model to an [`HlsModel`] of fixed-point
//! layers ([`lower`]), the `ap_fixed` semantics ([`fixed`]), the bit-accurate batched
//! [`Emulator`], the Vivado/Vitis HLS project writer ([`writer`]) and analytic resource and
//! latency estimates ([`estimate`]), and Verilog RTL of the same model with its simulation and
//! open-source synthesis ([`rtl`]). It depends on `qonnx-ir` only, so it takes QONNX from any
//! producer (hawq-core, QKeras, Brevitas).
//!
//! ```
//! use hls_backend::{HlsConfig, Emulator, lower::lower};
//! # fn main() -> Result<(), hls_backend::Error> {
//! let model = qonnx_ir::Model::load("../testdata/models/qkeras_jettagging.onnx")?;
//! let config = HlsConfig { softmax: hls_backend::config::SoftmaxImpl::Skip, ..Default::default() };
//! let hls = lower(&model, &config)?;
//! let emu = Emulator::new(&hls);
//! let y = emu.run(&[0.25; 16])?;
//! assert_eq!(y.n_outputs, 5);
//! # Ok(()) }
//! ```

pub mod config;
pub mod csim;
pub mod emulator;
pub mod error;
pub mod estimate;
pub mod fixed;
pub mod lower;
pub mod model;
pub mod rtl;
pub mod softmax;
pub mod writer;

pub use config::HlsConfig;
pub use emulator::{Emulator, EmulatorOutput};
pub use error::{Error, Result};
pub use fixed::{FixedType, Overflow, Rounding};
pub use model::{HlsModel, Layer, LayerKind};
