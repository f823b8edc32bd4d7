//! `Div`: elementwise quotient (integer division truncates toward zero) with numpy broadcasting.

use super::{OpContext, binary};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Div;

impl super::Op for Div {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        binary(node, inputs, |a, b| a / b, |a, b| a / b, i64::checked_div)
    }
}
