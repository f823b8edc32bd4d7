//! The study's settings: the paper's full grid ([`StudyConfig::full`]), a small one that runs in
//! minutes on a laptop ([`StudyConfig::quick`]), or any JSON file of the same shape.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The regularisation of a training run, as in the paper's homogeneous table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Regulariser {
    /// Plain cross-entropy.
    Baseline,
    /// An L1 penalty on the weights.
    L1,
    /// Batch norm after each hidden layer's linear part (folded into it for inference).
    BatchNorm,
    /// Both.
    L1BatchNorm,
}

impl Regulariser {
    /// Every regulariser, in the paper's column order.
    pub const ALL: [Regulariser; 4] =
        [Regulariser::Baseline, Regulariser::L1, Regulariser::BatchNorm, Regulariser::L1BatchNorm];

    /// The paper's column label.
    pub fn label(self) -> &'static str {
        match self {
            Regulariser::Baseline => "Baseline",
            Regulariser::L1 => "L1",
            Regulariser::BatchNorm => "BN",
            Regulariser::L1BatchNorm => "L1+BN",
        }
    }

    /// Whether it adds the L1 penalty.
    pub fn l1(self) -> bool {
        matches!(self, Regulariser::L1 | Regulariser::L1BatchNorm)
    }

    /// Whether it adds batch norm.
    pub fn batch_norm(self) -> bool {
        matches!(self, Regulariser::BatchNorm | Regulariser::L1BatchNorm)
    }
}

/// The precision of a homogeneous model: every weight, bias, activation and the input at
/// `Int(b)` bits, or float32.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Integers of this many bits (power-of-two scales, per tensor: firmware-ready).
    Int(u32),
    /// Float32, no quantizer.
    Fp32,
}

impl Precision {
    /// `INT8`, `FP32`.
    pub fn label(self) -> String {
        match self {
            Precision::Int(b) => format!("INT{b}"),
            Precision::Fp32 => "FP32".into(),
        }
    }
}

/// Settings of the Hessian-aware mixed-precision part.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MixedConfig {
    /// Bits of the input quantizer (the paper raises the inputs to 16).
    pub input_bits: u32,
    /// Bits of the model the Hessian is taken of and fine-tuning starts from.
    pub base_bits: u32,
    /// Its regularisation.
    pub regulariser: Regulariser,
    /// Candidate widths per layer; a layer takes the same width for its weights and its input
    /// activation (layer 0's input stays at `input_bits`).
    pub candidate_bits: Vec<u32>,
    /// The BOPs budgets of the sweep.
    pub bops_budgets: Vec<f64>,
    /// An optional model-size budget (weight bits) applied to every point of the sweep.
    pub size_budget: Option<f64>,
    /// An optional latency budget (cycles) applied to every point of the sweep.
    pub latency_budget: Option<f64>,
    /// Jets the Hessian is averaged over (a seeded sample of the training jets).
    pub hessian_jets: usize,
    /// Most Hutchinson probes per layer.
    pub trace_probes: usize,
    /// Most power-iteration steps per layer for the top eigenvalue.
    pub eigen_steps: usize,
    /// Epochs of quantization-aware fine-tuning of each chosen configuration.
    pub finetune_epochs: usize,
    /// Magnitude pruning of each chosen configuration before its fine-tuning: this fraction of
    /// every layer's weights is set to zero and kept there (`None`: no pruning). The sparsity
    /// is reported and counted in the BOPs (`f_p`).
    #[serde(default)]
    pub prune_sparsity: Option<f64>,
    /// The Hessian model put into firmware: the sweep point with the fewest BOPs whose test
    /// accuracy is at most this many percentage points below the INT8 model's.
    pub firmware_tolerance_pct: f64,
}

fn default_rtl_sim_jets() -> usize {
    10_000
}

/// Settings of the firmware step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FirmwareConfig {
    /// The FPGA part (the paper's: an Alveo U250).
    pub part: String,
    /// Clock period in ns.
    pub clock_ns: f64,
    /// Reuse factor of every layer (1: fully parallel).
    pub reuse_factor: u32,
    /// Test jets given to the C simulation (`None`: all).
    pub csim_jets: Option<usize>,
    /// Test jets on which the RTL of each design (`hls_backend::rtl`, logits without softmax) is
    /// simulated with Icarus Verilog and compared with the emulator (0: RTL written, not
    /// simulated).
    #[serde(default = "default_rtl_sim_jets")]
    pub rtl_sim_jets: usize,
    /// Synthesize each design's RTL with Yosys (`synth_xilinx -family xcup`): LUT/FF/CARRY/DSP
    /// counts beside the paper's Vivado numbers. Minutes per design.
    #[serde(default)]
    pub synth: bool,
}

/// The whole study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudyConfig {
    /// Layer widths, inputs first.
    pub widths: Vec<usize>,
    /// Use only this many training jets (a seeded sample; `None`: all).
    pub train_jets: Option<usize>,
    /// Fraction held out for testing (data sets without their own split).
    pub test_fraction: f64,
    /// Seed of that split and of the samples.
    pub split_seed: u64,
    /// Training epochs of every homogeneous model and of the base model.
    pub epochs: usize,
    /// Batch size.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// The learning rate is multiplied by `lr_gamma` every `lr_step` epochs.
    pub lr_step: usize,
    /// See `lr_step`.
    pub lr_gamma: f64,
    /// Weight of the L1 penalty where a regulariser asks for it.
    pub l1: f64,
    /// Seeds of the homogeneous runs (mean ± std over them); the first one also seeds the base
    /// model.
    pub seeds: Vec<u64>,
    /// Integer widths of the homogeneous table.
    pub homogeneous_bits: Vec<u32>,
    /// Whether the table has an FP32 row (the firmware baseline).
    pub fp32: bool,
    /// The regularisers of the table.
    pub regularisers: Vec<Regulariser>,
    /// The mixed-precision part.
    pub mixed: MixedConfig,
    /// The firmware part.
    pub firmware: FirmwareConfig,
}

impl StudyConfig {
    /// The paper's study: INT12/8/6/4/FP32 × four regularisers × 3 seeds, the BOPs sweep from
    /// 250k to 550k in steps of 50k, all training jets.
    pub fn full() -> StudyConfig {
        StudyConfig {
            widths: vec![16, 64, 32, 32, 5],
            train_jets: None,
            test_fraction: 0.2,
            split_seed: 1,
            epochs: 30,
            batch_size: 1024,
            learning_rate: 3e-3,
            lr_step: 10,
            lr_gamma: 0.5,
            l1: 1e-5,
            seeds: vec![1, 2, 3],
            homogeneous_bits: vec![12, 8, 6, 4],
            fp32: true,
            regularisers: Regulariser::ALL.to_vec(),
            mixed: MixedConfig {
                input_bits: 16,
                base_bits: 8,
                regulariser: Regulariser::Baseline,
                candidate_bits: vec![4, 5, 6, 7, 8, 10, 12],
                bops_budgets: (0..7).map(|k| 250_000.0 + 50_000.0 * f64::from(k)).collect(),
                size_budget: None,
                latency_budget: None,
                hessian_jets: 20_000,
                trace_probes: 200,
                eigen_steps: 100,
                finetune_epochs: 10,
                prune_sparsity: None,
                firmware_tolerance_pct: 1.0,
            },
            firmware: FirmwareConfig {
                part: "xcu250-figd2104-2L-e".into(),
                clock_ns: 5.0,
                reuse_factor: 1,
                csim_jets: None,
                rtl_sim_jets: default_rtl_sim_jets(),
                synth: true,
            },
        }
    }

    /// The same study shrunk to run in a few minutes on 2 cores: 40,000 training jets, 6 epochs,
    /// one seed, every row and column of the tables and every budget of the sweep.
    pub fn quick() -> StudyConfig {
        let full = StudyConfig::full();
        StudyConfig {
            train_jets: Some(40_000),
            epochs: 6,
            batch_size: 512,
            lr_step: 3,
            seeds: vec![1],
            firmware: FirmwareConfig { rtl_sim_jets: 300, synth: false, ..full.firmware.clone() },
            mixed: MixedConfig {
                hessian_jets: 2_000,
                trace_probes: 30,
                eigen_steps: 20,
                finetune_epochs: 2,
                ..full.mixed
            },
            ..full
        }
    }

    /// Reads a JSON file of this shape.
    pub fn from_file(path: &std::path::Path) -> Result<StudyConfig> {
        let text = std::fs::read_to_string(path).map_err(crate::error::io(path))?;
        let config: StudyConfig = serde_json::from_str(&text).map_err(crate::error::json(path))?;
        config.validate().map_err(|e| match e {
            Error::Setting { setting, message } => {
                Error::Setting { setting: format!("{setting}` in `{}", path.display()), message }
            }
            other => other,
        })?;
        Ok(config)
    }

    /// Checks what would fail late: empty grids, widths, fractions.
    pub fn validate(&self) -> Result<()> {
        let bad =
            |setting: &str, message: &str| Err(Error::Setting { setting: setting.into(), message: message.into() });
        if self.widths.len() < 2 || self.widths.contains(&0) {
            return bad("widths", "need at least an input and an output width, none 0");
        }
        if let Err(e) = hawq_core::QuantConfig::uniform(&self.widths, 8).validate() {
            return bad("widths", &e.to_string());
        }
        if self.seeds.is_empty() {
            return bad("seeds", "need at least one seed");
        }
        if self.regularisers.is_empty() {
            return bad("regularisers", "need at least one");
        }
        if !self.regularisers.contains(&Regulariser::Baseline) {
            return bad("regularisers", "the baseline column is the firmware's and must be there");
        }
        if !self.homogeneous_bits.contains(&8) {
            return bad("homogeneous_bits", "INT8 is the firmware's reference model and must be there");
        }
        if !self.fp32 {
            return bad("fp32", "the FP32 row is the firmware baseline and must be there");
        }
        if self.mixed.bops_budgets.is_empty() || self.mixed.candidate_bits.is_empty() {
            return bad("mixed", "need at least one BOPs budget and one candidate width");
        }
        if !(self.test_fraction > 0.0 && self.test_fraction < 1.0) {
            return bad("test_fraction", "must lie in (0, 1)");
        }
        if self.mixed.prune_sparsity.is_some_and(|s| !(0.0..1.0).contains(&s)) {
            return bad("mixed.prune_sparsity", "must lie in [0, 1)");
        }
        if self.epochs == 0 {
            return bad("epochs", "must be at least 1");
        }
        if self.batch_size == 0 {
            return bad("batch_size", "must be at least 1");
        }
        if self.train_jets == Some(0) {
            return bad("train_jets", "must be at least 1 (or null for all)");
        }
        let m = &self.mixed;
        if m.finetune_epochs == 0 || m.hessian_jets == 0 || m.trace_probes == 0 || m.eigen_steps == 0 {
            return bad("mixed", "finetune_epochs, hessian_jets, trace_probes and eigen_steps must be at least 1");
        }
        if self.firmware.csim_jets == Some(0)
            || self.firmware.reuse_factor == 0
            || self.firmware.clock_ns.is_nan()
            || self.firmware.clock_ns <= 0.0
        {
            return bad("firmware", "csim_jets and reuse_factor must be at least 1, clock_ns positive");
        }
        Ok(())
    }
}
