//! Every input format parses from a fixture — CSV written here by a plain writer, ARFF by
//! liac-arff, HDF5 by h5py (`tests/py/write_fixtures.py`), the `.npy` folder of the built-in
//! sample — into exactly the jets it was made from; bad data gives an error naming the file and
//! the line, row or dataset; the split is seeded.

use std::io::Write;
use std::path::{Path, PathBuf};

use jet_data::{CLASSES, FEATURES, Format, JetSample, JetTable, load, load_table};
use ndarray::Array2;

/// The first `n` test jets of the built-in sample.
fn reference(n: usize) -> (Array2<f32>, Vec<usize>) {
    let s = JetSample::builtin().unwrap();
    let labels = s.labels_test()[..n].to_vec();
    (s.x_test.slice(ndarray::s![..n, ..]).to_owned(), labels)
}

/// OpenML's CSV as a plain writer makes it: class first (quoted), features in reversed order.
fn csv_text(x: &Array2<f32>, labels: &[usize]) -> String {
    let mut s = String::from("\"class\"");
    for k in (0..FEATURES.len()).rev() {
        s += &format!(",\"{}\"", FEATURES[k]);
    }
    s.push('\n');
    for (r, &l) in labels.iter().enumerate() {
        s += &format!("'{}'", CLASSES[l]);
        for k in (0..FEATURES.len()).rev() {
            s += &format!(",{}", x[[r, k]]);
        }
        s.push('\n');
    }
    s
}

fn assert_same(t: &JetTable, x: &Array2<f32>, labels: &[usize]) {
    assert_eq!(&t.features, x, "{}", t.source.display());
    assert_eq!(t.labels, labels, "{}", t.source.display());
}

/// The error message of reading `path`, which must fail.
fn error(path: &Path) -> String {
    match load_table(path) {
        Ok(t) => panic!("{} loaded {} jets", path.display(), t.labels.len()),
        Err(e) => e.to_string(),
    }
}

fn write(path: &Path, text: &str) -> PathBuf {
    std::fs::write(path, text).unwrap();
    path.to_path_buf()
}

/// The fixtures of `write_fixtures.py` for the first `n` test jets, or `None` (a visible skip)
/// without the reference Python tools.
fn python_fixtures(dir: &Path, n: usize) -> Option<()> {
    let python = test_support::reference_python()?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/py/write_fixtures.py");
    let out = std::process::Command::new(python)
        .arg(script)
        .arg(JetSample::builtin_dir())
        .arg(n.to_string())
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "write_fixtures.py: {}", String::from_utf8_lossy(&out.stderr));
    Some(())
}

#[test]
fn csv_plain_and_gzipped_parses_into_the_same_jets() {
    let (x, labels) = reference(300);
    let d = tempfile::tempdir().unwrap();
    let p = write(&d.path().join("jets.csv"), &csv_text(&x, &labels));
    assert_eq!(Format::detect(&p).unwrap(), Format::Csv);
    assert_same(&load_table(&p).unwrap(), &x, &labels);
    let gz = d.path().join("jets.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(std::fs::File::create(&gz).unwrap(), flate2::Compression::fast());
    enc.write_all(csv_text(&x, &labels).as_bytes()).unwrap();
    enc.finish().unwrap();
    assert_eq!(Format::detect(&gz).unwrap(), Format::Csv);
    assert_same(&load_table(&gz).unwrap(), &x, &labels);
    // Extensions in any case.
    let upper = d.path().join("JETS.CSV.GZ");
    std::fs::copy(&gz, &upper).unwrap();
    assert_same(&load_table(&upper).unwrap(), &x, &labels);
    assert_eq!(Format::detect(Path::new("a/B.H5")).unwrap(), Format::Hdf5);
}

#[test]
fn arff_written_by_liac_arff_parses_into_the_same_jets() {
    let d = tempfile::tempdir().unwrap();
    let Some(()) = python_fixtures(d.path(), 300) else { return };
    let (x, labels) = reference(300);
    let p = d.path().join("jets.arff");
    assert_eq!(Format::detect(&p).unwrap(), Format::Arff);
    assert_same(&load_table(&p).unwrap(), &x, &labels);
}

#[test]
fn hdf5_written_by_h5py_parses_by_column_name() {
    let d = tempfile::tempdir().unwrap();
    let Some(()) = python_fixtures(d.path(), 300) else { return };
    let p = d.path().join("jets.h5");
    assert_eq!(Format::detect(&p).unwrap(), Format::Hdf5);
    if !cfg!(feature = "hdf5") {
        // Without the feature the reader says what to enable.
        assert!(error(&p).contains("feature `hdf5`"), "{}", error(&p));
        let _: Option<()> = test_support::skip("jet-data built without its `hdf5` feature (needs libhdf5-dev)");
        return;
    }
    let (x, labels) = reference(300);
    assert_same(&load_table(&p).unwrap(), &x, &labels);
    // A folder of files reads as their concatenation, in name order.
    let folder = d.path().join("train");
    std::fs::create_dir(&folder).unwrap();
    std::fs::copy(&p, folder.join("a.h5")).unwrap();
    std::fs::copy(&p, folder.join("b.h5")).unwrap();
    let both = load_table(&folder).unwrap();
    assert_eq!(both.labels.len(), 600);
    assert_eq!(both.features.slice(ndarray::s![300.., ..]), x);
    // A missing feature name, a truncated file, a file that is not HDF5.
    let e = error(&d.path().join("jets_no_mass.h5"));
    assert!(e.contains("jets_no_mass.h5") && e.contains("jetFeatureNames has no j_mass_mmdt"), "{e}");
    let bytes = std::fs::read(&p).unwrap();
    let cut = d.path().join("cut.h5");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let e = error(&cut);
    assert!(e.contains("cut.h5"), "{e}");
    let e = error(&write(&d.path().join("empty.h5"), ""));
    assert!(e.contains("empty.h5") && e.contains("not a readable HDF5 file"), "{e}");
}

#[test]
fn the_npy_folder_reads_as_one_table_and_keeps_its_split() {
    let dir = JetSample::builtin_dir();
    assert_eq!(Format::detect(&dir).unwrap(), Format::NpyFolder);
    let s = JetSample::builtin().unwrap();
    let t = load_table(&dir).unwrap();
    assert_eq!(t.labels.len(), s.x_train.nrows() + s.x_test.nrows());
    assert_eq!(t.features.slice(ndarray::s![s.x_train.nrows().., ..]), s.x_test);
    assert_eq!(load(&dir, 0.5, 1).unwrap().x_test, s.x_test);
}

#[test]
fn bad_text_files_name_the_file_and_line() {
    let (x, labels) = reference(5);
    let d = tempfile::tempdir().unwrap();
    let good = csv_text(&x, &labels);
    let lines: Vec<&str> = good.lines().collect();
    let with_line = |k: usize, new: &str| {
        let mut l = lines.clone();
        l[k] = new;
        l.join("\n")
    };
    // Line `k` with field `f` replaced by `value`.
    let with_field = |k: usize, f: usize, value: &str| {
        let mut fields: Vec<&str> = lines[k].split(',').collect();
        fields[f] = value;
        with_line(k, &fields.join(","))
    };
    let cases = [
        ("columns.csv", with_line(3, &lines[3][..lines[3].rfind(',').unwrap()]), "line 4: 16 columns, expected 17"),
        ("nan.csv", with_field(2, 1, "NaN"), "line 3: feature j_multiplicity is NaN"),
        ("word.csv", with_field(2, 2, "abc"), "line 3: feature j_mass_mmdt is \"abc\", not a number"),
        ("label.csv", with_field(5, 0, "'b'"), "line 6: unknown class \"b\""),
        ("empty.csv", String::new(), "empty file"),
        ("header.csv", good.replace("j_mass_mmdt", "mass"), "no column named j_mass_mmdt"),
        ("truncated.csv", good[..good.len() - 20].to_string(), "line 6:"),
    ];
    for (name, text, expected) in cases {
        let e = error(&write(&d.path().join(name), &text));
        assert!(e.contains(name) && e.contains(expected), "{name}: {e}");
    }
    // NaN and infinity spelled as numbers are refused as such.
    let inf = with_line(1, &format!("'g'{}", ",inf".repeat(16)));
    let e = error(&write(&d.path().join("inf.csv"), &inf));
    assert!(e.contains("line 2: feature j_zlogz is inf"), "{e}");
    let arff_bad = "@relation x\n@attribute j_zlogz REAL\n@data\n1.0\n";
    let e = error(&write(&d.path().join("bad.arff"), arff_bad));
    assert!(e.contains("bad.arff") && e.contains("no column named j_c1_b0_mmdt"), "{e}");
    let e = error(&write(&d.path().join("nodata.arff"), "@relation x\n@attribute class {g,q}\n"));
    assert!(e.contains("nodata.arff") && e.contains("no @data section"), "{e}");
    let e = error(&write(&d.path().join("jets.parquet"), "x"));
    assert!(e.contains("unknown data format"), "{e}");
}

#[test]
fn the_split_is_seeded_disjoint_and_complete() {
    let (x, labels) = reference(1000);
    let t = JetTable { features: x, labels, source: PathBuf::from("mem") };
    let a = t.split(0.25, 7).unwrap();
    let b = t.split(0.25, 7).unwrap();
    let c = t.split(0.25, 8).unwrap();
    assert_eq!((a.x_test.nrows(), a.x_train.nrows()), (250, 750));
    assert_eq!(a.x_test, b.x_test);
    assert_ne!(a.x_test, c.x_test);
    // Every jet lands on exactly one side, with its label (rows of the sample are distinct).
    let mut seen: Vec<Vec<u32>> =
        a.x_train.rows().into_iter().chain(a.x_test.rows()).map(|r| r.iter().map(|v| v.to_bits()).collect()).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 1000);
    let mut count = [0usize; 5];
    a.labels_train().iter().chain(&a.labels_test()).for_each(|&l| count[l] += 1);
    let mut expected = [0usize; 5];
    t.labels.iter().for_each(|&l| expected[l] += 1);
    assert_eq!(count, expected);
    assert!(t.split(0.0, 1).is_err() && t.split(1.0, 1).is_err());
    // A hand-made table with a class index out of range or too few labels is an error.
    let mut bad = t.clone();
    bad.labels[10] = 7;
    assert!(bad.split(0.25, 1).unwrap_err().to_string().contains("row 10: class index 7"));
    bad.labels.truncate(5);
    assert!(bad.split(0.25, 1).is_err());
}
