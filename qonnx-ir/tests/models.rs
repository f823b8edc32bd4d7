//! The vendored models in `testdata/models/`: they load, save back byte for byte, execute,
//! and match the outputs the Python tools computed (`testdata/model-outputs/`, made by `scripts/make-fixtures.py`).

mod common;

use qonnx_ir::exec::{ExecOptions, execute};
use qonnx_ir::{Model, Tensor};

fn load(name: &str) -> Model {
    Model::load(common::testdata(format!("models/{name}.onnx"))).unwrap()
}

/// The model with its final Softmax removed (its input becomes the graph output).
fn logits_model(m: &Model) -> Model {
    let mut m = m.clone();
    let out = m.graph.outputs[0].name.clone();
    let i = m.graph.producer(&out).unwrap();
    assert_eq!(m.graph.nodes[i].op_type, "Softmax");
    let node = m.graph.nodes.remove(i);
    m.graph.outputs[0].name = node.inputs[0].clone();
    m
}

fn reference(name: &str) -> (serde_json::Value, Tensor) {
    let doc = common::json(&format!("model-outputs/{name}.json"));
    let x = common::tensor(&doc["inputs"]);
    (doc, x)
}

/// Runs the model one sample at a time (as the reference tools did) and returns all outputs.
fn run_rows(m: &Model, input: &str, x: &Tensor, exact: bool) -> Vec<f32> {
    let a = x.as_f32().unwrap();
    let mut out = Vec::new();
    for row in a.outer_iter() {
        let r = Tensor::F32(row.insert_axis(ndarray::Axis(0)).to_owned());
        let opts = ExecOptions { exact, any_batch: true, ..Default::default() };
        let res = execute(m, &[(input, r)], &opts).unwrap();
        out.extend(res.outputs[0].1.as_f32().unwrap().iter().copied());
    }
    out
}

fn want(doc: &serde_json::Value, key: &str) -> Vec<f32> {
    let bits = &doc[key]["f32_bits"];
    if let Some(b) = bits.as_array() {
        return b.iter().map(|h| f32::from_bits(u32::from_str_radix(h.as_str().unwrap(), 16).unwrap())).collect();
    }
    let mut v = Vec::new();
    common::flat(&doc[key]["data"], &mut v);
    v.into_iter().map(|x| x as f32).collect()
}

#[test]
fn every_model_saves_back_byte_identical() {
    for name in common::MODELS {
        let path = common::testdata(format!("models/{name}.onnx"));
        let bytes = std::fs::read(&path).unwrap();
        let m = Model::from_bytes(&bytes, name).unwrap();
        assert!(m.to_bytes() == bytes, "{name}: re-encoded bytes differ");
    }
}

#[test]
fn qonnx_jet_tagger_logits_bit_exact_and_softmax_within_ulps() {
    let m = load("qkeras_jettagging");
    let (doc, x) = reference("qkeras_jettagging");
    let input = doc["input_name"].as_str().unwrap();
    for exact in [false, true] {
        let logits = run_rows(&logits_model(&m), input, &x, exact);
        let want_logits = want(&doc, "logits");
        assert_eq!(logits.len(), want_logits.len());
        for (i, (g, w)) in logits.iter().zip(&want_logits).enumerate() {
            assert_eq!(g.to_bits(), w.to_bits(), "logit {i}: {g} vs {w} (exact={exact})");
        }
        let probs = run_rows(&m, input, &x, exact);
        for (i, (g, w)) in probs.iter().zip(want(&doc, "outputs")).enumerate() {
            let ulps = (g.to_bits() as i64 - w.to_bits() as i64).abs();
            assert!(ulps <= 4, "softmax {i}: {g} vs {w} ({ulps} ulps)");
        }
    }
}

#[test]
fn float_models_match_onnxruntime_within_1e5() {
    for name in ["three_layer_keras", "three_layer_pytorch", "three_layer_bn_pytorch"] {
        let m = load(name);
        let (doc, x) = reference(name);
        let input = doc["input_name"].as_str().unwrap();
        for (key, model) in [("outputs", m.clone()), ("logits", logits_model(&m))] {
            let got = run_rows(&model, input, &x, false);
            let want = want(&doc, key);
            assert_eq!(got.len(), want.len(), "{name}");
            for (i, (g, w)) in got.iter().zip(&want).enumerate() {
                let tol = 1e-5 * w.abs().max(1e-3);
                assert!((g - w).abs() <= tol, "{name} {key}[{i}]: {g} vs {w}");
            }
        }
    }
}

#[test]
fn batched_run_equals_row_by_row() {
    let m = load("qkeras_jettagging");
    let (doc, x) = reference("qkeras_jettagging");
    let input = doc["input_name"].as_str().unwrap();
    let opts = ExecOptions { any_batch: true, ..Default::default() };
    let batched = execute(&logits_model(&m), &[(input, x.clone())], &opts).unwrap();
    let rows = run_rows(&logits_model(&m), input, &x, false);
    let b: Vec<u32> = batched.outputs[0].1.as_f32().unwrap().iter().map(|v| v.to_bits()).collect();
    assert_eq!(b, rows.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
}

#[test]
fn fused_dense_stages_equal_the_separate_ops_bit_for_bit() {
    let m = load("qkeras_jettagging");
    let ex = qonnx_ir::exec::Executor::new(&m).unwrap();
    // All four layers: 2–4 read quantized activations and have exact sums; layer 1 reads the float
    // input, whose sums are checked tile by tile.
    assert_eq!(ex.fused_stages(), 4);
    let (doc, x) = reference("qkeras_jettagging");
    let input = doc["input_name"].as_str().unwrap();
    let big = Tensor::from_f32(
        &[64 * 16, 16],
        x.as_f32().unwrap().iter().cycle().take(64 * 16 * 16).map(|v| v * 3.0).collect(),
    )
    .unwrap();
    let run = |opts: ExecOptions| {
        let r = ex.run(&[(input, big.clone())], &ExecOptions { any_batch: true, ..opts }).unwrap();
        r.outputs[0].1.as_f32().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>()
    };
    let fused = run(ExecOptions::default());
    let separate = run(ExecOptions { keep_intermediates: true, ..Default::default() });
    let exact = run(ExecOptions { exact: true, ..Default::default() });
    assert_eq!(fused, separate);
    assert_eq!(fused, exact);
}
