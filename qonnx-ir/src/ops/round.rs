//! `Round`: round half to even.

use super::{OpContext, unary_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Round;

impl super::Op for Round {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        unary_f32(node, inputs, f32::round_ties_even)
    }
}
