//! Finding the external tools, and the g++ C simulation of a generated HLS project.

use std::path::{Path, PathBuf};

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
/// `.venv-ref` (`hls_backend::csim::find_ap_types`).
pub fn ap_types() -> Option<PathBuf> {
    let venv = root().join(".venv-ref");
    hls_backend::csim::find_ap_types(std::slice::from_ref(&venv))
        .or_else(|| skip(&format!("ap_types headers not found in {} (run scripts/setup-python.sh)", venv.display())))
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
/// the `ap_types` headers in `ap`, runs it on its `tb_data`, and returns the outputs it wrote
/// (`hls_backend::csim::run_csim`).
///
/// # Panics
/// When g++ or the testbench fails (the test fails, with the compiler's messages).
pub fn csim(project: &Path, name: &str, ap: &Path) -> Vec<f64> {
    hls_backend::csim::run_csim(project, name, ap).unwrap_or_else(|e| panic!("C simulation: {e}"))
}

/// Icarus Verilog's `iverilog` (`hls_backend::rtl::sim::find_icarus`; installed by
/// `scripts/setup-system.sh`).
pub fn icarus() -> Option<PathBuf> {
    hls_backend::rtl::sim::find_icarus()
        .or_else(|| skip("iverilog not found (run scripts/setup-system.sh, or apt-get install iverilog)"))
}

/// Yosys (`hls_backend::rtl::synth::find_yosys`; installed by `scripts/setup-system.sh`).
pub fn yosys() -> Option<PathBuf> {
    hls_backend::rtl::synth::find_yosys()
        .map(|(p, _)| p)
        .or_else(|| skip("yosys not found (run scripts/setup-system.sh, or apt-get install yosys)"))
}
