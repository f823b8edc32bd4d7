//! `QuantMlp`: a quantization-aware MLP of any widths, with an input quantizer, per-layer
//! [`BitConfig`]s and a float mode; its conversion to the integer engine; and
//! its eval-mode forward, which computes exactly what the integer engine computes.

use burn::prelude::*;

use crate::bits::{BitConfig, HiddenActivation, QuantConfig};
use crate::error::{Error, Result, check_finite};
use crate::integer::{IntegerLayer, IntegerMlp};
use crate::layers::{
    BatchNormFold, BatchNormFoldConfig, QuantAct, QuantActConfig, QuantLinear, QuantLinearConfig, from_host_f64,
};
use crate::quantizer::{IntRange, Requant, ScaleMode};

/// A warning found while quantizing a model (never printed; returned to the caller).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuantWarning {
    /// Bias values that did not fit the bias bit width and were clamped.
    BiasClipped {
        /// Layer index.
        layer: usize,
        /// Output channels that clipped.
        channels: Vec<usize>,
    },
}

impl QuantConfig {
    /// The model for this configuration, initialised from `seed`.
    pub fn init<B: Backend>(&self, device: &B::Device, seed: u64) -> Result<QuantMlp<B>> {
        QuantMlp::new(self, device, seed)
    }
}

/// A quantization-aware MLP: input quantizer, then per layer `QuantLinear → ReLU → QuantAct`
/// (unsigned), and on the last layer `QuantLinear → QuantAct` (signed). A layer with a batch
/// norm (`QuantConfig::batch_norm`) folds it into the linear part before quantization, as
/// [`QuantBnLinear`](crate::layers::QuantBnLinear) does: `layers[l]` then holds the unfolded
/// weight and bias and `batch_norms[l]` the batch norm.
#[derive(Module, Debug)]
pub struct QuantMlp<B: Backend> {
    /// The input quantizer (power-of-two scale).
    pub input_act: QuantAct<B>,
    /// The fully connected layers.
    pub layers: Vec<QuantLinear<B>>,
    /// The activation quantizer after each layer.
    pub acts: Vec<QuantAct<B>>,
    /// The batch norm folded into each layer, if any (one entry per layer).
    pub batch_norms: Vec<Option<BatchNormFold<B>>>,
    /// The configuration it was built from.
    #[module(skip)]
    pub config: QuantConfig,
}

/// What [`QuantMlp::forward_hooked`] calls on each layer: `(layer, input, pre-activation)` to the
/// pre-activation that goes on.
pub(crate) type LayerHook<'a, B> = dyn FnMut(usize, &Tensor<B, 2>, Tensor<B, 2>) -> Tensor<B, 2> + 'a;

/// The eval-mode forward pass in integer form.
#[derive(Debug, Clone)]
pub struct IntegerForward<B: Backend> {
    /// Integer-valued activations: the quantized input, then each layer's output.
    pub activations: Vec<Tensor<B, 2>>,
    /// The dequantized outputs (`q · s_out`).
    pub logits: Tensor<B, 2>,
}

impl<B: Backend> QuantMlp<B> {
    /// Builds the model after validating `config`.
    pub fn new(config: &QuantConfig, device: &B::Device, seed: u64) -> Result<QuantMlp<B>> {
        config.validate()?;
        let n = config.num_layers();
        let mut input = QuantActConfig::new(config.input_bits, config.input_signed, ScaleMode::PowerOfTwo);
        input.momentum = config.act_momentum;
        input.enabled = config.quantize;
        let mut layers = Vec::with_capacity(n);
        let mut acts = Vec::with_capacity(n);
        let mut batch_norms = Vec::with_capacity(n);
        for (l, bits) in config.layers.iter().enumerate() {
            let lc = QuantLinearConfig {
                d_input: config.widths[l],
                d_output: config.widths[l + 1],
                weight_bits: bits.weight,
                bias_bits: bits.bias,
                granularity: config.granularity,
                mode: config.scale_mode,
                clip_percentile: config.clip_percentile,
                enabled: config.quantize,
            };
            let layer_seed = seed.wrapping_mul(0x9E37_79B9).wrapping_add(l as u64 + 1);
            layers.push(lc.init(device, layer_seed));
            let mut ac = QuantActConfig::new(bits.activation, l + 1 == n, config.scale_mode);
            ac.momentum = config.act_momentum;
            ac.enabled = config.quantize;
            ac.percentile = config.act_percentile;
            acts.push(ac.init(device));
            batch_norms.push(config.has_batch_norm(l).then(|| {
                BatchNormFoldConfig {
                    num_features: config.widths[l + 1],
                    momentum: config.bn_momentum,
                    epsilon: config.bn_epsilon,
                }
                .init(device)
            }));
        }
        Ok(QuantMlp { input_act: input.init(device), layers, acts, batch_norms, config: config.clone() })
    }

    /// The same model with other bit widths (one [`BitConfig`] per layer, e.g. chosen by the ILP
    /// and applied with `SensitivityTable::apply`): weights, biases, batch norms and the
    /// activation quantizers' running ranges are kept, so fine-tuning starts from the trained
    /// model (warm start). The model's configuration and each layer's and quantizer's own copy
    /// of its widths change together. An error when `bits` does not fit the configuration.
    pub fn with_bits(mut self, bits: &[BitConfig]) -> Result<QuantMlp<B>> {
        let config = QuantConfig { layers: bits.to_vec(), ..self.config.clone() };
        config.validate()?;
        for (l, b) in bits.iter().enumerate() {
            self.layers[l].config.weight_bits = b.weight;
            self.layers[l].config.bias_bits = b.bias;
            self.acts[l].config.bits = b.activation;
        }
        self.config = config;
        Ok(self)
    }

    /// The batch norm folded into layer `l`, if any.
    pub fn batch_norm(&self, l: usize) -> Option<&BatchNormFold<B>> {
        self.batch_norms.get(l).and_then(Option::as_ref)
    }

    /// The float weight (row-major `[d_in, d_out]`) and bias that layer `l` quantizes in eval
    /// mode: its own, or with a batch norm the folded ones (running statistics).
    pub fn effective_weights_host(&self, l: usize) -> (Vec<f32>, Vec<f32>) {
        let layer = &self.layers[l];
        match self.batch_norm(l) {
            Some(bn) => bn.folded_eval_host(layer),
            None => (layer.weight_host(), layer.bias_host()),
        }
    }

    /// The weight scale of each output channel of layer `l` in eval mode (of the folded weight
    /// when the layer has a batch norm).
    pub fn effective_weight_scales(&self, l: usize) -> Vec<f32> {
        let layer = &self.layers[l];
        let (w, _) = self.effective_weights_host(l);
        layer.weight_quantizer().scales(&w, layer.config.d_input, layer.config.d_output)
    }

    /// The fake-quantized forward pass with straight-through gradients (the QAT graph). On a
    /// backend with autodiff, unfrozen activation quantizers update their running ranges;
    /// `observe` forces that on any backend (calibration).
    pub fn forward_fake_quant(&self, x: Tensor<B, 2>, observe: bool) -> Tensor<B, 2> {
        self.forward_hooked(x, observe, &mut |_, _, y| y)
    }

    /// [`QuantMlp::forward_fake_quant`] with each layer's pre-activation `y` (the output of its
    /// linear part, batch norm folded, before the hidden activation and the quantizer) replaced
    /// by `hook(l, input, y)`, where `input` is the layer's input. The Hessian engine adds a zero
    /// probe there: the gradient with respect to the probe is the layer's backpropagated error.
    pub(crate) fn forward_hooked(&self, x: Tensor<B, 2>, observe: bool, hook: &mut LayerHook<'_, B>) -> Tensor<B, 2> {
        let (mut h, mut s) = self.input_act.forward_with(x, observe);
        let n = self.layers.len();
        for (l, (layer, act)) in self.layers.iter().zip(&self.acts).enumerate() {
            let input = h.clone();
            let y = match self.batch_norm(l) {
                Some(bn) => bn.forward_folded(layer, h, s),
                None => layer.forward(h, s),
            };
            let mut y = hook(l, &input, y);
            if l + 1 < n {
                y = match self.config.hidden_activation {
                    HiddenActivation::Relu => relu_by_mask(y),
                    HiddenActivation::Tanh => y.tanh(),
                };
            }
            (h, s) = act.forward_with(y, observe);
        }
        h
    }

    /// The forward pass. With autodiff (training), or in float mode, the fake-quantized graph;
    /// without autodiff (eval, e.g. after `valid()`), the integer-faithful path of
    /// [`QuantMlp::forward_integer`] (falling back to the fake-quantized graph only if the
    /// model cannot be converted, which [`QuantMlp::to_integer`] reports as an error).
    pub fn forward(&self, x: Tensor<B, 2>) -> Tensor<B, 2> {
        if self.config.quantize
            && !B::ad_enabled(&x.device())
            && let Ok(f) = self.forward_integer(x.clone())
        {
            return f.logits;
        }
        self.forward_fake_quant(x, false)
    }

    /// Runs `x` through the fake-quantized graph updating every activation range (no
    /// gradients needed): post-training calibration.
    pub fn calibrate(&self, x: Tensor<B, 2>) {
        let _ = self.forward_fake_quant(x.detach(), true);
    }

    /// The model with every activation quantizer and batch norm frozen (batch norms fold with
    /// their running statistics, even in training).
    pub fn freeze(mut self) -> Self {
        self.input_act = self.input_act.freeze();
        self.acts = self.acts.into_iter().map(QuantAct::freeze).collect();
        self.batch_norms = self.batch_norms.into_iter().map(|b| b.map(BatchNormFold::freeze)).collect();
        self
    }

    /// The model with every activation quantizer and batch norm tracking again.
    pub fn unfreeze(mut self) -> Self {
        self.input_act = self.input_act.unfreeze();
        self.acts = self.acts.into_iter().map(QuantAct::unfreeze).collect();
        self.batch_norms = self.batch_norms.into_iter().map(|b| b.map(BatchNormFold::unfreeze)).collect();
        self
    }

    /// A copy that shares no running state with `self`. burn's `clone` shares the running
    /// statistics (activation ranges, batch-norm mean and variance) between the copies, so a
    /// clone kept as a snapshot would follow later training; this one does not.
    pub fn snapshot(&self) -> Self {
        use burn::module::Module as _;
        let fresh = |s: &burn::module::RunningState<Tensor<B, 1>>| {
            burn::module::RunningState::from_record(s.clone().into_record())
        };
        let mut copy = self.clone();
        copy.input_act.stats = fresh(&self.input_act.stats);
        for (a, orig) in copy.acts.iter_mut().zip(&self.acts) {
            a.stats = fresh(&orig.stats);
        }
        for (b, orig) in copy.batch_norms.iter_mut().zip(&self.batch_norms) {
            if let (Some(b), Some(orig)) = (b.as_mut(), orig.as_ref()) {
                b.running_mean = fresh(&orig.running_mean);
                b.running_var = fresh(&orig.running_var);
            }
        }
        copy
    }

    /// The integer model with the current weights and ranges (batch norms folded with their
    /// running statistics), and the warnings found (bias clipping). Fails on float mode,
    /// non-finite parameters or unrepresentable multipliers.
    pub fn to_integer_with_warnings(&self) -> Result<(IntegerMlp, Vec<QuantWarning>)> {
        if !self.config.quantize {
            return Err(Error::Config {
                what: "model".into(),
                message: "a float-mode model has no integer form".into(),
            });
        }
        let mut warnings = Vec::new();
        let mut s_in = self.input_act.scale();
        let n = self.layers.len();
        let mut layers = Vec::with_capacity(n);
        for (l, (layer, act)) in self.layers.iter().zip(&self.acts).enumerate() {
            check_finite(&format!("layer {l} weight"), &layer.weight_host())?;
            check_finite(&format!("layer {l} bias"), &layer.bias_host())?;
            let (w, b) = self.effective_weights_host(l);
            if self.batch_norm(l).is_some() {
                check_finite(&format!("layer {l} batch-norm-folded weight"), &w)?;
                check_finite(&format!("layer {l} batch-norm-folded bias"), &b)?;
            }
            let q = layer.quantize_values(&w, &b, s_in);
            if !q.bias.clipped.is_empty() {
                warnings.push(QuantWarning::BiasClipped { layer: l, channels: q.bias.clipped.clone() });
            }
            let s_out = act.scale();
            let requant = q
                .weight_scales
                .iter()
                .map(|&sw| {
                    Requant::from_scales(f64::from(sw) * f64::from(s_in), f64::from(s_out), self.config.scale_mode, l)
                })
                .collect::<Result<Vec<_>>>()?;
            layers.push(IntegerLayer {
                d_in: layer.config.d_input,
                d_out: layer.config.d_output,
                weight: q.weight,
                bias: q.bias.values,
                requant,
                output: act.range(),
                relu: l + 1 < n,
                weight_bits: layer.config.weight_bits,
                bias_bits: layer.config.bias_bits,
                weight_scales: q.weight_scales,
                bias_scales: q.bias.scales,
                input_scale: s_in,
                output_scale: s_out,
            });
            s_in = s_out;
        }
        let model = IntegerMlp::new(self.input_act.scale(), self.input_act.range(), layers, self.config.scale_mode)?;
        Ok((model, warnings))
    }

    /// The integer model (see [`QuantMlp::to_integer_with_warnings`]).
    pub fn to_integer(&self) -> Result<IntegerMlp> {
        Ok(self.to_integer_with_warnings()?.0)
    }

    /// The eval-mode forward pass computed on this backend in integer form, exactly as HAWQ-V3's
    /// reference does it: `q = round(clamp(x / s_in))`, then per layer `acc = q · W_int + b_int`
    /// and `q' = clamp(round(acc · m))` with the layer's multiplier `m` (`2^−k` or `b/2^c`).
    /// The values are integers held in floats; they equal the integer engine's exactly when
    /// every product `acc · m` is exact in the backend's float type: in float64 whenever
    /// `|acc| · b < 2^53`, in float32 in power-of-two mode whenever `|acc| < 2^24`.
    pub fn forward_integer(&self, x: Tensor<B, 2>) -> Result<IntegerForward<B>> {
        let int = self.to_integer()?;
        let [_, d] = x.dims();
        if d != int.d_in() {
            return Err(Error::Shape {
                what: "integer forward input".into(),
                message: format!("{d} features for a model with {} inputs", int.d_in()),
            });
        }
        let device = x.device();
        let native = <B::FloatElem as burn::tensor::Element>::dtype();
        if x.dtype() != native {
            // burn 0.21 keys the default float type by device type: NdArray<f32> and
            // NdArray<f64> share one, and whichever a process uses first wins.
            return Err(Error::Config {
                what: "backend".into(),
                message: format!(
                    "tensors are {:?} but the backend's float type is {native:?} (burn's per-device default \
                     float type was fixed by another backend on the same device); the integer-faithful \
                     forward would not be exact",
                    x.dtype()
                ),
            });
        }
        let x = x.detach();
        let q = quantize_tensor(x / f64::from(int.input_scale), int.input_range);
        let mut activations = vec![q];
        for layer in &int.layers {
            let Some(h) = activations.last().cloned() else { break };
            let w: Vec<f64> = layer.weight.iter().map(|&v| v as f64).collect();
            let b: Vec<f64> = layer.bias.iter().map(|&v| v as f64).collect();
            let w = from_host_f64::<B, 2>(w, [layer.d_in, layer.d_out], &device);
            let b = from_host_f64::<B, 1>(b, [layer.d_out], &device).unsqueeze_dim(0);
            // m = b/2^c has at most 25 significant bits: exact in float32 and float64.
            let m: Vec<f64> = layer.requant.iter().map(Requant::as_f64).collect();
            let m = from_host_f64::<B, 2>(m, [1, layer.d_out], &device);
            let acc = h.matmul(w) + b;
            activations.push(requant_tensor(acc * m, layer.output));
        }
        let last = activations.last().cloned().unwrap_or_else(|| Tensor::zeros([1, 1], &device));
        let logits = last * f64::from(int.output_scale());
        Ok(IntegerForward { activations, logits })
    }
}

/// ReLU as `y · [y > 0]` with the mask a constant: the same values (but `−inf` gives NaN instead of
/// 0, which only an overflow produces) and the same derivatives as burn's `relu` (1 above 0, 0
/// at and below it, second derivative 0), as one multiplication by a constant in every
/// backward pass. On the ndarray backend it makes a training gradient about 20 % faster than
/// `relu` and `relu_backward` (a comparison and a masked fill each time), and a nested-autodiff
/// Hessian-vector product as much (measured in `benches/benches/hessian.rs`).
fn relu_by_mask<B: Backend>(y: Tensor<B, 2>) -> Tensor<B, 2> {
    let mask = y.clone().greater_elem(0.0).float();
    y * mask
}

/// `round(clamp(v))` of a scaled tensor, QONNX order (bipolar: `v ≥ 0 → +1`).
fn quantize_tensor<B: Backend>(v: Tensor<B, 2>, range: IntRange) -> Tensor<B, 2> {
    if range.is_bipolar() {
        return v.greater_equal_elem(0.0).float() * 2.0 - 1.0;
    }
    v.clamp(range.min() as f64, range.max() as f64).round()
}

/// `clamp(round(v))`: the integer engine's order after requantization.
fn requant_tensor<B: Backend>(v: Tensor<B, 2>, range: IntRange) -> Tensor<B, 2> {
    if range.is_bipolar() {
        return v.greater_equal_elem(0.0).float() * 2.0 - 1.0;
    }
    v.round().clamp(range.min() as f64, range.max() as f64)
}
