//! `Dropout` in inference mode: the input unchanged, and an all-true mask if asked for.

use super::{OpContext, input};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;
use ndarray::{ArrayD, IxDyn};

pub(crate) struct Dropout;

impl super::Op for Dropout {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        let mut out = vec![x.clone()];
        if node.outputs.len() > 1 {
            out.push(Tensor::Bool(ArrayD::from_elem(IxDyn(x.shape()), true)));
        }
        Ok(out)
    }
}
