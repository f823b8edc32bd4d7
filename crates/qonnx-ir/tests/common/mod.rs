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
