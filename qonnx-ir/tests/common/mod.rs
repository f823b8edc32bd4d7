//! Helpers of the integration tests: JSON fixture readers and the reference script; paths and
//! tools come from `test-support`.
#![allow(dead_code, unused_imports)]

use std::path::PathBuf;

use qonnx_ir::Tensor;
use serde_json::Value;

pub use test_support::{json, reference_python, testdata};

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

/// Runs `tests/py/reference.py` with `args`; panics with its stderr on failure.
pub fn py(python: &std::path::Path, args: &[&str]) -> String {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/py/reference.py");
    let out = std::process::Command::new(python).arg(script).args(args).output().expect("running python");
    assert!(out.status.success(), "reference.py {args:?} failed:\n{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh temporary directory for one test.
pub fn tmpdir(name: &str) -> PathBuf {
    test_support::tmpdir("qonnx-ir-test", name)
}
