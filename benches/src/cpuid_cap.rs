//! Peers as they run on x86-64 CPUs with fewer instructions than this one: `native/cpuid_cap.c`,
//! a library loaded into the peer's process (`LD_PRELOAD`) that hides the extensions above a cap
//! from the CPUID instruction, so that onnxruntime picks the kernels it picks on such a CPU
//! (AVX-VNNI without AVX-512, AVX2, SSE). The hardware underneath is this machine's; the kernels
//! are the capped CPU's. It needs Linux's CPUID faulting (`cpuid_fault` in `/proc/cpuinfo`) and a
//! C compiler (`CC`, else `cc`, else `gcc`), and builds the library into a temporary folder once a
//! process.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use hawq_core::Simd;

/// What the capped CPU has, at most.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    /// AVX2 and AVX-VNNI, no AVX-512 or AMX: an Intel client CPU since Alder Lake.
    AvxVnni,
    /// AVX2 and FMA, no VNNI of any width: an AMD CPU before Zen 4, an Intel client CPU before
    /// Alder Lake.
    Avx2,
    /// SSE up to 4.2, no AVX: the x86-64 baseline.
    Sse,
}

impl Cap {
    /// The name `CPUID_CAP` takes.
    pub fn name(self) -> &'static str {
        match self {
            Cap::AvxVnni => "avxvnni",
            Cap::Avx2 => "avx2",
            Cap::Sse => "sse",
        }
    }

    /// The cap of an x86-64 CPU whose best SIMD level of ours is `simd`: `None` for AVX-512
    /// (nothing to hide) and for the reference loops (no CPU in particular).
    pub fn of_level(simd: Simd) -> Option<Cap> {
        match simd {
            Simd::AvxVnni => Some(Cap::AvxVnni),
            Simd::Avx2 => Some(Cap::Avx2),
            Simd::Portable => Some(Cap::Sse),
            _ => None,
        }
    }

    /// The environment that caps a process started with it: `LD_PRELOAD` of the library (built
    /// once a process by [`library`]) and `CPUID_CAP`.
    pub fn env(self) -> Result<[(String, String); 2], String> {
        let lib = library()?;
        let lib = lib.to_str().ok_or("the cpuid_cap library's path is not UTF-8")?;
        Ok([("LD_PRELOAD".into(), lib.into()), ("CPUID_CAP".into(), self.name().into())])
    }

    /// Checks the header a capped `ort_bench.py` printed: the library capped its process
    /// (`cpuid_cap`) and numpy, which reads CPUID too, saw the cap (`cpu`).
    pub fn check_header(self, header: &serde_json::Value) -> Result<(), String> {
        let active = header["cpuid_cap"].as_str();
        if active != Some(self.name()) {
            return Err(format!("the peer ran with cap {active:?}, not {}", self.name()));
        }
        let has = |f: &str| header["cpu"][f].as_bool();
        let hidden: &[&str] = match self {
            Cap::AvxVnni | Cap::Avx2 => &["avx512f"],
            Cap::Sse => &["avx512f", "avx2", "avx"],
        };
        match hidden.iter().find(|f| has(f) != Some(false)) {
            Some(f) => Err(format!("the capped peer still reports {f}: {}", header["cpu"])),
            None => Ok(()),
        }
    }
}

/// Whether this machine can cap a process: x86-64 Linux whose CPU has CPUID faulting. `Err`
/// says why not.
pub fn supported() -> Result<(), String> {
    if !cfg!(all(target_arch = "x86_64", target_os = "linux")) {
        return Err(format!("capping CPUID needs x86-64 Linux, not {}", std::env::consts::ARCH));
    }
    let info = std::fs::read_to_string("/proc/cpuinfo").map_err(|e| format!("reading /proc/cpuinfo: {e}"))?;
    let flags = info.lines().find(|l| l.starts_with("flags")).unwrap_or_default();
    if flags.split_whitespace().any(|f| f == "cpuid_fault") {
        Ok(())
    } else {
        Err("this CPU (or its hypervisor) has no CPUID faulting (no cpuid_fault in /proc/cpuinfo)".into())
    }
}

/// The library, built from `native/cpuid_cap.c` once a process with `CC` (else `cc`, else
/// `gcc`) into a temporary folder.
pub fn library() -> Result<PathBuf, String> {
    static LIB: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    LIB.get_or_init(|| {
        supported()?;
        let dir = std::env::temp_dir().join(format!("cpuid-cap-{}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
        build(&dir)
    })
    .clone()
}

/// Compiles the library into `dir`.
fn build(dir: &Path) -> Result<PathBuf, String> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("native/cpuid_cap.c");
    let out = dir.join("libcpuid_cap.so");
    let compilers = match std::env::var("CC") {
        Ok(cc) => vec![cc],
        Err(_) => vec!["cc".to_string(), "gcc".to_string()],
    };
    let mut errors = Vec::new();
    for cc in &compilers {
        let run = Command::new(cc)
            .args(["-O2", "-Wall", "-Wextra", "-Werror", "-shared", "-fPIC", "-o"])
            .arg(&out)
            .arg(&src)
            .output();
        match run {
            Ok(r) if r.status.success() => return Ok(out),
            Ok(r) => {
                return Err(format!("{cc} failed on {}:\n{}", src.display(), String::from_utf8_lossy(&r.stderr)));
            }
            Err(e) => errors.push(format!("{cc}: {e}")),
        }
    }
    Err(format!("no C compiler ran ({})", errors.join("; ")))
}
