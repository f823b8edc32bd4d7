//! The co-design chain on a small MLP: train, Hessian traces, ILP under a BOPs budget,
//! mixed-precision fine-tuning, QONNX, HLS, checked bit for bit (`cargo run -p hawq --example chain`).

use burn::module::AutodiffModule;
use hawq::hawq_core::backend::{Cpu, CpuTrain};
use hawq::hawq_core::hessian::{
    HessianData, Hvp, SensitivityOptions, TraceConfig, hutchinson_trace, sensitivity_table,
};
use hawq::hawq_core::train::{TrainConfig, train};
use hawq::hawq_core::{Dataset, QuantConfig, export};
use hawq::hawq_ilp::{Budget, SolveOptions, solve};
use hawq::hls_backend::{Emulator, HlsConfig, lower::lower};
use hawq::qonnx_ir::{
    Tensor,
    exec::{ExecOptions, execute},
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A small MLP for FPGA firmware (power-of-two scales), trained at 8 bits on 16-feature data.
    let (data, test) = Dataset::synthetic_blobs(4000, 16, 5, 2.0, 1)?.split(0.25, 2);
    let tc = TrainConfig { epochs: 4, batch_size: 64, learning_rate: 3e-3, ..Default::default() };
    let model = QuantConfig::fpga(&[16, 32, 16, 5], 8).init::<CpuTrain>(&Default::default(), 1)?;
    let model = train(model, &data, None, &tc, &mut |_| {})?.model;
    // Per-layer Hessian traces → sensitivity Ω for every (weight, input) width → ILP under BOPs.
    let batches = HessianData::<Cpu>::new(&data, 500, &Default::default())?;
    let traces = hutchinson_trace(&Hvp::new(model.clone()), &batches, &TraceConfig::default(), &mut |_| {})?;
    let table = sensitivity_table(&model, &traces, &SensitivityOptions::grid(&[3, 4, 6, 8], &[4, 6, 8]))?;
    let mut problem = table.to_problem();
    problem.budgets.push(Budget::new("bops", 60_000.0));
    let solution = solve(&problem, &SolveOptions::default())?;
    // Mixed-precision QAT, warm-started from the trained model; the integer-only engine; QONNX.
    let mixed = table.apply(&model.config, &solution)?;
    let mixed = model.with_bits(&mixed.layers)?;
    let int = train(mixed, &data, None, &tc, &mut |_| {})?.model.valid().freeze().to_integer()?;
    let qonnx = export::export_qonnx(&int, &export::ExportOptions::default())?;
    // Firmware: the bit-accurate emulator of the HLS model equals the integer engine.
    let hls = lower(&qonnx, &HlsConfig::default())?;
    let x: Vec<f64> = test.features.iter().map(|&v| f64::from(v)).collect();
    let emulated = Emulator::new(&hls).run(&x)?.values();
    let engine = int.forward_int(&int.quantize_input(&test.features)?)?;
    let s = f64::from(int.output_scale());
    assert!(emulated.iter().zip(&engine).all(|(e, q)| *e == *q as f64 * s));
    // … and `qonnx exec --exact` on the exported graph.
    let t = Tensor::from_f32(&[test.len(), 16], test.features.clone())?;
    let exact =
        execute(&qonnx, &[(export::INPUT, t)], &ExecOptions { exact: true, any_batch: true, ..Default::default() })?;
    assert!(exact.outputs[0].1.to_f64().iter().zip(&emulated).all(|(a, b)| a == b));
    let bits: Vec<u32> = int.layers.iter().map(|l| l.weight_bits).collect();
    assert!(bits.iter().any(|&b| b != bits[0]), "mixed precision: {bits:?}");
    println!("weight bits {bits:?}: {} outputs equal in the engine, QONNX and the firmware model", engine.len());
    Ok(())
}
