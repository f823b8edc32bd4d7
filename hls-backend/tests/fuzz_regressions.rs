//! Inputs the fuzz targets (`fuzz/`: `lower_hls`, `rtl_build`) found to panic, each now a typed
//! error (or a correct result), with the target that found it.

mod common;

use hls_backend::fixed::FixedType;
use hls_backend::{Error, HlsConfig, lower::lower};

/// `lower_hls`: the integer bits of a precision string were parsed as i64 and cast to i32, so
/// `ap_fixed<6,-2147483648,…>` gave a type whose fractional bits W − I overflow i32 (a panic in
/// `FixedType::frac` as soon as the lowering used the input type), and `ap_fixed<8,4294967296>`
/// silently became `ap_fixed<8,0>`. Integer bits beyond ±`MAX_INT_BITS` are now an error.
#[test]
fn integer_bits_out_of_range_are_an_error_not_a_panic() {
    let max = hls_backend::fixed::MAX_INT_BITS;
    for s in ["ap_fixed<6,-2147483648,AP_RND,AP_SAT>", "ap_fixed<8,4294967296>", "ap_ufixed<8,129>", "ap_fixed<8,-129>"]
    {
        match s.parse::<FixedType>() {
            Err(Error::Precision(m)) => assert!(m.contains("integer bits") && m.contains(s), "{s}: {m}"),
            other => panic!("{s}: {other:?}"),
        }
    }
    for s in [format!("ap_fixed<8,{max}>"), format!("ap_fixed<8,-{max}>")] {
        let t: FixedType = s.parse().unwrap();
        assert_eq!(t.int_bits.abs(), max, "{s}");
    }
    let model = qonnx_ir::Model::load(common::testdata("models/three_layer_keras.onnx")).unwrap();
    let cfg = HlsConfig { input_precision: "ap_fixed<6,-2147483648,AP_RND,AP_SAT>".into(), ..Default::default() };
    assert!(matches!(lower(&model, &cfg), Err(Error::Precision(_))));
}

/// `lower_hls`: a layer's `result_precision` was applied after the whole chain had been built, so
/// the next layer kept an accumulator (and shifts) made for the type the layer had before. A
/// wider fraction on the first dense layer of a float model made the next layer's product shift
/// negative, and the emulator panicked ("attempt to shift left with overflow"). The override now
/// applies on the chain, before the next layer is built; on a layer that does not cast into its
/// output type (a ReLU) it is an error.
#[test]
fn a_result_precision_override_is_what_the_next_layer_is_built_for() {
    use hls_backend::config::{LayerConfig, SoftmaxImpl};
    use hls_backend::{Emulator, LayerKind};
    let model = qonnx_ir::Model::load(common::testdata("models/three_layer_keras.onnx")).unwrap();
    let base = HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() };
    let plain = lower(&model, &base).unwrap();
    let first = plain.layers.iter().position(|l| matches!(l.kind, LayerKind::Dense(_))).unwrap();
    let override_with = |name: &str, p: &str| {
        let mut cfg = base.clone();
        let lc = LayerConfig { result_precision: Some(p.into()), ..Default::default() };
        cfg.layers.insert(name.to_string(), lc);
        lower(&model, &cfg)
    };
    let hls = override_with(&plain.layers[first].name, "ap_fixed<40,2,AP_RND,AP_SAT>").unwrap();
    assert_eq!(hls.layers[first].out_type.cpp(), "ap_fixed<40,2,AP_RND,AP_SAT>");
    let next = hls.layers[first + 1..].iter().position(|l| matches!(l.kind, LayerKind::Dense(_))).unwrap() + first + 1;
    let LayerKind::Dense(d) = &hls.layers[next].kind else { unreachable!() };
    let fx = hls.layers[next - 1].out_type.frac();
    assert!(d.acc_type.frac() >= fx + d.weight_type.frac(), "the accumulator holds the products exactly");
    let x = common::grid_inputs(40, hls.n_inputs, 7);
    let y = Emulator::with_simd(&hls, qonnx_ir::Simd::Reference).unwrap().run(&x).unwrap();
    assert_eq!(y.raw.len(), 40 * hls.n_outputs());
    // A ReLU passes its input on unchanged: it cannot take a result precision.
    if let Some(relu) = plain.layers.iter().find(|l| matches!(l.kind, LayerKind::Relu)) {
        let e = override_with(&relu.name, "ap_fixed<8,3>").unwrap_err();
        assert!(matches!(e, Error::Config(_)) && e.to_string().contains(&relu.name), "{e}");
    }
}

/// `lower_hls`: a dense layer without a bias (bias type `ap_ufixed<1,1>`, no fractional bits)
/// after an input with many fractional bits (`ap_fixed<8,-60>`: 68) needs its bias shifted by
/// 71 bits to the accumulator's LSB; the lowering accepted it and the emulator panicked building
/// the layer (`0i64 << 71`: shift left with overflow). Shifts beyond 62 bits are now refused by
/// the lowering, naming the node.
#[test]
fn an_alignment_shift_beyond_62_bits_is_an_error_not_a_panic() {
    use qonnx_ir::builder::GraphBuilder;
    use qonnx_ir::ops::RoundingMode;
    use qonnx_ir::{Dim, IntRange, Tensor};
    let mut b = GraphBuilder::new("dense");
    let x = b.input_f32("x", &[Dim::Param("N".into()), Dim::Value(4)]);
    let w = b.initializer("w", Tensor::from_f32(&[4, 2], vec![0.5; 8]).unwrap());
    let wq = b.quant(&w, 0.125, 0.0, IntRange::new(4, true, false), RoundingMode::Round);
    let y = b.named_node("layer0", "MatMul", &[&x, &wq], &[]);
    b.output_f32(&y);
    let model = b.build();
    let cfg = |p: &str| HlsConfig { input_precision: p.into(), ..Default::default() };
    let hls = lower(&model, &cfg("ap_fixed<8,3>")).unwrap();
    assert_eq!(hls_backend::Emulator::new(&hls).run(&[1.0; 4]).unwrap().raw.len(), 2);
    match lower(&model, &cfg("ap_fixed<8,-60>")) {
        Err(Error::Unsupported { node, message, .. }) => {
            assert!(node == "layer0" && message.contains("71 bits") && message.contains("at most 62"), "{message}")
        }
        other => panic!("{other:?}"),
    }
}
