//! The firmware step: a model's exported graph lowered to the fixed-point HLS model, its
//! bit-accurate emulator run on the test jets (and, for a quantized model, checked against the
//! integer-only engine), the HLS C++ project written with those jets as its testbench, its
//! resource and latency estimate, and its g++ C simulation checked against the emulator; beside
//! it (while g++ compiles), the Verilog RTL of the same model, simulated with Icarus and
//! synthesized with Yosys.

use std::path::Path;

use hls_backend::config::SoftmaxImpl;
use hls_backend::estimate::estimate;
use hls_backend::lower::lower;
use hls_backend::rtl::{self, Pipeline, RtlConfig};
use hls_backend::writer::write_project;
use hls_backend::{Emulator, HlsConfig};
use qonnx_ir::Model;

use crate::config::FirmwareConfig;
use crate::error::Result;
use crate::jets::Jets;
use crate::models::{ONNX_FILE, integer_of, load_model};
use crate::results::{CsimCheck, FirmwareResult, ModelResult, RtlResult};

/// The project's top function.
pub const TOP: &str = "jet_tagger";

/// The model a firmware is built for.
#[derive(Debug, Clone, Copy)]
pub struct Design<'a> {
    /// `Baseline`, `INT8` or `Hessian`.
    pub role: &'a str,
    /// The model as evaluated.
    pub model: &'a ModelResult,
    /// Its step folder (the stored model and its graph).
    pub model_dir: &'a Path,
}

/// Builds the firmware of `design` into `dir/project`; `rel` is `dir` relative to the study
/// folder.
pub fn build(
    design: &Design,
    jets: &Jets,
    config: &FirmwareConfig,
    ap_types: Option<&Path>,
    dir: &Path,
    rel: &str,
) -> Result<FirmwareResult> {
    let Design { role, model, model_dir } = *design;
    let graph = Model::load(model_dir.join(ONNX_FILE))?;
    let cfg = HlsConfig {
        name: TOP.into(),
        part: config.part.clone(),
        clock_period_ns: config.clock_ns,
        reuse_factor: config.reuse_factor,
        ..HlsConfig::default()
    };
    let hls = lower(&graph, &cfg)?;
    let emulator = Emulator::new(&hls);
    let x: Vec<f64> = jets.test.features.iter().map(|&v| f64::from(v)).collect();
    let emulated = emulator.run(&x)?.values();
    let k = jets.test.n_classes;
    let correct = emulated.chunks(k).zip(&jets.test.labels).filter(|(row, label)| argmax(row) == **label).count();
    let accuracy = 100.0 * correct as f64 / jets.test.len() as f64;
    let emulator_equals_engine = if model.input_bits.is_some() {
        let int = integer_of(&load_model(model_dir)?)?;
        let engine = int.forward_int(&int.quantize_input(&jets.test.features)?)?;
        let s = f64::from(int.output_scale());
        let equal = emulated.iter().zip(&engine).filter(|(e, q)| **e == **q as f64 * s).count();
        Some((equal, engine.len()))
    } else {
        None
    };
    let (tb_x, _) = jets.test_head(config.csim_jets);
    let n_tb = tb_x.len() / jets.test.n_features;
    let tb_inputs: Vec<f64> = tb_x.iter().map(|&v| f64::from(v)).collect();
    let tb_outputs = &emulated[..n_tb * k];
    let project = dir.join("project");
    write_project(&hls, &cfg, &project, &tb_inputs, Some(tb_outputs))?;
    // The RTL is written and simulated (Icarus) while g++ compiles the C simulation: two
    // external tools at once.
    let (csim, rtl) = std::thread::scope(|s| {
        let rtl = s.spawn(|| build_rtl(&graph, &cfg, jets, config, dir, rel));
        let csim = check_csim(&project, ap_types, tb_outputs, n_tb);
        (csim, rtl.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let (csim, rtl) = (csim?, rtl?);
    let est = estimate(&hls, &cfg);
    Ok(FirmwareResult {
        role: role.into(),
        model: model.name.clone(),
        accuracy,
        latency_cycles: est.latency_cycles,
        latency_ns: est.latency_ns,
        lut: est.lut,
        ff: est.ff,
        dsp: est.dsp,
        sparsity: model.sparsity,
        bops: model.bops,
        emulator_equals_engine,
        csim,
        project: format!("{rel}/project"),
        rtl: Some(rtl),
    })
}

/// The C simulation of `project` (when the `ap_types` headers are there) against the emulator's
/// outputs on its `n_tb` testbench jets.
fn check_csim(project: &Path, ap_types: Option<&Path>, tb_outputs: &[f64], n_tb: usize) -> Result<CsimCheck> {
    let Some(ap) = ap_types else {
        return Ok(CsimCheck::not_run("no ap_types headers (set HLS_AP_TYPES or run scripts/setup-python.sh)"));
    };
    let sim = hls_backend::csim::run_csim(project, TOP, ap)?;
    // Only the sources stay; the compiled simulator is an artefact of the check.
    let _ = std::fs::remove_file(project.join("csim"));
    Ok(CsimCheck::compare("the C simulation", n_tb, &sim, tb_outputs))
}

/// The RTL of the same graph (logits: the softmax left out, as the RTL has none) into
/// `dir/rtl`, pipelined for the firmware's clock, simulated with Icarus on the first
/// `rtl_sim_jets` test jets against the emulator, and synthesized with Yosys when asked.
fn build_rtl(
    graph: &Model,
    cfg: &HlsConfig,
    jets: &Jets,
    config: &FirmwareConfig,
    dir: &Path,
    rel: &str,
) -> Result<RtlResult> {
    let cfg = HlsConfig { softmax: SoftmaxImpl::Skip, ..cfg.clone() };
    let hls = lower(graph, &cfg)?;
    let (tb_x, _) = jets.test_head(Some(config.rtl_sim_jets));
    let x: Vec<f64> = tb_x.iter().map(|&v| f64::from(v)).collect();
    let folder = dir.join("rtl");
    let rtl_config = RtlConfig { pipeline: Pipeline::ClockNs(config.clock_ns), share: true };
    let design = rtl::write_rtl(&hls, &rtl_config, &folder, &x)?;
    let n = x.len() / jets.test.n_features;
    let sim = if n == 0 {
        CsimCheck::not_run("rtl_sim_jets is 0")
    } else if rtl::sim::find_icarus().is_none() {
        CsimCheck::not_run("iverilog not found (scripts/setup-system.sh)")
    } else {
        let emulator = Emulator::new(&hls);
        let want = emulator.run_raw(&emulator.quantize_inputs(&x))?.raw;
        let got = rtl::sim::run_icarus(&folder, TOP)?;
        CsimCheck::compare("the simulation", n, &got, &want)
    };
    // The simulation's compiled model is an artefact of the check.
    let _ = std::fs::remove_file(folder.join("sim.vvp"));
    let (synth, synth_status) = if !config.synth {
        (None, "not asked (firmware.synth = false)".to_string())
    } else if rtl::synth::find_yosys().is_none() {
        (None, "not run: yosys not found (scripts/setup-system.sh)".to_string())
    } else {
        (Some(rtl::synth::run_yosys(&folder, TOP)?), "ok".to_string())
    };
    let r = &design.report;
    Ok(RtlResult {
        folder: format!("{rel}/rtl"),
        adders: r.adders,
        register_bits: r.register_bits,
        latency_cycles: r.latency_cycles,
        sim,
        synth,
        synth_status,
    })
}

fn argmax(row: &[f64]) -> usize {
    row.iter().enumerate().fold(0, |best, (i, &v)| if v > row[best] { i } else { best })
}
