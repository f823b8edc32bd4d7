//! Our RTL next to da4ml's on the same weights, through the same Yosys flow.
//!
//! For the QKeras jet tagger (and, in the full run, its weights cut to fewer bits) this writes
//! our Verilog (`hls_backend::rtl`), gives da4ml 0.6.0 the same integer weights and bit widths
//! (`benches/py/da4ml_rtl.py`, in `.venv-da4ml` made by `scripts/setup-da4ml.sh`), synthesizes
//! both with Yosys `synth_xilinx -family xcup -flatten`, and prints LUT/FF/CARRY counts and the
//! ratios ours/da4ml. Both pipelines cut every 5 adder levels. The designs differ only where
//! da4ml has no `ap_fixed` mode: it rounds half up (`RND`) where the model rounds half to even.
//!
//! `cargo bench -p benches --bench rtl_synth` runs it all and writes
//! `target/rtl_synth.json` and the book's figure `docs/src/images/rtl_scaling.svg` (`-- --replot`
//! redraws it from the JSON); `cargo test --benches` runs a smoke version on the first layer.

use std::path::{Path, PathBuf};

use benches::report::BenchResult;
use hls_backend::config::SoftmaxImpl;
use hls_backend::fixed::{FixedType, Overflow, Rounding};
use hls_backend::model::{HlsModel, LayerKind};
use hls_backend::rtl::synth::{SynthReport, synthesize};
use hls_backend::rtl::{self, Pipeline, RtlConfig};
use hls_backend::{HlsConfig, lower::lower};
use serde_json::json;

const LEVELS: u32 = 5;

fn kif(t: &FixedType) -> serde_json::Value {
    let k = i32::from(t.signed);
    json!([k, t.int_bits - k, t.frac()])
}

/// The model as da4ml_rtl.py reads it.
fn da4ml_spec(m: &HlsModel) -> serde_json::Value {
    let mut layers = Vec::new();
    let quant = |t: &FixedType| {
        let round = if t.rounding == Rounding::Trn { "TRN" } else { "RND" };
        let overflow = match t.overflow {
            Overflow::Wrap => "WRAP",
            Overflow::SatSym => "SAT_SYM",
            _ => "SAT",
        };
        json!({"quant": {"kif": kif(t), "round": round, "overflow": overflow}})
    };
    for (i, l) in m.layers.iter().enumerate() {
        match &l.kind {
            LayerKind::Dense(d) => {
                let n_out = d.n_out();
                let w: Vec<Vec<f64>> = (0..d.n_in)
                    .map(|r| (0..n_out).map(|c| d.weight_type.value(d.weights[r * n_out + c])).collect())
                    .collect();
                let b: Vec<f64> = d.bias.iter().map(|&v| d.bias_type.value(v)).collect();
                layers.push(json!({"dense": {"w": w, "b": b}}));
                if l.out_type != d.acc_type {
                    layers.push(quant(&l.out_type));
                }
            }
            LayerKind::Relu => layers.push(json!({"relu": {}})),
            LayerKind::Cast => layers.push(quant(&l.out_type)),
            other => panic!("layer {i} ({other:?}) has no da4ml counterpart in this bench"),
        }
    }
    json!({"name": "da4ml_top", "n_inputs": m.n_inputs, "input": kif(&m.input_type), "layers": layers})
}

/// The tagger with every dense layer's weights rounded to `bits` bits (from its 6).
fn with_weight_bits(m: &HlsModel, bits: u32) -> HlsModel {
    let mut m = m.clone();
    for l in &mut m.layers {
        if let LayerKind::Dense(d) = &mut l.kind {
            let drop = d.weight_bits.saturating_sub(bits);
            if drop == 0 {
                continue;
            }
            let half = 1i64 << (drop - 1);
            let (lo, hi) = (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1);
            for w in &mut d.weights {
                *w = ((*w + half) >> drop).clamp(lo, hi);
            }
            d.weight_type = FixedType::new(d.weight_type.width - drop, d.weight_type.int_bits, true).unwrap();
            d.weight_bits = bits;
        }
    }
    // The accumulator types stay: rounded weights do not grow (beyond half an LSB, within the
    // lowering's slack), and the RTL sizes its own signals from the exact ranges anyway.
    m
}

struct Row {
    design: String,
    ours: SynthReport,
    report: rtl::RtlReport,
    /// The HLS backend's analytic estimate (LUT, FF) of the same model.
    hls_estimate: (u64, u64),
    da4ml: Option<(SynthReport, u64)>,
    /// da4ml's version, when it ran.
    da4ml_version: Option<String>,
}

fn run(name: &str, model: &HlsModel, out: &Path, python: Option<&Path>) -> Row {
    let dir = out.join(name);
    let config = RtlConfig { pipeline: Pipeline::Levels(LEVELS), share: true };
    let design = rtl::write_rtl(model, &config, &dir.join("ours"), &[]).expect("our RTL");
    let ours = rtl::synth::run_yosys(&dir.join("ours"), &model.name).expect("Yosys on our RTL");
    let mut da4ml_version = None;
    let da4ml = python.map(|py| {
        std::fs::create_dir_all(&dir).unwrap();
        let spec = dir.join("model.json");
        std::fs::write(&spec, da4ml_spec(model).to_string()).unwrap();
        let d = dir.join("da4ml");
        let r = benches::run_python(
            py,
            "da4ml_rtl.py",
            &[spec.to_str().unwrap(), d.to_str().unwrap(), &LEVELS.to_string()],
        )
        .unwrap_or_else(|e| panic!("da4ml: {e}"));
        let files: Vec<String> =
            r["files"].as_array().unwrap().iter().map(|f| f.as_str().unwrap().to_string()).collect();
        let src = PathBuf::from(r["dir"].as_str().unwrap());
        let report = synthesize(&src, r["top"].as_str().unwrap(), &files).expect("Yosys on da4ml's RTL");
        da4ml_version = r["da4ml"].as_str().map(str::to_string);
        (report, r["adders"].as_u64().unwrap_or(0))
    });
    let est = hls_backend::estimate::estimate(model, &HlsConfig::default());
    Row { design: name.into(), ours, report: design.report, hls_estimate: (est.lut, est.ff), da4ml, da4ml_version }
}

fn da4ml_python() -> Option<PathBuf> {
    let p = std::env::var_os("DA4ML_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| benches::workspace_root().join(".venv-da4ml/bin/python"));
    if p.exists() {
        Some(p)
    } else {
        test_support::skip(&format!("da4ml not found at {} (run scripts/setup-da4ml.sh)", p.display()))
    }
}

/// The weight bits in a row's name ("… at 4-bit weights", "… (6-bit weights)").
fn bits_of(design: &str) -> Option<f64> {
    let head = design.split("-bit").next()?;
    let digits: String = head.chars().rev().take_while(char::is_ascii_digit).collect();
    digits.chars().rev().collect::<String>().parse().ok()
}

/// Draws `docs/src/images/rtl_scaling.svg` from the results file: LUTs and FFs of ours and da4ml's
/// against the weights' bits.
fn plot(results: &serde_json::Value) -> String {
    let rows = results["rows"].as_array().cloned().unwrap_or_default();
    let mut points: Vec<(f64, &serde_json::Value)> =
        rows.iter().filter_map(|r| Some((bits_of(r["design"].as_str()?)?, r))).collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let series = |name: &str, colour: &'static str, dashed: bool, get: &dyn Fn(&serde_json::Value) -> Option<f64>| {
        benches::svg::Series {
            name: name.into(),
            colour,
            dashed,
            points: points.iter().filter_map(|(b, r)| Some((*b, get(r)?))).collect(),
        }
    };
    benches::svg::line_chart(
        "QKeras jet tagger RTL, Yosys 0.23 synth_xilinx (xcup)",
        "weight bits (every dense layer)",
        "cells",
        &[
            series("LUT, ours", "#1f77b4", false, &|r| r["ours"]["lut"].as_f64()),
            series("LUT, da4ml", "#1f77b4", true, &|r| r["da4ml"]["synth"]["lut"].as_f64()),
            series("FF, ours", "#d62728", false, &|r| r["ours"]["ff"].as_f64()),
            series("FF, da4ml", "#d62728", true, &|r| r["da4ml"]["synth"]["ff"].as_f64()),
        ],
    )
}

fn write_plot(results_path: &Path) {
    let text = std::fs::read_to_string(results_path).expect("the results file");
    let svg = plot(&serde_json::from_str(&text).expect("results JSON"));
    let out = benches::workspace_root().join("docs/src/images/rtl_scaling.svg");
    std::fs::write(&out, svg).expect("writing the plot");
    println!("plot: {}", out.display());
}

fn main() {
    let results_path = benches::workspace_root().join("target/rtl_synth.json");
    if std::env::args().any(|a| a == "--replot") {
        // Redraw the book's figure from the last full run, without synthesizing again.
        write_plot(&results_path);
        return;
    }
    let Some(_) = test_support::yosys() else { return };
    let python = da4ml_python();
    let model = qonnx_ir::Model::load(benches::workspace_root().join("testdata/models/qkeras_jettagging.onnx"))
        .expect("the QKeras tagger");
    let config = HlsConfig { name: "jet_tagger".into(), softmax: SoftmaxImpl::Skip, ..Default::default() };
    let mut hls = lower(&model, &config).expect("lowering");
    let out = std::env::temp_dir().join(format!("rtl-synth-{}", std::process::id()));
    let mut rows = Vec::new();
    if benches::smoke() {
        // The first layer (16×64 with its ReLU and quantizer) at 3-bit weights keeps the smoke run short.
        hls.layers.truncate(3);
        rows.push(run("first layer, 3-bit weights", &with_weight_bits(&hls, 3), &out, python.as_deref()));
    } else {
        rows.push(run("QKeras tagger (6-bit weights)", &hls, &out, python.as_deref()));
        for bits in [2, 3, 4, 5] {
            rows.push(run(
                &format!("QKeras tagger at {bits}-bit weights"),
                &with_weight_bits(&hls, bits),
                &out,
                python.as_deref(),
            ));
        }
    }
    println!("\nRTL through Yosys synth_xilinx -family xcup -flatten, pipelined every {LEVELS} adder levels");
    println!(
        "{:<34} {:>7} {:>8} {:>7} {:>7} {:>8} {:>8} {:>7} {:>9} {:>8}",
        "design", "adders", "LUT", "FF", "CARRY", "da4ml+", "da4mlLUT", "da4mlFF", "LUT ratio", "FF ratio"
    );
    let mut results = Vec::new();
    for r in &rows {
        let (dl, df, da, lr, fr) = match &r.da4ml {
            Some((d, adders)) => (
                d.lut.to_string(),
                d.ff.to_string(),
                adders.to_string(),
                format!("{:.2}×", r.ours.lut as f64 / d.lut as f64),
                format!("{:.2}×", r.ours.ff as f64 / d.ff.max(1) as f64),
            ),
            None => ("—".into(), "—".into(), "—".into(), "—".into(), "—".into()),
        };
        println!(
            "{:<34} {:>7} {:>8} {:>7} {:>7} {:>8} {:>8} {:>7} {:>9} {:>8}",
            r.design, r.report.adders, r.ours.lut, r.ours.ff, r.ours.carry, da, dl, df, lr, fr
        );
        results.push(json!({
            "design": r.design, "ours": r.ours, "rtl": r.report, "hls_estimate": {"lut": r.hls_estimate.0, "ff": r.hls_estimate.1},
            "da4ml": r.da4ml.as_ref().map(|(d, a)| json!({"synth": d, "adders": a})),
        }));
        assert!(r.ours.lut > 0 && r.ours.dsp == 0, "{}", r.ours.line());
    }
    println!("\nEstimates against Yosys's counts of our RTL (estimate / Yosys)");
    println!(
        "{:<34} {:>12} {:>12} {:>14} {:>14}",
        "design", "HLS est. LUT", "HLS est. FF", "RTL est. LUT", "RTL est. FF"
    );
    for r in &rows {
        let ratio = |e: u64, y: u64| format!("{e} ({:.2}×)", e as f64 / y.max(1) as f64);
        println!(
            "{:<34} {:>12} {:>12} {:>14} {:>14}",
            r.design,
            ratio(r.hls_estimate.0, r.ours.lut),
            ratio(r.hls_estimate.1, r.ours.ff),
            ratio(r.report.lut_estimate, r.ours.lut),
            ratio(r.report.register_bits, r.ours.ff)
        );
    }
    if !benches::smoke() {
        let text = serde_json::to_string_pretty(&json!({"levels_per_stage": LEVELS, "rows": results})).unwrap();
        std::fs::write(&results_path, text).expect("writing the results");
        println!("written: {}", results_path.display());
        write_plot(&results_path);
    }
    report(&rows);
    let _ = std::fs::remove_dir_all(&out);
}

/// The rows as the benchmark report's table (saved after full runs only).
fn report(rows: &[Row]) {
    let mut result = BenchResult::new("rtl_synth");
    if let Some(v) = rows.iter().find_map(|r| r.da4ml_version.clone()) {
        result.peer(format!("da4ml {v}"));
    }
    result.peer(hls_backend::rtl::synth::find_yosys().map_or("Yosys".into(), |(_, version)| version));
    let t = result.table(
        "The QKeras jet tagger's integer weights in LUTs and flip-flops",
        &format!(
            "The tagger's layers (as trained at 6 bits, and with the weights cut to 2–5 bits) given to our RTL \
             writer and to da4ml, both Verilog outputs through the same Yosys `synth_xilinx -family xcup \
             -flatten` flow, pipelined every {LEVELS} adder levels; no DSPs. The ratios are da4ml's count over \
             ours (above 1: ours is smaller). The book's figure [RTL scaling](images/rtl_scaling.svg) is \
             drawn from the same run."
        ),
        &[
            "design",
            "our adders",
            "our LUT",
            "our FF",
            "da4ml adders",
            "da4ml LUT",
            "da4ml FF",
            "LUT ratio",
            "FF ratio",
        ],
    );
    for r in rows {
        let d = r.da4ml.as_ref();
        t.row(&[
            r.design.clone(),
            r.report.adders.to_string(),
            r.ours.lut.to_string(),
            r.ours.ff.to_string(),
            d.map_or("—".into(), |(_, a)| a.to_string()),
            d.map_or("—".into(), |(s, _)| s.lut.to_string()),
            d.map_or("—".into(), |(s, _)| s.ff.to_string()),
            d.map_or("—".into(), |(s, _)| format!("{:.2}×", s.lut as f64 / r.ours.lut.max(1) as f64)),
            d.map_or("—".into(), |(s, _)| format!("{:.2}×", s.ff as f64 / r.ours.ff.max(1) as f64)),
        ]);
    }
    let t = result.table(
        "Estimates against Yosys's counts of our RTL",
        "Each estimate with its ratio to Yosys's count of our RTL: the RTL writer's own LUT estimate and \
         register bits, and the HLS backend's analytic estimate (which models hls4ml's latency design \
         with LUT multipliers, not an adder graph).",
        &["design", "RTL LUT estimate", "RTL register bits", "HLS estimate, LUT", "HLS estimate, FF"],
    );
    let ratio = |e: u64, y: u64| format!("{e} ({:.2}×)", e as f64 / y.max(1) as f64);
    for r in rows {
        t.row(&[
            r.design.clone(),
            ratio(r.report.lut_estimate, r.ours.lut),
            ratio(r.report.register_bits, r.ours.ff),
            ratio(r.hls_estimate.0, r.ours.lut),
            ratio(r.hls_estimate.1, r.ours.ff),
        ]);
    }
    result.save();
}
