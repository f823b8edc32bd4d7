//! `jet-tagging`: the LHC jet-tagging study from the command line.
//!
//! ```text
//! jet-tagging simulate --per-class 20000 --out jets/ --seed 1 --workers 2
//! jet-tagging simulate --per-class 20000 --out shard0/ --shard 0/2     # on one machine
//! jet-tagging simulate --per-class 20000 --out shard1/ --shard 1/2     # on another
//! jet-tagging simulate --merge shard0/ shard1/ --out jets/             # same bytes as one run
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use jet_data::JetSample;
use jet_data::simulate::{SimulateOptions, default_python, merge, simulate};

#[derive(Parser)]
#[command(name = "jet-tagging", version, about = "The LHC jet-tagging study: data, training, quantization, firmware")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate jets with the project's Pythia8 + FastJet simulator (13 TeV pp, g/q/t/W/Z), in
    /// the hls4ml `.npy` layout with a `meta.json`; or merge shards made with the same settings.
    Simulate {
        /// Jets per class.
        #[arg(long, required_unless_present = "merge")]
        per_class: Option<usize>,
        /// Output folder (must not exist yet; written whole at the end).
        #[arg(long)]
        out: PathBuf,
        /// Master seed: the same seed gives the same bytes whatever the number of workers.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Worker processes.
        #[arg(long, default_value_t = 1)]
        workers: usize,
        /// Simulate only shard `i` of `n` (`i/n`), to merge later.
        #[arg(long, value_name = "I/N", value_parser = parse_shard, conflicts_with = "merge")]
        shard: Option<(usize, usize)>,
        /// Merge these shard folders into `--out` instead of simulating.
        #[arg(long, num_args = 1.., value_name = "SHARD_DIR", conflicts_with = "per_class")]
        merge: Vec<PathBuf>,
        /// The simulator's Python (default: `JETSIM_PYTHON`, else `.venv-sim/bin/python`
        /// made by `scripts/setup-simulator.sh`).
        #[arg(long)]
        python: Option<PathBuf>,
    },
}

fn parse_shard(s: &str) -> Result<(usize, usize), String> {
    let (i, n) = s.split_once('/').ok_or("expected I/N, e.g. 0/4")?;
    let (i, n) = (i.parse::<usize>().map_err(|e| e.to_string())?, n.parse::<usize>().map_err(|e| e.to_string())?);
    if n == 0 || i >= n {
        return Err(format!("shard {i}/{n}: need 0 ≤ I < N"));
    }
    Ok((i, n))
}

fn main() {
    if let Err(e) = run(Cli::parse()) {
        eprintln!("jet-tagging: {e:#}");
        std::process::exit(1);
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Simulate { per_class, out, seed, workers, shard, merge: shards, python } => {
            let python = python.unwrap_or_else(default_python);
            if out.exists() {
                bail!("{} exists already; choose a new output folder", out.display());
            }
            let start = Instant::now();
            if !shards.is_empty() {
                merge(&python, &out, &shards).context("merging shards")?;
                eprintln!(
                    "merged {} shards into {} in {:.1} s",
                    shards.len(),
                    out.display(),
                    start.elapsed().as_secs_f64()
                );
                return Ok(());
            }
            let per_class = per_class.context("--per-class is required")?;
            let opts = SimulateOptions { per_class, out: out.clone(), seed, workers, shard, python };
            let bar = ProgressBar::new(0).with_style(
                ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} jets, {per_sec}, eta {eta}")
                    .expect("a valid template")
                    .progress_chars("=> "),
            );
            bar.set_message("simulating");
            simulate(&opts, &mut |done, total| {
                bar.set_length(total);
                bar.set_position(done);
            })
            .context("simulating jets")?;
            bar.finish_and_clear();
            if shard.is_none() {
                let sample = JetSample::load(&out).context("reading back the simulated jets")?;
                eprintln!(
                    "{} training and {} test jets in {} ({:.1} s)",
                    sample.x_train.nrows(),
                    sample.x_test.nrows(),
                    out.display(),
                    start.elapsed().as_secs_f64()
                );
            } else {
                eprintln!("shard written to {} ({:.1} s)", out.display(), start.elapsed().as_secs_f64());
            }
            Ok(())
        }
    }
}
