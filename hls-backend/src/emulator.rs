//! The bit-accurate emulator: runs an [`HlsModel`] on a batch with exactly the integer semantics
//! of the generated C++ (`ap_fixed` casts, exact accumulators, the table softmax).
//!
//! Two paths give the same bits: samples one at a time through the whole network (the reference
//! level), and tiles of [`tile::TILE`] samples layer by layer ([`tile`]), where dense layers on
//! 16-bit operands become 16-bit multiply-add kernels ([`dot`]: AVX-512 VNNI, AVX2 or portable)
//! and casts run over whole tiles.

mod dot;
mod tile;

use qonnx_ir::Simd;

use crate::error::{Error, Result};
use crate::fixed::{FixedType, cast_slice};
use crate::model::{HlsModel, LayerKind};
use crate::softmax;

/// A prepared emulator: sparse weight lists and tables built once.
#[derive(Debug, Clone)]
pub struct Emulator {
    model: HlsModel,
    plans: Vec<Plan>,
    simd: Simd,
}

#[derive(Debug, Clone)]
enum Plan {
    /// Operands that fit i16 and an accumulator that fits i32 with no alignment shift: dot
    /// products over transposed weights, which compilers turn into SIMD multiply-adds.
    Dense16 {
        /// Weights transposed, `[n_out][n_in]`.
        wt: Vec<i16>,
        bias: Vec<i32>,
        /// The same weights for the tile kernels, as pairs of consecutive inputs in one word:
        /// `[n_in / 2][n_out_pad]`, and the bias padded to `n_out_pad`.
        pairs: Vec<i32>,
        bias_pad: Vec<i32>,
    },
    Dense {
        /// For each input i: the (output j, weight) pairs with non-zero weight.
        rows: Vec<Vec<(u32, i64)>>,
        bias: Vec<i64>,
        prod_shift: u32,
    },
    Affine {
        scale: Vec<i64>,
        shift: Vec<i64>,
        prod_shift: u32,
        bias_shift: u32,
    },
    Relu,
    Cast,
    Softmax {
        exp: Vec<u32>,
        inv: Vec<u64>,
        shift: u32,
    },
    Argmax,
}

/// Per-sample working buffers.
struct Scratch {
    a: Vec<i64>,
    b: Vec<i64>,
    x16: Vec<i16>,
    acc: Vec<i64>,
}

/// Outputs of a batch: raw integers and their type.
#[derive(Debug, Clone, PartialEq)]
pub struct EmulatorOutput {
    /// Raw values, row-major `[batch][n_outputs]`.
    pub raw: Vec<i64>,
    /// Outputs per sample.
    pub n_outputs: usize,
    /// Their type.
    pub ty: FixedType,
}

impl EmulatorOutput {
    /// The values as f64 (exact for widths up to 53 bits).
    pub fn values(&self) -> Vec<f64> {
        self.raw.iter().map(|&r| self.ty.value(r)).collect()
    }
}

/// Whether a dense layer can run on i16 operands with an i32 accumulator: operands within `i16`,
/// an accumulator of at most 31 bits whose range bounds every partial sum (as the lowering
/// sizes it, see [`crate::lower`]; a model whose accumulator was narrowed by hand takes the
/// general path, which applies the accumulator's overflow mode), and products already at the
/// accumulator's LSB.
fn fits_16(in_t: FixedType, d: &crate::model::Dense) -> bool {
    let (x_lo, x_hi) = (i128::from(in_t.min_raw()), i128::from(in_t.max_raw()));
    let n_out = d.n_out();
    let shift = d.acc_type.frac() - d.bias_type.frac();
    let bounded = (0..40).contains(&shift)
        && (0..n_out).all(|j| {
            let b = i128::from(d.bias[j]) << shift;
            let (mut lo, mut hi) = (b, b);
            for i in 0..d.n_in {
                let w = i128::from(d.weights[i * n_out + j]);
                lo += (w * x_lo).min(w * x_hi);
                hi += (w * x_lo).max(w * x_hi);
            }
            lo >= i128::from(d.acc_type.min_raw()) && hi <= i128::from(d.acc_type.max_raw())
        });
    // Operands are read as `i16`: an unsigned 16-bit type does not fit.
    let fits_i16 = |t: FixedType| t.min_raw() >= i64::from(i16::MIN) && t.max_raw() <= i64::from(i16::MAX);
    bounded
        && fits_i16(in_t)
        && fits_i16(d.weight_type)
        && d.acc_type.width <= 31
        && d.bias_type.width <= 31
        && in_t.frac() + d.weight_type.frac() == d.acc_type.frac()
}

impl Emulator {
    /// Prepares `model` for the best SIMD level this CPU runs, capped by `HAWQ_SIMD`
    /// ([`Simd::selected`]).
    pub fn new(model: &HlsModel) -> Emulator {
        Emulator::build(model, Simd::selected())
    }

    /// Prepares `model` for one SIMD level: an error when this CPU lacks its instructions.
    /// [`Simd::Reference`] runs samples one at a time; the others run tiles.
    pub fn with_simd(model: &HlsModel, simd: Simd) -> Result<Emulator> {
        let simd = simd.check().map_err(|e| Error::Input(e.to_string()))?;
        Ok(Emulator::build(model, simd))
    }

    /// The SIMD level runs use.
    pub fn simd(&self) -> Simd {
        self.simd
    }

    fn build(model: &HlsModel, simd: Simd) -> Emulator {
        let plans = model
            .layers
            .iter()
            .enumerate()
            .map(|(li, l)| match &l.kind {
                LayerKind::Dense(d) if fits_16(model.input_type_of(li), d) => {
                    let n_out = d.n_out();
                    let wt = (0..n_out)
                        .flat_map(|j| (0..d.n_in).map(move |i| (i, j)))
                        .map(|(i, j)| d.weights[i * n_out + j] as i16)
                        .collect();
                    let bias: Vec<i32> =
                        d.bias.iter().map(|&b| (b << (d.acc_type.frac() - d.bias_type.frac())) as i32).collect();
                    let (pairs, bias_pad) = dot::pack_weights(&d.weights, &bias, d.n_in, n_out);
                    Plan::Dense16 { wt, bias, pairs, bias_pad }
                }
                LayerKind::Dense(d) => {
                    let n_out = d.n_out();
                    let rows = (0..d.n_in)
                        .map(|i| {
                            (0..n_out)
                                .filter_map(|j| {
                                    let w = d.weights[i * n_out + j];
                                    (w != 0).then_some((j as u32, w))
                                })
                                .collect()
                        })
                        .collect();
                    let fx = model.input_type_of(li).frac();
                    let facc = d.acc_type.frac();
                    let bias = d.bias.iter().map(|&b| b << (facc - d.bias_type.frac())).collect();
                    Plan::Dense { rows, bias, prod_shift: (facc - fx - d.weight_type.frac()) as u32 }
                }
                LayerKind::Affine(a) => {
                    let fx = model.input_type_of(li).frac();
                    let facc = a.acc_type.frac();
                    Plan::Affine {
                        scale: a.scale.clone(),
                        shift: a.shift.clone(),
                        prod_shift: (facc - fx - a.scale_type.frac()) as u32,
                        bias_shift: (facc - a.shift_type.frac()) as u32,
                    }
                }
                LayerKind::Relu => Plan::Relu,
                LayerKind::Cast => Plan::Cast,
                LayerKind::Softmax => {
                    let n = model.input_size_of(li);
                    Plan::Softmax {
                        exp: softmax::exp_table(),
                        inv: softmax::inv_table(n),
                        shift: softmax::inv_shift(n),
                    }
                }
                LayerKind::Argmax => Plan::Argmax,
            })
            .collect();
        Emulator { model: model.clone(), plans, simd }
    }

    /// The model.
    pub fn model(&self) -> &HlsModel {
        &self.model
    }

    /// Converts float inputs (row-major `[batch][n_inputs]`) to the input type, as the C
    /// testbench does.
    pub fn quantize_inputs(&self, x: &[f64]) -> Vec<i64> {
        let mut q = vec![0; x.len()];
        #[cfg(target_arch = "x86_64")]
        if self.simd >= Simd::Avx512 {
            // SAFETY: the level was checked when the emulator was built.
            #[allow(unsafe_code)]
            unsafe {
                self.quantize_avx512(x, &mut q)
            };
            return q;
        }
        #[cfg(target_arch = "x86_64")]
        if self.simd >= Simd::Avx2 {
            // SAFETY: the level was checked when the emulator was built.
            #[allow(unsafe_code)]
            unsafe {
                self.quantize_avx2(x, &mut q)
            };
            return q;
        }
        self.model.input_type.from_f64_slice(x, &mut q);
        q
    }

    /// [`Emulator::quantize_inputs`] compiled for AVX2 (`floor` becomes one instruction).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    fn quantize_avx2(&self, x: &[f64], q: &mut [i64]) {
        self.model.input_type.from_f64_slice(x, q);
    }

    /// [`Emulator::quantize_inputs`] compiled for AVX-512 (F, DQ and VL: 64-bit float to integer
    /// conversions and 64-bit min/max in vectors).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512dq,avx512vl,avx2,fma")]
    fn quantize_avx512(&self, x: &[f64], q: &mut [i64]) {
        self.model.input_type.from_f64_slice(x, q);
    }

    /// Runs a batch of float inputs (row-major `[batch][n_inputs]`). A NaN or infinite input is
    /// an [`Error::Input`] naming the sample and feature (`ap_fixed` has no value for it).
    pub fn run(&self, x: &[f64]) -> Result<EmulatorOutput> {
        check_finite_inputs(x, self.model.n_inputs)?;
        self.run_values(&self.quantize_inputs(x), true)
    }

    /// Runs a batch of raw inputs already at the input type: tiles of samples layer by layer, or
    /// at the reference level samples one at a time through the whole network in two small
    /// buffers, which stay in the CPU's cache.
    pub fn run_raw(&self, x: &[i64]) -> Result<EmulatorOutput> {
        self.run_values(x, false)
    }

    /// [`Emulator::run_raw`]; `in_type` when every value of `x` is known to be a value of the
    /// input type (as [`Emulator::quantize_inputs`] makes them), which spares the tiles a check.
    fn run_values(&self, x: &[i64], in_type: bool) -> Result<EmulatorOutput> {
        let n_in = self.model.n_inputs;
        if n_in == 0 || !x.len().is_multiple_of(n_in) {
            return Err(Error::Input(format!("{} values are not a whole number of {n_in}-feature samples", x.len())));
        }
        let n_out = self.model.n_outputs();
        let mut raw = vec![0i64; x.len() / n_in * n_out];
        if self.simd != Simd::Reference {
            tile::run(self, x, in_type, &mut raw);
            return Ok(EmulatorOutput { raw, n_outputs: n_out, ty: self.model.output_type() });
        }
        let mut s = self.scratch();
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `run_all_avx2` only requires AVX2, which the CPU was just found to have.
            #[allow(unsafe_code)]
            unsafe {
                self.run_all_avx2(x, &mut raw, &mut s)
            };
            return Ok(EmulatorOutput { raw, n_outputs: n_out, ty: self.model.output_type() });
        }
        self.run_all(x, &mut raw, &mut s);
        Ok(EmulatorOutput { raw, n_outputs: n_out, ty: self.model.output_type() })
    }

    /// Per-sample buffers for this model.
    fn scratch(&self) -> Scratch {
        let width = self.width();
        Scratch { a: vec![0; width], b: vec![0; width], x16: vec![0; width], acc: vec![0; width] }
    }

    /// The widest activation vector.
    fn width(&self) -> usize {
        let n_in = self.model.n_inputs;
        self.model.layers.iter().map(|l| l.n_out).chain([n_in]).max().unwrap_or(n_in)
    }

    /// [`Emulator::run_all`] compiled for AVX2 (the same integer code; only the instructions
    /// chosen for the loops differ).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn run_all_avx2(&self, x: &[i64], raw: &mut [i64], s: &mut Scratch) {
        self.run_all(x, raw, s);
    }

    /// Runs every sample of `x` into `raw`.
    #[inline(always)]
    fn run_all(&self, x: &[i64], raw: &mut [i64], s: &mut Scratch) {
        let (n_in, n_out) = (self.model.n_inputs, self.model.n_outputs());
        for (xs, ys) in x.chunks_exact(n_in).zip(raw.chunks_exact_mut(n_out)) {
            s.a[..n_in].copy_from_slice(xs);
            let n = self.run_one(s);
            ys.copy_from_slice(&s.a[..n]);
        }
    }

    /// Runs the sample in `s.a[..n_inputs]`; leaves the outputs in `s.a` and returns their count.
    #[inline(always)]
    fn run_one(&self, s: &mut Scratch) -> usize {
        let mut n = self.model.n_inputs;
        let mut frac = self.model.input_type.frac();
        for li in 0..self.plans.len() {
            self.step_one(li, n, frac, s);
            let l = &self.model.layers[li];
            std::mem::swap(&mut s.a, &mut s.b);
            n = l.n_out;
            frac = l.out_type.frac();
        }
        n
    }

    /// Layer `li` on one sample: `s.a[..n]` (at `frac` fractional bits) into `s.b[..n_out]`.
    #[inline(always)]
    fn step_one(&self, li: usize, n: usize, frac: i32, s: &mut Scratch) {
        let (l, plan) = (&self.model.layers[li], &self.plans[li]);
        let n_out = l.n_out;
        let ty = l.out_type;
        let (cur, next) = (&s.a[..n], &mut s.b[..n_out]);
        match plan {
            Plan::Dense16 { wt, bias, .. } => {
                let LayerKind::Dense(d) = &l.kind else { unreachable!("plan matches layer") };
                let acc_frac = d.acc_type.frac();
                let x16 = &mut s.x16[..n];
                for (a, &v) in x16.iter_mut().zip(cur) {
                    *a = v as i16;
                }
                let acc = &mut s.acc[..n_out];
                for ((a, w), &b) in acc.iter_mut().zip(wt.chunks_exact(n)).zip(bias) {
                    let dot: i32 = x16.iter().zip(w).map(|(&a, &b)| i32::from(a) * i32::from(b)).sum();
                    *a = i64::from(b + dot);
                }
                cast_slice(&ty, acc_frac, acc, next);
            }
            Plan::Dense { rows, bias, prod_shift } => {
                let LayerKind::Dense(d) = &l.kind else { unreachable!("plan matches layer") };
                let acc = &mut s.acc[..n_out];
                acc.copy_from_slice(bias);
                for (&xi, row) in cur.iter().zip(rows) {
                    if xi == 0 {
                        continue;
                    }
                    for &(j, w) in row {
                        acc[j as usize] += (xi * w) << prod_shift;
                    }
                }
                for a in acc.iter_mut() {
                    *a = d.acc_type.overflow(*a);
                }
                cast_slice(&ty, d.acc_type.frac(), acc, next);
            }
            Plan::Affine { scale, shift, prod_shift, bias_shift } => {
                let LayerKind::Affine(a) = &l.kind else { unreachable!("plan matches layer") };
                for j in 0..n {
                    let v = ((cur[j] * scale[j]) << prod_shift) + (shift[j] << bias_shift);
                    next[j] = ty.cast(v, a.acc_type.frac());
                }
            }
            Plan::Relu => {
                for (y, &v) in next.iter_mut().zip(cur) {
                    *y = v.max(0);
                }
            }
            Plan::Cast => cast_slice(&ty, frac, cur, next),
            Plan::Softmax { exp, inv, shift } => softmax::softmax(cur, frac, exp, inv, *shift, next),
            Plan::Argmax => {
                let mut best = 0;
                for (k, &v) in cur.iter().enumerate() {
                    if v > cur[best] {
                        best = k;
                    }
                }
                next[0] = best as i64;
            }
        }
    }
}

/// Fails with [`Error::Input`] at the first NaN or infinite value of the float inputs `x`
/// (row-major, `n_in` per sample), naming the sample and the feature.
pub(crate) fn check_finite_inputs(x: &[f64], n_in: usize) -> Result<()> {
    // Chunks checked without an early exit (a loop that vectorizes), then the first bad value
    // looked for in the chunk that has one.
    const EXP: u64 = 0x7FF0_0000_0000_0000;
    let chunk = 256;
    let bad_chunk = x.chunks(chunk).position(|c| c.iter().fold(false, |b, v| b | (v.to_bits() & EXP == EXP)));
    let first = bad_chunk.and_then(|k| x[k * chunk..].iter().position(|v| !v.is_finite()).map(|i| k * chunk + i));
    match first {
        Some(i) => Err(Error::Input(format!(
            "sample {}, feature {}: {} is not a finite number",
            i / n_in.max(1),
            i % n_in.max(1),
            x[i]
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::check_finite_inputs;

    /// The first NaN or infinity is named by sample and feature wherever it lies (in the first
    /// chunk the check reads at once, in a later one, at the very end), with later bad values
    /// behind it; the largest finite values and subnormals pass.
    #[test]
    fn check_finite_inputs_names_the_first_bad_value() {
        let n_in = 16;
        let mut x = vec![0.5f64; 1000 * n_in];
        (x[3], x[4]) = (f64::MAX, -f64::MAX);
        let mut tiny = x.clone();
        (tiny[5], tiny[6]) = (f64::MIN_POSITIVE / 2.0, -0.0);
        assert!(check_finite_inputs(&x, n_in).is_ok() && check_finite_inputs(&tiny, n_in).is_ok());
        let last = x.len() - 1;
        for (at, bad) in [(0, f64::NAN), (300, f64::INFINITY), (8191, f64::NEG_INFINITY), (last, f64::NAN)] {
            let mut y = x.clone();
            y[last] = f64::INFINITY;
            y[at] = bad;
            let msg = check_finite_inputs(&y, n_in).expect_err("a bad value").to_string();
            assert!(msg.contains(&format!("sample {}, feature {}:", at / n_in, at % n_in)), "{at}: {msg}");
        }
    }
}
