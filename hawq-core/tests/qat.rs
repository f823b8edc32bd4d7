//! QAT at 8 bits on a small synthetic task ends within 1 % accuracy of the float model.

mod common;

use burn::module::AutodiffModule;
use hawq_core::backend::CpuTrain;
use hawq_core::train::{evaluate, train};
use hawq_core::{QuantConfig, ScaleMode};

const WIDTHS: [usize; 3] = [16, 32, 5];

fn run(config: QuantConfig) -> f64 {
    let (train_set, test_set) = common::blobs();
    let device = Default::default();
    let model = config.init::<CpuTrain>(&device, 42).unwrap();
    let out = train(model, &train_set, None, &common::blob_training(), &mut |_| {}).unwrap();
    // Eval mode (no autodiff): for the quantized model this is the integer-faithful forward.
    evaluate(&out.model.valid().freeze(), &test_set, 1000).unwrap().accuracy
}

#[test]
fn qat_8bit_within_one_percent_of_float() {
    let float_acc = run(QuantConfig::float(&WIDTHS));
    let dyadic = run(QuantConfig::uniform(&WIDTHS, 8));
    let pow2 = run(QuantConfig::uniform(&WIDTHS, 8).with_scale_mode(ScaleMode::PowerOfTwo));
    eprintln!("accuracy: float {float_acc:.4}, QAT 8-bit dyadic {dyadic:.4}, QAT 8-bit power-of-two {pow2:.4}");
    assert!(float_acc > 0.6 && float_acc < 0.999, "the task should be neither trivial nor hopeless: {float_acc}");
    assert!(dyadic >= float_acc - 0.01, "dyadic {dyadic} vs float {float_acc}");
    assert!(pow2 >= float_acc - 0.01, "power of two {pow2} vs float {float_acc}");
}
