//! The whole chain on a model exported by `hawq-core` (power-of-two scales, 8 bits, 16-bit
//! inputs, trained one epoch on simulated jets): `hls-backend` lowers the QONNX export, and on
//! every one of the 10,060 test jets the emulator, the C simulation of the generated firmware
//! (g++ with `ap_types`) and `qonnx-ir`'s exact-mode executor give the same bits.

use std::path::{Path, PathBuf};
use std::process::Command;

use burn::module::AutodiffModule;
use hawq_core::backend::CpuTrain;
use hawq_core::export::{ExportOptions, INPUT, export_qonnx};
use hawq_core::train::{TrainConfig, train};
use hawq_core::{Dataset, QuantConfig, ScaleMode};
use hls_backend::{Emulator, HlsConfig, lower::lower, writer::write_project};
use ndarray::Array2;
use ndarray_npy::read_npy;
use qonnx_ir::Tensor;
use qonnx_ir::exec::{ExecOptions, execute};

const JETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/simulated-jets");

fn jets(name: &str) -> Dataset {
    let x: Array2<f32> = read_npy(format!("{JETS}/X_{name}.npy")).unwrap();
    let y: Array2<f32> = read_npy(format!("{JETS}/y_{name}.npy")).unwrap();
    // Standardise each feature (the raw features span several orders of magnitude).
    let mut x = x;
    for mut col in x.columns_mut() {
        let n = col.len() as f32;
        let mean = col.sum() / n;
        let sd = (col.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / n).sqrt().max(1e-6);
        col.mapv_inplace(|v| (v - mean) / sd);
    }
    let t: Vec<f32> = y.iter().copied().collect();
    Dataset::from_one_hot(name, x.iter().copied().collect(), &t, x.ncols(), y.ncols()).unwrap()
}

fn ap_types() -> Option<PathBuf> {
    let lib = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.venv-ref/lib");
    let found = std::fs::read_dir(&lib).ok().and_then(|rd| {
        rd.flatten()
            .map(|e| e.path().join("site-packages/hls4ml/templates/vivado/ap_types"))
            .find(|p| p.join("ap_fixed.h").exists())
    });
    if found.is_none() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "ap_types not found under {} (scripts/setup-python.sh)",
            lib.display()
        );
        eprintln!("skipping: ap_types not found (scripts/setup-python.sh)");
    }
    found
}

fn csim(project: &Path, name: &str, ap: &Path) -> Vec<f64> {
    let exe = project.join("csim");
    let out = Command::new("g++")
        .args(["-std=c++14", "-O1", "-w"])
        .arg(format!("-I{}", ap.display()))
        .arg(format!("-I{}", project.join("firmware").display()))
        .arg(project.join(format!("{name}_test.cpp")))
        .arg(project.join(format!("firmware/{name}.cpp")))
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap();
    assert!(out.status.success(), "g++: {}", String::from_utf8_lossy(&out.stderr));
    let run = Command::new(&exe).current_dir(project).output().unwrap();
    assert!(run.status.success(), "csim: {}", String::from_utf8_lossy(&run.stderr));
    std::fs::read_to_string(project.join("tb_data/csim_results.log"))
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect()
}

#[test]
fn hawq_core_export_emulator_equals_csim_equals_qonnx_executor_on_every_test_jet() {
    let Some(ap) = ap_types() else { return };
    let test = jets("test");
    let (part, _) = test.split(0.5, 4);
    let config = QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).with_scale_mode(ScaleMode::PowerOfTwo);
    let model = config.init::<CpuTrain>(&Default::default(), 5).unwrap();
    let tc = TrainConfig { epochs: 1, batch_size: 256, learning_rate: 3e-3, ..Default::default() };
    let trained = train(model, &part, None, &tc, &mut |_| {}).unwrap().model.valid().freeze();
    let int = trained.to_integer().unwrap();
    let qonnx = export_qonnx(&int, &ExportOptions::default()).unwrap();

    // The input precision is wide enough to hold every float32 input exactly where it matters
    // (24 fractional bits beyond the input quantizer's), so the firmware's input cast followed by
    // the quantizing cast rounds exactly as the QONNX input Quant does.
    let cfg = HlsConfig { name: "hawq_jet".into(), input_precision: "ap_fixed<56,16>".into(), ..Default::default() };
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

    let dir = std::env::temp_dir().join(format!("chain-test-{}", std::process::id()));
    write_project(&hls, &cfg, &dir, &x, None).unwrap();
    let sim = csim(&dir, "hawq_jet", &ap);
    let diff = sim.iter().zip(&emu).filter(|(a, b)| a != b).count();
    assert_eq!((sim.len(), diff), (emu.len(), 0), "csim vs emulator");
    let _ = std::fs::remove_dir_all(&dir);
}
