//! Verilog RTL from the same lowered fixed-point model as the HLS project, so with the same bit
//! semantics: constant multiplications as shift-add adder graphs ([`cmvm`]: canonical signed
//! digits, sub-expressions shared across each layer, trees that add the earliest-ready terms),
//! exact widths everywhere (no overflow by construction), zero weights skipped, and pipeline
//! registers every N logic levels (or as many levels as a clock period allows). The top module
//! has a fixed latency and no handshake: `x` in, `y` out `latency` cycles later.
//!
//! [`build`] makes the design in memory, [`write_rtl`] writes it with a testbench, its inputs
//! and expected outputs (from the [`Emulator`](crate::Emulator)), a file list and a Yosys script;
//! [`sim`] runs the testbench in Icarus Verilog and [`synth`] synthesizes with Yosys.
//!
//! ```
//! use hls_backend::{Emulator, HlsConfig, lower::lower, rtl};
//! # fn main() -> Result<(), hls_backend::Error> {
//! let model = qonnx_ir::Model::load("../testdata/models/qkeras_jettagging.onnx")?;
//! let softmax = hls_backend::config::SoftmaxImpl::Skip;
//! let hls = lower(&model, &HlsConfig { name: "jet_tagger".into(), softmax, ..Default::default() })?;
//! let design = rtl::build(&hls, &rtl::RtlConfig::default())?;
//! println!("{} adders, {} cycles", design.report.adders, design.report.latency_cycles);
//! assert!(design.verilog.contains("module jet_tagger"));
//! // The netlist computes what the emulator computes.
//! let emulator = Emulator::new(&hls);
//! let x = emulator.quantize_inputs(&[0.5; 16]);
//! assert_eq!(design.evaluate(&x)?, emulator.run_raw(&x)?.raw);
//! # Ok(()) }
//! ```

pub mod cmvm;
mod netlist;
pub mod sim;
pub mod synth;
mod verilog;

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::emulator::Emulator;
use crate::error::{Error, Result};
use crate::model::{HlsModel, LayerKind};
use netlist::{Netlist, Sig};
use verilog::Ports;

/// Assumed delay of one logic level (a LUT and its carry chain, with routing) on an UltraScale+
/// part, used to turn a clock period into levels per pipeline stage. Yosys's longest-path report
/// ([`synth`]) shows the levels actually built.
pub const LEVEL_NS: f64 = 1.0;

/// LUTs per bit of adder carry chain in Yosys's mapping (`synth_xilinx -family xcup`), the
/// least-squares fit (0.972) to the counts of the QKeras jet tagger's RTL at its 6-bit weights and
/// cut to 2, 3, 4 and 5 bits, measured by `benches/benches/rtl_synth.rs` (which prints the estimate
/// against the counts): off by +0.1 %, +15 %, −1.9 %, −1.1 % and −0.2 %. The casts and ReLUs add
/// no term: Yosys merges them into the adders' LUTs (a fit with a term for them gave it a slightly
/// negative weight).
pub const LUTS_PER_ADDER_BIT: f64 = 0.97;

/// The widest signal the writer builds (the emulator's limit).
pub const MAX_SIGNAL_BITS: u32 = crate::fixed::MAX_WIDTH;

/// Where pipeline registers go.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Pipeline {
    /// None: one combinational path from `x` to `y`.
    Combinational,
    /// A register boundary after every `n` logic levels (an adder, a cast, a comparison), and
    /// registered outputs.
    Levels(u32),
    /// As many levels per stage as fit in this clock period at [`LEVEL_NS`] per level.
    ClockNs(f64),
}

/// Settings of the RTL writer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtlConfig {
    /// Pipelining.
    pub pipeline: Pipeline,
    /// Share sub-expressions between a layer's outputs (off: every output its own adders).
    pub share: bool,
}

impl Default for RtlConfig {
    /// 5 ns (200 MHz, hls4ml's default clock) with sharing.
    fn default() -> RtlConfig {
        RtlConfig { pipeline: Pipeline::ClockNs(5.0), share: true }
    }
}

impl RtlConfig {
    /// Logic levels per pipeline stage (0: combinational).
    pub fn levels_per_stage(&self) -> Result<u32> {
        match self.pipeline {
            Pipeline::Combinational => Ok(0),
            Pipeline::Levels(0) => Err(Error::Config("pipeline: levels per stage must be at least 1".into())),
            Pipeline::Levels(n) => Ok(n),
            Pipeline::ClockNs(t) if t.is_finite() && t >= LEVEL_NS => Ok((t / LEVEL_NS).floor() as u32),
            Pipeline::ClockNs(t) => {
                Err(Error::Config(format!("clock period {t} ns is shorter than one logic level ({LEVEL_NS} ns)")))
            }
        }
    }
}

/// What one layer became.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtlLayer {
    /// The layer's name.
    pub name: String,
    /// What it is (`dense`, `relu`, …).
    pub kind: String,
    /// Adders and subtractors (constant multiplications and their sums).
    pub adders: usize,
    /// Of these, adders shared by several outputs.
    pub shared: usize,
    /// Non-zero signed digits of the weights.
    pub csd_digits: usize,
    /// Other logic operators (casts, ReLUs, comparisons, multiplexers).
    pub other: usize,
}

/// A summary of the design.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RtlReport {
    /// The top module.
    pub top: String,
    /// Clock cycles from input to output.
    pub latency_cycles: u32,
    /// Logic levels per pipeline stage (0: combinational).
    pub levels_per_stage: u32,
    /// Adders in all.
    pub adders: usize,
    /// Bits of carry chain of all adders (the bits above each adder's shifted-in low bits).
    pub adder_bits: u64,
    /// Register bits (pipeline and output registers): the flip-flop estimate.
    pub register_bits: u64,
    /// Bits of the other logic operators (casts, ReLUs, comparisons, multiplexers).
    pub logic_bits: u64,
    /// Estimated LUTs: [`LUTS_PER_ADDER_BIT`] per bit of adder carry chain.
    pub lut_estimate: u64,
    /// Per layer.
    pub layers: Vec<RtlLayer>,
}

/// A design in memory.
#[derive(Debug, Clone)]
pub struct RtlDesign {
    /// The top module's Verilog.
    pub verilog: String,
    /// The summary.
    pub report: RtlReport,
    net: Netlist,
    ports: Ports,
}

fn rtl_error(layer: &str, message: impl Into<String>) -> Error {
    Error::Rtl { layer: layer.to_string(), message: message.into() }
}

/// Builds the RTL of `model` (top module named after it).
pub fn build(model: &HlsModel, config: &RtlConfig) -> Result<RtlDesign> {
    let mut net = Netlist::new(config.levels_per_stage()?);
    let in_type = model.input_type;
    let mut x: Vec<Sig> = (0..model.n_inputs).map(|i| net.input(i, &in_type)).collect();
    let mut frac = in_type.frac();
    let mut layers = Vec::new();
    for l in &model.layers {
        let start = net.signals.len();
        let adders_before = count_adders(&net);
        net.mark(format!("layer {}: {}", l.name, l.nodes.join(" + ")));
        let (mut shared, mut csd_digits) = (0, 0);
        let kind;
        x = match &l.kind {
            LayerKind::Dense(d) => {
                kind = "dense";
                let fw = d.weight_type.frac();
                let f_c = (frac + fw).max(d.bias_type.frac());
                let scale = u32::try_from(f_c - frac - fw).expect("f_c ≥ frac + fw");
                let weights = shifted(&d.weights, scale, &l.name)?;
                let bias_shift = u32::try_from(f_c - d.bias_type.frac()).expect("f_c ≥ bias frac");
                let bias: Vec<i128> = d.bias.iter().map(|&b| i128::from(b) << bias_shift).collect();
                let (sums, stats) = cmvm::build(&mut net, &x, &weights, &bias, config.share);
                (shared, csd_digits) = (stats.shared, stats.digits);
                let mut out = Vec::with_capacity(sums.len());
                for (sig, k) in sums {
                    let from = f_c - k as i32;
                    let s = net.sig(sig);
                    // The accumulator's overflow mode applies only where the exact sum can leave
                    // its range (never, for accumulators the lowering sized).
                    let (acc_lo, acc_hi) = (i128::from(d.acc_type.min_raw()), i128::from(d.acc_type.max_raw()));
                    let up = d.acc_type.frac() - from;
                    let fits = up >= 0 && (s.lo << up) >= acc_lo && (s.hi << up) <= acc_hi;
                    let acc = if fits { sig } else { net.cast(sig, from, d.acc_type) };
                    let from = if fits { from } else { d.acc_type.frac() };
                    out.push(net.cast(acc, from, l.out_type));
                }
                out
            }
            LayerKind::Affine(a) => {
                kind = "affine";
                let f_c = (frac + a.scale_type.frac()).max(a.shift_type.frac());
                let scale = u32::try_from(f_c - frac - a.scale_type.frac()).expect("f_c ≥ product frac");
                let shift = u32::try_from(f_c - a.shift_type.frac()).expect("f_c ≥ shift frac");
                let mut out = Vec::with_capacity(x.len());
                for (j, &xj) in x.iter().enumerate() {
                    let w = shifted(&a.scale[j..=j], scale, &l.name)?;
                    let (sums, stats) = cmvm::build(&mut net, &[xj], &w, &[i128::from(a.shift[j]) << shift], false);
                    csd_digits += stats.digits;
                    let (sig, k) = sums[0];
                    out.push(net.cast(sig, f_c - k as i32, l.out_type));
                }
                out
            }
            LayerKind::Relu => {
                kind = "relu";
                x.iter().map(|&s| net.relu(s)).collect()
            }
            LayerKind::Cast => {
                kind = "cast";
                x.iter().map(|&s| net.cast(s, frac, l.out_type)).collect()
            }
            LayerKind::Argmax => {
                kind = "argmax";
                let mut level: Vec<(Sig, Sig)> =
                    x.iter().enumerate().map(|(k, &s)| (s, net.constant(k as i128))).collect();
                while level.len() > 1 {
                    let mut next = Vec::with_capacity(level.len().div_ceil(2));
                    for pair in level.chunks(2) {
                        next.push(if pair.len() == 2 { net.max_pair(pair[0], pair[1]) } else { pair[0] });
                    }
                    level = next;
                }
                level.into_iter().map(|(_, i)| i).collect()
            }
            LayerKind::Softmax => {
                return Err(rtl_error(
                    &l.name,
                    "the RTL writer has no softmax; lower the model with softmax = \"skip\" or \"argmax\"",
                ));
            }
        };
        if let Some(wide) = net.signals[start..].iter().map(|s| s.width).max().filter(|&w| w > MAX_SIGNAL_BITS) {
            return Err(rtl_error(
                &l.name,
                format!("needs a {wide}-bit signal; the writer supports {MAX_SIGNAL_BITS}"),
            ));
        }
        let adders = count_adders(&net) - adders_before;
        let other = net.signals[start..]
            .iter()
            .filter(|s| !matches!(s.op, netlist::Op::Add { .. } | netlist::Op::Reg { .. } | netlist::Op::Const(_)))
            .count();
        layers.push(RtlLayer { name: l.name.clone(), kind: kind.into(), adders, shared, csd_digits, other });
        frac = l.out_type.frac();
    }
    let (outputs, latency) = net.finish(&x);
    let ports = Ports { n_in: model.n_inputs, in_type, outputs, out_type: model.output_type(), latency };
    let report = RtlReport {
        top: model.name.clone(),
        latency_cycles: latency,
        levels_per_stage: net.levels_per_stage,
        adders: layers.iter().map(|l| l.adders).sum(),
        adder_bits: adder_bits(&net),
        register_bits: bits_of(&net, |op| matches!(op, netlist::Op::Reg { .. })),
        logic_bits: logic_bits(&net),
        lut_estimate: 0,
        layers,
    };
    let report = RtlReport { lut_estimate: (LUTS_PER_ADDER_BIT * report.adder_bits as f64).round() as u64, ..report };
    let header = format!(
        "{} — generated by hls-backend {} from the lowered fixed-point model.\n\
         Input x: {} elements of {} packed x[k*{w}+:{w}]; output y: {} elements of {} packed y[k*{v}+:{v}].\n\
         Latency: {} cycles ({} logic levels per stage); {} adders.",
        model.name,
        env!("CARGO_PKG_VERSION"),
        model.n_inputs,
        in_type,
        ports.outputs.len(),
        ports.out_type,
        report.latency_cycles,
        report.levels_per_stage,
        report.adders,
        w = in_type.width,
        v = ports.out_type.width,
    );
    let verilog = verilog::module(&model.name, &net, &ports, &header);
    Ok(RtlDesign { verilog, report, net, ports })
}

/// Σ widths of the signals whose operator `pick` selects.
fn bits_of(net: &Netlist, pick: impl Fn(&netlist::Op) -> bool) -> u64 {
    net.signals.iter().filter(|s| pick(&s.op)).map(|s| u64::from(s.width)).sum()
}

/// Σ widths of the logic that is not an adder: casts that round or overflow (a cast that only
/// moves the binary point is wiring), ReLUs, comparisons and multiplexers.
fn logic_bits(net: &Netlist) -> u64 {
    net.signals
        .iter()
        .filter(|s| match s.op {
            netlist::Op::Cast { src, from_frac, ty } => {
                let src = net.sig(src);
                let up = ty.frac() - from_frac;
                let (lo, hi) = (i128::from(ty.min_raw()), i128::from(ty.max_raw()));
                let sym = ty.overflow == crate::fixed::Overflow::SatSym && ty.signed;
                let wiring = up >= 0 && (src.lo << up) >= lo + i128::from(sym) && (src.hi << up) <= hi;
                !wiring
            }
            netlist::Op::Relu { .. } | netlist::Op::Greater { .. } | netlist::Op::Mux { .. } => true,
            _ => false,
        })
        .map(|s| u64::from(s.width))
        .sum()
}

/// Σ of the adders' carry-chain widths: an adder `a ± b·2^k` adds only above its `k` low bits.
fn adder_bits(net: &Netlist) -> u64 {
    net.signals
        .iter()
        .map(|s| match s.op {
            netlist::Op::Add { shift, .. } => u64::from(s.width.saturating_sub(shift).max(1)),
            _ => 0,
        })
        .sum()
}

fn count_adders(net: &Netlist) -> usize {
    net.signals.iter().filter(|s| matches!(s.op, netlist::Op::Add { .. })).count()
}

fn shifted(w: &[i64], shift: u32, layer: &str) -> Result<Vec<i64>> {
    w.iter()
        .map(|&v| {
            v.checked_mul(1i64 << shift.min(62))
                .filter(|_| shift < 62)
                .ok_or_else(|| rtl_error(layer, format!("weight {v} aligned by {shift} bits exceeds 64 bits")))
        })
        .collect()
}

impl RtlDesign {
    /// Evaluates the netlist on raw input vectors (row-major `[batch][n_inputs]` at the input
    /// type): the raw outputs the Verilog must give, without a simulator.
    pub fn evaluate(&self, raw: &[i64]) -> Result<Vec<i64>> {
        let n = self.ports.n_in;
        if n == 0 || !raw.len().is_multiple_of(n) {
            return Err(Error::Input(format!("{} values are not a whole number of {n}-feature samples", raw.len())));
        }
        let mut out = Vec::with_capacity(raw.len() / n * self.ports.outputs.len());
        for x in raw.chunks(n) {
            let v = self.net.evaluate(x);
            out.extend(self.ports.outputs.iter().map(|&o| v[o] as i64));
        }
        Ok(out)
    }

    /// The files of the design's folder, as (relative path, contents): the module, a testbench
    /// on `tb_raw` (raw input vectors at the input type) with the expected outputs, a file list
    /// and a Yosys script.
    pub fn files(&self, tb_raw: &[i64], expected: &[i64]) -> Vec<(PathBuf, String)> {
        let top = &self.report.top;
        let n = tb_raw.len() / self.ports.n_in.max(1);
        let n_out = self.ports.outputs.len().max(1);
        let expected: String =
            expected.chunks(n_out).map(|r| r.iter().map(i64::to_string).collect::<Vec<_>>().join(" ") + "\n").collect();
        let report = serde_json::to_string_pretty(&self.report).expect("the report serializes");
        vec![
            (PathBuf::from(format!("{top}.v")), self.verilog.clone()),
            (PathBuf::from(format!("tb_{top}.v")), verilog::testbench(top, &self.ports, n)),
            (PathBuf::from("tb_input.hex"), verilog::hex_lines(tb_raw, self.ports.n_in, self.ports.in_type.width)),
            (PathBuf::from("tb_expected.txt"), expected),
            (PathBuf::from(format!("{top}.f")), format!("{top}.v\n")),
            (PathBuf::from("synth.ys"), synth::script(top, &[format!("{top}.v")])),
            (PathBuf::from("rtl_report.json"), report + "\n"),
        ]
    }
}

/// Builds the RTL of `model` and writes it into `dir` (replaced if it exists; written into a
/// temporary sibling and renamed, so a failure leaves no partial folder), with a testbench on
/// `tb_inputs` (float, row-major `[batch][n_inputs]`) whose expected outputs come from the
/// emulator. Returns the design.
pub fn write_rtl(model: &HlsModel, config: &RtlConfig, dir: &Path, tb_inputs: &[f64]) -> Result<RtlDesign> {
    let design = build(model, config)?;
    crate::emulator::check_finite_inputs(tb_inputs, model.n_inputs)?;
    let emulator = Emulator::new(model);
    let raw = emulator.quantize_inputs(tb_inputs);
    let expected = emulator.run_raw(&raw)?.raw;
    crate::writer::write_folder(dir, &design.files(&raw, &expected))?;
    Ok(design)
}
