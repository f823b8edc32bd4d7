//! Removes graph inputs that are initializers (old ONNX exports list weights as inputs).

use std::collections::HashSet;

use crate::model::Model;

/// Drops every graph input that also has an initializer, and raises the IR version to 4 (before
/// it, ONNX required initializers to be listed as inputs). Returns whether anything changed.
pub fn remove_static_inputs(model: &mut Model) -> bool {
    let g = &mut model.graph;
    let inits: HashSet<&str> = g.initializers.iter().map(|i| i.name.as_str()).collect();
    let before = g.inputs.len();
    let inits: HashSet<String> = inits.into_iter().map(str::to_string).collect();
    g.inputs.retain(|v| !inits.contains(&v.name));
    let changed = before != g.inputs.len();
    if changed && model.ir_version.is_some_and(|v| v < 4) {
        model.ir_version = Some(4);
    }
    changed
}
