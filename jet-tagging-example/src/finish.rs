//! The study's last stages: every QONNX graph checked in Python qonnx, the firmware of the
//! baseline, INT8 and Hessian models, and the report (`results.json`, `report.md`, plots).

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::config::{Precision, Regulariser};
use crate::error::{Error, Result, io, json};
use crate::models::{OUTPUTS_FILE, RAW_ONNX_FILE, integer_of, load_model};
use crate::results::{FirmwareResult, HessianResult, HomogeneousRun, ModelResult, QonnxCheck, Results, SweepPoint};
use crate::store::key_of;
use crate::study::{Stage, Study};
use crate::tools::{CheckJob, find_ap_types, find_python, qonnx_check};

/// What the earlier stages produced: each model with its step folder and key.
pub(crate) struct Parts {
    pub homogeneous: Vec<(HomogeneousRun, PathBuf, String)>,
    pub base: (ModelResult, PathBuf),
    pub hessian: HessianResult,
    pub sweep: Vec<(SweepPoint, PathBuf, String)>,
}

#[derive(Serialize, Deserialize)]
struct Checked {
    checks: Vec<QonnxCheck>,
}

/// The firmware's Hessian model: the sweep point with the fewest BOPs whose accuracy is within
/// `tolerance` points of `reference` (else the most accurate point).
pub fn pick_hessian(sweep: &[SweepPoint], reference: f64, tolerance: f64) -> Option<usize> {
    let ok = (0..sweep.len()).filter(|&i| sweep[i].model.accuracy >= reference - tolerance);
    ok.min_by(|&a, &b| sweep[a].model.bops.total_cmp(&sweep[b].model.bops))
        .or_else(|| (0..sweep.len()).max_by(|&a, &b| sweep[a].model.accuracy.total_cmp(&sweep[b].model.accuracy)))
}

pub(crate) fn finish(study: &mut Study, until: Stage, parts: Parts) -> Result<Option<Results>> {
    let out = study.opts().out.clone();
    // Every quantized model: the homogeneous INT ones and the fine-tuned ones.
    let mut models: Vec<(&ModelResult, &PathBuf, &String)> = parts
        .homogeneous
        .iter()
        .filter(|(r, _, _)| r.precision != Precision::Fp32)
        .map(|(r, d, k)| (&r.model, d, k))
        .collect();
    models.extend(parts.sweep.iter().map(|(p, d, k)| (&p.model, d, k)));
    let python = find_python(study.opts().python.as_deref())?;
    let keys: Vec<&String> = models.iter().map(|m| m.2).collect();
    let (qonnx, qonnx_status) = match &python {
        None => {
            (Vec::new(), "not run: no Python with qonnx (set QONNX_REF_PYTHON or run scripts/setup-python.sh)".into())
        }
        Some(py) => {
            let script = crate::store::fnv1a(crate::tools::check_script().as_bytes());
            let key = key_of("qonnx-check", &serde_json::json!({"models": keys, "script": script}))?;
            let jets = study.jets().clone();
            let stored = study.step("qonnx-check", &key, (0, 1), |dir, _| {
                let mut jobs = Vec::new();
                let mut exact = Vec::new();
                let shape = (jets.test.len(), jets.test.n_features);
                let array = |v: &Vec<f32>| {
                    ndarray::Array2::from_shape_vec(shape, v.clone())
                        .map_err(|e| Error::Setting { setting: "test jets".into(), message: e.to_string() })
                };
                let raw = dir.join("raw_inputs.npy");
                crate::store::write_npy(&raw, &array(&jets.test_raw)?)?;
                for (m, d, _) in &models {
                    let int = integer_of(&load_model(d)?)?;
                    let lsb = f64::from(int.output_scale());
                    // The graph on standardised features, and the one with the scaler folded in
                    // on raw features: both must give the engine's outputs.
                    let forms =
                        [("", crate::models::ONNX_FILE, None), (" (raw features)", RAW_ONNX_FILE, Some(raw.clone()))];
                    for (suffix, file, inputs) in forms {
                        exact.push(int.max_accumulator_bits() <= 24);
                        let (model, onnx, outputs) =
                            (format!("{}{suffix}", m.name), d.join(file), d.join(OUTPUTS_FILE));
                        jobs.push(CheckJob { model, onnx, outputs, lsb, inputs });
                    }
                }
                let x = array(&jets.test.features)?;
                let rel = |p: &std::path::Path| p.strip_prefix(&out).unwrap_or(p).display().to_string();
                let checks = qonnx_check(py, &jobs, &exact, &x, dir, rel)?;
                for f in ["inputs.npy", "raw_inputs.npy"] {
                    std::fs::remove_file(dir.join(f)).map_err(io(dir.join(f)))?;
                }
                Ok(Checked { checks })
            })?;
            (stored.value.checks, "ok".to_string())
        }
    };
    if until == Stage::Export {
        return Ok(None);
    }
    // Firmware: the FP32 baseline, INT8 and the Hessian model, all with the baseline regulariser
    // and the first seed (the Hessian model with the base model's).
    let seed = study.opts().config.seeds[0];
    let find = |p: Precision| {
        parts
            .homogeneous
            .iter()
            .find(|(r, _, _)| r.precision == p && r.regulariser == Regulariser::Baseline && r.seed == seed)
            .map(|(r, d, k)| (&r.model, d, k))
            .expect("validated: the FP32 and INT8 baseline runs exist")
    };
    let int8 = find(Precision::Int(8));
    let sweep: Vec<SweepPoint> = parts.sweep.iter().map(|s| s.0.clone()).collect();
    let pick = pick_hessian(&sweep, int8.0.accuracy, study.opts().config.mixed.firmware_tolerance_pct)
        .expect("validated: at least one budget");
    let hess = (&parts.sweep[pick].0.model, &parts.sweep[pick].1, &parts.sweep[pick].2);
    let ap = find_ap_types(study.opts().ap_types.as_deref())?;
    let fw_config = study.opts().config.firmware.clone();
    let mut firmware: Vec<FirmwareResult> = Vec::new();
    let roles = [("Baseline", find(Precision::Fp32)), ("INT8", int8), ("Hessian", hess)];
    for (index, (role, (m, d, k))) in roles.into_iter().enumerate() {
        let label = format!("firmware/{role}");
        let tools = serde_json::json!({
            "csim": ap.is_some(),
            "icarus": hls_backend::rtl::sim::find_icarus().is_some(),
            "yosys": fw_config.synth && hls_backend::rtl::synth::find_yosys().is_some(),
        });
        let key = key_of(&label, &serde_json::json!({"model": k, "firmware": fw_config, "tools": tools}))?;
        let jets = study.jets().clone();
        let rel = study.rel(&study.store().dir(&label, &key));
        let stored = study.step(&label, &key, (index, 3), |dir, _| {
            let design = crate::firmware::Design { role, model: m, model_dir: d };
            crate::firmware::build(&design, &jets, &fw_config, ap.as_deref(), dir, &rel)
        })?;
        firmware.push(stored.value);
    }
    if until == Stage::Firmware {
        return Ok(None);
    }
    let results = Results {
        data: study.jets().info.clone(),
        config: study.opts().config.clone(),
        versions: versions(),
        homogeneous: parts.homogeneous.into_iter().map(|h| h.0).collect(),
        base: parts.base.0,
        hessian: parts.hessian,
        sweep,
        qonnx,
        qonnx_status,
        firmware,
        run: study.run_info(),
    };
    write_report(&results, &out)?;
    Ok(Some(results))
}

fn versions() -> std::collections::BTreeMap<String, String> {
    [
        ("jet-tagging", env!("CARGO_PKG_VERSION")),
        ("hawq-core", env!("CARGO_PKG_VERSION")),
        ("burn", "0.21"),
        ("rustc-edition", "2024"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Writes `plots/`, `report.md` and `results.json` into `out`. All three are made first in a
/// temporary folder (so a failure, such as a missing font, writes nothing), then moved into
/// place, `results.json` last: a `results.json` means its report and plots are there and match.
pub fn write_report(results: &Results, out: &std::path::Path) -> Result<()> {
    let tmp = out.join(format!(".tmp-report-{}", std::process::id()));
    crate::models::remove_if_exists(&tmp)?;
    std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
    let made = (|| {
        crate::plots::draw_all(results, &tmp.join("plots"))?;
        let report = tmp.join("report.md");
        std::fs::write(&report, crate::report::markdown(results)).map_err(io(&report))?;
        let path = tmp.join("results.json");
        std::fs::write(&path, serde_json::to_string_pretty(results).map_err(json(&path))?).map_err(io(&path))
    })();
    if let Err(e) = made {
        let _ = std::fs::remove_dir_all(&tmp);
        return Err(e);
    }
    let finished = out.join("results.json");
    if finished.exists() {
        std::fs::remove_file(&finished).map_err(io(&finished))?;
    }
    for name in ["plots", "report.md", "results.json"] {
        crate::store::replace(&tmp.join(name), &out.join(name))?;
    }
    std::fs::remove_dir(&tmp).map_err(io(&tmp))
}
