//! `QuantizeLinear`: `y = saturate(round_half_even(x / scale) + zero_point)` into int8 or uint8
//! (the zero-point's type; uint8 when absent), per tensor or along `axis`.

use ndarray::{ArrayD, Zip};

use super::{OpContext, input_f32, norm_axis};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct QuantizeLinear;

/// Scale and zero-point broadcast to `shape`: scalars, or 1-D along `axis`.
pub(crate) fn per_axis(node: &Node, p: &ArrayD<f32>, shape: &[usize], axis: i64) -> Result<ArrayD<f32>> {
    if p.len() == 1 {
        return Ok(ArrayD::from_elem(ndarray::IxDyn(shape), p.iter().next().copied().unwrap_or(0.0)));
    }
    let a = norm_axis(node, axis, shape.len())?;
    if p.ndim() != 1 || p.len() != shape[a] {
        return Err(node.error(format!("parameter of shape {:?} does not match axis {a} of {shape:?}", p.shape())));
    }
    let mut bshape = vec![1; shape.len()];
    bshape[a] = p.len();
    let r = p.to_shape(ndarray::IxDyn(&bshape)).map_err(|e| node.error(e.to_string()))?;
    Ok(r.broadcast(ndarray::IxDyn(shape)).ok_or_else(|| node.error("cannot broadcast"))?.to_owned())
}

impl super::Op for QuantizeLinear {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input_f32(node, inputs, 0)?;
        let axis = node.attr_int("axis", 1);
        let s = per_axis(node, input_f32(node, inputs, 1)?, x.shape(), axis)?;
        let zp = inputs.get(2).copied().flatten();
        let (lo, hi, zf) = match zp {
            None => (0.0, 255.0, ArrayD::zeros(x.raw_dim())),
            Some(t @ Tensor::U8(_)) => (0.0, 255.0, per_axis(node, &t.to_f32(), x.shape(), axis)?),
            Some(t @ Tensor::I8(_)) => (-128.0, 127.0, per_axis(node, &t.to_f32(), x.shape(), axis)?),
            Some(t) => return Err(node.error(format!("zero-point type {:?} is not supported", t.dtype()))),
        };
        let q = Zip::from(x).and(&s).and(&zf).map_collect(|&v, &s, &z| ((v / s).round_ties_even() + z).clamp(lo, hi));
        Ok(vec![match zp {
            Some(Tensor::I8(_)) => Tensor::I8(q.mapv(|v| v as i8)),
            _ => Tensor::U8(q.mapv(|v| v as u8)),
        }])
    }
}
