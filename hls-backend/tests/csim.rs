//! The chain is bit-exact: on 10,000 inputs, the emulator equals the C simulation of the
//! generated project (g++ with the Xilinx `ap_types` headers) and the `qonnx-ir` executor in
//! exact mode.

mod common;

use hls_backend::config::SoftmaxImpl;
use hls_backend::{Emulator, HlsConfig, lower::lower, writer::write_project};
use qonnx_ir::exec::{ExecOptions, execute};
use qonnx_ir::{Model, Tensor};

const N: usize = 10_000;

/// The QONNX model's logits on `x` by `qonnx-ir` in exact mode.
fn qonnx_logits(m: &Model, x: &[f64], k: usize) -> Vec<f64> {
    let mut m = m.clone();
    qonnx_ir::transform::cleanup(&mut m).unwrap();
    let out = m.graph.outputs[0].name.clone();
    let sm = m.graph.producer(&out).unwrap();
    assert_eq!(m.graph.nodes[sm].op_type, "Softmax");
    let node = m.graph.nodes.remove(sm);
    m.graph.outputs[0].name = node.inputs[0].clone();
    let input = m.graph.real_inputs()[0].name.clone();
    let t = Tensor::from_f32(&[x.len() / k, k], x.iter().map(|&v| v as f32).collect()).unwrap();
    let r = execute(&m, &[(input.as_str(), t)], &ExecOptions { exact: true, any_batch: true, ..Default::default() })
        .unwrap();
    r.outputs[0].1.to_f64().iter().copied().collect()
}

#[test]
fn qkeras_jet_tagger_emulator_equals_csim_equals_qonnx_executor() {
    let Some(ap) = common::ap_types() else { return };
    let model = Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap();
    let x = common::grid_inputs(N, 16, 42);
    let cfg = HlsConfig { name: "jet_logits".into(), softmax: SoftmaxImpl::Skip, ..Default::default() };
    let hls = lower(&model, &cfg).unwrap();
    let emu = Emulator::new(&hls).run(&x).unwrap().values();
    // The inputs are on the input type's grid, so the executor sees the same numbers.
    assert_eq!(Emulator::new(&hls).quantize_inputs(&x).iter().map(|&r| hls.input_type.value(r)).collect::<Vec<_>>(), x);
    let exec = qonnx_logits(&model, &x, 16);
    assert_eq!(emu.len(), N * 5);
    let diff = emu.iter().zip(&exec).filter(|(a, b)| a != b).count();
    assert_eq!(diff, 0, "emulator vs qonnx-ir exact: {diff} of {} differ", emu.len());
    let dir = common::tmpdir("qkeras").join("prj");
    write_project(&hls, &cfg, &dir, &x, None).unwrap();
    let sim = common::csim(&dir, "jet_logits", &ap);
    assert_eq!(sim.len(), emu.len());
    let diff = sim.iter().zip(&emu).filter(|(a, b)| a != b).count();
    assert_eq!(diff, 0, "csim vs emulator: {diff} of {} differ", emu.len());
}

#[test]
fn table_softmax_and_argmax_emulator_equals_csim() {
    let Some(ap) = common::ap_types() else { return };
    let model = Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap();
    let x = common::grid_inputs(2_000, 16, 7);
    for (softmax, name) in [(SoftmaxImpl::Lut, "jet_softmax"), (SoftmaxImpl::Argmax, "jet_argmax")] {
        let cfg = HlsConfig { name: name.into(), softmax, ..Default::default() };
        let hls = lower(&model, &cfg).unwrap();
        let emu = Emulator::new(&hls).run(&x).unwrap().values();
        let mut dir = common::tmpdir(name).join("prj");
        if softmax == SoftmaxImpl::Argmax {
            // A project given by a relative path (as `jet-tagging reproduce --out study` gives).
            dir = relative(&dir);
        }
        write_project(&hls, &cfg, &dir, &x, None).unwrap();
        let sim = common::csim(&dir, name, &ap);
        assert_eq!(sim, emu, "{name}");
        if softmax == SoftmaxImpl::Lut {
            // The table softmax is a softmax: rows sum to about one.
            for row in emu.chunks(5) {
                let s: f64 = row.iter().sum();
                assert!((s - 1.0).abs() < 0.02, "{row:?}");
            }
        }
    }
}

/// A relative path to a folder in `path` (absolute): up from the working directory to the root,
/// then down, to a folder nested deeper than the working directory, so that the relative path
/// leads elsewhere from any folder below it (as the project's own folder is).
fn relative(path: &std::path::Path) -> std::path::PathBuf {
    let cwd = std::env::current_dir().unwrap();
    let mut deep = path.to_path_buf();
    while deep.components().count() <= cwd.components().count() + 1 {
        deep.push("deeper");
    }
    let up: std::path::PathBuf = cwd.components().skip(1).map(|_| "..").collect();
    let rel = up.join(deep.strip_prefix("/").unwrap());
    assert!(rel.is_relative());
    rel
}
