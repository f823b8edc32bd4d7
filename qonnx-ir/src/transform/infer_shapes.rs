//! Shape and element-type inference by abstract execution: every op runs on placeholder tensors
//! of the known shapes (zeros for computed values, the real data for initializers), so inference
//! uses exactly the code that execution uses. Symbolic dimensions (`N`) are run at two different
//! small sizes; an output dimension that follows them keeps the symbol. A large batch dimension
//! baked into an input (the first dimension of a rank ≥ 2 input, above [`PROBE_BATCH_ABOVE`]) is
//! probed the same way, so a model declaring batch 789444 is not run at that size; output
//! dimensions that follow it get the declared value back.

use std::collections::HashMap;

use crate::error::Result;
use crate::model::{Dim, Model, ValueInfo};
use crate::ops::{self, OpContext};
use crate::tensor::{DType, Tensor};

const PROBES: [usize; 2] = [2, 3];

/// The largest placeholder (in elements) inference allocates for one graph input.
pub const MAX_PLACEHOLDER: usize = 1 << 24;

/// A declared first dimension above this is probed at small sizes instead of run at full size.
pub const PROBE_BATCH_ABOVE: i64 = 64;

/// Writes the element type and shape of every tensor a node produces into the graph's value
/// infos (and of the graph outputs into the outputs). A node that cannot run on placeholders (an
/// unknown op, a data-dependent shape) leaves its outputs, and what depends on them, unannotated.
pub fn infer_shapes(model: &mut Model) -> Result<()> {
    let order = model.graph.topological_order()?;
    let ctx = OpContext {
        exact: false,
        onnx_opset: model.opset_version("").unwrap_or(0),
        qonnx_opset: model.qonnx_opset_version(),
    };
    let g = &model.graph;
    // The symbol of each probed dimension size, per probe.
    let mut symbols: Vec<String> = Vec::new();
    // Large baked-in batch sizes that are probed instead.
    let mut baked: Vec<i64> = Vec::new();
    let mut envs: Vec<HashMap<String, Tensor>> = vec![HashMap::new(); PROBES.len()];
    for vi in g.real_inputs() {
        let (Some(code), Some(shape)) = (vi.elem_type(), vi.shape()) else { continue };
        let Some(dtype) = DType::from_onnx_code(code) else { continue };
        for (p, env) in envs.iter_mut().enumerate() {
            let dims: Vec<usize> = shape
                .iter()
                .enumerate()
                .map(|(k, d)| match d {
                    Dim::Value(v) if k == 0 && shape.len() >= 2 && *v > PROBE_BATCH_ABOVE => {
                        if !baked.contains(v) {
                            baked.push(*v);
                        }
                        PROBES[p]
                    }
                    Dim::Value(v) => (*v).max(0) as usize,
                    Dim::Param(s) => {
                        if !symbols.contains(s) {
                            symbols.push(s.clone());
                        }
                        PROBES[p]
                    }
                    Dim::Unknown => {
                        if !symbols.contains(&String::new()) {
                            symbols.push(String::new());
                        }
                        PROBES[p]
                    }
                })
                .collect();
            // A placeholder too large to allocate (a fuzzed or absurd declaration) is not made:
            // the input's consumers are then left unannotated. Zero-length axes count as 1, so an
            // empty shape whose other axes multiply past `isize::MAX` (which ndarray panics on)
            // is refused too.
            match dims.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d.max(1))) {
                Some(n) if n <= MAX_PLACEHOLDER => {
                    env.insert(vi.name.clone(), Tensor::zeros(dtype, &dims));
                }
                _ => {}
            }
        }
    }
    let mut inferred: Vec<(String, i32, Vec<Dim>)> = Vec::new();
    for &i in &order {
        let node = &g.nodes[i];
        let Some(op) = ops::lookup(node) else { continue };
        let mut results = Vec::new();
        for env in &envs {
            let args: Option<Vec<Option<&Tensor>>> = node
                .inputs
                .iter()
                .map(|n| if n.is_empty() { Some(None) } else { env.get(n).or_else(|| g.initializer(n)).map(Some) })
                .collect();
            let Some(args) = args else { break };
            match op.run(node, &args, &ctx) {
                Ok(outs) => results.push(outs),
                Err(_) => break,
            }
        }
        if results.len() != PROBES.len() {
            continue;
        }
        for (k, name) in node.outputs.iter().enumerate() {
            if name.is_empty() || results.iter().any(|r| r.len() <= k) {
                continue;
            }
            let a = &results[0][k];
            let b = &results[1][k];
            let dims: Vec<Dim> = if a.shape().len() != b.shape().len() {
                continue;
            } else {
                a.shape()
                    .iter()
                    .zip(b.shape())
                    .map(|(&x, &y)| {
                        if x == y {
                            Dim::Value(x as i64)
                        } else if x == PROBES[0] && y == PROBES[1] && symbols.is_empty() && baked.len() == 1 {
                            Dim::Value(baked[0])
                        } else if x == PROBES[0]
                            && y == PROBES[1]
                            && baked.is_empty()
                            && symbols.len() == 1
                            && !symbols[0].is_empty()
                        {
                            Dim::Param(symbols[0].clone())
                        } else {
                            Dim::Unknown
                        }
                    })
                    .collect()
            };
            inferred.push((name.clone(), a.dtype().onnx_code(), dims));
        }
        for (env, outs) in envs.iter_mut().zip(results) {
            for (name, t) in node.outputs.iter().zip(outs) {
                if !name.is_empty() {
                    env.insert(name.clone(), t);
                }
            }
        }
    }
    let g = &mut model.graph;
    for (name, code, dims) in inferred {
        if g.initializer(&name).is_some() {
            continue;
        }
        if let Some(o) = g.outputs.iter_mut().find(|o| o.name == name) {
            o.set_tensor_type(Some(code), Some(&dims));
            continue;
        }
        match g.value_info.iter_mut().find(|v| v.name == name) {
            Some(v) => v.set_tensor_type(Some(code), Some(&dims)),
            None => g.value_info.push(ValueInfo::tensor(name, code, &dims)),
        }
    }
    Ok(())
}
