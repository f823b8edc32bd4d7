//! The HLS model: a chain of layers over fixed-point vectors, each with its exact types.

use serde::{Deserialize, Serialize};

use crate::fixed::FixedType;

/// A model ready for emulation and code generation: one input vector, a chain of layers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HlsModel {
    /// Project / top-function name.
    pub name: String,
    /// Number of input features.
    pub n_inputs: usize,
    /// The input's fixed-point type.
    pub input_type: FixedType,
    /// The layers, in order.
    pub layers: Vec<Layer>,
}

/// One layer: what it computes, its output size and its output type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// Layer name (used in generated code and in configuration overrides).
    pub name: String,
    /// The QONNX nodes it came from.
    pub nodes: Vec<String>,
    /// What it computes.
    pub kind: LayerKind,
    /// Output vector length.
    pub n_out: usize,
    /// Output type.
    pub out_type: FixedType,
}

/// The computation of a layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum LayerKind {
    /// `y_j = cast(b_j + Σ_i x_i · w_ij)`, accumulated exactly in `acc_type`.
    Dense(Dense),
    /// `y = max(x, 0)`, same type.
    Relu,
    /// A quantizing cast into `out_type` (a QONNX Quant with a power-of-two scale).
    Cast,
    /// `y_j = cast(x_j · a_j + c_j)` with fixed-point constants (batch norm or a Mul/Add pair).
    Affine(Affine),
    /// Softmax by exponential and inverse lookup tables (see [`crate::softmax`]).
    Softmax,
    /// The index of the largest input (first on ties).
    Argmax,
}

/// A dense layer's parameters, as raw integers of their fixed-point types.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dense {
    /// Fan-in.
    pub n_in: usize,
    /// Weights, row-major `[n_in][n_out]`, raw at `weight_type`.
    pub weights: Vec<i64>,
    /// The weights' type.
    pub weight_type: FixedType,
    /// The weight quantizer's bit width (the QONNX `Quant`'s; for float weights the width of
    /// the configured precision): what BOPs count, as `qonnx_ir::cost` does. With per-channel
    /// power-of-two scales the type is wider than this.
    pub weight_bits: u32,
    /// Biases, raw at `bias_type` (zeros when the node had none).
    pub bias: Vec<i64>,
    /// The biases' type.
    pub bias_type: FixedType,
    /// The accumulator: wide enough that no input in range can overflow it.
    pub acc_type: FixedType,
}

/// An affine (per-channel scale and shift) layer's parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Affine {
    /// Scales, raw at `scale_type`.
    pub scale: Vec<i64>,
    /// The scales' type.
    pub scale_type: FixedType,
    /// Shifts, raw at `shift_type`.
    pub shift: Vec<i64>,
    /// The shifts' type.
    pub shift_type: FixedType,
    /// Exact intermediate type of `x·a + c`.
    pub acc_type: FixedType,
}

impl Dense {
    /// Output size.
    pub fn n_out(&self) -> usize {
        self.bias.len()
    }

    /// Number of non-zero weights (the multipliers the generated code contains).
    pub fn nonzero(&self) -> usize {
        self.weights.iter().filter(|&&w| w != 0).count()
    }
}

impl HlsModel {
    /// The type of the layer `i`'s input.
    pub fn input_type_of(&self, i: usize) -> FixedType {
        if i == 0 { self.input_type } else { self.layers[i - 1].out_type }
    }

    /// The size of layer `i`'s input.
    pub fn input_size_of(&self, i: usize) -> usize {
        if i == 0 { self.n_inputs } else { self.layers[i - 1].n_out }
    }

    /// Output vector length.
    pub fn n_outputs(&self) -> usize {
        self.layers.last().map_or(self.n_inputs, |l| l.n_out)
    }

    /// Output type.
    pub fn output_type(&self) -> FixedType {
        self.layers.last().map_or(self.input_type, |l| l.out_type)
    }
}
