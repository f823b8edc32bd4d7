//! Interop with the real Python tools (qonnx 1.0.0, onnx 1.23.2, onnxruntime 1.32.0; installed by
//! `scripts/setup-python.sh`): files written by qonnx-ir pass `onnx.checker`, Python `onnx`
//! re-serializes them byte for byte, Python qonnx executes them with the same outputs, and the
//! QCDQ form runs in onnxruntime with outputs equal to the QONNX original.

mod common;

use ndarray::{ArrayD, Axis};
use ndarray_npy::{read_npy, write_npy};
use qonnx_ir::exec::{ExecOptions, execute};
use qonnx_ir::{Model, Tensor, transform};

fn inputs() -> (String, Tensor) {
    let doc = common::json("model-outputs/qkeras_jettagging.json");
    (doc["input_name"].as_str().unwrap().to_string(), common::tensor(&doc["inputs"]))
}

/// Our outputs, one row at a time, as one array.
fn ours(m: &Model, x: &Tensor, exact: bool) -> ArrayD<f32> {
    let name = m.graph.real_inputs()[0].name.clone();
    let rows: Vec<ArrayD<f32>> = x
        .as_f32()
        .unwrap()
        .outer_iter()
        .map(|r| {
            let t = Tensor::F32(r.insert_axis(Axis(0)).to_owned());
            let o = execute(m, &[(name.as_str(), t)], &ExecOptions { exact, any_batch: true, ..Default::default() })
                .unwrap();
            o.outputs[0].1.as_f32().unwrap().clone()
        })
        .collect();
    let views: Vec<_> = rows.iter().map(|a| a.view()).collect();
    ndarray::concatenate(Axis(0), &views).unwrap()
}

fn strip_softmax(m: &mut Model) {
    let out = m.graph.outputs[0].name.clone();
    let i = m.graph.producer(&out).unwrap();
    assert_eq!(m.graph.nodes[i].op_type, "Softmax");
    let n = m.graph.nodes.remove(i);
    rename_output(m, &n.inputs[0], &out);
}

fn rename_output(m: &mut Model, from: &str, to: &str) {
    m.graph.value_info.retain(|v| v.name != from);
    transform::rename_tensor(m, from, to);
}

fn assert_bits_eq(a: &ArrayD<f32>, b: &ArrayD<f32>, what: &str) {
    assert_eq!(a.shape(), b.shape(), "{what}: shapes");
    for (i, (x, y)) in a.iter().zip(b).enumerate() {
        assert_eq!(x.to_bits(), y.to_bits(), "{what}: element {i}: {x} vs {y}");
    }
}

#[test]
fn written_models_pass_checker_and_reserialize_identically() {
    let Some(py) = common::reference_python() else { return };
    let dir = common::tmpdir("checker");
    for name in common::MODELS {
        let mut m = Model::load(common::testdata(format!("models/{name}.onnx"))).unwrap();
        transform::cleanup(&mut m).unwrap();
        let path = dir.join(format!("{name}_clean.onnx"));
        m.save(&path).unwrap();
        assert_eq!(common::py(&py, &["check", path.to_str().unwrap()]).trim(), "ok", "{name}");
        let again = dir.join(format!("{name}_again.onnx"));
        common::py(&py, &["reserialize", path.to_str().unwrap(), again.to_str().unwrap()]);
        assert!(
            std::fs::read(&again).unwrap() == m.to_bytes(),
            "{name}: Python onnx re-serializes our file differently"
        );
    }
}

#[test]
fn cleaned_qonnx_model_runs_identically_in_python_qonnx() {
    let Some(py) = common::reference_python() else { return };
    let dir = common::tmpdir("qonnx-exec");
    let (_, x) = inputs();
    let mut m = Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap();
    transform::cleanup(&mut m).unwrap();
    strip_softmax(&mut m);
    let path = dir.join("clean_logits.onnx");
    m.save(&path).unwrap();
    let xin = dir.join("x.npy");
    write_npy(&xin, x.as_f32().unwrap()).unwrap();
    let yout = dir.join("y.npy");
    common::py(&py, &["qonnx", path.to_str().unwrap(), xin.to_str().unwrap(), yout.to_str().unwrap()]);
    let theirs: ArrayD<f32> = read_npy(&yout).unwrap();
    assert_bits_eq(&ours(&m, &x, false), &theirs, "qonnx logits");
    assert_bits_eq(&ours(&m, &x, true), &theirs, "qonnx logits (exact mode)");
}

#[test]
fn cleaned_float_models_run_identically_in_onnxruntime() {
    let Some(py) = common::reference_python() else { return };
    let dir = common::tmpdir("ort-float");
    for name in ["three_layer_keras", "three_layer_pytorch", "three_layer_bn_pytorch"] {
        let doc = common::json(&format!("model-outputs/{name}.json"));
        let x = common::tensor(&doc["inputs"]);
        let mut m = Model::load(common::testdata(format!("models/{name}.onnx"))).unwrap();
        transform::cleanup(&mut m).unwrap();
        if name != "three_layer_keras" {
            // The PyTorch exports bake in batch 789444; run at batch 1 as the reference did.
            let t = m.graph.inputs[0].clone();
            let mut dims = t.shape().unwrap();
            dims[0] = qonnx_ir::Dim::Value(1);
            m.graph.inputs[0].set_tensor_type(t.elem_type(), Some(&dims));
            m.graph.value_info.clear();
            let mut o = m.graph.outputs[0].clone();
            o.set_tensor_type(o.elem_type(), None);
            m.graph.outputs[0] = o;
            transform::infer_shapes(&mut m).unwrap();
        }
        let path = dir.join(format!("{name}.onnx"));
        m.save(&path).unwrap();
        let xin = dir.join("x.npy");
        write_npy(&xin, x.as_f32().unwrap()).unwrap();
        let yout = dir.join("y.npy");
        common::py(&py, &["ort", path.to_str().unwrap(), xin.to_str().unwrap(), yout.to_str().unwrap()]);
        let theirs: ArrayD<f32> = read_npy(&yout).unwrap();
        let mine = ours(&m, &x, false);
        for (a, b) in mine.iter().zip(&theirs) {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1e-3), "{name}: {a} vs {b}");
        }
    }
}

#[test]
fn qcdq_form_in_onnxruntime_equals_qonnx_original() {
    let Some(py) = common::reference_python() else { return };
    let dir = common::tmpdir("qcdq");
    let (_, x) = inputs();
    let mut m = Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap();
    transform::cleanup(&mut m).unwrap();
    strip_softmax(&mut m);
    let original = ours(&m, &x, false);
    let mut q = m.clone();
    let report = transform::qonnx_to_qcdq(&mut q).unwrap();
    assert_eq!(report.converted, 11, "skipped: {:?}", report.skipped);
    assert!(q.graph.nodes.iter().all(|n| !n.is_qonnx()));
    transform::infer_shapes(&mut q).unwrap();
    let path = dir.join("qcdq.onnx");
    q.save(&path).unwrap();
    assert_eq!(common::py(&py, &["check", path.to_str().unwrap()]).trim(), "ok");
    let xin = dir.join("x.npy");
    write_npy(&xin, x.as_f32().unwrap()).unwrap();
    let yout = dir.join("y.npy");
    common::py(&py, &["ort", path.to_str().unwrap(), xin.to_str().unwrap(), yout.to_str().unwrap()]);
    let theirs: ArrayD<f32> = read_npy(&yout).unwrap();
    assert_bits_eq(&original, &theirs, "onnxruntime on QCDQ vs qonnx-ir on QONNX");
    // And our own executor agrees on the QCDQ form, and on the QONNX form converted back.
    assert_bits_eq(&ours(&q, &x, false), &original, "qonnx-ir on QCDQ");
    let mut back = q.clone();
    assert_eq!(transform::qcdq_to_qonnx(&mut back).unwrap(), 11);
    assert_bits_eq(&ours(&back, &x, false), &original, "QCDQ converted back to QONNX");
}

#[test]
fn bops_match_the_formula_evaluated_by_python_qonnx() {
    let Some(py) = common::reference_python() else { return };
    let mut m = Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap();
    transform::cleanup(&mut m).unwrap();
    let dir = common::tmpdir("bops");
    let path = dir.join("clean.onnx");
    m.save(&path).unwrap();
    let theirs: serde_json::Value = serde_json::from_str(&common::py(&py, &["bops", path.to_str().unwrap()])).unwrap();
    let theirs = theirs.as_array().unwrap();
    let ours = qonnx_ir::cost::analyze(&m).unwrap();
    assert_eq!(ours.layers.len(), theirs.len());
    assert_eq!(ours.layers.len(), 4);
    for (l, t) in ours.layers.iter().zip(theirs) {
        assert_eq!(l.node, t["node"].as_str().unwrap());
        assert_eq!(u64::from(l.weight_bits), t["b_w"].as_u64().unwrap(), "{}", l.node);
        assert_eq!(u64::from(l.act_bits), t["b_a"].as_u64().unwrap(), "{}", l.node);
        assert_eq!(l.zero_fraction, t["zero_fraction"].as_f64().unwrap(), "{}", l.node);
        let b = t["bops"].as_f64().unwrap();
        assert!((l.bops - b).abs() <= 1e-9 * b, "{}: {} vs {b}", l.node, l.bops);
    }
    assert_eq!(ours.total_macs, 16 * 64 + 64 * 32 + 32 * 32 + 32 * 5);
    assert_eq!(ours.total_weight_bits, ours.total_macs * 6);
}

#[test]
fn qonnx_figures_equal_python_qonnx_inference_cost_on_every_test_model() {
    let Some(py) = common::reference_python() else { return };
    let dir = common::tmpdir("inference-cost");
    // The vendored models as they are, and the QKeras tagger in QCDQ form.
    let mut models: Vec<(String, Model)> = common::MODELS
        .iter()
        .map(|m| (m.to_string(), Model::load(common::testdata(format!("models/{m}.onnx"))).unwrap()))
        .collect();
    let mut qcdq = Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap();
    transform::cleanup(&mut qcdq).unwrap();
    transform::qonnx_to_qcdq(&mut qcdq).unwrap();
    models.push(("qkeras_jettagging_qcdq".into(), qcdq));
    for (name, m) in &models {
        let path = dir.join(format!("{name}.onnx"));
        m.save(&path).unwrap();
        let theirs: serde_json::Value =
            serde_json::from_str(&common::py(&py, &["inference_cost", path.to_str().unwrap()])).unwrap();
        let ours = qonnx_ir::cost::analyze(m).unwrap();
        for f in [&ours.qonnx, &ours.qonnx_dense] {
            let t = &theirs[if f.discount_sparsity { "True" } else { "False" }];
            for (key, v) in [
                ("total_bops", f.total_bops),
                ("total_macs", f.total_macs),
                ("total_mem_w_bits", f.total_mem_w_bits),
                ("total_mem_w_elems", f.total_mem_w_elems),
            ] {
                let want = t[key].as_f64().unwrap();
                // Both sides are float64 sums of the same terms in another order.
                assert!(
                    (v - want).abs() <= 1e-9 * want.abs().max(1.0),
                    "{name} {key} (discount {}): {v} vs {want}",
                    f.discount_sparsity
                );
            }
        }
    }
    // The figures the issue quotes for the QKeras tagger, next to this project's definition.
    let r = qonnx_ir::cost::analyze(&models[0].1).unwrap();
    assert_eq!((r.qonnx.total_bops, r.qonnx.total_macs, r.qonnx.total_mem_w_bits), (228_768.0, 2_706.0, 16_236.0));
    assert_eq!((r.total_bops.round(), r.total_macs, r.total_weight_bits), (328_768.0, 4_256, 25_536));
}
