use hls_backend::{Emulator, HlsConfig, config::SoftmaxImpl, lower::lower};
#[test]
fn quick() {
    let m = qonnx_ir::Model::load("../../../shared/testdata/models/qkeras_jettagging.onnx").unwrap();
    let cfg = HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() };
    let h = lower(&m, &cfg).unwrap();
    for l in &h.layers {
        println!("{} {:?} {}", l.name, l.nodes, l.out_type);
        if let hls_backend::LayerKind::Dense(d) = &l.kind {
            println!("  w {} b {} acc {} nz {}", d.weight_type, d.bias_type, d.acc_type, d.nonzero());
        }
    }
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string("../../../shared/testdata/model-outputs/qkeras_jettagging.json").unwrap(),
    )
    .unwrap();
    let x: Vec<f64> = doc["inputs"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
        .collect();
    let want: Vec<f64> = doc["logits"]["data"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
        .collect();
    let y = Emulator::new(&h).run(&x).unwrap().values();
    let bad = y.iter().zip(&want).filter(|(a, b)| a != b).count();
    println!("mismatches {bad} of {}", want.len());
    assert_eq!(bad, 0);
}
