//! Cost analysis of the dense layers (`MatMul`, `Gemm` with a constant weight): MACs, weight
//! bits and bit operations (BOPs) per layer and in total.
//!
//! BOPs follow the reference jet-tagging study: for a layer with `n` inputs and `m` outputs,
//! `BOPs ≈ m·n·((1 − f_p)·b_a·b_w + b_a + b_w + log2 n)`, where `f_p` is the fraction of weights
//! that are zero after quantization and `b_w`, `b_a` are the weight and input-activation bit
//! widths read from the `Quant` nodes (32 where a tensor is not quantized). This is the
//! definition the ILP budgets use.
//!
//! Python qonnx's `inference_cost` counts differently, and the report gives its figures too,
//! named as such ([`QonnxFigures`]): BOPs `= Σ MACs · b_in · b_w` with no accumulator or
//! addition terms, MACs over the non-zero weights (with `discount_sparsity`, its default) and
//! over the batch the model declares, weight memory over the non-zero weights, and bit widths
//! from qonnx's datatype inference (a tensor that no quantizer produces is FLOAT32: 32 bits).
//!
//! The firmware side of the cost model (multipliers and latency of a dense layer in an FPGA) is
//! in [`firmware`].

use serde::Serialize;

pub mod firmware;

use crate::error::Result;
use crate::model::{Graph, Model, Node};
use crate::ops::{self, OpContext};
use crate::tensor::Tensor;

/// Bit width assumed for a tensor that no quantizer constrains.
pub const FLOAT_BITS: u32 = 32;

/// The cost of one dense layer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LayerCost {
    /// The MatMul/Gemm node.
    pub node: String,
    /// Fan-in `n`.
    pub inputs: usize,
    /// Outputs `m`.
    pub outputs: usize,
    /// Weight bit width `b_w`.
    pub weight_bits: u32,
    /// Input activation bit width `b_a`.
    pub act_bits: u32,
    /// Fraction of zero weights `f_p` (after quantization).
    pub zero_fraction: f64,
    /// Multiply-accumulates per sample, `m·n`.
    pub macs: u64,
    /// Bits of weight storage, `m·n·b_w`.
    pub weight_storage_bits: u64,
    /// Bit operations per sample.
    pub bops: f64,
    /// Non-zero weights (after quantization).
    pub nonzero_weights: u64,
    /// The batch the model declares for this layer's output (1 where it is symbolic or unknown).
    pub batch: u64,
    /// The input's bit width under Python qonnx's datatype inference.
    pub qonnx_input_bits: u32,
    /// The weight's bit width under Python qonnx's datatype inference.
    pub qonnx_weight_bits: u32,
}

impl LayerCost {
    /// The cost of a dense layer with `n` inputs, `m` outputs, `b_w`-bit weights of which `zeros`
    /// are zero after quantization, and a `b_a`-bit input: the one cost model of the workspace
    /// (the analysis of an exported graph and `hawq-core`'s sensitivity table both build it here).
    /// `node` is empty, the batch 1, and the qonnx bit widths are `b_a` and `b_w`.
    pub fn dense(n: usize, m: usize, b_w: u32, b_a: u32, zeros: usize) -> LayerCost {
        let macs = (n * m) as u64;
        let zero_fraction = if macs == 0 { 0.0 } else { zeros as f64 / macs as f64 };
        LayerCost {
            node: String::new(),
            inputs: n,
            outputs: m,
            weight_bits: b_w,
            act_bits: b_a,
            zero_fraction,
            macs,
            weight_storage_bits: macs * u64::from(b_w),
            bops: dense_bops(m, n, b_w, b_a, zero_fraction),
            nonzero_weights: macs.saturating_sub(zeros as u64),
            batch: 1,
            qonnx_input_bits: b_a,
            qonnx_weight_bits: b_w,
        }
    }
}

impl LayerCost {
    /// Parameter storage with the biases: `m·n·b_w + m·b_bias` (the weight size alone is
    /// [`LayerCost::weight_storage_bits`]).
    pub fn weight_and_bias_bits(&self, bias_bits: u32) -> u64 {
        self.weight_storage_bits + self.outputs as u64 * u64::from(bias_bits)
    }
}

/// The totals of Python qonnx's `inference_cost` (`qonnx.util.inference_cost`) for the dense
/// layers: what a qonnx user compares against.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QonnxFigures {
    /// Whether MACs and weight memory count only the non-zero weights (qonnx's default).
    pub discount_sparsity: bool,
    /// `total_macs`: Σ MACs over the declared batch.
    pub total_macs: f64,
    /// `total_bops`: Σ MACs · input bits · weight bits.
    pub total_bops: f64,
    /// `total_mem_w_elems`: Σ weights.
    pub total_mem_w_elems: f64,
    /// `total_mem_w_bits`: Σ weights · weight bits.
    pub total_mem_w_bits: f64,
}

impl QonnxFigures {
    /// The figures of `layers`, with or without discounting zero weights; computed in the same
    /// float64 steps as qonnx (MACs times the density, then bit widths).
    pub fn of(layers: &[LayerCost], discount_sparsity: bool) -> QonnxFigures {
        let mut f = QonnxFigures {
            discount_sparsity,
            total_macs: 0.0,
            total_bops: 0.0,
            total_mem_w_elems: 0.0,
            total_mem_w_bits: 0.0,
        };
        for l in layers {
            let total = l.macs as f64;
            let density = if discount_sparsity && l.macs > 0 { l.nonzero_weights as f64 / total } else { 1.0 };
            let macs = (l.batch * l.macs) as f64 * density;
            let mem = total * density;
            f.total_macs += macs;
            f.total_bops += macs * f64::from(l.qonnx_input_bits) * f64::from(l.qonnx_weight_bits);
            f.total_mem_w_elems += mem;
            f.total_mem_w_bits += mem * f64::from(l.qonnx_weight_bits);
        }
        f
    }
}

/// Costs of all dense layers and their totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    /// One entry per dense layer, in graph order.
    pub layers: Vec<LayerCost>,
    /// Σ MACs.
    pub total_macs: u64,
    /// Σ weight storage bits.
    pub total_weight_bits: u64,
    /// Σ BOPs.
    pub total_bops: f64,
    /// Python qonnx's `inference_cost` figures with `discount_sparsity` (its default).
    pub qonnx: QonnxFigures,
    /// Python qonnx's `inference_cost` figures without `discount_sparsity`.
    pub qonnx_dense: QonnxFigures,
}

/// BOPs of a dense layer with `n` inputs, `m` outputs, bit widths `b_w`, `b_a` and zero-weight
/// fraction `f_p`.
pub fn dense_bops(m: usize, n: usize, b_w: u32, b_a: u32, f_p: f64) -> f64 {
    let (bw, ba) = (f64::from(b_w), f64::from(b_a));
    (m * n) as f64 * ((1.0 - f_p) * ba * bw + ba + bw + (n as f64).log2())
}

/// Analyses every MatMul/Gemm whose second operand is constant (possibly behind quantizers).
pub fn analyze(model: &Model) -> Result<CostReport> {
    let g = &model.graph;
    let ctx = OpContext {
        exact: false,
        onnx_opset: model.opset_version("").unwrap_or(0),
        qonnx_opset: model.qonnx_opset_version(),
    };
    // Output shapes give the declared batch; a model whose shapes cannot be inferred counts 1.
    let mut shaped = model.clone();
    let shapes_known = crate::transform::infer_shapes(&mut shaped).is_ok();
    let mut layers = Vec::new();
    for i in g.topological_order()? {
        let n = &g.nodes[i];
        if !(n.domain().is_empty() && matches!(n.op_type.as_str(), "MatMul" | "Gemm")) || n.inputs.len() < 2 {
            continue;
        }
        let Some(w) = const_value(g, &n.inputs[1], &ctx, 0)? else { continue };
        if w.shape().len() != 2 {
            continue;
        }
        let trans_b = n.op_type == "Gemm" && n.attr_int("transB", 0) != 0;
        let (fan_in, outs) = if trans_b { (w.shape()[1], w.shape()[0]) } else { (w.shape()[0], w.shape()[1]) };
        let zeros = w.to_f64().iter().filter(|&&v| v == 0.0).count();
        let weight_bits = quant_bits(g, &n.inputs[1]).unwrap_or(FLOAT_BITS);
        let act_bits = quant_bits(g, &n.inputs[0]).unwrap_or(FLOAT_BITS);
        layers.push(LayerCost {
            node: n.label(),
            batch: if shapes_known { declared_batch(&shaped.graph, &n.outputs[0], outs) } else { 1 },
            qonnx_input_bits: qonnx_bits(g, &n.inputs[0]),
            qonnx_weight_bits: qonnx_bits(g, &n.inputs[1]),
            ..LayerCost::dense(fan_in, outs, weight_bits, act_bits, zeros)
        });
    }
    Ok(CostReport {
        total_macs: layers.iter().map(|l| l.macs).sum(),
        total_weight_bits: layers.iter().map(|l| l.weight_storage_bits).sum(),
        total_bops: layers.iter().map(|l| l.bops).sum(),
        qonnx: QonnxFigures::of(&layers, true),
        qonnx_dense: QonnxFigures::of(&layers, false),
        layers,
    })
}

/// The product of the output's known dimensions divided by the layer's `outputs`: the batch the
/// model declares (1 where a dimension is symbolic or unknown).
fn declared_batch(g: &Graph, output: &str, outputs: usize) -> u64 {
    let Some(shape) = g.value_info_of(output).and_then(|v| v.shape()) else { return 1 };
    let mut elems: u64 = 1;
    for d in shape {
        match d {
            crate::model::Dim::Value(v) if v > 0 => elems = elems.saturating_mul(v as u64),
            _ => {}
        }
    }
    (elems / outputs.max(1) as u64).max(1)
}

/// Ops whose output keeps the datatype of their first input under qonnx's datatype inference.
const QONNX_DT_IDENTITY: [&str; 20] = [
    "Reshape",
    "Transpose",
    "Flatten",
    "Slice",
    "Gather",
    "GatherElements",
    "GatherND",
    "Identity",
    "Expand",
    "MaxPool",
    "GlobalMaxPool",
    "Scatter",
    "ScatterElements",
    "ScatterND",
    "Squeeze",
    "Unsqueeze",
    "Tile",
    "Pad",
    "Concat",
    "Clip",
];

/// The bit width Python qonnx's datatype inference gives `tensor`: a QONNX quantizer's width, a
/// `QuantizeLinear`/`DequantizeLinear`'s integer width (8: this IR reads 8-bit QCDQ), through
/// qonnx's type-preserving ops; an annotated graph input's datatype; otherwise 32 (FLOAT32, or
/// the 32-bit integer result of a MAC-like op).
pub fn qonnx_bits(g: &Graph, tensor: &str) -> u32 {
    let mut t = tensor.to_string();
    for _ in 0..64 {
        let Some(p) = g.producer(&t) else {
            return g.tensor_datatype(&t).map_or(FLOAT_BITS, |d| d.bitwidth());
        };
        let n = &g.nodes[p];
        if n.is_qonnx() {
            return quant_bits(g, &t).unwrap_or(FLOAT_BITS);
        }
        if n.domain().is_empty() && matches!(n.op_type.as_str(), "QuantizeLinear" | "DequantizeLinear") {
            return 8;
        }
        if !(n.domain().is_empty() && QONNX_DT_IDENTITY.contains(&n.op_type.as_str())) {
            return FLOAT_BITS;
        }
        let Some(first) = n.inputs.first() else { return FLOAT_BITS };
        t = first.clone();
    }
    FLOAT_BITS
}

/// Ops that pass values through unchanged, so a quantizer before them still bounds the tensor.
fn passes_through(n: &Node) -> bool {
    n.domain().is_empty()
        && matches!(
            n.op_type.as_str(),
            "Reshape" | "Flatten" | "Transpose" | "Identity" | "Squeeze" | "Unsqueeze" | "Dropout"
        )
}

/// The bit width of the quantizer that produces `tensor` (looking through shape ops).
pub fn quant_bits(g: &Graph, tensor: &str) -> Option<u32> {
    let mut t = tensor.to_string();
    for _ in 0..64 {
        let n = &g.nodes[g.producer(&t)?];
        if n.is_qonnx() {
            return match n.op_type.as_str() {
                "Quant" | "IntQuant" => {
                    g.initializer(n.inputs.get(3)?).and_then(|b| b.to_f64().iter().next().map(|&v| v as u32))
                }
                "BipolarQuant" => Some(1),
                "MultiThreshold" => {
                    n.attr_string("out_dtype", "").parse::<crate::DataType>().ok().map(|d| d.bitwidth())
                }
                _ => None,
            };
        }
        if n.domain().is_empty() && n.op_type == "DequantizeLinear" {
            // 8 bits, or the range of a Clip between QuantizeLinear and DequantizeLinear.
            let clip = g.producer(n.inputs.first()?).map(|c| &g.nodes[c]).filter(|c| c.op_type == "Clip");
            let range = clip.and_then(|c| {
                let v = |k: usize| g.initializer(c.inputs.get(k)?).and_then(|t| t.to_i64().iter().next().copied());
                Some((v(1)?, v(2)?))
            });
            return Some(range.map_or(8, |(lo, hi)| crate::DataType::smallest_int(lo, hi).bitwidth()));
        }
        if !passes_through(n) {
            return None;
        }
        t = n.inputs.first()?.clone();
    }
    None
}

/// The value of `tensor` if it is constant: an initializer, or computed from constants only.
fn const_value(g: &Graph, tensor: &str, ctx: &OpContext, depth: usize) -> Result<Option<Tensor>> {
    if let Some(t) = g.initializer(tensor) {
        return Ok(Some(t.clone()));
    }
    if depth > 16 {
        return Ok(None);
    }
    let Some(p) = g.producer(tensor) else { return Ok(None) };
    let n = &g.nodes[p];
    let Some(op) = ops::lookup(n) else { return Ok(None) };
    let mut vals = Vec::new();
    for inp in &n.inputs {
        if inp.is_empty() {
            vals.push(None);
            continue;
        }
        match const_value(g, inp, ctx, depth + 1)? {
            Some(v) => vals.push(Some(v)),
            None => return Ok(None),
        }
    }
    let args: Vec<Option<&Tensor>> = vals.iter().map(Option::as_ref).collect();
    let outs = op.run(n, &args, ctx)?;
    let k = n.outputs.iter().position(|o| o == tensor).unwrap_or(0);
    Ok(outs.into_iter().nth(k))
}
