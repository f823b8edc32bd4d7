//! [`PreparedMlp`]: an [`IntegerMlp`] with its weights packed once for the SIMD kernels, and the
//! choice between those kernels and the reference path.

use super::IntegerMlp;
#[cfg(target_arch = "x86_64")]
use super::avx512;
use super::packed::PackedMlp;
use crate::error::{Error, Result};

/// An integer model prepared for repeated inference: on CPUs with AVX-512 VNNI, and when every
/// value provably fits the packed kernels, the weights are packed once here; otherwise every
/// call takes the reference path. Both give the same integers.
#[derive(Debug, Clone)]
pub struct PreparedMlp<'a> {
    model: &'a IntegerMlp,
    packed: Option<PackedMlp>,
}

impl<'a> PreparedMlp<'a> {
    /// Packs `model` when this CPU and the model allow it.
    pub fn new(model: &'a IntegerMlp) -> PreparedMlp<'a> {
        #[cfg(target_arch = "x86_64")]
        let packed = if avx512::available() { PackedMlp::new(model) } else { None };
        #[cfg(not(target_arch = "x86_64"))]
        let packed = None;
        PreparedMlp { model, packed }
    }

    /// Whether calls run on the packed SIMD kernels.
    pub fn uses_packed_kernels(&self) -> bool {
        self.packed.is_some()
    }

    /// [`IntegerMlp::forward_int`].
    pub fn forward_int(&self, q: &[i64]) -> Result<Vec<i64>> {
        let m = self.model;
        let batch = m.check_batch(q)?;
        let r = m.input_range;
        #[cfg(target_arch = "x86_64")]
        if let Some(p) = &self.packed
            && q.iter().all(|&v| (r.min()..=r.max()).contains(&v))
        {
            let mut out = vec![0i32; batch * m.d_out()];
            // SAFETY: `packed` is only built when `avx512::available()`.
            #[allow(unsafe_code)]
            unsafe {
                avx512::run_int(p, q, &mut out)
            };
            return Ok(out.into_iter().map(i64::from).collect());
        }
        let _ = (batch, r);
        m.forward_int_reference(q)
    }

    /// [`IntegerMlp::predict`].
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        let m = self.model;
        let (d, s) = (m.d_in(), m.output_scale());
        #[cfg(target_arch = "x86_64")]
        if let Some(p) = &self.packed
            && !x.is_empty()
            && x.len().is_multiple_of(d)
        {
            let r = m.input_range;
            let q = avx512::InputQuant { scale: m.input_scale, lo: r.min() as f32, hi: r.max() as f32 };
            let mut out = vec![0i32; x.len() / d * m.d_out()];
            // SAFETY: `packed` is only built when `avx512::available()`.
            #[allow(unsafe_code)]
            let bad = unsafe { avx512::run_f32(p, q, x, &mut out) };
            return match bad {
                None => Ok(out.iter().map(|&v| v as f32 * s).collect()),
                Some(index) => Err(Error::NonFinite { what: "input data".into(), index, value: f64::from(x[index]) }),
            };
        }
        let _ = (d, s);
        m.predict_reference(x)
    }
}
