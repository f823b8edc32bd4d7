//! The reference executor: runs a graph on named inputs, node by node in topological order.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::error::{Error, Result};
use crate::fused::{
    Backend, Chain, DenseStage, Grids, QuantEpi, Sums, certificate, column_grids, pow2_exponent, sums_exact_for,
};
use crate::model::{Dim, Model, Node};
use crate::ops::{self, Op, OpContext};
use crate::simd::Simd;
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
    /// The steps again with fused dense stages where the graph allows (see [`crate::fused`]).
    fused_plan: Vec<Planned>,
    /// The kernels of the fused chains.
    backend: Backend,
    ctx: OpContext,
}

/// One entry of the fused plan.
enum Planned {
    /// An unfused step, by index.
    Step(usize),
    /// A fused chain over the steps `covered` (the first is a MatMul).
    Chain { chain: Chain, input: usize, output: usize, covered: Vec<usize> },
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
    /// and computes the constant-only nodes. The fused chains run the best kernels this CPU has,
    /// capped by `HAWQ_SIMD` ([`Simd::limit`]).
    pub fn new(model: &'m Model) -> Result<Executor<'m>> {
        Executor::build(model, Backend::detect())
    }

    /// [`Executor::new`] with the fused chains on the kernels of one SIMD level (the reference
    /// level runs the portable ones): an error when this CPU lacks its instructions. Every level
    /// computes the same values; this one runs, tests and times a level side by side with others.
    pub fn with_simd(model: &'m Model, simd: Simd) -> Result<Executor<'m>> {
        Executor::build(model, Backend::of(simd)?)
    }

    fn build(model: &'m Model, backend: Backend) -> Result<Executor<'m>> {
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
        let fused_plan = fuse(model, &steps, &constants, &output_slots);
        Ok(Executor { model, names, constants, input_slots, output_slots, steps, fused_plan, backend, ctx })
    }

    /// How many fused dense stages the executor found: MatMul by a constant, then bias, ReLU and
    /// quantizer, run in chains over tiles of rows with the same results as the separate ops (see
    /// the `fused` module).
    pub fn fused_stages(&self) -> usize {
        self.fused_plan.iter().map(|p| if let Planned::Chain { chain, .. } = p { chain.stages.len() } else { 0 }).sum()
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
        if !opts.keep_intermediates {
            for p in &self.fused_plan {
                match p {
                    Planned::Step(i) => self.run_step(&self.steps[*i], &mut env, &ctx, None)?,
                    Planned::Chain { chain, input, output, covered } => {
                        let x =
                            env[*input].as_deref().ok_or_else(|| Error::UnknownTensor(self.names[*input].clone()))?;
                        let rows = x.as_f32().filter(|a| a.ndim() == 2 && a.shape()[1] == chain.k());
                        let rows = rows.map(|a| a.as_standard_layout());
                        match rows.as_ref().and_then(|a| Some((a.shape()[0], a.as_slice()?))) {
                            Some((m, xs)) => {
                                let y = chain.run(self.backend, xs, m, opts.exact);
                                env[*output] = Some(Cow::Owned(Tensor::from_f32(&[m, chain.n()], y)?));
                                for &c in covered {
                                    free(&mut env, &self.steps[c].frees);
                                }
                            }
                            // Another shape: the separate ops.
                            None => {
                                for &c in covered {
                                    self.run_step(&self.steps[c], &mut env, &ctx, None)?;
                                }
                            }
                        }
                    }
                }
            }
            return self.finish(env, intermediates);
        }
        for st in &self.steps {
            self.run_step(st, &mut env, &ctx, if opts.keep_intermediates { Some(&mut intermediates) } else { None })?;
        }
        self.finish(env, intermediates)
    }

    /// Runs one unfused step on the environment.
    fn run_step<'e>(
        &'e self,
        st: &Step,
        env: &mut [Option<Cow<'e, Tensor>>],
        ctx: &OpContext,
        mut keep: Option<&mut HashMap<String, Tensor>>,
    ) -> Result<()> {
        let g = &self.model.graph;
        {
            let node = &g.nodes[st.node];
            let args: Vec<Option<&Tensor>> = st
                .inputs
                .iter()
                .map(|k| match k {
                    None => Ok(None),
                    Some(k) => env[*k].as_deref().map(Some).ok_or_else(|| Error::UnknownTensor(self.names[*k].clone())),
                })
                .collect::<Result<_>>()?;
            let outs = st.op.run(node, &args, ctx)?;
            if outs.len() < st.outputs.iter().flatten().count() {
                return Err(node.error(format!(
                    "produced {} outputs, the node names {}",
                    outs.len(),
                    node.outputs.len()
                )));
            }
            for (k, t) in st.outputs.iter().zip(outs) {
                let Some(k) = k else { continue };
                if let Some(keep) = keep.as_deref_mut() {
                    keep.insert(self.names[*k].clone(), t.clone());
                }
                env[*k] = Some(Cow::Owned(t));
            }
            free(env, &st.frees);
        }
        Ok(())
    }

    /// Collects the graph outputs.
    fn finish(
        &self,
        mut env: Vec<Option<Cow<'_, Tensor>>>,
        intermediates: HashMap<String, Tensor>,
    ) -> Result<ExecResult> {
        let outputs = self
            .output_slots
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                let name = self.names[k].clone();
                // A computed tensor is moved out, unless a later output names it again.
                let again = self.output_slots[i + 1..].contains(&k);
                let t = if again { env[k].as_deref().cloned() } else { env[k].take().map(Cow::into_owned) };
                t.map(|t| (name.clone(), t)).ok_or(Error::UnknownTensor(name))
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

/// Drops the computed tensors in `slots` (constants and inputs are borrowed and stay).
fn free(env: &mut [Option<Cow<'_, Tensor>>], slots: &[usize]) {
    for &k in slots {
        if matches!(env[k], Some(Cow::Owned(_))) {
            env[k] = None;
        }
    }
}

/// Finds chains of dense stages — MatMul(x, constant W) [→ Add(constant row)] [→ Relu]
/// [→ per-tensor ROUND Quant], each reading the previous one's output — optionally ending in a
/// row Softmax, whose intermediate tensors nobody else reads, and plans them as fused chains.
fn fuse(model: &Model, steps: &[Step], constants: &[(usize, Tensor)], outputs: &[usize]) -> Vec<Planned> {
    let g = &model.graph;
    // The single step reading `slot`, if `slot` is not a graph output either.
    let only_reader = |slot: usize| -> Option<usize> {
        let readers: Vec<usize> =
            steps.iter().enumerate().filter(|(_, s)| s.inputs.contains(&Some(slot))).map(|(i, _)| i).collect();
        match readers.as_slice() {
            [r] if !outputs.contains(&slot) => Some(*r),
            _ => None,
        }
    };
    let mut plan = Vec::new();
    let mut i = 0;
    while i < steps.len() {
        let Some((first, input, mut out, mut covered)) = dense_at(model, steps, constants, i, &only_reader) else {
            plan.push(Planned::Step(i));
            i += 1;
            continue;
        };
        let mut stages = vec![first];
        let mut softmax = None;
        loop {
            let next = covered.last().copied().unwrap_or(i) + 1;
            if only_reader(out) != Some(next) {
                break;
            }
            // The next stage must read this one's output, with matching widths (a mismatch is
            // left to the separate MatMul to report).
            if let Some((st, x, o, c)) = dense_at(model, steps, constants, next, &only_reader)
                && x == out
                && stages.last().is_some_and(|prev| prev.n == st.k)
            {
                stages.push(st);
                out = o;
                covered.extend(c);
                continue;
            }
            // A Softmax over each row ends the chain.
            let node = &g.nodes[steps[next].node];
            let legacy = matches!(model.opset_version(""), Some(v) if v > 0 && v < 13);
            if node.domain().is_empty()
                && matches!(node.op_type.as_str(), "Softmax" | "LogSoftmax")
                && steps[next].inputs.as_slice() == [Some(out)]
                && matches!(node.attr_int("axis", if legacy { 1 } else { -1 }), 1 | -1)
                && let Some(Some(o)) = steps[next].outputs.first()
            {
                softmax = Some(node.op_type == "LogSoftmax");
                covered.push(next);
                out = *o;
            }
            break;
        }
        i = covered.last().copied().unwrap_or(i) + 1;
        plan.push(Planned::Chain { chain: Chain::new(stages, softmax), input, output: out, covered });
    }
    plan
}

/// The dense stage starting at step `i`, if that step is a MatMul by a constant float32 matrix:
/// the stage, its input slot, its output slot and the steps it covers (contiguous, so that the
/// order of everything else is unchanged).
fn dense_at(
    model: &Model,
    steps: &[Step],
    constants: &[(usize, Tensor)],
    i: usize,
    only_reader: &dyn Fn(usize) -> Option<usize>,
) -> Option<(DenseStage, usize, usize, Vec<usize>)> {
    let g = &model.graph;
    let constant = |slot: Option<usize>| slot.and_then(|k| constants.iter().find(|(c, _)| *c == k).map(|(_, t)| t));
    let op_of = |i: usize| {
        let n = &g.nodes[steps[i].node];
        (n.domain().to_string(), n.op_type.clone(), n.is_qonnx())
    };
    let st = &steps[i];
    let (dom, op, _) = op_of(i);
    if !(dom.is_empty() && op == "MatMul") {
        return None;
    }
    let (Some(Some(x)), Some(Tensor::F32(w)), Some(Some(first_out))) =
        (st.inputs.first(), constant(st.inputs.get(1).copied().flatten()), st.outputs.first())
    else {
        return None;
    };
    if w.ndim() != 2 || w.is_empty() || constant(Some(*x)).is_some() {
        return None;
    }
    let w = w.view().into_dimensionality::<ndarray::Ix2>().ok()?.to_owned();
    let n = w.ncols();
    let mut out = *first_out;
    let mut covered = vec![i];
    let mut bias = None;
    let mut relu = false;
    let mut quant = None;
    // Add of a constant row vector.
    if let Some(j) = only_reader(out)
        && op_of(j).0.is_empty()
        && op_of(j).1 == "Add"
        && let [Some(a), Some(b)] = steps[j].inputs.as_slice()
        && (*a == out) != (*b == out)
        && let Some(Tensor::F32(bv)) = constant(Some(if *a == out { *b } else { *a }))
        && bv.len() == n
        && bv.shape().last() == Some(&n)
        && bv.ndim() <= 2
        && bv.iter().all(|v| v.is_finite())
        && let Some(Some(o)) = steps[j].outputs.first()
    {
        bias = Some(bv.iter().copied().collect());
        covered.push(j);
        out = *o;
    }
    if let Some(j) = only_reader(out)
        && op_of(j).0.is_empty()
        && op_of(j).1 == "Relu"
        && let Some(Some(o)) = steps[j].outputs.first()
    {
        relu = true;
        covered.push(j);
        out = *o;
    }
    if let Some(j) = only_reader(out)
        && op_of(j).2
        && matches!(op_of(j).1.as_str(), "Quant" | "IntQuant")
        && steps[j].inputs.first() == Some(&Some(out))
        && let Some(Some(o)) = steps[j].outputs.first()
    {
        let node = &g.nodes[steps[j].node];
        let arg = |k: usize| constant(steps[j].inputs.get(k).copied().flatten());
        let scalar = |t: Option<&Tensor>| t.filter(|t| t.len() == 1).and_then(|t| t.to_f32().iter().next().copied());
        if let Ok(p) = ops::QuantOp::params(node, &[None, arg(1), arg(2), arg(3)])
            && ops::fast_round_applies(&p)
            && let (Some(s), Some(z)) = (scalar(arg(1)), scalar(arg(2)))
            && s.is_finite()
            && s > 0.0
            && z.is_finite()
        {
            let (lo, hi) = p.bounds();
            quant = Some(QuantEpi::new(s, z, lo as f32, hi as f32));
            covered.push(j);
            out = *o;
        }
    }
    if !covered.windows(2).all(|w| w[1] == w[0] + 1) {
        return None;
    }
    let sums = match column_grids(w.view()) {
        Some(grids) if sums_exact(g, steps, constants, st, &grids) => Sums::Exact,
        Some(grids) => Sums::Checked(certificate(&grids)),
        None => Sums::Checked(None),
    };
    Some((DenseStage::new(w, bias, relu, quant, sums), *x, out, covered))
}

/// Whether every partial sum of `x · w` is exactly representable in float32: `x` comes from a
/// QONNX Quant with a power-of-two scalar scale and zero-point 0, and for each output column the
/// sum of |x|max · |w| in units of the two grids stays below 2^24.
fn sums_exact(
    g: &crate::model::Graph,
    steps: &[Step],
    constants: &[(usize, Tensor)],
    st: &Step,
    grids: &Grids,
) -> bool {
    let Some(Some(x)) = st.inputs.first() else { return false };
    let Some(producer) = steps.iter().find(|s| s.outputs.contains(&Some(*x))) else { return false };
    let node = &g.nodes[producer.node];
    if !(node.is_qonnx() && matches!(node.op_type.as_str(), "Quant" | "IntQuant")) {
        return false;
    }
    let constant = |slot: Option<usize>| slot.and_then(|k| constants.iter().find(|(c, _)| *c == k).map(|(_, t)| t));
    let arg = |k: usize| constant(producer.inputs.get(k).copied().flatten());
    let scalar = |t: Option<&Tensor>| t.filter(|t| t.len() == 1).and_then(|t| t.to_f64().iter().next().copied());
    let (Some(s), Some(z)) = (scalar(arg(1)), scalar(arg(2))) else { return false };
    let Ok(p) = ops::QuantOp::params(node, &[None, arg(1), arg(2), arg(3)]) else { return false };
    let Some(ex) = pow2_exponent(s) else { return false };
    if z != 0.0 {
        return false;
    }
    let (lo, hi) = p.bounds();
    sums_exact_for(grids, ex, lo.abs().max(hi.abs()))
}
