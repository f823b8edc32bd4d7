//! Constant folding: a node whose inputs are all initializers is executed once and replaced by
//! initializers holding its outputs.

use crate::error::Result;
use crate::exec::ExecOptions;
use crate::model::{Initializer, Model};
use crate::ops::{self, OpContext};
use crate::tensor::Tensor;

/// What [`fold_constants`] may fold.
#[derive(Debug, Clone, Default)]
pub struct FoldOptions {
    /// Also fold quantizers (`Quant`, `BipolarQuant`, `Trunc`, `QuantizeLinear`,
    /// `DequantizeLinear`) on constant inputs. Off by default: the quantizer on a weight is what
    /// tells later stages its bit width.
    pub fold_quantizers: bool,
}

fn is_quantizer(op: &str) -> bool {
    matches!(op, "Quant" | "IntQuant" | "BipolarQuant" | "Trunc" | "QuantizeLinear" | "DequantizeLinear")
}

/// Folds every foldable node (in topological order, so chains fold in one call). Returns how
/// many nodes were folded.
pub fn fold_constants(model: &mut Model, opts: &FoldOptions) -> Result<usize> {
    model.graph.sort()?;
    let ctx = OpContext {
        exact: ExecOptions::default().exact,
        onnx_opset: model.opset_version("").unwrap_or(0),
        qonnx_opset: model.qonnx_opset_version(),
    };
    let graph_outputs: Vec<String> = model.graph.outputs.iter().map(|o| o.name.clone()).collect();
    let mut folded = 0;
    let mut i = 0;
    while i < model.graph.nodes.len() {
        let node = &model.graph.nodes[i];
        let foldable = (opts.fold_quantizers || !is_quantizer(&node.op_type))
            && node.inputs.iter().all(|n| n.is_empty() || model.graph.initializer(n).is_some())
            && !node.outputs.iter().any(|o| graph_outputs.contains(o));
        let op = ops::lookup(node);
        if let (true, Some(op)) = (foldable, op) {
            let args: Vec<Option<&Tensor>> =
                node.inputs.iter().map(|n| if n.is_empty() { None } else { model.graph.initializer(n) }).collect();
            let outs = op.run(node, &args, &ctx)?;
            let names = node.outputs.clone();
            model.graph.nodes.remove(i);
            for (name, t) in names.into_iter().zip(outs) {
                if !name.is_empty() {
                    model.graph.initializers.push(Initializer::new(name, t));
                }
            }
            folded += 1;
        } else {
            i += 1;
        }
    }
    Ok(folded)
}
