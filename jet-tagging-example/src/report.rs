//! `report.md`: the paper's three tables with this run's numbers beside the paper's, the Hessian,
//! the checks and the time split, rendered from [`Results`] alone (nothing here computes or
//! types a result of the run; the only literal numbers are the paper's, labelled as such).

use std::fmt::Write;

use crate::config::{Precision, Regulariser};
use crate::results::{Results, mean_std};

/// The paper's homogeneous table (accuracy %, real LHC jet data, Vivado), per precision label and
/// regulariser: Baseline, L1, BN, L1+BN.
pub const PAPER_HOMOGENEOUS: [(&str, [f64; 4]); 5] = [
    ("INT12", [76.916, 72.105, 77.180, 76.458]),
    ("INT8", [76.605, 76.448, 76.899, 76.879]),
    ("INT6", [73.55, 73.666, 74.468, 74.415]),
    ("INT4", [62.513, 63.167, 63.548, 63.431]),
    ("FP32", [76.461, 76.826, 76.853, 76.813]),
];

/// One row of the paper's firmware table.
#[derive(Debug, Clone, Copy)]
pub struct PaperFirmware {
    /// Role.
    pub role: &'static str,
    /// Accuracy %.
    pub accuracy: f64,
    /// Latency ns.
    pub latency_ns: f64,
    /// LUTs.
    pub lut: u64,
    /// Flip-flops.
    pub ff: u64,
    /// DSPs.
    pub dsp: u64,
    /// Sparsity %.
    pub sparsity_pct: f64,
    /// BOPs.
    pub bops: f64,
}

/// The paper's firmware table (Vivado, xcu250, reuse factor 1).
pub const PAPER_FIRMWARE: [PaperFirmware; 4] = [
    PaperFirmware {
        role: "Baseline",
        accuracy: 76.85,
        latency_ns: 65.0,
        lut: 60_272,
        ff: 15_116,
        dsp: 3_602,
        sparsity_pct: 0.0,
        bops: 4_652_832.0,
    },
    PaperFirmware {
        role: "INT8",
        accuracy: 76.45,
        latency_ns: 95.0,
        lut: 54_888,
        ff: 14_210,
        dsp: 671,
        sparsity_pct: 30.0,
        bops: 281_277.0,
    },
    PaperFirmware {
        role: "Hessian",
        accuracy: 75.78,
        latency_ns: 90.0,
        lut: 34_842,
        ff: 9_622,
        dsp: 154,
        sparsity_pct: 33.0,
        bops: 182_260.0,
    },
    PaperFirmware {
        role: "AutoQKeras QB",
        accuracy: 72.79,
        latency_ns: 60.0,
        lut: 16_144,
        ff: 4_172,
        dsp: 5,
        sparsity_pct: 23.0,
        bops: 122_680.0,
    },
];

/// Renders the report.
pub fn markdown(r: &Results) -> String {
    let mut s = String::new();
    let d = &r.data;
    let _ = writeln!(s, "# Jet tagging: homogeneous vs Hessian-aware mixed-precision quantization\n");
    let _ = writeln!(
        s,
        "Data: `{}` ({}), {} training and {} test jets, features standardised with the training jets' scaler.",
        d.source, d.format, d.train_jets, d.test_jets
    );
    if d.builtin {
        let _ = writeln!(
            s,
            "\n**These are the project's own simulated jets (Pythia8 + FastJet), not the real hls4ml LHC jet data set \
             the paper used: the accuracies do not compare with the paper's.** Run with `--data` on the real data for that.\n"
        );
    } else {
        let _ = writeln!(s, "\nThe paper's columns were measured on the hls4ml LHC jet data set (Zenodo).\n");
    }
    let c = &r.config;
    let _ = writeln!(
        s,
        "Model {:?}, {} epochs, batch {}, learning rate {}, seeds {:?}; mixed precision: inputs INT{}, base INT{}, \
         candidates {:?}, {} fine-tuning epochs{}.\n",
        c.widths,
        c.epochs,
        c.batch_size,
        c.learning_rate,
        c.seeds,
        c.mixed.input_bits,
        c.mixed.base_bits,
        c.mixed.candidate_bits,
        c.mixed.finetune_epochs,
        c.mixed
            .prune_sparsity
            .map(|p| format!(", {:.0} % of each layer's weights pruned by magnitude", 100.0 * p))
            .unwrap_or_default()
    );
    homogeneous(&mut s, r);
    sweep(&mut s, r);
    firmware(&mut s, r);
    hessian(&mut s, r);
    checks(&mut s, r);
    timing(&mut s, r);
    let _ = writeln!(s, "Plots: `plots/` (PNG and SVG).");
    s
}

fn homogeneous(s: &mut String, r: &Results) {
    let regs: Vec<Regulariser> = r.config.regularisers.clone();
    let _ = writeln!(s, "## Table 1: homogeneous quantization, test accuracy (%)\n");
    let _ = writeln!(
        s,
        "Ours: mean ± std over {} seed(s), integer-only engine (inputs at the same width). Paper: single runs.\n",
        r.config.seeds.len()
    );
    let head: Vec<String> = regs.iter().map(|g| format!("{0} (ours) | {0} (paper)", g.label())).collect();
    let _ = writeln!(s, "| Precision | {} |", head.join(" | "));
    let _ = writeln!(s, "|---|{}", "---|---|".repeat(regs.len()));
    let mut precisions: Vec<Precision> = r.config.homogeneous_bits.iter().map(|&b| Precision::Int(b)).collect();
    precisions.push(Precision::Fp32);
    for p in precisions {
        let label = p.label();
        let paper = PAPER_HOMOGENEOUS.iter().find(|(l, _)| *l == label).map(|x| x.1);
        let cells: Vec<String> = regs
            .iter()
            .map(|&g| {
                let v = r.cell(p, g);
                let ours = if v.is_empty() {
                    "—".to_string()
                } else {
                    let (m, sd) = mean_std(&v);
                    format!("{m:.2} ± {sd:.2}")
                };
                let col = Regulariser::ALL.iter().position(|&x| x == g).expect("a known regulariser");
                let theirs = paper.map(|p| format!("{:.3}", p[col])).unwrap_or_else(|| "—".into());
                format!("{ours} | {theirs}")
            })
            .collect();
        let _ = writeln!(s, "| {label} | {} |", cells.join(" | "));
    }
    let _ = writeln!(s);
}

fn bits_text(m: &crate::results::ModelResult) -> String {
    let w: Vec<String> = m.bits.iter().map(|b| b.weight.to_string()).collect();
    let a: Vec<String> = m.bits.iter().map(|b| b.activation.to_string()).collect();
    format!("w {} / a {}", w.join(","), a.join(","))
}

fn sweep(s: &mut String, r: &Results) {
    let _ = writeln!(s, "## Table 2: Hessian-aware mixed precision under a BOPs budget\n");
    let _ = writeln!(
        s,
        "Ω = Tr̄(H)·‖Q(W) − W‖² per layer; the ILP minimises ΣΩ under the budget; each choice fine-tuned with QAT \
         from the base model ({}: {:.2} %). BOPs of the fine-tuned model count zero weights through f_p. The paper \
         gives this sweep as a plot (accuracy vs BOPs), not a table.\n",
        r.base.name, r.base.accuracy
    );
    let _ = writeln!(s, "| Budget | Bits per layer | ΣΩ | ILP optimal | BOPs | Sparsity | Accuracy (%) |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for p in &r.sweep {
        let _ = writeln!(
            s,
            "| {:.0}k | {} | {:.3e} | {} | {:.0} | {:.1} % | {:.2} |",
            p.budget_bops / 1000.0,
            bits_text(&p.model),
            p.omega,
            if p.optimal { "yes" } else { "no" },
            p.model.bops,
            100.0 * p.model.sparsity,
            p.model.accuracy
        );
    }
    let _ = writeln!(s);
}

fn firmware(s: &mut String, r: &Results) {
    let _ = writeln!(s, "## Table 3: firmware\n");
    let _ = writeln!(
        s,
        "Ours: `hls-backend` projects ({}, {} ns clock, reuse factor {}), accuracy of the bit-accurate emulator on \
         every test jet; latency and LUT/FF/DSP are the backend's **analytic estimate, not synthesis**. Paper: Vivado \
         on xcu250-figd2104-2L-e.\n",
        r.config.firmware.part, r.config.firmware.clock_ns, r.config.firmware.reuse_factor
    );
    let _ = writeln!(s, "| Model | | Accuracy (%) | Latency (ns) | LUT | FF | DSP | Sparsity (%) | BOPs |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|");
    for f in &r.firmware {
        let _ = writeln!(
            s,
            "| {} ({}) | ours | {:.2} | {:.0} ({} cycles) | {} | {} | {} | {:.1} | {:.0} |",
            f.role,
            f.model,
            f.accuracy,
            f.latency_ns,
            f.latency_cycles,
            f.lut,
            f.ff,
            f.dsp,
            100.0 * f.sparsity,
            f.bops
        );
        if let Some(p) = PAPER_FIRMWARE.iter().find(|p| p.role == f.role) {
            let _ = writeln!(
                s,
                "| {} | paper | {:.2} | {:.0} | {} | {} | {} | {:.0} | {:.0} |",
                p.role, p.accuracy, p.latency_ns, p.lut, p.ff, p.dsp, p.sparsity_pct, p.bops
            );
        }
    }
    let p = PAPER_FIRMWARE[3];
    let _ = writeln!(
        s,
        "| {} | paper | {:.2} | {:.0} | {} | {} | {} | {:.0} | {:.0} |\n",
        p.role, p.accuracy, p.latency_ns, p.lut, p.ff, p.dsp, p.sparsity_pct, p.bops
    );
    let _ = writeln!(s, "C simulation (g++, `ap_types`) of each project against the emulator:\n");
    let _ = writeln!(s, "| Model | Jets | Outputs equal | Emulator = integer engine |");
    let _ = writeln!(s, "|---|---|---|---|");
    for f in &r.firmware {
        let engine = match f.emulator_equals_engine {
            Some((e, n)) => format!("{e} / {n}"),
            None => "float model (fixed-point approximation)".into(),
        };
        let csim = if f.csim.status == "ok" {
            format!("{} / {}", f.csim.equal, f.csim.outputs)
        } else {
            f.csim.status.clone()
        };
        let _ = writeln!(s, "| {} | {} | {} | {} |", f.role, f.csim.jets, csim, engine);
    }
    let _ = writeln!(s);
    rtl_table(s, r);
}

/// The RTL of each design: Yosys's gate counts beside the paper's Vivado numbers.
fn rtl_table(s: &mut String, r: &Results) {
    if r.firmware.iter().all(|f| f.rtl.is_none()) {
        return;
    }
    let _ = writeln!(
        s,
        "RTL of the same models (`hls_backend::rtl`: shift-add adder graphs, logits without the softmax, pipelined \
         for the {} ns clock), simulated with Icarus Verilog against the emulator and synthesized with Yosys. \
         **Yosys counts are not Vivado's** (another mapper, no retiming or packing of Vivado's); the paper's \
         columns are Vivado's, of designs that include the softmax.\n",
        r.config.firmware.clock_ns
    );
    let _ = writeln!(
        s,
        "| Model | Adders | Latency | Yosys LUT | FF | CARRY | DSP | Synthesis | RTL sim = emulator | Paper (Vivado) LUT / FF / DSP |"
    );
    let _ = writeln!(s, "|---|---|---|---|---|---|---|---|---|---|");
    for f in &r.firmware {
        let Some(t) = &f.rtl else { continue };
        let synth = match &t.synth {
            Some(y) => format!(
                "{} | {} | {} | {} | {:.0} s; the analytic estimate said {} LUT ({:.2}×)",
                y.lut,
                y.ff,
                y.carry,
                y.dsp,
                y.seconds,
                f.lut,
                f.lut as f64 / y.lut.max(1) as f64
            ),
            None => format!("— | — | — | — | {}", t.synth_status),
        };
        let sim = if t.sim.status == "ok" {
            format!("{} / {} ({} jets)", t.sim.equal, t.sim.outputs, t.sim.jets)
        } else {
            t.sim.status.clone()
        };
        let paper = PAPER_FIRMWARE
            .iter()
            .find(|p| p.role == f.role)
            .map_or("—".to_string(), |p| format!("{} / {} / {}", p.lut, p.ff, p.dsp));
        let _ = writeln!(
            s,
            "| {} | {} | {} cycles ({:.0} ns) | {synth} | {sim} | {paper} |",
            f.role,
            t.adders,
            t.latency_cycles,
            f64::from(t.latency_cycles) * r.config.firmware.clock_ns
        );
    }
    let _ = writeln!(s);
}

fn hessian(s: &mut String, r: &Results) {
    let h = &r.hessian;
    let _ = writeln!(s, "## Hessian of the base model\n");
    let _ = writeln!(
        s,
        "Hutchinson traces on {} training jets (straight-through graph; all converged: {}), top eigenvalue by power \
         iteration on the float graph with the same weights.\n",
        h.jets, h.converged
    );
    let _ = writeln!(s, "| Layer | Weights | Tr(H) | ± std. err. | Probes | Tr(H)/n | Top eigenvalue |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for l in &h.layers {
        let _ = writeln!(
            s,
            "| {} | {} | {:.4e} | {:.1e} | {} | {:.3e} | {:.4e}{} |",
            l.name,
            l.params,
            l.trace,
            l.trace_std_err,
            l.probes,
            l.average_trace,
            l.top_eigenvalue,
            if l.eigen_converged { "" } else { " (not converged)" }
        );
    }
    let _ = writeln!(s);
}

fn checks(s: &mut String, r: &Results) {
    let _ = writeln!(s, "## Every QONNX file in Python qonnx\n");
    if r.qonnx.is_empty() {
        let _ = writeln!(s, "{}\n", r.qonnx_status);
        return;
    }
    let _ = writeln!(
        s,
        "`execute_onnx` on every test jet against the integer-only engine. Bit equality is required where every \
         accumulator fits float32's 24-bit mantissa; otherwise one LSB is the documented allowance.\n"
    );
    let _ = writeln!(s, "| Model | File | Outputs | Equal | 1 LSB | Worse | Exact expected |");
    let _ = writeln!(s, "|---|---|---|---|---|---|---|");
    for q in &r.qonnx {
        let _ = writeln!(
            s,
            "| {} | `{}` | {} | {} | {} | {} | {} |",
            q.model,
            q.onnx,
            q.outputs,
            q.equal,
            q.one_lsb,
            q.worse,
            if q.exact_expected { "yes" } else { "no" }
        );
    }
    let _ = writeln!(s);
}

fn timing(s: &mut String, r: &Results) {
    let _ = writeln!(s, "## Time\n");
    let _ = writeln!(
        s,
        "This run: {:.1} s wall on {} thread(s), training on {}.{}\n",
        r.run.wall_s,
        r.run.threads,
        r.run.device,
        if r.run.merged_from.is_empty() {
            String::new()
        } else {
            format!(" Merged from shards: {}.", r.run.merged_from.join(", "))
        }
    );
    let mut groups: Vec<(String, usize, usize, f64, f64)> = Vec::new();
    for st in &r.run.steps {
        let group = st.step.split(['/', '-']).next().unwrap_or(&st.step).to_string();
        match groups.iter_mut().find(|g| g.0 == group) {
            Some(g) => {
                g.1 += 1;
                g.2 += usize::from(st.cached);
                g.3 += st.wall_s;
                g.4 += st.compute_s;
            }
            None => groups.push((group, 1, usize::from(st.cached), st.wall_s, st.compute_s)),
        }
    }
    let _ = writeln!(s, "| Step | Runs | Reused | Wall this run (s) | Compute when made (s) |");
    let _ = writeln!(s, "|---|---|---|---|---|");
    for g in groups {
        let _ = writeln!(s, "| {} | {} | {} | {:.1} | {:.1} |", g.0, g.1, g.2, g.3, g.4);
    }
    let _ = writeln!(s);
}
