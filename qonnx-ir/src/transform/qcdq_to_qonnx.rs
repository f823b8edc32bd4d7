//! `QuantizeLinear` → (`Clip`) → `DequantizeLinear` chains with zero-point 0 and one shared scale
//! → one QONNX `Quant` (8 bits, or fewer when a Clip narrows the range).

use ndarray::{ArrayD, IxDyn};

use crate::attr;
use crate::error::Result;
use crate::model::{Model, Node, QONNX_DOMAIN};
use crate::tensor::Tensor;

/// Converts every recognised QCDQ chain. Returns how many were converted.
pub fn qcdq_to_qonnx(model: &mut Model) -> Result<usize> {
    let mut count = 0;
    loop {
        let Some((ql, clip, dq, quant)) = find(model) else { break };
        let g = &mut model.graph;
        let mut remove = vec![ql, dq];
        remove.extend(clip);
        remove.sort_unstable();
        let at = remove[0];
        for &i in remove.iter().rev() {
            g.nodes.remove(i);
        }
        g.nodes.insert(at, quant.0);
        for (name, t) in quant.1 {
            g.set_initializer(&name, t);
        }
        count += 1;
    }
    if count > 0 {
        if model.opset_version(QONNX_DOMAIN).is_none() {
            model.set_opset_version(QONNX_DOMAIN, 1);
        }
        super::remove_unused(model);
    }
    Ok(count)
}

type Found = (usize, Option<usize>, usize, (Node, Vec<(String, Tensor)>));

fn find(model: &Model) -> Option<Found> {
    let g = &model.graph;
    for (qi, ql) in g.nodes.iter().enumerate() {
        if ql.op_type != "QuantizeLinear" || !ql.domain().is_empty() {
            continue;
        }
        let q = ql.outputs.first()?;
        let single = |name: &str| {
            let c = g.consumers(name);
            (c.len() == 1 && !g.outputs.iter().any(|o| o.name == name)).then(|| c[0])
        };
        let Some(mut next) = single(q) else { continue };
        let mut clip = None;
        let (mut lo, mut hi): (i64, i64);
        let zp = ql.inputs.get(2).and_then(|n| g.initializer(n));
        let signed = matches!(zp, Some(Tensor::I8(_)));
        (lo, hi) = if signed { (-128, 127) } else { (0, 255) };
        if g.nodes[next].op_type == "Clip" {
            let c = &g.nodes[next];
            let get =
                |k: usize| c.inputs.get(k).and_then(|n| g.initializer(n)).map(|t| t.to_i64().iter().copied().next());
            let (Some(Some(a)), Some(Some(b))) = (get(1), get(2)) else { continue };
            lo = lo.max(a);
            hi = hi.min(b);
            clip = Some(next);
            let Some(after) = single(c.outputs.first()?) else { continue };
            next = after;
        }
        let dq = &g.nodes[next];
        if dq.op_type != "DequantizeLinear" {
            continue;
        }
        // One scale, zero-points all 0, same per-axis setting on both ends.
        let (s1, s2) = (ql.inputs.get(1)?, dq.inputs.get(1)?);
        let (Some(st), Some(st2)) = (g.initializer(s1), g.initializer(s2)) else { continue };
        if st != st2 || ql.attr_int("axis", 1) != dq.attr_int("axis", 1) {
            continue;
        }
        let zero = |n: &Node| {
            n.inputs.get(2).and_then(|z| g.initializer(z)).is_none_or(|t| t.to_f64().iter().all(|&v| v == 0.0))
        };
        if !zero(ql) || !zero(dq) {
            continue;
        }
        // The narrowest QONNX range equal to [lo, hi].
        let Some((bits, narrow)) = (1..=8u32).flat_map(|b| [(b, false), (b, true)]).find(|&(b, nw)| {
            let r = if signed {
                (-(1i64 << (b - 1)) + i64::from(nw), (1i64 << (b - 1)) - 1)
            } else {
                (0, (1i64 << b) - 1 - i64::from(nw))
            };
            r == (lo, hi) && !(signed && b == 1)
        }) else {
            continue;
        };
        let rank = g.value_info_of(&ql.inputs[0]).and_then(|v| v.shape()).map(|s| s.len());
        let scale = match (st.len(), rank) {
            (1, _) => Tensor::scalar_f32(st.to_f32().iter().next().copied().unwrap_or(1.0)),
            (n, Some(r)) => {
                let axis = ql.attr_int("axis", 1);
                let axis = if axis < 0 { axis + r as i64 } else { axis } as usize;
                let mut shape = vec![1; r - axis];
                shape[0] = n;
                Tensor::F32(ArrayD::from_shape_vec(IxDyn(&shape), st.to_f32().iter().copied().collect()).ok()?)
            }
            _ => continue,
        };
        let base = if ql.name().is_empty() { format!("Quant_from_qcdq{qi}") } else { format!("{}_quant", ql.name()) };
        let (sn, zn, bn) = (format!("{base}_scale"), format!("{base}_zeropt"), format!("{base}_bitwidth"));
        let mut node = Node::new("Quant", &[&ql.inputs[0], &sn, &zn, &bn], &[dq.outputs.first()?]);
        node.domain = Some(QONNX_DOMAIN.to_string());
        node.name = Some(base.clone());
        node.set_attr(attr::int("signed", i64::from(signed)));
        node.set_attr(attr::int("narrow", i64::from(narrow)));
        node.set_attr(attr::string("rounding_mode", "ROUND"));
        let inits = vec![(sn, scale), (zn, Tensor::scalar_f32(0.0)), (bn, Tensor::scalar_f32(bits as f32))];
        return Some((qi, clip, next, (node, inits)));
    }
    None
}
