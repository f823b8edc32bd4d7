//! `Concat`: joins tensors of one element type along `axis`.

use ndarray::Axis;

use super::{OpContext, input, norm_axis};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Concat;

macro_rules! join {
    ($node:expr, $ins:expr, $axis:expr, $v:ident) => {{
        let views = $ins
            .iter()
            .map(|t| match t {
                Tensor::$v(a) => Ok(a.view()),
                _ => Err($node.error("inputs must share one element type")),
            })
            .collect::<Result<Vec<_>>>()?;
        Tensor::$v(ndarray::concatenate(Axis($axis), &views).map_err(|e| $node.error(e.to_string()))?)
    }};
}

impl super::Op for Concat {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let ins: Vec<&Tensor> = (0..inputs.len()).map(|i| input(node, inputs, i)).collect::<Result<_>>()?;
        let first = ins.first().ok_or_else(|| node.error("no inputs"))?;
        let axis = norm_axis(node, node.attr_int("axis", 0), first.shape().len())?;
        // ndarray's `concatenate` panics (rather than erring) on inputs of different ranks.
        if let Some(t) = ins.iter().find(|t| t.shape().len() != first.shape().len()) {
            return Err(node.error(format!("inputs must have one rank: {:?} and {:?}", first.shape(), t.shape())));
        }
        Ok(vec![match first {
            Tensor::F32(_) => join!(node, ins, axis, F32),
            Tensor::F64(_) => join!(node, ins, axis, F64),
            Tensor::I64(_) => join!(node, ins, axis, I64),
            Tensor::I32(_) => join!(node, ins, axis, I32),
            Tensor::I8(_) => join!(node, ins, axis, I8),
            Tensor::U8(_) => join!(node, ins, axis, U8),
            Tensor::Bool(_) => join!(node, ins, axis, Bool),
        }])
    }
}
