//! Helpers shared by the ops: input access, numpy broadcasting, rounding modes.

use ndarray::{ArrayD, ArrayViewD, IxDyn, Zip};

use crate::error::Result;
use crate::model::Node;
use crate::tensor::Tensor;

/// Input `i`, which must be present.
pub(crate) fn input<'a>(node: &Node, inputs: &[Option<&'a Tensor>], i: usize) -> Result<&'a Tensor> {
    inputs.get(i).copied().flatten().ok_or_else(|| node.error(format!("input {i} is missing")))
}

/// Input `i` as a float32 array.
pub(crate) fn input_f32<'a>(node: &Node, inputs: &[Option<&'a Tensor>], i: usize) -> Result<&'a ArrayD<f32>> {
    let t = input(node, inputs, i)?;
    t.as_f32().ok_or_else(|| node.error(format!("input {i} must be float32, got {:?}", t.dtype())))
}

/// Input `i`, which must hold exactly one value, as f32.
pub(crate) fn scalar_f32(node: &Node, inputs: &[Option<&Tensor>], i: usize, what: &str) -> Result<f32> {
    let t = input(node, inputs, i)?;
    if t.len() != 1 {
        return Err(node.error(format!("{what} must be a single value, got shape {:?}", t.shape())));
    }
    Ok(t.to_f32().iter().next().copied().unwrap_or(0.0))
}

/// The numpy broadcast of shapes `a` and `b`.
pub(crate) fn broadcast_shape(node: &Node, a: &[usize], b: &[usize]) -> Result<Vec<usize>> {
    let n = a.len().max(b.len());
    let mut out = vec![0; n];
    for i in 0..n {
        let da = if i + a.len() >= n { a[i + a.len() - n] } else { 1 };
        let db = if i + b.len() >= n { b[i + b.len() - n] } else { 1 };
        out[i] = match (da, db) {
            (x, y) if x == y => x,
            (1, y) => y,
            (x, 1) => x,
            _ => return Err(node.error(format!("shapes {a:?} and {b:?} do not broadcast"))),
        };
    }
    Ok(out)
}

/// A view of `a` broadcast to `shape` (which must be a broadcast of `a`'s shape).
pub(crate) fn broadcast_to<'a, T>(node: &Node, a: &'a ArrayD<T>, shape: &[usize]) -> Result<ArrayViewD<'a, T>> {
    a.broadcast(IxDyn(shape))
        .ok_or_else(|| node.error(format!("shape {:?} does not broadcast to {:?}", a.shape(), shape)))
}

/// Elementwise `f(a, b)` with numpy broadcasting.
pub(crate) fn zip2<T: Copy, U>(node: &Node, a: &ArrayD<T>, b: &ArrayD<T>, f: impl Fn(T, T) -> U) -> Result<ArrayD<U>> {
    if a.shape() == b.shape() {
        return Ok(Zip::from(a).and(b).map_collect(|&x, &y| f(x, y)));
    }
    // A row vector added to every row (the bias of a dense layer): plain slices, no broadcasting
    // machinery.
    if let (Some(av), Some(bv)) = (a.as_slice(), b.as_slice())
        && b.ndim() <= a.ndim()
        && !bv.is_empty()
        && a.shape().last() == Some(&bv.len())
        && b.shape().iter().rev().skip(1).all(|&d| d == 1)
    {
        let out: Vec<U> =
            av.chunks_exact(bv.len()).flat_map(|row| row.iter().zip(bv).map(|(&x, &y)| f(x, y))).collect();
        return ArrayD::from_shape_vec(a.raw_dim(), out).map_err(|e| node.error(e.to_string()));
    }
    let shape = broadcast_shape(node, a.shape(), b.shape())?;
    let av = broadcast_to(node, a, &shape)?;
    let bv = broadcast_to(node, b, &shape)?;
    Ok(Zip::from(&av).and(&bv).map_collect(|&x, &y| f(x, y)))
}

/// An elementwise binary op on any numeric type pair of equal types, with numpy broadcasting.
pub(crate) fn binary(
    node: &Node,
    inputs: &[Option<&Tensor>],
    ff: fn(f32, f32) -> f32,
    fd: fn(f64, f64) -> f64,
    fi: fn(i64, i64) -> Option<i64>,
) -> Result<Vec<Tensor>> {
    let a = input(node, inputs, 0)?;
    let b = input(node, inputs, 1)?;
    let out = match (a, b) {
        (Tensor::F32(x), Tensor::F32(y)) => Tensor::F32(zip2(node, x, y, ff)?),
        (Tensor::F64(x), Tensor::F64(y)) => Tensor::F64(zip2(node, x, y, fd)?),
        (Tensor::I64(x), Tensor::I64(y)) => {
            let r = zip2(node, x, y, fi)?;
            if r.iter().any(Option::is_none) {
                return Err(node.error("integer overflow or division by zero"));
            }
            Tensor::I64(r.mapv(|v| v.unwrap_or(0)))
        }
        (Tensor::I32(x), Tensor::I32(y)) => {
            let r = zip2(node, x, y, |p, q| fi(p.into(), q.into()).and_then(|v| i32::try_from(v).ok()))?;
            if r.iter().any(Option::is_none) {
                return Err(node.error("integer overflow or division by zero"));
            }
            Tensor::I32(r.mapv(|v| v.unwrap_or(0)))
        }
        _ => {
            return Err(node.error(format!(
                "inputs must be of one numeric type (float32, float64, int64, int32), got {:?} and {:?}",
                a.dtype(),
                b.dtype()
            )));
        }
    };
    Ok(vec![out])
}

/// An elementwise unary op on float32.
pub(crate) fn unary_f32(node: &Node, inputs: &[Option<&Tensor>], f: impl Fn(f32) -> f32) -> Result<Vec<Tensor>> {
    Ok(vec![Tensor::F32(input_f32(node, inputs, 0)?.mapv(f))])
}

/// Normalises a possibly negative axis for rank `rank`: ONNX's range `[-rank, rank - 1]`, empty
/// for a scalar (so the result always indexes the shape).
pub(crate) fn norm_axis(node: &Node, axis: i64, rank: usize) -> Result<usize> {
    let r = rank as i64;
    let a = if axis < 0 { axis + r } else { axis };
    if (0..r).contains(&a) {
        Ok(a as usize)
    } else {
        Err(node.error(format!("axis {axis} is out of range for rank {rank}")))
    }
}

/// Rounding modes of QONNX's Quant and Trunc, computed in float32 exactly as qonnx's numpy code
/// does (including the sign of zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoundingMode {
    /// Half to even (`ROUND`, `HALF_EVEN`): numpy's `round`.
    Round,
    /// Toward +∞.
    Ceil,
    /// Toward −∞.
    Floor,
    /// Away from zero.
    Up,
    /// Toward zero.
    Down,
    /// Half away from zero.
    HalfUp,
    /// Half toward zero.
    HalfDown,
}

impl RoundingMode {
    /// Parses a rounding-mode attribute (case-insensitive).
    pub fn parse(s: &str) -> Option<RoundingMode> {
        Some(match s.to_ascii_uppercase().as_str() {
            "ROUND" | "HALF_EVEN" => RoundingMode::Round,
            "CEIL" => RoundingMode::Ceil,
            "FLOOR" => RoundingMode::Floor,
            "UP" => RoundingMode::Up,
            "DOWN" => RoundingMode::Down,
            "HALF_UP" => RoundingMode::HalfUp,
            "HALF_DOWN" => RoundingMode::HalfDown,
            _ => return None,
        })
    }

    /// The attribute value (`ROUND`, `CEIL`, …; `Round` writes `ROUND`).
    pub fn name(self) -> &'static str {
        match self {
            RoundingMode::Round => "ROUND",
            RoundingMode::Ceil => "CEIL",
            RoundingMode::Floor => "FLOOR",
            RoundingMode::Up => "UP",
            RoundingMode::Down => "DOWN",
            RoundingMode::HalfUp => "HALF_UP",
            RoundingMode::HalfDown => "HALF_DOWN",
        }
    }

    /// Rounds `x` (float32 arithmetic throughout).
    pub fn apply(self, x: f32) -> f32 {
        match self {
            RoundingMode::Round => x.round_ties_even(),
            RoundingMode::Ceil => x.ceil(),
            RoundingMode::Floor => x.floor(),
            RoundingMode::Up => np_sign(x) * x.abs().ceil(),
            RoundingMode::Down => x.trunc(),
            RoundingMode::HalfUp => np_sign(x) * (x.abs() + 0.5).floor(),
            RoundingMode::HalfDown => np_sign(x) * (x.abs() - 0.5).ceil(),
        }
    }
}

/// numpy's `sign`: +1, −1, +0 for either zero, NaN for NaN.
fn np_sign(x: f32) -> f32 {
    if x > 0.0 {
        1.0
    } else if x < 0.0 {
        -1.0
    } else if x == 0.0 {
        0.0
    } else {
        x
    }
}

/// The reading of the `rounding_mode` attribute.
pub(crate) fn rounding_mode(node: &Node, default: &str) -> Result<RoundingMode> {
    let s = node.attr_string("rounding_mode", default);
    RoundingMode::parse(&s).ok_or_else(|| node.error(format!("unknown rounding_mode {s:?}")))
}

/// The smallest integer of a quantizer's range (qonnx `min_int`).
pub(crate) fn min_int(signed: bool, narrow: bool, bits: f64) -> f64 {
    if signed { -(2f64.powf(bits - 1.0)) + if narrow { 1.0 } else { 0.0 } } else { 0.0 }
}

/// The largest integer of a quantizer's range (qonnx `max_int`).
pub(crate) fn max_int(signed: bool, narrow: bool, bits: f64) -> f64 {
    if signed { 2f64.powf(bits - 1.0) - 1.0 } else { 2f64.powf(bits) - 1.0 - if narrow { 1.0 } else { 0.0 } }
}

/// A bit width read from a constant input: a single integer in 1..=max.
pub(crate) fn bit_width(node: &Node, inputs: &[Option<&Tensor>], i: usize, max: u32) -> Result<u32> {
    let b = scalar_f32(node, inputs, i, "the bit width")?;
    if !(b.fract() == 0.0 && b >= 1.0 && b <= max as f32) {
        return Err(node.error(format!("bit width must be an integer in 1..={max}, got {b}")));
    }
    Ok(b as u32)
}

/// Softmax (or, with `log`, log-softmax) of one row in place: the maximum subtracted, `exp`,
/// the sum accumulated in order, then a division (or `ln(e) − ln(sum)`). The fused chains of the
/// executor call this too, so that both give the same bits.
pub(crate) fn softmax_row(v: &mut [f32], log: bool) {
    let m = v.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0f32;
    for e in v.iter_mut() {
        *e = (*e - m).exp();
        sum += *e;
    }
    if log {
        let ls = sum.ln();
        for e in v.iter_mut() {
            *e = e.ln().max(f32::MIN) - ls;
        }
    } else {
        for e in v.iter_mut() {
            *e /= sum;
        }
    }
}

/// Softmax or log-softmax of `x` along `axis` (opset ≥ 13), or over the 2-D coercion at `axis`
/// (opset < 13: all dimensions from `axis` on form one row).
pub(crate) fn softmax_like(
    node: &Node,
    inputs: &[Option<&Tensor>],
    ctx: &super::OpContext,
    log: bool,
) -> Result<Vec<Tensor>> {
    let x = input_f32(node, inputs, 0)?;
    let rank = x.ndim();
    let legacy = ctx.onnx_opset > 0 && ctx.onnx_opset < 13;
    let axis = norm_axis(node, node.attr_int("axis", if legacy { 1 } else { -1 }), rank)?;
    let row = |v: &mut [f32]| softmax_row(v, log);
    if rank == 0 {
        return Err(node.error("input must have rank ≥ 1"));
    }
    let mut out = x.as_standard_layout().into_owned();
    // Rows are contiguous when they run over the trailing dimensions: the legacy coercion, or the
    // last axis.
    let inner: usize = if legacy { x.shape()[axis..].iter().product() } else { x.shape()[axis] };
    if (legacy || axis == rank - 1)
        && let Some(data) = out.as_slice_mut()
    {
        if inner > 0 {
            data.chunks_mut(inner).for_each(row);
        }
    } else {
        for mut lane in out.lanes_mut(ndarray::Axis(axis)) {
            let mut v: Vec<f32> = lane.to_vec();
            row(&mut v);
            lane.iter_mut().zip(v).for_each(|(d, s)| *d = s);
        }
    }
    Ok(vec![Tensor::F32(out)])
}

/// Input `i` as float32 values, converted from any numeric type (quantizer parameters such as
/// zero-points are often stored as int64). Every conversion here is exact for the values that
/// occur (small integers, float32 scales), so the float32 arithmetic that follows matches numpy's
/// promoted arithmetic bit for bit.
pub(crate) fn param_f32<'a>(
    node: &Node,
    inputs: &[Option<&'a Tensor>],
    i: usize,
) -> Result<std::borrow::Cow<'a, ArrayD<f32>>> {
    let t = input(node, inputs, i)?;
    Ok(match t {
        Tensor::F32(a) => std::borrow::Cow::Borrowed(a),
        other => std::borrow::Cow::Owned(other.to_f32()),
    })
}
