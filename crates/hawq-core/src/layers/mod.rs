//! burn layers for quantization-aware training: [`QuantLinear`], [`QuantAct`] and the
//! straight-through tensor quantizer they share.

mod quant_act;
mod quant_linear;

pub use quant_act::{QuantAct, QuantActConfig};
pub use quant_linear::{QuantLinear, QuantLinearConfig, QuantizedLinear};

use burn::prelude::*;

use crate::quantizer::IntRange;

/// Reads a tensor to the host as `f32` (any float element type).
pub(crate) fn to_host<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f32> {
    t.into_data().iter::<f32>().collect()
}

/// A tensor of shape `shape` from host values, in the backend's float type.
pub(crate) fn from_host<B: Backend, const D: usize>(
    v: Vec<f32>,
    shape: [usize; D],
    device: &B::Device,
) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(v, shape).convert::<B::FloatElem>(), device)
}

/// A tensor from `f64` host values (exact integers up to 2^53), in the backend's float type.
pub(crate) fn from_host_f64<B: Backend, const D: usize>(
    v: Vec<f64>,
    shape: [usize; D],
    device: &B::Device,
) -> Tensor<B, D> {
    Tensor::from_data(TensorData::new(v, shape).convert::<B::FloatElem>(), device)
}

/// Straight-through round half to even: rounds in the forward pass, identity gradient.
pub fn round_ste<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.clone() + (x.clone().round() - x).detach()
}

/// Fake quantization with a straight-through gradient, QONNX order: `s · round(clamp(x / s))`.
/// `scale` broadcasts against `x`. The gradient is 1/s·s = 1 inside the range and 0 where
/// the clamp is active; bipolar ranges use `x ≥ 0 → +1` with an identity gradient.
pub fn fake_quant<B: Backend, const D: usize>(x: Tensor<B, D>, scale: Tensor<B, D>, range: IntRange) -> Tensor<B, D> {
    let y = x / scale.clone();
    let q = if range.is_bipolar() {
        let sign = y.clone().greater_equal_elem(0.0).float() * 2.0 - 1.0;
        y.clone() + (sign - y).detach()
    } else {
        round_ste(y.clamp(range.min() as f64, range.max() as f64))
    };
    q * scale
}
