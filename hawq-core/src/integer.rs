//! The integer-only engine (HAWQ-V3): integer weights and biases, integer accumulation,
//! requantization by multiply-and-shift `b/2^c` (or a pure shift in power-of-two mode) and a
//! clamp. No floating point is used between [`IntegerMlp::quantize_input`] and the integer
//! outputs; scales are kept only to convert at the boundaries and for export.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod avx_vnni;
mod blocks;
#[cfg(target_arch = "aarch64")]
mod neon_dot;
mod packed;
mod portable;
mod prepared;

pub use prepared::PreparedMlp;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, check_finite};
use crate::quantizer::{IntRange, Requant, ScaleMode, quantize};

/// One layer of an [`IntegerMlp`]: `q_out = clamp(requant(q_in · W + b))`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegerLayer {
    /// Inputs.
    pub d_in: usize,
    /// Outputs.
    pub d_out: usize,
    /// Integer weights, row-major `[d_in, d_out]`.
    pub weight: Vec<i64>,
    /// Integer bias (at the accumulator scale).
    pub bias: Vec<i64>,
    /// Requantization of each output channel.
    pub requant: Vec<Requant>,
    /// The output range (unsigned after ReLU: the clamp at 0 is the ReLU).
    pub output: IntRange,
    /// Whether a ReLU follows the layer.
    pub relu: bool,
    /// Weight bits.
    pub weight_bits: u32,
    /// Bias bits.
    pub bias_bits: u32,
    /// Weight scale of each output channel.
    pub weight_scales: Vec<f32>,
    /// Bias (accumulator) scale of each output channel, `s_w · s_in` in float32.
    pub bias_scales: Vec<f32>,
    /// Input scale.
    pub input_scale: f32,
    /// Output scale.
    pub output_scale: f32,
}

impl IntegerLayer {
    /// The largest `|accumulator|` any input in range can produce, per output channel.
    pub fn accumulator_bounds(&self, input: IntRange) -> Vec<i128> {
        let reach = i128::from(input.min().unsigned_abs().max(input.max().unsigned_abs()) as i64);
        (0..self.d_out)
            .map(|j| {
                let s: i128 = (0..self.d_in).map(|i| i128::from(self.weight[i * self.d_out + j].abs())).sum();
                s * reach + i128::from(self.bias[j].abs())
            })
            .collect()
    }
}

/// An MLP in integer arithmetic only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntegerMlp {
    /// Scale of the input quantizer (a power of two).
    pub input_scale: f32,
    /// Range of the input quantizer.
    pub input_range: IntRange,
    /// The layers.
    pub layers: Vec<IntegerLayer>,
    /// The scale mode the model was built with.
    pub scale_mode: ScaleMode,
}

impl IntegerMlp {
    /// Checks and assembles a model: at least one layer, widths that chain, vectors of the
    /// stated sizes.
    pub fn new(
        input_scale: f32,
        input_range: IntRange,
        layers: Vec<IntegerLayer>,
        scale_mode: ScaleMode,
    ) -> Result<IntegerMlp> {
        let cfg = |what: String, message: String| Error::Config { what, message };
        if layers.is_empty() {
            return Err(cfg("integer model".into(), "has no layers".into()));
        }
        for (l, layer) in layers.iter().enumerate() {
            if l > 0 && layers[l - 1].d_out != layer.d_in {
                return Err(cfg(
                    format!("layer {l}"),
                    format!("takes {} inputs but layer {} has {} outputs", layer.d_in, l - 1, layers[l - 1].d_out),
                ));
            }
            if layer.weight.len() != layer.d_in * layer.d_out
                || layer.bias.len() != layer.d_out
                || layer.requant.len() != layer.d_out
            {
                return Err(cfg(format!("layer {l}"), "weight, bias or requantization sizes do not match".into()));
            }
        }
        Ok(IntegerMlp { input_scale, input_range, layers, scale_mode })
    }

    /// Inputs per sample.
    pub fn d_in(&self) -> usize {
        self.layers[0].d_in
    }

    /// Outputs per sample.
    pub fn d_out(&self) -> usize {
        self.layers[self.layers.len() - 1].d_out
    }

    /// Scale of the integer outputs.
    pub fn output_scale(&self) -> f32 {
        self.layers[self.layers.len() - 1].output_scale
    }

    /// The largest possible `|accumulator|` of each layer, for inputs anywhere in range.
    pub fn accumulator_bounds(&self) -> Vec<i128> {
        let mut input = self.input_range;
        self.layers
            .iter()
            .map(|l| {
                let b = l.accumulator_bounds(input).into_iter().max().unwrap_or(0);
                input = l.output;
                b
            })
            .collect()
    }

    /// Bits (with sign) of the largest possible accumulator of the whole model.
    pub fn max_accumulator_bits(&self) -> u32 {
        let m = self.accumulator_bounds().into_iter().max().unwrap_or(0);
        129 - m.leading_zeros()
    }

    /// The float → integer conversion at the input (QONNX `Quant` semantics, float32): the only
    /// floating point of the integer path. `x` is row-major `[batch, d_in]`.
    pub fn quantize_input(&self, x: &[f32]) -> Result<Vec<i64>> {
        check_finite("input data", x)?;
        Ok(x.iter().map(|&v| quantize(v, self.input_scale, self.input_range)).collect())
    }

    pub(crate) fn check_batch(&self, q: &[i64]) -> Result<usize> {
        let d = self.d_in();
        if q.is_empty() {
            return Err(Error::EmptyDataset { what: "integer model input".into() });
        }
        if !q.len().is_multiple_of(d) {
            return Err(Error::Shape {
                what: "integer model input".into(),
                message: format!("{} values are not a multiple of {d} features", q.len()),
            });
        }
        Ok(q.len() / d)
    }

    /// The integer activations of every stage for integer inputs `q` (row-major
    /// `[batch, d_in]`): the input first, then each layer's output.
    pub fn forward_trace(&self, q: &[i64]) -> Result<Vec<Vec<i64>>> {
        let batch = self.check_batch(q)?;
        let mut out = vec![q.to_vec()];
        let mut input = self.input_range;
        for layer in &self.layers {
            let Some(prev) = out.last() else { break };
            let next = layer_forward(layer, prev, batch, input);
            input = layer.output;
            out.push(next);
        }
        Ok(out)
    }

    /// The integer outputs for integer inputs `q` (row-major `[batch, d_in]`).
    ///
    /// Models whose values provably fit bytes or 16-bit words and whose accumulators fit 32 bits
    /// run on packed SIMD kernels (AVX-512 VNNI, AVX2, or portable code the compiler vectorizes
    /// for any CPU), which compute the same integers as [`IntegerMlp::forward_int_reference`]. For repeated calls,
    /// [`IntegerMlp::prepare`] packs the weights once.
    pub fn forward_int(&self, q: &[i64]) -> Result<Vec<i64>> {
        self.prepare().forward_int(q)
    }

    /// The model with its weights packed once for the best SIMD kernels this CPU runs (capped
    /// by `HAWQ_SIMD`, see [`qonnx_ir::Simd`]), for repeated calls.
    pub fn prepare(&self) -> PreparedMlp<'_> {
        PreparedMlp::new(self)
    }

    /// The model packed for the kernels of one SIMD level: an error when this CPU lacks the
    /// level's instructions. For tests and benchmarks that compare the levels.
    pub fn prepare_with(&self, simd: qonnx_ir::Simd) -> Result<PreparedMlp<'_>> {
        PreparedMlp::with_simd(self, simd)
    }

    /// [`IntegerMlp::forward_int`] on the portable reference path (64-bit integer arithmetic
    /// where 32 bits could overflow), whatever the CPU.
    pub fn forward_int_reference(&self, q: &[i64]) -> Result<Vec<i64>> {
        let batch = self.check_batch(q)?;
        let mut x = q.to_vec();
        let mut input = self.input_range;
        for layer in &self.layers {
            x = layer_forward(layer, &x, batch, input);
            input = layer.output;
        }
        Ok(x)
    }

    /// Float inputs to dequantized outputs: [`IntegerMlp::quantize_input`], the integer path,
    /// then `q · s_out` (on the packed kernels where [`IntegerMlp::forward_int`] uses them).
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        self.prepare().predict(x)
    }

    /// [`IntegerMlp::predict`] on the reference path.
    pub fn predict_reference(&self, x: &[f32]) -> Result<Vec<f32>> {
        let q = self.forward_int_reference(&self.quantize_input(x)?)?;
        let s = self.output_scale();
        Ok(q.iter().map(|&v| v as f32 * s).collect())
    }

    /// Whether [`IntegerMlp::forward_int`] and [`IntegerMlp::predict`] run this model on packed
    /// SIMD kernels (every value provably within bytes or 16-bit words, every accumulator within
    /// 32 bits, and `HAWQ_SIMD` not set to `reference`); else the reference path.
    pub fn uses_packed_kernels(&self) -> bool {
        self.prepare().uses_packed_kernels()
    }
}

/// One layer on a batch; uses 32-bit accumulation when the worst case fits.
fn layer_forward(layer: &IntegerLayer, x: &[i64], batch: usize, input: IntRange) -> Vec<i64> {
    let bound = layer.accumulator_bounds(input).into_iter().max().unwrap_or(0);
    let acc: Vec<i64> = if bound < i128::from(i32::MAX) {
        let xs: Vec<i32> = x.iter().map(|&v| v as i32).collect();
        let w: Vec<i32> = layer.weight.iter().map(|&v| v as i32).collect();
        let b: Vec<i32> = layer.bias.iter().map(|&v| v as i32).collect();
        matmul_bias(&xs, &w, &b, batch, layer.d_in, layer.d_out).into_iter().map(i64::from).collect()
    } else {
        matmul_bias(x, &layer.weight, &layer.bias, batch, layer.d_in, layer.d_out)
    };
    let parts: Vec<(i64, u32)> = layer.requant.iter().map(Requant::parts).collect();
    let wide = bound.saturating_mul(parts.iter().map(|p| i128::from(p.0)).max().unwrap_or(1)) >= i128::from(i64::MAX);
    acc.iter()
        .enumerate()
        .map(|(k, &a)| {
            let j = k % layer.d_out;
            let v = if wide {
                layer.requant[j].apply(a)
            } else {
                let (num, shift) = parts[j];
                shift_round_half_even_i64(a * num, shift)
            };
            layer.output.clamp(v)
        })
        .collect()
}

/// `round_half_even(v / 2^c)` for `i64` (`c < 63`).
#[inline]
fn shift_round_half_even_i64(v: i64, c: u32) -> i64 {
    if c == 0 {
        return v;
    }
    if c >= 63 {
        return 0;
    }
    let q = v >> c;
    let r = v - (q << c);
    let half = 1i64 << (c - 1);
    if r > half || (r == half && q & 1 == 1) { q + 1 } else { q }
}

/// `x · W + b` for row-major `x: [batch, d_in]`, `w: [d_in, d_out]`.
fn matmul_bias<T>(x: &[T], w: &[T], b: &[T], batch: usize, d_in: usize, d_out: usize) -> Vec<T>
where
    T: Copy + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
{
    let mut out = Vec::with_capacity(batch * d_out);
    for n in 0..batch {
        let mut acc: Vec<T> = b.to_vec();
        let row = &x[n * d_in..(n + 1) * d_in];
        for (i, &xi) in row.iter().enumerate() {
            let wr = &w[i * d_out..(i + 1) * d_out];
            for (a, &wv) in acc.iter_mut().zip(wr) {
                *a = *a + xi * wv;
            }
        }
        out.extend_from_slice(&acc);
    }
    out
}
