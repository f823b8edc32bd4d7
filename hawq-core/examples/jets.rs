//! Trains a 16-64-32-32-5 QuantMlp (8 bits, 16-bit inputs) on the built-in simulated jets for a few
//! epochs, converts it to the integer engine, checks that both agree, and exports QONNX.
//!
//! `cargo run --release -p hawq-core --example jets [-- EPOCHS [OUT.onnx]]`

use burn::module::AutodiffModule;
use hawq_core::backend::DefaultTrain;
use hawq_core::export::{ExportOptions, export_qonnx};
use hawq_core::train::{TrainConfig, evaluate, predict, train};
use hawq_core::{Dataset, QuantConfig};
use test_support::Split;

mod anyhow_free {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
}

/// A split of the built-in jets (the shipped simulated sample), standardised with the training
/// split's mean and deviation.
fn load(split: Split) -> anyhow_free::Result<Dataset> {
    let j = test_support::jets(split);
    Ok(Dataset::from_one_hot(&format!("{split:?}"), j.features, &j.one_hot, j.n_features, j.n_classes)?)
}

fn main() -> anyhow_free::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let epochs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let out = args.get(2).cloned().unwrap_or_else(|| std::env::temp_dir().join("hawq_jets.onnx").display().to_string());
    let (all, test) = (load(Split::TrainVal)?, load(Split::Test)?);
    let (train_set, valid) = all.split(0.2, 1);

    let device = Default::default();
    let model = QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).init::<DefaultTrain>(&device, 42)?;
    let config = TrainConfig {
        epochs,
        batch_size: 1024,
        learning_rate: 3e-3,
        lr_step: 10,
        patience: Some(5),
        ..Default::default()
    };
    let outcome = train(model, &train_set, Some(&valid), &config, &mut |r| {
        let v = r.valid.as_ref().map(|m| format!("valid loss {:.4} acc {:.4}", m.loss, m.accuracy)).unwrap_or_default();
        println!("epoch {:>3}  lr {:.1e}  train loss {:.4}  {v}", r.epoch, r.learning_rate, r.train_loss);
    })?;
    let model = outcome.model.valid().freeze();
    let m = evaluate(&model, &test, 4096)?;
    println!(
        "test accuracy {:.4}, AUC per class {:?}",
        m.accuracy,
        m.auc.iter().map(|a| (a * 1e4).round() / 1e4).collect::<Vec<_>>()
    );

    let (int, warnings) = model.to_integer_with_warnings()?;
    println!("integer engine: worst-case accumulator {} bits; warnings {warnings:?}", int.max_accumulator_bits());
    let eval_out = predict(&model, &test, 4096)?;
    let int_out = int.predict(&test.features)?;
    let same = eval_out.iter().zip(&int_out).filter(|(a, b)| a == b).count();
    println!("eval-mode model vs integer engine (float32 backend): {same} of {} outputs equal", int_out.len());

    let qonnx = export_qonnx(&int, &ExportOptions::default())?;
    qonnx.save(&out)?;
    println!("QONNX written to {out}");
    Ok(())
}
