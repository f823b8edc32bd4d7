//! `hawq-core` on the jet MLP (16-64-32-32-5), in one run:
//!
//! 1. one training epoch (QAT, 8 bits, Adam) at batch 1024 over the simulated training jets, on
//!    the CPU backend: samples/s; and one epoch of the float model, next to the same float MLP
//!    trained in JAX on the CPU (`benches/py/jax_peer.py`, `.venv-peers`);
//! 2. the integer engine (`IntegerMlp::prepare_with` once, then `PreparedMlp::predict`: float
//!    inputs → integer path → dequantized outputs) on a batch of 10,000 test jets, one thread, at
//!    every SIMD level this CPU runs (AVX-512 VNNI, AVX-VNNI, AVX2, portable, reference) in both
//!    scale modes (power-of-two and dyadic), next to onnxruntime (one intra-op thread) on the
//!    QCDQ export of the same model and the same inputs, run by `benches/py/ort_bench.py`: with
//!    its QDQ fusion (its integer kernels) and without it (the graph as written, float `MatMul`
//!    between dequantized tensors). Each level below this CPU's best is also set against
//!    onnxruntime fused with the kernels it runs on a CPU whose best is that level: the same
//!    script under a CPUID cap ([`benches::cpuid_cap`]: AVX-VNNI without AVX-512, AVX2, SSE).
//!    onnxruntime stays up while the bench alternates its batches with the engine's, round by
//!    round ([`benches::peer`]), so that the drift of a shared machine's speed touches every
//!    column alike. Targets: AVX-512 at least 2× onnxruntime, AVX2 at least 1×, no level but the
//!    reference below 1× (against this CPU's onnxruntime and against the level's), dyadic within
//!    1.2× of power-of-two on AVX-512.
//!
//! The QCDQ form needs every quantizer at 8 bits or fewer, so the inputs are quantized to 8 bits
//! here (the reference study uses 16). Before timing, onnxruntime's outputs are compared with the
//! engine's (which every level gives bit for bit): how many are equal, and the largest difference
//! in output LSBs, fused, unfused and under each cap.
//!
//! Run with `cargo bench -p benches --bench hawq_core`. Without `--bench` (as `cargo test
//! --benches` runs it) small sizes are used, as a smoke test.

use std::cell::RefCell;
use std::path::Path;
use std::time::{Duration, Instant};

use benches::cpuid_cap::Cap;
use benches::peer::{Peer, interleave};
use benches::report::BenchResult;
use benches::{fmt_rate, fmt_ratio, fmt_s, jets, median, peers_python, reference_python, run_python, smoke};
use burn::tensor::{Tensor, TensorData};
use criterion::{Criterion, Throughput, black_box, criterion_main};
use hawq_core::backend::{Cpu, CpuTrain};
use hawq_core::export::{ExportOptions, export_qcdq};
use hawq_core::train::{TrainConfig, train};
use hawq_core::{Dataset, IntegerMlp, QuantConfig, ScaleMode, Simd};
use ndarray::Array2;
use ndarray_npy::{read_npy, write_npy};
use test_support::Split;

/// The jet MLP.
const WIDTHS: [usize; 5] = [16, 64, 32, 32, 5];

/// The first `n` jets of a split of the built-in sample.
fn data(set: Split, n: usize) -> Dataset {
    let d = jets(set);
    let idx: Vec<usize> = (0..n.min(d.len())).collect();
    d.subset(&idx)
}

/// A calibrated, frozen 8-bit model in `mode` (8-bit inputs) and its integer engine.
fn integer_model(mode: ScaleMode, calib: &Dataset) -> IntegerMlp {
    let cfg = QuantConfig::uniform(&WIDTHS, 8).with_input_bits(8).with_scale_mode(mode);
    let device = Default::default();
    let model = cfg.init::<Cpu>(&device, 3).expect("model");
    let x = Tensor::<Cpu, 2>::from_data(TensorData::new(calib.features.clone(), [calib.len(), 16]), &device);
    model.calibrate(x);
    model.freeze().to_integer().expect("integer engine")
}

/// onnxruntime on the QCDQ export of one model, kept running so that its batches alternate with
/// the engine's ([`interleave`]): once with its graph optimizations (QDQ pairs fused into its
/// integer kernels), once without the fusion (the graph as written: float `MatMul` between
/// dequantized tensors), and fused again under each CPUID cap of a level below this CPU's best
/// ([`Cap`]: the kernels it runs on a CPU whose best is that level).
struct Ort {
    fused: Peer,
    unfused: Peer,
    /// Outputs equal to the engine's, and the largest difference in output LSBs: fused, unfused.
    agree: [(usize, f64); 2],
    /// The fused runs under a cap, for the level they stand for, with their agreement.
    capped: Vec<Capped>,
    version: String,
}

/// onnxruntime fused under a CPUID cap.
struct Capped {
    simd: Simd,
    cap: Cap,
    peer: Peer,
    /// As [`Ort::agree`].
    agree: (usize, f64),
}

/// Starts onnxruntime on the QCDQ export of `int` with the inputs `x`, and compares its outputs
/// with the engine's `ours`; also under the cap of each of `below` (levels below this CPU's
/// best), where this machine can cap CPUID (else a line says why not).
fn onnxruntime(python: &Path, int: &IntegerMlp, x: &Array2<f32>, ours: &[f32], below: &[Simd]) -> Option<Ort> {
    let dir = std::env::temp_dir().join(format!("hawq-core-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let (model, xin) = (dir.join("qcdq.onnx"), dir.join("x.npy"));
    let (qcdq, _) = export_qcdq(int, &ExportOptions::default()).expect("QCDQ export");
    qcdq.save(&model).expect("saving the QCDQ model");
    write_npy(&xin, x).expect("writing the inputs");
    let s = |p: &Path| p.to_str().expect("UTF-8 temporary path").to_string();
    let lsb = f64::from(int.output_scale());
    let start = |fusion: bool, cap: Option<Cap>| -> Result<(Peer, (usize, f64)), String> {
        let yout = dir.join(format!("y{}{}.npy", u8::from(fusion), cap.map_or("", Cap::name)));
        let mut args = vec![s(&model), s(&xin), s(&yout), "--reps".into(), "3".into(), "--single".into(), "0".into()];
        if !fusion {
            args.push("--no-fusion".into());
        }
        let env = match cap {
            Some(c) => c.env()?.to_vec(),
            None => Vec::new(),
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let peer = Peer::start_with_env(python, "ort_bench.py", &args, &env)?;
        if let Some(c) = cap {
            c.check_header(&peer.header)?;
        }
        let theirs: Array2<f32> = read_npy(&yout).map_err(|e| format!("reading onnxruntime's outputs: {e}"))?;
        assert_eq!(theirs.len(), ours.len(), "onnxruntime and the engine give different output counts");
        let equal = theirs.iter().zip(ours).filter(|(a, b)| a == b).count();
        let worst =
            theirs.iter().zip(ours).map(|(a, b)| (f64::from(*a) - f64::from(*b)).abs() / lsb).fold(0.0, f64::max);
        Ok((peer, (equal, worst)))
    };
    let res = start(true, None).and_then(|f| Ok((f, start(false, None)?)));
    let mut capped = Vec::new();
    if res.is_ok() {
        for &simd in below {
            let Some(cap) = Cap::of_level(simd) else { continue };
            match start(true, Some(cap)) {
                Ok((peer, agree)) => capped.push(Capped { simd, cap, peer, agree }),
                Err(e) => println!("onnxruntime under the {} cap not measured: {e}", cap.name()),
            }
        }
    }
    // The sessions hold the model and the inputs now.
    let _ = std::fs::remove_dir_all(&dir);
    match res {
        Ok(((fused, a), (unfused, b))) => {
            let version = fused.header["onnxruntime"].as_str().unwrap_or("(version unknown)").to_string();
            Some(Ort { fused, unfused, agree: [a, b], capped, version })
        }
        Err(e) => {
            println!("onnxruntime not measured: {e}");
            None
        }
    }
}

/// One line of the engine table.
struct Row {
    mode: &'static str,
    simd: Simd,
    /// Median and fastest seconds per batch.
    ours: (f64, f64),
    /// onnxruntime's: (median, fastest) fused, then unfused.
    ort: Option<((f64, f64), (f64, f64))>,
    /// [`Ort::agree`].
    agree: Option<[(usize, f64); 2]>,
    /// onnxruntime fused with the kernels of a CPU whose best is this level.
    same: Option<Same>,
    /// Outputs compared.
    n: usize,
}

/// onnxruntime fused with the kernels it runs on a CPU whose best level is a row's.
struct Same {
    /// Which kernels: this CPU's own, or those under a CPUID cap.
    kernels: String,
    /// Median and fastest seconds per batch.
    ort: (f64, f64),
    /// As [`Ort::agree`].
    agree: (usize, f64),
}

impl Row {
    /// Mode, level, ours (median, fastest), onnxruntime fused (median, fastest), the ratios,
    /// onnxruntime unfused (median) and its ratio.
    fn cells(&self) -> [String; 10] {
        let ((fm, fmin), um) = self.ort.map_or(((None, None), None), |((a, b), (c, _))| ((Some(a), Some(b)), Some(c)));
        let (ours, fastest) = self.ours;
        [
            self.mode.to_string(),
            self.simd.name().to_string(),
            fmt_s(Some(ours)),
            fmt_s(Some(fastest)),
            fmt_s(fm),
            fmt_s(fmin),
            fmt_ratio(fm.map(|o| o / ours)),
            fmt_ratio(fmin.map(|o| o / fastest)),
            fmt_s(um),
            fmt_ratio(um.map(|o| o / ours)),
        ]
    }

    /// Mode, level, onnxruntime's kernels, ours (median, fastest), theirs (median, fastest),
    /// the ratios; `None` without them.
    fn same_cells(&self) -> Option<[String; 9]> {
        let s = self.same.as_ref()?;
        let (ours, fastest) = self.ours;
        Some([
            self.mode.to_string(),
            self.simd.name().to_string(),
            s.kernels.clone(),
            fmt_s(Some(ours)),
            fmt_s(Some(s.ort.0)),
            fmt_ratio(Some(s.ort.0 / ours)),
            fmt_s(Some(fastest)),
            fmt_s(Some(s.ort.1)),
            fmt_ratio(Some(s.ort.1 / fastest)),
        ])
    }
}

/// Median and fastest of `t`.
fn median_min(mut t: Vec<f64>) -> (f64, f64) {
    let min = t.iter().copied().fold(f64::INFINITY, f64::min);
    (median(&mut t), min)
}

/// Times `f` under criterion as `name`; returns the median seconds per call.
fn time(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    mut f: impl FnMut(),
) -> f64 {
    let times = RefCell::new(Vec::new());
    group.bench_function(name, |b| {
        b.iter_custom(|iters| {
            let start = Instant::now();
            for _ in 0..iters {
                f();
            }
            let d = start.elapsed();
            times.borrow_mut().push(d.as_secs_f64() / iters as f64);
            d
        })
    });
    median(&mut times.into_inner())
}

fn bench(c: &mut Criterion) {
    let smoke = smoke();
    let (n_train, n_test) = if smoke { (2048, 200) } else { (usize::MAX, 10_000) };
    let train_set = data(Split::TrainVal, n_train);
    let test = data(Split::Test, n_test);

    // 1. A training epoch.
    let cfg = TrainConfig { epochs: 1, batch_size: 1024, learning_rate: 1e-3, ..Default::default() };
    let start = QuantConfig::uniform(&WIDTHS, 8).init::<CpuTrain>(&Default::default(), 1).expect("model");
    let mut group = c.benchmark_group("hawq_core");
    group.sample_size(10).measurement_time(Duration::from_secs(if smoke { 1 } else { 20 }));
    group.throughput(Throughput::Elements(train_set.len() as u64));
    let epoch_s = time(&mut group, &format!("train_epoch/{}_samples/batch1024", train_set.len()), || {
        let out = train(start.clone(), &train_set, None, &cfg, &mut |_| {}).expect("training");
        black_box(out.history.len());
    });
    let float_start = QuantConfig::float(&WIDTHS).init::<CpuTrain>(&Default::default(), 1).expect("model");
    let float_epoch_s = time(&mut group, &format!("train_epoch_float/{}_samples/batch1024", train_set.len()), || {
        let out = train(float_start.clone(), &train_set, None, &cfg, &mut |_| {}).expect("training");
        black_box(out.history.len());
    });
    let jax = if smoke { None } else { jax_epoch(&train_set) };

    // 2. The integer engine against onnxruntime.
    let python = reference_python();
    if python.is_none() {
        println!("hawq_core: no reference Python (scripts/setup-python.sh or QONNX_REF_PYTHON); engine timed alone");
    }
    let x = Array2::from_shape_vec((test.len(), 16), test.features.clone()).expect("input array");
    group.measurement_time(Duration::from_secs(if smoke { 1 } else { 6 }));
    group.throughput(Throughput::Elements(test.len() as u64));
    let mut rows: Vec<Row> = Vec::new();
    let mut ort_version = None;
    // Rounds of onnxruntime and engine batches in turn, and batches of each a round.
    let (rounds, runs) = if smoke { (2, 1) } else { (20, 10) };
    for (mode, label) in [(ScaleMode::PowerOfTwo, "power-of-two"), (ScaleMode::Dyadic, "dyadic")] {
        let int = integer_model(mode, &train_set);
        let reference = int.predict_reference(&test.features).expect("reference");
        let mut engines = Vec::new();
        for simd in Simd::available().into_iter().rev() {
            let engine = int.prepare_with(simd).expect("an available level");
            assert_eq!(engine.simd(), simd, "{label}: the model does not fit the {simd} kernels");
            let ours = engine.predict(&test.features).expect("engine");
            assert_eq!(ours, reference, "{label}, {simd}: outputs differ from the reference path");
            time(&mut group, &format!("integer_engine/{label}/{simd}/batch{}", test.len()), || {
                black_box(engine.predict(black_box(&test.features)).expect("engine"));
            });
            engines.push((simd, engine));
        }
        // The levels below this CPU's best, each with onnxruntime as it runs where that level is
        // the best.
        let levels: Vec<Simd> = engines.iter().map(|(s, _)| *s).filter(|s| *s != Simd::Reference).collect();
        let below = levels.get(1..).unwrap_or_default();
        let mut ort = python.as_deref().and_then(|p| onnxruntime(p, &int, &x, &reference, below));
        // The engine's runs and onnxruntime's, in turn (the reference path once a round).
        let mut calls: Vec<_> = engines
            .iter()
            .map(|(_, e)| {
                || {
                    black_box(e.predict(black_box(&test.features)).expect("engine"));
                }
            })
            .collect();
        let mut ours: Vec<(usize, &mut dyn FnMut())> = engines
            .iter()
            .zip(calls.iter_mut())
            .map(|((simd, _), f)| (if *simd == Simd::Reference { 1 } else { runs }, f as &mut dyn FnMut()))
            .collect();
        let (theirs, mine) = match ort.as_mut() {
            Some(o) => {
                let mut peers = vec![(runs, &mut o.fused), (runs, &mut o.unfused)];
                peers.extend(o.capped.iter_mut().map(|c| (runs, &mut c.peer)));
                let (t, m) = interleave(&mut peers, rounds, &mut ours).expect("onnxruntime stopped");
                (Some(t.into_iter().map(median_min).collect::<Vec<_>>()), m)
            }
            None => (None, interleave(&mut [], rounds, &mut ours).expect("no peer").1),
        };
        if let Some(o) = &ort {
            ort_version = Some(o.version.clone());
        }
        for ((simd, _), times) in engines.iter().zip(mine) {
            let same = match (&ort, &theirs) {
                (Some(o), Some(t)) if levels.first() == Some(simd) => {
                    Some(Same { kernels: format!("this CPU's ({simd})"), ort: t[0], agree: o.agree[0] })
                }
                (Some(o), Some(t)) => o.capped.iter().position(|c| c.simd == *simd).map(|k| Same {
                    kernels: format!("CPUID capped to {}", o.capped[k].cap.name()),
                    ort: t[2 + k],
                    agree: o.capped[k].agree,
                }),
                _ => None,
            };
            rows.push(Row {
                mode: label,
                simd: *simd,
                ours: median_min(times),
                ort: theirs.as_ref().map(|t| (t[0], t[1])),
                agree: ort.as_ref().map(|o| o.agree),
                same,
                n: reference.len(),
            });
        }
    }
    group.finish();

    let n = test.len() as f64;
    println!();
    println!("hawq_core summary (one thread each; the engine and onnxruntime timed in turn, {rounds} rounds)");
    println!(
        "  training epoch, {} samples at batch 1024: {} ({} samples/s)",
        train_set.len(),
        fmt_s(Some(epoch_s)),
        fmt_rate(Some(train_set.len() as f64 / epoch_s))
    );
    println!(
        "  {:<14} {:<10} {:>11} {:>11} {:>12} {:>12} {:>9} {:>9} {:>14} {:>9}",
        "mode", "SIMD", "engine", "(fastest)", "onnxruntime", "(fastest)", "ratio", "(fastest)", "ort unfused", "ratio"
    );
    for r in &rows {
        let c = r.cells();
        println!(
            "  {:<14} {:<10} {:>11} {:>11} {:>12} {:>12} {:>9} {:>9} {:>14} {:>9}",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]
        );
        println!("  {:<25} {} samples/s (median)", "", fmt_rate(Some(n / r.ours.0)));
    }
    for r in rows.iter().filter(|r| r.simd == Simd::Reference) {
        if let Some([(fe, fw), (ue, uw)]) = r.agree {
            println!(
                "  {}: onnxruntime's outputs equal the engine's: {fe} of {} fused (≤ {fw:.0} LSB apart), {ue} unfused (≤ {uw:.0} LSB)",
                r.mode, r.n
            );
        }
    }
    println!(
        "  against onnxruntime fused with the kernels of a CPU whose best is the level (CPUID capped below this CPU's):"
    );
    println!(
        "  {:<14} {:<10} {:<24} {:>11} {:>12} {:>9} {:>11} {:>12} {:>9}",
        "mode", "SIMD", "onnxruntime kernels", "engine", "onnxruntime", "ratio", "(fastest)", "(fastest)", "ratio"
    );
    for c in rows.iter().filter_map(Row::same_cells) {
        println!(
            "  {:<14} {:<10} {:<24} {:>11} {:>12} {:>9} {:>11} {:>12} {:>9}",
            c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]
        );
    }
    for r in &rows {
        if let Some(s) = r.same.as_ref().filter(|_| r.simd != rows[0].simd) {
            let (e, w) = s.agree;
            println!(
                "  {} {}: onnxruntime's outputs equal the engine's: {e} of {} (≤ {w:.0} LSB)",
                r.mode, s.kernels, r.n
            );
        }
    }
    let level = |mode: &str, simd: Simd| rows.iter().find(|r| r.mode == mode && r.simd == simd).map(|r| r.ours.0);
    let dyadic_over_p2 = |simd: Simd| Some(level("dyadic", simd)? / level("power-of-two", simd)?);
    for simd in Simd::available().into_iter().filter(|s| *s != Simd::Reference) {
        if let Some(q) = dyadic_over_p2(simd) {
            println!("  dyadic / power-of-two on {simd}: {q:.2}× the time (target ≤ 1.2× on AVX-512)");
        }
    }
    println!(
        "  targets: AVX-512 ≥ 2× onnxruntime, AVX2 ≥ 1×, no level but the reference below 1× (onnxruntime on this CPU, and with the level's kernels)"
    );
    if let Some((j, _)) = &jax {
        println!(
            "  float epoch: ours {}, JAX {} → {}",
            fmt_s(Some(float_epoch_s)),
            fmt_s(Some(j.0)),
            fmt_ratio(Some(j.0 / float_epoch_s))
        );
    }

    let mut result = BenchResult::new("hawq_core");
    let samples = train_set.len() as f64;
    let t = result.table(
        "Training: one epoch at batch 1024",
        &format!(
            "The 16-64-32-32-5 MLP, Adam, over the {} simulated training jets, on burn's CPU backend; \
             JAX {} on the CPU (jitted steps, one warm-up epoch for compilation, median of 5 epochs; \
             JAX uses the threads it chooses). Criterion medians for ours.",
            train_set.len(),
            jax.as_ref().map_or("(not measured)", |(_, v)| v.as_str())
        ),
        &["model", "ours", "ours, samples/s", "JAX", "JAX, samples/s", "ratio"],
    );
    let jax_s = jax.as_ref().map(|(j, _)| j.0);
    t.row(&[
        "float32".to_string(),
        fmt_s(Some(float_epoch_s)),
        fmt_rate(Some(samples / float_epoch_s)),
        fmt_s(jax_s),
        fmt_rate(jax_s.map(|j| samples / j)),
        fmt_ratio(jax_s.map(|j| j / float_epoch_s)),
    ]);
    t.row(&[
        "8-bit QAT (fake quantization, no peer)".to_string(),
        fmt_s(Some(epoch_s)),
        fmt_rate(Some(samples / epoch_s)),
        "—".into(),
        "—".into(),
        "—".into(),
    ]);
    if let Some((_, v)) = &jax {
        result.peer(format!("JAX {v} (CPU)"));
    }
    let t = result.table(
        "Integer-only inference: 10,000 jets, one thread",
        &format!(
            "The MLP at 8 bits everywhere with 8-bit inputs (so that a QCDQ form exists), calibrated on \
             the simulated jets; `PreparedMlp::predict` (float inputs → integers → dequantized outputs) \
             at each SIMD level this CPU runs, against onnxruntime (one intra-op thread) on the QCDQ \
             export of the same model and inputs, with its QDQ fusion (its integer kernels) and \
             without (basic graph optimizations: the graph as written, float `MatMul` between \
             dequantized tensors). Timed in turn: {rounds} rounds, each {runs} batches of onnxruntime \
             fused, {runs} unfused, then {runs} of each level (the reference path 1), so that the \
             machine's drift touches every column alike; medians and fastest runs of those. Targets: \
             AVX-512 ≥ 2× onnxruntime, AVX2 ≥ 1×, dyadic within 1.2× of power-of-two on AVX-512."
        ),
        &[
            "scale mode",
            "SIMD level",
            "ours (median)",
            "ours (fastest)",
            "onnxruntime (median)",
            "onnxruntime (fastest)",
            "ratio (median)",
            "ratio (fastest)",
            "onnxruntime unfused (median)",
            "ratio to unfused",
        ],
    );
    for r in &rows {
        t.row(&r.cells());
    }
    let t = result.table(
        "Integer-only inference: onnxruntime's outputs against the engine's",
        "The same 10,000 jets × 5 outputs. Every SIMD level of the engine gives the reference path's \
         outputs (checked before timing). onnxruntime's fused integer kernels differ from them; \
         without the fusion it computes the QCDQ graph as written, in float, which is exact in \
         power-of-two mode.",
        &["scale mode", "onnxruntime fused: equal", "largest difference", "unfused: equal", "largest difference"],
    );
    for r in rows.iter().filter(|r| r.simd == Simd::Reference) {
        if let Some([(fe, fw), (ue, uw)]) = r.agree {
            t.row(&[
                r.mode.to_string(),
                format!("{fe} of {}", r.n),
                format!("{fw:.0} LSB"),
                format!("{ue} of {}", r.n),
                format!("{uw:.0} LSB"),
            ]);
        }
    }
    let t = result.table(
        "Integer-only inference on CPUs without AVX-512: each level against onnxruntime's kernels for it",
        &format!(
            "The runs of the table above, with onnxruntime fused as it runs on a CPU whose best is \
             the row's level: this CPU's own kernels for its best level; for each level below, \
             onnxruntime in the same run under a CPUID cap (`benches/native/cpuid_cap.c`, loaded \
             into its process, hides the extensions above the level from CPUID, so that it picks \
             the kernels it picks on such a CPU: AVX-VNNI without AVX-512 as on Intel client CPUs \
             since Alder Lake, AVX2 as on AMD CPUs before Zen 4, SSE for the portable level). The \
             hardware is this machine's; a client CPU's cores differ. {rounds} rounds in turn, as \
             above. Target: no level but the reference below 1×."
        ),
        &[
            "scale mode",
            "SIMD level",
            "onnxruntime kernels",
            "ours (median)",
            "onnxruntime (median)",
            "ratio (median)",
            "ours (fastest)",
            "onnxruntime (fastest)",
            "ratio (fastest)",
        ],
    );
    for c in rows.iter().filter_map(Row::same_cells) {
        t.row(&c);
    }
    let t = result.table(
        "Integer-only inference: capped onnxruntime's outputs against the engine's",
        "The same 10,000 jets × 5 outputs, onnxruntime fused under each CPUID cap.",
        &["scale mode", "onnxruntime kernels", "equal", "largest difference"],
    );
    for r in rows.iter().filter(|r| r.simd != rows[0].simd) {
        if let Some(s) = &r.same {
            let (e, w) = s.agree;
            t.row(&[r.mode.to_string(), s.kernels.clone(), format!("{e} of {}", r.n), format!("{w:.0} LSB")]);
        }
    }
    if let Some(v) = &ort_version {
        result.peer(format!("onnxruntime {v}"));
    }
    for simd in Simd::available().into_iter().filter(|s| *s != Simd::Reference) {
        if let Some(q) = dyadic_over_p2(simd) {
            result.note(format!("Dyadic over power-of-two on {simd}: {q:.2}× the time (target ≤ 1.2× on AVX-512)."));
        }
    }
    result.save();
}

/// One float epoch of the same MLP in JAX on `data`: (median, fastest) seconds and JAX's version.
fn jax_epoch(data: &Dataset) -> Option<((f64, f64), String)> {
    let python = peers_python()?;
    let dir = std::env::temp_dir().join(format!("hawq-core-bench-jax-{}", std::process::id()));
    let (x, labels) = benches::write_dataset_npy(&dir, data);
    let res = run_python(&python, "jax_peer.py", &["train", &x, &labels, "--batch", "1024", "--epochs", "5"]);
    let _ = std::fs::remove_dir_all(&dir);
    match res {
        Ok(v) => {
            Some(((v["median_s_per_epoch"].as_f64()?, v["min_s_per_epoch"].as_f64()?), v["jax"].as_str()?.to_string()))
        }
        Err(e) => {
            println!("JAX not measured: {e}");
            None
        }
    }
}

mod group {
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
