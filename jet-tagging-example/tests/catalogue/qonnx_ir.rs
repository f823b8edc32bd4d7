//! `qonnx-ir`: loading (path, bytes), saving, the executor, the transformations, the cost
//! analysis, tensors, datatypes and SIMD levels.

use qonnx_ir::exec::{ExecOptions, Executor, execute};
use qonnx_ir::model::{Graph, Node, ValueInfo};
use qonnx_ir::proto::data_type::FLOAT;
use qonnx_ir::{DataType, Dim, Error, Model, Simd, Tensor, cost, transform};

use crate::{Case, Class, case, file, is, qkeras_bytes, run_table, tmp, under_a_file};

/// `y = op(x)` for a `[1, 4]` input.
fn one_node(op: &str) -> Model {
    let mut g = Graph::default();
    let mut n = Node::new(op, &["x"], &["y"]);
    n.name = Some(format!("{op}_0"));
    g.nodes.push(n);
    g.inputs.push(ValueInfo::tensor("x", FLOAT, &[Dim::Value(1), Dim::Value(4)]));
    g.outputs.push(ValueInfo::tensor("y", FLOAT, &[]));
    Model::new(g, &[("", 13)])
}

fn qkeras() -> Model {
    Model::from_bytes(&qkeras_bytes(), "qkeras").unwrap()
}

fn row(n: usize, v: f32) -> Tensor {
    Tensor::from_f32(&[1, n], vec![v; n]).unwrap()
}

#[test]
fn qonnx_ir() {
    let dir = tmp("qonnx-ir");
    let bytes = qkeras_bytes();
    let missing = dir.join("missing.onnx");
    let cut = file(&dir, "cut.onnx", &bytes[..bytes.len() - 7]);
    let junk = file(&dir, "junk.onnx", b"\x08\x07\xff\xff\xff");
    let out = under_a_file(&dir, "out.onnx");
    let cases: Vec<Case<Error>> = vec![
        {
            let p = missing.clone();
            is!(case("Model::load", Class::Missing, move || Model::load(&p).map(drop)), Error::Io { .. })
                .names(missing.display())
        },
        {
            let p = cut.clone();
            is!(case("Model::load", Class::Truncated, move || Model::load(&p).map(drop)), Error::Decode { .. })
                .names(cut.display())
        },
        {
            let p = junk.clone();
            is!(case("Model::load", Class::Garbage, move || Model::load(&p).map(drop)), Error::Decode { .. })
                .names(junk.display())
        },
        is!(case("Model::from_bytes", Class::Truncated, || Model::from_bytes(&[], "empty").map(drop)), Error::Model(_)),
        {
            let p = out.clone();
            is!(case("Model::save", Class::Unwritable, move || qkeras().save(&p)), Error::Io { .. })
                .names(out.display())
                .leaves_no(&out)
        },
        is!(
            case("execute", Class::WrongShape, || {
                execute(&qkeras(), &[("global_in", row(15, 0.5))], &ExecOptions::default()).map(drop)
            }),
            Error::Tensor { tensor, .. } if tensor == "global_in"
        ),
        is!(
            case("execute", Class::Missing, || execute(&qkeras(), &[], &ExecOptions::default()).map(drop)),
            Error::MissingGraphInput(n) if n == "global_in"
        ),
        is!(
            case("Executor::new", Class::Unknown, || Executor::new(&one_node("FancyRelu")).map(drop)),
            Error::UnknownOp { node, op, .. } if node == "FancyRelu_0" && op == "FancyRelu"
        ),
        // NaN is a float like any other to the executor: it propagates, as in onnxruntime.
        case("execute", Class::NonFinite, || {
            let y = execute(&one_node("Relu"), &[("x", row(4, f32::NAN))], &ExecOptions::default())?;
            assert!(y.outputs[0].1.to_f64().iter().all(|v| v.is_nan()), "NaN must propagate");
            Ok(())
        }),
        is!(
            case("execute", Class::Absurd, || {
                let x = Tensor::from_f32(&[1, 4], vec![1.0; 4])?;
                let opts = ExecOptions { any_batch: false, ..Default::default() };
                let mut m = one_node("Relu");
                m.graph.inputs[0] = ValueInfo::tensor("x", FLOAT, &[Dim::Value(1 << 40), Dim::Value(4)]);
                execute(&m, &[("x", x)], &opts).map(drop)
            }),
            Error::Tensor { tensor, .. } if tensor == "x"
        ),
        is!(
            case("Tensor::from_f32", Class::WrongShape, || Tensor::from_f32(&[2, 3], vec![0.0; 5]).map(drop)),
            Error::Tensor { .. }
        ),
        is!(
            case("transform::cleanup", Class::Garbage, || {
                let mut m = one_node("Relu");
                m.graph.nodes[0].inputs[0] = "y".into(); // y = Relu(y): a cycle.
                transform::cleanup(&mut m)
            }),
            Error::Cycle { node } if node == "Relu_0"
        ),
        is!(
            case("transform::infer_shapes", Class::WrongShape, || {
                let mut m = one_node("MatMul");
                m.graph.nodes[0].inputs.push("w".into());
                m.graph.initializers.push(qonnx_ir::Initializer::new("w", Tensor::from_f32(&[3, 2], vec![1.0; 6])?));
                transform::infer_shapes(&mut m)?;
                execute(&m, &[("x", row(4, 1.0))], &ExecOptions::default()).map(drop)
            }),
            Error::Node { node, op, .. } if node == "MatMul_0" && op == "MatMul"
        ),
        // The static passes keep an op they do not know (it survives load and save); only the
        // executor must know every op.
        case("transform::qonnx_to_qcdq", Class::Unknown, || {
            let mut m = one_node("FancyRelu");
            let r = transform::qonnx_to_qcdq(&mut m)?;
            assert!(r.converted == 0 && m.graph.nodes[0].op_type == "FancyRelu", "the unknown op must be kept");
            Ok(())
        }),
        case("cost::analyze", Class::Unknown, || {
            assert_eq!(cost::analyze(&one_node("FancyRelu"))?.total_macs, 0, "an unknown op has no MACs");
            Ok(())
        }),
        is!(
            case("cost::analyze", Class::Garbage, || {
                let mut m = one_node("Relu");
                m.graph.nodes[0].inputs[0] = "y".into();
                cost::analyze(&m).map(drop)
            }),
            Error::Cycle { node } if node == "Relu_0"
        ),
        is!(case("DataType::from_str", Class::Garbage, || "INT0".parse::<DataType>().map(drop)), Error::DataType(_)),
        is!(case("Simd::from_str", Class::Unknown, || "avx9000".parse::<Simd>().map(drop)), Error::Simd { .. })
            .names("avx9000"),
    ];
    run_table("qonnx-ir", cases);
}
