//! Criterion benches that measure the workspace next to the Python reference tools
//! (onnxruntime, qonnx, hls4ml) in the same run and print the ratio. See `benches/benches/`.
//!
//! This library holds what the benches share: finding the reference Python environment, running
//! its scripts, loading the built-in jets, formatting the summary tables, and saving the results
//! the benchmark report is made of ([`report`]).

use std::path::{Path, PathBuf};
use std::process::Command;

use hawq_core::Dataset;

pub mod cpuid_cap;
pub mod peer;
pub mod report;
pub mod svg;

/// `cargo test --benches` runs each bench without the `--bench` argument: then the benches do a
/// quick smoke run instead of the full measurement.
pub fn smoke() -> bool {
    !std::env::args().any(|a| a == "--bench")
}

/// The workspace root.
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The Python interpreter with the reference tools (`test-support`'s finder: skipped visibly
/// outside CI, a failure in CI).
pub use test_support::reference_python;

/// Runs a Python script of `benches/py/` and parses the JSON object it prints last.
pub fn run_python(python: &Path, script: &str, args: &[&str]) -> Result<serde_json::Value, String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("py").join(script);
    let out = Command::new(python).arg(&path).args(args).output().map_err(|e| format!("running {script}: {e}"))?;
    if !out.status.success() {
        return Err(format!("{script} failed:\n{}", String::from_utf8_lossy(&out.stderr)));
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).unwrap_or_default();
    serde_json::from_str(last).map_err(|e| format!("{script} printed no JSON ({e}):\n{stdout}"))
}

/// The Python of the peers that only the benchmark report measures (JAX, PuLP + CBC):
/// `BENCH_PEERS_PYTHON`, else `.venv-peers/bin/python` (made by `scripts/setup-bench-peers.sh`).
/// `None`, with a visible line, when it is not there; the smoke runs never ask for it.
pub fn peers_python() -> Option<PathBuf> {
    let p = std::env::var_os("BENCH_PEERS_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join(".venv-peers/bin/python"));
    if p.exists() {
        Some(p)
    } else {
        println!("peers not measured: no {} (run scripts/setup-bench-peers.sh)", p.display());
        None
    }
}

/// Writes a data set as `x.npy` (float32, samples × features) and `labels.npy` (int64) in `dir`,
/// for a Python peer; returns both paths as strings.
pub fn write_dataset_npy(dir: &Path, data: &Dataset) -> (String, String) {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    let x = ndarray::Array2::from_shape_vec((data.len(), data.n_features), data.features.clone())
        .expect("a data set is samples × features");
    let labels = ndarray::Array1::from_iter(data.labels.iter().map(|&l| l as i64));
    let (xp, lp) = (dir.join("x.npy"), dir.join("labels.npy"));
    ndarray_npy::write_npy(&xp, &x).expect("writing x.npy");
    ndarray_npy::write_npy(&lp, &labels).expect("writing labels.npy");
    let s = |p: &Path| p.to_str().expect("UTF-8 temporary path").to_string();
    (s(&xp), s(&lp))
}

/// A split of the built-in jets, each feature standardised with the mean and deviation of the
/// training split.
pub fn jets(split: test_support::Split) -> Dataset {
    let j = test_support::jets(split);
    Dataset::from_one_hot(&format!("simulated jets ({split:?})"), j.features, &j.one_hot, j.n_features, j.n_classes)
        .expect("the built-in jets form a data set")
}

/// The median of `v` (which it sorts); NaN when empty.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    if v.len().is_multiple_of(2) { 0.5 * (v[m - 1] + v[m]) } else { v[m] }
}

/// Formats seconds with a unit that suits them; `—` for none.
pub fn fmt_s(s: Option<f64>) -> String {
    match s {
        None => "—".into(),
        Some(s) if s >= 1.0 => format!("{s:.3} s"),
        Some(s) if s >= 1e-3 => format!("{:.3} ms", s * 1e3),
        Some(s) => format!("{:.2} µs", s * 1e6),
    }
}

/// Formats a rate; `—` for none.
pub fn fmt_rate(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{r:.0}"))
}

/// Formats a ratio; `—` for none.
pub fn fmt_ratio(r: Option<f64>) -> String {
    r.map_or_else(|| "—".into(), |r| format!("{r:.2}×"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_lengths() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }

    #[test]
    fn formats() {
        assert_eq!(fmt_s(Some(2.5e-3)), "2.500 ms");
        assert_eq!(fmt_s(Some(1.5)), "1.500 s");
        assert_eq!(fmt_s(None), "—");
        assert_eq!(fmt_ratio(Some(2.0)), "2.00×");
    }
}
