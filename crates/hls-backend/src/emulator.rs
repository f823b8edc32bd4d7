//! The bit-accurate emulator: runs an [`HlsModel`] on a batch with exactly the integer semantics
//! of the generated C++ (`ap_fixed` casts, exact accumulators, the table softmax).

use crate::error::{HlsError, Result};
use crate::fixed::FixedType;
use crate::model::{HlsModel, LayerKind};
use crate::softmax;

/// A prepared emulator: sparse weight lists and tables built once.
#[derive(Debug, Clone)]
pub struct Emulator {
    model: HlsModel,
    plans: Vec<Plan>,
}

#[derive(Debug, Clone)]
enum Plan {
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

impl Emulator {
    /// Prepares `model`.
    pub fn new(model: &HlsModel) -> Emulator {
        let plans = model
            .layers
            .iter()
            .enumerate()
            .map(|(li, l)| match &l.kind {
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
        Emulator { model: model.clone(), plans }
    }

    /// The model.
    pub fn model(&self) -> &HlsModel {
        &self.model
    }

    /// Converts float inputs (row-major `[batch][n_inputs]`) to the input type, as the C
    /// testbench does.
    pub fn quantize_inputs(&self, x: &[f64]) -> Vec<i64> {
        x.iter().map(|&v| self.model.input_type.from_f64(v)).collect()
    }

    /// Runs a batch of float inputs (row-major `[batch][n_inputs]`).
    pub fn run(&self, x: &[f64]) -> Result<EmulatorOutput> {
        self.run_raw(&self.quantize_inputs(x))
    }

    /// Runs a batch of raw inputs already at the input type.
    pub fn run_raw(&self, x: &[i64]) -> Result<EmulatorOutput> {
        let n_in = self.model.n_inputs;
        if n_in == 0 || x.len() % n_in != 0 {
            return Err(HlsError::Input(format!(
                "{} values are not a whole number of {n_in}-feature samples",
                x.len()
            )));
        }
        let batch = x.len() / n_in;
        let mut cur = x.to_vec();
        let mut n = n_in;
        let mut frac = self.model.input_type.frac();
        for (l, plan) in self.model.layers.iter().zip(&self.plans) {
            let n_out = l.n_out;
            let ty = l.out_type;
            let mut next = vec![0i64; batch * n_out];
            match plan {
                Plan::Dense { rows, bias, prod_shift } => {
                    let LayerKind::Dense(d) = &l.kind else { unreachable!("plan matches layer") };
                    let acc_frac = d.acc_type.frac();
                    let mut acc = vec![0i64; n_out];
                    for (xs, ys) in cur.chunks_exact(n).zip(next.chunks_exact_mut(n_out)) {
                        acc.copy_from_slice(bias);
                        for (&xi, row) in xs.iter().zip(rows) {
                            if xi == 0 {
                                continue;
                            }
                            for &(j, w) in row {
                                acc[j as usize] += (xi * w) << prod_shift;
                            }
                        }
                        for (y, &a) in ys.iter_mut().zip(&acc) {
                            *y = ty.cast(d.acc_type.overflow(a), acc_frac);
                        }
                    }
                }
                Plan::Affine { scale, shift, prod_shift, bias_shift } => {
                    let LayerKind::Affine(a) = &l.kind else { unreachable!("plan matches layer") };
                    for (xs, ys) in cur.chunks_exact(n).zip(next.chunks_exact_mut(n_out)) {
                        for j in 0..n {
                            let v = ((xs[j] * scale[j]) << prod_shift) + (shift[j] << bias_shift);
                            ys[j] = ty.cast(v, a.acc_type.frac());
                        }
                    }
                }
                Plan::Relu => {
                    for (y, &v) in next.iter_mut().zip(&cur) {
                        *y = v.max(0);
                    }
                }
                Plan::Cast => {
                    for (y, &v) in next.iter_mut().zip(&cur) {
                        *y = ty.cast(v, frac);
                    }
                }
                Plan::Softmax { exp, inv, shift } => {
                    for (xs, ys) in cur.chunks_exact(n).zip(next.chunks_exact_mut(n_out)) {
                        softmax::softmax(xs, frac, exp, inv, *shift, ys);
                    }
                }
                Plan::Argmax => {
                    for (xs, ys) in cur.chunks_exact(n).zip(next.chunks_exact_mut(n_out)) {
                        let mut best = 0;
                        for (k, &v) in xs.iter().enumerate() {
                            if v > xs[best] {
                                best = k;
                            }
                        }
                        ys[0] = best as i64;
                    }
                }
            }
            cur = next;
            n = n_out;
            frac = ty.frac();
        }
        Ok(EmulatorOutput { raw: cur, n_outputs: n, ty: self.model.output_type() })
    }
}
