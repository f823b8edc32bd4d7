//! `Gemm`: `Y = alpha · A' · B' + beta · C` with optional transposes and a broadcast `C`.

use ndarray::{Ix2, Zip};

use super::{OpContext, broadcast_to, input_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Gemm;

impl super::Op for Gemm {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], ctx: &OpContext) -> Result<Vec<Tensor>> {
        let two = |i: usize| -> Result<ndarray::ArrayView2<f32>> {
            input_f32(node, inputs, i)?
                .view()
                .into_dimensionality::<Ix2>()
                .map_err(|_| node.error(format!("input {i} must be 2-D")))
        };
        let mut a = two(0)?;
        let mut b = two(1)?;
        if node.attr_int("transA", 0) != 0 {
            a = a.reversed_axes();
        }
        if node.attr_int("transB", 0) != 0 {
            b = b.reversed_axes();
        }
        if a.ncols() != b.nrows() {
            return Err(node.error(format!("shapes {:?} and {:?} do not multiply", a.shape(), b.shape())));
        }
        let alpha = node.attr_float("alpha", 1.0);
        let beta = node.attr_float("beta", 1.0);
        let mut y = super::matmul::mm2(a, b, ctx.exact);
        if alpha != 1.0 {
            y.mapv_inplace(|v| alpha * v);
        }
        if let Some(c) = inputs.get(2).copied().flatten() {
            let c = c.as_f32().ok_or_else(|| node.error("input C must be float32"))?;
            let shape = [y.nrows(), y.ncols()];
            let cv =
                broadcast_to(node, c, &shape)?.into_dimensionality::<Ix2>().map_err(|e| node.error(e.to_string()))?;
            Zip::from(&mut y).and(&cv).for_each(|v, &c| *v += beta * c);
        }
        Ok(vec![Tensor::F32(y.into_dyn())])
    }
}
