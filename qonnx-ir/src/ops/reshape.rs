//! `Reshape`: new shape from a constant int64 input (`0` copies a dimension unless `allowzero`,
//! `−1` is inferred); before opset 5 the shape is the `shape` attribute.

use ndarray::IxDyn;

use super::{OpContext, input};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::{Tensor, each};

pub(crate) struct Reshape;

/// The output shape of reshaping `shape` to `spec`.
pub(crate) fn resolve_shape(node: &Node, shape: &[usize], spec: &[i64], allow_zero: bool) -> Result<Vec<usize>> {
    let total: usize = shape.iter().product();
    let mut out = Vec::with_capacity(spec.len());
    let mut infer = None;
    for (i, &d) in spec.iter().enumerate() {
        match d {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            0 if !allow_zero => out.push(
                *shape
                    .get(i)
                    .ok_or_else(|| node.error(format!("0 in shape {spec:?} has no input dimension to copy")))?,
            ),
            d if d >= 0 => out.push(d as usize),
            _ => return Err(node.error(format!("invalid shape {spec:?}"))),
        }
    }
    let known: usize = out.iter().product();
    if let Some(i) = infer {
        if known == 0 || !total.is_multiple_of(known) {
            return Err(node.error(format!("cannot reshape {shape:?} to {spec:?}")));
        }
        out[i] = total / known;
    } else if known != total {
        return Err(node.error(format!("cannot reshape {shape:?} ({total} values) to {spec:?}")));
    }
    Ok(out)
}

/// Any tensor reshaped (row-major) to `shape`, whose element count must match.
pub(crate) fn reshape_tensor(node: &Node, t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    Ok(each!(t, a => {
        let std = a.as_standard_layout();
        let r = std.to_shape(IxDyn(shape)).map_err(|e| node.error(e.to_string()))?;
        Tensor::from(r.into_owned())
    }))
}

impl super::Op for Reshape {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        let spec: Vec<i64> = match inputs.get(1).copied().flatten() {
            Some(s) => match s {
                Tensor::I64(a) => a.iter().copied().collect(),
                _ => return Err(node.error("the shape input must be int64")),
            },
            None => node.attr_ints("shape").ok_or_else(|| node.error("no shape input or attribute"))?,
        };
        let shape = resolve_shape(node, x.shape(), &spec, node.attr_int("allowzero", 0) != 0)?;
        Ok(vec![reshape_tensor(node, x, &shape)?])
    }
}
