//! `Clip`: clamps to `[min, max]` (inputs from opset 11, attributes before); float32 and, from
//! opset 12, integer tensors.

use super::{OpContext, input};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

pub(crate) struct Clip;

/// Clamps every element of `a` to `[lo, hi]` (bounds of the same type; NaN passes through).
fn clamp<T: Copy + PartialOrd>(a: &ndarray::ArrayD<T>, lo: Option<T>, hi: Option<T>) -> ndarray::ArrayD<T> {
    a.mapv(|v| {
        let v = match lo {
            Some(l) if v < l => l,
            _ => v,
        };
        match hi {
            Some(h) if v > h => h,
            _ => v,
        }
    })
}

impl super::Op for Clip {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input(node, inputs, 0)?;
        let legacy = ctx.onnx_opset > 0 && ctx.onnx_opset < 11;
        let bound = |i: usize, attr: &str| -> Result<Option<Tensor>> {
            if legacy {
                return Ok(node.attr(attr).and_then(|a| a.f).map(Tensor::scalar_f32));
            }
            match inputs.get(i).copied().flatten() {
                None => Ok(None),
                Some(t) if t.len() == 1 && t.dtype() == x.dtype() => Ok(Some(t.clone())),
                Some(t) => Err(node.error(format!(
                    "{attr} must be one value of the input's type, got {:?} {:?}",
                    t.dtype(),
                    t.shape()
                ))),
            }
        };
        let (lo, hi) = (bound(1, "min")?, bound(2, "max")?);
        macro_rules! go {
            ($v:ident, $a:expr) => {{
                let first = |t: Option<Tensor>| match t {
                    Some(Tensor::$v(b)) => b.iter().next().copied(),
                    _ => None,
                };
                Tensor::$v(clamp($a, first(lo), first(hi)))
            }};
        }
        Ok(vec![match x {
            Tensor::F32(a) => go!(F32, a),
            Tensor::F64(a) => go!(F64, a),
            Tensor::I64(a) => go!(I64, a),
            Tensor::I32(a) => go!(I32, a),
            Tensor::I8(a) => go!(I8, a),
            Tensor::U8(a) => go!(U8, a),
            Tensor::Bool(_) => return Err(node.error("boolean input")),
        }])
    }
}
