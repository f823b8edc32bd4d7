//! Bad input gives a typed error that names what is wrong, never a panic.

mod common;

use proptest::prelude::*;
use qonnx_ir::exec::{ExecOptions, Executor, execute};
use qonnx_ir::model::{Graph, Initializer, Node, ValueInfo};
use qonnx_ir::proto::data_type::FLOAT;
use qonnx_ir::{Dim, Error, Model, Tensor, attr, transform};

fn qkeras_bytes() -> Vec<u8> {
    std::fs::read(common::testdata("models/qkeras_jettagging.onnx")).unwrap()
}

fn x(n: usize) -> Tensor {
    Tensor::from_f32(&[1, n], vec![0.5; n]).unwrap()
}

/// y = Quant(x, 0.5, 0, bits) → Relu.
fn quant_model(bits: Tensor) -> Model {
    let mut g = Graph::default();
    let mut q = Node::new("Quant", &["x", "s", "z", "b"], &["q"]);
    q.domain = Some("qonnx.custom_op.general".into());
    q.name = Some("Quant_0".into());
    q.set_attr(attr::int("signed", 1));
    g.nodes.push(q);
    let mut r = Node::new("Relu", &["q"], &["y"]);
    r.name = Some("Relu_0".into());
    g.nodes.push(r);
    g.inputs.push(ValueInfo::tensor("x", FLOAT, &[Dim::Value(1), Dim::Value(4)]));
    g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
    g.initializers.push(Initializer::new("s", Tensor::scalar_f32(0.5)));
    g.initializers.push(Initializer::new("z", Tensor::scalar_f32(0.0)));
    g.initializers.push(Initializer::new("b", bits));
    Model::new(g, &[("", 13), ("qonnx.custom_op.general", 1)])
}

#[test]
fn truncated_file_is_a_decode_error() {
    let b = qkeras_bytes();
    for cut in [1, 10, 100, b.len() / 2, b.len() - 1] {
        match Model::from_bytes(&b[..cut], "cut.onnx") {
            Err(Error::Decode { context, .. }) => assert_eq!(context, "cut.onnx"),
            // A cut that happens to land between fields may decode; it must then fail later.
            Err(e) => assert!(!e.to_string().is_empty()),
            Ok(m) => {
                let _ = Executor::new(&m).map(|ex| ex.run(&[("global_in", x(16))], &ExecOptions::default()));
            }
        }
    }
}

#[test]
fn cycle_is_an_error_naming_a_node() {
    let mut m = quant_model(Tensor::scalar_f32(4.0));
    m.graph.nodes[0].inputs[0] = "y".into(); // Quant reads Relu's output, Relu reads Quant's.
    let e = Executor::new(&m).err().unwrap();
    assert!(matches!(e, Error::Cycle { .. }), "{e}");
    assert!(matches!(transform::cleanup(&mut m), Err(Error::Cycle { .. })));
}

#[test]
fn missing_initializer_names_node_and_tensor() {
    let mut m = quant_model(Tensor::scalar_f32(4.0));
    m.graph.initializers.retain(|i| i.name != "s");
    let e = Executor::new(&m).err().unwrap();
    match &e {
        Error::MissingInput { node, op, input } => {
            assert_eq!((node.as_str(), op.as_str(), input.as_str()), ("Quant_0", "Quant", "s"))
        }
        other => panic!("{other}"),
    }
}

#[test]
fn missing_graph_input_is_named() {
    let m = quant_model(Tensor::scalar_f32(4.0));
    let e = execute(&m, &[], &ExecOptions::default()).unwrap_err();
    assert!(matches!(&e, Error::MissingGraphInput(n) if n == "x"), "{e}");
}

#[test]
fn unknown_op_names_node_and_op() {
    let mut m = quant_model(Tensor::scalar_f32(4.0));
    m.graph.nodes[1].op_type = "FancyRelu".into();
    let e = Executor::new(&m).err().unwrap();
    assert!(e.to_string().contains("Relu_0") && e.to_string().contains("FancyRelu"), "{e}");
    assert!(matches!(e, Error::UnknownOp { .. }));
    // An unknown op still survives load/save.
    let again = Model::from_bytes(&m.to_bytes(), "m").unwrap();
    assert_eq!(again.graph.nodes[1].op_type, "FancyRelu");
}

#[test]
fn mismatched_shapes_are_errors() {
    let m = quant_model(Tensor::scalar_f32(4.0));
    let e = execute(&m, &[("x", x(5))], &ExecOptions::default()).unwrap_err();
    assert!(matches!(&e, Error::Tensor { tensor, .. } if tensor == "x"), "{e}");
    // A MatMul whose operands do not multiply names the node.
    let mut g = Graph::default();
    let mut mm = Node::new("MatMul", &["x", "w"], &["y"]);
    mm.name = Some("MatMul_0".into());
    g.nodes.push(mm);
    g.inputs.push(ValueInfo::tensor("x", FLOAT, &[Dim::Param("N".into()), Dim::Value(4)]));
    g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
    g.initializers.push(Initializer::new("w", Tensor::from_f32(&[3, 2], vec![1.0; 6]).unwrap()));
    let m = Model::new(g, &[("", 13)]);
    let e =
        execute(&m, &[("x", Tensor::from_f32(&[2, 4], vec![1.0; 8]).unwrap())], &ExecOptions::default()).unwrap_err();
    assert!(matches!(&e, Error::Node { node, op, .. } if node == "MatMul_0" && op == "MatMul"), "{e}");
}

#[test]
fn quant_bit_width_zero_or_fractional_is_an_error() {
    for bits in [0.0, -3.0, 2.5, 33.0, f32::NAN] {
        let m = quant_model(Tensor::scalar_f32(bits));
        let e = execute(&m, &[("x", x(4))], &ExecOptions::default()).unwrap_err();
        assert!(matches!(&e, Error::Node { node, .. } if node == "Quant_0"), "{bits}: {e}");
        assert!(e.to_string().contains("bit width"), "{e}");
    }
    let m = quant_model(Tensor::from_f32(&[2], vec![4.0, 4.0]).unwrap());
    assert!(execute(&m, &[("x", x(4))], &ExecOptions::default()).is_err());
}

#[test]
fn non_constant_bit_width_is_an_error() {
    let mut m = quant_model(Tensor::scalar_f32(4.0));
    // The bit width now comes from a graph input.
    m.graph.initializers.retain(|i| i.name != "b");
    m.graph.inputs.push(ValueInfo::tensor("b", FLOAT, &[]));
    let e = Executor::new(&m).err().unwrap();
    assert!(matches!(&e, Error::Node { node, .. } if node == "Quant_0"), "{e}");
    assert!(e.to_string().contains("constant"), "{e}");
}

#[test]
fn malformed_initializer_is_an_error() {
    let mut p = quant_model(Tensor::scalar_f32(4.0)).to_proto();
    p.graph.as_mut().unwrap().initializer[0].raw_data = Some(vec![1, 2, 3]);
    let bytes = prost::Message::encode_to_vec(&p);
    let e = Model::from_bytes(&bytes, "m").unwrap_err();
    assert!(matches!(&e, Error::Tensor { tensor, .. } if tensor == "s"), "{e}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        if let Ok(m) = Model::from_bytes(&bytes, "random")
            && let Ok(ex) = Executor::new(&m)
        {
            let _ = ex.run(&[], &ExecOptions::default());
        }
    }

    #[test]
    fn mutated_real_model_never_panics(pos in 0usize..24320, val in any::<u8>(), row in proptest::collection::vec(-4f32..4.0, 16)) {
        let mut b = qkeras_bytes();
        let pos = pos % b.len();
        b[pos] = val;
        if let Ok(mut m) = Model::from_bytes(&b, "mutated") {
            let t = Tensor::from_f32(&[1, 16], row).unwrap();
            let _ = execute(&m, &[("global_in", t)], &ExecOptions::default());
            let _ = transform::cleanup(&mut m);
        }
    }
}

#[test]
fn absurd_declared_shape_does_not_abort_inference() {
    // Found by the fuzzer: an input declared [2^32, 2^32] made shape inference allocate it.
    let mut g = Graph::default();
    g.nodes.push(Node::new("Relu", &["x"], &["y"]));
    g.inputs.push(ValueInfo::tensor("x", FLOAT, &[Dim::Value(1 << 32), Dim::Value(1 << 32)]));
    g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
    let mut m = Model::new(g, &[("", 13)]);
    transform::cleanup(&mut m).unwrap();
    assert!(m.graph.value_info.iter().all(|v| v.name != "y" || v.shape().is_none()));
}

#[test]
fn declared_shape_with_zero_axis_and_huge_others_does_not_panic_inference() {
    // Found by the fuzzer: [1, 16, 79000, 79000, 79000, 0, 79000] holds no elements, so it passed
    // the placeholder limit, but ndarray refuses (panics on) a shape whose non-zero axis lengths
    // multiply past isize::MAX.
    let dims: Vec<Dim> = [1, 16, 79000, 79000, 79000, 0, 79000].into_iter().map(Dim::Value).collect();
    let mut g = Graph::default();
    g.nodes.push(Node::new("Relu", &["x"], &["y"]));
    g.inputs.push(ValueInfo::tensor("x", FLOAT, &dims));
    g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
    let mut m = Model::new(g, &[("", 13)]);
    transform::cleanup(&mut m).unwrap();
    assert_eq!(m.graph.outputs[0].shape().map(|s| s.len()), Some(0), "y must not be inferred");
}

#[test]
fn concat_of_mixed_ranks_is_an_error() {
    // Found by the fuzzer: ndarray's `concatenate` asserts (panics) when a later input has fewer
    // axes than the concatenation axis of the first.
    let mut g = Graph::default();
    let mut c = Node::new("Concat", &["x", "b"], &["y"]);
    c.name = Some("Concat_0".into());
    c.set_attr(attr::int("axis", 1));
    g.nodes.push(c);
    g.inputs.push(ValueInfo::tensor("x", FLOAT, &[Dim::Value(1), Dim::Value(2)]));
    g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
    g.initializers.push(Initializer::new("b", Tensor::from_f32(&[2], vec![1.0; 2]).unwrap()));
    let mut m = Model::new(g, &[("", 13)]);
    let x = Tensor::from_f32(&[1, 2], vec![0.5; 2]).unwrap();
    for exact in [false, true] {
        let opts = ExecOptions { exact, ..ExecOptions::default() };
        let e = execute(&m, &[("x", x.clone())], &opts).unwrap_err();
        assert!(matches!(&e, Error::Node { node, op, .. } if node == "Concat_0" && op == "Concat"), "{e}");
    }
    transform::cleanup(&mut m).unwrap();
}

#[test]
fn axis_on_a_scalar_is_an_error() {
    // Found by the fuzzer: an axis of 0 passed as in range for rank 0, so Squeeze (and a per-axis
    // QuantizeLinear) indexed the empty shape of a scalar and panicked.
    let run = |node: Node, inits: Vec<Initializer>, opset: i64| {
        let mut g = Graph::default();
        g.nodes.push(node);
        g.inputs.push(ValueInfo::tensor("x", FLOAT, &[]));
        g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
        g.initializers.extend(inits);
        let mut m = Model::new(g, &[("", opset)]);
        let e = execute(&m, &[("x", Tensor::scalar_f32(1.0))], &ExecOptions::default()).unwrap_err();
        assert!(e.to_string().contains("axis"), "{e}");
        transform::cleanup(&mut m).unwrap();
    };
    let mut sq = Node::new("Squeeze", &["x"], &["y"]);
    sq.set_attr(attr::ints("axes", &[0]));
    run(sq, vec![], 11);
    let sq = Node::new("Squeeze", &["x", "axes"], &["y"]);
    run(sq, vec![Initializer::new("axes", Tensor::I64(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[1]), -1)))], 13);
    let mut ql = Node::new("QuantizeLinear", &["x", "s"], &["y"]);
    ql.set_attr(attr::int("axis", 0));
    run(ql, vec![Initializer::new("s", Tensor::from_f32(&[2], vec![0.5, 0.25]).unwrap())], 13);
}
