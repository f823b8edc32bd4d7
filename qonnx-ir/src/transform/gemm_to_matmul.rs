//! `Gemm` → `MatMul` (+ `Mul` by alpha) (+ `Add` of beta·C), with transposed operands turned into
//! `Transpose` nodes (or transposed initializers).

use crate::attr;
use crate::error::Result;
use crate::model::{Model, Node};
use crate::tensor::Tensor;

/// Rewrites every `Gemm`. Returns how many were rewritten.
pub fn gemm_to_matmul(model: &mut Model) -> Result<usize> {
    let mut count = 0;
    let mut i = 0;
    while i < model.graph.nodes.len() {
        if model.graph.nodes[i].op_type != "Gemm" || !model.graph.nodes[i].domain().is_empty() {
            i += 1;
            continue;
        }
        let gemm = model.graph.nodes.remove(i);
        let base = if gemm.name().is_empty() { format!("Gemm{count}") } else { gemm.name().to_string() };
        let mut new_nodes = Vec::new();
        let mut operand = |idx: usize, trans: bool, new_nodes: &mut Vec<Node>| -> String {
            let name = gemm.inputs[idx].clone();
            if !trans {
                return name;
            }
            let t_name = format!("{base}_in{idx}_T");
            if let Some(Tensor::F32(w)) = model.graph.initializer(&name) {
                let wt = Tensor::F32(w.t().as_standard_layout().into_owned().into_dyn());
                model.graph.set_initializer(&t_name, wt);
            } else {
                let mut t = Node::new("Transpose", &[&name], &[&t_name]);
                t.name = Some(format!("{base}_transpose{idx}"));
                t.set_attr(attr::ints("perm", &[1, 0]));
                new_nodes.push(t);
            }
            t_name
        };
        if gemm.inputs.len() < 2 {
            return Err(gemm.error("needs inputs A and B"));
        }
        let a = operand(0, gemm.attr_int("transA", 0) != 0, &mut new_nodes);
        let b = operand(1, gemm.attr_int("transB", 0) != 0, &mut new_nodes);
        let out = gemm.outputs.first().cloned().ok_or_else(|| gemm.error("no output"))?;
        let alpha = gemm.attr_float("alpha", 1.0);
        let beta = gemm.attr_float("beta", 1.0);
        let has_c = gemm.inputs.get(2).is_some_and(|c| !c.is_empty());
        let mut cur = format!("{base}_matmul_out");
        let mut mm = Node::new("MatMul", &[&a, &b], &[&cur]);
        mm.name = Some(format!("{base}_matmul"));
        new_nodes.push(mm);
        if alpha != 1.0 {
            let k = format!("{base}_alpha");
            model.graph.set_initializer(&k, Tensor::scalar_f32(alpha));
            let next = format!("{base}_scaled");
            let mut m = Node::new("Mul", &[&cur, &k], &[&next]);
            m.name = Some(format!("{base}_mul_alpha"));
            new_nodes.push(m);
            cur = next;
        }
        if has_c {
            let mut c = gemm.inputs[2].clone();
            if beta != 1.0 {
                match model.graph.initializer(&c) {
                    Some(Tensor::F32(cv)) => {
                        let scaled = Tensor::F32(cv.mapv(|v| beta * v));
                        c = format!("{base}_beta_c");
                        model.graph.set_initializer(&c, scaled);
                    }
                    _ => {
                        let k = format!("{base}_beta");
                        model.graph.set_initializer(&k, Tensor::scalar_f32(beta));
                        let bc = format!("{base}_beta_c");
                        let mut m = Node::new("Mul", &[&c, &k], &[&bc]);
                        m.name = Some(format!("{base}_mul_beta"));
                        new_nodes.push(m);
                        c = bc;
                    }
                }
            }
            let mut add = Node::new("Add", &[&cur, &c], &[&out]);
            add.name = Some(format!("{base}_add"));
            new_nodes.push(add);
        } else {
            let last = new_nodes.last_mut().ok_or_else(|| gemm.error("internal: no node"))?;
            last.outputs[0] = out.clone();
        }
        let n = new_nodes.len();
        for (k, node) in new_nodes.into_iter().enumerate() {
            model.graph.nodes.insert(i + k, node);
        }
        i += n;
        count += 1;
    }
    Ok(count)
}
