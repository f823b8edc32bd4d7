//! Trains a 16-64-32-32-5 QuantMlp (8 bits, 16-bit inputs) on the simulated jets for a few
//! epochs, converts it to the integer engine, checks that both agree, and exports QONNX.
//!
//! `cargo run --release -p hawq-core --example jets [-- EPOCHS [OUT.onnx]]`

use burn::module::AutodiffModule;
use hawq_core::backend::DefaultTrain;
use hawq_core::export::{ExportOptions, export_qonnx};
use hawq_core::train::{TrainConfig, evaluate, predict, train};
use hawq_core::{Dataset, QuantConfig};
use ndarray::Array2;
use ndarray_npy::read_npy;

const JETS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/testdata/simulated-jets");

fn load(name: &str) -> anyhow_free::Result<Dataset> {
    let x: Array2<f32> = read_npy(format!("{JETS}/X_{name}.npy"))?;
    let y: Array2<f32> = read_npy(format!("{JETS}/y_{name}.npy"))?;
    let targets: Vec<f32> = y.iter().copied().collect();
    Ok(Dataset::from_one_hot(name, x.iter().copied().collect(), &targets, x.ncols(), y.ncols())?)
}

/// Standardises with the training set's mean and deviation.
fn standardise(sets: &mut [&mut Dataset]) {
    let d = sets[0].n_features;
    for k in 0..d {
        let col: Vec<f64> = sets[0].features.iter().skip(k).step_by(d).map(|&v| f64::from(v)).collect();
        let mean = col.iter().sum::<f64>() / col.len() as f64;
        let sd = (col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / col.len() as f64).sqrt().max(1e-6);
        for s in sets.iter_mut() {
            for v in s.features.iter_mut().skip(k).step_by(d) {
                *v = ((f64::from(*v) - mean) / sd) as f32;
            }
        }
    }
}

mod anyhow_free {
    pub type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;
}

fn main() -> anyhow_free::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let epochs = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(3);
    let out = args.get(2).cloned().unwrap_or_else(|| std::env::temp_dir().join("hawq_jets.onnx").display().to_string());
    let (mut all, mut test) = (load("train_val")?, load("test")?);
    standardise(&mut [&mut all, &mut test]);
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
    let eval_out = predict(&model, &test, 4096);
    let int_out = int.predict(&test.features)?;
    let same = eval_out.iter().zip(&int_out).filter(|(a, b)| a == b).count();
    println!("eval-mode model vs integer engine (float32 backend): {same} of {} outputs equal", int_out.len());

    let qonnx = export_qonnx(&int, &ExportOptions::default())?;
    qonnx.save(&out)?;
    println!("QONNX written to {out}");
    Ok(())
}
