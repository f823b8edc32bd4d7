//! The float 16-64-32-32-5 MLP on the built-in jets (the shipped simulated sample): trained with
//! Adam on the training split (a fifth held out for early stopping), evaluated on the test split.
//! Prints the test accuracy and the one-vs-rest AUC of each class, the figures on the sample's
//! validation page (`docs/src/jet-study/data.md`).
//!
//! `cargo run --release -p jet-tagging-example --example float_baseline [-- EPOCHS]`

use burn::module::AutodiffModule;
use hawq_core::backend::DefaultTrain;
use hawq_core::train::{TrainConfig, evaluate, train};
use hawq_core::{Dataset, QuantConfig};
use jet_data::CLASSES;
use test_support::Split;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let epochs = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(40);
    let load = |split: Split| {
        let j = test_support::jets(split);
        Dataset::from_one_hot(&format!("{split:?}"), j.features, &j.one_hot, j.n_features, j.n_classes)
    };
    let (all, test) = (load(Split::TrainVal)?, load(Split::Test)?);
    let (train_set, valid) = all.split(0.2, 1);
    let model = QuantConfig::float(&[16, 64, 32, 32, 5]).init::<DefaultTrain>(&Default::default(), 42)?;
    let config = TrainConfig {
        epochs,
        batch_size: 1024,
        learning_rate: 3e-3,
        lr_step: 15,
        lr_gamma: 0.3,
        patience: Some(6),
        ..Default::default()
    };
    let outcome = train(model, &train_set, Some(&valid), &config, &mut |r| {
        let v = r.valid.as_ref().map(|m| format!("valid acc {:.4}", m.accuracy)).unwrap_or_default();
        eprintln!("epoch {:>3}  train loss {:.4}  {v}", r.epoch, r.train_loss);
    })?;
    let m = evaluate(&outcome.model.valid(), &test, 4096)?;
    println!("test jets: {}", test.len());
    println!("test accuracy: {:.4}", m.accuracy);
    for (class, auc) in CLASSES.iter().zip(&m.auc) {
        println!("AUC {class}: {auc:.4}");
    }
    Ok(())
}
