//! The sensitivity table `Ω_l(b) = Tr̄(H_l) · ‖Q_b(W_l) − W_l‖²` and its `hawq-ilp` form.

use std::collections::BTreeMap;

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use super::TraceResult;
use crate::error::{Error, Result};
use crate::mlp::QuantMlp;
use crate::quantizer::{IntRange, check_bits, pow2_exponent, scale_for};
use qonnx_ir::cost::LayerCost;
use qonnx_ir::cost::firmware::{Timing, dense_latency_cycles};

/// Settings of [`sensitivity_table`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityOptions {
    /// Candidate `(weight bits, activation bits)` of every layer.
    pub candidates: Vec<(u32, u32)>,
    /// Weight of the optional activation-perturbation term (0: none). See
    /// [`CandidateSensitivity::activation_term`].
    pub activation_weight: f64,
    /// The clock and reuse factor the `latency` cost is computed for.
    #[serde(default)]
    pub timing: Timing,
}

impl SensitivityOptions {
    /// Every pair of the given weight and activation widths, no activation term.
    pub fn grid(weight_bits: &[u32], activation_bits: &[u32]) -> SensitivityOptions {
        let candidates = weight_bits.iter().flat_map(|&w| activation_bits.iter().map(move |&a| (w, a))).collect();
        SensitivityOptions { candidates, activation_weight: 0.0, timing: Timing::default() }
    }
}

/// One candidate of one layer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CandidateSensitivity {
    /// `w{weight bits}a{activation bits}`.
    pub label: String,
    /// Weight bits.
    pub weight_bits: u32,
    /// Bits of the layer's input: the activation quantizer in front of it (the previous layer's),
    /// or for layer 0 the model's input quantizer, whose width the table does not change.
    pub activation_bits: u32,
    /// `‖Q_b(W) − W‖²` with the layer's real weight quantizer (its granularity, scale mode and
    /// clipping, at `weight_bits`), in float64 over the float32 values.
    pub weight_error: f64,
    /// The activation term: `activation_weight · Tr̄(H_l) · d_in · Δ²/12`, the expected squared
    /// quantization error of the layer's input vector (uniform noise of step `Δ`, the scale of
    /// the quantizer in front of the layer at `activation_bits` from its running range) weighted
    /// by the weight block's average curvature. A heuristic; 0 unless asked for, and 0 for
    /// layer 0, whose input width is fixed.
    pub activation_term: f64,
    /// `Tr̄(H_l) · weight_error + activation_term`.
    pub omega: f64,
    /// `size`: weight bits of the layer (`d_in · d_out · b_w`); `bops`:
    /// `d_out · d_in · ((1 − f_p) · b_a · b_w + b_a + b_w + log2 d_in)` with `f_p` the fraction
    /// of weights that quantize to zero at `b_w` and `b_a` the input's bits. Both come from
    /// `qonnx_ir::cost::LayerCost`, so for the chosen configuration they equal `qonnx cost` on
    /// the exported model. `latency`: the layer's clock cycles in firmware from
    /// `qonnx_ir::cost::firmware::dense_latency_cycles` (the model `hls-backend`'s estimate
    /// uses), with the firmware weight width: `b_w` plus, for per-channel power-of-two scales,
    /// the spread of the channels' exponents.
    pub costs: BTreeMap<String, f64>,
}

/// One layer's row of the table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerSensitivity {
    /// Layer index.
    pub layer: usize,
    /// Layer name (`layer{index}`), the ILP's layer name.
    pub name: String,
    /// Parameters of the Hessian block.
    pub params: usize,
    /// Estimated `Tr(H_l)` and its standard error.
    pub trace: f64,
    /// Standard error of `trace`.
    pub trace_std_err: f64,
    /// `Tr̄(H_l) = trace / params`.
    pub average_trace: f64,
    /// One entry per candidate.
    pub candidates: Vec<CandidateSensitivity>,
}

/// Per layer and candidate sensitivities; serializable, and convertible into the problem table
/// that `hawq-ilp` reads (`SensitivityTable::to_problem` and `to_ilp_json_string`, feature
/// `ilp`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SensitivityTable {
    /// The layers, in network order.
    pub layers: Vec<LayerSensitivity>,
}

/// Builds the table for `model` from per-layer traces (`traces` must cover the layers wanted;
/// with biases in the blocks, `Tr̄` divides by weights plus biases and the error counts weights
/// only). Errors: no candidates or an invalid bit width ([`Error::InvalidSetting`],
/// [`Error::InvalidBits`]), a trace of a layer the model lacks, a non-finite trace.
pub fn sensitivity_table<B: Backend>(
    model: &QuantMlp<B>,
    traces: &TraceResult,
    options: &SensitivityOptions,
) -> Result<SensitivityTable> {
    if options.candidates.is_empty() {
        return Err(Error::InvalidSetting {
            setting: "sensitivity candidates".into(),
            message: "no candidate bit widths".into(),
        });
    }
    for &(w, a) in &options.candidates {
        check_bits("candidate weight", w)?;
        check_bits("candidate activation", a)?;
    }
    let mut rows = Vec::with_capacity(traces.layers.len());
    for t in &traces.layers {
        let Some(layer) = model.layers.get(t.layer) else {
            return Err(Error::NoParameters {
                layer: t.name.clone(),
                reason: format!("the model has {} layers", model.layers.len()),
            });
        };
        if !t.mean.is_finite() {
            return Err(Error::NonFinite { what: format!("{} trace", t.name), index: 0, value: t.mean });
        }
        let avg = t.average();
        let (d_in, d_out) = (layer.config.d_input, layer.config.d_output);
        let w = layer.weight_host();
        crate::error::check_finite(&format!("{} weight", t.name), &w)?;
        // The quantizer in front of the layer: the input quantizer for layer 0 (its width is
        // fixed by the model), else the previous layer's activation quantizer.
        let input_act = if t.layer == 0 { &model.input_act } else { &model.acts[t.layer - 1] };
        let (lo, hi) = input_act.running_range();
        let mut candidates: Vec<CandidateSensitivity> = Vec::with_capacity(options.candidates.len());
        for &(bw, ba) in &options.candidates {
            let ba = if t.layer == 0 { model.config.input_bits } else { ba };
            let label = format!("w{bw}a{ba}");
            if candidates.iter().any(|c| c.label == label) {
                continue;
            }
            let mut q = layer.weight_quantizer();
            q.bits = bw;
            let scales = q.scales(&w, d_in, d_out);
            let ints = q.quantize(&w, d_out, &scales);
            let weight_error: f64 = w
                .iter()
                .zip(&ints)
                .enumerate()
                .map(|(k, (&x, &i))| {
                    let deq = i as f32 * scales[k % d_out];
                    (f64::from(deq) - f64::from(x)).powi(2)
                })
                .sum();
            let activation_term = if options.activation_weight != 0.0 && t.layer > 0 {
                let range = IntRange::new(ba, input_act.config.signed, false);
                let reach = if input_act.config.signed { lo.abs().max(hi.abs()) } else { hi.max(0.0) };
                let step = f64::from(scale_for(reach, range, input_act.config.mode));
                options.activation_weight * avg * d_in as f64 * step * step / 12.0
            } else {
                0.0
            };
            let zeros = ints.iter().filter(|&&i| i == 0).count();
            let cost = LayerCost::dense(d_in, d_out, bw, ba, zeros);
            let latency = dense_latency_cycles(d_in, ba, bw + exponent_spread(&scales), &options.timing);
            candidates.push(CandidateSensitivity {
                label,
                weight_bits: bw,
                activation_bits: ba,
                weight_error,
                activation_term,
                omega: avg * weight_error + activation_term,
                costs: BTreeMap::from([
                    ("size".to_string(), cost.weight_storage_bits as f64),
                    ("bops".to_string(), cost.bops),
                    ("latency".to_string(), latency as f64),
                ]),
            });
        }
        rows.push(LayerSensitivity {
            layer: t.layer,
            name: t.name.clone(),
            params: t.params,
            trace: t.mean,
            trace_std_err: t.std_err,
            average_trace: avg,
            candidates,
        });
    }
    Ok(SensitivityTable { layers: rows })
}

/// The spread `max e − min e` of power-of-two scales `2^e` (0 when any scale is not a power of
/// two): the extra bits a firmware type needs to hold every channel's integers on the finest
/// channel's grid.
fn exponent_spread(scales: &[f32]) -> u32 {
    let exps: Option<Vec<i32>> = scales.iter().map(|&s| pow2_exponent(s)).collect();
    match exps {
        Some(e) if !e.is_empty() => (e.iter().max().unwrap_or(&0) - e.iter().min().unwrap_or(&0)) as u32,
        _ => 0,
    }
}
