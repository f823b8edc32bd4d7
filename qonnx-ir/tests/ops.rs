//! Standard ops against hand-computed numpy/ONNX semantics on small cases.

use qonnx_ir::exec::{ExecOptions, execute};
use qonnx_ir::model::{Graph, Initializer, Node, ValueInfo};
use qonnx_ir::proto::AttributeProto;
use qonnx_ir::{DataType, Model, Tensor, attr, transform};

fn f(shape: &[usize], v: &[f32]) -> Tensor {
    Tensor::from_f32(shape, v.to_vec()).unwrap()
}

fn i64s(v: &[i64]) -> Tensor {
    Tensor::I64(ndarray::ArrayD::from_shape_vec(ndarray::IxDyn(&[v.len()]), v.to_vec()).unwrap())
}

/// Runs one node: input 0 is fed, the others are initializers.
fn run(
    op: &str,
    domain: &str,
    opset: i64,
    inputs: &[Tensor],
    attrs: Vec<AttributeProto>,
) -> Result<Vec<Tensor>, qonnx_ir::Error> {
    let names: Vec<String> = (0..inputs.len()).map(|i| format!("in{i}")).collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut n = Node::new(op, &refs, &["y"]);
    n.domain = Some(domain.to_string());
    n.attributes = attrs;
    let mut g = Graph { nodes: vec![n], ..Default::default() };
    g.inputs.push(ValueInfo { name: "in0".into(), ..Default::default() });
    g.outputs.push(ValueInfo { name: "y".into(), ..Default::default() });
    for (k, t) in inputs.iter().enumerate().skip(1) {
        g.initializers.push(Initializer::new(format!("in{k}"), t.clone()));
    }
    let m = Model::new(g, &[("", opset), ("qonnx.custom_op.general", 1)]);
    Ok(execute(&m, &[("in0", inputs[0].clone())], &ExecOptions::default())?
        .outputs
        .into_iter()
        .map(|(_, t)| t)
        .collect())
}

fn vals(t: &Tensor) -> Vec<f32> {
    t.to_f32().iter().copied().collect()
}

#[test]
fn matmul_follows_numpy() {
    // 1-D · 2-D drops the promoted axis.
    let y =
        &run("MatMul", "", 13, &[f(&[3], &[1., 2., 3.]), f(&[3, 2], &[1., 0., 0., 1., 1., 1.])], vec![]).unwrap()[0];
    assert_eq!((y.shape(), vals(y)), (&[2usize][..], vec![4., 5.]));
    // Broadcast batch dims: [2,1,2,3] · [3,1] → [2,1,2,1].
    let a: Vec<f32> = (0..12).map(|v| v as f32).collect();
    let y = &run("MatMul", "", 13, &[f(&[2, 1, 2, 3], &a), f(&[3, 1], &[1., 10., 100.])], vec![]).unwrap()[0];
    assert_eq!(y.shape(), &[2, 1, 2, 1]);
    assert_eq!(vals(y), vec![210., 543., 876., 1209.]);
}

#[test]
fn softmax_axis_semantics_changed_at_opset_13() {
    let x = f(&[1, 2, 2], &[0., 0., 0., (3f32).ln()]);
    // Opset 11, axis 1: one softmax over all 4 values (2-D coercion).
    let y = vals(&run("Softmax", "", 11, std::slice::from_ref(&x), vec![attr::int("axis", 1)]).unwrap()[0]);
    for (g, w) in y.iter().zip([1. / 6., 1. / 6., 1. / 6., 0.5]) {
        assert!((g - w).abs() < 1e-6, "{y:?}");
    }
    // Opset 13, axis 1: softmax down each column.
    let y = vals(&run("Softmax", "", 13, std::slice::from_ref(&x), vec![attr::int("axis", 1)]).unwrap()[0]);
    for (g, w) in y.iter().zip([0.5, 0.25, 0.5, 0.75]) {
        assert!((g - w).abs() < 1e-6, "{y:?}");
    }
    let y = vals(&run("LogSoftmax", "", 13, &[f(&[2], &[0., 0.])], vec![]).unwrap()[0]);
    assert!(y.iter().all(|v| (v - (0.5f32).ln()).abs() < 1e-6));
}

#[test]
fn shape_ops() {
    let x = f(&[2, 3, 4], &(0..24).map(|v| v as f32).collect::<Vec<_>>());
    let y = &run("Reshape", "", 13, &[x.clone(), i64s(&[0, -1])], vec![]).unwrap()[0];
    assert_eq!(y.shape(), &[2, 12]);
    assert!(run("Reshape", "", 13, &[x.clone(), i64s(&[5, -1])], vec![]).is_err());
    let y = &run("Flatten", "", 13, std::slice::from_ref(&x), vec![attr::int("axis", 2)]).unwrap()[0];
    assert_eq!(y.shape(), &[6, 4]);
    let y = &run("Transpose", "", 13, std::slice::from_ref(&x), vec![]).unwrap()[0];
    assert_eq!(y.shape(), &[4, 3, 2]);
    assert_eq!(vals(y)[..3], [0., 12., 4.]);
    let y = &run("Transpose", "", 13, std::slice::from_ref(&x), vec![attr::ints("perm", &[1, 0, 2])]).unwrap()[0];
    assert_eq!((y.shape(), vals(y)[4]), (&[3usize, 2, 4][..], 12.));
    let y = &run("Unsqueeze", "", 6, std::slice::from_ref(&x), vec![attr::ints("axes", &[0, 3])]).unwrap()[0];
    assert_eq!(y.shape(), &[1, 2, 3, 1, 4]);
    let y = &run("Squeeze", "", 13, &[y.clone(), i64s(&[0])], vec![]).unwrap()[0];
    assert_eq!(y.shape(), &[2, 3, 1, 4]);
    assert!(run("Squeeze", "", 13, &[x.clone(), i64s(&[1])], vec![]).is_err());
    let y = &run("Concat", "", 13, &[f(&[1, 2], &[1., 2.]), f(&[2, 2], &[3., 4., 5., 6.])], vec![attr::int("axis", 0)])
        .unwrap()[0];
    assert_eq!((y.shape(), vals(y)), (&[3usize, 2][..], vec![1., 2., 3., 4., 5., 6.]));
}

#[test]
fn elementwise_ops_broadcast_like_numpy() {
    let a = f(&[2, 1], &[1., 2.]);
    let b = f(&[3], &[10., 20., 30.]);
    assert_eq!(
        vals(&run("Add", "", 13, &[a.clone(), b.clone()], vec![]).unwrap()[0]),
        vec![11., 21., 31., 12., 22., 32.]
    );
    assert_eq!(vals(&run("Sub", "", 13, &[a.clone(), b.clone()], vec![]).unwrap()[0])[0], -9.);
    assert_eq!(vals(&run("Mul", "", 13, &[a.clone(), b.clone()], vec![]).unwrap()[0])[5], 60.);
    assert_eq!(vals(&run("Div", "", 13, &[a.clone(), b.clone()], vec![]).unwrap()[0])[3], 0.2);
    assert!(run("Add", "", 13, &[f(&[2], &[1., 2.]), b.clone()], vec![]).is_err());
    // Integer division truncates; division by zero is an error, not a panic.
    assert_eq!(vals(&run("Div", "", 13, &[i64s(&[-7, 7]), i64s(&[2, 2])], vec![]).unwrap()[0]), vec![-3., 3.]);
    assert!(run("Div", "", 13, &[i64s(&[1]), i64s(&[0])], vec![]).is_err());
    let x = f(&[5], &[-2., -0.5, 0., 0.5, 2.]);
    assert_eq!(vals(&run("Relu", "", 13, std::slice::from_ref(&x), vec![]).unwrap()[0]), vec![0., 0., 0., 0.5, 2.]);
    assert_eq!(
        vals(&run("Round", "", 13, &[f(&[4], &[0.5, 1.5, 2.5, -0.5])], vec![]).unwrap()[0]),
        vec![0., 2., 2., -0.]
    );
    assert!((vals(&run("Sigmoid", "", 13, std::slice::from_ref(&x), vec![]).unwrap()[0])[2] - 0.5).abs() < 1e-7);
    assert!((vals(&run("Tanh", "", 13, std::slice::from_ref(&x), vec![]).unwrap()[0])[4] - 2f32.tanh()).abs() < 1e-7);
    // Clip: attributes before opset 11, inputs after.
    assert_eq!(
        vals(
            &run("Clip", "", 6, std::slice::from_ref(&x), vec![attr::float("min", -1.), attr::float("max", 1.)])
                .unwrap()[0]
        ),
        vec![-1., -0.5, 0., 0.5, 1.]
    );
    assert_eq!(
        vals(&run("Clip", "", 13, &[x.clone(), Tensor::scalar_f32(0.), Tensor::scalar_f32(1.)], vec![]).unwrap()[0]),
        vec![0., 0., 0., 0.5, 1.]
    );
}

#[test]
fn batchnorm_cast_constant_dropout() {
    let x = f(&[1, 2, 1], &[1., 3.]);
    let p = |a: f32, b: f32| f(&[2], &[a, b]);
    let y = vals(
        &run(
            "BatchNormalization",
            "",
            13,
            &[x, p(2., 1.), p(0.5, 0.), p(1., 1.), p(4., 1.)],
            vec![attr::float("epsilon", 0.)],
        )
        .unwrap()[0],
    );
    assert_eq!(y, vec![0.5, 2.]); // (1−1)/2·2+0.5, (3−1)/1·1+0
    let y = &run("Cast", "", 13, &[f(&[3], &[-1.7, 2.9, 300.])], vec![attr::int("to", 7)]).unwrap()[0];
    assert_eq!(y.to_i64().iter().copied().collect::<Vec<_>>(), vec![-1, 2, 300]);
    let c = run("Constant", "", 13, &[f(&[1], &[0.])], vec![attr::tensor("value", &f(&[2], &[7., 8.]))]).unwrap();
    assert_eq!(vals(&c[0]), vec![7., 8.]);
    assert_eq!(vals(&run("Dropout", "", 13, &[f(&[2], &[1., 2.])], vec![]).unwrap()[0]), vec![1., 2.]);
    assert_eq!(vals(&run("Identity", "", 13, &[f(&[2], &[1., 2.])], vec![]).unwrap()[0]), vec![1., 2.]);
}

#[test]
fn quantize_linear_rounds_half_even_and_saturates() {
    let x = f(&[6], &[0.25, 0.75, -0.25, 100., -100., 1.25]);
    let s = Tensor::scalar_f32(0.5);
    let zp = Tensor::I8(ndarray::ArrayD::from_elem(ndarray::IxDyn(&[]), 0));
    let q = &run("QuantizeLinear", "", 13, &[x.clone(), s.clone(), zp.clone()], vec![]).unwrap()[0];
    assert_eq!(q.to_i64().iter().copied().collect::<Vec<_>>(), vec![0, 2, 0, 127, -128, 2]);
    let d = &run("DequantizeLinear", "", 13, &[q.clone(), s.clone(), zp], vec![]).unwrap()[0];
    assert_eq!(vals(d), vec![0., 1., 0., 63.5, -64., 1.]);
    // Unsigned when no zero-point is given.
    let q = &run("QuantizeLinear", "", 13, &[x, s], vec![]).unwrap()[0];
    assert_eq!(q.to_i64().iter().copied().collect::<Vec<_>>(), vec![0, 2, 0, 200, 0, 2]);
}

#[test]
fn multithreshold_counts_thresholds_per_channel() {
    let x = f(&[2, 2], &[0.5, 0.5, 2.0, -1.0]);
    let t = f(&[2, 3], &[0., 1., 2., -2., 0., 0.5]);
    let attrs = vec![attr::string("out_dtype", "UINT2"), attr::float("out_scale", 2.), attr::float("out_bias", -1.)];
    let y = vals(&run("MultiThreshold", "qonnx.custom_op.general", 13, &[x, t], attrs).unwrap()[0]);
    // Channel 0 thresholds {0,1,2}: 0.5→1, 2.0→3; channel 1 {−2,0,0.5}: 0.5→3, −1→1; then 2·c − 1.
    assert_eq!(y, vec![1., 5., 5., 1.]);
}

#[test]
fn datatype_inference_of_quantizers() {
    let mut g = Graph::default();
    let mut q = Node::new("Quant", &["x", "s", "z", "b"], &["q"]);
    q.domain = Some("finn.custom_op.general".into());
    q.set_attr(attr::int("signed", 0));
    let mut bq = Node::new("BipolarQuant", &["q", "s1"], &["y"]);
    bq.domain = Some("onnx.brevitas".into());
    g.nodes = vec![q, bq];
    g.inputs.push(ValueInfo::tensor("x", 1, &[qonnx_ir::Dim::Value(2)]));
    g.outputs.push(ValueInfo::tensor("y", 1, &[]));
    for (n, v) in [("s", 1.0), ("z", 0.0), ("b", 3.0), ("s1", 1.0)] {
        g.initializers.push(Initializer::new(n, Tensor::scalar_f32(v)));
    }
    let mut m = Model::new(g, &[("", 13), ("finn.custom_op.general", 1)]);
    transform::infer_datatypes(&mut m).unwrap();
    assert_eq!(m.graph.tensor_datatype("q"), Some(DataType::UInt(3)));
    assert_eq!(m.graph.tensor_datatype("y"), Some(DataType::Bipolar));
    assert!(transform::fix_domains(&mut m));
    assert!(m.graph.nodes.iter().all(|n| n.domain() == "qonnx.custom_op.general"));
    assert_eq!(m.opset_version("qonnx.custom_op.general"), Some(1));
    assert_eq!(m.opset_version("finn.custom_op.general"), None);
    let y = execute(&m, &[("x", f(&[2], &[-3., 2.4]))], &ExecOptions::default()).unwrap();
    assert_eq!(vals(&y.outputs[0].1), vec![1., 1.]);
}
