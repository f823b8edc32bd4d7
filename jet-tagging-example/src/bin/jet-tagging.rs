//! `jet-tagging`: the LHC jet-tagging study from the command line.
//!
//! ```text
//! jet-tagging simulate --per-class 20000 --out jets/ --seed 1 --workers 2
//! jet-tagging simulate --per-class 20000 --out shard0/ --shard 0/2     # on one machine
//! jet-tagging simulate --per-class 20000 --out shard1/ --shard 1/2     # on another
//! jet-tagging simulate --merge shard0/ shard1/ --out jets/             # same bytes as one run
//! jet-tagging data --data hls4ml_lhc_jets_hlf.arff --out data/          # any format → .npy split
//! jet-tagging reproduce --quick --out study/                            # the whole study, minutes
//! jet-tagging reproduce --out study/ --data hls4ml_LHCjet_100p_train.h5 # the paper's grid
//! jet-tagging reproduce --out s0/ --shard 0/2; jet-tagging reproduce --out s1/ --shard 1/2
//! jet-tagging merge --out study/ s0/ s1/                                # same results as one run
//! jet-tagging hessian --quick --out study/                              # up to one step
//! ```
//!
//! Every step's result is stored in the study folder under a key of its inputs: a rerun (after
//! an interruption, or with a changed setting) recomputes only what is missing or changed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use jet_data::simulate::{SimulateOptions, default_python, merge, simulate};
use jet_data::{CLASSES, Format, JetSample, Standardiser};
use jet_tagging_example::config::StudyConfig;
use jet_tagging_example::models::Device;
use jet_tagging_example::study::{self, Event, Options, Stage, Study};

#[derive(Parser)]
#[command(name = "jet-tagging", version, about = "The LHC jet-tagging study: data, training, quantization, firmware")]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Worker threads for training and inference (default: all cores).
    #[arg(long, global = true)]
    threads: Option<usize>,
}

/// The settings every study step shares.
#[derive(Args, Clone)]
struct StudyArgs {
    /// The study folder (created; a rerun reuses every finished step in it).
    #[arg(long)]
    out: PathBuf,
    /// The data (format from the path: hls4ml `.npy` folder, OpenML CSV/ARFF, Zenodo HDF5);
    /// default: the built-in simulated jets.
    #[arg(long)]
    data: Option<PathBuf>,
    /// The small study that runs in minutes (40,000 training jets, 6 epochs, one seed).
    #[arg(long, conflicts_with = "config")]
    quick: bool,
    /// Settings from a JSON file (the shape of `StudyConfig`; see `jet-tagging print-config`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Prune this fraction of every layer's weights (by magnitude) before fine-tuning each
    /// mixed-precision model, and keep them zero (sets `mixed.prune_sparsity`).
    #[arg(long, value_name = "SPARSITY")]
    prune: Option<f64>,
    /// Where training runs.
    #[arg(long, value_enum, default_value_t = DeviceArg::Cpu)]
    device: DeviceArg,
    /// The Python with qonnx for the QONNX check (default: `QONNX_REF_PYTHON`, else
    /// `.venv-ref/bin/python`).
    #[arg(long)]
    python: Option<PathBuf>,
    /// The `ap_types` headers for the C simulation (default: `HLS_AP_TYPES`, else those of the
    /// hls4ml wheel in `.venv-ref`).
    #[arg(long)]
    ap_types: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum DeviceArg {
    /// burn's ndarray backend.
    Cpu,
    /// burn's wgpu backend (a build with `--features wgpu`).
    Wgpu,
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
    /// The homogeneous trainings (INT12/8/6/4/FP32 × regularisers × seeds) and the base model.
    Train(StudyArgs),
    /// … then the base model's Hessian traces, top eigenvalues and sensitivity table.
    Hessian(StudyArgs),
    /// … then the ILP's bit allocation for every BOPs budget.
    Allocate(StudyArgs),
    /// … then quantization-aware fine-tuning of every allocation.
    Finetune(StudyArgs),
    /// … then every QONNX file checked in Python qonnx against the integer engine.
    Export(StudyArgs),
    /// … then the firmware (HLS project, C simulation, estimate) of the baseline, INT8 and Hessian models.
    Firmware(StudyArgs),
    /// … then `results.json`, `report.md` and the plots.
    Report(StudyArgs),
    /// The whole study (the same as `report`); with `--shard i/n` only that slice of the
    /// independent trainings, for `merge`.
    Reproduce {
        #[command(flatten)]
        study: StudyArgs,
        /// Run only shard `i` of `n` of the independent trainings.
        #[arg(long, value_name = "I/N", value_parser = parse_shard)]
        shard: Option<(usize, usize)>,
    },
    /// Builds the study in `--out` from shard folders (made by `reproduce --shard`), then runs
    /// the remaining steps and the report.
    Merge {
        #[command(flatten)]
        study: StudyArgs,
        /// The shard folders.
        #[arg(required = true, num_args = 1..)]
        shards: Vec<PathBuf>,
    },
    /// Prints the settings (`--quick` or the full study) as JSON, to edit and pass with `--config`.
    PrintConfig {
        /// The quick settings.
        #[arg(long)]
        quick: bool,
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

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .with_target(false)
        .without_time()
        .init();
    cli_support::finish("jet-tagging", run(cli_support::parse("jet-tagging")))
}

fn run(cli: Cli) -> Result<()> {
    let threads = cli.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global().context("starting the worker threads")?;
    let stage = |s: Stage, study: StudyArgs| run_study(study, threads, None, Some(s));
    match cli.command {
        Command::Train(a) => stage(Stage::Train, a),
        Command::Hessian(a) => stage(Stage::Hessian, a),
        Command::Allocate(a) => stage(Stage::Allocate, a),
        Command::Finetune(a) => stage(Stage::Finetune, a),
        Command::Export(a) => stage(Stage::Export, a),
        Command::Firmware(a) => stage(Stage::Firmware, a),
        Command::Report(a) => stage(Stage::Report, a),
        Command::Reproduce { study, shard } => run_study(study, threads, shard, Some(Stage::Report)),
        Command::Merge { study, shards } => {
            let opts = options(&study, threads, None)?;
            let out = opts.out.clone();
            let mut bar = Bars::new();
            let results = study::merge(opts, &shards, &mut |e| bar.event(e))?;
            bar.finish();
            eprintln!("merged {} shards; report in {} ({:.1} s)", shards.len(), out.display(), results.run.wall_s);
            Ok(())
        }
        Command::PrintConfig { quick } => {
            let c = if quick { StudyConfig::quick() } else { StudyConfig::full() };
            println!("{}", serde_json::to_string_pretty(&c)?);
            Ok(())
        }
        Command::Data { data, out, test_fraction, seed } => {
            // Checked whatever the format, though a `.npy` folder keeps its own split.
            if !(test_fraction > 0.0 && test_fraction < 1.0) {
                bail!("--test-fraction {test_fraction}: must lie in (0, 1)");
            }
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

fn options(a: &StudyArgs, threads: usize, shard: Option<(usize, usize)>) -> Result<Options> {
    let mut config = match (&a.config, a.quick) {
        (Some(path), _) => StudyConfig::from_file(path)?,
        (None, true) => StudyConfig::quick(),
        (None, false) => StudyConfig::full(),
    };
    if a.prune.is_some() {
        config.mixed.prune_sparsity = a.prune;
        config.validate()?;
    }
    let device = match a.device {
        DeviceArg::Cpu => Device::Cpu,
        DeviceArg::Wgpu => Device::Wgpu,
    };
    Ok(Options {
        out: a.out.clone(),
        data: a.data.clone(),
        config,
        device,
        threads,
        shard,
        python: a.python.clone(),
        ap_types: a.ap_types.clone(),
    })
}

fn run_study(a: StudyArgs, threads: usize, shard: Option<(usize, usize)>, until: Option<Stage>) -> Result<()> {
    let opts = options(&a, threads, shard)?;
    let out = opts.out.clone();
    let start = Instant::now();
    let mut bar = Bars::new();
    let mut progress = |e: Event| bar.event(e);
    let results = Study::open(opts, &mut progress)?.run(until.unwrap_or(Stage::Report))?;
    bar.finish();
    match (results, shard) {
        (Some(r), _) => {
            for f in &r.firmware {
                tracing::info!(
                    "firmware {}: {} — accuracy {:.2} %, {:.0} ns, C simulation {}",
                    f.role,
                    f.model,
                    f.accuracy,
                    f.latency_ns,
                    f.csim.status
                );
            }
            eprintln!(
                "report: {} ({:.1} s; results.json, report.md, plots/)",
                out.join("report.md").display(),
                start.elapsed().as_secs_f64()
            );
        }
        (None, Some((i, n))) => {
            eprintln!("shard {i}/{n} done in {} ({:.1} s)", out.display(), start.elapsed().as_secs_f64())
        }
        (None, None) => eprintln!("done up to this step in {} ({:.1} s)", out.display(), start.elapsed().as_secs_f64()),
    }
    Ok(())
}

/// The progress display: one bar over the steps of the current stage, its message the step and
/// epoch; finished steps are logged.
struct Bars {
    bar: Option<ProgressBar>,
}

impl Bars {
    fn new() -> Bars {
        Bars { bar: None }
    }

    fn event(&mut self, e: Event) {
        match e {
            Event::Step { label, index, total } => {
                let bar = self.bar.get_or_insert_with(|| {
                    ProgressBar::new(total as u64).with_style(
                        ProgressStyle::with_template("{bar:30} {pos}/{len} steps {msg} [{elapsed}]")
                            .expect("a valid template")
                            .progress_chars("=> "),
                    )
                });
                bar.set_length(total as u64);
                bar.set_position(index as u64);
                bar.set_message(label.to_string());
            }
            Event::Epoch { label, report, epochs } => {
                if let Some(bar) = &self.bar {
                    bar.set_message(format!(
                        "{label}: epoch {}/{epochs}, loss {:.4}",
                        report.epoch + 1,
                        report.train_loss
                    ));
                }
            }
            Event::Done(log) => {
                let line = if log.cached {
                    format!("{} reused ({:.1} s when made)", log.step, log.compute_s)
                } else {
                    format!("{} done in {:.1} s", log.step, log.wall_s)
                };
                match &self.bar {
                    Some(bar) => bar.suspend(|| tracing::info!("{line}")),
                    None => tracing::info!("{line}"),
                }
            }
        }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
