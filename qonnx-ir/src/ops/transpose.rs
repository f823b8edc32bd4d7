//! `Transpose`: permutes the axes (`perm`, default reversed).

use super::{OpContext, input};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::{Tensor, each};

pub(crate) struct Transpose;

impl super::Op for Transpose {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        let r = x.shape().len();
        let perm: Vec<usize> = match node.attr_ints("perm") {
            Some(p) => p.iter().map(|&v| if v < 0 { v + r as i64 } else { v } as usize).collect(),
            None => (0..r).rev().collect(),
        };
        let mut seen = vec![false; r];
        if perm.len() != r || perm.iter().any(|&p| p >= r || std::mem::replace(&mut seen[p], true)) {
            return Err(node.error(format!("perm {perm:?} is not a permutation of {r} axes")));
        }
        Ok(vec![each!(x, a => Tensor::from(a.view().permuted_axes(perm.clone()).as_standard_layout().into_owned()))])
    }
}
