//! The study as a chain of stored steps: the homogeneous trainings and the base model
//! (independent of each other, so they can be split into shards), the Hessian of the base model,
//! the ILP sweep, the mixed-precision fine-tuning, the QONNX check, the firmware and the report.
//! Every step goes through the [`Store`], so a rerun recomputes only what is missing or changed.

use std::path::{Path, PathBuf};
use std::time::Instant;

use hawq_core::hessian::{
    EigenConfig, HessianData, Hvp, SensitivityOptions, SensitivityTable, TraceConfig, hutchinson_trace,
    sensitivity_table, top_eigenvalues,
};
use hawq_core::train::{EpochReport, TrainConfig};
use hawq_core::{BitConfig, QuantConfig};
use hawq_ilp::{Budget, SolveOptions, solve};
use qonnx_ir::cost::firmware::Timing;
use serde::{Deserialize, Serialize};

use crate::config::{Precision, Regulariser, StudyConfig};
use crate::error::{Error, Result, io};
use crate::jets::Jets;
use crate::models::{Device, Start, save_and_evaluate, train_model};
use crate::results::{HessianLayer, HessianResult, HomogeneousRun, ModelResult, Results, RunInfo, SweepPoint};
use crate::store::{StepLog, Store, key_of};

/// The steps, in order; running one runs (or reuses) everything before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Stage {
    /// The homogeneous trainings and the base model.
    Train,
    /// The base model's Hessian traces, eigenvalues and sensitivity table.
    Hessian,
    /// The ILP over the BOPs budgets.
    Allocate,
    /// Fine-tuning each choice.
    Finetune,
    /// The QONNX files and their check in Python qonnx.
    Export,
    /// The firmware of the baseline, INT8 and Hessian models.
    Firmware,
    /// `results.json`, `report.md` and the plots.
    Report,
}

/// How to run a study.
#[derive(Debug, Clone)]
pub struct Options {
    /// The study folder (created; reused by reruns).
    pub out: PathBuf,
    /// The data (`None`: the built-in simulated jets).
    pub data: Option<PathBuf>,
    /// The settings.
    pub config: StudyConfig,
    /// The training device.
    pub device: Device,
    /// Worker threads (recorded).
    pub threads: usize,
    /// Run only shard `i` of `n` of the independent trainings, then stop.
    pub shard: Option<(usize, usize)>,
    /// The Python with qonnx (`None`: found as [`crate::tools::find_python`] says).
    pub python: Option<PathBuf>,
    /// The `ap_types` headers (`None`: found as [`crate::tools::find_ap_types`] says).
    pub ap_types: Option<PathBuf>,
}

/// What the study reports while it runs.
#[derive(Debug)]
pub enum Event<'a> {
    /// A step starts (or is looked up); `index` of `total` steps of its stage.
    Step {
        /// Its label.
        label: &'a str,
        /// Its position in the stage.
        index: usize,
        /// Steps in the stage.
        total: usize,
    },
    /// A step finished or was found done.
    Done(&'a StepLog),
    /// A training epoch finished.
    Epoch {
        /// The step.
        label: &'a str,
        /// The report.
        report: &'a EpochReport,
        /// Epochs in all.
        epochs: usize,
    },
}

/// One independent training.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// Its label (`train/INT8-baseline-s1`, `train/base`).
    pub label: String,
    /// `None` for the base model.
    pub precision: Option<Precision>,
    /// The regulariser.
    pub regulariser: Regulariser,
    /// The seed.
    pub seed: u64,
    /// The model's configuration.
    pub quant: QuantConfig,
}

impl StudyConfig {
    /// The independent trainings: the homogeneous grid (precision × regulariser × seed) and the
    /// base model of the mixed-precision part, in a fixed order (shards take every `n`-th).
    pub fn jobs(&self) -> Vec<Job> {
        let mut precisions: Vec<Precision> = self.homogeneous_bits.iter().map(|&b| Precision::Int(b)).collect();
        if self.fp32 {
            precisions.push(Precision::Fp32);
        }
        let mut jobs = Vec::new();
        for &p in &precisions {
            for &r in &self.regularisers {
                for &seed in &self.seeds {
                    let quant = match p {
                        Precision::Int(b) => QuantConfig::fpga(&self.widths, b).with_input_bits(b),
                        Precision::Fp32 => QuantConfig::float(&self.widths),
                    };
                    let label = format!("train/{}-{}-s{seed}", p.label(), r.label().replace('+', "_"));
                    jobs.push(Job { label, precision: Some(p), regulariser: r, seed, quant: regularised(quant, r) });
                }
            }
        }
        let m = &self.mixed;
        let quant = QuantConfig::fpga(&self.widths, m.base_bits).with_input_bits(m.input_bits);
        jobs.push(Job {
            label: "train/base".into(),
            precision: None,
            regulariser: m.regulariser,
            seed: self.seeds[0],
            quant: regularised(quant, m.regulariser),
        });
        jobs
    }

    fn train_config(&self, regulariser: Regulariser, seed: u64, epochs: usize) -> TrainConfig {
        TrainConfig {
            epochs,
            batch_size: self.batch_size,
            learning_rate: self.learning_rate,
            lr_step: self.lr_step,
            lr_gamma: self.lr_gamma,
            l1: if regulariser.l1() { self.l1 } else { 0.0 },
            seed,
            ..TrainConfig::default()
        }
    }
}

fn regularised(quant: QuantConfig, r: Regulariser) -> QuantConfig {
    if r.batch_norm() { quant.with_batch_norm_hidden() } else { quant }
}

/// A running study.
pub struct Study<'p> {
    opts: Options,
    store: Store,
    jets: Jets,
    log: Vec<StepLog>,
    progress: &'p mut dyn FnMut(Event),
    start: Instant,
    merged_from: Vec<String>,
}

#[derive(Serialize, Deserialize)]
struct Trained {
    model: ModelResult,
}

#[derive(Serialize, Deserialize)]
struct HessianStep {
    result: HessianResult,
    table: SensitivityTable,
}

#[derive(Serialize, Deserialize)]
struct Allocation {
    budget_bops: f64,
    omega: f64,
    ilp_bops: f64,
    optimal: bool,
    bits: Vec<BitConfig>,
}

impl<'p> Study<'p> {
    /// Opens the study folder and reads the data.
    pub fn open(opts: Options, progress: &'p mut dyn FnMut(Event)) -> Result<Study<'p>> {
        opts.config.validate()?;
        if let Some((i, n)) = opts.shard
            && (n == 0 || i >= n)
        {
            return Err(Error::Setting { setting: "shard".into(), message: format!("{i}/{n}: need 0 ≤ i < n") });
        }
        let c = &opts.config;
        let jets = Jets::load(opts.data.as_deref(), c.test_fraction, c.split_seed, c.train_jets)?;
        std::fs::create_dir_all(&opts.out).map_err(io(&opts.out))?;
        let store = Store::new(&opts.out);
        store.clean_temporaries()?;
        crate::store::clean_temporaries_in(&opts.out)?;
        Ok(Study { opts, store, jets, log: Vec::new(), progress, start: Instant::now(), merged_from: Vec::new() })
    }

    /// The jets.
    pub fn jets(&self) -> &Jets {
        &self.jets
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// `dir` relative to the study folder.
    pub(crate) fn rel(&self, dir: &Path) -> String {
        dir.strip_prefix(&self.opts.out).unwrap_or(dir).display().to_string()
    }

    fn train_key(&self, job: &Job, epochs: usize, start: &Start) -> Result<String> {
        let tc = self.opts.config.train_config(job.regulariser, job.seed, epochs);
        let inputs = serde_json::json!({
            "data": self.jets.info.fingerprint, "start": start, "train": tc, "device": self.opts.device,
        });
        key_of(&job.label, &inputs)
    }

    /// Trains (or finds) one model, step `at.0` of `at.1` of its stage.
    fn train_one(
        &mut self,
        job: &Job,
        start: Start,
        epochs: usize,
        name: &str,
        at: (usize, usize),
    ) -> Result<(ModelResult, PathBuf, String)> {
        let key = self.train_key(job, epochs, &start)?;
        let tc = self.opts.config.train_config(job.regulariser, job.seed, epochs);
        let (jets, device, out) = (self.jets.clone(), self.opts.device, self.opts.out.clone());
        let rel = self.rel(&self.store.dir(&job.label, &key));
        let label = job.label.clone();
        let stored = self.step(&job.label, &key, at, |dir, progress| {
            let start = match start {
                Start::From { dir, bits, prune } => {
                    Start::From { dir: out.join(dir).display().to_string(), bits, prune }
                }
                fresh => fresh,
            };
            let (model, losses) = train_model(&start, &jets.train, &tc, device, &mut |r| {
                progress(Event::Epoch { label: &label, report: r, epochs })
            })?;
            Ok(Trained { model: save_and_evaluate(&model, name, &jets, losses, dir, &rel)? })
        })?;
        Ok((stored.value.model, stored.dir, stored.key))
    }

    fn model_name(job: &Job) -> String {
        match job.precision {
            Some(p) => format!("{} {} seed {}", p.label(), job.regulariser.label(), job.seed),
            None => "base".into(),
        }
    }

    /// Runs the independent trainings (all, or the shard's); returns their results in job order
    /// with each model's folder and key.
    pub fn train_all(&mut self) -> Result<Vec<(Job, ModelResult, PathBuf, String)>> {
        let jobs = self.opts.config.jobs();
        let (i, n) = self.opts.shard.unwrap_or((0, 1));
        let mine: Vec<Job> = jobs.into_iter().enumerate().filter(|(k, _)| k % n == i).map(|(_, j)| j).collect();
        let total = mine.len();
        let epochs = self.opts.config.epochs;
        let mut out = Vec::with_capacity(total);
        for (index, job) in mine.into_iter().enumerate() {
            let start = Start::Fresh(job.quant.clone(), job.seed);
            let (m, dir, key) = self.train_one(&job, start, epochs, &Self::model_name(&job), (index, total))?;
            out.push((job, m, dir, key));
        }
        Ok(out)
    }

    fn hessian(&mut self, base_dir: &Path, base_key: &str) -> Result<(HessianStep, String)> {
        let m = self.opts.config.mixed.clone();
        let fw = self.opts.config.firmware.clone();
        let options = SensitivityOptions {
            candidates: m.candidate_bits.iter().map(|&b| (b, b)).collect(),
            activation_weight: 0.0,
            // The latency cost at the firmware's clock and reuse factor.
            timing: Timing { clock_period_ns: fw.clock_ns, reuse: fw.reuse_factor },
        };
        let inputs = serde_json::json!({"base": base_key, "jets": m.hessian_jets, "probes": m.trace_probes,
            "eigen": m.eigen_steps, "options": options, "seed": self.opts.config.split_seed});
        let key = key_of("hessian", &inputs)?;
        let (jets, seed) = (self.jets.clone(), self.opts.config.split_seed);
        let stored = self.step("hessian", &key, (0, 1), |_, _| {
            // On the autodiff backend directly, so that the weights require gradients.
            let path = base_dir.join(crate::models::MODEL_FILE);
            let model = hawq_core::record::load::<hawq_core::backend::CpuTrain>(&path, &Default::default())?;
            let device = Default::default();
            let data = HessianData::sampled(&jets.train, 1024, Some(m.hessian_jets), seed, &device)?;
            let tc =
                TraceConfig { max_iter: m.trace_probes, min_iter: m.trace_probes.min(10), seed, ..Default::default() };
            let traces = hutchinson_trace(&Hvp::new(model.clone()), &data, &tc, &mut |_| {})?;
            let ec = EigenConfig { max_iter: m.eigen_steps, seed, ..Default::default() };
            let eig = top_eigenvalues(&Hvp::float_of(model.clone()), &data, &ec, &mut |_| {})?;
            let table = sensitivity_table(&model, &traces, &options)?;
            let layers = traces
                .layers
                .iter()
                .zip(&eig)
                .map(|(t, e)| HessianLayer {
                    name: t.name.clone(),
                    params: t.params,
                    trace: t.mean,
                    trace_std_err: t.std_err,
                    probes: t.samples,
                    average_trace: t.average(),
                    top_eigenvalue: e.eigenvalue,
                    eigen_converged: e.converged,
                })
                .collect();
            let result = HessianResult { jets: data.num_samples(), layers, converged: traces.converged };
            Ok(HessianStep { result, table })
        })?;
        Ok((stored.value, key))
    }

    fn allocate(
        &mut self,
        h: &HessianStep,
        base: &QuantConfig,
        hessian_key: &str,
    ) -> Result<(Vec<Allocation>, String)> {
        let m = self.opts.config.mixed.clone();
        let inputs = serde_json::json!({"hessian": hessian_key, "budgets": m.bops_budgets,
            "size": m.size_budget, "latency": m.latency_budget});
        let key = key_of("allocate", &inputs)?;
        let stored = self.step("allocate", &key, (0, 1), |_, _| {
            m.bops_budgets
                .iter()
                .map(|&budget| {
                    let mut problem = h.table.to_problem();
                    problem.budgets.push(Budget::new("bops", budget));
                    if let Some(s) = m.size_budget {
                        problem.budgets.push(Budget::new("size", s));
                    }
                    if let Some(l) = m.latency_budget {
                        problem.budgets.push(Budget::new("latency", l));
                    }
                    let solution = solve(&problem, &SolveOptions::default())?;
                    let bits = h.table.apply(base, &solution)?.layers;
                    Ok(Allocation {
                        budget_bops: budget,
                        omega: solution.objective,
                        ilp_bops: solution.totals.get("bops").copied().unwrap_or(f64::NAN),
                        optimal: solution.proven_optimal,
                        bits,
                    })
                })
                .collect::<Result<Vec<_>>>()
        })?;
        Ok((stored.value, key))
    }

    /// Runs the study up to `until`. Returns the results once the report stage has run; `None`
    /// for earlier stages and for a shard.
    pub fn run(&mut self, until: Stage) -> Result<Option<Results>> {
        let trained = self.train_all()?;
        if self.opts.shard.is_some() || until == Stage::Train {
            return Ok(None);
        }
        let (base_job, base, base_dir, base_key) = trained.last().cloned().expect("the base job is always there");
        let homogeneous: Vec<(HomogeneousRun, PathBuf, String)> = trained[..trained.len() - 1]
            .iter()
            .map(|(j, m, d, k)| {
                let run = HomogeneousRun {
                    precision: j.precision.expect("homogeneous"),
                    regulariser: j.regulariser,
                    seed: j.seed,
                    model: m.clone(),
                };
                (run, d.clone(), k.clone())
            })
            .collect();
        let (h, hessian_key) = self.hessian(&base_dir, &base_key)?;
        if until == Stage::Hessian {
            return Ok(None);
        }
        let (allocs, _) = self.allocate(&h, &base_job.quant, &hessian_key)?;
        if until == Stage::Allocate {
            return Ok(None);
        }
        let mut sweep = Vec::new();
        let total = allocs.len();
        for (index, a) in allocs.iter().enumerate() {
            let label = format!("finetune/{}k", (a.budget_bops / 1000.0).round());
            let job = Job { label: label.clone(), ..base_job.clone() };
            // Relative to the study folder, so that the key (which names the base model's folder,
            // itself named by the base model's key) is the same wherever the study lives.
            let prune = self.opts.config.mixed.prune_sparsity;
            let start = Start::From { dir: self.rel(&base_dir), bits: a.bits.clone(), prune };
            let name = format!("Hessian {}k BOPs", (a.budget_bops / 1000.0).round());
            let epochs = self.opts.config.mixed.finetune_epochs;
            // The key covers the base model (its folder is named by its key), the bits and the
            // pruning through `start`: another budget with the same bits reuses this model.
            let (model, dir, key) = self.train_one(&job, start, epochs, &name, (index, total))?;
            sweep.push((
                SweepPoint {
                    budget_bops: a.budget_bops,
                    omega: a.omega,
                    ilp_bops: a.ilp_bops,
                    optimal: a.optimal,
                    model,
                },
                dir,
                key,
            ));
        }
        if until == Stage::Finetune {
            return Ok(None);
        }
        crate::finish::finish(
            self,
            until,
            crate::finish::Parts { homogeneous, base: (base, base_dir), hessian: h.result, sweep },
        )
    }

    pub(crate) fn opts(&self) -> &Options {
        &self.opts
    }

    /// Runs (or finds) one stored step, announcing it as step `index` of `total` and reporting
    /// its log line; `f` gets the step's temporary folder and the progress callback.
    pub(crate) fn step<T: Serialize + serde::de::DeserializeOwned>(
        &mut self,
        label: &str,
        key: &str,
        (index, total): (usize, usize),
        f: impl FnOnce(&Path, &mut dyn FnMut(Event)) -> Result<T>,
    ) -> Result<crate::store::Stored<T>> {
        (self.progress)(Event::Step { label, index, total });
        let progress = &mut *self.progress;
        let stored = self.store.run(label, key, &mut self.log, |dir| f(dir, progress))?;
        (self.progress)(Event::Done(self.log.last().expect("the store logs every step")));
        Ok(stored)
    }

    pub(crate) fn run_info(&self) -> RunInfo {
        RunInfo {
            steps: self.log.clone(),
            wall_s: self.start.elapsed().as_secs_f64(),
            threads: self.opts.threads,
            device: format!("{:?}", self.opts.device),
            merged_from: self.merged_from.clone(),
        }
    }
}

/// `merge`: copies every finished step of the shard folders into `opts.out`, then runs the whole
/// study there (the trainings are found done; the rest runs once). `Error::Missing` when a
/// training of the grid is in no shard.
pub fn merge(opts: Options, shards: &[PathBuf], progress: &mut dyn FnMut(Event)) -> Result<Results> {
    // A shard folder that cannot be read fails before the study folder is created.
    for s in shards {
        std::fs::read_dir(s).map_err(io(s))?;
    }
    let mut study = Study::open(Options { shard: None, ..opts }, progress)?;
    for s in shards {
        study.store.absorb(&Store::new(s))?;
    }
    let jobs = study.opts.config.jobs();
    for job in &jobs {
        let key = study.train_key(job, study.opts.config.epochs, &Start::Fresh(job.quant.clone(), job.seed))?;
        if !study.store.is_done(&job.label, &key) {
            return Err(Error::Missing { step: job.label.clone(), dir: study.opts.out.clone() });
        }
    }
    let merged: Vec<String> = shards.iter().map(|s| s.display().to_string()).collect();
    study.merged_from = merged;
    study.run(Stage::Report)?.ok_or_else(|| Error::Missing { step: "report".into(), dir: study.opts.out.clone() })
}
