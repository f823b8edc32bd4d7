//! `Clip`: clamps to `[min, max]` (inputs from opset 11, attributes before).

use super::{OpContext, input_f32, scalar_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Clip;

impl super::Op for Clip {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input_f32(node, inputs, 0)?;
        let (lo, hi) = if ctx.onnx_opset > 0 && ctx.onnx_opset < 11 {
            (node.attr_float("min", f32::MIN), node.attr_float("max", f32::MAX))
        } else {
            let get = |i: usize, d: f32| -> Result<f32> {
                match inputs.get(i).copied().flatten() {
                    Some(_) => scalar_f32(node, inputs, i, if i == 1 { "min" } else { "max" }),
                    None => Ok(d),
                }
            };
            (get(1, f32::NEG_INFINITY)?, get(2, f32::INFINITY)?)
        };
        Ok(vec![Tensor::F32(x.mapv(|v| {
            if v < lo {
                lo
            } else if v > hi {
                hi
            } else {
                v
            }
        }))])
    }
}
