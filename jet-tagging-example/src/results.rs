//! `results.json`: every number of a study, every configuration, seeds, wall times and versions.
//! The report (`report.md` and the plots) is drawn from this alone.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::config::{Precision, Regulariser, StudyConfig};
use crate::jets::DataInfo;
use crate::store::StepLog;

/// Bits of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct LayerBits {
    /// Weight bits.
    pub weight: u32,
    /// Bits of the layer's output activation.
    pub activation: u32,
}

/// One trained model, evaluated on the test jets.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelResult {
    /// A readable name (`INT8 Baseline seed 1`, `Hessian 300k BOPs`).
    pub name: String,
    /// Bits of the input quantizer (`None`: float).
    pub input_bits: Option<u32>,
    /// Per layer (empty: float).
    pub bits: Vec<LayerBits>,
    /// Test accuracy in percent: the integer-only engine's for a quantized model (what the
    /// firmware computes), the float model's otherwise.
    pub accuracy: f64,
    /// Test accuracy in percent of the training graph (fake quantization).
    pub accuracy_training_graph: f64,
    /// Per-class ROC AUC (class order g, q, t, w, z).
    pub auc: Vec<f64>,
    /// Per-class ROC curves, `(false-positive rate, true-positive rate)`, thinned.
    pub roc: Vec<Vec<(f64, f64)>>,
    /// Bit operations of one inference (qonnx-ir's cost analysis of the exported graph, zero
    /// weights discounted through `f_p`).
    pub bops: f64,
    /// Bits of all weights.
    pub weight_bits: u64,
    /// Fraction of weights that are zero (quantized to zero, for a quantized model).
    pub sparsity: f64,
    /// Widest accumulator of the integer engine (bits; `None`: float).
    pub max_accumulator_bits: Option<u32>,
    /// Mean training loss of each epoch.
    pub train_loss: Vec<f64>,
    /// The exported graph, relative to the study folder.
    pub onnx: String,
}

/// One cell sample of the homogeneous table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HomogeneousRun {
    /// The precision.
    pub precision: Precision,
    /// The regulariser.
    pub regulariser: Regulariser,
    /// The seed.
    pub seed: u64,
    /// The model.
    pub model: ModelResult,
}

/// One layer's Hessian figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HessianLayer {
    /// The layer.
    pub name: String,
    /// Its weights.
    pub params: usize,
    /// `Tr(H_l)` (Hutchinson, straight-through graph).
    pub trace: f64,
    /// Its standard error.
    pub trace_std_err: f64,
    /// Probes taken.
    pub probes: usize,
    /// `Tr(H_l) / params`.
    pub average_trace: f64,
    /// Top eigenvalue of the float graph's block (power iteration).
    pub top_eigenvalue: f64,
    /// Whether the power iteration converged.
    pub eigen_converged: bool,
}

/// The Hessian of the base model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HessianResult {
    /// Jets it averages over.
    pub jets: usize,
    /// Per layer.
    pub layers: Vec<HessianLayer>,
    /// Whether every trace met its tolerance.
    pub converged: bool,
}

/// One budget of the ILP sweep, fine-tuned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SweepPoint {
    /// The BOPs budget.
    pub budget_bops: f64,
    /// The ILP's objective `ΣΩ`.
    pub omega: f64,
    /// BOPs of the choice as the ILP counted them (weights of the base model).
    pub ilp_bops: f64,
    /// Whether the ILP proved its choice optimal.
    pub optimal: bool,
    /// The fine-tuned model.
    pub model: ModelResult,
}

/// Python qonnx on one exported graph against the integer engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QonnxCheck {
    /// The model.
    pub model: String,
    /// The graph, relative to the study folder.
    pub onnx: String,
    /// Outputs compared.
    pub outputs: usize,
    /// Whether every accumulator fits float32's 24-bit mantissa (then bit equality is required).
    pub exact_expected: bool,
    /// Outputs equal bit for bit.
    pub equal: usize,
    /// Outputs one LSB (one output scale step) apart.
    pub one_lsb: usize,
    /// Outputs further apart.
    pub worse: usize,
    /// Largest difference.
    pub max_abs_diff: f64,
}

/// The g++ C simulation of a firmware project against the emulator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CsimCheck {
    /// Jets simulated (0: not run).
    pub jets: usize,
    /// Outputs equal to the emulator's.
    pub equal: usize,
    /// Outputs compared.
    pub outputs: usize,
    /// `ok`, or why it did not run.
    pub status: String,
}

impl CsimCheck {
    /// A check that did not run, and why.
    pub fn not_run(why: &str) -> CsimCheck {
        CsimCheck { jets: 0, equal: 0, outputs: 0, status: format!("not run: {why}") }
    }

    /// `what`'s outputs `got` on `jets` jets against the emulator's `want`: `ok` when it wrote as
    /// many as expected (the equal ones counted either way).
    pub fn compare<T: PartialEq>(what: &str, jets: usize, got: &[T], want: &[T]) -> CsimCheck {
        let equal = got.iter().zip(want).filter(|(a, b)| a == b).count();
        let status = if got.len() == want.len() {
            "ok".to_string()
        } else {
            format!("{what} wrote {} outputs, expected {}", got.len(), want.len())
        };
        CsimCheck { jets, equal, outputs: want.len(), status }
    }
}

/// One firmware design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FirmwareResult {
    /// `Baseline`, `INT8` or `Hessian`.
    pub role: String,
    /// The model.
    pub model: String,
    /// Accuracy of the firmware model (the emulator) on the test jets, percent.
    pub accuracy: f64,
    /// Estimated latency in clock cycles.
    pub latency_cycles: u64,
    /// … in ns.
    pub latency_ns: f64,
    /// Estimated LUTs (analytic, uncalibrated).
    pub lut: u64,
    /// Estimated flip-flops.
    pub ff: u64,
    /// Estimated DSPs.
    pub dsp: u64,
    /// Fraction of zero weights.
    pub sparsity: f64,
    /// BOPs.
    pub bops: f64,
    /// Outputs where the emulator equals the integer engine (`None`: a float model, which the
    /// firmware approximates at fixed point).
    pub emulator_equals_engine: Option<(usize, usize)>,
    /// The C simulation.
    pub csim: CsimCheck,
    /// The HLS project, relative to the study folder.
    pub project: String,
    /// The RTL of the same model (logits, no softmax).
    #[serde(default)]
    pub rtl: Option<RtlResult>,
}

/// The RTL of a firmware design: its size, its simulation and its open-source synthesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtlResult {
    /// The RTL folder, relative to the study folder.
    pub folder: String,
    /// Adders of the shift-add graphs.
    pub adders: usize,
    /// Register bits.
    pub register_bits: u64,
    /// Latency in clock cycles.
    pub latency_cycles: u32,
    /// Icarus simulation of the testbench against the emulator's logits.
    pub sim: CsimCheck,
    /// Yosys's counts (`None`: not synthesized, see `synth_status`).
    pub synth: Option<hls_backend::rtl::synth::SynthReport>,
    /// `ok`, or why there are no counts.
    pub synth_status: String,
}

/// How this run went (the only part that differs between runs with the same results).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunInfo {
    /// Every step, in order, with its time and whether it was reused.
    pub steps: Vec<StepLog>,
    /// Wall time of the run.
    pub wall_s: f64,
    /// Worker threads.
    pub threads: usize,
    /// Training device.
    pub device: String,
    /// Shard folders merged into this run.
    pub merged_from: Vec<String>,
}

/// Everything.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// The data.
    pub data: DataInfo,
    /// The settings.
    pub config: StudyConfig,
    /// Versions of the tools.
    pub versions: BTreeMap<String, String>,
    /// The homogeneous table's runs.
    pub homogeneous: Vec<HomogeneousRun>,
    /// The base model of the mixed-precision part.
    pub base: ModelResult,
    /// Its Hessian.
    pub hessian: HessianResult,
    /// The sweep.
    pub sweep: Vec<SweepPoint>,
    /// Python qonnx on every exported QONNX graph (empty when Python qonnx was not found).
    pub qonnx: Vec<QonnxCheck>,
    /// Why the QONNX check did not run, if it did not.
    pub qonnx_status: String,
    /// The three firmware designs.
    pub firmware: Vec<FirmwareResult>,
    /// How this run went.
    pub run: RunInfo,
}

/// Mean and sample standard deviation (0 for one value).
pub fn mean_std(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = if v.len() > 1 { v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    (mean, var.sqrt())
}

impl Results {
    /// Accuracies of the homogeneous runs of one cell.
    pub fn cell(&self, precision: Precision, regulariser: Regulariser) -> Vec<f64> {
        self.homogeneous
            .iter()
            .filter(|r| r.precision == precision && r.regulariser == regulariser)
            .map(|r| r.model.accuracy)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::CsimCheck;

    #[test]
    fn a_check_counts_equal_outputs_and_names_a_short_simulation() {
        let ok = CsimCheck::compare("the simulation", 2, &[1, 5, 3, 4], &[1, 2, 3, 4]);
        assert_eq!(ok, CsimCheck { jets: 2, equal: 3, outputs: 4, status: "ok".into() });
        let short = CsimCheck::compare("the C simulation", 2, &[1.0, 2.0], &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!((short.equal, short.outputs), (2, 4));
        assert_eq!(short.status, "the C simulation wrote 2 outputs, expected 4");
        assert_eq!(CsimCheck::not_run("no headers").status, "not run: no headers");
    }
}
