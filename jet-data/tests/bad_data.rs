//! Bad sample folders give errors that name the file and the row; none panics.

use std::io::Write;
use std::path::Path;

use jet_data::{Error, JetSample};
use ndarray::Array2;

fn message(dir: &Path) -> String {
    match JetSample::load(dir) {
        Ok(_) => panic!("loaded a bad folder"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_valid_folder_loads_plain_and_gzipped() {
    let d = tempfile::tempdir().unwrap();
    test_support::tiny_npy_folder(d.path());
    let s = JetSample::load(d.path()).unwrap();
    assert_eq!((s.x_train.nrows(), s.x_test.nrows()), (4, 2));
    assert_eq!(s.labels_train(), vec![0, 1, 2, 3]);
    // The same test split gzipped.
    let bytes = std::fs::read(d.path().join("X_test.npy")).unwrap();
    std::fs::remove_file(d.path().join("X_test.npy")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&bytes).unwrap();
    std::fs::write(d.path().join("X_test.npy.gz"), gz.finish().unwrap()).unwrap();
    assert_eq!(JetSample::load(d.path()).unwrap().x_test, s.x_test);
}

#[test]
fn missing_file_names_it() {
    let d = tempfile::tempdir().unwrap();
    test_support::tiny_npy_folder(d.path());
    std::fs::remove_file(d.path().join("y_test.npy")).unwrap();
    assert!(matches!(JetSample::load(d.path()), Err(Error::Io { .. })));
    assert!(message(d.path()).contains("y_test.npy"));
}

#[test]
fn wrong_column_count_names_the_file() {
    let d = tempfile::tempdir().unwrap();
    test_support::tiny_npy_folder(d.path());
    test_support::write_npy(d.path(), "X_test.npy", &Array2::zeros((2, 15)));
    let m = message(d.path());
    assert!(m.contains("X_test.npy") && m.contains("15 feature columns"), "{m}");
}

#[test]
fn nan_and_inf_name_the_row_and_feature() {
    let d = tempfile::tempdir().unwrap();
    test_support::tiny_npy_folder(d.path());
    let mut x = Array2::<f32>::zeros((4, 16));
    x[[3, 14]] = f32::NAN;
    test_support::write_npy(d.path(), "X_train_val.npy", &x);
    let m = message(d.path());
    assert!(m.contains("X_train_val.npy") && m.contains("row 3") && m.contains("j_mass_mmdt"), "{m}");
    x[[3, 14]] = f32::INFINITY;
    test_support::write_npy(d.path(), "X_train_val.npy", &x);
    assert!(message(d.path()).contains("row 3"));
}

#[test]
fn labels_that_are_not_one_hot_name_the_row() {
    let d = tempfile::tempdir().unwrap();
    test_support::tiny_npy_folder(d.path());
    let mut y = Array2::<f32>::zeros((2, 5));
    y[[0, 0]] = 1.0;
    y[[1, 2]] = 0.5;
    test_support::write_npy(d.path(), "y_test.npy", &y);
    let m = message(d.path());
    assert!(m.contains("y_test.npy") && m.contains("row 1"), "{m}");
}

#[test]
fn row_count_mismatch_and_empty_splits_are_errors() {
    let d = tempfile::tempdir().unwrap();
    test_support::tiny_npy_folder(d.path());
    test_support::write_npy(
        d.path(),
        "y_test.npy",
        &Array2::from_shape_fn((3, 5), |(_, k)| f32::from(u8::from(k == 0))),
    );
    assert!(message(d.path()).contains("3 label rows for 2 feature rows"));
    test_support::write_npy(d.path(), "X_test.npy", &Array2::zeros((0, 16)));
    test_support::write_npy(d.path(), "y_test.npy", &Array2::zeros((0, 5)));
    assert!(message(d.path()).contains("no jets"));
}

#[test]
fn truncated_and_garbage_files_are_errors() {
    let d = tempfile::tempdir().unwrap();
    test_support::tiny_npy_folder(d.path());
    let bytes = std::fs::read(d.path().join("X_train_val.npy")).unwrap();
    std::fs::write(d.path().join("X_train_val.npy"), &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(JetSample::load(d.path()), Err(Error::Npy { .. })));
    std::fs::remove_file(d.path().join("X_train_val.npy")).unwrap();
    std::fs::write(d.path().join("X_train_val.npy.gz"), b"not gzip at all").unwrap();
    let m = message(d.path());
    assert!(m.contains("X_train_val.npy.gz"), "{m}");
}
