//! Checkpoint and resume: training N epochs in one go equals training k epochs, stopping,
//! resuming from the checkpoint and training the rest, bit for bit (every weight, bias,
//! batch-norm parameter and statistic, activation range; the history; the early-stopping
//! outcome). Bad checkpoints give typed errors naming the file.

use std::path::{Path, PathBuf};

use hawq_core::backend::CpuTrain;
use hawq_core::train::{
    CHECKPOINT_FILE, CheckpointConfig, EpochReport, TrainConfig, TrainOutcome, read_checkpoint, resume, train,
};
use hawq_core::{Dataset, Error, QuantConfig, QuantMlp};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("hawq-core-ckpt-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Every number the model carries, in order, as raw bits.
fn state_bits(model: &QuantMlp<CpuTrain>) -> Vec<(String, Vec<u32>)> {
    let bits = |t: Vec<f32>| t.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
    let host = |t: burn::tensor::Tensor<CpuTrain, 1>| bits(t.into_data().iter::<f32>().collect());
    let mut out = vec![("input range".to_string(), bits(model.input_act.stats_host().to_vec()))];
    for (l, layer) in model.layers.iter().enumerate() {
        out.push((format!("layer {l} weight"), bits(layer.weight_host())));
        out.push((format!("layer {l} bias"), bits(layer.bias_host())));
        out.push((format!("layer {l} activation range"), bits(model.acts[l].stats_host().to_vec())));
        if let Some(bn) = model.batch_norm(l) {
            out.push((format!("layer {l} gamma"), host(bn.gamma.val())));
            out.push((format!("layer {l} beta"), host(bn.beta.val())));
            out.push((format!("layer {l} running mean"), host(bn.running_mean.value_sync())));
            out.push((format!("layer {l} running var"), host(bn.running_var.value_sync())));
        }
    }
    out
}

fn assert_same_outcome(a: &TrainOutcome<CpuTrain>, b: &TrainOutcome<CpuTrain>) {
    assert_eq!(a.history.len(), b.history.len(), "number of epochs");
    assert_eq!(a.history, b.history);
    assert_eq!(a.stopped_early, b.stopped_early);
    let (sa, sb) = (state_bits(&a.model), state_bits(&b.model));
    assert_eq!(sa.len(), sb.len());
    for ((name, x), (_, y)) in sa.iter().zip(&sb) {
        let differ = x.iter().zip(y).filter(|(p, q)| p != q).count();
        assert_eq!(differ, 0, "{name}: {differ} of {} values differ", x.len());
    }
}

fn config() -> QuantConfig {
    // Batch norm, percentile-clipped activations and 6-bit weights: every kind of state.
    QuantConfig::uniform(&[8, 16, 12, 4], 6).with_batch_norm_hidden().with_act_percentile(99.0)
}

fn data() -> (Dataset, Dataset) {
    Dataset::synthetic_blobs(1200, 8, 4, 1.5, 3).unwrap().split(0.25, 1)
}

fn base_train_config() -> TrainConfig {
    TrainConfig {
        epochs: 6,
        batch_size: 64,
        learning_rate: 3e-3,
        lr_step: 2,
        lr_gamma: 0.5,
        l1: 1e-5,
        seed: 7,
        ..Default::default()
    }
}

#[test]
fn resume_equals_one_go() {
    let device = Default::default();
    let (train_set, valid) = data();
    for patience in [None, Some(100)] {
        let tc = TrainConfig { patience, ..base_train_config() };
        let one_go =
            train(config().init::<CpuTrain>(&device, 42).unwrap(), &train_set, Some(&valid), &tc, &mut |_| {}).unwrap();

        // Five epochs with a checkpoint after epoch 3, "crash", resume to 6: epochs 4-6 (the
        // fifth one of the first run is thrown away).
        let dir = temp_dir(&format!("resume-{}", patience.is_some()));
        let first = TrainConfig { epochs: 5, checkpoint: Some(CheckpointConfig::every(&dir, 3)), ..tc.clone() };
        let partial =
            train(config().init::<CpuTrain>(&device, 42).unwrap(), &train_set, Some(&valid), &first, &mut |_| {})
                .unwrap();
        assert_eq!(partial.history.len(), 5);
        let meta = read_checkpoint(&dir).unwrap();
        assert_eq!(meta.epochs_done, 3);
        assert_eq!(meta.history, one_go.history[..3].to_vec());
        assert_eq!(meta.has_best_model, patience.is_some());
        let mut resumed_epochs = Vec::new();
        let resumed = resume::<CpuTrain>(&dir, &device, &train_set, Some(&valid), &tc, &mut |r: &EpochReport| {
            resumed_epochs.push(r.epoch)
        })
        .unwrap();
        assert_eq!(resumed_epochs, vec![3, 4, 5]);
        assert_same_outcome(&one_go, &resumed);
        // The model in the checkpoint is not the final one (the test would be vacuous if
        // training did not move the weights).
        assert_ne!(state_bits(&partial.model), state_bits(&resumed.model));
        println!("patience {patience:?}: resumed run equals the one-go run bit for bit");
        std::fs::remove_dir_all(&dir).ok();
    }
}

#[test]
fn early_stopping_resumes_from_the_best_epoch() {
    let device = Default::default();
    // A small training set and a large step size: the validation loss turns up early.
    let all = Dataset::synthetic_blobs(700, 8, 4, 2.5, 5).unwrap();
    let (valid, train_set) = all.split(0.15, 2);
    let dir = temp_dir("best");
    let tc = TrainConfig {
        epochs: 60,
        batch_size: 16,
        learning_rate: 2e-2,
        patience: Some(3),
        seed: 3,
        checkpoint: Some(CheckpointConfig::at_best(&dir)),
        ..Default::default()
    };
    let one_go =
        train(config().init::<CpuTrain>(&device, 1).unwrap(), &train_set, Some(&valid), &tc, &mut |_| {}).unwrap();
    assert!(one_go.stopped_early, "the task should stop early ({} epochs)", one_go.history.len());
    let meta = read_checkpoint(&dir).unwrap();
    // Checkpointed at the best epoch, which is `patience` epochs before the stop.
    assert_eq!(meta.epochs_done + 3, one_go.history.len());
    assert!(meta.has_best_model && !meta.stopped_early);
    let best = one_go.history.iter().map(|r| r.valid.as_ref().unwrap().loss).fold(f64::INFINITY, f64::min);
    assert_eq!(meta.best_valid_loss, Some(best));
    println!("stopped after {} epochs, best at epoch {}", one_go.history.len(), meta.epochs_done);

    // Resume from the best epoch: the same epochs are run again, the same stop, the same best
    // model; this time a checkpoint after every epoch.
    let dir2 = temp_dir("best2");
    let tc2 = TrainConfig { checkpoint: Some(CheckpointConfig::every(&dir2, 1)), ..tc.clone() };
    let resumed = resume::<CpuTrain>(&dir, &device, &train_set, Some(&valid), &tc2, &mut |_| {}).unwrap();
    assert_same_outcome(&one_go, &resumed);

    // A checkpoint written at the stop: resuming returns at once with the same outcome.
    let meta2 = read_checkpoint(&dir2).unwrap();
    assert!(meta2.stopped_early);
    let mut calls = 0;
    let again = resume::<CpuTrain>(&dir2, &device, &train_set, Some(&valid), &tc, &mut |_| calls += 1).unwrap();
    assert_eq!(calls, 0);
    assert_same_outcome(&one_go, &again);
    // Only the latest record directory is kept.
    let subdirs = std::fs::read_dir(&dir2).unwrap().filter(|e| e.as_ref().unwrap().path().is_dir()).count();
    assert_eq!(subdirs, 1);
    std::fs::remove_dir_all(&dir).ok();
    std::fs::remove_dir_all(&dir2).ok();
}

fn file_error_path(e: Error) -> PathBuf {
    match e {
        Error::File { path, .. } => path,
        other => panic!("expected a file error, got {other}"),
    }
}

fn ends_with(path: &Path, tail: &str) -> bool {
    path.to_string_lossy().ends_with(tail)
}

#[test]
fn bad_checkpoints_are_typed_errors_naming_the_file() {
    let device = Default::default();
    let (train_set, valid) = data();
    let tc = TrainConfig { epochs: 2, ..base_train_config() };

    // No checkpoint at all.
    let dir = temp_dir("errors");
    let e = resume::<CpuTrain>(&dir, &device, &train_set, None, &tc, &mut |_| {}).unwrap_err();
    assert!(ends_with(&file_error_path(e), CHECKPOINT_FILE));

    // A checkpoint setting that never writes.
    let never = TrainConfig { checkpoint: Some(CheckpointConfig::every(&dir, 0)), ..tc.clone() };
    let model = config().init::<CpuTrain>(&device, 0).unwrap();
    assert!(matches!(train(model, &train_set, None, &never, &mut |_| {}), Err(Error::Config { .. })));

    let write = TrainConfig { checkpoint: Some(CheckpointConfig::every(&dir, 1)), ..tc.clone() };
    train(config().init::<CpuTrain>(&device, 0).unwrap(), &train_set, Some(&valid), &write, &mut |_| {}).unwrap();
    let meta = read_checkpoint(&dir).unwrap();
    let files = dir.join(&meta.files);

    // Data that does not fit the saved model.
    let wrong = Dataset::synthetic_blobs(50, 5, 4, 1.0, 1).unwrap();
    let e = resume::<CpuTrain>(&dir, &device, &wrong, None, &tc, &mut |_| {}).unwrap_err();
    assert!(matches!(e, Error::Shape { .. }), "{e}");

    // A truncated optimizer record.
    let opt = files.join("optimizer.bin");
    let bytes = std::fs::read(&opt).unwrap();
    std::fs::write(&opt, &bytes[..bytes.len() / 2]).unwrap();
    let e = resume::<CpuTrain>(&dir, &device, &train_set, None, &tc, &mut |_| {}).unwrap_err();
    assert!(ends_with(&file_error_path(e), "optimizer.bin"));

    // A missing model record.
    std::fs::remove_file(files.join("model.bin")).unwrap();
    let e = resume::<CpuTrain>(&dir, &device, &train_set, None, &tc, &mut |_| {}).unwrap_err();
    assert!(ends_with(&file_error_path(e), "model.bin"));

    // An unknown format, and broken JSON.
    let json = dir.join(CHECKPOINT_FILE);
    let text = std::fs::read_to_string(&json).unwrap();
    std::fs::write(&json, text.replace("hawq-core-checkpoint/1", "something-else/9")).unwrap();
    let e = read_checkpoint(&dir).unwrap_err();
    assert!(ends_with(&file_error_path(e), CHECKPOINT_FILE));
    std::fs::write(&json, "{ not json").unwrap();
    let e = resume::<CpuTrain>(&dir, &device, &train_set, None, &tc, &mut |_| {}).unwrap_err();
    assert!(ends_with(&file_error_path(e), CHECKPOINT_FILE));
    std::fs::remove_dir_all(&dir).ok();
}
