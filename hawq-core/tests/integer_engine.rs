//! The integer engine equals the fake-quantized burn model in eval mode, exactly, on every
//! sample of the simulated-jets test set (10,060 jets), for every activation of every layer.
//!
//! "Equal" means: the integer activations `q_l` of the integer engine (`i64`) and the integer-
//! valued activations of `QuantMlp::forward_integer` (the model's eval-mode forward, here on the
//! float64 CPU backend) are the same numbers, compared as `f64`, for the quantized input and every
//! layer's output, on every sample. In power-of-two mode we also check the straight-through QAT
//! graph itself (`forward_fake_quant`, frozen) against `q_L · s_L`.
//!
//! This test binary uses only float64 backends: burn 0.21 fixes one default float type per
//! device type, so `NdArray<f32>` and `NdArray<f64>` cannot be mixed in one process (the float32
//! checks are in `integer_engine_f32.rs`).

mod common;

use burn::module::AutodiffModule;
use burn::prelude::*;
use hawq_core::backend::Cpu64;
use hawq_core::train::{TrainConfig, train};
use hawq_core::{Dataset, QuantConfig, QuantMlp, ScaleMode};

const WIDTHS: [usize; 5] = [16, 64, 32, 32, 5];

fn tensor<B: Backend>(d: &Dataset, device: &B::Device) -> Tensor<B, 2> {
    Tensor::from_data(TensorData::new(d.features.clone(), [d.len(), d.n_features]), device)
}

fn host<B: Backend>(t: Tensor<B, 2>) -> Vec<f64> {
    t.into_data().iter::<f64>().collect()
}

type Train64 = burn::backend::Autodiff<Cpu64>;

/// A jet tagger trained (float64) for one epoch on half of the test set, then frozen.
fn trained(mode: ScaleMode, test: &Dataset) -> QuantMlp<Cpu64> {
    let device = Default::default();
    let config = QuantConfig::uniform(&WIDTHS, 8).with_scale_mode(mode);
    let model = config.init::<Train64>(&device, 3).unwrap();
    let (part, _) = test.split(0.5, 9);
    let tc = TrainConfig { epochs: 1, batch_size: 256, learning_rate: 3e-3, ..Default::default() };
    train(model, &part, None, &tc, &mut |_| {}).unwrap().model.valid().freeze()
}

fn check_mode(mode: ScaleMode) {
    let test = common::jets_test_standardised();
    let model64 = trained(mode, &test);
    let device = Default::default();
    let int = model64.to_integer().unwrap();

    let engine = int.forward_trace(&int.quantize_input(&test.features).unwrap()).unwrap();
    let burn = model64.forward_integer(tensor::<Cpu64>(&test, &device)).unwrap();
    let (equal, total) = common::equal_activations(&engine, burn.activations);
    eprintln!("{mode:?}: {equal} of {total} activations equal over {} jets", test.len());
    assert_eq!(equal, total);
    let bits = int.max_accumulator_bits();
    eprintln!("{mode:?}: worst-case accumulator {bits} bits, bounds {:?}", int.accumulator_bounds());

    if mode == ScaleMode::PowerOfTwo {
        // The QAT graph itself (straight-through fake quantization, frozen) in float64 equals the
        // dequantized integer outputs exactly.
        let fq = host(model64.forward_fake_quant(tensor::<Cpu64>(&test, &device), false));
        let s = f64::from(int.output_scale());
        let last = engine.last().unwrap();
        let same = fq.iter().zip(last).filter(|(a, q)| **a == **q as f64 * s).count();
        eprintln!("PowerOfTwo: fake-quant graph equals engine on {same} of {}", fq.len());
        assert_eq!(same, fq.len());
    }
}

#[test]
fn integer_engine_equals_eval_model_power_of_two() {
    check_mode(ScaleMode::PowerOfTwo);
}

#[test]
fn integer_engine_equals_eval_model_dyadic() {
    check_mode(ScaleMode::Dyadic);
}
