//! The emulator against hls4ml's own conversion of the same QONNX file (hls4ml 1.3.0 convert +
//! compile + predict, input type `fixed<16,6>`, as wide as ours), on 10,000 inputs. Every
//! difference is counted and classified; the emulator itself equals `qonnx-ir` (see `csim.rs`).

mod common;

use std::process::Command;

use hls_backend::config::SoftmaxImpl;
use hls_backend::{Emulator, HlsConfig, lower::lower};
use ndarray::Array2;
use ndarray_npy::{read_npy, write_npy};

#[test]
fn emulator_vs_hls4ml_on_the_qkeras_jet_tagger() {
    let Some(py) = common::python() else { return };
    let model_path = common::testdata("models/qkeras_jettagging.onnx");
    let n = 10_000;
    let x = common::grid_inputs(n, 16, 11);
    let dir = common::tmpdir("hls4ml");
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    write_npy(&xp, &Array2::from_shape_vec((n, 16), x.iter().map(|&v| v as f32).collect()).unwrap()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/hls4ml_predict.py");
    let out = Command::new(&py).arg(script).args([&model_path, &xp, &yp, &dir.join("prj")]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let theirs: Array2<f64> = read_npy(&yp).unwrap();
    let cfg = HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() };
    let hls = lower(&qonnx_ir::Model::load(&model_path).unwrap(), &cfg).unwrap();
    let ours = Emulator::new(&hls).run(&x).unwrap().values();
    assert_eq!(theirs.len(), ours.len());
    let lsb = hls.output_type().value(1);
    let (mut equal, mut by_lsb) = (0usize, std::collections::BTreeMap::<i64, usize>::new());
    for (a, b) in ours.iter().zip(theirs.iter()) {
        if a == b {
            equal += 1;
        } else {
            *by_lsb.entry(((b - a) / lsb).round() as i64).or_default() += 1;
        }
    }
    let samples_differing = ours.chunks(5).zip(theirs.as_slice().unwrap().chunks(5)).filter(|(a, b)| a != b).count();
    let timing = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").to_string();
    eprintln!(
        "hls4ml vs emulator: {equal} of {} logits equal; {samples_differing} of {n} samples differ; differences in output LSBs ({lsb}): {by_lsb:?}\nhls4ml: {timing}",
        ours.len()
    );
    // Every logit is accounted for: equal, or off by a counted number of LSBs.
    assert_eq!(equal + by_lsb.values().sum::<usize>(), ours.len());
}
