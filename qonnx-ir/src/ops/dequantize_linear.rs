//! `DequantizeLinear`: `y = (x − zero_point) · scale`, per tensor or along `axis`.

use ndarray::{ArrayD, Zip};

use super::quantize_linear::per_axis;
use super::{OpContext, input, input_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct DequantizeLinear;

impl super::Op for DequantizeLinear {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        if !matches!(x, Tensor::I8(_) | Tensor::U8(_) | Tensor::I32(_)) {
            return Err(node.error(format!("input type {:?} is not int8, uint8 or int32", x.dtype())));
        }
        let xf = x.to_f32();
        let axis = node.attr_int("axis", 1);
        let s = per_axis(node, input_f32(node, inputs, 1)?, xf.shape(), axis)?;
        let z = match inputs.get(2).copied().flatten() {
            Some(t) => per_axis(node, &t.to_f32(), xf.shape(), axis)?,
            None => ArrayD::zeros(xf.raw_dim()),
        };
        Ok(vec![Tensor::F32(Zip::from(&xf).and(&s).and(&z).map_collect(|&v, &s, &z| (v - z) * s))])
    }
}
