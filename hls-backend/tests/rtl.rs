//! The RTL writer is bit-exact: its netlist and the Verilog simulated by Icarus equal the
//! emulator on every output, for the QKeras jet tagger (10,000 inputs), for every `ap_fixed`
//! cast mode, and at every pipelining; Yosys synthesizes it; bad inputs are typed errors that
//! leave no folder behind.

mod common;

use hls_backend::config::SoftmaxImpl;
use hls_backend::fixed::{FixedType, Overflow, Rounding};
use hls_backend::model::{Dense, HlsModel, Layer, LayerKind};
use hls_backend::rtl::{self, Pipeline, RtlConfig, sim::run_icarus, synth::run_yosys};
use hls_backend::{Emulator, Error, HlsConfig, lower::lower};
use qonnx_ir::Model;

fn qkeras(softmax: SoftmaxImpl) -> HlsModel {
    let model = Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap();
    lower(&model, &HlsConfig { name: "jet_tagger".into(), softmax, ..Default::default() }).unwrap()
}

fn count_diff(a: &[i64], b: &[i64]) -> usize {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).filter(|(x, y)| x != y).count()
}

#[test]
fn qkeras_jet_tagger_verilog_equals_emulator_on_10000_inputs() {
    let Some(_) = common::icarus() else { return };
    let hls = qkeras(SoftmaxImpl::Skip);
    let x = common::grid_inputs(10_000, 16, 11);
    let emu = Emulator::new(&hls);
    let want = emu.run(&x).unwrap().raw;
    let dir = common::tmpdir("rtl-qkeras").join("rtl");
    let design = rtl::write_rtl(&hls, &RtlConfig::default(), &dir, &x).unwrap();
    let net = design.evaluate(&emu.quantize_inputs(&x)).unwrap();
    assert_eq!(count_diff(&net, &want), 0, "netlist vs emulator");
    let sim = run_icarus(&dir, "jet_tagger").unwrap();
    assert_eq!(sim.len(), 50_000);
    assert_eq!(count_diff(&sim, &want), 0, "Icarus vs emulator");
    let r = &design.report;
    assert!(r.latency_cycles >= 2, "a pipelined design: {r:?}");
    let dense: Vec<_> = r.layers.iter().filter(|l| l.kind == "dense").collect();
    assert_eq!(dense.len(), 4);
    // Sharing: fewer adders than signed digits in every dense layer.
    for l in &dense {
        assert!(l.adders < l.csd_digits, "{l:?}");
        assert!(l.shared > 0, "{l:?}");
    }
}

#[test]
fn every_pipelining_gives_the_same_outputs_and_deeper_stages_fewer_cycles() {
    let Some(_) = common::icarus() else { return };
    let hls = qkeras(SoftmaxImpl::Argmax);
    let x = common::grid_inputs(300, 16, 5);
    let want = Emulator::new(&hls).run(&x).unwrap().raw;
    let mut latencies = Vec::new();
    for pipeline in [Pipeline::Combinational, Pipeline::Levels(1), Pipeline::Levels(4), Pipeline::ClockNs(10.0)] {
        let dir = common::tmpdir("rtl-pipe").join(format!("{pipeline:?}").replace(['(', ')', '.'], "_"));
        let config = RtlConfig { pipeline, share: pipeline != Pipeline::Levels(4) };
        let design = rtl::write_rtl(&hls, &config, &dir, &x).unwrap();
        let sim = run_icarus(&dir, "jet_tagger").unwrap();
        assert_eq!(count_diff(&sim, &want), 0, "{pipeline:?}");
        latencies.push(design.report.latency_cycles);
    }
    assert_eq!(latencies[0], 0);
    assert!(latencies[1] > latencies[2] && latencies[2] > latencies[3] && latencies[3] > 0, "{latencies:?}");
}

fn single_layer(input: FixedType, kind: LayerKind, n_out: usize, out_type: FixedType) -> HlsModel {
    HlsModel {
        name: "one".into(),
        n_inputs: 1,
        input_type: input,
        layers: vec![Layer { name: "layer0".into(), nodes: vec!["n0".into()], kind, n_out, out_type }],
    }
}

#[test]
fn casts_of_every_rounding_and_overflow_mode_match_ap_fixed() {
    let Some(_) = common::icarus() else { return };
    // ap_fixed<9,4> in: every one of its 512 values, into narrower types with fewer fractional
    // bits (rounding) and fewer integer bits (overflow), signed and unsigned, and a wider one.
    let input = FixedType::new(9, 4, true).unwrap();
    let raw: Vec<i64> = (input.min_raw()..=input.max_raw()).collect();
    let x: Vec<f64> = raw.iter().map(|&r| input.value(r)).collect();
    let mut checked = 0;
    for (w, i, signed) in [(5, 2, true), (4, 1, false), (12, 6, true)] {
        for r in Rounding::ALL {
            for o in Overflow::ALL {
                let out = FixedType::new(w, i, signed).unwrap().with_modes(r, o);
                let model = single_layer(input, LayerKind::Cast, 1, out);
                let want = Emulator::new(&model).run_raw(&raw).unwrap().raw;
                let dir = common::tmpdir("rtl-cast").join(format!("{w}_{i}_{signed}_{r:?}_{o:?}"));
                let design = rtl::write_rtl(&model, &RtlConfig::default(), &dir, &x).unwrap();
                assert_eq!(count_diff(&design.evaluate(&raw).unwrap(), &want), 0, "netlist, {out}");
                let sim = run_icarus(&dir, "one").unwrap();
                assert_eq!(count_diff(&sim, &want), 0, "Icarus, {out}");
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 84);
}

#[test]
fn a_dense_layer_whose_accumulator_wraps_and_an_unsigned_input() {
    let Some(_) = common::icarus() else { return };
    // ap_ufixed<6,2> input, weights ±(large), an accumulator deliberately too narrow (wrap),
    // (products at 9 fractional bits, sums up to ±3,100 in 12 bits), then a saturating
    // round-to-even cast: the emulator's semantics, including the wrap.
    let input = FixedType::new(6, 2, false).unwrap();
    let dense = Dense {
        n_in: 1,
        weights: vec![27, -45, 0],
        weight_type: FixedType::new(8, 3, true).unwrap(),
        weight_bits: 8,
        bias: vec![3, -7, 5],
        bias_type: FixedType::new(6, 2, true).unwrap(),
        acc_type: FixedType::new(12, 3, true).unwrap(),
    };
    let out = FixedType::new(6, 3, true).unwrap().with_modes(Rounding::RndConv, Overflow::Sat);
    let model = single_layer(input, LayerKind::Dense(dense), 3, out);
    let raw: Vec<i64> = (0..64).collect();
    let x: Vec<f64> = raw.iter().map(|&r| input.value(r)).collect();
    let want = Emulator::new(&model).run_raw(&raw).unwrap().raw;
    let dir = common::tmpdir("rtl-dense").join("rtl");
    let design = rtl::write_rtl(&model, &RtlConfig { pipeline: Pipeline::Levels(1), share: true }, &dir, &x).unwrap();
    assert_eq!(count_diff(&design.evaluate(&raw).unwrap(), &want), 0, "netlist");
    assert_eq!(count_diff(&run_icarus(&dir, "one").unwrap(), &want), 0, "Icarus");
}

#[test]
fn yosys_maps_the_design_to_luts_and_flip_flops() {
    let Some(_) = common::yosys() else { return };
    // A small design (the first dense layer of the QKeras tagger, 16×64) keeps CI fast.
    let mut hls = qkeras(SoftmaxImpl::Skip);
    hls.layers.truncate(2);
    let dir = common::tmpdir("rtl-synth").join("rtl");
    let design = rtl::write_rtl(&hls, &RtlConfig::default(), &dir, &common::grid_inputs(4, 16, 1)).unwrap();
    let report = run_yosys(&dir, "jet_tagger").unwrap();
    assert!(report.lut > 500, "{}", report.line());
    assert!(report.carry > 0 && report.dsp == 0, "{}", report.line());
    // Yosys may drop register bits that are constant or unused, never add any.
    assert!(
        report.ff > 0 && report.ff <= design.report.register_bits,
        "{} vs {}",
        report.line(),
        design.report.register_bits
    );
    assert!(report.longest_path > 0);
    assert!(report.flow.starts_with("Yosys"), "{}", report.flow);
    assert!(dir.join("synth_report.json").exists());
}

#[test]
fn a_layer_the_writer_cannot_build_is_a_typed_error_and_writes_nothing() {
    let hls = qkeras(SoftmaxImpl::Lut);
    let dir = common::tmpdir("rtl-error").join("rtl");
    let err = rtl::write_rtl(&hls, &RtlConfig::default(), &dir, &[0.0; 16]).unwrap_err();
    let last = hls.layers.last().unwrap().name.clone();
    assert!(matches!(&err, Error::Rtl { layer, .. } if *layer == last), "{err}");
    assert!(err.to_string().contains("softmax"), "{err}");
    assert!(!dir.exists());
    // A signal wider than the writer supports, named by its layer.
    let input = FixedType::new(40, 20, true).unwrap();
    let dense = Dense {
        n_in: 1,
        weights: vec![(1 << 40) - 1],
        weight_type: FixedType::new(42, 42, true).unwrap(),
        weight_bits: 42,
        bias: vec![0],
        bias_type: FixedType::new(2, 2, true).unwrap(),
        acc_type: FixedType::new(62, 42, true).unwrap(),
    };
    let model = single_layer(input, LayerKind::Dense(dense), 1, FixedType::new(8, 4, true).unwrap());
    let err = rtl::write_rtl(&model, &RtlConfig::default(), &dir, &[0.0]).unwrap_err();
    assert!(matches!(&err, Error::Rtl { layer, message } if layer == "layer0" && message.contains("bit")), "{err}");
    assert!(!dir.exists());
    // A clock too fast for one level.
    let err = rtl::build(&qkeras(SoftmaxImpl::Skip), &RtlConfig { pipeline: Pipeline::ClockNs(0.2), share: true });
    assert!(matches!(err, Err(Error::Config(_))));
}

#[cfg(feature = "cli")]
#[test]
fn qonnx2hls_writes_simulates_and_checks_the_rtl() {
    let Some(_) = common::icarus() else { return };
    let dir = common::tmpdir("rtl-cli");
    let config = dir.join("hls.toml");
    std::fs::write(&config, "name = \"tagger\"\nsoftmax = \"argmax\"\n").unwrap();
    let x = ndarray::Array2::from_shape_vec((200, 16), common::grid_inputs(200, 16, 3)).unwrap();
    let npy = dir.join("x.npy");
    ndarray_npy::write_npy(&npy, &x).unwrap();
    let run = |extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_qonnx2hls"))
            .arg(common::testdata("models/qkeras_jettagging.onnx"))
            .arg(dir.join("prj"))
            .arg("--config")
            .arg(&config)
            .arg("--tb-input")
            .arg(&npy)
            .arg("--rtl")
            .arg(dir.join("rtl"))
            .args(extra)
            .output()
            .unwrap()
    };
    let out = run(&["--levels", "3", "--sim"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("equals the emulator on all 200 outputs"), "{stderr}");
    assert!(dir.join("rtl/tagger.v").exists() && dir.join("rtl/tb_tagger.v").exists());
    // A bad setting: a one-line error, a failure code, and no RTL folder.
    std::fs::remove_dir_all(dir.join("rtl")).unwrap();
    let out = run(&["--clock-ns", "0.1"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.starts_with("qonnx2hls: error:") && stderr.contains("clock period"), "{stderr}");
    assert!(!dir.join("rtl").exists());
}
