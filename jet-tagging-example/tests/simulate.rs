//! `jet-tagging simulate` end to end with the real simulator (Pythia8 + FastJet in
//! `.venv-sim`): 200 jets a class, read back; the same seed gives the same bytes with one and
//! two workers, and two shards merged give the same bytes again.

use std::path::Path;
use std::process::Command;

use jet_data::JetSample;

const FILES: [&str; 4] = ["X_train_val.npy", "y_train_val.npy", "X_test.npy", "y_test.npy"];

fn jet_tagging(python: &Path, args: &[&str]) {
    let out = Command::new(env!("CARGO_BIN_EXE_jet-tagging"))
        .args(args)
        .arg("--python")
        .arg(python)
        .output()
        .expect("jet-tagging runs");
    assert!(out.status.success(), "jet-tagging {args:?}:\n{}", String::from_utf8_lossy(&out.stderr));
}

fn same_bytes(a: &Path, b: &Path) {
    for f in FILES {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x == y, "{f} differs between {} and {}", a.display(), b.display());
    }
}

#[test]
fn simulate_200_per_class_is_reproducible_across_workers_and_shards() {
    let Some(python) = test_support::simulator_python() else { return };
    let dir = test_support::tmpdir("jet-tagging-simulate", "run");
    let (one, two) = (dir.join("one"), dir.join("two"));
    let (s0, s1, merged) = (dir.join("s0"), dir.join("s1"), dir.join("merged"));
    let p = |d: &Path| d.display().to_string();

    jet_tagging(&python, &["simulate", "--per-class", "200", "--seed", "7", "--workers", "2", "--out", &p(&two)]);
    let sample = JetSample::load(&two).unwrap();
    assert_eq!(sample.x_train.nrows() + sample.x_test.nrows(), 1000);
    let mut counts = [0usize; 5];
    for l in sample.labels_train().into_iter().chain(sample.labels_test()) {
        counts[l] += 1;
    }
    assert_eq!(counts, [200; 5]);
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(two.join("meta.json")).unwrap()).unwrap();
    assert!(meta.to_string().contains("pTHatMin"), "meta.json records the Pythia settings");

    jet_tagging(&python, &["simulate", "--per-class", "200", "--seed", "7", "--workers", "1", "--out", &p(&one)]);
    same_bytes(&one, &two);

    for (i, s) in [&s0, &s1].into_iter().enumerate() {
        let shard = format!("{i}/2");
        jet_tagging(&python, &["simulate", "--per-class", "200", "--seed", "7", "--shard", &shard, "--out", &p(s)]);
    }
    jet_tagging(&python, &["simulate", "--merge", &p(&s0), &p(&s1), "--out", &p(&merged)]);
    same_bytes(&one, &merged);

    // An existing output folder is refused, and nothing is written.
    let out = Command::new(env!("CARGO_BIN_EXE_jet-tagging"))
        .args(["simulate", "--per-class", "1", "--out", &p(&one)])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));
    let _ = std::fs::remove_dir_all(&dir);
}
