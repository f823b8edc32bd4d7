//! `Softmax`: `e^x / Σ e^x` along an axis (2-D coercion before opset 13).

use super::{OpContext, softmax_like};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Softmax;

impl super::Op for Softmax {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], ctx: &OpContext) -> Result<Vec<Tensor>> {
        softmax_like(node, inputs, ctx, false)
    }
}
