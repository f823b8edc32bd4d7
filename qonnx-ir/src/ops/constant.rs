//! `Constant`: a tensor from the `value` attribute (or `value_float(s)` / `value_int(s)`).

use ndarray::{ArrayD, IxDyn};

use super::OpContext;
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Constant;

impl super::Op for Constant {
    fn run(&self, node: &Node, _inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        if let Some(t) = node.attr("value").and_then(|a| a.t.as_ref()) {
            return Ok(vec![Tensor::from_proto(t).map_err(|e| node.error(e.to_string()))?]);
        }
        if let Some(a) = node.attr("value_float") {
            return Ok(vec![Tensor::scalar_f32(a.f.unwrap_or(0.0))]);
        }
        if let Some(a) = node.attr("value_floats") {
            return Ok(vec![Tensor::F32(
                ArrayD::from_shape_vec(IxDyn(&[a.floats.len()]), a.floats.clone())
                    .map_err(|e| node.error(e.to_string()))?,
            )]);
        }
        if let Some(a) = node.attr("value_int") {
            return Ok(vec![Tensor::I64(ArrayD::from_elem(IxDyn(&[]), a.i.unwrap_or(0)))]);
        }
        if let Some(a) = node.attr("value_ints") {
            return Ok(vec![Tensor::I64(
                ArrayD::from_shape_vec(IxDyn(&[a.ints.len()]), a.ints.clone())
                    .map_err(|e| node.error(e.to_string()))?,
            )]);
        }
        Err(node.error("no supported value attribute"))
    }
}
