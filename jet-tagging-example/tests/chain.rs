//! The whole chain on a model exported by `hawq-core` (power-of-two scales, 8 bits, 16-bit
//! inputs, trained one epoch on simulated jets): `hls-backend` lowers the QONNX export, and on
//! every test jet of the built-in sample the emulator, the C simulation of the generated firmware
//! (g++ with `ap_types`) and `qonnx-ir`'s exact-mode executor give the same bits.

mod common;

use burn::module::AutodiffModule;
use hawq_core::backend::CpuTrain;
use hawq_core::export::{ExportOptions, INPUT, export_qonnx};
use hawq_core::train::{TrainConfig, train};
use hawq_core::{QuantConfig, ScaleMode};
use hls_backend::{Emulator, HlsConfig, lower::lower, writer::write_project};
use qonnx_ir::Tensor;
use qonnx_ir::exec::{ExecOptions, execute};
use test_support::{Split, ap_types, csim};

#[test]
fn hawq_core_export_emulator_equals_csim_equals_qonnx_executor_on_every_test_jet() {
    let Some(ap) = ap_types() else { return };
    let test = common::jets(Split::Test, usize::MAX);
    let (part, _) = test.split(0.5, 4);
    let config = QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).with_scale_mode(ScaleMode::PowerOfTwo);
    let model = config.init::<CpuTrain>(&Default::default(), 5).unwrap();
    let tc = TrainConfig { epochs: 1, batch_size: 256, learning_rate: 3e-3, ..Default::default() };
    let trained = train(model, &part, None, &tc, &mut |_| {}).unwrap().model.valid().freeze();
    let int = trained.to_integer().unwrap();
    let qonnx = export_qonnx(&int, &ExportOptions::default()).unwrap();

    // The exported input Quant gives the firmware's input type: no input precision to choose.
    let cfg = HlsConfig { name: "hawq_jet".into(), ..Default::default() };
    let hls = lower(&qonnx, &cfg).unwrap();
    let x: Vec<f64> = test.features.iter().map(|&v| f64::from(v)).collect();
    let emu = Emulator::new(&hls).run(&x).unwrap().values();

    let t = Tensor::from_f32(&[test.len(), test.n_features], test.features.clone()).unwrap();
    let r =
        execute(&qonnx, &[(INPUT, t)], &ExecOptions { exact: true, any_batch: true, ..Default::default() }).unwrap();
    let exec: Vec<f64> = r.outputs[0].1.to_f64().iter().copied().collect();
    assert_eq!(emu.len(), exec.len());
    assert!(emu.len() >= 10_000 * 5);
    let diff = emu.iter().zip(&exec).filter(|(a, b)| a != b).count();
    assert_eq!(diff, 0, "emulator vs qonnx-ir exact: {diff} of {} differ", emu.len());

    let dir = test_support::tmpdir("chain-test", "hawq_jet");
    write_project(&hls, &cfg, &dir, &x, None).unwrap();
    let sim = csim(&dir, "hawq_jet", &ap);
    let diff = sim.iter().zip(&emu).filter(|(a, b)| a != b).count();
    assert_eq!((sim.len(), diff), (emu.len(), 0), "csim vs emulator");
    let _ = std::fs::remove_dir_all(&dir);
}
