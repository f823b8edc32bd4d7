//! The paper's own route to firmware: a power-of-two, mixed-precision model exported by
//! `hawq-core` goes through hls4ml 1.3.0 as an hls4ml user runs it (qonnx `cleanup_model`,
//! `convert_from_onnx_model` with the Vitis backend and io_parallel, `compile`, `predict`; see
//! `tests/py/hls4ml_route.py`), and hls4ml's predictions equal our emulator — which equals the
//! integer engine — on every output of 2,000 test jets.

use burn::module::AutodiffModule;
use hawq::hawq_core::backend::CpuTrain;
use hawq::hawq_core::export::{ExportOptions, export_qonnx};
use hawq::hawq_core::train::{TrainConfig, train};
use hawq::hawq_core::{Dataset, QuantConfig};
use hawq::hls_backend::{Emulator, HlsConfig, lower::lower};
use ndarray::Array2;
use ndarray_npy::{read_npy, write_npy};
use test_support::Split;

#[test]
fn hls4ml_predicts_our_emulator_bit_for_bit_on_a_mixed_precision_fpga_export() {
    let Some(python) = test_support::reference_python() else { return };
    let j = test_support::jets(Split::Test);
    let all = Dataset::from_one_hot("jets", j.features, &j.one_hot, j.n_features, j.n_classes).unwrap();
    let data = all.subset(&(0..6000).collect::<Vec<_>>());
    let (train_set, test) = data.split(1.0 / 3.0, 7);
    assert!(test.len() >= 1000);

    // Mixed precision for firmware: per-layer weight and activation widths, power-of-two scales.
    let mut config = QuantConfig::fpga(&[16, 64, 32, 32, 5], 8);
    for (layer, (w, a)) in config.layers.iter_mut().zip([(6, 8), (4, 6), (3, 6), (8, 10)]) {
        (layer.weight, layer.activation) = (w, a);
    }
    let model = config.init::<CpuTrain>(&Default::default(), 3).unwrap();
    let tc = TrainConfig { epochs: 2, batch_size: 256, learning_rate: 3e-3, ..Default::default() };
    let int = train(model, &train_set, None, &tc, &mut |_| {}).unwrap().model.valid().freeze().to_integer().unwrap();
    let qonnx = export_qonnx(&int, &ExportOptions::default()).unwrap();

    // Our firmware model: the emulator, equal to the integer engine.
    let hls = lower(&qonnx, &HlsConfig::default()).unwrap();
    let x: Vec<f64> = test.features.iter().map(|&v| f64::from(v)).collect();
    let ours = Emulator::new(&hls).run(&x).unwrap().values();
    let engine = int.forward_int(&int.quantize_input(&test.features).unwrap()).unwrap();
    let s = f64::from(int.output_scale());
    assert!(ours.iter().zip(&engine).all(|(e, q)| *e == *q as f64 * s), "emulator vs integer engine");

    // hls4ml's conversion of the same file.
    let dir = test_support::tmpdir("hls4ml-route", "mixed");
    let (model_path, x_path, y_path) = (dir.join("model.onnx"), dir.join("x.npy"), dir.join("y.npy"));
    qonnx.save(&model_path).unwrap();
    write_npy(&x_path, &Array2::from_shape_vec((test.len(), 16), test.features.clone()).unwrap()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/hls4ml_route.py");
    let out = std::process::Command::new(&python)
        .arg(&script)
        .args([&model_path, &x_path, &y_path, &dir.join("prj")])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "hls4ml route failed: {stderr}");
    assert!(!stderr.contains("warning:"), "the export uses settings hls4ml cannot take exactly: {stderr}");
    let theirs: Array2<f64> = read_npy(&y_path).unwrap();
    assert_eq!(theirs.len(), ours.len());
    let differ = theirs.iter().zip(&ours).filter(|(a, b)| a != b).count();
    let timing = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").to_string();
    eprintln!("hls4ml vs emulator: {} of {} outputs equal\nhls4ml: {timing}", ours.len() - differ, ours.len());
    assert_eq!(differ, 0, "hls4ml predict vs our emulator: {differ} of {} outputs differ", ours.len());
    let _ = std::fs::remove_dir_all(&dir);
}
