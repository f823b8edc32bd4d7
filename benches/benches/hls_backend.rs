//! `hls-backend` next to hls4ml 1.3.0, in the same run, on `qkeras_jettagging.onnx`:
//! - QONNX → project written and emulator ready, vs hls4ml convert + write + compile
//!   (target ≥ 50× faster);
//! - emulator throughput on 10,000 inputs, vs hls4ml `predict` (target ≥ 100× faster).
//!
//! hls4ml runs through `hls-backend/tests/py/hls4ml_predict.py` in the reference Python
//! environment (`bash scripts/setup-python.sh`); without it only our side is measured.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use benches::smoke;
use criterion::{Criterion, Throughput, black_box, criterion_main};
use hls_backend::config::SoftmaxImpl;
use hls_backend::{Emulator, HlsConfig, lower::lower, writer::write_project};

const N: usize = 10_000;

fn inputs() -> Vec<f64> {
    test_support::grid_inputs(N, 16, 1)
}

/// hls4ml's (convert + write + compile) seconds and predict seconds per sample.
fn hls4ml(model: &PathBuf, x: &[f64]) -> Option<(f64, f64)> {
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
    Some((setup, v["predict_s_per_sample"].as_f64()?))
}

fn bench(c: &mut Criterion) {
    let model_path = test_support::testdata("models/qkeras_jettagging.onnx");
    let model = qonnx_ir::Model::load(&model_path).expect("model");
    let cfg = HlsConfig { softmax: SoftmaxImpl::Skip, ..Default::default() };
    let x = if smoke() { inputs()[..16 * 100].to_vec() } else { inputs() };
    let out_dir = std::env::temp_dir().join(format!("hls-bench-prj-{}", std::process::id()));

    let mut g = c.benchmark_group("hls_backend");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    g.bench_function("qonnx_to_project_and_emulator", |b| {
        b.iter(|| {
            let hls = lower(&model, &cfg).expect("lower");
            write_project(&hls, &cfg, &out_dir, &[], None).expect("write");
            black_box(Emulator::new(&hls))
        })
    });
    let hls = lower(&model, &cfg).expect("lower");
    let emu = Emulator::new(&hls);
    g.throughput(Throughput::Elements((x.len() / 16) as u64));
    g.bench_function("emulator_10000", |b| b.iter(|| black_box(emu.run(&x).expect("run"))));
    g.finish();

    // The same two measurements by hand for the ratio table.
    let t = Instant::now();
    let reps = if smoke() { 1 } else { 20 };
    for _ in 0..reps {
        let hls = lower(&model, &cfg).expect("lower");
        write_project(&hls, &cfg, &out_dir, &[], None).expect("write");
        black_box(Emulator::new(&hls));
    }
    let ours_setup = t.elapsed().as_secs_f64() / f64::from(reps);
    let t = Instant::now();
    for _ in 0..reps {
        black_box(emu.run(&x).expect("run"));
    }
    let ours_sample = t.elapsed().as_secs_f64() / f64::from(reps) / (x.len() / 16) as f64;
    println!("\nhls-backend vs hls4ml 1.3.0 (qkeras_jettagging.onnx, this run)");
    println!("  project + emulator ready: ours {:.2} ms", ours_setup * 1e3);
    println!("  emulator: ours {:.3} µs/sample ({:.0} samples/s)", ours_sample * 1e6, 1.0 / ours_sample);
    if smoke() {
        return;
    }
    if let Some((setup, sample)) = hls4ml(&model_path, &x) {
        println!("  hls4ml convert+write+compile: {:.2} s → ratio {:.0}× (target ≥ 50×)", setup, setup / ours_setup);
        println!(
            "  hls4ml predict: {:.2} µs/sample → ratio {:.0}× (target ≥ 100×)",
            sample * 1e6,
            sample / ours_sample
        );
    }
    let _ = std::fs::remove_dir_all(&out_dir);
}

/// The criterion group (a module of its own, so the generated function needs no doc comment).
mod group {
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench);
}
criterion_main!(group::benches);
