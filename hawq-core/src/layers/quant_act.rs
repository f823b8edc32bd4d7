//! `QuantAct`: an activation quantizer whose range is a running min/max (momentum), or optionally
//! a running pair of percentiles, frozen by [`QuantAct::freeze`] and never updated in eval (on a
//! backend without autodiff).

use burn::module::RunningState;
use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::{fake_quant, from_host, to_host};
use crate::quantizer::{IntRange, ScaleMode, percentile_range, scale_for};

/// Settings of a [`QuantAct`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct QuantActConfig {
    /// Bit width.
    pub bits: u32,
    /// Signed range (`false` after a ReLU: no wasted sign bit).
    pub signed: bool,
    /// Scale representation.
    pub mode: ScaleMode,
    /// Weight of the old running value in each update (0: last batch only).
    pub momentum: f32,
    /// `false`: the quantizer is the identity (float mode).
    pub enabled: bool,
    /// Percentile clipping: `Some(p)` (`50 ≤ p ≤ 100`, for example 99.99) makes each update
    /// track the `(100 − p)`-th and `p`-th percentiles of the batch (see
    /// [`percentile_range`](crate::quantizer::percentile_range)) instead of its min and max, so
    /// that rare outliers do not stretch the range. `None` (the default): min/max.
    #[serde(default)]
    pub percentile: Option<f32>,
}

impl QuantActConfig {
    /// A quantizer of `bits` bits.
    pub fn new(bits: u32, signed: bool, mode: ScaleMode) -> QuantActConfig {
        QuantActConfig { bits, signed, mode, momentum: 0.9, enabled: true, percentile: None }
    }

    /// The same quantizer with percentile clipping at `p` (see [`QuantActConfig::percentile`]).
    pub fn with_percentile(mut self, p: f32) -> QuantActConfig {
        self.percentile = Some(p);
        self
    }

    /// The module, uncalibrated (scale 1 until it has seen data).
    pub fn init<B: Backend>(&self, device: &B::Device) -> QuantAct<B> {
        QuantAct { stats: RunningState::new(Tensor::zeros([3], device)), config: *self, frozen: false }
    }
}

/// An activation quantizer. Its state is `[running min, running max, updates seen]`.
#[derive(Module, Debug)]
pub struct QuantAct<B: Backend> {
    /// `[min, max, count]` of the values seen.
    pub stats: RunningState<Tensor<B, 1>>,
    /// Settings.
    #[module(skip)]
    pub config: QuantActConfig,
    /// Frozen quantizers keep their range.
    #[module(skip)]
    pub frozen: bool,
}

impl<B: Backend> QuantAct<B> {
    /// The integer range.
    pub fn range(&self) -> IntRange {
        IntRange::new(self.config.bits, self.config.signed, false)
    }

    /// `[min, max, count]` on the host.
    pub fn stats_host(&self) -> [f32; 3] {
        let v = to_host(self.stats.value_sync());
        [v[0], v[1], v[2]]
    }

    /// The running `(min, max)`.
    pub fn running_range(&self) -> (f32, f32) {
        let [lo, hi, _] = self.stats_host();
        (lo, hi)
    }

    /// The current scale: the reach of the running range over the range's largest integer,
    /// then the scale mode (1 before any data was seen).
    pub fn scale(&self) -> f32 {
        let [lo, hi, _] = self.stats_host();
        let reach = if self.config.signed { lo.abs().max(hi.abs()) } else { hi.max(0.0) };
        scale_for(reach, self.range(), self.config.mode)
    }

    /// Sets the running range directly (for example from a calibration pass of one's own).
    pub fn set_range(&self, min: f32, max: f32) {
        let device = self.stats.value_sync().device();
        self.stats.update(from_host(vec![min, max, 1.0], [3], &device));
    }

    /// The range that one batch `x` contributes: its min and max, or with percentile clipping its
    /// `(100 − p)`-th and `p`-th percentiles.
    pub fn batch_range<const D: usize>(&self, x: &Tensor<B, D>) -> (f32, f32) {
        let x = x.clone().detach();
        match self.config.percentile {
            Some(p) if p < 100.0 => percentile_range(&to_host(x), p),
            _ => (to_host(x.clone().min())[0], to_host(x.max())[0]),
        }
    }

    /// Updates the running range with the values of `x` (ignores `frozen`): the first batch
    /// sets it, later ones move it by `old · momentum + new · (1 − momentum)`.
    pub fn observe<const D: usize>(&self, x: &Tensor<B, D>) {
        let (lo, hi) = self.batch_range(x);
        let [old_lo, old_hi, n] = self.stats_host();
        let m = self.config.momentum;
        let (lo, hi) = if n == 0.0 { (lo, hi) } else { (m * old_lo + (1.0 - m) * lo, m * old_hi + (1.0 - m) * hi) };
        let device = self.stats.value_sync().device();
        self.stats.update(from_host(vec![lo, hi, n + 1.0], [3], &device));
    }

    /// Fake-quantizes `x` with a straight-through gradient and returns it with the scale used.
    /// In training (a backend with autodiff) and unless frozen, the running range is updated
    /// first; `observe` forces that update on any backend (calibration).
    pub fn forward_with<const D: usize>(&self, x: Tensor<B, D>, observe: bool) -> (Tensor<B, D>, f32) {
        if !self.config.enabled {
            return (x, 1.0);
        }
        if observe || (!self.frozen && B::ad_enabled(&x.device())) {
            self.observe(&x);
        }
        let s = self.scale();
        let scale = from_host::<B, 1>(vec![s], [1], &x.device()).reshape([1; D]);
        (fake_quant(x, scale, self.range()), s)
    }

    /// [`QuantAct::forward_with`] without forced observation.
    pub fn forward<const D: usize>(&self, x: Tensor<B, D>) -> (Tensor<B, D>, f32) {
        self.forward_with(x, false)
    }

    /// The quantizer with its range frozen.
    pub fn freeze(mut self) -> Self {
        self.frozen = true;
        self
    }

    /// The quantizer with its range tracking again.
    pub fn unfreeze(mut self) -> Self {
        self.frozen = false;
        self
    }
}
