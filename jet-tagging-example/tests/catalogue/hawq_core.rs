//! `hawq-core`: data sets, configurations, training and its checkpoints, saved models, the
//! integer engine, pruning, the Hessian (its data, traces, eigenvalues, the sensitivity table),
//! export.

use std::path::Path;

use burn::prelude::{Tensor, TensorData};
use hawq_core::backend::{Cpu, CpuTrain};
use hawq_core::hessian::{
    EigenConfig, HessianData, Hvp, LayerTrace, SensitivityOptions, TraceConfig, TraceResult, hutchinson_trace,
    sensitivity_table, top_eigenvalues,
};
use hawq_core::train::{CheckpointConfig, TrainConfig, evaluate, predict, read_checkpoint, resume, train};
use hawq_core::{BitConfig, Dataset, Error, QuantConfig, QuantMlp, prune, record};

use crate::{Case, Class, case, file, is, run_table, tmp, under_a_file};

fn model() -> QuantMlp<Cpu> {
    QuantConfig::uniform(&[4, 8, 3], 8).init::<Cpu>(&Default::default(), 0).unwrap()
}

/// `n` samples of 4 features, 3 classes.
fn data(n: usize, features: usize) -> Dataset {
    Dataset::synthetic_blobs(n, features, 3, 1.0, 1).unwrap()
}

fn tc() -> TrainConfig {
    TrainConfig { epochs: 1, batch_size: 16, ..Default::default() }
}

/// Trains one epoch with a checkpoint in `dir`.
fn checkpoint(dir: &Path) {
    let m = QuantConfig::uniform(&[4, 8, 3], 8).init::<CpuTrain>(&Default::default(), 0).unwrap();
    let config = TrainConfig { checkpoint: Some(CheckpointConfig::every(dir, 1)), ..tc() };
    train(m, &data(32, 4), None, &config, &mut |_| {}).unwrap();
}

/// Cuts the file at `path` to half its length.
fn truncate(path: &Path) {
    let bytes = std::fs::read(path).unwrap();
    std::fs::write(path, &bytes[..bytes.len() / 2]).unwrap();
}

#[test]
fn hawq_core() {
    let dir = tmp("hawq-core");
    let saved = dir.join("saved/model");
    std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
    record::save(&model(), &saved).unwrap();
    truncate(&saved.with_extension("mpk"));
    let garbage = dir.join("garbage");
    file(&dir, "garbage.json", "{ not json");
    let other = dir.join("other/model");
    std::fs::create_dir_all(other.parent().unwrap()).unwrap();
    record::save(&model(), &other).unwrap();
    let wider = QuantConfig::uniform(&[4, 16, 3], 8).to_json().unwrap();
    let json = std::fs::read_to_string(other.with_extension("json")).unwrap();
    let start = json.find("\"config\"").unwrap();
    let end = start + json[start..].find("\"frozen\"").unwrap();
    std::fs::write(other.with_extension("json"), format!("{}\"config\": {wider},\n  {}", &json[..start], &json[end..]))
        .unwrap();
    let ckpt = dir.join("ckpt");
    checkpoint(&ckpt);
    let meta = read_checkpoint(&ckpt).unwrap();
    truncate(&ckpt.join(&meta.files).join("model.bin"));
    let unwritable = under_a_file(&dir, "model");
    let device = Default::default();

    let cases: Vec<Case<Error>> = vec![
        is!(
            case("Dataset::new", Class::NonFinite, || {
                Dataset::new("train", vec![1.0, f32::NAN, 0.0, 0.0], vec![0, 1], 2, 2).map(drop)
            }),
            Error::NonFinite { index: 1, .. }
        )
        .names("train features"),
        is!(
            case("Dataset::new", Class::NonFinite, || {
                Dataset::new("train", vec![1.0, 0.0, f32::INFINITY, 0.0], vec![0, 1], 2, 2).map(drop)
            }),
            Error::NonFinite { index: 2, .. }
        ),
        is!(
            case("Dataset::new", Class::WrongShape, || Dataset::new("train", vec![0.0; 5], vec![0, 1], 2, 2).map(drop)),
            Error::Shape { .. }
        )
        .names("train"),
        is!(
            case("Dataset::new", Class::BadValue, || Dataset::new("train", vec![0.0; 4], vec![0, 7], 2, 2).map(drop)),
            Error::Shape { .. }
        )
        .names("sample 1"),
        is!(
            case("Dataset::new", Class::Missing, || Dataset::new("train", vec![], vec![], 2, 2).map(drop)),
            Error::EmptyDataset { .. }
        ),
        is!(
            case("Dataset::from_one_hot", Class::WrongShape, || {
                Dataset::from_one_hot("train", vec![0.0; 4], &[1.0; 7], 2, 5).map(drop)
            }),
            Error::Shape { .. }
        ),
        is!(
            case("QuantConfig::init", Class::BadValue, || {
                let mut c = QuantConfig::uniform(&[4, 8, 3], 8);
                c.layers[1] = BitConfig { weight: 33, activation: 8, bias: 32 };
                c.init::<Cpu>(&Default::default(), 0).map(drop)
            }),
            Error::InvalidBits { bits: 33, .. }
        )
        .names("layer 1 weight"),
        is!(
            case("QuantConfig::init", Class::Absurd, || {
                QuantConfig::uniform(&[16, 1 << 40, 5], 8).init::<Cpu>(&Default::default(), 0).map(drop)
            }),
            Error::Config { .. }
        )
        .names("layer 0"),
        is!(
            case("QuantConfig::from_json", Class::Garbage, || QuantConfig::from_json("{ widths").map(drop)),
            Error::Config { .. }
        )
        .names("line 1"),
        is!(
            case("train", Class::BadValue, || {
                let m = QuantConfig::uniform(&[4, 8, 3], 8).init::<CpuTrain>(&Default::default(), 0)?;
                train(m, &data(32, 4), None, &TrainConfig { batch_size: 0, ..tc() }, &mut |_| {}).map(drop)
            }),
            Error::Config { .. }
        )
        .names("batch size"),
        is!(
            case("train", Class::NonFinite, || {
                let m = QuantConfig::uniform(&[4, 8, 3], 8).init::<CpuTrain>(&Default::default(), 0)?;
                train(m, &data(32, 4), None, &TrainConfig { learning_rate: f64::NAN, ..tc() }, &mut |_| {}).map(drop)
            }),
            Error::Config { .. }
        )
        .names("learning rate"),
        is!(
            case("train", Class::WrongShape, || {
                let m = QuantConfig::uniform(&[4, 8, 3], 8).init::<CpuTrain>(&Default::default(), 0)?;
                train(m, &data(32, 5), None, &tc(), &mut |_| {}).map(drop)
            }),
            Error::Shape { .. }
        )
        .names("training data"),
        is!(case("evaluate", Class::WrongShape, || evaluate(&model(), &data(8, 5), 4).map(drop)), Error::Shape { .. }),
        is!(case("predict", Class::WrongShape, || predict(&model(), &data(8, 5), 4).map(drop)), Error::Shape { .. }),
        is!(
            case("QuantMlp::forward_integer", Class::WrongShape, || {
                let x = Tensor::<Cpu, 2>::from_data(TensorData::new(vec![0.5f32; 10], [2, 5]), &Default::default());
                model().freeze().forward_integer(x).map(drop)
            }),
            Error::Shape { .. }
        ),
        {
            let p = dir.join("missing/model");
            is!(
                case("record::load", Class::Missing, move || record::load::<Cpu>(&p, &device).map(drop)),
                Error::File { .. }
            )
            .names("missing/model.json")
        },
        {
            let p = saved.clone();
            is!(
                case("record::load", Class::Truncated, move || record::load::<Cpu>(&p, &device).map(drop)),
                Error::File { .. }
            )
            .names("model.mpk")
        },
        {
            let p = garbage.clone();
            is!(
                case("record::load", Class::Garbage, move || record::load::<Cpu>(&p, &device).map(drop)),
                Error::File { .. }
            )
            .names("garbage.json")
        },
        {
            let p = other.clone();
            is!(
                case("record::load", Class::WrongShape, move || record::load::<Cpu>(&p, &device).map(drop)),
                Error::File { .. }
            )
            .names("model.mpk")
        },
        {
            let p = unwritable.clone();
            is!(case("record::save", Class::Unwritable, move || record::save(&model(), &p)), Error::File { .. })
                .names(unwritable.display())
                .leaves_no(unwritable.with_extension("json"))
                .leaves_no(unwritable.with_extension("mpk"))
        },
        {
            let p = dir.join("no-checkpoint");
            is!(case("read_checkpoint", Class::Missing, move || read_checkpoint(&p).map(drop)), Error::File { .. })
                .names("checkpoint.json")
        },
        {
            let p = ckpt.clone();
            is!(
                case("resume", Class::Truncated, move || {
                    resume::<CpuTrain>(&p, &device, &data(32, 4), None, &TrainConfig { epochs: 2, ..tc() }, &mut |_| {})
                        .map(drop)
                }),
                Error::File { .. }
            )
            .names("model.bin")
        },
        is!(
            case("IntegerMlp::predict", Class::WrongShape, || model().to_integer()?.predict(&[0.5; 5]).map(drop)),
            Error::Shape { .. }
        ),
        is!(
            case("IntegerMlp::quantize_input", Class::NonFinite, || {
                model().to_integer()?.quantize_input(&[0.0, f32::NAN, 0.0, 0.0]).map(drop)
            }),
            Error::NonFinite { index: 1, .. }
        ),
        is!(
            case("IntegerMlp::forward_int", Class::Missing, || model().to_integer()?.forward_int(&[]).map(drop)),
            Error::EmptyDataset { .. }
        ),
        is!(
            case("PreparedMlp::forward_int", Class::WrongShape, || {
                model().to_integer()?.prepare().forward_int(&[1, 2, 3]).map(drop)
            }),
            Error::Shape { .. }
        ),
        is!(
            case("prune::magnitude_mask", Class::BadValue, || prune::magnitude_mask(&model(), 1.5).map(drop)),
            Error::InvalidSetting { .. }
        )
        .names("1.5"),
        is!(
            case("HessianData::new", Class::BadValue, || {
                HessianData::<Cpu>::new(&data(8, 4), 0, &Default::default()).map(drop)
            }),
            Error::InvalidSetting { .. }
        )
        .names("batch size"),
        is!(
            case("export::export_qcdq", Class::BadValue, || {
                // The usual 16-bit input quantizer has no 8-bit QCDQ form.
                let int =
                    QuantConfig::uniform(&[4, 8, 3], 8).with_input_bits(16).init::<Cpu>(&Default::default(), 0)?;
                hawq_core::export::export_qcdq(&int.to_integer()?, &Default::default()).map(drop)
            }),
            Error::Config { .. }
        )
        .names("QCDQ"),
    ];
    run_table("hawq-core", cases);
}

/// The Hessian engine of the small model and its data (`features` wide, 32 samples).
fn hessian(features: usize) -> (Hvp<Cpu>, HessianData<Cpu>) {
    let m = QuantConfig::uniform(&[4, 8, 3], 8).init::<CpuTrain>(&Default::default(), 0).unwrap();
    (Hvp::new(m), HessianData::new(&data(32, features), 16, &Default::default()).unwrap())
}

/// A trace result for `layer` with mean `mean`.
fn traces(layer: usize, mean: f64) -> TraceResult {
    let t = LayerTrace {
        layer,
        name: hawq_core::hessian::layer_name(layer),
        params: 32,
        mean,
        std_err: 0.1,
        samples: 10,
        converged: true,
    };
    TraceResult { layers: vec![t], iterations: 10, converged: true, include_bias: false }
}

/// The sensitivity table of the small model from `traces`, candidates `weight_bits` × 8 bits.
fn sensitivity(weight_bits: &[u32], traces: TraceResult) -> Result<(), Error> {
    sensitivity_table(&model(), &traces, &SensitivityOptions::grid(weight_bits, &[8])).map(drop)
}

/// The Hessian's functions beyond its data: traces, eigenvalues and the sensitivity table, fed
/// bad settings, data of the wrong width, unknown layers and non-finite traces.
#[test]
fn hawq_core_hessian() {
    let trace = |features: usize, config: TraceConfig| {
        let (hvp, data) = hessian(features);
        hutchinson_trace(&hvp, &data, &config, &mut |_| {}).map(drop)
    };
    let eigen = |features: usize, max_iter: usize| {
        let (hvp, data) = hessian(features);
        top_eigenvalues(&hvp, &data, &EigenConfig { max_iter, ..Default::default() }, &mut |_| {}).map(drop)
    };
    let cases: Vec<Case<Error>> = vec![
        is!(
            case("hessian::hutchinson_trace", Class::BadValue, move || {
                trace(4, TraceConfig { max_iter: 0, ..Default::default() })
            }),
            Error::InvalidSetting { .. }
        )
        .names("max_iter"),
        is!(
            case("hessian::hutchinson_trace", Class::NonFinite, move || {
                trace(4, TraceConfig { tol: f64::NAN, ..Default::default() })
            }),
            Error::InvalidSetting { .. }
        )
        .names("tol"),
        is!(
            case("hessian::hutchinson_trace", Class::WrongShape, move || {
                trace(5, TraceConfig { max_iter: 2, ..Default::default() })
            }),
            Error::Shape { .. }
        )
        .names("5 features"),
        is!(
            case("hessian::hutchinson_trace", Class::Unknown, move || {
                trace(4, TraceConfig { max_iter: 2, layers: Some(vec![9]), ..Default::default() })
            }),
            Error::NoParameters { .. }
        ),
        is!(case("hessian::top_eigenvalues", Class::BadValue, move || eigen(4, 0)), Error::InvalidSetting { .. })
            .names("max_iter"),
        is!(case("hessian::top_eigenvalues", Class::WrongShape, move || eigen(6, 2)), Error::Shape { .. })
            .names("6 features"),
        is!(
            case("hessian::sensitivity_table", Class::Missing, || sensitivity(&[], traces(0, 1.0))),
            Error::InvalidSetting { .. }
        )
        .names("candidate"),
        is!(
            case("hessian::sensitivity_table", Class::BadValue, || sensitivity(&[0], traces(0, 1.0))),
            Error::InvalidBits { .. }
        ),
        is!(
            case("hessian::sensitivity_table", Class::Unknown, || sensitivity(&[4, 8], traces(7, 1.0))),
            Error::NoParameters { .. }
        ),
        is!(
            case("hessian::sensitivity_table", Class::NonFinite, || sensitivity(&[4, 8], traces(0, f64::NAN))),
            Error::NonFinite { .. }
        )
        .names("trace"),
    ];
    run_table("hawq-core Hessian", cases);
}
