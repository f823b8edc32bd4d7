//! `MatMul`: numpy `matmul` semantics (1-D promotion, broadcast batch dimensions). Float32
//! accumulation by default; in exact mode the products are accumulated in f64 and rounded once.

use ndarray::linalg::general_mat_mul;
use ndarray::{Array2, ArrayD, ArrayView2, Axis, Ix2, IxDyn};

use super::{OpContext, broadcast_shape, input_f32};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct MatMul;

/// `a · b` for 2-D views, f32 accumulation or (exact) f64 accumulation.
pub(crate) fn mm2(a: ArrayView2<f32>, b: ArrayView2<f32>, exact: bool) -> Array2<f32> {
    if exact {
        let a64 = a.mapv(f64::from);
        let b64 = b.mapv(f64::from);
        a64.dot(&b64).mapv(|v| v as f32)
    } else {
        let mut c = Array2::<f32>::zeros((a.nrows(), b.ncols()));
        general_mat_mul(1.0, &a, &b, 0.0, &mut c);
        c
    }
}

/// numpy `matmul` of two float32 arrays.
pub(crate) fn matmul(node: &Node, a: &ArrayD<f32>, b: &ArrayD<f32>, exact: bool) -> Result<ArrayD<f32>> {
    if a.ndim() == 0 || b.ndim() == 0 {
        return Err(node.error("MatMul inputs must have rank ≥ 1"));
    }
    // Promote 1-D operands as numpy does, and remember to drop the added axes.
    let a2 = if a.ndim() == 1 { a.view().insert_axis(Axis(0)) } else { a.view() };
    let b2 = if b.ndim() == 1 { b.view().insert_axis(Axis(1)) } else { b.view() };
    let (m, k) = (a2.shape()[a2.ndim() - 2], a2.shape()[a2.ndim() - 1]);
    let (k2, n) = (b2.shape()[b2.ndim() - 2], b2.shape()[b2.ndim() - 1]);
    if k != k2 {
        return Err(node.error(format!("shapes {:?} and {:?} do not multiply ({k} ≠ {k2})", a.shape(), b.shape())));
    }
    let batch = broadcast_shape(node, &a2.shape()[..a2.ndim() - 2], &b2.shape()[..b2.ndim() - 2])?;
    let mut out_shape = batch.clone();
    out_shape.extend([m, n]);
    let mut out = ArrayD::<f32>::zeros(IxDyn(&out_shape));
    let mut ab = batch.clone();
    ab.extend([m, k]);
    let mut bb = batch.clone();
    bb.extend([k, n]);
    let av = a2.broadcast(IxDyn(&ab)).ok_or_else(|| node.error("batch dimensions do not broadcast"))?;
    let bv = b2.broadcast(IxDyn(&bb)).ok_or_else(|| node.error("batch dimensions do not broadcast"))?;
    let nb: usize = batch.iter().product();
    let av = av.to_shape(IxDyn(&[nb, m, k])).map_err(|e| node.error(e.to_string()))?;
    let bv = bv.to_shape(IxDyn(&[nb, k, n])).map_err(|e| node.error(e.to_string()))?;
    {
        let mut ov = out.view_mut().into_shape_with_order(IxDyn(&[nb, m, n])).map_err(|e| node.error(e.to_string()))?;
        for i in 0..nb {
            let x = av.index_axis(Axis(0), i).into_dimensionality::<Ix2>().map_err(|e| node.error(e.to_string()))?;
            let y = bv.index_axis(Axis(0), i).into_dimensionality::<Ix2>().map_err(|e| node.error(e.to_string()))?;
            ov.index_axis_mut(Axis(0), i).assign(&mm2(x, y, exact));
        }
    }
    if b.ndim() == 1 {
        let last = out.ndim() - 1;
        out = out.index_axis_move(Axis(last), 0);
    }
    if a.ndim() == 1 {
        let row = out.ndim() - if b.ndim() == 1 { 1 } else { 2 };
        out = out.index_axis_move(Axis(row), 0);
    }
    Ok(out)
}

impl super::Op for MatMul {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], ctx: &OpContext) -> Result<Vec<Tensor>> {
        let a = input_f32(node, inputs, 0)?;
        let b = input_f32(node, inputs, 1)?;
        Ok(vec![Tensor::F32(matmul(node, a, b, ctx.exact)?)])
    }
}
