//! Helpers shared by the integration tests: the built-in jets as data sets, the blob
//! classification task and its training settings, activation comparisons.
#![allow(dead_code)]

use burn::module::AutodiffModule;
use burn::prelude::{Backend, Tensor};
use hawq_core::backend::CpuTrain;
use hawq_core::train::{TrainConfig, train};
use hawq_core::{Dataset, IntegerMlp, QuantConfig};
use test_support::Split;

/// A split of the built-in jets (`test-support`: the shipped sample, standardised with the
/// training split's mean and deviation) as a data set.
pub fn jets(split: Split) -> Dataset {
    let j = test_support::jets(split);
    Dataset::from_one_hot(&format!("jets {split:?}"), j.features, &j.one_hot, j.n_features, j.n_classes)
        .expect("jets data set")
}

/// The standardised jets test set.
pub fn jets_test_standardised() -> Dataset {
    jets(Split::Test)
}

/// A model with `config` trained one epoch on half of `test`, as an integer engine (enough for
/// the exactness checks; not a real tagger).
pub fn integer_model(config: QuantConfig, test: &Dataset) -> IntegerMlp {
    let device = Default::default();
    let model = config.init::<CpuTrain>(&device, 3).unwrap();
    let (part, _) = test.split(0.5, 9);
    let tc = TrainConfig { epochs: 1, batch_size: 256, learning_rate: 3e-3, ..Default::default() };
    train(model, &part, None, &tc, &mut |_| {}).unwrap().model.valid().freeze().to_integer().unwrap()
}

/// 16 features, 5 classes, overlapping blobs (a float model does not reach 100 %): 3000 training
/// and 1000 test samples.
pub fn blobs() -> (Dataset, Dataset) {
    Dataset::synthetic_blobs(4000, 16, 5, 2.0, 11).unwrap().split(0.25, 5)
}

/// The training settings of the blob task: 12 epochs of Adam, batch 64, step decay at epoch 8.
pub fn blob_training() -> TrainConfig {
    TrainConfig {
        epochs: 12,
        batch_size: 64,
        learning_rate: 3e-3,
        lr_step: 8,
        lr_gamma: 0.3,
        seed: 1,
        ..Default::default()
    }
}

/// How many of the integer engine's activations (`forward_trace`) equal the burn model's
/// integer-valued ones (`forward_integer`), and how many there are.
pub fn equal_activations<B: Backend>(engine: &[Vec<i64>], burn: Vec<Tensor<B, 2>>) -> (usize, usize) {
    assert_eq!(engine.len(), burn.len());
    let (mut total, mut equal) = (0usize, 0usize);
    for (e, b) in engine.iter().zip(burn) {
        let b: Vec<f64> = b.into_data().iter::<f64>().collect();
        assert_eq!(e.len(), b.len());
        total += e.len();
        equal += e.iter().zip(&b).filter(|(x, y)| **x as f64 == **y).count();
    }
    (equal, total)
}
