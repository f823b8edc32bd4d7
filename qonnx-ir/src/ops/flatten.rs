//! `Flatten`: to 2-D, dimensions before `axis` in the rows and the rest in the columns.

use super::reshape::reshape_tensor;
use super::{OpContext, input};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Flatten;

impl super::Op for Flatten {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        let r = x.shape().len() as i64;
        let mut axis = node.attr_int("axis", 1);
        if axis < 0 {
            axis += r;
        }
        if !(0..=r).contains(&axis) {
            return Err(node.error(format!("axis {axis} out of range for rank {r}")));
        }
        let a = axis as usize;
        let rows: usize = x.shape()[..a].iter().product();
        let cols: usize = x.shape()[a..].iter().product();
        Ok(vec![reshape_tensor(node, x, &[rows, cols])?])
    }
}
