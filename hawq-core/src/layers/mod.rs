//! burn layers for quantization-aware training: [`QuantLinear`], [`QuantBnLinear`] (batch norm
//! folded before quantization), [`QuantAct`] and the straight-through tensor quantizer they
//! share.

mod quant_act;
mod quant_bn_linear;
mod quant_linear;

pub use quant_act::{QuantAct, QuantActConfig};
pub use quant_bn_linear::{BatchNormFold, BatchNormFoldConfig, QuantBnLinear, QuantBnLinearConfig};
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

/// Detaches `t` from every level of autodiff. burn's `detach` removes only the outermost level:
/// under nested autodiff (`Autodiff<Autodiff<B>>`, Hessian-vector products) the inner level would
/// still see `x + (round(x) − x) = round(x)` and differentiate the piecewise-constant quantizer
/// (zero second derivatives) instead of the straight-through estimator. On an autodiff backend
/// the values are therefore copied into a fresh constant (bit for bit); without autodiff this is
/// plain `detach`.
pub fn detach_all<B: Backend, const D: usize>(t: Tensor<B, D>) -> Tensor<B, D> {
    let device = t.device();
    if B::ad_enabled(&device) {
        Tensor::from_data(t.into_data().convert::<B::FloatElem>(), &device)
    } else {
        t.detach()
    }
}

/// Straight-through round half to even: rounds in the forward pass, identity gradient (at every
/// level of nested autodiff, see [`detach_all`]).
pub fn round_ste<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.clone() + detach_all(x.clone().round() - x)
}

/// Fake quantization with a straight-through gradient, QONNX order: `s · round(clamp(x / s))`.
/// `scale` broadcasts against `x`. The gradient is 1/s·s = 1 inside the range and 0 where
/// the clamp is active; bipolar ranges use `x ≥ 0 → +1` with an identity gradient.
pub fn fake_quant<B: Backend, const D: usize>(x: Tensor<B, D>, scale: Tensor<B, D>, range: IntRange) -> Tensor<B, D> {
    let y = x / scale.clone();
    let q = if range.is_bipolar() {
        let sign = y.clone().greater_equal_elem(0.0).float() * 2.0 - 1.0;
        // `sign + (y − y)`, not `y + (sign − y)`: the latter rounds `sign − y` once |y| ≥ 2^24
        // and then gives 0 or ±2 instead of ±1.
        sign + (y.clone() - detach_all(y))
    } else {
        round_ste(y.clamp(range.min() as f64, range.max() as f64))
    };
    q * scale
}
