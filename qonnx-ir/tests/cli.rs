//! The `qonnx` command line: each subcommand on the real QONNX model. Its errors (one line, a
//! non-zero exit, no output left) are in the workspace's catalogue of bad input,
//! `jet-tagging-example/tests/catalogue/cli.rs`.

mod common;

use std::process::Command;

use ndarray::ArrayD;
use ndarray_npy::{read_npy, write_npy};

fn qonnx(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qonnx")).args(args).output().unwrap()
}

fn ok(args: &[&str]) -> String {
    let out = qonnx(args);
    assert!(out.status.success(), "qonnx {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn cleanup_inspect_exec_convert_cost() {
    let dir = common::tmpdir("cli");
    let model = common::testdata("models/qkeras_jettagging.onnx");
    let (m, clean, qcdq) = (model.to_str().unwrap(), dir.join("clean.onnx"), dir.join("qcdq.onnx"));
    ok(&["cleanup", m, clean.to_str().unwrap()]);
    let table = ok(&["inspect", clean.to_str().unwrap()]);
    assert!(table.contains("Quant_8") && table.contains("SCALEDINT<6>") && table.contains("global_out"), "{table}");
    ok(&["convert", "--to", "qcdq", clean.to_str().unwrap(), qcdq.to_str().unwrap()]);
    let cost = ok(&["cost", clean.to_str().unwrap()]);
    assert!(cost.contains("MatMul_3") && cost.contains("total"), "{cost}");
    let json: serde_json::Value = serde_json::from_str(&ok(&["cost", "--json", clean.to_str().unwrap()])).unwrap();
    assert_eq!(json["total_macs"], 4256);

    // exec on 64 reference inputs at batch 64, both forms give the same probabilities.
    let doc = common::json("model-outputs/qkeras_jettagging.json");
    let x = common::tensor(&doc["inputs"]);
    let xin = dir.join("x.npy");
    write_npy(&xin, x.as_f32().unwrap()).unwrap();
    let (y1, y2) = (dir.join("y1.npy"), dir.join("y2.npy"));
    ok(&[
        "exec",
        clean.to_str().unwrap(),
        "--input",
        xin.to_str().unwrap(),
        "--output",
        y1.to_str().unwrap(),
        "--batch",
        "64",
        "--exact",
    ]);
    ok(&[
        "exec",
        qcdq.to_str().unwrap(),
        "--input",
        xin.to_str().unwrap(),
        "--output",
        y2.to_str().unwrap(),
        "--batch",
        "64",
    ]);
    let (a, b): (ArrayD<f32>, ArrayD<f32>) = (read_npy(&y1).unwrap(), read_npy(&y2).unwrap());
    assert_eq!(a.shape(), &[64, 5]);
    assert_eq!(a, b);
}
