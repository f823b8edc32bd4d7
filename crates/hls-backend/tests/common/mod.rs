//! Shared test helpers: test data, the `ap_types` headers, g++ C simulation.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// `../shared/testdata/<rel>`.
pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata").join(rel)
}

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Fails in CI (`CI=true`), else prints why the test is skipped and returns `None`.
pub fn missing<T>(what: &str) -> Option<T> {
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{what} (run scripts/setup-python.sh)");
    }
    eprintln!("skipping: {what} (run scripts/setup-python.sh)");
    None
}

/// The Xilinx `ap_types` headers shipped in the hls4ml wheel (`HLS_AP_TYPES`, else the
/// `.venv-ref` that `scripts/setup-python.sh` makes).
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
    found.or_else(|| missing(&format!("ap_types headers not found under {}", lib.display())))
}

/// The Python interpreter with the reference tools.
pub fn python() -> Option<PathBuf> {
    let p =
        std::env::var_os("QONNX_REF_PYTHON").map(PathBuf::from).unwrap_or_else(|| root().join(".venv-ref/bin/python"));
    if p.exists() { Some(p) } else { missing(&format!("reference Python not found at {}", p.display())) }
}

/// A fresh temporary directory.
pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("hls-backend-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Compiles the project's testbench with g++ and runs it on its `tb_data`; returns the outputs.
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
    let text = std::fs::read_to_string(project.join("tb_data/csim_results.log")).unwrap();
    text.split_whitespace().map(|v| v.parse::<f64>().unwrap()).collect()
}

/// `n` seeded inputs of `k` features on a 2^−10 grid in [−8, 8).
pub fn grid_inputs(n: usize, k: usize, seed: u64) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n * k).map(|_| f64::from(rng.gen_range(-8192i32..8192)) / 1024.0).collect()
}
