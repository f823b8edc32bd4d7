//! Execution speed of `qonnx-ir` on the QKeras jet tagger (`qkeras_jettagging.onnx`,
//! 16→64→32→32→5 with 11 `Quant` nodes), next to the Python tools, in one run:
//!
//! 1. `qonnx-ir` on a batch of 10,000 inputs (`any_batch`), float32 (`exact: false`) and with
//!    f64 accumulation (`exact: true`): samples/s, measured by criterion;
//! 2. onnxruntime on the QCDQ form of the same model (made here with `infer_shapes` +
//!    `qonnx_to_qcdq`, batch dimension made symbolic) on the same 10,000 inputs, and at batch 1,
//!    timed by `benches/py/ort_bench.py` (one intra-op thread, as `qonnx-ir` uses one), which
//!    stays up so that its batches alternate with `qonnx-ir`'s round by round for the table
//!    ([`benches::peer`]: a shared machine's drift then touches both alike);
//! 3. Python qonnx's `execute_onnx` on single samples (`benches/py/qonnx_latency.py`);
//! 4. `qonnx-ir` on single samples.
//!
//! Before timing, the outputs of `qonnx-ir` on the 10,000 inputs are checked against
//! onnxruntime's (softmax outputs, within 1e-6 absolute), so the comparison is like for like.
//!
//! The inputs lie on a 2^-10 grid, like the reference set. On AVX2 and AVX-512, `qonnx-ir`
//! computes the first layer's float32 sums with its own kernels in `matrixmultiply`'s order (the
//! unfused `MatMul`'s) on any input; the portable kernels prove, tile by tile, that the sums are
//! exact on the grid and otherwise call `matrixmultiply` itself.
//! Both tools are therefore also timed on a second batch off the grid (the same distributions
//! without the rounding), where only the speeds are compared: float32 sums that are not exact
//! depend on the summation order, and onnxruntime's order is its own.
//! The summary table at the end gives samples/s and the ratios. Without the Python environment
//! (`scripts/setup-python.sh`, or `QONNX_REF_PYTHON`) only `qonnx-ir` is timed.
//!
//! Run with `cargo bench -p benches --bench qonnx_exec`. Without `--bench` (as `cargo test
//! --benches` runs it) a batch of 100 and few repetitions are used, as a smoke test.

use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

use benches::peer::{Peer, interleave};
use benches::report::BenchResult;
use benches::{fmt_rate, fmt_ratio, fmt_s, median, reference_python, run_python};
use criterion::{Criterion, Throughput, criterion_main};
use ndarray::{Array2, ArrayD, IxDyn};
use ndarray_npy::{read_npy, write_npy};
use qonnx_ir::exec::{ExecOptions, Executor};
use qonnx_ir::transform::{infer_shapes, qonnx_to_qcdq};
use qonnx_ir::{Dim, Model, Tensor};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// The model under test.
const MODEL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/models/qkeras_jettagging.onnx");
/// Input features of the model.
const FEATURES: usize = 16;
/// The largest allowed absolute difference between `qonnx-ir`'s and onnxruntime's outputs.
const TOLERANCE: f32 = 1e-6;

/// Sizes and repetition counts of one run.
struct Plan {
    /// Samples in the throughput batch.
    batch: usize,
    /// onnxruntime repetitions of the whole batch.
    ort_reps: usize,
    /// onnxruntime single-sample repetitions.
    ort_single: usize,
    /// Python qonnx single samples.
    qonnx_samples: usize,
    /// Rounds of batches timed in turn with onnxruntime, and batches of each per round.
    rounds: usize,
    runs: usize,
}

/// Seeded inputs like the reference set in `testdata/model-outputs`: on a 2^-10 grid
/// (unless `!on_grid`), half uniform in [-1, 1], half normal with σ = 1.5.
fn inputs(batch: usize, on_grid: bool) -> Array2<f32> {
    let mut rng = StdRng::seed_from_u64(20_240_613);
    let grid = |v: f64| if on_grid { ((v * 1024.0).round() / 1024.0) as f32 } else { v as f32 };
    Array2::from_shape_fn((batch, FEATURES), |(i, _)| {
        if i % 2 == 0 {
            grid(rng.gen_range(-1.0..=1.0))
        } else {
            // Box–Muller.
            let (u1, u2): (f64, f64) = (rng.gen_range(f64::EPSILON..1.0), rng.r#gen());
            grid(1.5 * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos())
        }
    })
}

/// The QCDQ form of `model` with a symbolic batch dimension `N` on the graph input and output,
/// so that onnxruntime accepts any batch.
fn qcdq_model(model: &Model) -> Model {
    let mut q = model.clone();
    infer_shapes(&mut q).expect("shape inference of the QONNX model");
    let report = qonnx_to_qcdq(&mut q).expect("QONNX → QCDQ");
    assert_eq!(report.converted, 11, "Quant nodes left as they were: {:?}", report.skipped);
    for vi in q.graph.inputs.iter_mut().chain(q.graph.outputs.iter_mut()) {
        if let Some(mut dims) = vi.shape().filter(|d| !d.is_empty()) {
            dims[0] = Dim::Param("N".into());
            let elem = vi.elem_type();
            vi.set_tensor_type(elem, Some(&dims));
        }
    }
    // Intermediate shapes were inferred at batch 1; infer them again with the symbolic batch.
    q.graph.value_info.clear();
    infer_shapes(&mut q).expect("shape inference of the QCDQ model");
    q
}

/// What the Python side measured.
#[derive(Default)]
struct PythonTimes {
    /// onnxruntime, median seconds per batch.
    ort_batch_s: Option<f64>,
    /// onnxruntime, median seconds per single sample.
    ort_single_s: Option<f64>,
    /// Python qonnx `execute_onnx`, median seconds per single sample.
    qonnx_single_s: Option<f64>,
    /// Largest |qonnx-ir − onnxruntime| over the batch outputs.
    max_abs_diff: Option<f32>,
    /// onnxruntime, median seconds per batch, inputs off the grid.
    ort_off_grid_s: Option<f64>,
    /// Versions, for the summary.
    versions: String,
    /// onnxruntime kept running on the batch on the grid and on the batch off it, for the timing
    /// in turn with `qonnx-ir` ([`interleave`]).
    peers: Option<(Peer, Peer)>,
}

/// Times onnxruntime (QCDQ form) and Python qonnx, and compares onnxruntime's outputs with
/// `ours`. Failures of the Python side are reported and leave the fields empty.
fn python_side(
    python: &Path,
    model: &Model,
    x: &Array2<f32>,
    x_off: &Array2<f32>,
    ours: &ArrayD<f32>,
    plan: &Plan,
) -> PythonTimes {
    let mut t = PythonTimes::default();
    let dir = std::env::temp_dir().join(format!("qonnx-exec-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating the bench's temporary directory");
    let (qcdq, xin, yout) = (dir.join("qcdq.onnx"), dir.join("x.npy"), dir.join("y_ort.npy"));
    qcdq_model(model).save(&qcdq).expect("saving the QCDQ model");
    write_npy(&xin, x).expect("writing the inputs");
    let s = |p: &Path| p.to_str().expect("UTF-8 temporary path").to_string();
    let (ort_reps, ort_single) = (plan.ort_reps.to_string(), plan.ort_single.to_string());
    let args = [s(&qcdq), s(&xin), s(&yout), "--reps".into(), ort_reps, "--single".into(), ort_single];
    let on_grid = match Peer::start(python, "ort_bench.py", &args.iter().map(String::as_str).collect::<Vec<_>>()) {
        Ok(peer) => {
            let v = &peer.header;
            t.ort_batch_s = v["median_s_per_batch"].as_f64();
            t.ort_single_s = v["single_median_s"].as_f64();
            t.versions +=
                &format!("onnxruntime {} ({} thread)", v["onnxruntime"].as_str().unwrap_or("?"), v["threads"]);
            let theirs: ArrayD<f32> = read_npy(&yout).expect("reading onnxruntime's outputs");
            assert_eq!(theirs.shape(), ours.shape(), "onnxruntime and qonnx-ir output shapes differ");
            let diff = ours.iter().zip(&theirs).map(|(a, b)| (a - b).abs()).fold(0.0f32, f32::max);
            let nan = ours.iter().chain(&theirs).any(|v| v.is_nan());
            assert!(!nan && diff <= TOLERANCE, "qonnx-ir and onnxruntime disagree: max |diff| = {diff:e}");
            t.max_abs_diff = Some(diff);
            Some(peer)
        }
        Err(e) => {
            println!("onnxruntime timing skipped: {e}");
            None
        }
    };
    write_npy(&xin, x_off).expect("writing the inputs off the grid");
    let args = [s(&qcdq), s(&xin), s(&yout), "--reps".into(), plan.ort_reps.to_string(), "--single".into(), "0".into()];
    let off_grid = match Peer::start(python, "ort_bench.py", &args.iter().map(String::as_str).collect::<Vec<_>>()) {
        Ok(peer) => {
            t.ort_off_grid_s = peer.header["median_s_per_batch"].as_f64();
            Some(peer)
        }
        Err(e) => {
            println!("onnxruntime timing off the grid skipped: {e}");
            None
        }
    };
    t.peers = on_grid.zip(off_grid);
    write_npy(&xin, x).expect("writing the inputs");
    let samples = plan.qonnx_samples.to_string();
    match run_python(python, "qonnx_latency.py", &[MODEL, &s(&xin), "--samples", &samples]) {
        Ok(v) => {
            t.qonnx_single_s = v["median_s"].as_f64();
            t.versions += &format!(", qonnx {}", v["qonnx"].as_str().unwrap_or("?"));
        }
        Err(e) => println!("Python qonnx timing skipped: {e}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
    t
}

/// The bench: checks, criterion measurements and the summary table.
fn bench(c: &mut Criterion) {
    let full = std::env::args().any(|a| a == "--bench");
    let plan = if full {
        Plan { batch: 10_000, ort_reps: 5, ort_single: 3000, qonnx_samples: 20, rounds: 20, runs: 10 }
    } else {
        Plan { batch: 100, ort_reps: 2, ort_single: 10, qonnx_samples: 2, rounds: 2, runs: 1 }
    };
    let model = Model::load(MODEL).expect("loading testdata/models/qkeras_jettagging.onnx");
    let exec = Executor::new(&model).expect("preparing the model");
    let x = inputs(plan.batch, true);
    let x_off = inputs(plan.batch, false);
    let batch = Tensor::from_f32(&[plan.batch, FEATURES], x.iter().copied().collect()).expect("batch tensor");
    let batch_off = Tensor::from_f32(&[plan.batch, FEATURES], x_off.iter().copied().collect()).expect("batch tensor");
    let single = Tensor::from_f32(&[1, FEATURES], x.row(0).to_vec()).expect("single-sample tensor");
    let opts = |exact: bool, any_batch: bool| ExecOptions { exact, keep_intermediates: false, any_batch };
    let run = |t: &Tensor, o: &ExecOptions| {
        let r = exec.run(&[("global_in", t.clone())], o).expect("running the model");
        r.outputs.into_iter().next().expect("one output").1.to_f32()
    };

    // The two accumulation modes agree on this model (its sums fit float32's mantissa).
    let ours = run(&batch, &opts(false, true));
    assert_eq!(ours.shape(), &[plan.batch, 5]);
    assert_eq!(ours, run(&batch, &opts(true, true)), "exact and float32 accumulation differ");
    // Batched execution gives each sample what it gets alone.
    for i in [0, plan.batch / 2, plan.batch - 1] {
        let one = Tensor::from_f32(&[1, FEATURES], x.row(i).to_vec()).expect("row tensor");
        let alone = run(&one, &opts(false, false));
        let row = ours.index_axis(ndarray::Axis(0), i).to_owned().into_shape_with_order(IxDyn(&[1, 5]));
        assert_eq!(alone, row.expect("row shape"), "sample {i} batched vs alone");
    }

    let python = reference_python();
    let mut py = match &python {
        Some(p) => python_side(p, &model, &x, &x_off, &ours, &plan),
        None => {
            println!(
                "qonnx_exec: the reference Python environment was not found (set QONNX_REF_PYTHON or run \
                 scripts/setup-python.sh); timing qonnx-ir only"
            );
            PythonTimes::default()
        }
    };

    // Criterion measurements; each sample's time per iteration is also kept for the summary.
    let mut group = c.benchmark_group("qonnx_exec");
    group.sample_size(10).measurement_time(Duration::from_secs(if full { 6 } else { 1 }));
    group.throughput(Throughput::Elements(plan.batch as u64));
    // The input tensors are made once, outside the timed loops (as onnxruntime is handed the
    // same numpy array on every run); every run computes everything from them again.
    let batch_in = [("global_in", batch.clone())];
    let batch_off_in = [("global_in", batch_off.clone())];
    let single_in = [("global_in", single.clone())];
    let mut batch_times: [Vec<f64>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (k, (exact, off)) in [(false, false), (true, false), (false, true)].into_iter().enumerate() {
        let mode = match (exact, off) {
            (true, _) => "exact",
            (false, false) => "f32",
            (false, true) => "f32-off-grid",
        };
        let name = format!("qonnx-ir/batch{}/{mode}", plan.batch);
        let times = RefCell::new(&mut batch_times[k]);
        let o = opts(exact, true);
        let input = if off { &batch_off_in } else { &batch_in };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(exec.run(std::hint::black_box(input), &o).expect("run"));
                }
                let d = start.elapsed();
                times.borrow_mut().push(d.as_secs_f64() / iters as f64);
                d
            })
        });
    }
    group.sample_size(20).measurement_time(Duration::from_secs(if full { 3 } else { 1 }));
    group.throughput(Throughput::Elements(1));
    let mut single_times = Vec::new();
    {
        let times = RefCell::new(&mut single_times);
        let o = opts(false, false);
        group.bench_function("qonnx-ir/single/f32", |b| {
            b.iter_custom(|iters| {
                let start = Instant::now();
                for _ in 0..iters {
                    std::hint::black_box(exec.run(std::hint::black_box(&single_in), &o).expect("run"));
                }
                let d = start.elapsed();
                times.borrow_mut().push(d.as_secs_f64() / iters as f64);
                d
            })
        });
    }
    group.finish();

    // The batches again, in turn with onnxruntime's when it runs: these figures make the table.
    if let Some((on_grid, off_grid)) = py.peers.as_mut() {
        let exec = &exec;
        let mut calls: Vec<_> = [(false, false), (true, false), (false, true)]
            .into_iter()
            .map(|(exact, off)| {
                let (o, input) = (opts(exact, true), if off { &batch_off_in } else { &batch_in });
                move || {
                    std::hint::black_box(exec.run(std::hint::black_box(input), &o).expect("run"));
                }
            })
            .collect();
        let mut ours: Vec<(usize, &mut dyn FnMut())> =
            calls.iter_mut().map(|f| (plan.runs, f as &mut dyn FnMut())).collect();
        let mut peers = [(plan.runs, on_grid), (plan.runs, off_grid)];
        let (mut theirs, mine) = interleave(&mut peers, plan.rounds, &mut ours).expect("onnxruntime stopped");
        py.ort_batch_s = Some(median(&mut theirs[0]));
        py.ort_off_grid_s = Some(median(&mut theirs[1]));
        batch_times = mine.try_into().expect("three batch timings");
    }
    py.peers = None;

    // Summary.
    let n = plan.batch as f64;
    let ir_f32 = median(&mut batch_times[0]);
    let ir_exact = median(&mut batch_times[1]);
    let ir_off = median(&mut batch_times[2]);
    let ir_single = median(&mut single_times);
    let ort_rate = py.ort_batch_s.map(|s| n / s);
    println!();
    println!("qonnx_exec summary — qkeras_jettagging.onnx, batch {} (medians)", plan.batch);
    if !py.versions.is_empty() {
        println!("  Python side: {}", py.versions);
    }
    println!("  {:<40} {:>14} {:>14} {:>16}", "engine", "per batch", "samples/s", "1-sample latency");
    let row = |name: &str, b: Option<f64>, l: Option<f64>| {
        println!("  {:<40} {:>14} {:>14} {:>16}", name, fmt_s(b), fmt_rate(b.map(|s| n / s)), fmt_s(l));
    };
    row("qonnx-ir (exact: false)", Some(ir_f32), Some(ir_single));
    row("qonnx-ir (exact: true)", Some(ir_exact), None);
    row("onnxruntime, QCDQ form", py.ort_batch_s, py.ort_single_s);
    row("Python qonnx execute_onnx", None, py.qonnx_single_s);
    row("qonnx-ir (exact: false), off-grid inputs", Some(ir_off), None);
    row("onnxruntime, QCDQ form, off-grid inputs", py.ort_off_grid_s, None);
    match py.max_abs_diff {
        Some(d) => println!("  outputs: qonnx-ir vs onnxruntime, max |diff| = {d:e} (tolerance {TOLERANCE:e})"),
        None => println!("  outputs: not compared with onnxruntime"),
    }
    println!("  throughput qonnx-ir (f32) / onnxruntime:   {}", fmt_ratio(ort_rate.map(|r| (n / ir_f32) / r)));
    println!("  throughput qonnx-ir (exact) / onnxruntime: {}", fmt_ratio(ort_rate.map(|r| (n / ir_exact) / r)));
    println!("  throughput off the grid, qonnx-ir / ort:   {}", fmt_ratio(py.ort_off_grid_s.map(|s| s / ir_off)));
    println!("  latency onnxruntime / qonnx-ir:            {}", fmt_ratio(py.ort_single_s.map(|s| s / ir_single)));
    println!(
        "  latency Python qonnx / qonnx-ir:           {} (target ≥ 1000×)",
        fmt_ratio(py.qonnx_single_s.map(|s| s / ir_single))
    );

    let mut result = BenchResult::new("qonnx_exec");
    if !py.versions.is_empty() {
        result.peer(py.versions.clone());
    }
    let t = result.table(
        "The QKeras jet tagger, batch of 10,000 and one sample",
        &format!(
            "`qkeras_jettagging.onnx` (16→64→32→32→5, 11 `Quant` nodes) on seeded inputs on the reference \
             set's 2^−10 grid, and on a second batch off the grid. `qonnx-ir`'s executor against \
             onnxruntime on the QCDQ form of the same model (one intra-op thread), the batches timed \
             in turn: {} rounds, each {} batches of onnxruntime on and off the grid, then {} of each \
             `qonnx-ir` form; medians. Single samples: criterion median for `qonnx-ir`, median of \
             {} runs for onnxruntime, and Python qonnx's `execute_onnx` (a per-node Python \
             interpreter, {} samples). Outputs compared before timing: {}.",
            plan.rounds,
            plan.runs,
            plan.runs,
            plan.ort_single,
            plan.qonnx_samples,
            py.max_abs_diff
                .map_or("not compared".into(), |d| format!("largest |difference| {d:e} (tolerance {TOLERANCE:e})"))
        ),
        &["measure", "qonnx-ir", "peer", "peer's figure", "ratio"],
    );
    let ort = "onnxruntime";
    for (measure, ours, peer, theirs) in [
        ("batch, float32 accumulation", ir_f32, ort, py.ort_batch_s),
        ("batch, exact accumulation", ir_exact, ort, py.ort_batch_s),
        ("batch off the grid", ir_off, ort, py.ort_off_grid_s),
        ("one sample", ir_single, ort, py.ort_single_s),
        ("one sample", ir_single, "Python qonnx `execute_onnx`", py.qonnx_single_s),
    ] {
        t.row(&[measure.into(), fmt_s(Some(ours)), peer.into(), fmt_s(theirs), fmt_ratio(theirs.map(|s| s / ours))]);
    }
    result.note(format!("Throughput of `qonnx-ir` on the batch: {} samples/s.", fmt_rate(Some(n / ir_f32))));
    result.save();
}

mod group {
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
