//! Removes graph inputs that are initializers (old ONNX exports list weights as inputs).

use std::collections::HashSet;

use crate::model::Model;

/// Drops every graph input that also has an initializer. Returns whether anything changed.
pub fn remove_static_inputs(model: &mut Model) -> bool {
    let g = &mut model.graph;
    let inits: HashSet<&str> = g.initializers.iter().map(|i| i.name.as_str()).collect();
    let before = g.inputs.len();
    let inits: HashSet<String> = inits.into_iter().map(str::to_string).collect();
    g.inputs.retain(|v| !inits.contains(&v.name));
    before != g.inputs.len()
}
