//! `jet-tagging data`: any format in, the hls4ml `.npy` layout out with the scaler fitted on the
//! training jets; bad data is a one-line error naming the file and line, and nothing is written.

use std::path::Path;
use std::process::Command;

use jet_data::{CLASSES, FEATURES, JetSample, Standardiser};

fn jet_tagging(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_jet-tagging")).args(args).output().unwrap()
}

/// A CSV of the first `n` built-in test jets (header, then class and features per line).
fn csv(path: &Path, n: usize) {
    let s = JetSample::builtin().unwrap();
    let mut text = format!("{},class\n", FEATURES.join(","));
    for (r, &l) in s.labels_test()[..n].iter().enumerate() {
        let row: Vec<String> = s.x_test.row(r).iter().map(|v| v.to_string()).collect();
        text += &format!("{},{}\n", row.join(","), CLASSES[l]);
    }
    std::fs::write(path, text).unwrap();
}

#[test]
fn data_splits_any_format_and_stores_the_training_scaler() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("jets.csv");
    csv(&input, 500);
    let out = d.path().join("data");
    let run = jet_tagging(&["data", "--data", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--seed", "3"]);
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    let written = JetSample::load(&out).unwrap();
    assert_eq!((written.x_train.nrows(), written.x_test.nrows()), (400, 100));
    // The same split as the library's, and the scaler of its training jets.
    let expected = jet_data::load(&input, 0.2, 3).unwrap();
    assert_eq!(written.x_test, expected.x_test);
    let scaler: Standardiser =
        serde_json::from_str(&std::fs::read_to_string(out.join("scaler.json")).unwrap()).unwrap();
    assert_eq!(scaler, Standardiser::fit(&expected.x_train));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["format"], "Csv");
    let tests: u64 = CLASSES.iter().map(|c| summary["test"][c].as_u64().unwrap()).sum();
    assert_eq!(tests, 100);
    // An existing output folder is refused.
    let again = jet_tagging(&["data", "--data", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!again.status.success());
}

#[test]
fn bad_data_is_one_line_naming_file_and_line_and_writes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let input = d.path().join("jets.csv");
    csv(&input, 20);
    // Line 3 (the second jet) gets the class `x`.
    let mut lines: Vec<String> = std::fs::read_to_string(&input).unwrap().lines().map(String::from).collect();
    let cut = lines[2].rfind(',').unwrap();
    lines[2] = format!("{},x", &lines[2][..cut]);
    std::fs::write(&input, lines.join("\n")).unwrap();
    let out = d.path().join("data");
    let run = jet_tagging(&["data", "--data", input.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("jets.csv") && err.contains("line 3: unknown class \"x\""), "{err}");
    let left: Vec<_> = std::fs::read_dir(d.path()).unwrap().flatten().map(|e| e.file_name()).collect();
    assert_eq!(left, vec![std::ffi::OsString::from("jets.csv")], "nothing else is written");
}
