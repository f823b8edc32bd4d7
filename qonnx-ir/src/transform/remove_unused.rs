//! Removes nodes whose outputs nobody reads, and initializers and value infos of tensors that
//! no node reads or writes.

use std::collections::HashSet;

use crate::model::Model;

/// Removes dead nodes, unused initializers and stale value infos. Returns whether anything
/// changed.
pub fn remove_unused(model: &mut Model) -> bool {
    let g = &mut model.graph;
    let before = (g.nodes.len(), g.initializers.len(), g.value_info.len());
    // Dead nodes: walk back from the graph outputs.
    let mut live: HashSet<String> = g.outputs.iter().map(|o| o.name.clone()).collect();
    let mut keep = vec![false; g.nodes.len()];
    loop {
        let mut grew = false;
        for (i, n) in g.nodes.iter().enumerate() {
            if !keep[i] && n.outputs.iter().any(|o| live.contains(o)) {
                keep[i] = true;
                grew = true;
                live.extend(n.inputs.iter().filter(|s| !s.is_empty()).cloned());
            }
        }
        if !grew {
            break;
        }
    }
    let mut k = keep.into_iter();
    g.nodes.retain(|_| k.next().unwrap_or(true));
    let used: HashSet<&str> = g
        .nodes
        .iter()
        .flat_map(|n| n.inputs.iter().chain(&n.outputs))
        .map(String::as_str)
        .chain(g.outputs.iter().map(|o| o.name.as_str()))
        .collect();
    let used: HashSet<String> = used.into_iter().map(str::to_string).collect();
    g.initializers.retain(|i| used.contains(&i.name));
    g.value_info.retain(|v| used.contains(&v.name));
    g.quantization_annotation.retain(|a| a.tensor_name.as_ref().is_some_and(|t| used.contains(t)));
    before != (g.nodes.len(), g.initializers.len(), g.value_info.len())
}
