//! Verilog RTL of a QONNX model, checked against the emulator without a simulator and, where
//! the tools are installed, simulated with Icarus and synthesized with Yosys.
//!
//! `cargo run --release -p hls-backend --example rtl -- [MODEL.onnx] [OUT_DIR] [--synth]`
//! (default: the QKeras jet tagger into `target/rtl-example`).

use std::time::Instant;

use hls_backend::config::SoftmaxImpl;
use hls_backend::rtl::{self, RtlConfig};
use hls_backend::{Emulator, HlsConfig, lower::lower};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| !a.starts_with("--")).collect();
    let synth = std::env::args().any(|a| a == "--synth");
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let model_path = args.first().cloned().unwrap_or_else(|| format!("{root}/testdata/models/qkeras_jettagging.onnx"));
    let out = args.get(1).cloned().unwrap_or_else(|| format!("{root}/target/rtl-example"));
    let model = qonnx_ir::Model::load(&model_path)?;
    let hls =
        lower(&model, &HlsConfig { name: "jet_tagger".into(), softmax: SoftmaxImpl::Skip, ..Default::default() })?;
    // 1,000 inputs on a 2^-6 grid in [-4, 4).
    let x: Vec<f64> = (0..1000 * hls.n_inputs).map(|k| ((k * 7919 % 512) as f64 - 256.0) / 64.0).collect();
    let t0 = Instant::now();
    let design = rtl::write_rtl(&hls, &RtlConfig::default(), std::path::Path::new(&out), &x)?;
    let built = t0.elapsed().as_secs_f64();
    let r = &design.report;
    println!(
        "{}: {} adders ({} bits), {} register bits, {} cycles, built in {built:.2} s",
        out, r.adders, r.adder_bits, r.register_bits, r.latency_cycles
    );
    for l in &r.layers {
        println!(
            "  {:<10} {:<7} {:>6} adders ({:>5} shared, {:>6} signed digits)",
            l.name, l.kind, l.adders, l.shared, l.csd_digits
        );
    }
    let emu = Emulator::new(&hls);
    let raw = emu.quantize_inputs(&x);
    let equal = design.evaluate(&raw)? == emu.run_raw(&raw)?.raw;
    println!("netlist equals the emulator on 1,000 inputs: {equal}");
    if rtl::sim::find_icarus().is_some() {
        let sim = rtl::sim::run_icarus(std::path::Path::new(&out), &hls.name)?;
        println!("Icarus simulation equals the emulator: {}", sim == emu.run_raw(&raw)?.raw);
    }
    if synth {
        let report = rtl::synth::run_yosys(std::path::Path::new(&out), &hls.name)?;
        println!("Yosys: {}", report.line());
    }
    Ok(())
}
