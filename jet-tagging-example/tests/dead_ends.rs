//! The dead ends a user met composing the chain are now either impossible or a typed error at
//! configuration time that names the fix:
//! - a dyadic model declared for FPGA firmware, or one with 1-bit signed quantizers;
//! - a dyadic model handed to `hls-backend` anyway (the error says what to change);
//! - an input precision narrower than the quantized input: `input_precision` applies only to
//!   unquantized inputs, so the firmware stays bit-exact whatever it says.

mod common;

use burn::module::AutodiffModule;
use hawq_core::backend::CpuTrain;
use hawq_core::export::{ExportOptions, INPUT, export_qonnx};
use hawq_core::train::{TrainConfig, train};
use hawq_core::{Error, IntegerMlp, QuantConfig, ScaleMode, Target};
use hls_backend::{Emulator, HlsConfig, lower::lower};
use qonnx_ir::Tensor;
use qonnx_ir::exec::{ExecOptions, execute};
use test_support::Split;

const WIDTHS: [usize; 5] = [16, 64, 32, 32, 5];

/// `config` trained one epoch on 2,000 jets, as an integer engine.
fn engine(config: QuantConfig) -> IntegerMlp {
    let model = config.init::<CpuTrain>(&Default::default(), 3).unwrap();
    let tc = TrainConfig { epochs: 1, batch_size: 128, learning_rate: 3e-3, ..Default::default() };
    train(model, &common::jets(Split::Test, 2000), None, &tc, &mut |_| {})
        .unwrap()
        .model
        .valid()
        .freeze()
        .to_integer()
        .unwrap()
}

fn setting_error(config: QuantConfig) -> (String, String) {
    match config.init::<CpuTrain>(&Default::default(), 1) {
        Err(Error::InvalidSetting { setting, message }) => (setting, message),
        other => panic!("expected a setting error, got {:?}", other.map(|_| "a model")),
    }
}

#[test]
fn a_dyadic_model_cannot_be_declared_for_fpga() {
    let (setting, message) = setting_error(QuantConfig::uniform(&WIDTHS, 8).with_target(Target::Fpga));
    assert_eq!(setting, "scale mode");
    assert!(message.contains("ScaleMode::PowerOfTwo"), "{message}");
    // The FPGA constructor is valid as it stands.
    assert!(QuantConfig::fpga(&WIDTHS, 8).validate().is_ok());
    assert_eq!(QuantConfig::fpga(&WIDTHS, 8).scale_mode, ScaleMode::PowerOfTwo);
}

#[test]
fn one_bit_signed_quantizers_cannot_be_declared_for_fpga() {
    let mut c = QuantConfig::fpga(&WIDTHS, 6);
    c.layers[1].weight = 1;
    let (setting, message) = setting_error(c);
    assert_eq!(setting, "layer 1 weight bits");
    assert!(message.contains("2 bits or more"), "{message}");
    let mut c = QuantConfig::fpga(&WIDTHS, 6);
    c.layers[3].activation = 1;
    assert_eq!(setting_error(c).0, "layer 3 output activation bits");
    // 1-bit weights stay allowed for the integer engine.
    let mut c = QuantConfig::uniform(&WIDTHS, 6);
    c.layers[1].weight = 1;
    assert!(c.validate().is_ok());
}

#[test]
fn hls_backend_names_the_fix_for_a_dyadic_export() {
    let int = engine(QuantConfig::uniform(&WIDTHS, 8));
    let qonnx = export_qonnx(&int, &ExportOptions::default()).unwrap();
    let e = lower(&qonnx, &HlsConfig::default()).unwrap_err();
    assert!(matches!(e, hls_backend::Error::Unsupported { .. }), "{e}");
    assert!(e.to_string().contains("power-of-two scales"), "{e}");
}

#[test]
fn input_precision_does_not_touch_a_quantized_input() {
    let int = engine(QuantConfig::fpga(&WIDTHS, 8));
    let qonnx = export_qonnx(&int, &ExportOptions::default()).unwrap();
    let data = common::jets(Split::Test, 1000);
    let x: Vec<f64> = data.features.iter().map(|&v| f64::from(v)).collect();
    let t = Tensor::from_f32(&[data.len(), 16], data.features.clone()).unwrap();
    let exec =
        execute(&qonnx, &[(INPUT, t)], &ExecOptions { exact: true, any_batch: true, ..Default::default() }).unwrap();
    let exec: Vec<f64> = exec.outputs[0].1.to_f64().iter().copied().collect();
    let engine = int.forward_int(&int.quantize_input(&data.features).unwrap()).unwrap();
    let s = f64::from(int.output_scale());
    // A precision far narrower than the 16-bit input quantizer, the default, and a wide one.
    for p in ["ap_fixed<4,2>", "ap_fixed<16,6>", "ap_fixed<56,16>"] {
        let hls = lower(&qonnx, &HlsConfig { input_precision: p.into(), ..Default::default() }).unwrap();
        assert_eq!(hls.input_type.width, 16, "{p}: the input takes the input quantizer's type");
        let emu = Emulator::new(&hls).run(&x).unwrap().values();
        assert_eq!(emu.len(), exec.len());
        let diff = emu.iter().zip(&exec).filter(|(a, b)| a != b).count();
        assert_eq!(diff, 0, "{p}: emulator vs qonnx-ir exact");
        let diff = emu.iter().zip(&engine).filter(|(a, q)| **a != **q as f64 * s).count();
        assert_eq!(diff, 0, "{p}: emulator vs integer engine");
    }
}
