//! `QuantLinear`: a fully connected layer with fake-quantized weights (symmetric, per tensor or
//! per channel) and bias (at scale `s_w · s_in`). It holds its own parameters and computes
//! `x · W + b` with a plain `matmul`, which (unlike burn's fused `Linear`) also differentiates
//! twice under nested autodiff.

use burn::module::Param;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::{detach_all, from_host, to_host};
use crate::quantizer::{Granularity, QuantizedBias, ScaleMode, WeightQuantizer, quantize_bias};
use crate::rng::SplitMix64;

/// Settings of a [`QuantLinear`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantLinearConfig {
    /// Inputs.
    pub d_input: usize,
    /// Outputs.
    pub d_output: usize,
    /// Weight bits.
    pub weight_bits: u32,
    /// Bias bits.
    pub bias_bits: u32,
    /// Per tensor or per output channel.
    pub granularity: Granularity,
    /// Scale representation.
    pub mode: ScaleMode,
    /// Weight clipping percentile (`None`: the maximum).
    pub clip_percentile: Option<f32>,
    /// `false`: float weights and bias (float mode).
    pub enabled: bool,
}

impl QuantLinearConfig {
    /// `d_input → d_output` with 8-bit weights, 32-bit bias, per-channel dyadic scales.
    pub fn new(d_input: usize, d_output: usize) -> QuantLinearConfig {
        QuantLinearConfig {
            d_input,
            d_output,
            weight_bits: 8,
            bias_bits: 32,
            granularity: Granularity::PerChannel,
            mode: ScaleMode::Dyadic,
            clip_percentile: None,
            enabled: true,
        }
    }

    /// The layer with weight and bias drawn uniformly from `±1/√d_input` (burn's `Linear`
    /// default), from `seed`.
    pub fn init<B: Backend>(&self, device: &B::Device, seed: u64) -> QuantLinear<B> {
        let mut rng = SplitMix64::new(seed);
        let bound = 1.0 / (self.d_input.max(1) as f64).sqrt();
        let mut draw = |n: usize| (0..n).map(|_| rng.uniform(-bound, bound) as f32).collect::<Vec<_>>();
        let w = draw(self.d_input * self.d_output);
        let b = draw(self.d_output);
        QuantLinear {
            weight: Param::from_tensor(from_host(w, [self.d_input, self.d_output], device)),
            bias: Param::from_tensor(from_host(b, [self.d_output], device)),
            config: *self,
        }
    }
}

/// A quantization-aware fully connected layer; the weight is `[d_input, d_output]`.
#[derive(Module, Debug)]
pub struct QuantLinear<B: Backend> {
    /// Weight, `[d_input, d_output]`.
    pub weight: Param<Tensor<B, 2>>,
    /// Bias, `[d_output]`.
    pub bias: Param<Tensor<B, 1>>,
    /// Settings.
    #[module(skip)]
    pub config: QuantLinearConfig,
}

/// The integer form of a [`QuantLinear`] at a given input scale.
#[derive(Debug, Clone, PartialEq)]
pub struct QuantizedLinear {
    /// Integer weights, row-major `[d_input, d_output]`.
    pub weight: Vec<i64>,
    /// Weight scale of each output channel.
    pub weight_scales: Vec<f32>,
    /// The integer bias, its scales and clipped channels.
    pub bias: QuantizedBias,
}

impl<B: Backend> QuantLinear<B> {
    /// The weight quantizer.
    pub fn weight_quantizer(&self) -> WeightQuantizer {
        WeightQuantizer {
            bits: self.config.weight_bits,
            granularity: self.config.granularity,
            mode: self.config.mode,
            clip_percentile: self.config.clip_percentile,
        }
    }

    /// The float weight on the host, row-major `[d_input, d_output]`.
    pub fn weight_host(&self) -> Vec<f32> {
        to_host(self.weight.val())
    }

    /// The float bias on the host.
    pub fn bias_host(&self) -> Vec<f32> {
        to_host(self.bias.val())
    }

    /// The weight scale of each output channel (computed from the current weight).
    pub fn weight_scales(&self) -> Vec<f32> {
        self.weight_quantizer().scales(&self.weight_host(), self.config.d_input, self.config.d_output)
    }

    /// The integer weights and bias for inputs at scale `input_scale`.
    pub fn quantized(&self, input_scale: f32) -> QuantizedLinear {
        self.quantize_values(&self.weight_host(), &self.bias_host(), input_scale)
    }

    /// Quantizes a weight (row-major `[d_input, d_output]`) and bias other than the layer's own
    /// with the layer's quantizers (for example the batch-norm-folded ones of
    /// [`QuantBnLinear`](super::QuantBnLinear)), for inputs at scale `input_scale`.
    pub fn quantize_values(&self, weight: &[f32], bias: &[f32], input_scale: f32) -> QuantizedLinear {
        let q = self.weight_quantizer();
        let scales = q.scales(weight, self.config.d_input, self.config.d_output);
        let w = q.quantize(weight, self.config.d_output, &scales);
        let bias = quantize_bias(bias, &scales, input_scale, self.config.bias_bits);
        QuantizedLinear { weight: w, weight_scales: scales, bias }
    }

    /// `x · Ŵ + b̂` with fake-quantized weight and bias; the bias scale is `s_w · input_scale`.
    /// The quantized values are the host quantizer's (`f32(q · s)`, as QONNX's `Quant` outputs
    /// them), attached with a straight-through gradient `Ŵ + (W − W.detach())`, so the QAT graph
    /// uses exactly the integers of the integer engine and the export in any float precision.
    /// In float mode, `x · W + b`.
    pub fn forward(&self, x: Tensor<B, 2>, input_scale: f32) -> Tensor<B, 2> {
        self.forward_with_params(x, self.weight.val(), self.bias.val(), input_scale)
    }

    /// [`QuantLinear::forward`] with the weight `w` (`[d_input, d_output]`) and bias `b` given
    /// as tensors (which may depend on other parameters, as the batch-norm-folded ones of
    /// [`QuantBnLinear`](super::QuantBnLinear) do): `x · Ŵ + b̂` with the layer's quantizers and
    /// straight-through gradients into `w` and `b`; in float mode `x · w + b`.
    pub fn forward_with_params(
        &self,
        x: Tensor<B, 2>,
        w: Tensor<B, 2>,
        b: Tensor<B, 1>,
        input_scale: f32,
    ) -> Tensor<B, 2> {
        if !self.config.enabled {
            return x.matmul(w) + b.unsqueeze_dim(0);
        }
        let device = w.device();
        let d_out = self.config.d_output;
        let q = self.quantize_values(&to_host(w.clone()), &to_host(b.clone()), input_scale);
        let wv: Vec<f32> = q.weight.iter().enumerate().map(|(k, &v)| v as f32 * q.weight_scales[k % d_out]).collect();
        let bv: Vec<f32> = q.bias.values.iter().zip(&q.bias.scales).map(|(&v, &s)| v as f32 * s).collect();
        let wq = from_host::<B, 2>(wv, [self.config.d_input, d_out], &device);
        let bq = from_host::<B, 1>(bv, [d_out], &device);
        // Straight through as `ŵ + (w − w)`, which is `ŵ` exactly; `w + (ŵ − w)` rounds `ŵ − w`
        // where they are far apart (a weight clipped at a percentile, a clipped bias).
        let wq = wq + (w.clone() - detach_all(w));
        let bq = bq + (b.clone() - detach_all(b));
        x.matmul(wq) + bq.unsqueeze_dim(0)
    }
}
