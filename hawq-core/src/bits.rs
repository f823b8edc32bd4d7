//! Bit widths and the quantization configuration of a model, with validation.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::quantizer::{Granularity, ScaleMode, check_bits};

/// The most weights one layer may have (2^28, a gigabyte of float32): a configuration beyond it
/// is an error rather than an allocation that aborts the process.
pub const MAX_LAYER_WEIGHTS: usize = 1 << 28;

/// The name of layer `l` (`layer{l}`): the one name a layer has in Hessian results and their
/// errors, the sensitivity table and the ILP, the exported QONNX graph (the layer's `MatMul` node, and the
/// prefix of its tensors and other nodes) and so in `hls-backend`, whose layers take their node's
/// name (per-layer HLS overrides use it too).
pub fn layer_name(l: usize) -> String {
    format!("layer{l}")
}

/// The bit widths of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BitConfig {
    /// Weight bits (signed, symmetric; 1 bit is bipolar).
    pub weight: u32,
    /// Bits of the activation quantizer after the layer (unsigned after ReLU; signed on the
    /// last layer, whose output has no ReLU).
    pub activation: u32,
    /// Bias bits (signed, at scale `s_w · s_in`).
    pub bias: u32,
}

impl BitConfig {
    /// `bits` for weights and activations, 32-bit bias.
    pub fn uniform(bits: u32) -> BitConfig {
        BitConfig { weight: bits, activation: bits, bias: 32 }
    }

    /// Checks every width (1..=32), naming layer `layer`.
    pub fn validate(&self, layer: usize) -> Result<()> {
        check_bits(&format!("layer {layer} weight"), self.weight)?;
        check_bits(&format!("layer {layer} activation"), self.activation)?;
        check_bits(&format!("layer {layer} bias"), self.bias)
    }
}

/// The nonlinearity after each hidden layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum HiddenActivation {
    /// ReLU (the quantized model and the integer engine assume it).
    #[default]
    Relu,
    /// tanh: smooth, for Hessian checks against finite differences; float mode only.
    Tanh,
}

/// What the model is meant to run on; [`QuantConfig::validate`] refuses settings the target
/// cannot take, at configuration time, with the fix in the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Target {
    /// The integer-only engine ([`IntegerMlp`](crate::IntegerMlp)) and QONNX: every setting.
    #[default]
    IntegerOnly,
    /// FPGA firmware through `hls-backend` (`ap_fixed` arithmetic): power-of-two scales (a dyadic
    /// requantization has no `ap_fixed` form), ReLU, and no 1-bit signed (bipolar) quantizer
    /// (weights, biases, the output or signed inputs).
    Fpga,
}

/// The quantization of a whole MLP: layer widths, per-layer bits, input quantizer, scale mode.
/// Serialized as the readable JSON saved beside a model's weights.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QuantConfig {
    /// Layer widths, inputs first: `[16, 64, 32, 32, 5]` is three hidden layers and 5 outputs.
    pub widths: Vec<usize>,
    /// One entry per layer (`widths.len() − 1`).
    pub layers: Vec<BitConfig>,
    /// Bits of the input quantizer (the reference jet study uses 16). Its scale is always a power
    /// of two, so that the float input maps to integers identically in every precision.
    pub input_bits: u32,
    /// Whether the inputs are signed.
    pub input_signed: bool,
    /// Power-of-two or dyadic scales.
    pub scale_mode: ScaleMode,
    /// Weight scales per tensor or per output channel.
    pub granularity: Granularity,
    /// Clip weights at this percentile of `|W|` (`None`: at the maximum).
    pub clip_percentile: Option<f32>,
    /// Momentum of the activation quantizers' running min/max (the weight of the old value).
    pub act_momentum: f32,
    /// `false`: the float baseline (every quantizer is the identity).
    pub quantize: bool,
    /// The hidden nonlinearity (ReLU unless set; tanh only in float mode).
    #[serde(default)]
    pub hidden_activation: HiddenActivation,
    /// Percentile clipping of the activation quantizers after each layer: `Some(p)` tracks the
    /// `(100 − p)`-th and `p`-th percentiles of each batch instead of its min and max (`None`, the
    /// default). The input quantizer always tracks min/max.
    #[serde(default)]
    pub act_percentile: Option<f32>,
    /// Batch norm after each layer's linear part, folded into its weight and bias
    /// ([`QuantBnLinear`](crate::layers::QuantBnLinear)): one flag per layer, or empty (the
    /// default) for none.
    #[serde(default)]
    pub batch_norm: Vec<bool>,
    /// Momentum of the batch-norm running mean and variance (the weight of the old value, as
    /// `act_momentum`; PyTorch's `momentum = 0.1` is 0.9 here).
    #[serde(default = "default_bn_momentum")]
    pub bn_momentum: f64,
    /// The batch-norm epsilon added to the variance.
    #[serde(default = "default_bn_epsilon")]
    pub bn_epsilon: f64,
    /// What the model is for ([`Target::IntegerOnly`] unless set).
    #[serde(default)]
    pub target: Target,
}

fn default_bn_momentum() -> f64 {
    0.9
}

fn default_bn_epsilon() -> f64 {
    1e-5
}

impl QuantConfig {
    /// `bits` everywhere (32-bit biases), 16-bit signed inputs, dyadic per-channel scales.
    pub fn uniform(widths: &[usize], bits: u32) -> QuantConfig {
        QuantConfig {
            widths: widths.to_vec(),
            layers: vec![BitConfig::uniform(bits); widths.len().saturating_sub(1)],
            input_bits: 16,
            input_signed: true,
            scale_mode: ScaleMode::Dyadic,
            granularity: Granularity::PerChannel,
            clip_percentile: None,
            act_momentum: 0.9,
            quantize: true,
            hidden_activation: HiddenActivation::Relu,
            act_percentile: None,
            batch_norm: Vec::new(),
            bn_momentum: default_bn_momentum(),
            bn_epsilon: default_bn_epsilon(),
            target: Target::IntegerOnly,
        }
    }

    /// A model meant for FPGA firmware: `bits` everywhere, 16-bit signed inputs, one
    /// power-of-two scale per tensor, [`Target::Fpga`].
    ///
    /// Per tensor because a tensor of firmware is one `ap_fixed` type: per-channel power-of-two
    /// scales put every channel on the finest channel's grid, so the weights need `b_w` plus the
    /// spread of the exponents bits, and the costs the ILP budgeted at `b_w` would be
    /// understated (`hls-backend` lowers such models, widening the type; hls4ml 1.3.0 cannot
    /// convert them at all: it fails to move a non-scalar scale past the `MatMul`). Set
    /// [`Granularity::PerChannel`] with [`QuantConfig::with_granularity`] to trade that for
    /// accuracy.
    pub fn fpga(widths: &[usize], bits: u32) -> QuantConfig {
        QuantConfig {
            target: Target::Fpga,
            ..QuantConfig::uniform(widths, bits)
                .with_scale_mode(ScaleMode::PowerOfTwo)
                .with_granularity(Granularity::PerTensor)
        }
    }

    /// Declares the target; [`QuantConfig::validate`] then checks the settings against it.
    pub fn with_target(mut self, target: Target) -> QuantConfig {
        self.target = target;
        self
    }

    /// The same model in float mode (the baseline).
    pub fn float(widths: &[usize]) -> QuantConfig {
        QuantConfig { quantize: false, ..QuantConfig::uniform(widths, 8) }
    }

    /// Sets the scale mode.
    pub fn with_scale_mode(mut self, mode: ScaleMode) -> QuantConfig {
        self.scale_mode = mode;
        self
    }

    /// Sets the weight granularity.
    pub fn with_granularity(mut self, g: Granularity) -> QuantConfig {
        self.granularity = g;
        self
    }

    /// Sets the hidden nonlinearity (tanh needs float mode).
    pub fn with_hidden_activation(mut self, activation: HiddenActivation) -> QuantConfig {
        self.hidden_activation = activation;
        self
    }

    /// Sets the input bits.
    pub fn with_input_bits(mut self, bits: u32) -> QuantConfig {
        self.input_bits = bits;
        self
    }

    /// Sets percentile clipping of the activation quantizers after each layer (see
    /// [`QuantConfig::act_percentile`]; for example 99.99).
    pub fn with_act_percentile(mut self, p: f32) -> QuantConfig {
        self.act_percentile = Some(p);
        self
    }

    /// Sets weight clipping at the `p`-th percentile of `|W|` (see
    /// [`QuantConfig::clip_percentile`]).
    pub fn with_clip_percentile(mut self, p: f32) -> QuantConfig {
        self.clip_percentile = Some(p);
        self
    }

    /// Sets which layers have a folded batch norm (one flag per layer).
    pub fn with_batch_norm(mut self, flags: &[bool]) -> QuantConfig {
        self.batch_norm = flags.to_vec();
        self
    }

    /// A folded batch norm on every hidden layer (not on the last one).
    pub fn with_batch_norm_hidden(self) -> QuantConfig {
        let n = self.num_layers();
        let flags: Vec<bool> = (0..n).map(|l| l + 1 < n).collect();
        self.with_batch_norm(&flags)
    }

    /// Sets the batch-norm momentum (weight of the old value) and epsilon.
    pub fn with_bn_settings(mut self, momentum: f64, epsilon: f64) -> QuantConfig {
        self.bn_momentum = momentum;
        self.bn_epsilon = epsilon;
        self
    }

    /// Whether layer `l` has a folded batch norm.
    pub fn has_batch_norm(&self, l: usize) -> bool {
        self.batch_norm.get(l).copied().unwrap_or(false)
    }

    /// Number of layers.
    pub fn num_layers(&self) -> usize {
        self.layers.len()
    }

    /// Checks the configuration: at least one layer, non-zero widths of at most
    /// [`MAX_LAYER_WEIGHTS`] weights per layer, one [`BitConfig`] per
    /// layer, bit widths in 1..=32, a momentum in [0, 1), a weight percentile in (0, 100], an
    /// activation percentile in [50, 100], batch-norm flags for no or every layer, a batch-norm
    /// momentum in [0, 1) and a positive epsilon, ReLU unless in float mode, and what the
    /// [`Target`] needs.
    pub fn validate(&self) -> Result<()> {
        let cfg = |message: String| Error::Config { what: "quantization config".into(), message };
        if self.widths.len() < 2 {
            return Err(cfg(format!("needs at least two widths (inputs and outputs), got {:?}", self.widths)));
        }
        if let Some(i) = self.widths.iter().position(|&w| w == 0) {
            return Err(cfg(format!("width {i} is zero in {:?}", self.widths)));
        }
        if let Some(l) = self.widths.windows(2).position(|w| w[0].saturating_mul(w[1]) > MAX_LAYER_WEIGHTS) {
            return Err(cfg(format!(
                "layer {l}: {}×{} weights are more than {MAX_LAYER_WEIGHTS} (2^28) per layer",
                self.widths[l],
                self.widths[l + 1]
            )));
        }
        if self.layers.len() != self.widths.len() - 1 {
            return Err(cfg(format!(
                "{} layer bit configurations for widths {:?} ({} layers)",
                self.layers.len(),
                self.widths,
                self.widths.len() - 1
            )));
        }
        check_bits("input", self.input_bits)?;
        for (l, b) in self.layers.iter().enumerate() {
            b.validate(l)?;
        }
        if !(0.0..1.0).contains(&self.act_momentum) {
            return Err(cfg(format!("activation momentum {} is not in [0, 1)", self.act_momentum)));
        }
        if let Some(p) = self.clip_percentile
            && !(p > 0.0 && p <= 100.0)
        {
            return Err(cfg(format!("clip percentile {p} is not in (0, 100]")));
        }
        if let Some(p) = self.act_percentile
            && !(50.0..=100.0).contains(&p)
        {
            return Err(cfg(format!("activation percentile {p} is not in [50, 100]")));
        }
        if !self.batch_norm.is_empty() && self.batch_norm.len() != self.layers.len() {
            return Err(cfg(format!(
                "{} batch-norm flags for {} layers (give one per layer, or none)",
                self.batch_norm.len(),
                self.layers.len()
            )));
        }
        if !(0.0..1.0).contains(&self.bn_momentum) {
            return Err(cfg(format!("batch-norm momentum {} is not in [0, 1)", self.bn_momentum)));
        }
        if !(self.bn_epsilon.is_finite() && self.bn_epsilon > 0.0) {
            return Err(cfg(format!("batch-norm epsilon {} is not positive", self.bn_epsilon)));
        }
        if self.quantize && self.hidden_activation != HiddenActivation::Relu {
            return Err(cfg(format!(
                "hidden activation {:?} needs float mode (the quantized model assumes ReLU)",
                self.hidden_activation
            )));
        }
        if self.target == Target::Fpga {
            self.validate_fpga()?;
        }
        Ok(())
    }

    /// The settings FPGA firmware cannot take, each with the change that fixes it.
    fn validate_fpga(&self) -> Result<()> {
        let fpga = |setting: &str, message: String| Error::InvalidSetting { setting: setting.into(), message };
        if !self.quantize {
            return Err(fpga("target", "Target::Fpga needs a quantized model (quantize = true)".into()));
        }
        if self.scale_mode != ScaleMode::PowerOfTwo {
            return Err(fpga(
                "scale mode",
                "Target::Fpga needs power-of-two scales (a dyadic requantization has no ap_fixed form): \
                 use .with_scale_mode(ScaleMode::PowerOfTwo) or QuantConfig::fpga"
                    .into(),
            ));
        }
        if self.input_signed && self.input_bits < 2 {
            return Err(fpga(
                "input bits",
                "Target::Fpga cannot take 1-bit signed (bipolar) inputs: use 2 bits or more".into(),
            ));
        }
        let last = self.layers.len() - 1;
        for (l, b) in self.layers.iter().enumerate() {
            let bipolar = [("weight", b.weight), ("bias", b.bias)]
                .into_iter()
                .chain((l == last).then_some(("output activation", b.activation)));
            for (what, bits) in bipolar {
                if bits < 2 {
                    return Err(fpga(
                        &format!("layer {l} {what} bits"),
                        format!("Target::Fpga cannot take 1-bit signed (bipolar) {what}s: use 2 bits or more"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Reads the JSON form.
    pub fn from_json(text: &str) -> Result<QuantConfig> {
        let c: QuantConfig = serde_json::from_str(text)
            .map_err(|e| Error::Config { what: "quantization config JSON".into(), message: e.to_string() })?;
        c.validate()?;
        Ok(c)
    }

    /// The JSON form (pretty-printed).
    pub fn to_json(&self) -> Result<String> {
        serde_json::to_string_pretty(self)
            .map_err(|e| Error::Config { what: "quantization config JSON".into(), message: e.to_string() })
    }
}
