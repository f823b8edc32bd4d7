//! Renames old QONNX domains (`finn.custom_op.general`, `finn`, `onnx.brevitas`) to
//! `qonnx.custom_op.general`, in nodes and in the opset imports.

use crate::model::{Model, QONNX_DOMAIN, QONNX_DOMAIN_ALIASES};

/// Moves every QONNX-alias node and opset import to `qonnx.custom_op.general`. Returns whether
/// anything changed.
pub fn fix_domains(model: &mut Model) -> bool {
    let mut changed = false;
    for n in &mut model.graph.nodes {
        if QONNX_DOMAIN_ALIASES.contains(&n.domain()) {
            n.domain = Some(QONNX_DOMAIN.to_string());
            changed = true;
        }
    }
    let version = model.qonnx_opset_version();
    let before = model.opset_imports.len();
    model.opset_imports.retain(|o| !QONNX_DOMAIN_ALIASES.contains(&o.domain.as_deref().unwrap_or("")));
    changed |= model.opset_imports.len() != before;
    if model.graph.nodes.iter().any(|n| n.domain() == QONNX_DOMAIN) && model.opset_version(QONNX_DOMAIN).is_none() {
        model.set_opset_version(QONNX_DOMAIN, version);
        changed = true;
    }
    changed
}
