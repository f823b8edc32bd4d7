//! The SIMD levels the workspace's kernels are written for, which of them this CPU runs, and the
//! one switch that limits them all: the environment variable `HAWQ_SIMD`.
//!
//! Every fast path of the workspace (the fused chains of [`crate::exec`], `hawq-core`'s integer
//! engine, `hls-backend`'s emulator) computes exactly the integers of its reference loops; the
//! levels differ only in speed. `HAWQ_SIMD=avx512|avxvnni|avx2|dotprod|portable|reference` caps the level
//! every component may use, so that a machine with AVX-512 can run, test and time the code that
//! CPUs without it run. Unset (or set to something else), nothing is capped. Components that take
//! a level explicitly (such as `IntegerMlp::prepare_with`) check it with [`Simd::supported`]; a
//! component without kernels of its own for a level runs its best ones below it.

pub mod dense16;

use std::str::FromStr;
use std::sync::OnceLock;

use crate::error::{Error, Result};

/// A SIMD level, from the plain reference loops up to AVX-512. Ordered by preference: within one
/// architecture, a higher level is faster and may use every instruction of a lower one, except
/// that [`Simd::Avx512`] does not need the VEX-encoded dot products of [`Simd::AvxVnni`] (its
/// CPUs have them in EVEX form). The aarch64 level [`Simd::Dotprod`] sits below the x86-64 ones,
/// which an aarch64 CPU never runs, and the other way round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Simd {
    /// The reference loops: scalar, 64-bit arithmetic where 32 bits could overflow.
    Reference,
    /// The baseline SIMD of the architecture, which needs no detection, on the same packed data
    /// as the x86 kernels: the 16-bit integer multiply-adds of the integer engine and the HLS
    /// emulator in SSE2 (`pmaddwd`) on x86-64 and NEON (`smlal`) on aarch64 ([`dense16`]), the
    /// rest plain Rust that the compiler vectorizes for the target. Tested on aarch64 in qemu.
    Portable,
    /// aarch64 NEON with the dot-product instructions of Armv8.2 (`FEAT_DotProd`: Apple M1 and
    /// later, AWS Graviton 2 and later, Cortex-A76 and later): the integer engine multiplies
    /// signed bytes four at a time with `sdot`; the other components run their portable kernels.
    /// Tested on aarch64 in qemu.
    Dotprod,
    /// x86-64 AVX2 (with FMA): 256-bit integer multiply-adds (`vpmaddwd`).
    Avx2,
    /// x86-64 AVX2 with AVX-VNNI, the VEX-encoded 256-bit dot products (`vpdpbusd`, `vpdpwssd`)
    /// of Intel's client CPUs since Alder Lake and its E-core Xeons, which have no AVX-512: the
    /// integer engine multiplies bytes four at a time; the other components run their AVX2
    /// kernels.
    AvxVnni,
    /// x86-64 AVX-512 (F, BW, DQ, VL and VNNI, on top of AVX2 and FMA; every CPU with AVX-512
    /// VNNI has all of them): 512-bit dot-product instructions (`vpdpbusd`, `vpdpwssd`).
    Avx512,
}

impl Simd {
    /// Every level, lowest first.
    pub const ALL: [Simd; 6] =
        [Simd::Reference, Simd::Portable, Simd::Dotprod, Simd::Avx2, Simd::AvxVnni, Simd::Avx512];

    /// The name `HAWQ_SIMD` takes.
    pub fn name(self) -> &'static str {
        match self {
            Simd::Reference => "reference",
            Simd::Portable => "portable",
            Simd::Dotprod => "dotprod",
            Simd::Avx2 => "avx2",
            Simd::AvxVnni => "avxvnni",
            Simd::Avx512 => "avx512",
        }
    }

    /// Whether this CPU has the level's instructions (`Reference` and `Portable` run anywhere).
    pub fn supported(self) -> bool {
        match self {
            Simd::Reference | Simd::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 => std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma"),
            // The higher levels may use every instruction of AVX2 and FMA.
            #[cfg(target_arch = "x86_64")]
            Simd::AvxVnni => Simd::Avx2.supported() && std::arch::is_x86_feature_detected!("avxvnni"),
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => {
                Simd::Avx2.supported()
                    && std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512vl")
                    && std::arch::is_x86_feature_detected!("avx512vnni")
            }
            #[cfg(not(target_arch = "x86_64"))]
            Simd::Avx2 | Simd::AvxVnni | Simd::Avx512 => false,
            #[cfg(target_arch = "aarch64")]
            Simd::Dotprod => std::arch::is_aarch64_feature_detected!("dotprod"),
            #[cfg(not(target_arch = "aarch64"))]
            Simd::Dotprod => false,
        }
    }

    /// The levels this CPU runs, lowest first.
    pub fn available() -> Vec<Simd> {
        Simd::ALL.into_iter().filter(|s| s.supported()).collect()
    }

    /// The highest level this CPU runs.
    pub fn best() -> Simd {
        Simd::ALL.into_iter().rev().find(|s| s.supported()).unwrap_or(Simd::Reference)
    }

    /// The level `HAWQ_SIMD` names: `None` when it is unset, an error when it names no level.
    pub fn from_env() -> Result<Option<Simd>> {
        match std::env::var("HAWQ_SIMD") {
            Ok(v) => v.parse().map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(v)) => {
                Err(Error::Simd { requested: v.to_string_lossy().into_owned(), message: "not a level name".into() })
            }
        }
    }

    /// The highest level any component may use in this process: `HAWQ_SIMD` as read on the first
    /// call, or [`Simd::Avx512`] (no cap) when it is unset or names no level. Each component then
    /// uses the best of its kernels at or below this level that the CPU runs.
    pub fn limit() -> Simd {
        static LIMIT: OnceLock<Simd> = OnceLock::new();
        *LIMIT.get_or_init(|| Simd::from_env().ok().flatten().unwrap_or(Simd::Avx512))
    }

    /// The level to use by default: the highest this CPU runs at or below [`Simd::limit`] (a
    /// cap this CPU does not run, such as `dotprod` on x86-64, selects the best level below it).
    pub fn selected() -> Simd {
        let limit = Simd::limit();
        Simd::ALL.into_iter().rev().find(|s| *s <= limit && s.supported()).unwrap_or(Simd::Reference)
    }

    /// `Ok(self)` when this CPU runs the level, else an error that names it.
    pub fn check(self) -> Result<Simd> {
        if self.supported() {
            Ok(self)
        } else {
            Err(Error::Simd { requested: self.name().into(), message: "this CPU lacks its instructions".into() })
        }
    }
}

impl FromStr for Simd {
    type Err = Error;

    fn from_str(s: &str) -> Result<Simd> {
        let t = s.trim().to_ascii_lowercase();
        Simd::ALL.into_iter().find(|l| l.name() == t).ok_or_else(|| Error::Simd {
            requested: s.into(),
            message: "expected one of avx512, avxvnni, avx2, dotprod, portable, reference".into(),
        })
    }
}

impl std::fmt::Display for Simd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_and_levels_are_ordered() {
        for l in Simd::ALL {
            assert_eq!(l.name().parse::<Simd>().ok(), Some(l));
            assert_eq!(l.to_string(), l.name());
        }
        assert_eq!(" AVX2 ".parse::<Simd>().ok(), Some(Simd::Avx2));
        assert!(matches!("sse9".parse::<Simd>(), Err(Error::Simd { .. })));
        assert!(Simd::Reference < Simd::Portable && Simd::Portable < Simd::Dotprod);
        assert!(Simd::Dotprod < Simd::Avx2 && Simd::Avx2 < Simd::AvxVnni && Simd::AvxVnni < Simd::Avx512);
    }

    #[test]
    fn the_portable_levels_run_everywhere() {
        assert!(Simd::Reference.supported() && Simd::Portable.supported());
        let avail = Simd::available();
        assert_eq!(avail.first(), Some(&Simd::Reference));
        assert_eq!(avail.last(), Some(&Simd::best()));
        assert!(Simd::selected() <= Simd::best() && Simd::selected().supported());
        // No CPU runs both an x86-64 level and the aarch64 one.
        assert!(!(Simd::Dotprod.supported() && Simd::Avx2.supported()));
        for l in Simd::ALL {
            assert_eq!(l.check().is_ok(), l.supported());
        }
    }
}
