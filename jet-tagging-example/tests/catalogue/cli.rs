//! The four binaries, every subcommand: a missing, truncated or garbage input, an unwritable
//! output, a bad number. Each must exit non-zero with exactly one non-empty line on stderr,
//! `<program>: …`, no panic, and leave nothing where its output was asked for.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use ndarray::{Array2, ArrayD};
use ndarray_npy::write_npy;

use crate::{Class, file, qkeras_bytes, tmp, under_a_file};

/// One command line that must fail.
struct Run {
    what: String,
    args: Vec<OsString>,
    absent: Vec<PathBuf>,
}

/// `subcommand [class]`, its arguments, and the output paths that must not exist afterwards.
fn run(sub: &str, class: Class, args: &[&dyn AsRef<std::ffi::OsStr>], absent: &[&Path]) -> Run {
    Run {
        what: format!("{sub} [{class:?}]"),
        args: args.iter().map(|a| a.as_ref().to_os_string()).collect(),
        absent: absent.iter().map(|p| p.to_path_buf()).collect(),
    }
}

/// Runs every command line of `prog` at `bin` and fails listing every broken promise.
fn check(prog: &str, bin: &Path, runs: Vec<Run>) {
    let failures = failures(prog, bin, &runs);
    assert!(failures.is_empty(), "{} of {} {prog} runs failed:\n{}", failures.len(), runs.len(), failures.join("\n"));
}

/// One line per broken promise of the command lines `runs` of `prog` at `bin`.
fn failures(prog: &str, bin: &Path, runs: &[Run]) -> Vec<String> {
    let mut failures = Vec::new();
    for r in runs {
        for p in &r.absent {
            assert!(!p.exists(), "{prog} {}: {} exists before the run", r.what, p.display());
        }
        let out = Command::new(bin).args(&r.args).env("RUST_LOG", "info").output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        let label = format!("{prog} {} ({:?})", r.what, r.args);
        if out.status.success() {
            failures.push(format!("{label}: exit status 0"));
        }
        if lines.len() != 1 || !lines[0].starts_with(&format!("{prog}: ")) || stderr.contains("panicked") {
            failures.push(format!("{label}: stderr is not one line `{prog}: …`:\n{stderr}"));
        }
        for p in r.absent.iter().filter(|p| p.exists()) {
            failures.push(format!("{label}: left {}", p.display()));
        }
    }
    failures
}

/// The checks of a run fail on a zero exit, on no or two lines or a panic on stderr, on a line
/// without the program's name, and on a file left at the output path.
#[test]
fn the_checks_can_fail() {
    let dir = tmp("cli-self-check");
    let left = dir.join("left");
    let sh = |script: &str| vec![OsString::from("-c"), OsString::from(script)];
    let runs = [
        Run { what: "exit 0".into(), args: sh("echo 'sh: fine' >&2"), absent: vec![] },
        Run { what: "two lines".into(), args: sh("printf 'sh: a\\nsh: b\\n' >&2; exit 1"), absent: vec![] },
        Run { what: "no name".into(), args: sh("echo oops >&2; exit 1"), absent: vec![] },
        Run { what: "panic".into(), args: sh("echo \"sh: thread 'main' panicked\" >&2; exit 101"), absent: vec![] },
        Run {
            what: "leaves".into(),
            args: sh(&format!("touch {}; echo 'sh: x' >&2; exit 1", left.display())),
            absent: vec![left],
        },
    ];
    let failures = failures("sh", Path::new("/bin/sh"), &runs);
    assert_eq!(failures.len(), runs.len(), "{failures:#?}");
}

/// Inputs shared by the tables.
struct Inputs {
    dir: PathBuf,
    model: PathBuf,
    cut: PathBuf,
    junk: PathBuf,
    unknown_op: PathBuf,
    x: PathBuf,
    x15: PathBuf,
    x_nan: PathBuf,
    under: PathBuf,
}

fn inputs(name: &str) -> Inputs {
    let dir = tmp(name);
    let bytes = qkeras_bytes();
    let model = file(&dir, "model.onnx", &bytes);
    let cut = file(&dir, "cut.onnx", &bytes[..bytes.len() - 7]);
    let junk = file(&dir, "junk.onnx", b"\x08\x07\xff\xff\xff");
    let mut m = qonnx_ir::Model::from_bytes(&bytes, "m").unwrap();
    let last = m.graph.nodes.len() - 1;
    m.graph.nodes[last].op_type = "FancySoftmax".into();
    let unknown_op = dir.join("unknown.onnx");
    m.save(&unknown_op).unwrap();
    let (x, x15, x_nan) = (dir.join("x.npy"), dir.join("x15.npy"), dir.join("nan.npy"));
    write_npy(&x, &ArrayD::<f32>::from_elem(vec![2, 16], 0.25)).unwrap();
    write_npy(&x15, &Array2::<f32>::from_elem((2, 15), 0.25)).unwrap();
    let mut nan = Array2::<f32>::from_elem((2, 16), 0.25);
    nan[[1, 2]] = f32::NAN;
    write_npy(&x_nan, &nan).unwrap();
    let under = under_a_file(&dir, "out");
    Inputs { dir, model, cut, junk, unknown_op, x, x15, x_nan, under }
}

fn other_bins() -> Vec<PathBuf> {
    test_support::workspace_bins(&[("qonnx-ir", "qonnx"), ("hawq-ilp", "hawq-ilp"), ("hls-backend", "qonnx2hls")])
}

#[test]
fn qonnx() {
    let i = inputs("cli-qonnx");
    let out = i.dir.join("out.onnx");
    let y = i.dir.join("y.npy");
    let (m, o) = (&i.model, &out);
    let runs = vec![
        run("inspect", Class::Missing, &[&"inspect", &i.dir.join("none.onnx")], &[]),
        run("inspect", Class::Truncated, &[&"inspect", &i.cut], &[]),
        run("cleanup", Class::Garbage, &[&"cleanup", &i.junk, o], &[o]),
        run("cleanup", Class::Unwritable, &[&"cleanup", m, &i.under], &[&i.under]),
        run("exec", Class::Missing, &[&"exec", m, &"--input", &i.dir.join("none.npy"), &"--output", &y], &[&y]),
        run("exec", Class::Garbage, &[&"exec", m, &"--input", &i.junk, &"--output", &y], &[&y]),
        run("exec", Class::WrongShape, &[&"exec", m, &"--input", &i.x15, &"--output", &y], &[&y]),
        run("exec", Class::BadValue, &[&"exec", m, &"--input", &i.x, &"--output", &y, &"--batch", &"two"], &[&y]),
        run("exec", Class::WrongShape, &[&"exec", m, &"--input", &i.x, &"--output", &y, &"--batch", &"5"], &[&y]),
        run("exec", Class::Unknown, &[&"exec", &i.unknown_op, &"--input", &i.x, &"--output", &y], &[&y]),
        run("exec", Class::Unwritable, &[&"exec", m, &"--input", &i.x, &"--output", &i.under], &[&i.under]),
        run("convert", Class::Truncated, &[&"convert", &"--to", &"qcdq", &i.cut, o], &[o]),
        run("convert", Class::BadValue, &[&"convert", &"--to", &"tflite", m, o], &[o]),
        run("convert", Class::Unwritable, &[&"convert", &"--to", &"qcdq", m, &i.under], &[&i.under]),
        run("cost", Class::Garbage, &[&"cost", &i.junk], &[]),
        run("cost", Class::Missing, &[&"cost", &"--json", &i.dir.join("none.onnx")], &[]),
        run("(none)", Class::Unknown, &[&"transmogrify", m], &[]),
    ];
    check("qonnx", &other_bins()[0], runs);
}

/// A valid table for `hawq-ilp`: three layers of 2/4/8-bit candidates with BOPs costs.
fn table(dir: &Path) -> PathBuf {
    let layer = |n: &str| {
        let c: Vec<String> = [2, 4, 8]
            .iter()
            .map(|b| format!(r#"{{"label":"w{b}","omega":{},"costs":{{"bops":{}}}}}"#, 1.0 / f64::from(*b), b * b))
            .collect();
        format!(r#"{{"name":"{n}","candidates":[{}]}}"#, c.join(","))
    };
    file(dir, "table.json", format!(r#"{{"layers":[{},{},{}]}}"#, layer("fc1"), layer("fc2"), layer("fc3")))
}

#[test]
fn hawq_ilp() {
    let i = inputs("cli-hawq-ilp");
    let t = table(&i.dir);
    let text = std::fs::read_to_string(&t).unwrap();
    let cut = file(&i.dir, "cut.json", &text[..text.len() / 2]);
    let out = i.dir.join("result.json");
    let o = &out;
    let runs = vec![
        run("solve", Class::Missing, &[&"solve", &i.dir.join("none.json"), &"--out", o], &[o]),
        run("solve", Class::Truncated, &[&"solve", &cut, &"--out", o], &[o]),
        run("solve", Class::Garbage, &[&"solve", &i.junk, &"--out", o], &[o]),
        run("solve", Class::BadValue, &[&"solve", &t, &"--budget", &"bops=lots", &"--out", o], &[o]),
        run("solve", Class::BadValue, &[&"solve", &t, &"--budget", &"bops", &"--out", o], &[o]),
        run("solve", Class::NonFinite, &[&"solve", &t, &"--budget", &"bops=NaN", &"--out", o], &[o]),
        run("solve", Class::Absurd, &[&"solve", &t, &"--budget", &"bops=-1e300", &"--out", o], &[o]),
        run("solve", Class::Unknown, &[&"solve", &t, &"--budget", &"luts=5", &"--out", o], &[o]),
        run("solve", Class::BadValue, &[&"solve", &t, &"--time-limit", &"-1", &"--out", o], &[o]),
        run("solve", Class::BadValue, &[&"solve", &t, &"--time-limit", &"soon", &"--out", o], &[o]),
        run("solve", Class::Unwritable, &[&"solve", &t, &"--out", &i.under], &[&i.under]),
        run(
            "pareto",
            Class::Missing,
            &[&"pareto", &i.dir.join("none.json"), &"--sweep", &"bops=1:2:1", &"--out", o],
            &[o],
        ),
        run("pareto", Class::Garbage, &[&"pareto", &t, &"--sweep", &"bops", &"--out", o], &[o]),
        run("pareto", Class::Absurd, &[&"pareto", &t, &"--sweep", &"bops=0:1e12:1", &"--out", o], &[o]),
        run("pareto", Class::BadValue, &[&"pareto", &t, &"--sweep", &"bops=1:200:50", &"--max-labels", &"-3"], &[]),
        run(
            "pareto",
            Class::Absurd,
            &[&"pareto", &t, &"--sweep", &"bops=1:200:50", &"--max-labels", &"1", &"--out", o],
            &[o],
        ),
        run(
            "pareto",
            Class::Unwritable,
            &[&"pareto", &t, &"--sweep", &"bops=12:200:50", &"--out", &i.under],
            &[&i.under],
        ),
    ];
    check("hawq-ilp", &other_bins()[1], runs);
}

#[test]
fn qonnx2hls() {
    let i = inputs("cli-qonnx2hls");
    let prj = i.dir.join("prj");
    let rtl = i.dir.join("rtl");
    let garbage = file(&i.dir, "garbage.toml", "name = [\n");
    let zero = file(&i.dir, "zero.toml", "reuse_factor = 0\n");
    let (m, p) = (&i.model, &prj);
    let runs = vec![
        run("(model)", Class::Missing, &[&i.dir.join("none.onnx"), p], &[p]),
        run("(model)", Class::Truncated, &[&i.cut, p], &[p]),
        run("(model)", Class::Unknown, &[&i.unknown_op, p], &[p]),
        run("(out_dir)", Class::Unwritable, &[m, &i.under], &[&i.under]),
        run("--config", Class::Missing, &[m, p, &"--config", &i.dir.join("none.toml")], &[p]),
        run("--config", Class::Garbage, &[m, p, &"--config", &garbage], &[p]),
        run("--config", Class::BadValue, &[m, p, &"--config", &zero], &[p]),
        run("--tb-input", Class::Missing, &[m, p, &"--tb-input", &i.dir.join("none.npy")], &[p]),
        run("--tb-input", Class::Garbage, &[m, p, &"--tb-input", &i.junk], &[p]),
        run("--tb-input", Class::WrongShape, &[m, p, &"--tb-input", &i.x15], &[p]),
        run("--tb-input", Class::NonFinite, &[m, p, &"--tb-input", &i.x_nan], &[p]),
        run("--rtl", Class::Unwritable, &[m, p, &"--rtl", &i.under], &[p, &i.under]),
        run("--rtl", Class::BadValue, &[m, p, &"--rtl", &rtl, &"--clock-ns", &"0.01"], &[p, &rtl]),
        run("--rtl", Class::BadValue, &[m, p, &"--rtl", &rtl, &"--clock-ns", &"fast"], &[p, &rtl]),
        run("--rtl", Class::BadValue, &[m, p, &"--rtl", &rtl, &"--levels", &"-1"], &[p, &rtl]),
    ];
    check("qonnx2hls", &other_bins()[2], runs);
}

#[test]
fn jet_tagging() {
    let i = inputs("cli-jet-tagging");
    let out = i.dir.join("out");
    let o = &out;
    let csv = file(&i.dir, "junk.csv", "not,a,jet\n1,2\n");
    let cut = file(&i.dir, "cut.json", "{\"widths\": [16,");
    let garbage = file(&i.dir, "garbage.json", "widths = [16, 5]");
    let mut wide = jet_tagging_example::config::StudyConfig::quick();
    wide.widths = vec![16, 1 << 40, 5];
    let absurd = file(&i.dir, "absurd.json", serde_json::to_string(&wide).unwrap());
    let none = i.dir.join("none");
    let runs = vec![
        run("data", Class::Missing, &[&"data", &"--data", &i.dir.join("none.csv"), &"--out", o], &[o]),
        run("data", Class::Garbage, &[&"data", &"--data", &csv, &"--out", o], &[o]),
        run("data", Class::BadValue, &[&"data", &"--test-fraction", &"2", &"--out", o], &[o]),
        run("data", Class::NonFinite, &[&"data", &"--test-fraction", &"NaN", &"--out", o], &[o]),
        run("data", Class::BadValue, &[&"data", &"--seed", &"-1", &"--out", o], &[o]),
        run("data", Class::Unwritable, &[&"data", &"--out", &i.under], &[&i.under]),
        run("simulate", Class::Missing, &[&"simulate", &"--per-class", &"5", &"--python", &none, &"--out", o], &[o]),
        run("simulate", Class::BadValue, &[&"simulate", &"--per-class", &"many", &"--out", o], &[o]),
        run("simulate", Class::BadValue, &[&"simulate", &"--per-class", &"5", &"--shard", &"3/2", &"--out", o], &[o]),
        run("simulate", Class::Missing, &[&"simulate", &"--merge", &none, &"--python", &none, &"--out", o], &[o]),
        run("train", Class::Missing, &[&"train", &"--data", &i.dir.join("none.csv"), &"--out", o], &[o]),
        run("train", Class::BadValue, &[&"--threads", &"all", &"train", &"--quick", &"--out", o], &[o]),
        run("hessian", Class::Garbage, &[&"hessian", &"--config", &garbage, &"--out", o], &[o]),
        run("allocate", Class::BadValue, &[&"allocate", &"--quick", &"--prune", &"1.5", &"--out", o], &[o]),
        run("finetune", Class::Missing, &[&"finetune", &"--config", &i.dir.join("none.json"), &"--out", o], &[o]),
        run("export", Class::Unwritable, &[&"export", &"--quick", &"--out", &i.under], &[&i.under]),
        run("firmware", Class::Truncated, &[&"firmware", &"--config", &cut, &"--out", o], &[o]),
        run("report", Class::Absurd, &[&"report", &"--config", &absurd, &"--out", o], &[o]),
        run("reproduce", Class::BadValue, &[&"reproduce", &"--quick", &"--shard", &"5/2", &"--out", o], &[o]),
        run("reproduce", Class::Garbage, &[&"reproduce", &"--data", &csv, &"--quick", &"--out", o], &[o]),
        run("merge", Class::Missing, &[&"merge", &"--quick", &"--out", o, &none], &[o]),
        run("print-config", Class::BadValue, &[&"print-config", &"--quick=yes"], &[]),
        run("(none)", Class::Unknown, &[&"transmogrify"], &[]),
    ];
    check("jet-tagging", Path::new(env!("CARGO_BIN_EXE_jet-tagging")), runs);
}
