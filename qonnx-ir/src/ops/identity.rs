//! `Identity`: passes the input through.

use super::{OpContext, input};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Identity;

impl super::Op for Identity {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        Ok(vec![input(node, inputs, 0)?.clone()])
    }
}
