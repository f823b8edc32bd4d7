//! The emulator at every SIMD level this CPU runs (tiles on AVX-512 VNNI, AVX2 and portable
//! kernels; `Emulator::with_simd`) gives the per-sample reference path's bits: on the QKeras jet
//! tagger (16-bit dense layers on the multiply-add kernels) with each softmax form, on the float
//! ONNX taggers lowered at wide and narrow precisions (wide dense layers, affine layers from
//! batch norm, saturating and wrapping casts, all on the tile path's other branches), for batch
//! sizes around the tile size and inputs at and beyond the input type's ends.

mod common;

use hls_backend::config::SoftmaxImpl;
use hls_backend::{Emulator, HlsConfig, HlsModel, lower::lower};
use qonnx_ir::Simd;

/// `model` lowered with `cfg`.
fn lowered(model: &str, cfg: &HlsConfig) -> HlsModel {
    let m = qonnx_ir::Model::load(common::testdata(format!("models/{model}"))).expect("model");
    lower(&m, cfg).expect("lowers")
}

/// Raw inputs: the grid of `test_support` quantized, plus the type's extremes.
fn inputs(emu: &Emulator, n: usize) -> Vec<i64> {
    let n_in = emu.model().n_inputs;
    let mut x = emu.quantize_inputs(&common::grid_inputs(n, n_in, 3));
    let t = emu.model().input_type;
    for (k, v) in x.iter_mut().enumerate().take(n_in * 8) {
        *v = if k % 2 == 0 { t.min_raw() } else { t.max_raw() };
    }
    x
}

/// Every level against the reference level on `hls`; returns how many levels ran tiles.
fn check(hls: &HlsModel, what: &str) -> usize {
    let reference = Emulator::with_simd(hls, Simd::Reference).expect("reference level");
    let x = inputs(&reference, 2_000);
    let n_in = hls.n_inputs;
    let mut tiled = 0;
    for simd in Simd::available() {
        let emu = Emulator::with_simd(hls, simd).expect("an available level");
        assert_eq!(emu.simd(), simd);
        for batch in [1, 31, 32, 33, 2_000] {
            let xs = &x[..batch * n_in];
            let want = reference.run_raw(xs).expect("reference run");
            let got = emu.run_raw(xs).expect("run");
            assert_eq!(got, want, "{what}, {simd}, batch {batch}: differs from the per-sample path");
        }
        tiled += usize::from(simd != Simd::Reference);
    }
    tiled
}

#[test]
fn every_level_equals_the_per_sample_path_on_the_qkeras_tagger() {
    test_support::simd_levels_not_run();
    for softmax in [SoftmaxImpl::Skip, SoftmaxImpl::Lut, SoftmaxImpl::Argmax] {
        let hls = lowered("qkeras_jettagging.onnx", &HlsConfig { softmax, ..Default::default() });
        let tiled = check(&hls, &format!("QKeras tagger, softmax {softmax:?}"));
        assert!(tiled >= 1, "the portable tiles run everywhere");
    }
}

#[test]
fn every_level_equals_the_per_sample_path_on_float_models() {
    for model in ["three_layer_keras.onnx", "three_layer_pytorch.onnx", "three_layer_bn_pytorch.onnx"] {
        for precision in ["ap_fixed<16,6>", "ap_fixed<24,10,AP_RND_CONV,AP_SAT>", "ap_fixed<8,3,AP_RND,AP_WRAP>"] {
            let cfg = HlsConfig {
                softmax: SoftmaxImpl::Skip,
                default_precision: precision.into(),
                input_precision: precision.into(),
                ..Default::default()
            };
            check(&lowered(model, &cfg), &format!("{model} at {precision}"));
        }
    }
}

#[test]
fn a_level_this_cpu_lacks_is_an_error() {
    let hls = lowered("qkeras_jettagging.onnx", &HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() });
    for simd in Simd::ALL {
        assert_eq!(Emulator::with_simd(&hls, simd).is_ok(), simd.supported(), "{simd}");
    }
}
