//! The study end to end through the `jet-tagging` binary: `reproduce --quick` writes every
//! artefact, every QONNX file equals the integer engine in Python qonnx, every firmware's C
//! simulation equals its emulator on every test jet, the report is drawn from `results.json`
//! alone; shards merged equal one run; a killed run resumes where it stopped and ends with the
//! same results; bad data fails before anything is written.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use jet_tagging_example::config::{Precision, Regulariser, StudyConfig};
use jet_tagging_example::report::markdown;
use jet_tagging_example::results::Results;

fn jet_tagging(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jet-tagging")).args(["--threads", "2"]).args(args).output().unwrap()
}

fn ok(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(out.status.success(), "jet-tagging failed:\n{err}");
    err
}

fn results(dir: &Path) -> Results {
    serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap()
}

/// `results.json` without the part that describes the run itself (times, reuse, shards).
fn outcome(dir: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("run");
    v
}

/// The first place where two JSON values differ (`None`: equal).
fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
    use serde_json::Value::{Array, Object};
    match (a, b) {
        (Object(x), Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                (Some(u), Some(v)) => first_difference(u, v, &format!("{at}.{k}")),
                _ => Some(format!("{at}.{k}: only on one side")),
            })
        }
        (Array(x), Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (u, v))| first_difference(u, v, &format!("{at}[{i}]")))
        }
        _ if a == b => None,
        _ => Some(format!("{at}: {} vs {}", short(a), short(b))),
    }
}

fn short(v: &serde_json::Value) -> String {
    v.to_string().chars().take(120).collect()
}

fn assert_same(a: &serde_json::Value, b: &serde_json::Value, what: &str) {
    if let Some(d) = first_difference(a, b, "results") {
        panic!("{what}: {d}");
    }
}

/// Whether the external checkers are there; outside CI their absence is reported, in CI it fails.
fn tools() -> bool {
    let python = test_support::reference_python().is_some();
    let ap = test_support::ap_types().is_some();
    let icarus = test_support::icarus().is_some();
    python && ap && icarus
}

#[test]
fn quick_study_writes_every_artefact_and_every_check_passes() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("study");
    let start = Instant::now();
    ok(&jet_tagging(&["reproduce", "--quick", "--out", out.to_str().unwrap()]));
    eprintln!("reproduce --quick: {:.1} s", start.elapsed().as_secs_f64());
    let r = results(&out);
    let quick = StudyConfig::quick();
    assert_eq!(r.config, quick);
    assert!(r.data.builtin && r.data.test_jets == 20_000, "{:?}", r.data);
    // The homogeneous table: every precision × regulariser × seed, each with its QONNX file.
    assert_eq!(r.homogeneous.len(), 5 * 4);
    for p in [Precision::Int(12), Precision::Int(8), Precision::Int(6), Precision::Int(4), Precision::Fp32] {
        for g in Regulariser::ALL {
            assert_eq!(r.cell(p, g).len(), 1, "{p:?} {g:?}");
        }
    }
    // The sweep: one fine-tuned model per budget, each within its budget as the ILP counted it,
    // and more BOPs bought where the budget allows.
    let budgets: Vec<f64> = r.sweep.iter().map(|p| p.budget_bops).collect();
    assert_eq!(budgets, (0..7).map(|k| 250_000.0 + 50_000.0 * f64::from(k)).collect::<Vec<_>>());
    for p in &r.sweep {
        assert!(p.ilp_bops <= p.budget_bops && p.optimal, "{} > {}", p.ilp_bops, p.budget_bops);
        assert_eq!(p.model.input_bits, Some(16));
    }
    assert!(r.sweep.last().unwrap().ilp_bops > r.sweep[0].ilp_bops);
    assert_eq!(r.hessian.layers.len(), 4);
    assert!(r.hessian.layers.iter().all(|l| l.trace.is_finite() && l.top_eigenvalue.is_finite()));
    // Every model's graph is on disk.
    for m in r.homogeneous.iter().map(|h| &h.model).chain(r.sweep.iter().map(|p| &p.model)) {
        assert!(out.join(&m.onnx).exists(), "{}", m.onnx);
    }
    // The report, the plots.
    for f in ["accuracy_vs_bops", "bits_per_layer", "homogeneous_accuracy", "roc", "hessian_traces"] {
        for ext in ["png", "svg"] {
            let p = out.join(format!("plots/{f}.{ext}"));
            assert!(std::fs::metadata(&p).map(|m| m.len() > 1000).unwrap_or(false), "{}", p.display());
        }
    }
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert_eq!(report, markdown(&r), "report.md is rendered from results.json");
    assert!(report.contains("do not compare"), "simulated data is said to be simulated");
    // Firmware: the FP32 baseline, INT8 and the Hessian model.
    let roles: Vec<&str> = r.firmware.iter().map(|f| f.role.as_str()).collect();
    assert_eq!(roles, ["Baseline", "INT8", "Hessian"]);
    for f in &r.firmware {
        assert!(out.join(&f.project).join("firmware/jet_tagger.cpp").exists());
        if let Some((equal, n)) = f.emulator_equals_engine {
            assert_eq!((equal, n), (n, 100_000), "{}: emulator vs integer engine", f.role);
        }
    }
    // `report` on the finished folder recomputes nothing and gives the same results.
    let before = outcome(&out);
    ok(&jet_tagging(&["report", "--quick", "--out", out.to_str().unwrap()]));
    let again = results(&out);
    assert!(!again.run.steps.is_empty() && again.run.steps.iter().all(|s| s.cached), "nothing recomputed");
    assert_same(&outcome(&out), &before, "the rerun's results");
    if !tools() {
        return;
    }
    for f in &r.firmware {
        assert_eq!(f.csim.status, "ok", "{}", f.role);
        assert_eq!((f.csim.jets, f.csim.equal), (20_000, f.csim.outputs), "{}: C simulation vs emulator", f.role);
        // The RTL of the same model, simulated on the first 300 test jets (the quick setting).
        let t = f.rtl.as_ref().expect("every firmware has its RTL");
        assert!(out.join(&t.folder).join("jet_tagger.v").exists(), "{}", t.folder);
        assert_eq!(t.sim.status, "ok", "{}", f.role);
        assert_eq!((t.sim.jets, t.sim.equal), (300, t.sim.outputs), "{}: RTL simulation vs emulator", f.role);
        assert!(t.adders > 100 && t.latency_cycles > 0, "{t:?}");
        assert!(t.synth.is_none() && t.synth_status.starts_with("not asked"), "quick runs do not synthesize");
    }
    assert!(report.contains("Yosys counts are not Vivado's"));
    // Every QONNX file (16 homogeneous integer models, 7 fine-tuned), each also with the scaler
    // folded in (on raw features), in Python qonnx.
    assert_eq!(r.qonnx_status, "ok");
    assert_eq!(r.qonnx.len(), 2 * (16 + 7));
    assert_eq!(r.qonnx.iter().filter(|q| q.model.ends_with("(raw features)")).count(), 16 + 7);
    for q in &r.qonnx {
        assert_eq!(q.outputs, 100_000, "{}", q.model);
        if q.exact_expected {
            assert_eq!(q.equal, q.outputs, "{}: bit for bit where every accumulator fits float32", q.model);
        } else {
            assert_eq!(q.worse, 0, "{}: within one LSB", q.model);
        }
    }
}

#[test]
fn report_tables_are_filled_from_results_json() {
    // A results file made by a real (tiny) run, then edited: the rendered tables follow the edit.
    let mut r = results(shared_tiny_run());
    let text = markdown(&r);
    let int8 = r
        .homogeneous
        .iter_mut()
        .find(|h| h.precision == Precision::Int(8) && h.regulariser == Regulariser::L1)
        .unwrap();
    let before = int8.model.accuracy;
    int8.model.accuracy = 12.3456;
    let edited = markdown(&r);
    assert_ne!(text, edited);
    let row = edited.lines().find(|l| l.starts_with("| INT8 |")).unwrap();
    let cells: Vec<&str> = row.split('|').map(str::trim).collect();
    // | INT8 | Baseline ours | Baseline paper | L1 ours | L1 paper |
    let other_seed = r.cell(Precision::Int(8), Regulariser::L1);
    let (mean, sd) = jet_tagging_example::results::mean_std(&other_seed);
    assert_eq!(
        cells[4],
        format!("{mean:.2} ± {sd:.2}"),
        "the L1 cell is the mean of the edited runs ({before} → 12.3456)"
    );
    assert_eq!(cells[5], "76.448", "the paper's number beside ours");
    r.firmware[2].lut = 987_654_321;
    r.sweep[1].model.bops = 123_456_789.0;
    let edited = markdown(&r);
    assert!(edited.lines().any(|l| l.starts_with("| Hessian (") && l.contains("| 987654321 |")));
    assert!(edited.lines().any(|l| l.starts_with("| 400k |") && l.contains("| 123456789 |")));
}

/// A tiny study: INT8 and FP32 × Baseline/L1 × 2 seeds, two budgets, 30 % magnitude pruning of
/// the mixed-precision models, few jets.
fn tiny_config(dir: &Path) -> PathBuf {
    let mut c = StudyConfig::quick();
    c.train_jets = Some(3000);
    c.epochs = 2;
    c.homogeneous_bits = vec![8];
    c.regularisers = vec![Regulariser::Baseline, Regulariser::L1];
    c.seeds = vec![1, 2];
    c.mixed.bops_budgets = vec![250_000.0, 400_000.0];
    c.mixed.hessian_jets = 500;
    c.mixed.trace_probes = 4;
    c.mixed.eigen_steps = 4;
    c.mixed.finetune_epochs = 1;
    c.mixed.prune_sparsity = Some(0.3);
    c.firmware.csim_jets = Some(300);
    c.firmware.rtl_sim_jets = 50;
    let path = dir.join("tiny.json");
    std::fs::write(&path, serde_json::to_string_pretty(&c).unwrap()).unwrap();
    path
}

/// One tiny run for the tests that only read it, made once per test binary (in
/// `CARGO_TARGET_TMPDIR`, emptied first, so nothing of an earlier build is reused).
fn shared_tiny_run() -> &'static Path {
    static RUN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    RUN.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("study-tiny-run");
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        tiny_run(&dir, "run").0
    })
}

fn tiny_run(dir: &Path, name: &str) -> (PathBuf, String) {
    let config = tiny_config(dir);
    let out = dir.join(name);
    let err = ok(&jet_tagging(&["reproduce", "--config", config.to_str().unwrap(), "--out", out.to_str().unwrap()]));
    (out, err)
}

#[test]
fn shards_merged_equal_one_run_and_a_killed_run_resumes_to_the_same_results() {
    let d = tempfile::tempdir().unwrap();
    let config = tiny_config(d.path());
    let cfg = config.to_str().unwrap();
    let single = shared_tiny_run();
    let expected = outcome(single);
    // The pruned weights stay zero through fine-tuning and count in the BOPs.
    let r = results(single);
    for p in &r.sweep {
        assert!(p.model.sparsity >= 0.299, "{}: sparsity {}", p.model.name, p.model.sparsity);
    }
    assert!(r.homogeneous.iter().all(|h| h.model.sparsity < 0.299), "only the mixed-precision models are pruned");

    // Two shards, then merge.
    let mut shards = Vec::new();
    for i in 0..2 {
        let s = d.path().join(format!("shard{i}"));
        ok(&jet_tagging(&["reproduce", "--config", cfg, "--out", s.to_str().unwrap(), "--shard", &format!("{i}/2")]));
        assert!(!s.join("results.json").exists(), "a shard writes no report");
        shards.push(s);
    }
    let trained = |s: &Path| std::fs::read_dir(s.join("steps")).unwrap().count();
    assert_eq!(trained(&shards[0]) + trained(&shards[1]), 9, "4 INT8 + 4 FP32 + the base model, split");
    let merged = d.path().join("merged");
    let err = ok(&jet_tagging(&[
        "merge",
        "--config",
        cfg,
        "--out",
        merged.to_str().unwrap(),
        shards[0].to_str().unwrap(),
        shards[1].to_str().unwrap(),
    ]));
    let m = results(&merged);
    let trainings: Vec<_> = m.run.steps.iter().filter(|s| s.step.starts_with("train/")).collect();
    assert_eq!(trainings.len(), 9);
    assert!(trainings.iter().all(|s| s.cached), "merge trains nothing of the grid:\n{err}");
    assert_same(&outcome(&merged), &expected, "shards + merge = one run");
    // A merge of one shard alone names what is missing and writes no report.
    let lone = d.path().join("lone");
    let fail = jet_tagging(&["merge", "--config", cfg, "--out", lone.to_str().unwrap(), shards[0].to_str().unwrap()]);
    assert!(!fail.status.success());
    assert!(
        String::from_utf8_lossy(&fail.stderr).contains("has no result"),
        "{}",
        String::from_utf8_lossy(&fail.stderr)
    );
    assert!(!lone.join("results.json").exists());

    // Killed after a few trainings, then rerun.
    let killed = d.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_jet-tagging"))
        .args(["--threads", "2", "reproduce", "--config", cfg, "--out", killed.to_str().unwrap()])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let done = |dir: &Path| {
        std::fs::read_dir(dir.join("steps"))
            .map(|rd| rd.flatten().filter(|e| e.path().join("result.json").exists()).count())
            .unwrap_or(0)
    };
    let t0 = Instant::now();
    while done(&killed) < 3 {
        assert!(t0.elapsed() < Duration::from_secs(300), "no step finished in 5 minutes");
        assert!(child.try_wait().unwrap().is_none(), "the run ended before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let finished = done(&killed);
    let all_steps = results(single).run.steps.len();
    assert!(finished < all_steps, "killed before the end ({finished} of {all_steps} steps done)");
    assert!(!killed.join("results.json").exists());
    // Every step folder left is complete (temporaries are hidden and removed on the rerun).
    for e in std::fs::read_dir(killed.join("steps")).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        assert!(name.starts_with(".tmp-") || e.path().join("result.json").exists(), "{name}");
    }
    let err = ok(&jet_tagging(&["reproduce", "--config", cfg, "--out", killed.to_str().unwrap()]));
    let resumed = results(&killed);
    assert_eq!(
        resumed.run.steps.iter().filter(|s| s.cached).count(),
        finished,
        "the rerun reuses every finished step:\n{err}"
    );
    assert_same(&outcome(&killed), &expected, "the resumed run ends with the same results");
    assert!(
        std::fs::read_dir(killed.join("steps"))
            .unwrap()
            .flatten()
            .all(|e| !e.file_name().to_string_lossy().starts_with('.'))
    );
}

#[test]
fn bad_data_fails_with_the_file_and_line_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let csv = d.path().join("bad.csv");
    let header = format!("{},class\n", jet_data::FEATURES.join(","));
    let good = format!("{},g\n", vec!["0.5"; 16].join(","));
    let bad = format!("{},nan,q\n", vec!["0.5"; 15].join(","));
    std::fs::write(&csv, format!("{header}{good}{good}{bad}")).unwrap();
    let out = d.path().join("study");
    let run = jet_tagging(&["reproduce", "--quick", "--data", csv.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    let last = err.lines().last().unwrap();
    assert!(last.starts_with("jet-tagging: ") && last.contains("bad.csv") && last.contains("line 4"), "{err}");
    assert!(!out.exists(), "nothing written");
    // A settings file that cannot work is named.
    // A settings file that cannot work is named, with the setting, and the run starts nothing.
    let cfg = d.path().join("c.json");
    let mut c = StudyConfig::quick();
    c.seeds.clear();
    std::fs::write(&cfg, serde_json::to_string(&c).unwrap()).unwrap();
    let run = jet_tagging(&["reproduce", "--config", cfg.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("c.json") && err.contains("seeds"), "{err}");
    assert!(!out.exists());
}
