//! Shared helpers of the integration tests: paths into `../shared/testdata` and JSON readers.
#![allow(dead_code)]

use std::path::PathBuf;

use qonnx_ir::Tensor;
use serde_json::Value;

/// `../shared/testdata` relative to the workspace root.
pub fn testdata(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata").join(rel)
}

/// Reads a JSON file from the test data.
pub fn json(rel: &str) -> Value {
    let p = testdata(rel);
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).unwrap()
}

/// Flattens nested JSON number arrays.
pub fn flat(v: &Value, out: &mut Vec<f64>) {
    match v {
        Value::Array(a) => a.iter().for_each(|x| flat(x, out)),
        Value::Number(n) => out.push(n.as_f64().unwrap()),
        _ => panic!("not a number: {v}"),
    }
}

/// A `{shape, data}` object as a float32 tensor.
pub fn tensor(v: &Value) -> Tensor {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let mut data = Vec::new();
    flat(&v["data"], &mut data);
    Tensor::from_f32(&shape, data.into_iter().map(|x| x as f32).collect()).unwrap()
}

/// The four reference models.
pub const MODELS: [&str; 4] =
    ["qkeras_jettagging", "three_layer_keras", "three_layer_pytorch", "three_layer_bn_pytorch"];

/// The Python interpreter with the reference tools (`scripts/setup-python.sh` makes it):
/// `QONNX_REF_PYTHON`, else `.venv-ref/bin/python` in the workspace. `None` (the test is skipped
/// with a message) only outside CI; in CI (`CI=true`) a missing interpreter fails the test.
pub fn reference_python() -> Option<PathBuf> {
    let p = std::env::var_os("QONNX_REF_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-ref/bin/python"));
    if p.exists() {
        return Some(p);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("reference Python tools not found at {} (run scripts/setup-python.sh)", p.display());
    }
    eprintln!("skipping: reference Python tools not found at {} (run scripts/setup-python.sh)", p.display());
    None
}

/// Runs `tests/py/reference.py` with `args`; panics with its stderr on failure.
pub fn py(python: &std::path::Path, args: &[&str]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/reference.py");
    let out = std::process::Command::new(python).arg(script).args(args).output().expect("running python");
    assert!(out.status.success(), "reference.py {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh temporary directory for one test.
pub fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qonnx-ir-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}
