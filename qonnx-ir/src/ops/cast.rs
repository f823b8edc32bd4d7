//! `Cast`: converts the element type (`to`, an ONNX type code).

use super::{OpContext, input};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::{DType, Tensor};

pub(crate) struct Cast;

impl super::Op for Cast {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        let to = node.attr_int("to", 0);
        let dt = DType::from_onnx_code(to as i32).ok_or_else(|| node.error(format!("unsupported target type {to}")))?;
        Ok(vec![x.cast(dt)])
    }
}
