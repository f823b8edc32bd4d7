//! A mixed-precision model trained by `hawq-core` becomes Verilog RTL (`hls_backend::rtl`), and
//! Icarus Verilog's simulation of that RTL equals the emulator and the integer engine on every
//! output of 10,000 test jets (a small model, so CI stays fast; the study checks the full ones).

use burn::module::AutodiffModule;
use hawq::hawq_core::backend::CpuTrain;
use hawq::hawq_core::export::{ExportOptions, export_qonnx};
use hawq::hawq_core::train::{TrainConfig, train};
use hawq::hawq_core::{Dataset, QuantConfig};
use hawq::hls_backend::config::SoftmaxImpl;
use hawq::hls_backend::rtl::{self, Pipeline, RtlConfig};
use hawq::hls_backend::{Emulator, HlsConfig, lower::lower};
use test_support::Split;

#[test]
fn rtl_of_a_mixed_precision_model_equals_the_integer_engine_on_10000_jets() {
    let Some(_) = test_support::icarus() else { return };
    let j = test_support::jets(Split::Test);
    let all = Dataset::from_one_hot("jets", j.features, &j.one_hot, j.n_features, j.n_classes).unwrap();
    let train_set = all.subset(&(10_000..13_000).collect::<Vec<_>>());
    let test = all.subset(&(0..10_000).collect::<Vec<_>>());

    let mut config = QuantConfig::fpga(&[16, 16, 8, 5], 8);
    for (layer, (w, a)) in config.layers.iter_mut().zip([(6, 8), (3, 5), (4, 9)]) {
        (layer.weight, layer.activation) = (w, a);
    }
    let model = config.init::<CpuTrain>(&Default::default(), 5).unwrap();
    let tc = TrainConfig { epochs: 1, batch_size: 256, learning_rate: 3e-3, ..Default::default() };
    let int = train(model, &train_set, None, &tc, &mut |_| {}).unwrap().model.valid().freeze().to_integer().unwrap();
    let qonnx = export_qonnx(&int, &ExportOptions::default()).unwrap();
    let cfg = HlsConfig { name: "mixed".into(), softmax: SoftmaxImpl::Skip, ..Default::default() };
    let hls = lower(&qonnx, &cfg).unwrap();

    let x: Vec<f64> = test.features.iter().map(|&v| f64::from(v)).collect();
    let emulator = Emulator::new(&hls);
    let ours = emulator.run(&x).unwrap();
    let engine = int.forward_int(&int.quantize_input(&test.features).unwrap()).unwrap();
    let s = f64::from(int.output_scale());
    assert!(ours.values().iter().zip(&engine).all(|(e, q)| *e == *q as f64 * s), "emulator vs integer engine");

    let dir = test_support::tmpdir("rtl-route", "mixed").join("rtl");
    let design = rtl::write_rtl(&hls, &RtlConfig { pipeline: Pipeline::Levels(3), share: true }, &dir, &x).unwrap();
    let sim = rtl::sim::run_icarus(&dir, "mixed").unwrap();
    assert_eq!(sim.len(), 50_000);
    let differ = sim.iter().zip(&ours.raw).filter(|(a, b)| a != b).count();
    assert_eq!(differ, 0, "Icarus vs emulator: {differ} of 50,000 outputs differ");
    assert!(design.report.latency_cycles > 1);
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}
