//! `qonnx2hls`: QONNX model → HLS C++ project, with estimates; optionally runs the emulator on
//! a `.npy` input and writes the testbench data from it.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
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
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("qonnx2hls: error: {}", format!("{e:#}").replace('\n', " "));
            ExitCode::FAILURE
        }
    }
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
