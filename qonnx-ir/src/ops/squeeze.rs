//! `Squeeze`: removes axes of size 1 (`axes` attribute before opset 13, input after; all size-1
//! axes when none are given).

use super::reshape::reshape_tensor;
use super::{OpContext, input, norm_axis};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Squeeze;

/// The `axes` of Squeeze/Unsqueeze: the second input (opset ≥ 13) or the attribute.
pub(crate) fn axes(node: &Node, inputs: &[Option<&Tensor>]) -> Option<Vec<i64>> {
    match inputs.get(1).copied().flatten() {
        Some(t) => Some(t.to_i64().iter().copied().collect()),
        None => node.attr_ints("axes"),
    }
}

impl super::Op for Squeeze {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        let shape = x.shape();
        let drop: Vec<usize> = match axes(node, inputs) {
            Some(a) => a.iter().map(|&v| norm_axis(node, v, shape.len())).collect::<Result<_>>()?,
            None => (0..shape.len()).filter(|&i| shape[i] == 1).collect(),
        };
        if let Some(&bad) = drop.iter().find(|&&i| shape[i] != 1) {
            return Err(node.error(format!("axis {bad} of shape {shape:?} is not of size 1")));
        }
        let out: Vec<usize> = (0..shape.len()).filter(|i| !drop.contains(i)).map(|i| shape[i]).collect();
        Ok(vec![reshape_tensor(node, x, &out)?])
    }
}
