//! The exported QONNX graph, run by `qonnx-ir` in exact mode, equals the integer engine bit for
//! bit after scaling: every activation `Quant` output divided by its scale equals the engine's
//! integer activation, on every jet of the test set (power-of-two mode; accumulators reached on
//! these data stay below 2^24; outputs are `f32(q · s)`, so `q = round(y / s)`). Dyadic mode is measured (one-LSB differences near ties are
//! possible, see `export.rs`). The QCDQ form (8-bit inputs) is checked the same way.

mod common;

use common::integer_model;

use hawq_core::export::{ExportOptions, INPUT, export_qcdq, export_qonnx};
use hawq_core::{Dataset, IntegerMlp, QuantConfig, ScaleMode};
use qonnx_ir::Tensor;
use qonnx_ir::exec::{ExecOptions, execute};

/// (equal, total, largest |difference| in LSBs) over every activation Quant of the graph.
fn compare(model: &qonnx_ir::Model, int: &IntegerMlp, test: &Dataset) -> (usize, usize, i64) {
    let x = Tensor::from_f32(&[test.len(), test.n_features], test.features.clone()).unwrap();
    let out =
        execute(model, &[(INPUT, x)], &ExecOptions { exact: true, keep_intermediates: true, any_batch: true }).unwrap();
    let engine = int.forward_trace(&int.quantize_input(&test.features).unwrap()).unwrap();
    // Activation quantizers are the last node of each stage: the outputs of the input Quant /
    // DequantizeLinear and of each layer's final node, in graph order.
    let g = &model.graph;
    let stage_outputs: Vec<String> =
        g.nodes.iter().filter(|n| is_activation_quantizer(g, n)).map(|n| n.outputs[0].clone()).collect();
    assert_eq!(stage_outputs.len(), engine.len(), "one activation quantizer per stage");
    let mut scales = vec![int.input_scale];
    scales.extend(int.layers.iter().map(|l| l.output_scale));
    let (mut equal, mut total, mut worst) = (0, 0, 0i64);
    for ((name, e), s) in stage_outputs.iter().zip(&engine).zip(scales) {
        let t = out.intermediates.get(name).or_else(|| out.output(name)).unwrap().to_f32();
        for (v, q) in t.iter().zip(e) {
            // Quant outputs f32(q · s): dividing by s gives q back up to float rounding.
            let back = (f64::from(*v) / f64::from(s)).round_ties_even();
            total += 1;
            if back == *q as f64 {
                equal += 1;
            }
            worst = worst.max((back - *q as f64).abs().ceil() as i64);
        }
    }
    (equal, total, worst)
}

/// The node producing tensor `t`.
fn producer<'g>(g: &'g qonnx_ir::Graph, t: &str) -> Option<&'g qonnx_ir::Node> {
    g.nodes.iter().find(|m| m.outputs.iter().any(|o| o == t))
}

/// Whether tensor `t` is an activation: the graph input, or the output of a Relu or Add.
fn is_activation(g: &qonnx_ir::Graph, t: &str) -> bool {
    t == INPUT || producer(g, t).is_some_and(|m| m.op_type == "Relu" || m.op_type == "Add")
}

/// The last node of an activation quantizer: `Quant` of an activation, or the
/// `DequantizeLinear` of a `QuantizeLinear (→ Clip)` of one.
fn is_activation_quantizer(g: &qonnx_ir::Graph, n: &qonnx_ir::Node) -> bool {
    match n.op_type.as_str() {
        "Quant" => is_activation(g, &n.inputs[0]),
        "DequantizeLinear" => {
            let mut p = producer(g, &n.inputs[0]);
            if let Some(c) = p.filter(|c| c.op_type == "Clip") {
                p = producer(g, &c.inputs[0]);
            }
            p.is_some_and(|q| q.op_type == "QuantizeLinear" && is_activation(g, &q.inputs[0]))
        }
        _ => false,
    }
}

#[test]
fn qonnx_exact_mode_equals_integer_engine_power_of_two() {
    let test = common::jets_test_standardised();
    let config = QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).with_scale_mode(ScaleMode::PowerOfTwo);
    let int = integer_model(config, &test);
    let model = export_qonnx(&int, &ExportOptions::default()).unwrap();
    assert!(model.graph.nodes.iter().any(|n| n.op_type == "Quant"));
    let (equal, total, worst) = compare(&model, &int, &test);
    eprintln!("power of two: {equal} of {total} activations equal (worst {worst} LSB)");
    assert_eq!(equal, total);
}

#[test]
fn qonnx_exact_mode_dyadic_is_within_one_lsb() {
    let test = common::jets_test_standardised();
    let int = integer_model(QuantConfig::uniform(&[16, 64, 32, 32, 5], 8), &test);
    let model = export_qonnx(&int, &ExportOptions::default()).unwrap();
    let (equal, total, worst) = compare(&model, &int, &test);
    eprintln!("dyadic: {equal} of {total} activations equal (worst {worst} LSB)");
    assert!(worst <= 1);
    assert!(equal as f64 >= 0.999 * total as f64);
}

#[test]
fn qcdq_form_equals_integer_engine() {
    let test = common::jets_test_standardised();
    let config =
        QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).with_scale_mode(ScaleMode::PowerOfTwo).with_input_bits(8);
    let int = integer_model(config, &test);
    let (model, report) = export_qcdq(&int, &ExportOptions::default()).unwrap();
    assert!(report.converted > 0);
    assert!(!model.graph.nodes.iter().any(|n| n.op_type == "Quant"));
    let (equal, total, _) = compare(&model, &int, &test);
    eprintln!("QCDQ: {equal} of {total} activations equal");
    assert_eq!(equal, total);
    // 16-bit inputs are not representable in QCDQ: a typed error.
    let int16 = integer_model(QuantConfig::uniform(&[16, 8, 5], 8), &test);
    assert!(matches!(export_qcdq(&int16, &ExportOptions::default()), Err(hawq_core::Error::Config { .. })));
}
