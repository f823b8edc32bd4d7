//! The external tools the study checks its outputs with: Python qonnx (each exported QONNX graph
//! against the integer engine) and the `ap_types` headers for the g++ C simulation of the
//! firmware. Each is found from an explicit setting, then an environment variable, then the
//! virtual environment `scripts/setup-python.sh` makes in this repository.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, io, json};
use crate::results::QonnxCheck;

/// The repository's `.venv-ref` (made by `scripts/setup-python.sh`).
pub fn repo_venv() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv-ref")
}

/// The Python with qonnx: `explicit` (an error if it does not exist), else `QONNX_REF_PYTHON`,
/// else `.venv-ref/bin/python`; `None` when neither of the last two exists.
pub fn find_python(explicit: Option<&Path>) -> Result<Option<PathBuf>> {
    if let Some(p) = explicit {
        return if p.exists() { Ok(Some(p.to_path_buf())) } else { Err(missing("--python", p)) };
    }
    let p = std::env::var_os("QONNX_REF_PYTHON").map(PathBuf::from).unwrap_or_else(|| repo_venv().join("bin/python"));
    Ok(p.exists().then_some(p))
}

/// The `ap_types` headers: `explicit` (an error without `ap_fixed.h`), else `HLS_AP_TYPES`, else
/// the hls4ml wheel's in `.venv-ref`.
pub fn find_ap_types(explicit: Option<&Path>) -> Result<Option<PathBuf>> {
    match explicit {
        Some(p) if p.join("ap_fixed.h").exists() => Ok(Some(p.to_path_buf())),
        Some(p) => Err(missing("--ap-types", &p.join("ap_fixed.h"))),
        None => Ok(hls_backend::csim::find_ap_types(&[repo_venv()])),
    }
}

fn missing(setting: &str, path: &Path) -> Error {
    Error::Setting { setting: setting.into(), message: format!("{} does not exist", path.display()) }
}

/// The check script, whose hash is part of the check's key.
pub fn check_script() -> &'static str {
    SCRIPT
}

/// One graph to check.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckJob {
    /// The model.
    pub model: String,
    /// The graph.
    pub onnx: PathBuf,
    /// The engine's outputs on the inputs (`.npy`).
    pub outputs: PathBuf,
    /// One LSB of the output (its quantizer's scale).
    pub lsb: f64,
    /// Its own inputs (`.npy`; `None`: the shared ones).
    pub inputs: Option<PathBuf>,
}

#[derive(Deserialize)]
struct CheckOut {
    model: String,
    outputs: usize,
    equal: usize,
    one_lsb: usize,
    worse: usize,
    max_abs_diff: f64,
}

const SCRIPT: &str = include_str!("../py/qonnx_check.py");

/// Runs every job through Python qonnx on `inputs` (`[jets, features]`, float32; a job may bring
/// its own), in one Python process, working in `dir`. `exact` says per job whether every
/// accumulator fits float32's mantissa.
pub fn qonnx_check(
    python: &Path,
    jobs: &[CheckJob],
    exact: &[bool],
    inputs: &ndarray::Array2<f32>,
    dir: &Path,
    rel: impl Fn(&Path) -> String,
) -> Result<Vec<QonnxCheck>> {
    let script = dir.join("qonnx_check.py");
    std::fs::write(&script, SCRIPT).map_err(io(&script))?;
    let x = dir.join("inputs.npy");
    crate::store::write_npy(&x, inputs)?;
    let jobs_path = dir.join("jobs.json");
    std::fs::write(&jobs_path, serde_json::to_string_pretty(jobs).map_err(json(&jobs_path))?)
        .map_err(io(&jobs_path))?;
    let out_path = dir.join("qonnx_check.json");
    let out = Command::new(python).arg(&script).arg(&jobs_path).arg(&x).arg(&out_path).output().map_err(io(python))?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr);
        let last = text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("no message").to_string();
        return Err(Error::Tool { tool: format!("Python qonnx ({})", python.display()), message: last });
    }
    let text = std::fs::read_to_string(&out_path).map_err(io(&out_path))?;
    let got: Vec<CheckOut> = serde_json::from_str(&text).map_err(json(&out_path))?;
    if got.len() != jobs.len() {
        return Err(Error::Tool {
            tool: "Python qonnx".into(),
            message: format!("{} results for {} graphs in {}", got.len(), jobs.len(), out_path.display()),
        });
    }
    Ok(got
        .into_iter()
        .zip(jobs.iter().zip(exact))
        .map(|(c, (job, &exact_expected))| QonnxCheck {
            model: c.model,
            onnx: rel(&job.onnx),
            outputs: c.outputs,
            exact_expected,
            equal: c.equal,
            one_lsb: c.one_lsb,
            worse: c.worse,
            max_abs_diff: c.max_abs_diff,
        })
        .collect())
}
