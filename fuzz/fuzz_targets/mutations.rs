//! Structured mutations of the real test models, shared by the targets that start from them
//! (`mutate_model`, `lower_hls`, `rtl_build`). The first byte of an input picks one of the models
//! vendored in `testdata/models/` (read at run time), the second how many mutations follow (0–7),
//! then each mutation reads what it needs (change an attribute, an op type, a domain, an opset,
//! a node input, an initializer's value or shape, a declared input shape; remove, duplicate or
//! rewire nodes). [`Cursor`] also serves the targets' own choices after the mutations.

use std::sync::OnceLock;

use qonnx_ir::{Dim, Model, Tensor, attr};

/// The test models, relative to this crate.
const MODELS: [&str; 4] =
    ["qkeras_jettagging.onnx", "three_layer_keras.onnx", "three_layer_pytorch.onnx", "three_layer_bn_pytorch.onnx"];

/// Op types that mutations may switch a node to (all that `qonnx-ir` implements, and one it does not).
const OP_TYPES: [&str; 32] = [
    "Add",
    "BatchNormalization",
    "BipolarQuant",
    "Cast",
    "Clip",
    "Concat",
    "Constant",
    "DequantizeLinear",
    "Div",
    "Dropout",
    "Flatten",
    "Gemm",
    "Identity",
    "LogSoftmax",
    "MatMul",
    "Mul",
    "MultiThreshold",
    "Quant",
    "QuantizeLinear",
    "Relu",
    "Reshape",
    "Round",
    "Sigmoid",
    "Softmax",
    "Squeeze",
    "Sub",
    "Tanh",
    "Transpose",
    "Trunc",
    "Unsqueeze",
    "Conv",
    "",
];

/// Domains that mutations may give a node.
const DOMAINS: [&str; 5] = ["", "qonnx.custom_op.general", "finn.custom_op.general", "onnx.brevitas", "ai.onnx"];

/// Attribute names the ops read.
const ATTR_NAMES: [&str; 20] = [
    "axis",
    "axes",
    "perm",
    "transA",
    "transB",
    "alpha",
    "beta",
    "signed",
    "narrow",
    "rounding_mode",
    "to",
    "min",
    "max",
    "epsilon",
    "out_dtype",
    "out_scale",
    "out_bias",
    "data_layout",
    "value",
    "allowzero",
];

/// The decoded test models of `testdata/models/`.
pub fn models() -> &'static [Model] {
    static MODELS_CELL: OnceLock<Vec<Model>> = OnceLock::new();
    MODELS_CELL.get_or_init(|| {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/models/");
        MODELS.iter().filter_map(|f| Model::load(format!("{dir}{f}")).ok()).collect()
    })
}

/// Reads the fuzz input front to back; `None` once it is used up.
pub struct Cursor<'a> {
    /// The input.
    pub bytes: &'a [u8],
    /// Bytes used so far.
    pub pos: usize,
}

impl Cursor<'_> {
    /// The next byte.
    pub fn byte(&mut self) -> Option<u8> {
        let b = *self.bytes.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    /// An index below `len` (which must be non-zero).
    pub fn index(&mut self, len: usize) -> Option<usize> {
        Some(usize::from(u16::from_le_bytes([self.byte()?, self.byte()?])) % len)
    }

    /// A small signed integer, biased to the interesting range -4..=19.
    pub fn small_int(&mut self) -> Option<i64> {
        let b = self.byte()?;
        Some(if b < 24 { i64::from(b) - 4 } else { i64::from(b as i8) * 1_000 })
    }

    /// A float: often a special value.
    pub fn float(&mut self) -> Option<f32> {
        let b = self.byte()?;
        Some(match b % 8 {
            0 => f32::NAN,
            1 => f32::INFINITY,
            2 => 0.0,
            3 => -0.0,
            4 => f32::from_bits(u32::from_le_bytes([self.byte()?, self.byte()?, self.byte()?, self.byte()?])),
            _ => f32::from(b as i8) / 16.0,
        })
    }
}

/// Every tensor name in the graph (inputs, initializers, node outputs), plus the empty name.
fn tensor_names(model: &Model) -> Vec<String> {
    let g = &model.graph;
    let mut names: Vec<String> = g.inputs.iter().map(|v| v.name.clone()).collect();
    names.extend(g.initializers.iter().map(|i| i.name.clone()));
    names.extend(g.nodes.iter().flat_map(|n| n.outputs.iter().cloned()));
    names.push(String::new());
    names
}

/// Applies one mutation chosen by the next byte; `None` when the input is used up.
pub fn mutate(model: &mut Model, c: &mut Cursor<'_>) -> Option<()> {
    let what = c.byte()? % 12;
    let g = &mut model.graph;
    match what {
        0 if !g.nodes.is_empty() => {
            let i = c.index(g.nodes.len())?;
            let name = ATTR_NAMES[c.index(ATTR_NAMES.len())?];
            let a = match c.byte()? % 5 {
                0 => attr::int(name, c.small_int()?),
                1 => attr::float(name, c.float()?),
                2 => {
                    let n = usize::from(c.byte()? % 5);
                    let v: Option<Vec<i64>> = (0..n).map(|_| c.small_int()).collect();
                    attr::ints(name, &v?)
                }
                3 => attr::string(name, ["ROUND", "FLOOR", "CEIL", "HALF_UP", "bogus", "NCHW", "INT8"][c.index(7)?]),
                _ => attr::tensor(name, &Tensor::scalar_f32(c.float()?)),
            };
            g.nodes[i].set_attr(a);
        }
        1 if !g.nodes.is_empty() => {
            let i = c.index(g.nodes.len())?;
            g.nodes[i].op_type = OP_TYPES[c.index(OP_TYPES.len())?].to_string();
        }
        2 if !g.nodes.is_empty() => {
            let i = c.index(g.nodes.len())?;
            let d = DOMAINS[c.index(DOMAINS.len())?];
            g.nodes[i].domain = if d.is_empty() && c.byte()? % 2 == 0 { None } else { Some(d.to_string()) };
        }
        3 if !g.nodes.is_empty() => {
            let names = tensor_names(model);
            let g = &mut model.graph;
            let i = c.index(g.nodes.len())?;
            let new = names[c.index(names.len())?].clone();
            let node = &mut g.nodes[i];
            match c.byte()? % 3 {
                0 if !node.inputs.is_empty() => {
                    let k = c.index(node.inputs.len())?;
                    node.inputs[k] = new;
                }
                1 => node.inputs.push(new),
                _ if !node.outputs.is_empty() => {
                    let k = c.index(node.outputs.len())?;
                    node.outputs[k] = new;
                }
                _ => {}
            }
        }
        4 if !g.nodes.is_empty() => {
            let i = c.index(g.nodes.len())?;
            g.nodes.remove(i);
        }
        5 if !g.nodes.is_empty() => {
            let i = c.index(g.nodes.len())?;
            let n = g.nodes[i].clone();
            g.nodes.push(n);
        }
        6 if !g.initializers.is_empty() => {
            let i = c.index(g.initializers.len())?;
            let t = g.initializers[i].value.to_f32();
            let mut data: Vec<f32> = t.iter().copied().collect();
            if !data.is_empty() {
                let k = c.index(data.len())?;
                data[k] = c.float()?;
            }
            let shape: Vec<usize> = match c.byte()? % 4 {
                0 => t.shape().to_vec(),
                1 => vec![data.len()],
                2 => t.shape().iter().rev().copied().collect(),
                _ => {
                    data.truncate(usize::from(c.byte()? % 4));
                    vec![data.len()]
                }
            };
            let shape = if shape.iter().product::<usize>() == data.len() { shape } else { vec![data.len()] };
            let dtype = g.initializers[i].value.dtype();
            g.initializers[i].value = Tensor::from_f32(&shape, data).ok()?.cast(dtype);
        }
        7 if !g.inputs.is_empty() => {
            let i = c.index(g.inputs.len())?;
            let mut dims = g.inputs[i].shape().unwrap_or_default();
            match c.byte()? % 4 {
                0 if !dims.is_empty() => {
                    let k = c.index(dims.len())?;
                    dims[k] = Dim::Value(c.small_int()?);
                }
                1 if !dims.is_empty() => {
                    let k = c.index(dims.len())?;
                    dims[k] = if c.byte()? % 2 == 0 { Dim::Param("N".into()) } else { Dim::Unknown };
                }
                2 => {
                    dims.pop();
                }
                _ => dims.push(Dim::Value(c.small_int()?)),
            }
            let elem = if c.byte()? % 8 == 0 { Some(i32::from(c.byte()? % 12)) } else { g.inputs[i].elem_type() };
            g.inputs[i].set_tensor_type(elem, Some(&dims));
        }
        8 => {
            let domain = DOMAINS[c.index(DOMAINS.len())?];
            let v = c.small_int()?;
            model.set_opset_version(domain, v);
        }
        9 if g.nodes.len() >= 2 => {
            let a = c.index(g.nodes.len())?;
            let b = c.index(g.nodes.len())?;
            let oa = std::mem::take(&mut g.nodes[a].outputs);
            let ob = std::mem::replace(&mut g.nodes[b].outputs, oa);
            g.nodes[a].outputs = ob;
        }
        10 => {
            let names = tensor_names(model);
            let g = &mut model.graph;
            let new = names[c.index(names.len())?].clone();
            if c.byte()? % 2 == 0 && !g.outputs.is_empty() {
                let k = c.index(g.outputs.len())?;
                g.outputs[k].name = new;
            } else if let Some(vi) = g.inputs.first().cloned() {
                g.inputs.push(qonnx_ir::ValueInfo { name: new, ..vi });
            }
        }
        _ if g.nodes.len() >= 2 => {
            let a = c.index(g.nodes.len())?;
            let b = c.index(g.nodes.len())?;
            g.nodes.swap(a, b);
        }
        _ => {}
    }
    Some(())
}

/// The model an input describes, and the rest of the input after the bytes the mutations used;
/// `None` for an empty input or when no test model could be read.
pub fn mutated_model(data: &[u8]) -> Option<(Model, &[u8])> {
    let models = models();
    let (&first, rest) = data.split_first()?;
    if models.is_empty() {
        return None;
    }
    let mut model = models[usize::from(first) % models.len()].clone();
    let mut c = Cursor { bytes: rest, pos: 0 };
    let count = c.byte().map_or(0, |b| b % 8);
    for _ in 0..count {
        if mutate(&mut model, &mut c).is_none() {
            break;
        }
    }
    Some((model, &rest[c.pos.min(rest.len())..]))
}
