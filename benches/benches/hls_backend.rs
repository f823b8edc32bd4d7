//! `hls-backend` next to its peers, in the same run, on `qkeras_jettagging.onnx`:
//! - QONNX → project written and emulator ready, vs hls4ml convert + write + compile
//!   (target ≥ 50× faster);
//! - the emulator on 10,000 inputs at every SIMD level this CPU runs (tiles on AVX-512 VNNI,
//!   AVX2 and portable kernels; the per-sample reference path), with the table softmax and
//!   without it (logits), next to `qonnx-ir`'s executor on the same model and inputs at the same
//!   level, as a CPU whose best level it is runs both (target: the emulator within 2× of the
//!   executor), the generated project's own C simulation built with `g++ -O2` (target: the
//!   emulator ≥ 10× faster per sample) and hls4ml `predict`.
//!
//! hls4ml runs through `hls-backend/tests/py/hls4ml_predict.py` in the reference Python
//! environment (`bash scripts/setup-python.sh`), which also holds the `ap_types` headers of the C
//! simulation; without it only our side is measured.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use benches::peer::interleave;
use benches::report::BenchResult;
use benches::{fmt_ratio, fmt_s, median, smoke};
use criterion::{Criterion, Throughput, black_box, criterion_main};
use hls_backend::config::SoftmaxImpl;
use hls_backend::csim::{build_csim, run_built_csim};
use hls_backend::{Emulator, HlsConfig, lower::lower, writer::write_project};
use qonnx_ir::exec::{ExecOptions, Executor};
use qonnx_ir::{Simd, Tensor};

const N: usize = 10_000;

fn inputs() -> Vec<f64> {
    test_support::grid_inputs(N, 16, 1)
}

/// hls4ml's (convert + write + compile) seconds, predict seconds per sample, and version.
fn hls4ml(model: &PathBuf, x: &[f64]) -> Option<(f64, f64, String)> {
    let py = benches::reference_python()?;
    let dir = std::env::temp_dir().join(format!("hls-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let (xp, yp) = (dir.join("x.npy"), dir.join("y.npy"));
    let a = ndarray::Array2::from_shape_vec((N, 16), x.iter().map(|&v| v as f32).collect()).ok()?;
    ndarray_npy::write_npy(&xp, &a).ok()?;
    let out = Command::new(py)
        .arg(benches::workspace_root().join("hls-backend/tests/py/hls4ml_predict.py"))
        .args([model, &xp, &yp, &dir.join("prj")])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("hls4ml failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    let last = String::from_utf8_lossy(&out.stdout).lines().last()?.to_string();
    let v: serde_json::Value = serde_json::from_str(&last).ok()?;
    let setup = v["convert_s"].as_f64()? + v["write_s"].as_f64()? + v["compile_s"].as_f64()?;
    Some((setup, v["predict_s_per_sample"].as_f64()?, v["hls4ml"].as_str().unwrap_or("(version unknown)").to_string()))
}

/// Median seconds of `reps` calls of `f`.
fn seconds(reps: usize, mut f: impl FnMut()) -> f64 {
    let mut t: Vec<f64> = (0..reps)
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed().as_secs_f64()
        })
        .collect();
    median(&mut t)
}

/// The C simulation of the project for `hls` on the inputs `x`, built with `g++ -O2`: seconds per
/// sample of the fastest of three runs (the testbench reads its inputs and writes its outputs as
/// Vitis HLS `csim_design` does); checked against the emulator's `want`.
fn c_simulation(hls: &hls_backend::HlsModel, cfg: &HlsConfig, x: &[f64], want: &[f64]) -> Option<f64> {
    let ap = test_support::ap_types()?;
    let dir = std::env::temp_dir().join(format!("hls-bench-csim-{}", std::process::id()));
    write_project(hls, cfg, &dir, x, None).ok()?;
    let exe = build_csim(&dir, &cfg.name, &ap, "-O2").map_err(|e| eprintln!("C simulation: {e}")).ok()?;
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = Instant::now();
        let got = run_built_csim(&dir, &exe).map_err(|e| eprintln!("C simulation: {e}")).ok()?;
        best = best.min(t.elapsed().as_secs_f64());
        assert_eq!(got, want, "the C simulation differs from the emulator");
    }
    let _ = std::fs::remove_dir_all(&dir);
    Some(best / (x.len() / 16) as f64)
}

fn bench(c: &mut Criterion) {
    let model_path = test_support::testdata("models/qkeras_jettagging.onnx");
    let model = qonnx_ir::Model::load(&model_path).expect("model");
    let logits = HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() };
    let table = HlsConfig { softmax: SoftmaxImpl::Lut, ..Default::default() };
    let x = if smoke() { inputs()[..16 * 100].to_vec() } else { inputs() };
    let n = x.len() / 16;
    // Rounds of 5 runs of the executor and of each emulator, in turn.
    let rounds = if smoke() { 1 } else { 10 };
    let out_dir = std::env::temp_dir().join(format!("hls-bench-prj-{}", std::process::id()));

    let mut g = c.benchmark_group("hls_backend");
    g.sample_size(20).measurement_time(Duration::from_secs(if smoke() { 1 } else { 5 }));
    g.bench_function("qonnx_to_project_and_emulator", |b| {
        b.iter(|| {
            let hls = lower(&model, &logits).expect("lower");
            write_project(&hls, &logits, &out_dir, &[], None).expect("write");
            black_box(Emulator::new(&hls))
        })
    });
    let ours_setup = seconds(if smoke() { 1 } else { 20 }, || {
        let hls = lower(&model, &logits).expect("lower");
        write_project(&hls, &logits, &out_dir, &[], None).expect("write");
        black_box(Emulator::new(&hls));
    });
    let _ = std::fs::remove_dir_all(&out_dir);

    // The emulator at every level, with and without the softmax.
    g.throughput(Throughput::Elements(n as u64));
    let mut emulators = Vec::new();
    for (cfg, what) in [(&logits, "logits"), (&table, "table softmax")] {
        let hls = lower(&model, cfg).expect("lower");
        let want = Emulator::with_simd(&hls, Simd::Reference).expect("reference").run(&x).expect("run");
        for simd in Simd::available().into_iter().rev() {
            let emu = Emulator::with_simd(&hls, simd).expect("an available level");
            assert_eq!(emu.run(&x).expect("run"), want, "{what}, {simd}: differs from the per-sample path");
            g.bench_function(format!("emulator/{what}/{simd}/{n}"), |b| {
                b.iter(|| black_box(emu.run(black_box(&x)).expect("run")))
            });
            emulators.push((what, simd, emu));
        }
    }

    // qonnx-ir's executor on the same model (softmax included) and inputs, at each level (its
    // reference level runs its portable kernels).
    let execs: Vec<(Simd, Executor)> = Simd::available()
        .into_iter()
        .map(|s| (s, Executor::with_simd(&model, s).expect("an available level")))
        .collect();
    let xt = Tensor::from_f32(&[n, 16], x.iter().map(|&v| v as f32).collect()).expect("tensor");
    let opts = ExecOptions { exact: false, keep_intermediates: false, any_batch: true };
    let run_exec = |ex: &Executor| ex.run(&[("global_in", xt.clone())], &opts).expect("executor");
    for (simd, ex) in &execs {
        g.bench_function(format!("qonnx_ir_executor/{simd}/{n}"), |b| b.iter(|| black_box(run_exec(ex))));
    }
    g.finish();
    // The figures of the table: every executor and every emulator timed in turn, round by round,
    // so that the drift of a shared machine's speed touches them alike.
    let mut calls: Vec<Box<dyn FnMut() + '_>> = Vec::new();
    for (_, ex) in &execs {
        calls.push(Box::new(move || drop(black_box(run_exec(ex)))));
    }
    for (_, _, emu) in &emulators {
        calls.push(Box::new(|| drop(black_box(emu.run(black_box(&x)).expect("run")))));
    }
    let mut ours: Vec<(usize, &mut dyn FnMut())> =
        calls.iter_mut().map(|f| (5, &mut **f as &mut dyn FnMut())).collect();
    let (_, mut times) = interleave(&mut [], rounds, &mut ours).expect("no peer to fail");
    let exec_s: Vec<(Simd, f64)> = execs.iter().zip(&mut times).map(|((s, _), t)| (*s, median(t))).collect();
    let exec_at = |simd: Simd| exec_s.iter().find(|e| e.0 == simd).expect("the executor at this level").1;
    let rows: Vec<_> =
        emulators.iter().zip(&mut times[execs.len()..]).map(|((what, simd, _), t)| (*what, *simd, median(t))).collect();

    let hls = lower(&model, &logits).expect("lower");
    let emu_values = Emulator::new(&hls).run(&x).expect("run").values();
    let csim = if smoke() { None } else { c_simulation(&hls, &logits, &x, &emu_values) };

    println!("\nhls-backend, this run (qkeras_jettagging.onnx, {n} inputs, one thread)");
    println!("  project + emulator ready: ours {:.2} ms", ours_setup * 1e3);
    for (simd, e) in &exec_s {
        println!("  qonnx-ir executor (float32 softmax), {simd}: {:.3} µs/sample", e / n as f64 * 1e6);
    }
    if let Some(c) = csim {
        println!("  C simulation (g++ -O2, logits): {:.3} µs/sample", c * 1e6);
    }
    println!(
        "  {:<14} {:<10} {:>12} {:>22} {:>16}",
        "emulator", "SIMD", "µs/sample", "÷ executor, same SIMD", "C sim ÷ ours"
    );
    for (what, simd, s) in &rows {
        let per = s / n as f64;
        println!(
            "  {:<14} {:<10} {:>12.4} {:>21.2}× {:>15}",
            what,
            simd.name(),
            per * 1e6,
            s / exec_at(*simd),
            csim.map_or("—".into(), |c| format!("{:.0}×", c / per))
        );
    }
    println!("  targets: the emulator within 2× of the executor, ≥ 10× faster than the C simulation");
    if smoke() {
        return;
    }
    let best = rows.iter().filter(|r| r.0 == "logits").map(|r| r.2).fold(f64::INFINITY, f64::min) / n as f64;
    let peer = hls4ml(&model_path, &x);
    if let Some((setup, sample, _)) = &peer {
        println!("  hls4ml convert+write+compile: {:.2} s → ratio {:.0}× (target ≥ 50×)", setup, setup / ours_setup);
        println!("  hls4ml predict: {:.2} µs/sample → ratio {:.0}× (target ≥ 100×)", sample * 1e6, sample / best);
    }

    let mut result = BenchResult::new("hls_backend");
    if let Some((_, _, v)) = &peer {
        result.peer(format!("hls4ml {v}"));
    }
    result.peer("the generated project's C simulation (g++ -O2, Xilinx ap_types)");
    let per = |s: f64| Some(s / n as f64);
    let t = result.table(
        "From QONNX to a project, and the firmware model on 10,000 inputs",
        &format!(
            "`qkeras_jettagging.onnx`, {n} seeded inputs on a 2^−10 grid, one thread. Ours: lowering + \
             writing the HLS project + a ready emulator (median of 20), and the emulator at each SIMD \
             level and the executor at each level timed in turn ({} rounds of 5 runs each; medians). hls4ml: its own QONNX conversion, project write and C++ compile, \
             and `predict` through its compiled library. The C simulation is the project we generate, \
             built with `g++ -O2` and timed on the same inputs (logits). Targets: the emulator within 2× \
             of `qonnx-ir`'s executor at the same SIMD level (on a CPU without AVX2 both run their portable \
             kernels; the executor's reference level is its portable kernels) and ≥ 10× faster than the C simulation; setup ≥ 50× and predict \
             ≥ 100× faster than hls4ml.",
            rounds
        ),
        &["measure", "ours", "peer", "peer's figure", "ratio"],
    );
    t.row(&[
        "QONNX → project + emulator".to_string(),
        fmt_s(Some(ours_setup)),
        "hls4ml convert + write + compile".into(),
        fmt_s(peer.as_ref().map(|p| p.0)),
        fmt_ratio(peer.as_ref().map(|p| p.0 / ours_setup)),
    ]);
    for (what, simd, s) in &rows {
        let ours = s / n as f64;
        t.row(&[
            format!("emulator per sample, {what}, {simd}"),
            fmt_s(per(*s)),
            format!("`qonnx-ir` executor (float32 softmax), {simd}"),
            fmt_s(per(exec_at(*simd))),
            fmt_ratio(Some(exec_at(*simd) / s)),
        ]);
        if *what == "logits" {
            t.row(&[
                format!("emulator per sample, {what}, {simd}"),
                fmt_s(Some(ours)),
                "C simulation, g++ -O2".into(),
                fmt_s(csim),
                fmt_ratio(csim.map(|c| c / ours)),
            ]);
        }
    }
    t.row(&[
        "fastest emulator level per sample, logits".to_string(),
        fmt_s(Some(best)),
        "hls4ml `predict`".into(),
        fmt_s(peer.as_ref().map(|p| p.1)),
        fmt_ratio(peer.as_ref().map(|p| p.1 / best)),
    ]);
    result.note(
        "The ratio against the executor is the executor's time at the same SIMD level over the emulator's: \
         below 1 the emulator is slower (target: at least 0.5).",
    );
    result.save();
}

/// The criterion group (a module of its own, so the generated function needs no doc comment).
mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
