//! [`PreparedMlp`]: an [`IntegerMlp`] with its weights packed once for one SIMD kernel set, and
//! the choice between the kernel sets and the reference path.

use qonnx_ir::Simd;

use super::IntegerMlp;
use super::blocks::InputQuant;
#[cfg(target_arch = "aarch64")]
use super::neon_dot;
use super::packed::{Lanes, PackedMlp};
use super::portable;
#[cfg(target_arch = "x86_64")]
use super::{avx_vnni, avx2, avx512};
use crate::error::{Error, Result};

/// An integer model prepared for repeated inference on one SIMD level ([`Simd`]): the weights
/// are packed once here for that level's kernels when every value provably fits them (bytes or
/// 16-bit words, 32-bit accumulators); otherwise every call takes the reference path. Every
/// level gives the reference path's integers.
#[derive(Debug, Clone)]
pub struct PreparedMlp<'a> {
    model: &'a IntegerMlp,
    simd: Simd,
    packed: Option<PackedMlp>,
}

impl<'a> PreparedMlp<'a> {
    /// Packs `model` for the best level this CPU runs, capped by `HAWQ_SIMD`
    /// ([`Simd::selected`]); a model the kernels cannot take runs on the reference path.
    pub fn new(model: &'a IntegerMlp) -> PreparedMlp<'a> {
        let mut simd = Simd::selected();
        // A model whose byte layers have weights beyond bytes still packs in 16-bit words for
        // the sets without byte dot products.
        loop {
            if let Some(p) = PreparedMlp::pack(model, simd) {
                return p;
            }
            simd = match simd {
                Simd::Avx512 | Simd::AvxVnni => Simd::Avx2,
                Simd::Avx2 | Simd::Dotprod => Simd::Portable,
                _ => return PreparedMlp { model, simd: Simd::Reference, packed: None },
            };
        }
    }

    /// Packs `model` for the kernels of `simd`; an error when this CPU lacks its instructions. A
    /// model the kernels cannot take runs on the reference path ([`PreparedMlp::simd`] says
    /// which).
    pub fn with_simd(model: &'a IntegerMlp, simd: Simd) -> Result<PreparedMlp<'a>> {
        simd.check().map_err(|e| Error::InvalidSetting { setting: "SIMD level".into(), message: e.to_string() })?;
        Ok(PreparedMlp::pack(model, simd).unwrap_or(PreparedMlp { model, simd: Simd::Reference, packed: None }))
    }

    /// `model` packed for `simd` (assumed supported), or `None` when the model does not fit.
    fn pack(model: &'a IntegerMlp, simd: Simd) -> Option<PreparedMlp<'a>> {
        let packed = match simd {
            Simd::Reference => None,
            Simd::Avx512 | Simd::AvxVnni => Some(PackedMlp::new(model, Some(Lanes::U8))?),
            Simd::Dotprod => Some(PackedMlp::new(model, Some(Lanes::I8))?),
            Simd::Avx2 | Simd::Portable => Some(PackedMlp::new(model, None)?),
        };
        Some(PreparedMlp { model, simd, packed })
    }

    /// The level calls run on ([`Simd::Reference`] when the model did not fit the kernels).
    pub fn simd(&self) -> Simd {
        self.simd
    }

    /// Whether calls run on packed SIMD kernels (any level but the reference path).
    pub fn uses_packed_kernels(&self) -> bool {
        self.packed.is_some()
    }

    /// [`IntegerMlp::forward_int`].
    pub fn forward_int(&self, q: &[i64]) -> Result<Vec<i64>> {
        let m = self.model;
        let batch = m.check_batch(q)?;
        let r = m.input_range;
        if let Some(p) = &self.packed
            && q.iter().all(|&v| (r.min()..=r.max()).contains(&v))
        {
            let mut out = vec![0i32; batch * m.d_out()];
            match self.simd {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the level was checked when the model was packed for it.
                #[allow(unsafe_code)]
                Simd::Avx512 => unsafe { avx512::run_int(p, q, &mut out) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                #[allow(unsafe_code)]
                Simd::AvxVnni => unsafe { avx_vnni::run_int(p, q, &mut out) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                #[allow(unsafe_code)]
                Simd::Avx2 => unsafe { avx2::run_int(p, q, &mut out) },
                #[cfg(target_arch = "aarch64")]
                // SAFETY: as above.
                #[allow(unsafe_code)]
                Simd::Dotprod => unsafe { neon_dot::run_int(p, q, &mut out) },
                _ => portable::run_int(p, q, &mut out),
            }
            return Ok(out.into_iter().map(i64::from).collect());
        }
        m.forward_int_reference(q)
    }

    /// [`IntegerMlp::predict`].
    pub fn predict(&self, x: &[f32]) -> Result<Vec<f32>> {
        let m = self.model;
        let (d, s) = (m.d_in(), m.output_scale());
        if let Some(p) = &self.packed
            && !x.is_empty()
            && x.len().is_multiple_of(d)
        {
            let r = m.input_range;
            let q = InputQuant { scale: m.input_scale, lo: r.min() as f32, hi: r.max() as f32 };
            let mut out = vec![0i32; x.len() / d * m.d_out()];
            let bad = match self.simd {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: the level was checked when the model was packed for it.
                #[allow(unsafe_code)]
                Simd::Avx512 => unsafe { avx512::run_f32(p, q, x, &mut out) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                #[allow(unsafe_code)]
                Simd::AvxVnni => unsafe { avx_vnni::run_f32(p, q, x, &mut out) },
                #[cfg(target_arch = "x86_64")]
                // SAFETY: as above.
                #[allow(unsafe_code)]
                Simd::Avx2 => unsafe { avx2::run_f32(p, q, x, &mut out) },
                #[cfg(target_arch = "aarch64")]
                // SAFETY: as above.
                #[allow(unsafe_code)]
                Simd::Dotprod => unsafe { neon_dot::run_f32(p, q, x, &mut out) },
                _ => portable::run_f32(p, q, x, &mut out),
            };
            return match bad {
                None => Ok(out.iter().map(|&v| v as f32 * s).collect()),
                Some(index) => Err(Error::NonFinite { what: "input data".into(), index, value: f64::from(x[index]) }),
            };
        }
        m.predict_reference(x)
    }
}
