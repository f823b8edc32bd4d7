//! The reader entry points the path-based loaders are built on (`text::parse_csv`,
//! `text::parse_arff`, `JetSample::from_readers`) read the same jets as the loaders, and the
//! inputs the fuzz targets (`fuzz/`) found to crash or exhaust memory are typed errors.

use std::io::Write;
use std::path::Path;

use jet_data::text::{parse_arff, parse_csv, read_arff, read_csv};
use jet_data::{CLASSES, Error, FEATURES, JetSample, NPY_STEMS};
use ndarray::Array2;
use ndarray_npy::WriteNpyExt;

/// A CSV header and three jets, one per class `g`, `t`, `z`.
fn csv() -> String {
    let mut s = FEATURES.join(",") + ",class\n";
    for (r, class) in ["g", "t", "z"].iter().enumerate() {
        let row: Vec<String> = (0..FEATURES.len()).map(|k| format!("{}", r * 16 + k)).collect();
        s += &format!("{},{class}\n", row.join(","));
    }
    s
}

/// The same jets as ARFF.
fn arff() -> String {
    let mut s = String::from("@relation jets\n");
    for f in FEATURES {
        s += &format!("@attribute {f} numeric\n");
    }
    s += "@attribute class {g,q,t,w,z}\n@data\n";
    s + csv().split_once('\n').unwrap().1
}

#[test]
fn text_parsers_read_what_the_file_readers_read() {
    let d = tempfile::tempdir().unwrap();
    let (c, a) = (d.path().join("jets.csv"), d.path().join("jets.arff"));
    std::fs::write(&c, csv()).unwrap();
    std::fs::write(&a, arff()).unwrap();
    let from_file = read_csv(&c).unwrap();
    assert_eq!(parse_csv(csv().as_bytes(), &c).unwrap(), from_file);
    assert_eq!(from_file.labels, vec![0, 2, 4]);
    assert_eq!(parse_arff(arff().as_bytes(), &a).unwrap(), read_arff(&a).unwrap());
    // Errors name the source given and the line.
    let bad = csv().replace(",t\n", ",x\n");
    let m = parse_csv(bad.as_bytes(), Path::new("in-memory.csv")).unwrap_err().to_string();
    assert!(m.contains("in-memory.csv") && m.contains("line 3") && m.contains("unknown class"), "{m}");
}

/// The four matrices of a small valid sample, as `.npy` bytes in [`NPY_STEMS`] order.
fn npy_files() -> Vec<Vec<u8>> {
    let x = |n| Array2::from_shape_fn((n, 16), |(r, k)| (r * 16 + k) as f32);
    let y = |n| Array2::from_shape_fn((n, CLASSES.len()), |(r, k)| f32::from(u8::from(k == r % 5)));
    [x(4), y(4), x(2), y(2)]
        .iter()
        .map(|m| {
            let mut b = Vec::new();
            m.write_npy(&mut b).unwrap();
            b
        })
        .collect()
}

#[test]
fn from_readers_reads_what_load_reads() {
    let d = tempfile::tempdir().unwrap();
    let files = npy_files();
    for (stem, bytes) in NPY_STEMS.iter().zip(&files) {
        std::fs::File::create(d.path().join(format!("{stem}.npy"))).unwrap().write_all(bytes).unwrap();
    }
    let loaded = JetSample::load(d.path()).unwrap();
    let read = JetSample::from_readers(d.path(), [&files[0][..], &files[1][..], &files[2][..], &files[3][..]]).unwrap();
    assert_eq!(
        (read.x_train, read.y_train, read.x_test, read.y_test),
        (loaded.x_train, loaded.y_train, loaded.x_test, loaded.y_test)
    );
}

/// The `.npy` file `file` (version 1.0) with its header rewritten to declare `shape`; the data
/// stays as it is.
fn with_shape(file: &[u8], shape: &str) -> Vec<u8> {
    let old_len = usize::from(u16::from_le_bytes([file[8], file[9]]));
    let data = &file[10 + old_len..];
    let mut header = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}");
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&u16::try_from(header.len()).unwrap().to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

/// Fuzz find (`jet_npy`): a header whose shape declares far more values than the file holds made
/// ndarray-npy allocate them all before reading (`vec![0.0; len]`): 2^44 values abort the process
/// ("memory allocation failed"). The declared size is now checked against the bytes that follow
/// the header first.
#[test]
fn a_header_declaring_more_values_than_the_file_holds_is_an_error() {
    let files = npy_files();
    for shape in ["(1099511627776, 16)", "(4096, 4096)", "(3, 16)"] {
        let x_test = with_shape(&files[2], shape);
        let r = JetSample::from_readers(Path::new("dir"), [&files[0][..], &files[1][..], &x_test[..], &files[3][..]]);
        match r {
            Err(Error::Npy { path, message }) => {
                assert!(path.ends_with("X_test.npy"), "{}", path.display());
                assert!(message.contains("data bytes follow"), "{shape}: {message}");
            }
            other => panic!("{shape}: {other:?}"),
        }
    }
}

/// The same check for a version 2 header whose length field points past the end of the file
/// (ndarray-npy allocated the claimed header length, up to 4 GiB, before reading it).
#[test]
fn a_header_longer_than_the_file_is_an_error() {
    let files = npy_files();
    let mut x_test = files[2].clone();
    x_test[6] = 2; // version 2.0: a 4-byte header length, here the old length and `{'`: ~660 MB
    let r = JetSample::from_readers(Path::new("dir"), [&files[0][..], &files[1][..], &x_test[..], &files[3][..]]);
    match r {
        Err(Error::Npy { message, .. }) => assert!(message.contains("the header claims"), "{message}"),
        other => panic!("{other:?}"),
    }
}

/// An HDF5 file with the 21 named columns and a `jets` dataset written by `write` (its
/// `hdf5_metno::Dataset` builder gets the file).
#[cfg(feature = "hdf5")]
fn h5_file(path: &Path, write: impl FnOnce(&hdf5_metno::File, usize)) {
    use hdf5_metno::types::FixedAscii;
    use jet_data::hdf5::LABEL_COLUMNS;
    let f = hdf5_metno::File::create(path).unwrap();
    let names: Vec<FixedAscii<256>> =
        FEATURES.iter().chain(LABEL_COLUMNS.iter()).map(|n| FixedAscii::from_ascii(n).unwrap()).collect();
    f.new_dataset_builder().with_data(names.as_slice()).create("jetFeatureNames").unwrap();
    write(&f, names.len());
}

/// Fuzz find (`jet_hdf5`): a chunked `jets` dataset may declare far more rows than the file
/// stores (here 2^40 rows of 21 columns in a file of a few kilobytes); the reader read the whole
/// dataset at once and aborted allocating 2^40 · 21 floats. It now reads blocks of rows, each
/// checked before the next, so the unwritten rows (fill value 0: no label set) are an error at
/// row 0.
#[cfg(feature = "hdf5")]
#[test]
fn an_hdf5_dataset_declaring_more_rows_than_it_stores_is_an_error_not_an_abort() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("huge.h5");
    h5_file(&path, |f, width| {
        f.new_dataset::<f32>().shape((1usize << 40, width)).chunk((64, width)).create("jets").unwrap();
    });
    let e = jet_data::hdf5::read_hdf5(&path).unwrap_err().to_string();
    assert!(e.contains("huge.h5") && e.contains("row 0") && e.contains("not one-hot"), "{e}");
}

/// Reading in blocks keeps every row, across block boundaries, in order.
#[cfg(feature = "hdf5")]
#[test]
fn hdf5_rows_across_read_blocks_are_all_kept() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("many.h5");
    let rows = 9_000;
    h5_file(&path, |f, width| {
        let values: Vec<f32> = (0..rows * width)
            .map(|k| {
                let (r, c) = (k / width, k % width);
                if c < FEATURES.len() { (r * 16 + c) as f32 } else { f32::from(u8::from(c - FEATURES.len() == r % 5)) }
            })
            .collect();
        f.new_dataset::<f32>().shape((rows, width)).create("jets").unwrap().write_raw(values.as_slice()).unwrap();
    });
    let t = jet_data::hdf5::read_hdf5(&path).unwrap();
    assert_eq!(t.features.dim(), (rows, FEATURES.len()));
    for r in [0, 4095, 4096, 8191, 8192, rows - 1] {
        assert_eq!(t.features[[r, 3]], (r * 16 + 3) as f32, "row {r}");
        // LABEL_COLUMNS is g, q, t, w, z in CLASSES order.
        assert_eq!(t.labels[r], r % 5, "row {r}");
    }
}

/// The same for the column names: a chunked `jetFeatureNames` declaring 2^40 names (none stored)
/// made the reader allocate 2^40 · 256 bytes and abort; more than 65,536 names are now an error
/// before anything is read.
#[cfg(feature = "hdf5")]
#[test]
fn an_hdf5_name_list_declaring_2_to_the_40_names_is_an_error_not_an_abort() {
    let d = tempfile::tempdir().unwrap();
    let path = d.path().join("names.h5");
    let f = hdf5_metno::File::create(&path).unwrap();
    f.new_dataset::<hdf5_metno::types::FixedAscii<256>>()
        .shape(1usize << 40)
        .chunk(64)
        .create("jetFeatureNames")
        .unwrap();
    drop(f);
    let e = jet_data::hdf5::read_hdf5(&path).unwrap_err().to_string();
    assert!(e.contains("names.h5") && e.contains("jetFeatureNames holds 1099511627776 names"), "{e}");
}

/// Fuzz find (`jet_npy`, a timeout): a header of a few hundred bytes with deeply nested brackets
/// (`'shape': (8, { ({{{{…`) kept the Python-literal parser (`py_literal`, also used by
/// ndarray-npy) busy for minutes, its time exponential in the depth. Headers nested more than 8
/// deep are now refused before parsing.
#[test]
fn a_deeply_nested_header_is_refused_quickly() {
    let files = npy_files();
    let shape = format!("(2, 16, {}{})", "{".repeat(40), "}".repeat(40));
    let x_test = with_shape(&files[2], &shape);
    let start = std::time::Instant::now();
    let r = JetSample::from_readers(Path::new("dir"), [&files[0][..], &files[1][..], &x_test[..], &files[3][..]]);
    match r {
        Err(Error::Npy { message, .. }) => assert!(message.contains("nests brackets 42 deep"), "{message}"),
        other => panic!("{other:?}"),
    }
    assert!(start.elapsed().as_secs() < 5, "took {:?}", start.elapsed());
}
