//! The exported QONNX run by Python qonnx (`execute_onnx`, float32 numpy): exactly the integer
//! engine when every accumulator fits in 24 bits, within one output LSB otherwise. Needs the
//! reference environment (`bash scripts/setup-python.sh`, or `QONNX_REF_PYTHON`); skipped
//! without it, except under `CI=true`, where a missing interpreter fails the test.

mod common;

use common::integer_model;

use std::path::Path;
use std::process::Command;

use hawq_core::export::{ExportOptions, export_qonnx};
use hawq_core::{BitConfig, Dataset, IntegerMlp, QuantConfig, ScaleMode};
use ndarray::Array2;
use ndarray_npy::{read_npy, write_npy};

/// Runs the exported model in Python qonnx; returns (equal, total, worst |difference| in LSB).
fn run_python(python: &Path, int: &IntegerMlp, test: &Dataset, tag: &str) -> (usize, usize, i64) {
    let dir = std::env::temp_dir().join(format!("hawq-core-py-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (model_path, in_path, out_path) = (dir.join("model.onnx"), dir.join("x.npy"), dir.join("y.npy"));
    export_qonnx(int, &ExportOptions::default()).unwrap().save(&model_path).unwrap();
    let x = Array2::from_shape_vec((test.len(), test.n_features), test.features.clone()).unwrap();
    write_npy(&in_path, &x).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/py/run_qonnx.py");
    let out = Command::new(python).args([script]).arg(&model_path).arg(&in_path).arg(&out_path).output().unwrap();
    assert!(out.status.success(), "python failed: {}", String::from_utf8_lossy(&out.stderr));
    let y: Array2<f32> = read_npy(&out_path).unwrap();
    let engine = int.forward_int(&int.quantize_input(&test.features).unwrap()).unwrap();
    let s = f64::from(int.output_scale());
    let (mut equal, mut worst) = (0, 0i64);
    for (v, q) in y.iter().zip(&engine) {
        let back = (f64::from(*v) / s).round_ties_even() as i64;
        equal += usize::from(back == *q);
        worst = worst.max((back - q).abs());
    }
    std::fs::remove_dir_all(&dir).ok();
    (equal, engine.len(), worst)
}

#[test]
fn python_qonnx_exact_when_accumulators_fit_24_bits() {
    let Some(python) = test_support::reference_python() else { return };
    let test = common::jets_test_standardised();
    let config =
        QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).with_scale_mode(ScaleMode::PowerOfTwo).with_input_bits(8);
    let int = integer_model(config, &test);
    let bits = int.max_accumulator_bits();
    assert!(bits <= 24, "worst-case accumulator {bits} bits");
    let (equal, total, worst) = run_python(&python, &int, &test, "exact");
    eprintln!("python qonnx, accumulators ≤ {bits} bits: {equal} of {total} outputs equal (worst {worst} LSB)");
    assert_eq!(equal, total);
}

#[test]
fn python_qonnx_within_one_lsb_for_wide_accumulators() {
    let Some(python) = test_support::reference_python() else { return };
    let test = common::jets_test_standardised();
    // One layer, 16-bit inputs and 16-bit weights: accumulators far beyond 24 bits.
    let mut config = QuantConfig::uniform(&[16, 5], 8).with_scale_mode(ScaleMode::PowerOfTwo);
    config.layers[0] = BitConfig { weight: 16, activation: 8, bias: 32 };
    let int = integer_model(config, &test);
    let bits = int.max_accumulator_bits();
    assert!(bits > 24, "worst-case accumulator {bits} bits");
    let (equal, total, worst) = run_python(&python, &int, &test, "wide");
    eprintln!("python qonnx, accumulators up to {bits} bits: {equal} of {total} outputs equal (worst {worst} LSB)");
    assert!(worst <= 1);
}
