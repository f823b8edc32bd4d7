//! Export to QONNX through `qonnx-ir`: an input `Quant`; per layer the weight and bias as float
//! initializers behind `Quant` nodes, `MatMul`, `Add`, `Relu` on hidden layers and an activation
//! `Quant` (unsigned after ReLU, signed on the last layer); opset imports, datatype annotations and
//! metadata (bit configuration, scales, producer). Also the QCDQ form, for standard runtimes.
//! Layers trained with a folded batch norm ([`QuantBnLinear`](crate::layers::QuantBnLinear),
//! `QuantConfig::batch_norm`) are exported with their eval-mode folded weight and bias, which is
//! what the [`IntegerMlp`] built by `QuantMlp::to_integer` holds; no BatchNormalization node.
//!
//! What the exported graph computes: in power-of-two mode every float step of the graph is exact
//! as long as each accumulator fits float32's 24-bit mantissa, so it reproduces the integer
//! engine bit for bit (after scaling by the activation scales). In dyadic mode the graph divides
//! by float scales where the engine multiplies by `b/2^c`; the two can differ by one LSB where
//! `acc · m` lies within float rounding of a tie.

use qonnx_ir::builder::GraphBuilder;
use qonnx_ir::ops::RoundingMode;
use qonnx_ir::transform::{QcdqReport, infer_datatypes, infer_shapes, qonnx_to_qcdq};
use qonnx_ir::{Dim, IntRange, Model, Tensor};

use crate::bits::{HiddenActivation, layer_name};
use crate::error::{Error, Result};
use crate::integer::IntegerMlp;
use crate::mlp::QuantMlp;
use crate::quantizer::weight_range;

/// Name of the graph input.
pub const INPUT: &str = "global_in";
/// Name of the input's `Quant` node. Each layer `l` is named [`layer_name`]`(l)` (`layer{l}`):
/// its `MatMul` node has that name, and its other nodes and tensors carry it as a prefix
/// (`{layer}_weight`, `{layer}_weight_quant`, `{layer}_bias`, `{layer}_bias_quant`,
/// `{layer}_bias_add`, `{layer}_relu`, `{layer}_act_quant`).
pub const INPUT_QUANT: &str = "input_quant";

/// Export settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportOptions {
    /// Graph name.
    pub name: String,
    /// Put the bias behind a `Quant` node (`true`) or store it already dequantized (`false`, as
    /// the QCDQ form needs when bias widths exceed 8 bits).
    pub quantize_bias: bool,
}

impl Default for ExportOptions {
    fn default() -> Self {
        ExportOptions { name: "hawq_mlp".into(), quantize_bias: true }
    }
}

fn qerr(what: &str) -> impl FnOnce(qonnx_ir::Error) -> Error + '_ {
    move |source| Error::Qonnx { what: what.to_string(), source }
}

/// A scale tensor: a scalar when every channel shares it, else `shape` (broadcasting along the
/// output channels).
fn scale_tensor(scales: &[f32], shape: &[usize]) -> Result<Tensor> {
    if scales.iter().all(|&s| s == scales[0]) {
        Ok(Tensor::scalar_f32(scales[0]))
    } else {
        Tensor::from_f32(shape, scales.to_vec()).map_err(qerr("scale tensor"))
    }
}

/// The QONNX graph of an integer model, with shapes and datatypes inferred.
pub fn export_qonnx(int: &IntegerMlp, opts: &ExportOptions) -> Result<Model> {
    let mut b = GraphBuilder::new(&opts.name);
    let x = b.input_f32(INPUT, &[Dim::Param("N".into()), Dim::Value(int.d_in() as i64)]);
    let mut h =
        b.named_quant(INPUT_QUANT, &x, Tensor::scalar_f32(int.input_scale), 0.0, int.input_range, RoundingMode::Round);
    for (l, layer) in int.layers.iter().enumerate() {
        let name = layer_name(l);
        let d_out = layer.d_out;
        let wv: Vec<f32> =
            layer.weight.iter().enumerate().map(|(k, &v)| v as f32 * layer.weight_scales[k % d_out]).collect();
        let w = Tensor::from_f32(&[layer.d_in, d_out], wv).map_err(qerr("weight"))?;
        let w = b.initializer(&format!("{name}_weight"), w);
        let ws = scale_tensor(&layer.weight_scales, &[1, d_out])?;
        let wq = b.named_quant(
            &format!("{name}_weight_quant"),
            &w,
            ws,
            0.0,
            weight_range(layer.weight_bits),
            RoundingMode::Round,
        );
        let bv: Vec<f32> = layer.bias.iter().zip(&layer.bias_scales).map(|(&v, &s)| v as f32 * s).collect();
        let bias = b.initializer(&format!("{name}_bias"), Tensor::from_f32(&[d_out], bv).map_err(qerr("bias"))?);
        let bias = if opts.quantize_bias {
            let bs = scale_tensor(&layer.bias_scales, &[d_out])?;
            let range = IntRange::new(layer.bias_bits, true, false);
            b.named_quant(&format!("{name}_bias_quant"), &bias, bs, 0.0, range, RoundingMode::Round)
        } else {
            bias
        };
        let y = b.named_node(&name, "MatMul", &[&h, &wq], &[]);
        let mut y = b.named_node(&format!("{name}_bias_add"), "Add", &[&y, &bias], &[]);
        if layer.relu {
            y = b.named_node(&format!("{name}_relu"), "Relu", &[&y], &[]);
        }
        let scale = Tensor::scalar_f32(layer.output_scale);
        h = b.named_quant(&format!("{name}_act_quant"), &y, scale, 0.0, layer.output, RoundingMode::Round);
    }
    b.output_f32(&h);
    let mut model = b.build();
    infer_shapes(&mut model).map_err(qerr("shape inference"))?;
    infer_datatypes(&mut model).map_err(qerr("datatype inference"))?;
    model.set_metadata("producer", concat!("hawq-core ", env!("CARGO_PKG_VERSION")));
    model.set_metadata("hawq.scale_mode", &format!("{:?}", int.scale_mode));
    let bits: Vec<serde_json::Value> = int
        .layers
        .iter()
        .map(|l| {
            serde_json::json!({"weight": l.weight_bits, "activation": l.output.bits, "bias": l.bias_bits,
                "weight_scales": l.weight_scales, "input_scale": l.input_scale, "output_scale": l.output_scale,
                "requant": l.requant})
        })
        .collect();
    let meta = serde_json::json!({"input_bits": int.input_range.bits, "input_scale": int.input_scale, "layers": bits});
    model.set_metadata("hawq.config", &meta.to_string());
    Ok(model)
}

/// The plain ONNX graph of a float model (`QuantConfig::float`, or any model read as float):
/// per layer its eval-mode weight and bias (batch norm folded) as float initializers, `MatMul`,
/// `Add` and the hidden nonlinearity, with the same node names as [`export_qonnx`] and no
/// `Quant` node. This is the float baseline that hls4ml (and `hls-backend`) turn into firmware at
/// a default fixed-point precision.
pub fn export_float<B: burn::prelude::Backend>(model: &QuantMlp<B>, opts: &ExportOptions) -> Result<Model> {
    let widths = &model.config.widths;
    let mut b = GraphBuilder::new(&opts.name);
    let mut h = b.input_f32(INPUT, &[Dim::Param("N".into()), Dim::Value(widths[0] as i64)]);
    let n = model.layers.len();
    for l in 0..n {
        let name = layer_name(l);
        let (w, bias) = model.effective_weights_host(l);
        let w = b.initializer(
            &format!("{name}_weight"),
            Tensor::from_f32(&[widths[l], widths[l + 1]], w).map_err(qerr("weight"))?,
        );
        let bias =
            b.initializer(&format!("{name}_bias"), Tensor::from_f32(&[widths[l + 1]], bias).map_err(qerr("bias"))?);
        let y = b.named_node(&name, "MatMul", &[&h, &w], &[]);
        h = b.named_node(&format!("{name}_bias_add"), "Add", &[&y, &bias], &[]);
        if l + 1 < n {
            h = match model.config.hidden_activation {
                HiddenActivation::Relu => b.named_node(&format!("{name}_relu"), "Relu", &[&h], &[]),
                HiddenActivation::Tanh => b.named_node(&format!("{name}_tanh"), "Tanh", &[&h], &[]),
            };
        }
    }
    b.output_f32(&h);
    let mut model_out = b.build();
    infer_shapes(&mut model_out).map_err(qerr("shape inference"))?;
    model_out.set_metadata("producer", concat!("hawq-core ", env!("CARGO_PKG_VERSION")));
    Ok(model_out)
}

/// The QCDQ form (`QuantizeLinear → Clip → DequantizeLinear`) of the exported graph, with biases
/// stored dequantized. Fails, naming the quantizers, when one is not representable in QCDQ
/// (more than 8 bits, such as the usual 16-bit input quantizer).
pub fn export_qcdq(int: &IntegerMlp, opts: &ExportOptions) -> Result<(Model, QcdqReport)> {
    let mut model = export_qonnx(int, &ExportOptions { quantize_bias: false, ..opts.clone() })?;
    let report = qonnx_to_qcdq(&mut model).map_err(qerr("QONNX to QCDQ"))?;
    if !report.skipped.is_empty() {
        return Err(Error::Config {
            what: "QCDQ export".into(),
            message: format!("quantizers not representable in QCDQ: {:?}", report.skipped),
        });
    }
    Ok((model, report))
}
