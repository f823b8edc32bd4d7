//! Loads a QONNX model, cleans it up, prints its dense-layer costs, converts it to QCDQ and checks
//! that both forms give the same outputs.
//!
//! `cargo run -p qonnx-ir --example inspect_and_run [model.onnx]`
//! (defaults to `testdata/models/qkeras_jettagging.onnx`).

use qonnx_ir::exec::{ExecOptions, execute};
use qonnx_ir::{Model, Tensor, cost, transform};

fn main() -> Result<(), qonnx_ir::Error> {
    let default = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/models/qkeras_jettagging.onnx");
    let path = std::env::args().nth(1).unwrap_or_else(|| default.into());
    let mut model = Model::load(&path)?;
    transform::cleanup(&mut model)?;
    let report = cost::analyze(&model)?;
    for l in &report.layers {
        println!(
            "{:<10} {:>3}→{:<3} w{} a{}  {:>8.0} BOPs",
            l.node, l.inputs, l.outputs, l.weight_bits, l.act_bits, l.bops
        );
    }
    println!("total {:.0} BOPs, {} weight bits", report.total_bops, report.total_weight_bits);

    let mut qcdq = model.clone();
    let r = transform::qonnx_to_qcdq(&mut qcdq)?;
    println!("{} quantizers converted to QCDQ, {} kept", r.converted, r.skipped.len());

    let input = model.graph.real_inputs()[0].name.clone();
    let x = Tensor::from_f32(&[4, 16], (0..64).map(|i| (i as f32 * 0.37).sin()).collect())?;
    let opts = ExecOptions { any_batch: true, ..Default::default() };
    let a = execute(&model, &[(input.as_str(), x.clone())], &opts)?;
    let b = execute(&qcdq, &[(input.as_str(), x)], &opts)?;
    println!("QONNX and QCDQ outputs identical: {}", a.outputs[0].1 == b.outputs[0].1);
    Ok(())
}
