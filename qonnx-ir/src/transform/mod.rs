//! Graph transformations, one pass a file. Each pass takes a [`Model`] and changes it in place;
//! passes compose, and [`cleanup`] runs the pipeline that qonnx's `cleanup_model` runs.

use crate::error::Result;
use crate::model::Model;

mod batchnorm_to_affine;
mod fix_domains;
mod fold_constants;
mod gemm_to_matmul;
mod infer_datatypes;
mod infer_shapes;
mod qcdq_to_qonnx;
mod qonnx_to_qcdq;
mod remove_static_inputs;
mod remove_unused;
mod sort_nodes;
mod unique_names;
mod unique_parameters;

pub use batchnorm_to_affine::batchnorm_to_affine;
pub use fix_domains::fix_domains;
pub use fold_constants::{FoldOptions, fold_constants};
pub use gemm_to_matmul::gemm_to_matmul;
pub use infer_datatypes::infer_datatypes;
pub use infer_shapes::infer_shapes;
pub use qcdq_to_qonnx::qcdq_to_qonnx;
pub use qonnx_to_qcdq::{QcdqReport, qonnx_to_qcdq};
pub use remove_static_inputs::remove_static_inputs;
pub use remove_unused::remove_unused;
pub use sort_nodes::sort_nodes;
pub use unique_names::{readable_tensor_names, unique_node_names};
pub use unique_parameters::unique_parameters;

/// The cleanup pipeline, as qonnx's `cleanup_model` (with quantizers preserved): old QONNX
/// domains renamed, nodes sorted, shapes inferred, shared parameters made unique, constants
/// folded (never a quantizer), static graph inputs and unused tensors removed, unique node names
/// and readable tensor names (`<node>_out<k>`, `<node>_param<k>`, `global_in`, `global_out`),
/// then datatypes and shapes inferred again.
pub fn cleanup(model: &mut Model) -> Result<()> {
    fix_domains(model);
    sort_nodes(model)?;
    infer_shapes(model)?;
    unique_parameters(model);
    fold_constants(model, &FoldOptions::default())?;
    remove_static_inputs(model);
    remove_unused(model);
    unique_node_names(model);
    readable_tensor_names(model);
    infer_shapes(model)?;
    infer_datatypes(model)?;
    Ok(())
}

/// Renames tensor `from` to `to` everywhere in the graph: node inputs and outputs, initializers,
/// value infos and annotations.
pub fn rename_tensor(model: &mut Model, from: &str, to: &str) {
    if from == to || from.is_empty() {
        return;
    }
    let g = &mut model.graph;
    // Type and datatype facts about `from` replace any about `to`, so no name is described twice.
    if g.value_info.iter().any(|v| v.name == from) {
        g.value_info.retain(|v| v.name != to);
    }
    if g.quantization_annotation.iter().any(|a| a.tensor_name.as_deref() == Some(from)) {
        g.quantization_annotation.retain(|a| a.tensor_name.as_deref() != Some(to));
    }
    for n in &mut g.nodes {
        for s in n.inputs.iter_mut().chain(n.outputs.iter_mut()) {
            if s == from {
                *s = to.to_string();
            }
        }
    }
    for i in &mut g.initializers {
        if i.name == from {
            i.name = to.to_string();
        }
    }
    for v in g.inputs.iter_mut().chain(g.outputs.iter_mut()).chain(g.value_info.iter_mut()) {
        if v.name == from {
            v.name = to.to_string();
        }
    }
    for a in &mut g.quantization_annotation {
        if a.tensor_name.as_deref() == Some(from) {
            a.tensor_name = Some(to.to_string());
        }
    }
}
