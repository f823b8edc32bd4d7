//! `qonnx2hls`: QONNX model → HLS C++ project, with estimates; optionally runs the emulator on
//! a `.npy` input and writes the testbench data from it; with `--rtl`, also Verilog RTL of the
//! same model, simulated with `--sim` (Icarus) and synthesized with `--synth` (Yosys).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use hls_backend::rtl::{self, Pipeline, RtlConfig};
use hls_backend::{Emulator, HlsConfig, estimate::estimate, lower::lower, writer::write_project};
use ndarray::ArrayD;
use ndarray_npy::read_npy;

#[derive(Parser)]
#[command(name = "qonnx2hls", version, about = "Turn a QONNX model into a bit-accurate HLS C++ project")]
struct Cli {
    /// The QONNX (or float ONNX) model.
    model: PathBuf,
    /// Output project directory (replaced if it exists).
    out_dir: PathBuf,
    /// Configuration file (.toml or .json); defaults otherwise.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Testbench inputs (.npy, [batch, features], float32 or float64); their emulator outputs are
    /// written as the expected outputs.
    #[arg(long)]
    tb_input: Option<PathBuf>,
    /// Print the estimates as JSON.
    #[arg(long)]
    json: bool,
    /// Also write Verilog RTL of the same model (shift-add adder graphs, pipelined) into this
    /// folder, with a testbench on the `--tb-input` vectors.
    #[arg(long, value_name = "DIR")]
    rtl: Option<PathBuf>,
    /// RTL pipelining: registers after every N logic levels (0: combinational). Overrides
    /// `--clock-ns`.
    #[arg(long, value_name = "N", requires = "rtl")]
    levels: Option<u32>,
    /// RTL pipelining: as many logic levels per stage as fit this clock period.
    #[arg(long, value_name = "NS", default_value_t = 5.0, requires = "rtl")]
    clock_ns: f64,
    /// RTL: no sub-expression sharing between a layer's outputs.
    #[arg(long, requires = "rtl")]
    no_share: bool,
    /// Simulate the RTL testbench with Icarus Verilog and compare with the emulator.
    #[arg(long, requires = "rtl")]
    sim: bool,
    /// Synthesize the RTL with Yosys (`synth_xilinx -family xcup`) and print the cell counts.
    #[arg(long, requires = "rtl")]
    synth: bool,
}

fn main() -> ExitCode {
    cli_support::finish("qonnx2hls", run(cli_support::parse("qonnx2hls")))
}

fn run(cli: Cli) -> Result<()> {
    let config = match &cli.config {
        Some(p) => HlsConfig::from_file(p)?,
        None => HlsConfig::default(),
    };
    let model = qonnx_ir::Model::load(&cli.model)?;
    let hls = lower(&model, &config)?;
    let (x, y) = match &cli.tb_input {
        Some(p) => {
            let a: ArrayD<f64> = match read_npy::<_, ArrayD<f64>>(p) {
                Ok(a) => a,
                Err(_) => {
                    read_npy::<_, ArrayD<f32>>(p).with_context(|| format!("reading {}", p.display()))?.mapv(f64::from)
                }
            };
            let x: Vec<f64> = a.iter().copied().collect();
            let y = Emulator::new(&hls).run(&x)?.values();
            (x, Some(y))
        }
        None => (Vec::new(), None),
    };
    let files = write_project(&hls, &config, &cli.out_dir, &x, y.as_deref())?;
    let est = estimate(&hls, &config);
    if let Some(dir) = &cli.rtl {
        let pipeline = match cli.levels {
            Some(0) => Pipeline::Combinational,
            Some(n) => Pipeline::Levels(n),
            None => Pipeline::ClockNs(cli.clock_ns),
        };
        let design = match rtl::write_rtl(&hls, &RtlConfig { pipeline, share: !cli.no_share }, dir, &x) {
            Ok(design) => design,
            Err(e) => {
                // No half-written output: the project written above goes as well.
                let _ = std::fs::remove_dir_all(&cli.out_dir);
                return Err(e.into());
            }
        };
        let r = &design.report;
        eprintln!(
            "RTL: {} adders, {} register bits, latency {} cycles ({} levels per stage) written to {}",
            r.adders,
            r.register_bits,
            r.latency_cycles,
            r.levels_per_stage,
            dir.display()
        );
        if cli.sim {
            let sim = rtl::sim::run_icarus(dir, &hls.name)?;
            let emu = Emulator::new(&hls);
            let want = emu.run_raw(&emu.quantize_inputs(&x))?.raw;
            let diff = sim.iter().zip(&want).filter(|(a, b)| a != b).count();
            if sim.len() != want.len() || diff > 0 {
                anyhow::bail!("RTL simulation differs from the emulator on {diff} of {} outputs", want.len());
            }
            eprintln!("RTL simulation (Icarus) equals the emulator on all {} outputs", want.len());
        }
        if cli.synth {
            let report = rtl::synth::run_yosys(dir, &hls.name)?;
            eprintln!("Yosys: {}", report.line());
        }
    }
    if cli.json {
        println!("{}", serde_json::to_string_pretty(&est)?);
    } else {
        for l in &hls.layers {
            println!("{:<12} {:<40} → {}", l.name, l.nodes.join("+"), l.out_type);
        }
        print!("{}", est.table());
        println!("{} files written to {}", files.len(), cli.out_dir.display());
    }
    Ok(())
}
