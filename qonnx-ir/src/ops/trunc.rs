//! QONNX `Trunc`: drops least significant bits of a quantized value. Version 1 (5 inputs) keeps
//! the input scale; version 2 (6 inputs, attributes `signed`, `narrow`) rescales to an output
//! scale and clamps to the output range before rounding. The model's QONNX opset import selects
//! the version.

use ndarray::{ArrayD, Zip};

use super::{OpContext, RoundingMode, bit_width, broadcast_to, input_f32, max_int, min_int, param_f32, rounding_mode};
use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

/// Trunc v1 of one value: `(R(round(x/s + z) / 2^(in−out)) − z) · s`.
pub fn trunc_v1(x: f32, s: f32, z: f32, in_bits: f32, out_bits: f32, mode: RoundingMode) -> f32 {
    let mut y = x / s;
    y += z;
    y = y.round_ties_even();
    let trunc_scale = 2f32.powf(in_bits - out_bits);
    y /= trunc_scale;
    y = mode.apply(y);
    y -= z;
    y * s
}

/// Trunc v2 of one value: the truncation scale is `2^round(log2(out_s/s))`, the value is clamped
/// to the output range before rounding and rescaled by `out_s`.
#[allow(clippy::too_many_arguments)]
pub fn trunc_v2(
    x: f32,
    s: f32,
    z: f32,
    out_s: f32,
    out_bits: f32,
    signed: bool,
    narrow: bool,
    mode: RoundingMode,
) -> f32 {
    let mut y = x / s;
    y += z;
    y = y.round_ties_even();
    let trunc_scale = 2f32.powf((out_s / s).log2().round_ties_even());
    y /= trunc_scale;
    let lo = min_int(signed, narrow, f64::from(out_bits)) as f32;
    let hi = max_int(signed, narrow, f64::from(out_bits)) as f32;
    if y > hi {
        y = hi;
    }
    if y < lo {
        y = lo;
    }
    y = mode.apply(y);
    let out_z = z / trunc_scale;
    y -= out_z;
    y * out_s
}

pub(crate) struct Trunc;

impl super::Op for Trunc {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input_f32(node, inputs, 0)?;
        let s = param_f32(node, inputs, 1)?;
        let z = param_f32(node, inputs, 2)?;
        let in_bits = bit_width(node, inputs, 3, 64)? as f32;
        let mode = rounding_mode(node, "FLOOR")?;
        let check = |shape: &[usize]| -> Result<()> {
            if shape != x.shape() {
                return Err(node.error(format!("parameter shapes enlarge the input {:?}", x.shape())));
            }
            Ok(())
        };
        let mut shape = super::broadcast_shape(node, x.shape(), s.shape())?;
        shape = super::broadcast_shape(node, &shape, z.shape())?;
        let out: ArrayD<f32> = if ctx.qonnx_opset >= 2 {
            let os = param_f32(node, inputs, 4)?;
            let out_bits = bit_width(node, inputs, 5, 64)? as f32;
            shape = super::broadcast_shape(node, &shape, os.shape())?;
            check(&shape)?;
            let signed = node.attr_int("signed", 1) != 0;
            let narrow = node.attr_int("narrow", 0) != 0;
            let (sv, zv, osv) =
                (broadcast_to(node, &s, &shape)?, broadcast_to(node, &z, &shape)?, broadcast_to(node, &os, &shape)?);
            Zip::from(x)
                .and(&sv)
                .and(&zv)
                .and(&osv)
                .map_collect(|&v, &s, &z, &os| trunc_v2(v, s, z, os, out_bits, signed, narrow, mode))
        } else {
            let out_bits = bit_width(node, inputs, 4, 64)? as f32;
            check(&shape)?;
            let (sv, zv) = (broadcast_to(node, &s, &shape)?, broadcast_to(node, &z, &shape)?);
            Zip::from(x).and(&sv).and(&zv).map_collect(|&v, &s, &z| trunc_v1(v, s, z, in_bits, out_bits, mode))
        };
        Ok(vec![Tensor::F32(out)])
    }
}
