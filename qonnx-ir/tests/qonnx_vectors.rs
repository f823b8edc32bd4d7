//! Every single-node case in `testdata/qonnx-vectors/` (computed by Python qonnx 1.0.0 through
//! `scripts/make-fixtures.py`) reproduced bit for bit, the sign of zero included.

mod common;

use qonnx_ir::exec::{ExecOptions, execute};
use qonnx_ir::model::{Graph, Initializer, Model, Node, ValueInfo};
use qonnx_ir::proto::data_type;
use qonnx_ir::{Dim, attr};
use serde_json::Value;

fn case_model(case: &Value) -> (Model, Vec<(String, qonnx_ir::Tensor)>) {
    let order: Vec<&str> = case["input_order"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let mut node = Node::new(case["op_type"].as_str().unwrap(), &order, &["y"]);
    node.domain = Some(case["domain"].as_str().unwrap().to_string());
    node.name = Some(case["name"].as_str().unwrap().to_string());
    for (k, v) in case["attributes"].as_object().unwrap() {
        node.attributes.push(match v {
            Value::String(s) => attr::string(k, s),
            Value::Number(n) if n.is_i64() => attr::int(k, n.as_i64().unwrap()),
            Value::Number(n) => attr::float(k, n.as_f64().unwrap() as f32),
            _ => panic!("attribute {k}: {v}"),
        });
    }
    let x = common::tensor(&case["inputs"][order[0]]);
    let mut g = Graph { nodes: vec![node], ..Default::default() };
    let dims: Vec<Dim> = x.shape().iter().map(|&d| Dim::Value(d as i64)).collect();
    g.inputs.push(ValueInfo::tensor(order[0], data_type::FLOAT, &dims));
    g.outputs.push(ValueInfo::tensor("y", data_type::FLOAT, &[]));
    for name in &order[1..] {
        g.initializers.push(Initializer::new(*name, common::tensor(&case["inputs"][*name])));
    }
    let opset = case["domain_opset"].as_i64().unwrap();
    let model = Model::new(g, &[("", 13), (case["domain"].as_str().unwrap(), opset)]);
    (model, vec![(order[0].to_string(), x)])
}

fn run_file(file: &str) -> usize {
    let doc = common::json(&format!("qonnx-vectors/{file}"));
    let cases = doc["cases"].as_array().unwrap();
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (model, inputs) = case_model(case);
        let inputs: Vec<(&str, qonnx_ir::Tensor)> = inputs.iter().map(|(n, t)| (n.as_str(), t.clone())).collect();
        let out = execute(&model, &inputs, &ExecOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
        let y = out.outputs[0].1.as_f32().unwrap();
        let want: Vec<u32> = case["output"]["f32_bits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| u32::from_str_radix(h.as_str().unwrap(), 16).unwrap())
            .collect();
        let got: Vec<u32> = y.iter().map(|v| v.to_bits()).collect();
        let want_shape: Vec<usize> =
            case["output"]["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
        if got != want || y.shape() != want_shape.as_slice() {
            failures.push(format!("{name}: got {:?} want {:?}", y.iter().collect::<Vec<_>>(), case["output"]["data"]));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases differ:\n{}", failures.len(), cases.len(), failures.join("\n"));
    cases.len()
}

#[test]
fn quant_cases_bit_exact() {
    assert!(run_file("quant.json") > 10);
}

#[test]
fn bipolar_quant_cases_bit_exact() {
    assert!(run_file("bipolarquant.json") > 0);
}

#[test]
fn trunc_v1_cases_bit_exact() {
    assert!(run_file("trunc_v1.json") > 0);
}

#[test]
fn trunc_v2_cases_bit_exact() {
    assert!(run_file("trunc_v2.json") > 0);
}
