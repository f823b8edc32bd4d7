//! QONNX `Quant` → `QuantizeLinear` → (`Clip`) → `DequantizeLinear` (QCDQ), the form that
//! standard ONNX runtimes execute, wherever a Quant is representable: 2 to 8 bits, zero-point 0,
//! `ROUND`, and a scale that is one value or varies along one axis only.
//!
//! The two forms compute the same values: Quant clamps and then rounds half to even,
//! QuantizeLinear rounds half to even and then saturates, and for integer bounds both orders give
//! the same integer. The model's default-domain opset is raised to 13 (per-axis QuantizeLinear);
//! the ops whose semantics changed on the way (Softmax, Squeeze, Unsqueeze, Clip) are rewritten
//! to keep their meaning.

use ndarray::{ArrayD, IxDyn};

use crate::attr;
use crate::error::{Error, Result};
use crate::model::{Model, Node};
use crate::ops::RoundingMode;
use crate::tensor::Tensor;

/// What [`qonnx_to_qcdq`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QcdqReport {
    /// Quant nodes converted.
    pub converted: usize,
    /// Quantizers left as they were, with the reason.
    pub skipped: Vec<(String, String)>,
}

const PASS: &str = "qonnx_to_qcdq";

/// Converts every representable `Quant`. Errors when the opset upgrade cannot keep an op's
/// meaning.
pub fn qonnx_to_qcdq(model: &mut Model) -> Result<QcdqReport> {
    let mut report = QcdqReport::default();
    let plans: Vec<(usize, Result<Plan, String>)> = model
        .graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.is_qonnx() && matches!(n.op_type.as_str(), "Quant" | "IntQuant" | "BipolarQuant" | "Trunc"))
        .map(|(i, n)| (i, plan(model, n)))
        .collect();
    if plans.iter().any(|(_, p)| p.is_ok()) {
        upgrade_opset(model)?;
    }
    // Replace from the back so indices stay valid.
    for (i, p) in plans.into_iter().rev() {
        let node = model.graph.nodes[i].clone();
        match p {
            Err(why) => report.skipped.push((node.label(), why)),
            Ok(plan) => {
                let base = if node.name().is_empty() { format!("Quant{i}") } else { node.name().to_string() };
                let (sn, zn) = (format!("{base}_scale"), format!("{base}_zero_point"));
                model.graph.set_initializer(&sn, plan.scale);
                model.graph.set_initializer(
                    &zn,
                    if plan.signed { Tensor::I8(zeros_i8(&plan.zshape)) } else { Tensor::U8(zeros_u8(&plan.zshape)) },
                );
                let (q, c) = (format!("{base}_q"), format!("{base}_clipped"));
                let mut ql = Node::new("QuantizeLinear", &[&node.inputs[0], &sn, &zn], &[&q]);
                ql.name = Some(format!("{base}_quantize"));
                let mut dq_in = q.clone();
                let mut new = vec![];
                if let Some(axis) = plan.axis {
                    ql.set_attr(attr::int("axis", axis));
                }
                new.push(ql);
                if plan.clip {
                    let (lo, hi) = (format!("{base}_clip_min"), format!("{base}_clip_max"));
                    let (qmin, qmax) = plan.range;
                    if plan.signed {
                        model.graph.set_initializer(&lo, Tensor::I8(ArrayD::from_elem(IxDyn(&[]), qmin as i8)));
                        model.graph.set_initializer(&hi, Tensor::I8(ArrayD::from_elem(IxDyn(&[]), qmax as i8)));
                    } else {
                        model.graph.set_initializer(&lo, Tensor::U8(ArrayD::from_elem(IxDyn(&[]), qmin as u8)));
                        model.graph.set_initializer(&hi, Tensor::U8(ArrayD::from_elem(IxDyn(&[]), qmax as u8)));
                    }
                    let mut clip = Node::new("Clip", &[&q, &lo, &hi], &[&c]);
                    clip.name = Some(format!("{base}_clip"));
                    new.push(clip);
                    dq_in = c;
                }
                let mut dq = Node::new(
                    "DequantizeLinear",
                    &[&dq_in, &sn, &zn],
                    &node.outputs.iter().map(String::as_str).collect::<Vec<_>>(),
                );
                dq.name = Some(format!("{base}_dequantize"));
                if let Some(axis) = plan.axis {
                    dq.set_attr(attr::int("axis", axis));
                }
                new.push(dq);
                model.graph.nodes.splice(i..=i, new);
                report.converted += 1;
            }
        }
    }
    report.skipped.reverse();
    super::remove_unused(model);
    Ok(report)
}

struct Plan {
    scale: Tensor,
    zshape: Vec<usize>,
    axis: Option<i64>,
    signed: bool,
    clip: bool,
    range: (i64, i64),
}

fn zeros_i8(shape: &[usize]) -> ArrayD<i8> {
    ArrayD::zeros(IxDyn(shape))
}

fn zeros_u8(shape: &[usize]) -> ArrayD<u8> {
    ArrayD::zeros(IxDyn(shape))
}

fn plan(model: &Model, n: &Node) -> Result<Plan, String> {
    if n.op_type != "Quant" && n.op_type != "IntQuant" {
        return Err(format!("{} has no QCDQ form", n.op_type));
    }
    let init = |k: usize| {
        n.inputs.get(k).and_then(|name| model.graph.initializer(name)).ok_or(format!("input {k} is not constant"))
    };
    let s = init(1)?.to_f32();
    let z = init(2)?.to_f64();
    let b = init(3)?.to_f64();
    if b.len() != 1 {
        return Err("bit width is not a single value".into());
    }
    let bits = b.iter().next().copied().unwrap_or(0.0);
    if !(bits.fract() == 0.0 && (2.0..=8.0).contains(&bits)) {
        return Err(format!("bit width {bits} is outside 2..=8"));
    }
    if z.iter().any(|&v| v != 0.0) {
        return Err("zero-point is not 0".into());
    }
    if RoundingMode::parse(&n.attr_string("rounding_mode", "ROUND")) != Some(RoundingMode::Round) {
        return Err("rounding mode is not ROUND".into());
    }
    if s.iter().any(|&v| !(v.is_finite() && v > 0.0)) {
        return Err("scale is not positive and finite".into());
    }
    let signed = n.attr_int("signed", 1) != 0;
    let narrow = n.attr_int("narrow", 0) != 0;
    let bits = bits as u32;
    let (qmin, qmax) = if signed {
        (-(1i64 << (bits - 1)) + i64::from(narrow), (1i64 << (bits - 1)) - 1)
    } else {
        (0, (1i64 << bits) - 1 - i64::from(narrow))
    };
    let full = if signed { (-128, 127) } else { (0, 255) };
    // The scale: one value, or a vector along one axis of the input.
    let (scale, zshape, axis) = if s.len() == 1 {
        (Tensor::scalar_f32(s.iter().next().copied().unwrap_or(1.0)), vec![], None)
    } else {
        let non1: Vec<usize> = (0..s.ndim()).filter(|&d| s.shape()[d] != 1).collect();
        if non1.len() != 1 {
            return Err(format!("scale of shape {:?} varies along more than one axis", s.shape()));
        }
        let rank = model.graph.value_info_of(&n.inputs[0]).and_then(|v| v.shape()).map(|s| s.len());
        let rank = rank.or_else(|| init(0).ok().map(|t| t.shape().len())).ok_or("the input's rank is unknown")?;
        let axis = rank as i64 - (s.ndim() - non1[0]) as i64;
        let v: Vec<f32> = s.iter().copied().collect();
        (
            Tensor::F32(ArrayD::from_shape_vec(IxDyn(&[v.len()]), v).map_err(|e| e.to_string())?),
            vec![s.len()],
            Some(axis),
        )
    };
    Ok(Plan { scale, zshape, axis, signed, clip: (qmin, qmax) != full, range: (qmin, qmax) })
}

/// Raises the default-domain opset to 13, rewriting the ops whose meaning changed.
fn upgrade_opset(model: &mut Model) -> Result<()> {
    let old = model.opset_version("").unwrap_or(13);
    if old >= 13 {
        return Ok(());
    }
    let shapes: Vec<Option<usize>> = model
        .graph
        .nodes
        .iter()
        .map(|n| n.inputs.first().and_then(|x| model.graph.value_info_of(x)).and_then(|v| v.shape()).map(|s| s.len()))
        .collect();
    let mut added = Vec::new();
    for (k, n) in model.graph.nodes.iter_mut().enumerate() {
        if !n.domain().is_empty() {
            continue;
        }
        match n.op_type.as_str() {
            "Softmax" | "LogSoftmax" => {
                let axis = n.attr_int("axis", 1);
                match shapes[k] {
                    Some(r) if axis == r as i64 - 1 || axis == -1 => n.set_attr(attr::int("axis", -1)),
                    _ => {
                        return Err(Error::Transform {
                            pass: PASS,
                            message: format!(
                                "node `{}`: cannot upgrade {} (axis {axis}) to opset 13 without its input's rank",
                                n.label(),
                                n.op_type
                            ),
                        });
                    }
                }
            }
            "Squeeze" | "Unsqueeze" => {
                if let Some(axes) = n.attr_ints("axes") {
                    let name = format!(
                        "{}_axes",
                        if n.name().is_empty() { format!("{}{k}", n.op_type) } else { n.name().to_string() }
                    );
                    added.push((
                        name.clone(),
                        Tensor::I64(
                            ArrayD::from_shape_vec(IxDyn(&[axes.len()]), axes)
                                .map_err(|e| Error::Model(e.to_string()))?,
                        ),
                    ));
                    n.attributes.retain(|a| a.name.as_deref() != Some("axes"));
                    n.inputs.truncate(1);
                    n.inputs.push(name);
                }
            }
            "Clip" if old < 11 => {
                let (lo, hi) = (n.attr_float("min", f32::MIN), n.attr_float("max", f32::MAX));
                let base = if n.name().is_empty() { format!("Clip{k}") } else { n.name().to_string() };
                added.push((format!("{base}_min"), Tensor::scalar_f32(lo)));
                added.push((format!("{base}_max"), Tensor::scalar_f32(hi)));
                n.attributes.retain(|a| !matches!(a.name.as_deref(), Some("min") | Some("max")));
                n.inputs.truncate(1);
                n.inputs.push(format!("{base}_min"));
                n.inputs.push(format!("{base}_max"));
            }
            "BatchNormalization" => {
                n.attributes.retain(|a| {
                    !matches!(a.name.as_deref(), Some("is_test") | Some("spatial") | Some("consumed_inputs"))
                });
            }
            "Gemm" => {
                n.attributes.retain(|a| a.name.as_deref() != Some("broadcast"));
            }
            _ => {}
        }
    }
    for (name, t) in added {
        model.graph.set_initializer(&name, t);
    }
    model.set_opset_version("", 13);
    if model.ir_version.unwrap_or(0) < 7 {
        model.ir_version = Some(7);
    }
    Ok(())
}
