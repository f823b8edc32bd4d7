//! Fused dense stages for the executor: `MatMul` by a constant weight, then optionally `Add` of a
//! constant row vector, `Relu` and a per-tensor `ROUND` `Quant`, computed row by row in one pass
//! instead of four passes over whole tensors.
//!
//! Each element is computed with the float32 operations of the separate ops (the products summed
//! in ascending order, then the bias added, then ReLU, then the quantizer). Where the sums are
//! exact, as in quantized networks, the results are identical bit for bit to the separate ops;
//! on float networks both are ONNX-conformant (a MatMul's summation order is not specified). The executor uses the fused
//! form only when neither intermediates nor exact mode are asked for.

use crate::error::Result;
use crate::model::Node;
use crate::ops::quant_round_fast;
use crate::tensor::Tensor;

/// One fused dense stage.
#[derive(Debug, Clone)]
pub(crate) struct DenseStage {
    /// Weights, row-major `[k][n]`.
    pub w: Vec<f32>,
    /// Fan-in.
    pub k: usize,
    /// Outputs.
    pub n: usize,
    /// Bias added after the product.
    pub bias: Option<Vec<f32>>,
    /// ReLU after the bias.
    pub relu: bool,
    /// Per-tensor ROUND quantizer `(scale, zero-point, qmin, qmax)` at the end.
    pub quant: Option<(f32, f32, f32, f32)>,
}

impl DenseStage {
    /// Runs the stage on a `[m, k]` float32 input.
    pub fn run(&self, node: &Node, x: &Tensor) -> Result<Tensor> {
        let xa = x.as_f32().ok_or_else(|| node.error("input 0 must be float32"))?;
        if xa.ndim() != 2 || xa.shape()[1] != self.k {
            return Err(node.error(format!(
                "input of shape {:?} does not multiply a [{}, {}] weight",
                xa.shape(),
                self.k,
                self.n
            )));
        }
        let m = xa.shape()[0];
        let xs = xa.as_standard_layout();
        let xs = xs.as_slice().ok_or_else(|| node.error("input is not contiguous"))?;
        let mut out = vec![0f32; m * self.n];
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `rows_avx2` only requires AVX2, which the CPU was just found to have.
            #[allow(unsafe_code)]
            unsafe {
                self.rows_avx2(xs, &mut out)
            };
            return Tensor::from_f32(&[m, self.n], out);
        }
        self.rows(xs, &mut out);
        Tensor::from_f32(&[m, self.n], out)
    }

    /// [`DenseStage::rows`] compiled for AVX2 (same float32 operations, wider registers).
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn rows_avx2(&self, x: &[f32], out: &mut [f32]) {
        self.rows(x, out);
    }

    #[inline(always)]
    fn rows(&self, x: &[f32], out: &mut [f32]) {
        let (k, n) = (self.k, self.n);
        let mut acc = vec![0f32; n];
        for (xr, o) in x.chunks_exact(k).zip(out.chunks_exact_mut(n)) {
            acc.fill(0.0);
            for (&a, wr) in xr.iter().zip(self.w.chunks_exact(n)) {
                for (c, &w) in acc.iter_mut().zip(wr) {
                    *c += a * w;
                }
            }
            if let Some(b) = &self.bias {
                for (c, &b) in acc.iter_mut().zip(b) {
                    *c += b;
                }
            }
            if self.relu {
                for c in acc.iter_mut() {
                    *c = if *c > 0.0 || c.is_nan() { *c } else { 0.0 };
                }
            }
            match self.quant {
                Some((s, z, lo, hi)) => {
                    for (o, &c) in o.iter_mut().zip(&acc) {
                        *o = quant_round_fast(c, s, z, lo, hi);
                    }
                }
                None => o.copy_from_slice(&acc),
            }
        }
    }
}
