//! Finding the external tools, and the g++ C simulation of a generated HLS project.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{root, skip};

/// The Python interpreter with the reference tools (qonnx, onnx, onnxruntime, hls4ml):
/// `QONNX_REF_PYTHON`, else `.venv-ref/bin/python` (made by `scripts/setup-python.sh`).
pub fn reference_python() -> Option<PathBuf> {
    let p =
        std::env::var_os("QONNX_REF_PYTHON").map(PathBuf::from).unwrap_or_else(|| root().join(".venv-ref/bin/python"));
    if p.exists() {
        Some(p)
    } else {
        skip(&format!("reference Python tools not found at {} (run scripts/setup-python.sh)", p.display()))
    }
}

/// The Xilinx `ap_types` headers: `HLS_AP_TYPES`, else those in the hls4ml wheel of
/// `.venv-ref`.
pub fn ap_types() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("HLS_AP_TYPES") {
        return Some(PathBuf::from(p));
    }
    let lib = root().join(".venv-ref/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|rd| {
        rd.flatten()
            .map(|e| e.path().join("site-packages/hls4ml/templates/vivado/ap_types"))
            .find(|p| p.join("ap_fixed.h").exists())
    });
    found.or_else(|| skip(&format!("ap_types headers not found under {} (run scripts/setup-python.sh)", lib.display())))
}

/// The Python of the jet simulator (`JETSIM_PYTHON`, else `.venv-sim/bin/python`, made by
/// `scripts/setup-simulator.sh`).
pub fn simulator_python() -> Option<PathBuf> {
    let p = jet_data::simulate::default_python();
    if p.exists() {
        Some(p)
    } else {
        skip(&format!("simulator Python not found at {} (run scripts/setup-simulator.sh)", p.display()))
    }
}

/// Compiles the testbench of the HLS project in `project` (top function `name`) with g++ and
/// the `ap_types` headers in `ap`, runs it on its `tb_data`, and returns the outputs it wrote.
///
/// # Panics
/// When g++ or the testbench fails (the test fails, with the compiler's messages).
pub fn csim(project: &Path, name: &str, ap: &Path) -> Vec<f64> {
    let exe = project.join("csim");
    let out = Command::new("g++")
        .args(["-std=c++14", "-O1", "-w"])
        .arg(format!("-I{}", ap.display()))
        .arg(format!("-I{}", project.join("firmware").display()))
        .arg(project.join(format!("{name}_test.cpp")))
        .arg(project.join(format!("firmware/{name}.cpp")))
        .arg("-o")
        .arg(&exe)
        .output()
        .expect("g++ runs");
    assert!(out.status.success(), "g++ failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).current_dir(project).output().expect("csim runs");
    assert!(run.status.success(), "csim failed:\n{}", String::from_utf8_lossy(&run.stderr));
    let text = std::fs::read_to_string(project.join("tb_data/csim_results.log")).expect("csim_results.log");
    text.split_whitespace().map(|v| v.parse::<f64>().expect("a number in csim_results.log")).collect()
}
