//! Unique node names (`<OpType>_<k>`) and readable tensor names (`<node>_out<k>`,
//! `<node>_param<k>`, `global_in`, `global_out`), as qonnx names them.

use std::collections::HashMap;

use super::rename_tensor;
use crate::model::Model;

/// Names every node `<OpType>_<k>`, counting per op type in graph order.
pub fn unique_node_names(model: &mut Model) {
    let mut count: HashMap<String, usize> = HashMap::new();
    for n in &mut model.graph.nodes {
        let k = count.entry(n.op_type.clone()).or_insert(0);
        n.name = Some(format!("{}_{}", n.op_type, k));
        *k += 1;
    }
}

/// Renames tensors after the nodes that make or read them. Run [`unique_node_names`] first.
pub fn readable_tensor_names(model: &mut Model) {
    // First move every tensor to a temporary name, so the new names cannot collide with old ones.
    let mut all: Vec<String> = Vec::new();
    for n in &model.graph.nodes {
        for t in n.inputs.iter().chain(&n.outputs) {
            if !t.is_empty() && !all.contains(t) {
                all.push(t.clone());
            }
        }
    }
    for v in model.graph.inputs.iter().chain(&model.graph.outputs) {
        if !all.contains(&v.name) {
            all.push(v.name.clone());
        }
    }
    for (k, t) in all.iter().enumerate() {
        rename_tensor(model, t, &format!("\u{1}tmp{k}"));
    }
    let nodes: Vec<(String, Vec<String>, Vec<String>)> =
        model.graph.nodes.iter().map(|n| (n.name().to_string(), n.inputs.clone(), n.outputs.clone())).collect();
    for (name, inputs, outputs) in nodes {
        for (k, o) in outputs.iter().enumerate() {
            rename_tensor(model, o, &format!("{name}_out{k}"));
        }
        let mut p = 0;
        for i in inputs {
            if model.graph.initializer(&i).is_some() && i.starts_with('\u{1}') {
                rename_tensor(model, &i, &format!("{name}_param{p}"));
                p += 1;
            }
        }
    }
    let ins: Vec<String> = model.graph.inputs.iter().map(|v| v.name.clone()).collect();
    for (k, i) in ins.iter().enumerate() {
        rename_tensor(model, i, &if k == 0 { "global_in".to_string() } else { format!("global_in_{k}") });
    }
    let outs: Vec<String> = model.graph.outputs.iter().map(|v| v.name.clone()).collect();
    for (k, o) in outs.iter().enumerate() {
        rename_tensor(model, o, &if k == 0 { "global_out".to_string() } else { format!("global_out_{k}") });
    }
    // Anything left (an unread initializer) gets a plain name back.
    let left: Vec<String> =
        model.graph.initializers.iter().map(|i| i.name.clone()).filter(|n| n.starts_with('\u{1}')).collect();
    for (k, t) in left.iter().enumerate() {
        rename_tensor(model, t, &format!("unused_param{k}"));
    }
}
