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

/// A graph prepared for repeated execution: node order, op implementations, tensor slots and
/// lifetimes are worked out once, and nodes that depend on constants only (the quantizers on
/// weights and biases) are computed once here instead of on every run.
pub struct Executor<'m> {
    model: &'m Model,
    /// Tensor names by slot.
    names: Vec<String>,
    /// Slots holding initializers and precomputed constants.
    constants: Vec<(usize, Tensor)>,
    /// Slots of the real graph inputs.
    input_slots: Vec<usize>,
    /// Slots of the graph outputs.
    output_slots: Vec<usize>,
    steps: Vec<Step>,
    ctx: OpContext,
}

/// One node to run.
struct Step {
    node: usize,
    op: &'static dyn Op,
    inputs: Vec<Option<usize>>,
    outputs: Vec<Option<usize>>,
    /// Slots read for the last time by this step.
    frees: Vec<usize>,
}

impl<'m> Executor<'m> {
    /// Prepares `model`: sorts the nodes, resolves every op (an unknown op is an error naming the
    /// node and op), checks that every input exists and that quantizer bit widths are constant,
    /// and computes the constant-only nodes.
    pub fn new(model: &'m Model) -> Result<Executor<'m>> {
        let g = &model.graph;
        let order = g.topological_order()?;
        let mut slot: HashMap<&str, usize> = HashMap::new();
        let mut names: Vec<String> = Vec::new();
        let mut slot_of = |name: &'m str, names: &mut Vec<String>| -> usize {
            *slot.entry(name).or_insert_with(|| {
                names.push(name.to_string());
                names.len() - 1
            })
        };
        let mut constants: Vec<(usize, Tensor)> = Vec::new();
        let mut is_const: Vec<bool> = Vec::new();
        let mut marked = 0;
        for init in &g.initializers {
            let k = slot_of(init.name.as_str(), &mut names);
            constants.push((k, init.value.clone()));
        }
        let input_slots: Vec<usize> = g.real_inputs().iter().map(|v| slot_of(v.name.as_str(), &mut names)).collect();
        let ctx = OpContext {
            exact: false,
            onnx_opset: model.opset_version("").unwrap_or(0),
            qonnx_opset: model.qonnx_opset_version(),
        };
        let mut steps = Vec::new();
        for &i in &order {
            let n = &g.nodes[i];
            let op = ops::lookup(n).ok_or_else(|| Error::UnknownOp {
                node: n.label(),
                op: n.op_type.clone(),
                domain: n.domain().to_string(),
            })?;
            check_constant_params(model, n)?;
            let inputs: Vec<Option<usize>> =
                n.inputs.iter().map(|x| (!x.is_empty()).then(|| slot_of(x.as_str(), &mut names))).collect();
            let outputs: Vec<Option<usize>> =
                n.outputs.iter().map(|x| (!x.is_empty()).then(|| slot_of(x.as_str(), &mut names))).collect();
            is_const.resize(names.len(), false);
            for &(k, _) in &constants[marked..] {
                is_const[k] = true;
            }
            marked = constants.len();
            // A node of constants only (no graph input upstream, not a graph output) is run once now.
            let constant = inputs.iter().flatten().all(|&k| is_const[k])
                && !n.outputs.iter().any(|o| g.outputs.iter().any(|go| &go.name == o));
            if constant {
                let args: Vec<Option<&Tensor>> = inputs
                    .iter()
                    .map(|k| k.and_then(|k| constants.iter().find(|(c, _)| *c == k).map(|(_, t)| t)))
                    .collect();
                let outs = op.run(n, &args, &ctx)?;
                for (k, t) in outputs.iter().zip(outs) {
                    if let Some(k) = k {
                        constants.push((*k, t));
                    }
                }
                continue;
            }
            steps.push(Step { node: i, op, inputs, outputs, frees: Vec::new() });
        }
        let output_slots: Vec<usize> = g.outputs.iter().map(|o| slot_of(o.name.as_str(), &mut names)).collect();
        // Lifetimes: a computed tensor is dropped after its last reader, unless it is an output.
        let mut last_use: HashMap<usize, usize> = HashMap::new();
        for (k, st) in steps.iter().enumerate() {
            for &x in st.inputs.iter().flatten() {
                last_use.insert(x, k);
            }
        }
        for o in &output_slots {
            last_use.remove(o);
        }
        for (x, k) in last_use {
            steps[k].frees.push(x);
        }
        Ok(Executor { model, names, constants, input_slots, output_slots, steps, ctx })
    }

    /// Runs the graph on `inputs` (name, tensor). Every real graph input must be supplied with
    /// the declared element type and rank, and with the declared size wherever the declared
    /// dimension is a number (the first dimension is free when `opts.any_batch`).
    pub fn run(&self, inputs: &[(&str, Tensor)], opts: &ExecOptions) -> Result<ExecResult> {
        let g = &self.model.graph;
        let mut env: Vec<Option<Cow<'_, Tensor>>> = vec![None; self.names.len()];
        for (k, t) in &self.constants {
            env[*k] = Some(Cow::Borrowed(t));
        }
        for (vi, &k) in g.real_inputs().into_iter().zip(&self.input_slots) {
            let (_, t) =
                inputs.iter().find(|(n, _)| *n == vi.name).ok_or_else(|| Error::MissingGraphInput(vi.name.clone()))?;
            check_input(vi, t, opts.any_batch)?;
            env[k] = Some(Cow::Borrowed(t));
        }
        let ctx = OpContext { exact: opts.exact, ..self.ctx };
        let mut intermediates = HashMap::new();
        if opts.keep_intermediates {
            for (k, t) in &self.constants {
                if g.initializer(&self.names[*k]).is_none() {
                    intermediates.insert(self.names[*k].clone(), t.clone());
                }
            }
        }
        for st in &self.steps {
            let node = &g.nodes[st.node];
            let args: Vec<Option<&Tensor>> = st
                .inputs
                .iter()
                .map(|k| match k {
                    None => Ok(None),
                    Some(k) => env[*k].as_deref().map(Some).ok_or_else(|| Error::UnknownTensor(self.names[*k].clone())),
                })
                .collect::<Result<_>>()?;
            let outs = st.op.run(node, &args, &ctx)?;
            if outs.len() < st.outputs.iter().flatten().count() {
                return Err(node.error(format!(
                    "produced {} outputs, the node names {}",
                    outs.len(),
                    node.outputs.len()
                )));
            }
            for (k, t) in st.outputs.iter().zip(outs) {
                let Some(k) = k else { continue };
                if opts.keep_intermediates {
                    intermediates.insert(self.names[*k].clone(), t.clone());
                }
                env[*k] = Some(Cow::Owned(t));
            }
            for &k in &st.frees {
                if matches!(env[k], Some(Cow::Owned(_))) {
                    env[k] = None;
                }
            }
        }
        let outputs = self
            .output_slots
            .iter()
            .map(|&k| {
                let name = self.names[k].clone();
                match env[k].as_deref() {
                    Some(t) => Ok((name, t.clone())),
                    None => Err(Error::UnknownTensor(name)),
                }
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
