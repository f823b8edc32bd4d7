//! Transformations keep a model's meaning: cleanup, Gemm→MatMul, BatchNorm→affine, constant
//! folding and QONNX⇄QCDQ leave the outputs unchanged, and names and annotations come out as
//! qonnx makes them.

mod common;

use qonnx_ir::exec::{ExecOptions, execute};
use qonnx_ir::{DataType, Model, Tensor, transform};

fn load(name: &str) -> Model {
    Model::load(common::testdata(format!("models/{name}.onnx"))).unwrap()
}

fn reference_inputs(name: &str) -> Tensor {
    common::tensor(&common::json(&format!("model-outputs/{name}.json"))["inputs"])
}

/// Bit patterns of the first output, the inputs fed one row at a time.
fn outputs(m: &Model, x: &Tensor) -> Vec<u32> {
    let name = m.graph.real_inputs()[0].name.clone();
    let mut out = Vec::new();
    for row in x.as_f32().unwrap().outer_iter() {
        let t = Tensor::F32(row.insert_axis(ndarray::Axis(0)).to_owned());
        let r = execute(m, &[(name.as_str(), t)], &ExecOptions { any_batch: true, ..Default::default() }).unwrap();
        out.extend(r.outputs[0].1.as_f32().unwrap().iter().map(|v| v.to_bits()));
    }
    out
}

#[test]
fn cleanup_keeps_every_model_bit_identical_and_names_like_qonnx() {
    for name in common::MODELS {
        let m = load(name);
        let x = reference_inputs(name);
        let before = outputs(&m, &x);
        let mut c = m.clone();
        transform::cleanup(&mut c).unwrap();
        assert_eq!(outputs(&c, &x), before, "{name}: cleanup changed the outputs");
        // The cleaned model survives a save/load round trip unchanged.
        let again = Model::from_bytes(&c.to_bytes(), name).unwrap();
        assert_eq!(again, c, "{name}");
        // qonnx naming: unique node names, global_in/global_out, <node>_param<k> initializers.
        assert_eq!(c.graph.real_inputs()[0].name, "global_in", "{name}");
        assert_eq!(c.graph.outputs[0].name, "global_out", "{name}");
        let mut names: Vec<&str> = c.graph.nodes.iter().map(|n| n.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), c.graph.nodes.len(), "{name}: node names not unique");
        for i in &c.graph.initializers {
            assert!(i.name.contains("_param"), "{name}: initializer {}", i.name);
        }
        // No static inputs, no unused initializers, every node output shaped.
        assert_eq!(c.graph.inputs.len(), 1, "{name}");
        for n in &c.graph.nodes {
            for o in &n.outputs {
                assert!(c.graph.value_info_of(o).and_then(|v| v.shape()).is_some(), "{name}: {o} has no shape");
            }
        }
    }
}

#[test]
fn cleanup_of_qkeras_model_infers_qonnx_datatypes() {
    let mut m = load("qkeras_jettagging");
    transform::cleanup(&mut m).unwrap();
    assert!(m.graph.nodes.iter().filter(|n| n.op_type == "Quant").all(|n| n.domain() == "qonnx.custom_op.general"));
    assert_eq!(m.opset_version("qonnx.custom_op.general"), Some(1));
    // Weights: 6-bit signed at scale 2^-5 (non-unit), activations 6-bit unsigned at 2^-6.
    assert_eq!(m.graph.tensor_datatype("Quant_0_out0"), Some(DataType::ScaledInt(6)));
    assert_eq!(m.graph.tensor_datatype("Quant_8_out0"), Some(DataType::ScaledInt(6)));
    assert_eq!(m.graph.tensor_datatype("MatMul_0_out0"), Some(DataType::Float32));
    // Shapes follow the declared batch of 1.
    let s = m.graph.value_info_of("MatMul_0_out0").unwrap().shape().unwrap();
    assert_eq!(s, vec![qonnx_ir::Dim::Value(1), qonnx_ir::Dim::Value(64)]);
}

#[test]
fn baked_batch_is_kept_and_symbolic_batch_propagates() {
    let mut m = load("three_layer_pytorch");
    transform::cleanup(&mut m).unwrap();
    let out = m.graph.outputs[0].shape().unwrap();
    assert_eq!(out, vec![qonnx_ir::Dim::Value(789444), qonnx_ir::Dim::Value(5)]);
    // Declare the batch symbolic: every intermediate follows the symbol.
    let vi = m.graph.inputs[0].clone();
    m.graph.inputs[0]
        .set_tensor_type(vi.elem_type(), Some(&[qonnx_ir::Dim::Param("N".into()), qonnx_ir::Dim::Value(16)]));
    m.graph.value_info.clear();
    transform::infer_shapes(&mut m).unwrap();
    for v in &m.graph.value_info {
        assert_eq!(v.shape().unwrap()[0], qonnx_ir::Dim::Param("N".into()), "{}", v.name);
    }
}

#[test]
fn gemm_to_matmul_keeps_outputs() {
    for name in ["three_layer_pytorch", "three_layer_bn_pytorch"] {
        let mut m = load(name);
        transform::cleanup(&mut m).unwrap();
        let x = reference_inputs(name);
        let before = outputs(&m, &x);
        let n = transform::gemm_to_matmul(&mut m).unwrap();
        assert_eq!(n, 4, "{name}");
        assert!(m.graph.nodes.iter().all(|n| n.op_type != "Gemm"));
        // transB weights become transposed initializers, not Transpose nodes.
        assert!(m.graph.nodes.iter().all(|n| n.op_type != "Transpose"));
        assert_eq!(outputs(&m, &x), before, "{name}");
    }
}

#[test]
fn gemm_with_alpha_beta_and_transposes_matches_reference_formula() {
    use qonnx_ir::model::{Graph, Initializer, Node, ValueInfo};
    use qonnx_ir::proto::data_type::FLOAT;
    let a = Tensor::from_f32(&[3, 2], vec![1.0, -2.0, 0.5, 4.0, 3.0, -1.0]).unwrap();
    let b = Tensor::from_f32(&[4, 3], (0..12).map(|v| v as f32 * 0.25 - 1.0).collect()).unwrap();
    let c = Tensor::from_f32(&[4], vec![0.5, -0.5, 1.0, 2.0]).unwrap();
    let mut g = Graph::default();
    let mut n = Node::new("Gemm", &["a", "b", "c"], &["y"]);
    n.set_attr(qonnx_ir::attr::int("transA", 1));
    n.set_attr(qonnx_ir::attr::int("transB", 1));
    n.set_attr(qonnx_ir::attr::float("alpha", 0.5));
    n.set_attr(qonnx_ir::attr::float("beta", 2.0));
    g.nodes.push(n);
    g.inputs.push(ValueInfo::tensor("a", FLOAT, &[qonnx_ir::Dim::Value(3), qonnx_ir::Dim::Value(2)]));
    g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
    g.initializers.push(Initializer::new("b", b.clone()));
    g.initializers.push(Initializer::new("c", c.clone()));
    let m = Model::new(g, &[("", 13)]);
    let run = |m: &Model| execute(m, &[("a", a.clone())], &ExecOptions::default()).unwrap().outputs[0].1.clone();
    // Y[i][j] = 0.5 · Σ_k A[k][i]·B[j][k] + 2·C[j], written out by hand.
    let (av, bv, cv) = (a.as_f32().unwrap(), b.as_f32().unwrap(), c.as_f32().unwrap());
    let mut want = vec![0f32; 8];
    for i in 0..2 {
        for j in 0..4 {
            let s: f32 = (0..3).map(|k| av[[k, i]] * bv[[j, k]]).sum();
            want[i * 4 + j] = 0.5 * s + 2.0 * cv[[j]];
        }
    }
    let y = run(&m);
    assert_eq!(y.shape(), &[2, 4]);
    for (g, w) in y.as_f32().unwrap().iter().zip(&want) {
        assert!((g - w).abs() < 1e-5, "{g} vs {w}");
    }
    let mut mm = m.clone();
    transform::gemm_to_matmul(&mut mm).unwrap();
    assert_eq!(run(&mm), y);
}

#[test]
fn batchnorm_to_affine_keeps_outputs_within_float_rounding() {
    let mut m = load("three_layer_bn_pytorch");
    transform::cleanup(&mut m).unwrap();
    let x = reference_inputs("three_layer_bn_pytorch");
    let before = outputs(&m, &x);
    assert_eq!(transform::batchnorm_to_affine(&mut m).unwrap(), 4);
    assert!(m.graph.nodes.iter().all(|n| n.op_type != "BatchNormalization"));
    let after = outputs(&m, &x);
    for (a, b) in after.iter().zip(&before) {
        let (a, b) = (f32::from_bits(*a), f32::from_bits(*b));
        assert!((a - b).abs() <= 1e-5 * b.abs().max(1e-3), "{a} vs {b}");
    }
}

#[test]
fn fold_constants_folds_weight_quantizers_only_when_asked() {
    let mut m = load("qkeras_jettagging");
    transform::cleanup(&mut m).unwrap();
    let x = reference_inputs("qkeras_jettagging");
    let before = outputs(&m, &x);
    let mut kept = m.clone();
    assert_eq!(transform::fold_constants(&mut kept, &Default::default()).unwrap(), 0);
    let mut folded = m.clone();
    let n = transform::fold_constants(&mut folded, &transform::FoldOptions { fold_quantizers: true }).unwrap();
    assert_eq!(n, 8, "the 8 weight and bias quantizers");
    assert_eq!(folded.graph.nodes.iter().filter(|n| n.op_type == "Quant").count(), 3);
    assert_eq!(outputs(&folded, &x), before);
}

#[test]
fn qcdq_round_trip_restores_the_quantizers() {
    let mut m = load("qkeras_jettagging");
    transform::cleanup(&mut m).unwrap();
    let x = reference_inputs("qkeras_jettagging");
    let before = outputs(&m, &x);
    let mut q = m.clone();
    let r = transform::qonnx_to_qcdq(&mut q).unwrap();
    assert_eq!((r.converted, r.skipped.len()), (11, 0));
    assert_eq!(q.opset_version(""), Some(13));
    assert_eq!(q.graph.nodes.iter().filter(|n| n.op_type == "Clip").count(), 11, "6-bit ranges need a Clip");
    assert_eq!(outputs(&q, &x), before);
    let mut back = q.clone();
    assert_eq!(transform::qcdq_to_qonnx(&mut back).unwrap(), 11);
    let quants: Vec<_> = back.graph.nodes.iter().filter(|n| n.op_type == "Quant").collect();
    assert_eq!(quants.len(), 11);
    for n in quants {
        let bits = back.graph.initializer(&n.inputs[3]).unwrap().to_f64();
        assert_eq!(bits.iter().next(), Some(&6.0), "{}", n.label());
    }
    assert_eq!(outputs(&back, &x), before);
}

#[test]
fn unrepresentable_quantizers_stay_and_are_reported() {
    use qonnx_ir::model::{Graph, Initializer, Node, ValueInfo};
    use qonnx_ir::proto::data_type::FLOAT;
    let mut g = Graph::default();
    for (k, (bits, zp, mode)) in
        [(12.0, 0.0, "ROUND"), (4.0, 1.0, "ROUND"), (4.0, 0.0, "FLOOR"), (4.0, 0.0, "ROUND")].iter().enumerate()
    {
        let (i, o) = (if k == 0 { "x".to_string() } else { format!("t{k}") }, format!("t{}", k + 1));
        let mut n = Node::new("Quant", &[&i, &format!("s{k}"), &format!("z{k}"), &format!("b{k}")], &[&o]);
        n.domain = Some("qonnx.custom_op.general".into());
        n.name = Some(format!("Q{k}"));
        n.set_attr(qonnx_ir::attr::string("rounding_mode", mode));
        g.nodes.push(n);
        g.initializers.push(Initializer::new(format!("s{k}"), Tensor::scalar_f32(0.25)));
        g.initializers.push(Initializer::new(format!("z{k}"), Tensor::scalar_f32(*zp)));
        g.initializers.push(Initializer::new(format!("b{k}"), Tensor::scalar_f32(*bits)));
    }
    g.inputs.push(ValueInfo::tensor("x", FLOAT, &[qonnx_ir::Dim::Value(8)]));
    g.outputs.push(ValueInfo::tensor("t4", FLOAT, &[qonnx_ir::Dim::Value(8)]));
    let mut m = Model::new(g, &[("", 13), ("qonnx.custom_op.general", 1)]);
    let r = transform::qonnx_to_qcdq(&mut m).unwrap();
    assert_eq!(r.converted, 1);
    let skipped: Vec<&str> = r.skipped.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(skipped, ["Q0", "Q1", "Q2"]);
}
