//! QONNX `Quant` (alias `IntQuant`): uniform integer quantization with a scale, zero-point and
//! bit width, `y = s·(R(clamp(x/s + z, qmin, qmax)) − z)`, computed in float32 as qonnx does.

use ndarray::{ArrayD, Zip};

use super::{OpContext, RoundingMode, bit_width, broadcast_to, input_f32, max_int, min_int, param_f32, rounding_mode};
use crate::datatype::DataType;
use crate::error::Result;
use crate::int_range::IntRange;
use crate::model::{Graph, Node};
use crate::tensor::Tensor;

/// The largest bit width `Quant` accepts.
pub const MAX_QUANT_BITS: u32 = 32;

/// The attributes and bit width of one `Quant`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct QuantParams {
    /// The integer range: bit width (1 ..= 32), sign and narrow range.
    pub range: IntRange,
    /// Rounding mode.
    pub rounding: RoundingMode,
}

impl QuantParams {
    /// The clamp bounds `[qmin, qmax]` as qonnx computes them (`min_int`, `max_int`; the bipolar
    /// 1-bit case is handled apart by [`quant`]).
    pub fn bounds(&self) -> (f64, f64) {
        let r = self.range;
        let b = f64::from(r.bits);
        (min_int(r.signed, r.narrow, b), max_int(r.signed, r.narrow, b))
    }

    /// The parameters of a `Quant` node whose bit width is an initializer of `graph`; an error
    /// naming the node when it is not a constant single integer in 1..=32 or an attribute is
    /// invalid.
    pub fn of_node(node: &Node, graph: &Graph) -> Result<QuantParams> {
        let bits = node.inputs.get(3).and_then(|n| graph.initializer(n));
        Quant::params(node, &[None, None, None, bits])
    }
}

/// Quantizes one value (float32 throughout; `s` scale, `z` zero-point).
pub fn quant(x: f32, s: f32, z: f32, p: &QuantParams) -> f32 {
    let mut y = x / s;
    y += z;
    if p.range.is_bipolar() {
        y = if y >= 0.0 { 1.0 } else { -1.0 };
    } else {
        let (lo, hi) = p.bounds();
        let (lo, hi) = (lo as f32, hi as f32);
        if y > hi {
            y = hi;
        }
        if y < lo {
            y = lo;
        }
        y = p.rounding.apply(y);
    }
    (y - z) * s
}

pub(crate) struct Quant;

impl Quant {
    /// The node's bit width and attributes, read from its constant inputs.
    pub(crate) fn params(node: &Node, inputs: &[Option<&Tensor>]) -> Result<QuantParams> {
        Ok(QuantParams {
            range: IntRange::new(
                bit_width(node, inputs, 3, MAX_QUANT_BITS)?,
                node.attr_int("signed", 1) != 0,
                node.attr_int("narrow", 0) != 0,
            ),
            rounding: rounding_mode(node, "ROUND")?,
        })
    }
}

/// Per-tensor `ROUND` quantization of a whole array, as [`quant`] computes it element by element,
/// with the range computed once and round-half-to-even done by the float32 magic-number addition
/// (exact for |y| < 2^22, which the clamp guarantees when the range lies inside it).
fn quant_round_tensor(x: &ArrayD<f32>, s: f32, z: f32, p: &QuantParams) -> ArrayD<f32> {
    let (lo, hi) = p.bounds();
    let (lo, hi) = (lo as f32, hi as f32);
    x.mapv(|v| quant_round_fast(v, s, z, lo, hi))
}

/// Whether [`quant_round_fast`] computes `quant` exactly for these parameters: `ROUND`, not the
/// bipolar 1-bit case, and a range inside ±2^22.
pub(crate) fn fast_round_applies(p: &QuantParams) -> bool {
    let (lo, hi) = p.bounds();
    p.rounding == RoundingMode::Round && !p.range.is_bipolar() && lo > -4_194_304.0 && hi < 4_194_304.0
}

/// [`quant`] for `ROUND` with the range `[lo, hi]` given, rounding half to even by the float32
/// magic-number addition (exact for |y| < 2^22).
#[inline(always)]
pub(crate) fn quant_round_fast(v: f32, s: f32, z: f32, lo: f32, hi: f32) -> f32 {
    const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23
    let mut y = v / s;
    y += z;
    if y > hi {
        y = hi;
    }
    if y < lo {
        y = lo;
    }
    let r = ((y + MAGIC) - MAGIC).copysign(y);
    (r - z) * s
}

impl super::Op for Quant {
    fn run(&self, node: &Node, inputs: &[Option<&Tensor>], _ctx: &OpContext) -> Result<Vec<Tensor>> {
        let x = input_f32(node, inputs, 0)?;
        let s = param_f32(node, inputs, 1)?;
        let z = param_f32(node, inputs, 2)?;
        let p = Quant::params(node, inputs)?;
        let out: ArrayD<f32> = if s.len() == 1 && z.len() == 1 && s.ndim() <= x.ndim() && z.ndim() <= x.ndim() {
            let (s, z) = (s.iter().next().copied().unwrap_or(1.0), z.iter().next().copied().unwrap_or(0.0));
            let (lo, hi) = p.bounds();
            let fast =
                p.rounding == RoundingMode::Round && !p.range.is_bipolar() && lo > -4_194_304.0 && hi < 4_194_304.0;
            if fast { quant_round_tensor(x, s, z, &p) } else { x.mapv(|v| quant(v, s, z, &p)) }
        } else {
            let shape = super::broadcast_shape(node, x.shape(), s.shape())?;
            let shape = super::broadcast_shape(node, &shape, z.shape())?;
            if shape != x.shape() {
                return Err(node.error(format!(
                    "scale/zero-point shapes {:?}/{:?} enlarge the input {:?}",
                    s.shape(),
                    z.shape(),
                    x.shape()
                )));
            }
            let sv = broadcast_to(node, &s, &shape)?;
            let zv = broadcast_to(node, &z, &shape)?;
            Zip::from(x).and(&sv).and(&zv).map_collect(|&v, &s, &z| quant(v, s, z, &p))
        };
        Ok(vec![Tensor::F32(out)])
    }

    fn output_datatype(&self, node: &Node, graph: &Graph, _inputs: &[Option<DataType>]) -> Option<DataType> {
        let get = |i: usize| node.inputs.get(i).and_then(|n| graph.initializer(n)).map(Tensor::to_f64);
        let (s, z, b) = (get(1)?, get(2)?, get(3)?);
        if b.len() != 1 || !z.iter().all(|&v| v == 0.0) {
            return None;
        }
        let bits = *b.iter().next()?;
        if bits.fract() != 0.0 || !(1.0..=f64::from(MAX_QUANT_BITS)).contains(&bits) {
            return None;
        }
        let bits = bits as u32;
        let signed = node.attr_int("signed", 1) != 0;
        if !s.iter().all(|&v| v == 1.0) {
            return Some(DataType::ScaledInt(bits));
        }
        Some(match (bits, signed) {
            (1, true) => DataType::Bipolar,
            (1, false) => DataType::Binary,
            (n, true) => DataType::Int(n),
            (n, false) => DataType::UInt(n),
        })
    }
}
