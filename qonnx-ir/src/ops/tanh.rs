//! `Tanh`: hyperbolic tangent.

use super::{OpContext, unary_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Tanh;

impl super::Op for Tanh {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        unary_f32(node, inputs, f32::tanh)
    }
}
