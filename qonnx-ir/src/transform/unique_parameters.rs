//! Gives each node its own copy of an initializer that several nodes share, so that later passes
//! may change one node's parameter without touching another's.

use std::collections::HashMap;

use crate::model::{Initializer, Model};

/// Duplicates shared initializers (the first reader keeps the original). Returns whether
/// anything changed.
pub fn unique_parameters(model: &mut Model) -> bool {
    let g = &mut model.graph;
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut added = Vec::new();
    for n in &mut g.nodes {
        for inp in &mut n.inputs {
            let Some(init) = g.initializers.iter().find(|i| &i.name == inp) else { continue };
            let count = seen.entry(inp.clone()).or_insert(0);
            *count += 1;
            if *count > 1 {
                let new_name = format!("{inp}_dup{count}");
                added.push(Initializer { name: new_name.clone(), ..init.clone() });
                *inp = new_name;
            }
        }
    }
    let changed = !added.is_empty();
    g.initializers.extend(added);
    changed
}
