//! `Sigmoid`: `1 / (1 + e^−x)`.

use super::{OpContext, unary_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Sigmoid;

impl super::Op for Sigmoid {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        unary_f32(node, inputs, |x| 1.0 / (1.0 + (-x).exp()))
    }
}
