//! `Relu`: `max(x, 0)`.

use super::{OpContext, unary_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Relu;

impl super::Op for Relu {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        // NaN propagates; negative values and −0.0 become +0.0.
        unary_f32(node, inputs, |x| if x > 0.0 || x.is_nan() { x } else { 0.0 })
    }
}
