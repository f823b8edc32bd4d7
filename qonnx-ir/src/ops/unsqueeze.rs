//! `Unsqueeze`: inserts axes of size 1 (`axes` attribute before opset 13, input after).

use super::reshape::reshape_tensor;
use super::squeeze::axes;
use super::{OpContext, input, norm_axis};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Unsqueeze;

impl super::Op for Unsqueeze {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        let a = axes(node, inputs).ok_or_else(|| node.error("no axes given"))?;
        let rank = x.shape().len() + a.len();
        let mut add: Vec<usize> = a.iter().map(|&v| norm_axis(node, v, rank)).collect::<Result<_>>()?;
        add.sort_unstable();
        if add.windows(2).any(|w| w[0] == w[1]) {
            return Err(node.error(format!("repeated axes {a:?}")));
        }
        let mut rest = x.shape().iter();
        let out: Vec<usize> =
            (0..rank).map(|i| if add.contains(&i) { 1 } else { rest.next().copied().unwrap_or(1) }).collect();
        Ok(vec![reshape_tensor(node, x, &out)?])
    }
}
