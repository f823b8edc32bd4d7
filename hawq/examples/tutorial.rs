//! The book's tutorial (`docs/src/tutorial.md`): your own small MLP on your own data, through the
//! whole chain with the library API. Quantization-aware training, per-layer Hessian traces with
//! their error bars, the bit allocation under a BOPs budget, mixed-precision fine-tuning, QONNX,
//! and the firmware (an HLS C++ project and Verilog RTL), each step checked bit for bit against
//! the integer engine.
//!
//! ```text
//! cargo run -p hawq --example tutorial                                  # a data set it makes
//! cargo run -p hawq --example tutorial -- my.csv --out my-firmware      # your own CSV
//! ```
//!
//! A CSV holds one sample per line: the features, then the class as an integer `0..k` in the last
//! column; a first line that does not parse as numbers is taken as a header.

use std::path::{Path, PathBuf};

use burn::module::AutodiffModule;
use hawq::hawq_core::backend::{Cpu, CpuTrain};
use hawq::hawq_core::hessian::{
    HessianData, Hvp, SensitivityOptions, TraceConfig, hutchinson_trace, sensitivity_table,
};
use hawq::hawq_core::metrics::accuracy;
use hawq::hawq_core::rng::SplitMix64;
use hawq::hawq_core::train::{TrainConfig, train};
use hawq::hawq_core::{Dataset, IntegerMlp, QuantConfig, export, record};
use hawq::hawq_ilp::{FrontOptions, SolveOptions, pareto_front, solve};
use hawq::hls_backend::rtl::{self, RtlConfig};
use hawq::hls_backend::{Emulator, HlsConfig, csim, estimate::estimate, lower::lower, writer::write_project};
use hawq::qonnx_ir::exec::{ExecOptions, execute};
use hawq::qonnx_ir::{Tensor, cost};

type Error = Box<dyn std::error::Error>;

// ANCHOR: data
/// Three classes on concentric rings in the first two features (radii 1, 2 and 3, smeared by
/// 0.3), plus four features of pure noise: no straight line separates the classes, a small MLP
/// does, and the noise features give the Hessian something insensitive to find.
fn rings(n: usize, seed: u64) -> Result<Dataset, Error> {
    let mut rng = SplitMix64::new(seed);
    let (mut features, mut labels) = (Vec::with_capacity(n * 6), Vec::with_capacity(n));
    for _ in 0..n {
        let class = rng.below(3);
        let r = (class + 1) as f64 + 0.3 * rng.normal();
        let phi = rng.uniform(0.0, std::f64::consts::TAU);
        features.extend([r * phi.cos(), r * phi.sin()].map(|v| v as f32));
        features.extend((0..4).map(|_| rng.normal() as f32));
        labels.push(class);
    }
    Ok(Dataset::new("rings", features, labels, 6, 3)?)
}

/// A CSV of numbers: features, then an integer class in the last column.
fn read_csv(path: &Path) -> Result<Dataset, Error> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let (mut features, mut labels, mut width) = (Vec::new(), Vec::new(), None);
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let values: Result<Vec<f64>, _> = line.split(',').map(|v| v.trim().parse::<f64>()).collect();
        let values = match values {
            Ok(v) => v,
            Err(_) if i == 0 => continue, // a header
            Err(e) => return Err(format!("{} line {}: {e}", path.display(), i + 1).into()),
        };
        let (class, x) = values.split_last().ok_or("an empty line")?;
        let expected = *width.get_or_insert(x.len());
        if expected != x.len() || class.fract() != 0.0 || *class < 0.0 {
            let at = format!("{} line {}", path.display(), i + 1);
            return Err(format!("{at}: expected {expected} features, then a class 0, 1, 2, …").into());
        }
        features.extend(x.iter().map(|&v| v as f32));
        labels.push(*class as usize);
    }
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    Ok(Dataset::new(&path.display().to_string(), features, labels, width.unwrap_or(0), n_classes)?)
}

/// Standardises every feature with the mean and deviation of `fit` (the training split only).
fn standardise(fit: &Dataset, sets: &mut [&mut Dataset]) {
    let d = fit.n_features;
    let n = fit.len() as f64;
    let mean: Vec<f64> =
        (0..d).map(|k| fit.features.iter().skip(k).step_by(d).map(|&v| f64::from(v)).sum::<f64>() / n).collect();
    let sd: Vec<f64> = (0..d)
        .map(|k| {
            let var =
                fit.features.iter().skip(k).step_by(d).map(|&v| (f64::from(v) - mean[k]).powi(2)).sum::<f64>() / n;
            var.sqrt().max(1e-12)
        })
        .collect();
    for set in sets {
        for (i, v) in set.features.iter_mut().enumerate() {
            *v = ((f64::from(*v) - mean[i % d]) / sd[i % d]) as f32;
        }
    }
}
// ANCHOR_END: data

/// Test accuracy of the integer-only engine, in percent.
fn engine_accuracy(int: &IntegerMlp, test: &Dataset) -> Result<f64, Error> {
    Ok(100.0 * accuracy(&int.predict(&test.features)?, &test.labels, test.n_classes))
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.iter().position(|a| a == "--out") {
        Some(i) => PathBuf::from(args.get(i + 1).ok_or("--out needs a folder")?),
        None => std::env::temp_dir().join("hawq-tutorial"),
    };
    let csv = args.iter().enumerate().find(|(i, a)| !a.starts_with("--") && (*i == 0 || args[i - 1] != "--out"));
    std::fs::create_dir_all(&out)?;

    // ANCHOR: split
    let all = match csv {
        Some((_, path)) => read_csv(Path::new(path))?,
        None => rings(3000, 7)?,
    };
    let (rest, mut test) = all.split(0.2, 1); // 20 % held out for the test
    let (mut train_set, mut valid) = rest.split(0.2, 2); // and 20 % of the rest for validation
    let fit = train_set.clone();
    standardise(&fit, &mut [&mut train_set, &mut valid, &mut test]);
    let (d_in, k) = (all.n_features, all.n_classes);
    println!(
        "data: {} training, {} validation, {} test samples; {d_in} features, {k} classes",
        train_set.len(),
        valid.len(),
        test.len()
    );
    // ANCHOR_END: split

    // ANCHOR: train
    let device = Default::default();
    let widths = [d_in, 32, 16, k];
    let config = QuantConfig::fpga(&widths, 8); // 8 bits, power-of-two scales, per tensor
    let model = config.init::<CpuTrain>(&device, 1)?;
    let tc = TrainConfig {
        epochs: 12,
        batch_size: 64,
        learning_rate: 3e-3,
        lr_step: 8,
        lr_gamma: 0.3,
        patience: Some(4),
        seed: 3,
        ..Default::default()
    };
    let run = train(model, &train_set, Some(&valid), &tc, &mut |r| {
        let v = r.valid.as_ref().map_or(f64::NAN, |m| m.accuracy);
        println!("  epoch {:2}: loss {:.4}, validation accuracy {:.3}", r.epoch + 1, r.train_loss, v);
    })?;
    let base = run.model;
    let base_int = base.valid().freeze().to_integer()?;
    println!("8-bit model: test accuracy {:.2} % (integer engine)", engine_accuracy(&base_int, &test)?);
    record::save(&base.valid(), &out.join("base"))?; // base.mpk + base.json, to load again later
    // ANCHOR_END: train

    // ANCHOR: traces
    let hessian_data = HessianData::<Cpu>::new(&train_set, 512, &device)?;
    let trace_config = TraceConfig { max_iter: 40, tol: 0.0, seed: 11, ..Default::default() }; // 40 probes a layer
    let traces = hutchinson_trace(&Hvp::new(base.clone()), &hessian_data, &trace_config, &mut |_| {})?;
    println!("Hessian traces ({} probes):", traces.iterations);
    for t in &traces.layers {
        println!(
            "  {}: Tr(H) = {:.4e} ± {:.1e} ({:.1} %), {} parameters, Tr/n = {:.3e}",
            t.name,
            t.mean,
            t.std_err,
            100.0 * t.std_err / t.mean.abs(),
            t.params,
            t.average()
        );
    }
    // ANCHOR_END: traces

    // ANCHOR: ilp
    let table = sensitivity_table(&base, &traces, &SensitivityOptions::grid(&[2, 3, 4, 6, 8], &[4, 6, 8]))?;
    // The BOPs of the all-8-bit model: every layer at w8a8 (layer 0's input keeps its 16 bits).
    let bops_8bit: f64 = table
        .layers
        .iter()
        .filter_map(|l| l.candidates.iter().find(|c| c.weight_bits == 8 && c.activation_bits >= 8))
        .map(|c| c.costs["bops"])
        .sum();
    let budget = 0.5 * bops_8bit; // half of it
    let mut problem = table.to_problem();
    problem.set_budget("bops", budget);
    let solution = solve(&problem, &SolveOptions::default())?;
    let choice: Vec<&str> = solution.choices.iter().map(|c| c.candidate.as_str()).collect();
    println!(
        "ILP, budget {budget:.0} BOPs: {choice:?} ({:.0} BOPs), ΣΩ = {:.4e}, lower bound {:.4e}, proven optimal: {}",
        solution.totals["bops"], solution.objective, solution.stats.lower_bound, solution.proven_optimal
    );
    // The exact Pareto front of (ΣΩ, BOPs), computed by another algorithm, agrees at the budget.
    let mut unbounded = problem.clone();
    unbounded.budgets.clear();
    let front = pareto_front(&unbounded, "bops", &FrontOptions::default())?;
    let on_front = front.best_within(budget).ok_or("no point of the front within the budget")?;
    assert!((on_front.objective - solution.objective).abs() <= 1e-9 * solution.objective.abs());
    println!("  the exact front has {} points; at this budget it gives the same ΣΩ", front.points.len());
    // ANCHOR_END: ilp

    // ANCHOR: noise
    // How much does the choice depend on the traces' noise? Redraw every trace from its error bar
    // (normal, mean ± standard error), scale that layer's Ω with it, and solve again.
    let mut rng = SplitMix64::new(5);
    let mut same = 0;
    for _ in 0..20 {
        let mut p = problem.clone();
        for (layer, row) in p.layers.iter_mut().zip(&table.layers) {
            let factor = (row.trace + row.trace_std_err * rng.normal()) / row.trace;
            layer.candidates.iter_mut().for_each(|c| c.omega *= factor);
        }
        same += usize::from(solve(&p, &SolveOptions::default())?.indices() == solution.indices());
    }
    println!("  the same choice in {same} of 20 redraws of the traces within their error bars");
    // ANCHOR_END: noise

    // ANCHOR: finetune
    let mixed_config = table.apply(&base.config, &solution)?;
    let mixed = base.with_bits(&mixed_config.layers)?; // keeps the weights and ranges: a warm start
    let tuned = train(mixed, &train_set, Some(&valid), &TrainConfig { epochs: 6, ..tc.clone() }, &mut |_| {})?.model;
    let int = tuned.valid().freeze().to_integer()?;
    let bits: Vec<(u32, u32)> = int.layers.iter().map(|l| (l.weight_bits, l.output.bits)).collect();
    println!(
        "mixed model (weight bits, output bits) per layer {bits:?}: test accuracy {:.2} %",
        engine_accuracy(&int, &test)?
    );
    // ANCHOR_END: finetune

    // ANCHOR: qonnx
    let qonnx =
        export::export_qonnx(&int, &export::ExportOptions { name: "tutorial_mlp".into(), ..Default::default() })?;
    qonnx.save(out.join("tutorial_mlp.onnx"))?;
    let engine_out = int.predict(&test.features)?; // q · s_out of the integer engine
    let x = Tensor::from_f32(&[test.len(), d_in], test.features.clone())?;
    let opts = ExecOptions { exact: true, any_batch: true, ..Default::default() };
    let graph_out = execute(&qonnx, &[(export::INPUT, x)], &opts)?.outputs[0].1.to_f32();
    assert!(graph_out.iter().zip(&engine_out).all(|(a, b)| a == b), "QONNX differs from the engine");
    let costs = cost::analyze(&qonnx)?;
    println!("QONNX: {} outputs equal to the engine's; {:.0} BOPs by `qonnx cost`", engine_out.len(), costs.total_bops);
    // ANCHOR_END: qonnx

    // ANCHOR: firmware
    let hls_config = HlsConfig { name: "tutorial_mlp".into(), ..Default::default() };
    let hls = lower(&qonnx, &hls_config)?;
    let x: Vec<f64> = test.features.iter().map(|&v| f64::from(v)).collect();
    let emulated = Emulator::new(&hls).run(&x)?.values();
    assert!(emulated.iter().zip(&engine_out).all(|(e, q)| *e == f64::from(*q)), "firmware model differs");
    println!("firmware model: the emulator equals the engine on all {} outputs", emulated.len());
    let tb = 200.min(test.len()) * d_in; // the first 200 test samples as the testbench
    write_project(&hls, &hls_config, &out.join("hls"), &x[..tb], Some(&emulated[..tb / d_in * k]))?;
    print!("{}", estimate(&hls, &hls_config).table());
    let design = rtl::write_rtl(&hls, &RtlConfig::default(), &out.join("rtl"), &x[..tb])?;
    println!(
        "RTL: {} adders, {} register bits, {} cycles",
        design.report.adders, design.report.register_bits, design.report.latency_cycles
    );
    // ANCHOR_END: firmware

    // ANCHOR: csim
    // The C simulation needs g++ and the `ap_types` headers (HLS_AP_TYPES, or the hls4ml wheel in
    // .venv-ref made by scripts/setup-python.sh); the RTL simulation needs Icarus Verilog. Without
    // them these checks are left out.
    match csim::find_ap_types(&[PathBuf::from(".venv-ref")]) {
        Some(ap_types) => {
            let c = csim::run_csim(&out.join("hls"), &hls.name, &ap_types)?;
            assert_eq!(c, emulated[..c.len()], "C simulation differs from the emulator");
            println!("C simulation (g++): equal to the emulator on all {} outputs", c.len());
        }
        None => println!("C simulation left out: no ap_types headers (set HLS_AP_TYPES)"),
    }
    if rtl::sim::find_icarus().is_some() {
        let emulator = Emulator::new(&hls);
        let raw = emulator.run_raw(&emulator.quantize_inputs(&x[..tb]))?.raw;
        assert_eq!(rtl::sim::run_icarus(&out.join("rtl"), &hls.name)?, raw, "RTL differs from the emulator");
        println!("RTL simulation (Icarus): equal to the emulator on all {} outputs", raw.len());
    } else {
        println!("RTL simulation left out: no iverilog (Debian's iverilog, or set ICARUS_BIN)");
    }
    println!("written to {}", out.display());
    // ANCHOR_END: csim
    Ok(())
}
