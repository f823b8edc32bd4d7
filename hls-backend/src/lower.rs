//! Lowering a QONNX graph to an [`HlsModel`]: follows the chain from the graph input, turning
//! `MatMul`/`Gemm` (+ `Add`) into dense layers, `Relu` into ReLU, power-of-two `Quant` nodes into
//! quantizing casts, `Mul`/`Add` by constants and `BatchNormalization` into affine layers, and a
//! final `Softmax` into a lookup-table softmax or an argmax.
//!
//! Quantized weights keep their exact integers; float weights are quantized to the configured
//! precision. Accumulators are sized from the actual weights and the input type's range, so no
//! input in range can overflow them.

use std::collections::HashSet;

use qonnx_ir::IntRange;
use qonnx_ir::ops::{QuantParams, RoundingMode, quant};
use qonnx_ir::{Graph, Model, Node, Tensor, transform};

use crate::config::{HlsConfig, SoftmaxImpl};
use crate::error::{Error, Result};
use crate::fixed::{FixedType, Rounding};
use crate::model::{Affine, Dense, HlsModel, Layer, LayerKind};

/// Lowers `model` (cleaned up here on a copy) with `config`.
pub fn lower(model: &Model, config: &HlsConfig) -> Result<HlsModel> {
    config.validate()?;
    // Cleanup without renaming, so that errors name the nodes as the user's file does.
    let mut m = model.clone();
    transform::fix_domains(&mut m);
    transform::sort_nodes(&mut m)?;
    transform::infer_shapes(&mut m)?;
    transform::fold_constants(&mut m, &Default::default())?;
    transform::remove_static_inputs(&mut m);
    transform::remove_unused(&mut m);
    transform::infer_shapes(&mut m)?;
    for (k, n) in m.graph.nodes.iter_mut().enumerate() {
        if n.name().is_empty() {
            n.name = Some(format!("{}_{k}", n.op_type));
        }
    }
    if m.graph.nodes.iter().any(|n| n.op_type == "BatchNormalization") {
        transform::batchnorm_to_affine(&mut m)?;
    }
    let g = &m.graph;
    // Quantizer parameters must be constants (checked first: a parameter fed from outside would
    // otherwise show up as a second graph input).
    for n in g.nodes.iter().filter(|n| n.is_qonnx()) {
        for (k, what) in [(1, "scale"), (2, "zero-point"), (3, "bit width")] {
            if let Some(t) = n.inputs.get(k).filter(|t| g.initializer(t).is_none()) {
                return Err(Builder::unsupported(n, format!("the {what} `{t}` must be a constant")));
            }
        }
    }
    let inputs = g.real_inputs();
    let [input] = inputs.as_slice() else {
        return Err(Error::Structure(format!("the graph has {} inputs; one is supported", inputs.len())));
    };
    let [output] = g.outputs.as_slice() else {
        return Err(Error::Structure(format!("the graph has {} outputs; one is supported", g.outputs.len())));
    };
    let n_inputs = match input.shape().as_deref() {
        Some([_, qonnx_ir::Dim::Value(n)]) => *n as usize,
        Some([qonnx_ir::Dim::Value(n)]) => *n as usize,
        other => {
            return Err(Error::Structure(format!("input `{}` must be [batch, features], got {other:?}", input.name)));
        }
    };
    let mut b = Builder {
        g,
        config,
        layers: Vec::new(),
        used: HashSet::new(),
        counts: Default::default(),
        taken: HashSet::new(),
    };
    // `input_precision` is for unquantized inputs. An input read by a QONNX Quant arrives in that
    // quantizer's type (its rounding and saturation included): the firmware's input conversion
    // then computes exactly what the Quant computes on the float input, and the Quant itself
    // becomes a cast to the same type.
    let input_type: FixedType = match b.next_node(&input.name) {
        Ok(n) if n.is_qonnx() && matches!(n.op_type.as_str(), "Quant" | "IntQuant") => b.quant_type(n)?.0,
        _ => config.input_precision.parse()?,
    };
    let mut cur = input.name.clone();
    let (mut cur_type, mut cur_n) = (input_type, n_inputs);
    while cur != output.name {
        let node = b.next_node(&cur)?;
        let (layer, out) = b.layer(node, cur_type, cur_n)?;
        if let Some(mut layer) = layer {
            // A result precision replaces the layer's output type here, on the chain, so that the
            // next layer is built for the type it really receives (its accumulator and shifts
            // depend on it). Only layers that cast into their output type can take one.
            if let Some(p) = config.layers.get(&layer.name).and_then(|lc| lc.result_precision.as_ref()) {
                if !matches!(layer.kind, LayerKind::Dense(_) | LayerKind::Affine(_) | LayerKind::Cast) {
                    return Err(Error::Config(format!(
                        "layer `{}`: a result precision applies to dense, affine and quantizing layers, not to this one",
                        layer.name
                    )));
                }
                layer.out_type = p.parse()?;
            }
            cur_type = layer.out_type;
            cur_n = layer.n_out;
            b.layers.push(layer);
        }
        cur = out;
        if cur.is_empty() {
            break; // the final Softmax was skipped: the model ends with its input
        }
    }
    // Everything must have been used, either on the chain or as a parameter producer.
    if let Some(n) = g.nodes.iter().find(|n| !b.used.contains(&n.label())) {
        return Err(Error::Structure(format!(
            "node `{}` ({}) is not on the chain from input to output",
            n.label(),
            n.op_type
        )));
    }
    let layers = b.layers;
    for name in config.layers.keys() {
        if !layers.iter().any(|l| &l.name == name) {
            return Err(Error::Config(format!(
                "layer `{name}` does not exist (layers: {})",
                layers.iter().map(|l| l.name.as_str()).collect::<Vec<_>>().join(", ")
            )));
        }
    }
    Ok(HlsModel { name: config.name.clone(), n_inputs, input_type, layers })
}

/// Names the generated C++ uses itself (`N_INPUT`, `N_OUTPUT`), which no layer may take.
pub const RESERVED_NAMES: [&str; 2] = ["input", "output"];

struct Builder<'a> {
    g: &'a Graph,
    config: &'a HlsConfig,
    layers: Vec<Layer>,
    used: HashSet<String>,
    counts: std::collections::HashMap<&'static str, usize>,
    /// Layer names given so far, lower-cased.
    taken: HashSet<String>,
}

/// A constant operand after its quantizer: raw integers and their type.
struct Quantized {
    raw: Vec<i64>,
    shape: Vec<usize>,
    ty: FixedType,
    /// The quantizer's bit width (the type's width for a float constant).
    bits: u32,
}

impl<'a> Builder<'a> {
    /// The layer's name: its node's name (unnamed nodes were named `<op_type>_<node index>`
    /// before lowering), made a C identifier (characters other than ASCII letters, digits and
    /// `_` become `_`; a name that does not start with a letter gets the kind as prefix), so
    /// that the names a model's producer chose (hawq-core's `layer{l}`) are the HLS layer names
    /// and override keys. `<kind>_<k>` instead when that name is taken: by another layer
    /// (compared case-insensitively, as the C macros upper-case them), by the generated code
    /// ([`RESERVED_NAMES`]), or when it ends in `_nonzero` (a generated macro suffix).
    fn name(&mut self, kind: &'static str, node: &Node) -> String {
        let mut ident: String =
            node.name().chars().map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' }).collect();
        if !ident.is_empty() && !ident.starts_with(|c: char| c.is_ascii_alphabetic()) {
            ident = format!("{kind}_{ident}");
        }
        let clash = |ident: &str, taken: &HashSet<String>| {
            let lower = ident.to_ascii_lowercase();
            taken.contains(&lower) || RESERVED_NAMES.contains(&lower.as_str()) || lower.ends_with("_nonzero")
        };
        if ident.is_empty() || clash(&ident, &self.taken) {
            loop {
                let k = self.counts.entry(kind).or_insert(0);
                *k += 1;
                ident = format!("{kind}_{}", *k - 1);
                if !clash(&ident, &self.taken) {
                    break;
                }
            }
        }
        self.taken.insert(ident.to_ascii_lowercase());
        ident
    }

    /// The one node that reads `tensor` as its data input.
    fn next_node(&self, tensor: &str) -> Result<&'a Node> {
        let cons = self.g.consumers(tensor);
        match cons.as_slice() {
            [i] => Ok(&self.g.nodes[*i]),
            [] => Err(Error::Structure(format!("tensor `{tensor}` is not read by any node and is not the output"))),
            _ => Err(Error::Structure(format!(
                "tensor `{tensor}` fans out to {} nodes; only chains are supported",
                cons.len()
            ))),
        }
    }

    fn unsupported(node: &Node, message: impl Into<String>) -> Error {
        Error::Unsupported { node: node.label(), op: node.op_type.clone(), message: message.into() }
    }

    /// Lowers `node` (which reads the chain's current tensor); returns the layer (if any) and the
    /// tensor the chain continues from.
    fn layer(&mut self, node: &'a Node, in_t: FixedType, n_in: usize) -> Result<(Option<Layer>, String)> {
        self.used.insert(node.label());
        let out = node.outputs.first().cloned().unwrap_or_default();
        let op = if node.is_qonnx() { format!("qonnx:{}", node.op_type) } else { node.op_type.clone() };
        match op.as_str() {
            "qonnx:Quant" | "qonnx:IntQuant" => {
                let (ty, _) = self.quant_type(node)?;
                let name = self.name("quant", node);
                Ok((
                    Some(Layer { name, nodes: vec![node.label()], kind: LayerKind::Cast, n_out: n_in, out_type: ty }),
                    out,
                ))
            }
            "Relu" => {
                let name = self.name("relu", node);
                Ok((
                    Some(Layer { name, nodes: vec![node.label()], kind: LayerKind::Relu, n_out: n_in, out_type: in_t }),
                    out,
                ))
            }
            "Identity" | "Dropout" | "Flatten" | "Reshape" | "Squeeze" | "Unsqueeze" => Ok((None, out)),
            "MatMul" | "Gemm" => self.dense(node, in_t, n_in),
            "Mul" | "Add" => self.affine(node, in_t, n_in),
            "Softmax" => {
                let last = self.g.outputs.iter().any(|o| o.name == out);
                if !last {
                    return Err(Self::unsupported(node, "Softmax is supported only as the last layer"));
                }
                let (kind, ty) = match self.config.softmax {
                    SoftmaxImpl::Skip => return Ok((None, String::new())),
                    SoftmaxImpl::Lut => (LayerKind::Softmax, crate::softmax::output_type()),
                    SoftmaxImpl::Argmax => (LayerKind::Argmax, FixedType::new(16, 16, false)?),
                };
                let name = self.name("softmax", node);
                let n_out = if kind == LayerKind::Argmax { 1 } else { n_in };
                Ok((Some(Layer { name, nodes: vec![node.label()], kind, n_out, out_type: ty }), out))
            }
            _ => Err(Error::UnsupportedOp { node: node.label(), op: node.op_type.clone() }),
        }
    }

    /// The fixed-point type a QONNX Quant with constant power-of-two scale maps to, and the
    /// Quant's parameters.
    fn quant_type(&self, node: &Node) -> Result<(FixedType, QuantParams)> {
        let c = |k: usize, what: &str| -> Result<&Tensor> {
            node.inputs
                .get(k)
                .and_then(|n| self.g.initializer(n))
                .ok_or_else(|| Self::unsupported(node, format!("{what} must be a constant")))
        };
        let s = c(1, "the scale")?.to_f32();
        let z = c(2, "the zero-point")?.to_f64();
        let b = c(3, "the bit width")?.to_f64();
        if z.iter().any(|&v| v != 0.0) {
            return Err(Self::unsupported(node, "a non-zero zero-point has no ap_fixed equivalent"));
        }
        if b.len() != 1 {
            return Err(Self::unsupported(node, "the bit width must be one integer in 1..=32"));
        }
        let params = QuantParams::of_node(node, self.g)?;
        let range = params.range;
        if range.is_bipolar() {
            return Err(Self::unsupported(node, "1-bit signed (bipolar) quantization is not supported"));
        }
        if range.narrow && !range.signed {
            return Err(Self::unsupported(node, "narrow unsigned range has no ap_fixed equivalent"));
        }
        let rounding = match params.rounding {
            RoundingMode::Round => Rounding::RndConv,
            RoundingMode::Floor => Rounding::Trn,
            RoundingMode::Down => Rounding::TrnZero,
            RoundingMode::HalfUp => Rounding::RndInf,
            RoundingMode::HalfDown => Rounding::RndZero,
            other => {
                return Err(Self::unsupported(
                    node,
                    format!("rounding mode {:?} cannot be expressed in ap_fixed", other.name()),
                ));
            }
        };
        let fracs = s
            .iter()
            .map(|&v| {
                pow2_frac(v).ok_or_else(|| {
                    Self::unsupported(
                        node,
                        format!(
                            "scale {v} is not a power of two; ap_fixed firmware needs power-of-two scales \
                             (from hawq-core: QuantConfig::fpga, or ScaleMode::PowerOfTwo)"
                        ),
                    )
                })
            })
            .collect::<Result<Vec<i32>>>()?;
        let frac = *fracs.iter().max().ok_or_else(|| Self::unsupported(node, "empty scale"))?;
        let spread = (frac - fracs.iter().min().copied().unwrap_or(frac)) as u32;
        // Per-channel power-of-two scales share the finest grid: the integers widen by the spread.
        let widened = IntRange { bits: range.bits + spread, ..range };
        let ty = FixedType::from_int_range(widened, frac, rounding)?;
        Ok((ty, params))
    }

    /// A constant operand: an initializer quantized with `float_type`, or a Quant of an
    /// initializer (exact integers).
    fn constant(&mut self, tensor: &str, float_type: FixedType) -> Result<Option<Quantized>> {
        if let Some(t) = self.g.initializer(tensor) {
            let v = t.to_f64();
            return Ok(Some(Quantized {
                raw: v.iter().map(|&x| float_type.from_f64(x)).collect(),
                shape: v.shape().to_vec(),
                ty: float_type,
                bits: float_type.width,
            }));
        }
        let Some(p) = self.g.producer(tensor) else { return Ok(None) };
        let node = &self.g.nodes[p];
        if !(node.is_qonnx() && matches!(node.op_type.as_str(), "Quant" | "IntQuant")) {
            return Ok(None);
        }
        let Some(w) = node.inputs.first().and_then(|n| self.g.initializer(n)) else { return Ok(None) };
        let (ty, params) = self.quant_type(node)?;
        let s =
            self.g.initializer(&node.inputs[1]).map(Tensor::to_f32).ok_or_else(|| Self::unsupported(node, "scale"))?;
        let w = w.to_f32();
        let sv = s
            .broadcast(w.raw_dim())
            .ok_or_else(|| Self::unsupported(node, "scale does not broadcast to the weights"))?;
        let scale = f64::from(ty.frac()).exp2();
        let raw =
            w.iter().zip(sv.iter()).map(|(&x, &s)| (f64::from(quant(x, s, 0.0, &params)) * scale) as i64).collect();
        self.used.insert(node.label());
        Ok(Some(Quantized { raw, shape: w.shape().to_vec(), ty, bits: params.range.bits }))
    }

    fn default_type(&self) -> Result<FixedType> {
        self.config.default_precision.parse()
    }

    fn dense(&mut self, node: &'a Node, in_t: FixedType, n_in: usize) -> Result<(Option<Layer>, String)> {
        let name = self.name("dense", node);
        let lc = self.config.layers.get(&name);
        let wt: FixedType = match lc.and_then(|l| l.weight_precision.as_ref()) {
            Some(p) => p.parse()?,
            None => self.default_type()?,
        };
        let wname = node.inputs.get(1).ok_or_else(|| Self::unsupported(node, "no weight input"))?;
        let w = self
            .constant(wname, wt)?
            .ok_or_else(|| Self::unsupported(node, "the weight must be a constant (or a Quant of one)"))?;
        if w.shape.len() != 2 {
            return Err(Self::unsupported(node, format!("weight of shape {:?} is not 2-D", w.shape)));
        }
        let trans = node.op_type == "Gemm" && node.attr_int("transB", 0) != 0;
        if node.op_type == "Gemm"
            && (node.attr_int("transA", 0) != 0
                || node.attr_float("alpha", 1.0) != 1.0
                || node.attr_float("beta", 1.0) != 1.0)
        {
            return Err(Self::unsupported(node, "Gemm with transA, alpha ≠ 1 or beta ≠ 1"));
        }
        let (rows, cols) = (w.shape[0], w.shape[1]);
        let (k, n_out) = if trans { (cols, rows) } else { (rows, cols) };
        if k != n_in {
            return Err(Self::unsupported(node, format!("weight of shape {:?} does not take {n_in} inputs", w.shape)));
        }
        let weights: Vec<i64> = if trans {
            (0..n_in).flat_map(|i| (0..n_out).map(move |j| (i, j))).map(|(i, j)| w.raw[j * cols + i]).collect()
        } else {
            w.raw.clone()
        };
        let float_weights = self.g.initializer(wname).is_some();
        let mut nodes = vec![node.label()];
        let mut out = node.outputs[0].clone();
        // A bias: Gemm's C, or a following Add of a constant.
        let mut bias: Option<Quantized> = None;
        if node.op_type == "Gemm" && node.inputs.get(2).is_some_and(|c| !c.is_empty()) {
            bias = self.constant(&node.inputs[2], wt)?;
            if bias.is_none() {
                return Err(Self::unsupported(node, "the bias must be a constant"));
            }
        } else if let [c] = self.g.consumers(&out).as_slice() {
            let add = &self.g.nodes[*c];
            if add.op_type == "Add" && add.domain().is_empty() {
                let other = add.inputs.iter().find(|x| **x != out).cloned().unwrap_or_default();
                if let Some(q) = self.constant(&other, wt)? {
                    bias = Some(q);
                    self.used.insert(add.label());
                    nodes.push(add.label());
                    out = add.outputs[0].clone();
                }
            }
        }
        let (bias_raw, bias_type) = match bias {
            Some(q) => {
                if q.raw.len() != n_out {
                    return Err(Self::unsupported(node, format!("bias of {} values for {n_out} outputs", q.raw.len())));
                }
                (q.raw, q.ty)
            }
            None => (vec![0; n_out], FixedType::new(1, 1, false)?),
        };
        // Exact accumulator range from the weights and the input type's range.
        let fx = in_t.frac();
        let fw = w.ty.frac();
        let facc = (fx + fw).max(bias_type.frac());
        let (sp, sb) = ((facc - fx - fw) as u32, (facc - bias_type.frac()) as u32);
        Self::check_alignment(node, sp, sb)?;
        let (xlo, xhi) = (i128::from(in_t.min_raw()), i128::from(in_t.max_raw()));
        let (mut lo, mut hi) = (i128::MAX, i128::MIN);
        // Every partial sum (bias first, then products in any order) lies between the sum of
        // the products' minima and maxima widened by the bias, so no step of the generated
        // accumulation can overflow either.
        for j in 0..n_out {
            let bj = i128::from(bias_raw[j]) << sb;
            let (mut a, mut b) = (bj.min(0), bj.max(0));
            for i in 0..n_in {
                let wv = i128::from(weights[i * n_out + j]);
                let (p, q) = ((wv * xlo) << sp, (wv * xhi) << sp);
                a += p.min(q);
                b += p.max(q);
            }
            lo = lo.min(a);
            hi = hi.max(b);
        }
        let fits = |v: i128| i64::try_from(v).map_err(|_| Self::unsupported(node, "accumulator exceeds 62 bits"));
        let acc_type = FixedType::for_range(fits(lo)?, fits(hi)?, facc)?;
        let out_type = if float_weights { self.default_type()? } else { acc_type };
        let dense =
            Dense { n_in, weights, weight_type: w.ty, weight_bits: w.bits, bias: bias_raw, bias_type, acc_type };
        Ok((Some(Layer { name, nodes, kind: LayerKind::Dense(dense), n_out, out_type }), out))
    }

    /// `Mul` by a constant vector (then optionally `Add` of a constant vector), or `Add` alone.
    fn affine(&mut self, node: &'a Node, in_t: FixedType, n_in: usize) -> Result<(Option<Layer>, String)> {
        let dt = self.default_type()?;
        let cur = node.inputs.iter().position(|x| {
            self.g.initializer(x).is_none() && self.g.producer(x).is_none_or(|p| !self.is_param_producer(p))
        });
        let other =
            node.inputs.iter().enumerate().find(|(k, _)| Some(*k) != cur).map(|(_, n)| n.clone()).unwrap_or_default();
        let c = self
            .constant(&other, dt)?
            .ok_or_else(|| Self::unsupported(node, "the other operand must be a constant"))?;
        if c.raw.len() != n_in && c.raw.len() != 1 {
            return Err(Self::unsupported(node, format!("constant of {} values for {n_in} channels", c.raw.len())));
        }
        let expand = |v: Vec<i64>| if v.len() == 1 { vec![v[0]; n_in] } else { v };
        let mut nodes = vec![node.label()];
        let mut out = node.outputs[0].clone();
        let one = FixedType::new(2, 2, true)?;
        let (scale, scale_type, shift, shift_type) = if node.op_type == "Mul" {
            let (mut sh, mut sht) = (vec![0; n_in], FixedType::new(1, 1, false)?);
            if let [k] = self.g.consumers(&out).as_slice() {
                let add = &self.g.nodes[*k];
                if add.op_type == "Add" && add.domain().is_empty() {
                    let o2 = add.inputs.iter().find(|x| **x != out).cloned().unwrap_or_default();
                    if let Some(q) = self.constant(&o2, dt)? {
                        if q.raw.len() != n_in && q.raw.len() != 1 {
                            return Err(Self::unsupported(add, "shift does not match the channels"));
                        }
                        sh = expand(q.raw);
                        sht = q.ty;
                        self.used.insert(add.label());
                        nodes.push(add.label());
                        out = add.outputs[0].clone();
                    }
                }
            }
            (expand(c.raw), c.ty, sh, sht)
        } else {
            (vec![1; n_in], one, expand(c.raw), c.ty)
        };
        let facc = (in_t.frac() + scale_type.frac()).max(shift_type.frac());
        let (sp, sb) = ((facc - in_t.frac() - scale_type.frac()) as u32, (facc - shift_type.frac()) as u32);
        Self::check_alignment(node, sp, sb)?;
        let (xlo, xhi) = (i128::from(in_t.min_raw()), i128::from(in_t.max_raw()));
        let (mut lo, mut hi) = (i128::MAX, i128::MIN);
        for j in 0..n_in {
            let a = i128::from(scale[j]);
            let (p, q) = ((a * xlo) << sp, (a * xhi) << sp);
            let b = i128::from(shift[j]) << sb;
            lo = lo.min(p.min(q) + b.min(0)).min(p.min(q));
            hi = hi.max(p.max(q) + b.max(0)).max(p.max(q));
        }
        let fits = |v: i128| i64::try_from(v).map_err(|_| Self::unsupported(node, "affine range exceeds 62 bits"));
        let acc_type = FixedType::for_range(fits(lo)?, fits(hi)?, facc)?;
        let name = self.name("affine", node);
        let kind = LayerKind::Affine(Affine { scale, scale_type, shift, shift_type, acc_type });
        Ok((Some(Layer { name, nodes, kind, n_out: n_in, out_type: dt }), out))
    }

    /// Refuses a layer whose products (`sp`) or bias (`sb`) must be shifted by more than 62 bits
    /// to reach the accumulator's LSB: the emulator and the RTL shift 64-bit values by these
    /// amounts (types far apart, e.g. an input precision with many fractional bits and a bias
    /// with few).
    fn check_alignment(node: &Node, sp: u32, sb: u32) -> Result<()> {
        if sp.max(sb) > 62 {
            let what = if sp >= sb { "the products" } else { "the bias" };
            return Err(Self::unsupported(
                node,
                format!("{what} would be shifted by {} bits to the accumulator's LSB (at most 62)", sp.max(sb)),
            ));
        }
        Ok(())
    }

    fn is_param_producer(&self, p: usize) -> bool {
        let n = &self.g.nodes[p];
        n.inputs.first().is_some_and(|x| self.g.initializer(x).is_some())
    }
}

/// `k` such that `s = 2^−k`, if `s` is a positive power of two.
pub fn pow2_frac(s: f32) -> Option<i32> {
    if !(s > 0.0 && s.is_finite()) {
        return None;
    }
    let e = s.log2();
    (e.fract() == 0.0 && (e as i32 as f32).exp2() == s).then_some(-(e as i32))
}
