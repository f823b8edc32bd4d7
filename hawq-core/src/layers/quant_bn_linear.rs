//! `QuantBnLinear`: a fully connected layer followed by batch norm, with the batch norm folded
//! into the weight and bias *before* weight quantization, as HAWQ's `QuantBnConv2d` folds it
//! (Jacob et al. 2018, "batch-norm folding"):
//!
//! - folded weight `W_f = W · γ / √(σ² + ε)` (per output channel), folded bias
//!   `b_f = (b − μ) · γ / √(σ² + ε) + β`; then the layer's symmetric weight quantizer on `W_f`
//!   (per tensor or per channel) and the bias quantizer at `s_w · s_in` on `b_f`;
//! - in training (a backend with autodiff, not frozen) `μ` and `σ²` are the statistics of the
//!   current batch of `x · W + b` (biased variance, gradients flow through them as in batch norm),
//!   and the running mean and variance move towards them with momentum (unbiased variance, as
//!   PyTorch does): `running ← momentum · running + (1 − momentum) · batch`;
//! - in eval (no autodiff) or when frozen, `μ` and `σ²` are the running statistics: this is the
//!   folded layer the integer engine and the QONNX export use.
//!
//! In float mode (quantizers disabled) the layer is exactly linear → batch norm. Everything is
//! plain tensor arithmetic (`matmul`, `mean_dim`, `sqrt`, …), so it also differentiates twice under
//! nested autodiff.

use burn::module::{Param, RunningState};
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::{QuantLinear, QuantLinearConfig, QuantizedLinear, detach_all, to_host};

/// Settings of a [`BatchNormFold`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BatchNormFoldConfig {
    /// Channels (the linear layer's outputs).
    pub num_features: usize,
    /// Weight of the old running value in each update (0.9 here is PyTorch's `momentum = 0.1`).
    pub momentum: f64,
    /// Added to the variance before the square root.
    pub epsilon: f64,
}

impl BatchNormFoldConfig {
    /// `num_features` channels, momentum 0.9, epsilon 1e-5.
    pub fn new(num_features: usize) -> BatchNormFoldConfig {
        BatchNormFoldConfig { num_features, momentum: 0.9, epsilon: 1e-5 }
    }

    /// The module: `γ = 1`, `β = 0`, running mean 0 and running variance 1 (PyTorch's start).
    pub fn init<B: Backend>(&self, device: &B::Device) -> BatchNormFold<B> {
        let d = self.num_features;
        BatchNormFold {
            gamma: Param::from_tensor(Tensor::ones([d], device)),
            beta: Param::from_tensor(Tensor::zeros([d], device)),
            running_mean: RunningState::new(Tensor::zeros([d], device)),
            running_var: RunningState::new(Tensor::ones([d], device)),
            config: *self,
            frozen: false,
        }
    }
}

/// The batch-norm part of a [`QuantBnLinear`]: its affine parameters, its running statistics,
/// and the folding of both into a linear layer's weight and bias.
#[derive(Module, Debug)]
pub struct BatchNormFold<B: Backend> {
    /// Scale `γ`, `[num_features]`.
    pub gamma: Param<Tensor<B, 1>>,
    /// Shift `β`, `[num_features]`.
    pub beta: Param<Tensor<B, 1>>,
    /// Running mean, `[num_features]`.
    pub running_mean: RunningState<Tensor<B, 1>>,
    /// Running (unbiased) variance, `[num_features]`.
    pub running_var: RunningState<Tensor<B, 1>>,
    /// Settings.
    #[module(skip)]
    pub config: BatchNormFoldConfig,
    /// A frozen batch norm folds with its running statistics and does not update them, even
    /// in training.
    #[module(skip)]
    pub frozen: bool,
}

impl<B: Backend> BatchNormFold<B> {
    /// Whether a forward pass on `device` folds with batch statistics (training: autodiff and
    /// not frozen) rather than the running ones.
    pub fn uses_batch_statistics(&self, device: &B::Device) -> bool {
        !self.frozen && B::ad_enabled(device)
    }

    /// The running `(mean, variance)`.
    pub fn running_statistics(&self) -> (Tensor<B, 1>, Tensor<B, 1>) {
        (self.running_mean.value_sync(), self.running_var.value_sync())
    }

    /// The running mean and variance on the host.
    pub fn running_statistics_host(&self) -> (Vec<f32>, Vec<f32>) {
        let (m, v) = self.running_statistics();
        (to_host(m), to_host(v))
    }

    /// Per-channel mean and biased variance of `y` (`[n, num_features]`) over the batch.
    pub fn batch_statistics(y: Tensor<B, 2>) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let [_, d] = y.dims();
        let mean = y.clone().mean_dim(0);
        let centred = y - mean.clone();
        let var = (centred.clone() * centred).mean_dim(0);
        (mean.reshape([d]), var.reshape([d]))
    }

    /// Moves the running statistics towards a batch's `mean` and biased `var` over `n`
    /// samples: `running ← m · running + (1 − m) · batch`, the variance made unbiased
    /// (`· n / (n − 1)`, unchanged for `n = 1`). Gradients do not flow into the running state.
    pub fn update_running(&self, mean: Tensor<B, 1>, var: Tensor<B, 1>, n: usize) {
        let m = self.config.momentum;
        let unbias = if n > 1 { n as f64 / (n as f64 - 1.0) } else { 1.0 };
        let (old_mean, old_var) = self.running_statistics();
        let new_mean = old_mean * m + detach_all(mean) * (1.0 - m);
        let new_var = old_var * m + detach_all(var) * (unbias * (1.0 - m));
        self.running_mean.update(detach_all(new_mean));
        self.running_var.update(detach_all(new_var));
    }

    /// Folds the batch norm with statistics `mean`, `var` into `weight` (`[d_in, d_out]`) and
    /// `bias`: `W · γ/√(var + ε)` per output channel and `(b − mean) · γ/√(var + ε) + β`.
    pub fn fold(
        &self,
        weight: Tensor<B, 2>,
        bias: Tensor<B, 1>,
        mean: Tensor<B, 1>,
        var: Tensor<B, 1>,
    ) -> (Tensor<B, 2>, Tensor<B, 1>) {
        let factor = self.gamma.val() / (var + self.config.epsilon).sqrt();
        let w = weight * factor.clone().unsqueeze_dim(0);
        let b = (bias - mean) * factor + self.beta.val();
        (w, b)
    }

    /// The weight and bias of `linear` folded with the running statistics (the eval-mode layer),
    /// as tensors.
    pub fn folded_eval(&self, linear: &QuantLinear<B>) -> (Tensor<B, 2>, Tensor<B, 1>) {
        let (mean, var) = self.running_statistics();
        self.fold(linear.weight.val(), linear.bias.val(), mean, var)
    }

    /// [`BatchNormFold::folded_eval`] on the host: the row-major `[d_in, d_out]` weight and the
    /// bias that the integer engine and the export quantize.
    pub fn folded_eval_host(&self, linear: &QuantLinear<B>) -> (Vec<f32>, Vec<f32>) {
        let (w, b) = self.folded_eval(linear);
        (to_host(w), to_host(b))
    }

    /// `linear` followed by this batch norm, folded, then quantized (see the module
    /// documentation): batch statistics (and a running update) in training, running statistics
    /// in eval or when frozen.
    pub fn forward_folded(&self, linear: &QuantLinear<B>, x: Tensor<B, 2>, input_scale: f32) -> Tensor<B, 2> {
        let (w, b) = (linear.weight.val(), linear.bias.val());
        let (mean, var) = if self.uses_batch_statistics(&x.device()) {
            let n = x.dims()[0];
            let y = x.clone().matmul(w.clone()) + b.clone().unsqueeze_dim(0);
            let (mean, var) = Self::batch_statistics(y);
            self.update_running(mean.clone(), var.clone(), n);
            (mean, var)
        } else {
            self.running_statistics()
        };
        let (wf, bf) = self.fold(w, b, mean, var);
        linear.forward_with_params(x, wf, bf, input_scale)
    }

    /// The batch norm folded with its running statistics, not updating them.
    pub fn freeze(mut self) -> Self {
        self.frozen = true;
        self
    }

    /// The batch norm using (and updating) batch statistics in training again.
    pub fn unfreeze(mut self) -> Self {
        self.frozen = false;
        self
    }
}

/// Settings of a [`QuantBnLinear`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantBnLinearConfig {
    /// The linear part (widths, bits, granularity, scale mode, clipping; `enabled = false` is
    /// float mode).
    pub linear: QuantLinearConfig,
    /// Weight of the old running statistics in each update.
    pub momentum: f64,
    /// Added to the variance before the square root.
    pub epsilon: f64,
}

impl QuantBnLinearConfig {
    /// `d_input → d_output` with the defaults of [`QuantLinearConfig::new`], momentum 0.9,
    /// epsilon 1e-5.
    pub fn new(d_input: usize, d_output: usize) -> QuantBnLinearConfig {
        QuantBnLinearConfig { linear: QuantLinearConfig::new(d_input, d_output), momentum: 0.9, epsilon: 1e-5 }
    }

    /// The layer: the linear part initialised from `seed` (see [`QuantLinearConfig::init`]),
    /// the batch norm at `γ = 1`, `β = 0`, running mean 0, running variance 1.
    pub fn init<B: Backend>(&self, device: &B::Device, seed: u64) -> QuantBnLinear<B> {
        let bn =
            BatchNormFoldConfig { num_features: self.linear.d_output, momentum: self.momentum, epsilon: self.epsilon };
        QuantBnLinear { linear: self.linear.init(device, seed), bn: bn.init(device) }
    }
}

/// A quantization-aware fully connected layer with a batch norm folded into its weight and bias
/// before quantization (see the module documentation).
#[derive(Module, Debug)]
pub struct QuantBnLinear<B: Backend> {
    /// The linear part: the unfolded weight `[d_input, d_output]`, bias and quantizer settings.
    pub linear: QuantLinear<B>,
    /// The batch norm.
    pub bn: BatchNormFold<B>,
}

impl<B: Backend> QuantBnLinear<B> {
    /// `x → quantize(fold(linear, bn))`: batch statistics (and a running update) in training,
    /// running statistics in eval or when frozen; `input_scale` is the scale of `x` (for the bias
    /// quantizer).
    pub fn forward(&self, x: Tensor<B, 2>, input_scale: f32) -> Tensor<B, 2> {
        self.bn.forward_folded(&self.linear, x, input_scale)
    }

    /// The eval-mode folded weight (row-major `[d_input, d_output]`) and bias on the host.
    pub fn folded_host(&self) -> (Vec<f32>, Vec<f32>) {
        self.bn.folded_eval_host(&self.linear)
    }

    /// The integer weights and bias of the eval-mode folded layer for inputs at `input_scale`.
    pub fn quantized(&self, input_scale: f32) -> QuantizedLinear {
        let (w, b) = self.folded_host();
        self.linear.quantize_values(&w, &b, input_scale)
    }

    /// The weight scale of each output channel of the eval-mode folded weight.
    pub fn weight_scales(&self) -> Vec<f32> {
        let (w, _) = self.folded_host();
        self.linear.weight_quantizer().scales(&w, self.linear.config.d_input, self.linear.config.d_output)
    }

    /// The layer with its batch norm frozen (running statistics, no updates).
    pub fn freeze(mut self) -> Self {
        self.bn = self.bn.freeze();
        self
    }

    /// The layer with its batch norm tracking batch statistics in training again.
    pub fn unfreeze(mut self) -> Self {
        self.bn = self.bn.unfreeze();
        self
    }
}
