//! The reference executor: runs a graph on named inputs, node by node in topological order.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::model::{Dim, Model, Node};
use crate::ops::{self, Op, OpContext};
use crate::tensor::{DType, Tensor};

/// How to run a graph.
#[derive(Debug, Clone, Default)]
pub struct ExecOptions {
    /// Accumulate MatMul/Gemm in f64 and round once (exact for integer-valued quantized networks
    /// whose sums exceed float32's 24-bit mantissa). `false` is ONNX-conformant float32.
    pub exact: bool,
    /// Keep every intermediate tensor in the result.
    pub keep_intermediates: bool,
    /// Accept any size for the first (batch) dimension of the graph inputs, for models that bake
    /// one in (`three_layer_pytorch.onnx` declares 789444).
    pub any_batch: bool,
}

/// What a run produced.
#[derive(Debug, Clone)]
pub struct ExecResult {
    /// The graph outputs, in the graph's order.
    pub outputs: Vec<(String, Tensor)>,
    /// Every tensor computed on the way, when asked for.
    pub intermediates: HashMap<String, Tensor>,
}

impl ExecResult {
    /// The output called `name`.
    pub fn output(&self, name: &str) -> Option<&Tensor> {
        self.outputs.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }
}

/// A graph prepared for repeated execution: node order, op implementations and tensor
/// lifetimes are worked out once.
pub struct Executor<'m> {
    model: &'m Model,
    order: Vec<usize>,
    ops: Vec<&'static dyn Op>,
    /// For each step, the tensors read for the last time there.
    frees: Vec<Vec<&'m str>>,
    ctx: OpContext,
}

impl<'m> Executor<'m> {
    /// Prepares `model`: sorts the nodes, resolves every op (an unknown op is an error naming the
    /// node and op) and checks that every input exists.
    pub fn new(model: &'m Model) -> Result<Executor<'m>> {
        let g = &model.graph;
        let order = g.topological_order()?;
        let ops = order
            .iter()
            .map(|&i| {
                let n = &g.nodes[i];
                ops::lookup(n).ok_or_else(|| Error::UnknownOp {
                    node: n.label(),
                    op: n.op_type.clone(),
                    domain: n.domain().to_string(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        for &i in &order {
            check_constant_params(model, &g.nodes[i])?;
        }
        let mut last_use: HashMap<&str, usize> = HashMap::new();
        for (step, &i) in order.iter().enumerate() {
            for inp in &g.nodes[i].inputs {
                last_use.insert(inp.as_str(), step);
            }
        }
        for o in &g.outputs {
            last_use.remove(o.name.as_str());
        }
        let mut frees = vec![Vec::new(); order.len()];
        for (name, step) in last_use {
            frees[step].push(name);
        }
        let ctx = OpContext {
            exact: false,
            onnx_opset: model.opset_version("").unwrap_or(0),
            qonnx_opset: model.qonnx_opset_version(),
        };
        Ok(Executor { model, order, ops, frees, ctx })
    }

    /// Runs the graph on `inputs` (name, tensor). Every real graph input must be supplied with
    /// the declared element type and rank, and with the declared size wherever the declared
    /// dimension is a number (the first dimension is free when `opts.any_batch`).
    pub fn run(&self, inputs: &[(&str, Tensor)], opts: &ExecOptions) -> Result<ExecResult> {
        let g = &self.model.graph;
        let mut env: HashMap<&str, Cow<'_, Tensor>> = HashMap::new();
        for init in &g.initializers {
            env.insert(init.name.as_str(), Cow::Borrowed(&init.value));
        }
        for vi in g.real_inputs() {
            let (_, t) =
                inputs.iter().find(|(n, _)| *n == vi.name).ok_or_else(|| Error::MissingGraphInput(vi.name.clone()))?;
            check_input(vi, t, opts.any_batch)?;
            env.insert(vi.name.as_str(), Cow::Borrowed(t));
        }
        let ctx = OpContext { exact: opts.exact, ..self.ctx };
        let mut intermediates = HashMap::new();
        for (step, (&i, op)) in self.order.iter().zip(&self.ops).enumerate() {
            let node = &g.nodes[i];
            let args: Vec<Option<&Tensor>> = node
                .inputs
                .iter()
                .map(|n| {
                    if n.is_empty() {
                        Ok(None)
                    } else {
                        env.get(n.as_str()).map(|t| Some(t.as_ref())).ok_or_else(|| Error::UnknownTensor(n.clone()))
                    }
                })
                .collect::<Result<_>>()?;
            let outs = op.run(node, &args, &ctx)?;
            if outs.len() < node.outputs.iter().filter(|o| !o.is_empty()).count() {
                return Err(node.error(format!(
                    "produced {} outputs, the node names {}",
                    outs.len(),
                    node.outputs.len()
                )));
            }
            for (name, t) in node.outputs.iter().zip(outs) {
                if name.is_empty() {
                    continue;
                }
                if opts.keep_intermediates {
                    intermediates.insert(name.clone(), t.clone());
                }
                env.insert(name.as_str(), Cow::Owned(t));
            }
            if !opts.keep_intermediates {
                for name in &self.frees[step] {
                    if matches!(env.get(name), Some(Cow::Owned(_))) {
                        env.remove(name);
                    }
                }
            }
        }
        let outputs = g
            .outputs
            .iter()
            .map(|o| {
                env.get(o.name.as_str())
                    .map(|t| (o.name.clone(), t.as_ref().clone()))
                    .ok_or_else(|| Error::UnknownTensor(o.name.clone()))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(ExecResult { outputs, intermediates })
    }
}

/// Runs `model` once on `inputs` (a convenience around [`Executor`]).
pub fn execute(model: &Model, inputs: &[(&str, Tensor)], opts: &ExecOptions) -> Result<ExecResult> {
    Executor::new(model)?.run(inputs, opts)
}

/// Quantizer bit widths must be constants (initializers), not computed at run time.
fn check_constant_params(model: &Model, node: &Node) -> Result<()> {
    if !node.is_qonnx() {
        return Ok(());
    }
    let params: &[usize] = match node.op_type.as_str() {
        "Quant" | "IntQuant" => &[3],
        "Trunc" if model.qonnx_opset_version() >= 2 => &[3, 5],
        "Trunc" => &[3, 4],
        _ => &[],
    };
    for &i in params {
        match node.inputs.get(i) {
            Some(n) if model.graph.initializer(n).is_some() => {}
            Some(n) => return Err(node.error(format!("bit width `{n}` must be a constant initializer"))),
            None => return Err(node.error(format!("input {i} (bit width) is missing"))),
        }
    }
    Ok(())
}

fn check_input(vi: &crate::model::ValueInfo, t: &Tensor, any_batch: bool) -> Result<()> {
    let bad = |m: String| Error::Tensor { tensor: vi.name.clone(), message: m };
    if let Some(code) = vi.elem_type()
        && DType::from_onnx_code(code) != Some(t.dtype())
    {
        return Err(bad(format!("declared element type {code}, got {:?}", t.dtype())));
    }
    if let Some(shape) = vi.shape() {
        if shape.len() != t.shape().len() {
            return Err(bad(format!("declared rank {}, got shape {:?}", shape.len(), t.shape())));
        }
        for (i, (d, &s)) in shape.iter().zip(t.shape()).enumerate() {
            if let Dim::Value(v) = d
                && *v != s as i64
                && !(any_batch && i == 0)
            {
                return Err(bad(format!("dimension {i} is declared {v}, got {s} (shape {:?})", t.shape())));
            }
        }
    }
    Ok(())
}
