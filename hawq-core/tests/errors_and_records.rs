//! Bad configuration gives typed errors (0 or more than 32 bits, widths that do not chain, NaN in
//! weights or data, an empty data set); save and load round-trip a trained model.

use burn::module::{AutodiffModule, Param};
use burn::prelude::*;
use hawq_core::backend::{Cpu, CpuTrain};
use hawq_core::integer::IntegerMlp;
use hawq_core::train::{TrainConfig, train};
use hawq_core::{BitConfig, Dataset, Error, IntRange, QuantConfig, ScaleMode};

#[test]
fn bit_widths_out_of_range() {
    let device = Default::default();
    for bad in [0, 33] {
        let mut c = QuantConfig::uniform(&[4, 8, 3], 8);
        c.layers[1] = BitConfig { weight: bad, activation: 8, bias: 32 };
        let e = c.init::<Cpu>(&device, 0).unwrap_err();
        assert!(matches!(e, Error::InvalidBits { bits, ref what } if bits == bad && what == "layer 1 weight"), "{e}");
    }
    let c = QuantConfig { input_bits: 0, ..QuantConfig::uniform(&[4, 3], 8) };
    assert!(matches!(c.validate(), Err(Error::InvalidBits { .. })));
}

#[test]
fn widths_that_do_not_chain() {
    let mut c = QuantConfig::uniform(&[4, 8, 3], 8);
    c.layers.push(BitConfig::uniform(8));
    assert!(matches!(c.validate(), Err(Error::Config { .. })));
    assert!(matches!(QuantConfig::uniform(&[4], 8).validate(), Err(Error::Config { .. })));
    assert!(matches!(QuantConfig::uniform(&[4, 0, 3], 8).validate(), Err(Error::Config { .. })));
    // Integer layers whose widths do not chain.
    let device = Default::default();
    let int = QuantConfig::uniform(&[4, 8, 3], 8).init::<Cpu>(&device, 0).unwrap().to_integer().unwrap();
    let mut layers = int.layers.clone();
    layers[1].d_in = 7;
    let e = IntegerMlp::new(1.0, IntRange::new(8, true, false), layers, ScaleMode::Dyadic).unwrap_err();
    assert!(e.to_string().contains("layer 1"), "{e}");
}

#[test]
fn nan_in_weights_or_data_and_empty_data() {
    let device = Default::default();
    let mut model = QuantConfig::uniform(&[4, 8, 3], 8).init::<Cpu>(&device, 0).unwrap();
    let mut w = vec![0.1f32; 32];
    w[5] = f32::NAN;
    model.layers[0].weight = Param::from_tensor(Tensor::from_data(TensorData::new(w, [4, 8]), &device));
    let e = model.to_integer().unwrap_err();
    assert!(matches!(e, Error::NonFinite { ref what, index: 5, .. } if what == "layer 0 weight"), "{e}");

    let e = Dataset::new("train", vec![1.0, f32::NAN, 0.0, 0.0], vec![0, 1], 2, 2).unwrap_err();
    assert!(matches!(e, Error::NonFinite { index: 1, .. }), "{e}");
    let e = Dataset::new("train", vec![], vec![], 2, 2).unwrap_err();
    assert!(matches!(e, Error::EmptyDataset { .. }), "{e}");
    // An empty set handed to training directly.
    let empty = Dataset { features: vec![], labels: vec![], n_features: 4, n_classes: 3 };
    let m = QuantConfig::uniform(&[4, 8, 3], 8).init::<CpuTrain>(&device, 0).unwrap();
    let e = train(m, &empty, None, &TrainConfig::default(), &mut |_| {}).unwrap_err();
    assert!(matches!(e, Error::EmptyDataset { .. }), "{e}");
    // NaN data in the integer engine's input.
    let int = QuantConfig::uniform(&[4, 8, 3], 8).init::<Cpu>(&device, 0).unwrap().to_integer().unwrap();
    assert!(matches!(int.quantize_input(&[0.0, f32::NAN, 0.0, 0.0]), Err(Error::NonFinite { .. })));
    assert!(matches!(int.forward_int(&[1, 2, 3]), Err(Error::Shape { .. })));
}

#[test]
fn save_and_load_round_trip() {
    let device = Default::default();
    let data = Dataset::synthetic_blobs(512, 6, 3, 1.0, 2).unwrap();
    let model = QuantConfig::uniform(&[6, 12, 3], 6).init::<CpuTrain>(&device, 1).unwrap();
    let tc = TrainConfig { epochs: 2, batch_size: 64, ..Default::default() };
    let mut reports = 0;
    let model = train(model, &data, Some(&data), &tc, &mut |_| reports += 1).unwrap().model.valid().freeze();
    assert_eq!(reports, 2);
    let dir = std::env::temp_dir().join(format!("hawq-core-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("model");
    hawq_core::record::save(&model, &path).unwrap();
    let json = std::fs::read_to_string(path.with_extension("json")).unwrap();
    assert!(json.contains("\"scale_mode\": \"Dyadic\"") && json.contains("\"weight\": 6"), "{json}");
    let loaded: hawq_core::QuantMlp<Cpu> = hawq_core::record::load(&path, &device).unwrap();
    assert!(loaded.input_act.frozen);
    assert_eq!(loaded.to_integer().unwrap(), model.to_integer().unwrap());
    let e = hawq_core::record::load::<Cpu>(&dir.join("missing"), &device).unwrap_err();
    assert!(matches!(e, Error::File { .. }), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn same_seed_same_model() {
    let device = Default::default();
    let data = Dataset::synthetic_blobs(600, 6, 3, 1.0, 4).unwrap();
    let run = || {
        let model = QuantConfig::uniform(&[6, 12, 3], 8).init::<CpuTrain>(&device, 9).unwrap();
        let tc = TrainConfig { epochs: 2, batch_size: 50, seed: 5, ..Default::default() };
        train(model, &data, None, &tc, &mut |_| {}).unwrap().model.valid().freeze().to_integer().unwrap()
    };
    assert_eq!(run(), run());
}
