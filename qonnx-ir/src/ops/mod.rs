//! Operator implementations, one op a file, and the registry from (domain, op type) to
//! implementation.
//!
//! Each op executes on [`Tensor`]s and may report the QONNX datatype of its output. Shapes are
//! inferred by running ops on placeholder tensors (see [`crate::transform::infer_shapes`]), so
//! execution and shape inference cannot disagree.

use crate::datatype::DataType;
use crate::error::Result;
use crate::model::{Graph, Node};
use crate::tensor::Tensor;

mod common;
pub use common::RoundingMode;
pub(crate) use common::*;

mod add;
mod batch_norm;
mod bipolar_quant;
mod cast;
mod clip;
mod concat;
mod constant;
mod dequantize_linear;
mod div;
mod dropout;
mod flatten;
mod gemm;
mod identity;
mod log_softmax;
mod matmul;
mod mul;
mod multithreshold;
mod quant;
mod quantize_linear;
mod relu;
mod reshape;
mod round;
mod sigmoid;
mod softmax;
mod squeeze;
mod sub;
mod tanh;
mod transpose;
mod trunc;
mod unsqueeze;

pub use bipolar_quant::bipolar_quant;
pub(crate) use matmul::mm2;
pub(crate) use quant::{Quant as QuantOp, fast_round_applies, quant_round_fast};
pub use quant::{QuantParams, quant};
pub use trunc::{trunc_v1, trunc_v2};

/// What an op may need to know beyond its node and inputs.
#[derive(Debug, Clone, Copy)]
pub struct OpContext {
    /// Accumulate MatMul/Gemm in f64 (exact for integer-valued quantized networks).
    pub exact: bool,
    /// The imported version of the ONNX default domain (0 if not imported).
    pub onnx_opset: i64,
    /// The imported version of the QONNX domain (selects Trunc v1 or v2).
    pub qonnx_opset: i64,
}

/// An operator: execution and, for quantizing ops, output datatype inference.
pub trait Op: Sync {
    /// Runs the node on its inputs (`None` for an omitted optional input) and returns one tensor
    /// per output.
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], ctx: &OpContext) -> Result<Vec<Tensor>>;

    /// The QONNX datatype of output 0, given the graph (for constant parameters) and the datatypes
    /// of the inputs; `None` means FLOAT32.
    fn output_datatype(&self, _node: &Node, _graph: &Graph, _inputs: &[Option<DataType>]) -> Option<DataType> {
        None
    }
}

/// The implementation of `node`'s op, if there is one. The QONNX domain's old names
/// (`finn.custom_op.general`, `finn`, `onnx.brevitas`) are accepted as aliases.
pub fn lookup(node: &Node) -> Option<&'static dyn Op> {
    if node.is_qonnx() {
        return Some(match node.op_type.as_str() {
            "Quant" | "IntQuant" => &quant::Quant,
            "BipolarQuant" => &bipolar_quant::BipolarQuant,
            "Trunc" => &trunc::Trunc,
            "MultiThreshold" => &multithreshold::MultiThreshold,
            _ => return None,
        });
    }
    if !matches!(node.domain(), "" | "ai.onnx") {
        return None;
    }
    Some(match node.op_type.as_str() {
        "MatMul" => &matmul::MatMul,
        "Gemm" => &gemm::Gemm,
        "Add" => &add::Add,
        "Sub" => &sub::Sub,
        "Mul" => &mul::Mul,
        "Div" => &div::Div,
        "Relu" => &relu::Relu,
        "Sigmoid" => &sigmoid::Sigmoid,
        "Tanh" => &tanh::Tanh,
        "Softmax" => &softmax::Softmax,
        "LogSoftmax" => &log_softmax::LogSoftmax,
        "BatchNormalization" => &batch_norm::BatchNormalization,
        "Reshape" => &reshape::Reshape,
        "Flatten" => &flatten::Flatten,
        "Transpose" => &transpose::Transpose,
        "Squeeze" => &squeeze::Squeeze,
        "Unsqueeze" => &unsqueeze::Unsqueeze,
        "Identity" => &identity::Identity,
        "Dropout" => &dropout::Dropout,
        "Round" => &round::Round,
        "Clip" => &clip::Clip,
        "Constant" => &constant::Constant,
        "Cast" => &cast::Cast,
        "Concat" => &concat::Concat,
        "QuantizeLinear" => &quantize_linear::QuantizeLinear,
        "DequantizeLinear" => &dequantize_linear::DequantizeLinear,
        _ => return None,
    })
}
