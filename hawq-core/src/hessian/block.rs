//! Per-layer blocks of parameter-shaped vectors ([`LayerBlock`]) and host conversions.

use burn::backend::Autodiff;
use burn::prelude::*;

/// One layer's block of a parameter-shaped vector: weight `[d_in, d_out]` and, when biases are
/// included, bias `[d_out]`.
#[derive(Debug, Clone)]
pub struct LayerBlock<B: Backend> {
    /// The weight part.
    pub weight: Tensor<B, 2>,
    /// The bias part (`None` when biases are not part of the blocks).
    pub bias: Option<Tensor<B, 1>>,
}

impl<B: Backend> LayerBlock<B> {
    /// The block as host `f64`s: the weight row-major, then the bias.
    pub fn to_f64(&self) -> Vec<f64> {
        let mut v = to_host_f64(self.weight.clone());
        if let Some(b) = &self.bias {
            v.extend(to_host_f64(b.clone()));
        }
        v
    }

    /// A block from host values laid out as [`LayerBlock::to_f64`] gives them.
    pub fn from_f64(values: &[f64], shape: [usize; 2], bias: bool, device: &B::Device) -> LayerBlock<B> {
        let nw = shape[0] * shape[1];
        let weight = Tensor::from_data(TensorData::new(values[..nw].to_vec(), shape).convert::<B::FloatElem>(), device);
        let bias = bias.then(|| {
            Tensor::from_data(
                TensorData::new(values[nw..nw + shape[1]].to_vec(), [shape[1]]).convert::<B::FloatElem>(),
                device,
            )
        });
        LayerBlock { weight, bias }
    }

    /// The dot product with `other` (same layout), computed on the device.
    pub fn dot(&self, other: &LayerBlock<B>) -> f64 {
        let mut s = (self.weight.clone() * other.weight.clone()).sum();
        if let (Some(a), Some(b)) = (&self.bias, &other.bias) {
            s = s + (a.clone() * b.clone()).sum();
        }
        scalar(s)
    }

    /// The block times `k`.
    pub fn scale(&self, k: f64) -> LayerBlock<B> {
        LayerBlock { weight: self.weight.clone() * k, bias: self.bias.clone().map(|b| b * k) }
    }

    /// The sum of the two blocks.
    pub fn add(&self, other: &LayerBlock<B>) -> LayerBlock<B> {
        LayerBlock {
            weight: self.weight.clone() + other.weight.clone(),
            bias: match (&self.bias, &other.bias) {
                (Some(a), Some(b)) => Some(a.clone() + b.clone()),
                (a, _) => a.clone(),
            },
        }
    }

    /// Number of values.
    pub fn len(&self) -> usize {
        self.weight.dims().iter().product::<usize>() + self.bias.as_ref().map_or(0, |b| b.dims()[0])
    }

    /// Whether the block has no values.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The same block on the autodiff backend above `B`, as a constant (not tracked).
    pub(super) fn lift(&self) -> LayerBlock<Autodiff<B>> {
        LayerBlock { weight: Tensor::from_inner(self.weight.clone()), bias: self.bias.clone().map(Tensor::from_inner) }
    }
}

/// A tensor's values as host `f64`s (any float element type).
pub(crate) fn to_host_f64<B: Backend, const D: usize>(t: Tensor<B, D>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

/// The single value of a one-element tensor as `f64`.
pub(crate) fn scalar<B: Backend>(t: Tensor<B, 1>) -> f64 {
    t.into_data().iter::<f64>().next().unwrap_or(f64::NAN)
}
