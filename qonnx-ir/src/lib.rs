//! `qonnx-ir`: the QONNX graph IR in Rust.
//!
//! This crate owns the graph IR ([`Model`], [`Graph`], [`Node`], [`Tensor`]); reading and
//! writing ONNX/QONNX protobuf losslessly ([`proto`]); the ops, with QONNX's `Quant`,
//! `BipolarQuant`, `Trunc` and `MultiThreshold` computed bit for bit as the Python `qonnx`
//! package does ([`ops`]); shape and datatype inference; the reference executor ([`exec`]);
//! transformations such as cleanup, Gemm→MatMul, BatchNorm→affine and QONNX⇄QCDQ
//! ([`transform`]); cost analysis (MACs, weight bits, BOPs; [`cost`]); and the `qonnx` CLI.
//!
//! ```
//! use qonnx_ir::{Model, Tensor, exec::{execute, ExecOptions}};
//! # fn main() -> Result<(), qonnx_ir::Error> {
//! let model = Model::load("../testdata/models/qkeras_jettagging.onnx")?;
//! let x = Tensor::from_f32(&[1, 16], vec![0.25; 16])?;
//! let out = execute(&model, &[("global_in", x)], &ExecOptions::default())?;
//! assert_eq!(out.outputs[0].1.shape(), &[1, 5]);
//! # Ok(()) }
//! ```

pub mod attr;
pub mod builder;
pub mod cost;
pub mod datatype;
pub mod error;
pub mod exec;
mod fused;
pub mod int_range;
pub mod model;
pub mod ops;
pub mod proto;
pub mod simd;
pub mod tensor;
pub mod transform;

pub use datatype::DataType;
pub use error::{Error, Result};
pub use int_range::IntRange;
pub use model::{Dim, Graph, Initializer, Model, Node, ValueInfo};
pub use simd::Simd;
pub use tensor::{DType, Tensor};
