//! `jet-tagging`: the LHC jet-tagging study from the command line.
//!
//! ```text
//! jet-tagging simulate --per-class 20000 --out jets/ --seed 1 --workers 2
//! jet-tagging simulate --per-class 20000 --out shard0/ --shard 0/2     # on one machine
//! jet-tagging simulate --per-class 20000 --out shard1/ --shard 1/2     # on another
//! jet-tagging simulate --merge shard0/ shard1/ --out jets/             # same bytes as one run
//! jet-tagging data --data hls4ml_lhc_jets_hlf.arff --out data/          # any format → .npy split
//! ```

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use jet_data::simulate::{SimulateOptions, default_python, merge, simulate};
use jet_data::{CLASSES, Format, JetSample, Standardiser};

#[derive(Parser)]
#[command(name = "jet-tagging", version, about = "The LHC jet-tagging study: data, training, quantization, firmware")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read a data set in any supported format (an hls4ml `.npy` folder, OpenML CSV or ARFF,
    /// the Zenodo HDF5 files), split it with a seed (a `.npy` folder keeps its own split), fit
    /// the standard scaler on the training jets, and write the hls4ml `.npy` layout with
    /// `scaler.json` and `summary.json`.
    Data {
        /// The data (format from the path); default: the built-in simulated jets.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Output folder (must not exist yet; written whole at the end).
        #[arg(long)]
        out: PathBuf,
        /// Fraction of the jets held out for testing (formats without their own split).
        #[arg(long, default_value_t = 0.2)]
        test_fraction: f64,
        /// Seed of the split.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
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
        Command::Data { data, out, test_fraction, seed } => {
            if out.exists() {
                bail!("{} exists already; choose a new output folder", out.display());
            }
            let source = data.unwrap_or_else(JetSample::builtin_dir);
            let format = Format::detect(&source)?;
            let sample = jet_data::load(&source, test_fraction, seed)?;
            let scaler = Standardiser::fit(&sample.x_train);
            let count = |labels: Vec<usize>| {
                let mut n = [0usize; CLASSES.len()];
                labels.iter().for_each(|&l| n[l] += 1);
                CLASSES.iter().zip(n).map(|(c, k)| (c.to_string(), k)).collect::<std::collections::BTreeMap<_, _>>()
            };
            let summary = serde_json::json!({
                "source": source.display().to_string(),
                "format": format!("{format:?}"),
                "test_fraction": if format == Format::NpyFolder { None } else { Some(test_fraction) },
                "seed": seed,
                "train": count(sample.labels_train()),
                "test": count(sample.labels_test()),
            });
            let extra = [
                ("scaler.json", serde_json::to_string_pretty(&scaler)?),
                ("summary.json", serde_json::to_string_pretty(&summary)?),
            ];
            sample.save(&out, &extra)?;
            eprintln!(
                "{} training and {} test jets from {} ({format:?}) written to {}",
                sample.x_train.nrows(),
                sample.x_test.nrows(),
                source.display(),
                out.display()
            );
            Ok(())
        }
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
