//! `jet-data`: every loader (the `.npy` folder, CSV, ARFF, HDF5, by path), the split, the scaler,
//! saving a sample, the simulator.

use std::path::Path;

use jet_data::simulate::{SimulateOptions, simulate};
use jet_data::{Error, JetSample, Standardiser, load, load_table};
use ndarray::Array2;

use crate::{Case, Class, case, file, is, run_table, tmp, under_a_file};

/// A `.npy` header declaring a float32 matrix of `rows × 16` followed by no data.
fn npy_header(rows: u64) -> Vec<u8> {
    let mut dict = format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, 16), }}");
    while (10 + dict.len() + 1) % 64 != 0 {
        dict.push(' ');
    }
    dict.push('\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    b.extend_from_slice(dict.as_bytes());
    b
}

/// A CSV of OpenML's layout with `rows` after the header.
fn csv(rows: &[&str]) -> String {
    let mut s = String::from("class");
    for f in jet_data::FEATURES {
        s += &format!(",{f}");
    }
    s.push('\n');
    for r in rows {
        s += r;
        s.push('\n');
    }
    s
}

fn row(class: &str, v: &str) -> String {
    format!("{class}{}", format!(",{v}").repeat(16))
}

#[test]
fn jet_data() {
    let dir = tmp("jet-data");
    let truncated = test_support::tiny_npy_folder(&dir.join("truncated")).to_path_buf();
    let bytes = std::fs::read(truncated.join("X_train_val.npy")).unwrap();
    std::fs::write(truncated.join("X_train_val.npy"), &bytes[..bytes.len() / 2]).unwrap();
    let nan = test_support::tiny_npy_folder(&dir.join("nan")).to_path_buf();
    let mut x = Array2::<f32>::zeros((2, 16));
    x[[1, 3]] = f32::NAN;
    test_support::write_npy(&nan, "X_test.npy", &x);
    let columns = test_support::tiny_npy_folder(&dir.join("columns")).to_path_buf();
    test_support::write_npy(&columns, "X_test.npy", &Array2::zeros((2, 15)));
    let absurd = test_support::tiny_npy_folder(&dir.join("absurd")).to_path_buf();
    std::fs::write(absurd.join("X_test.npy"), npy_header(1 << 40)).unwrap();
    let garbage_gz = test_support::tiny_npy_folder(&dir.join("gz")).to_path_buf();
    std::fs::remove_file(garbage_gz.join("y_test.npy")).unwrap();
    file(&garbage_gz, "y_test.npy.gz", "not gzip at all");
    let (r0, r1) = (row("g", "0.5"), row("q", "0.25"));
    let cut = file(&dir, "cut.csv", csv(&[&r0, &r1, "t,0.5,0.5"]));
    let csv_nan = file(&dir, "nan.csv", csv(&[&r0, &row("q", "nan")]));
    let csv_class = file(&dir, "class.csv", csv(&[&r0, &row("x", "0.5")]));
    let arff = file(&dir, "junk.arff", "@relation jets\n@data\n1,2,3\n");
    let h5 = file(&dir, "junk.h5", "not hdf5");
    let parquet = file(&dir, "jets.parquet", "x");
    let good_csv = file(&dir, "good.csv", csv(&[&r0, &r1, &r0, &r1]));
    let existing = test_support::tiny_npy_folder(&dir.join("existing")).to_path_buf();
    let unwritable = under_a_file(&dir, "out");
    let sim_out = dir.join("simulated");

    let load_dir = |entry, class, p: &Path| {
        case(entry, class, {
            let p = p.to_path_buf();
            move || JetSample::load(&p).map(drop)
        })
    };
    let table = |class, p: &Path| {
        case("load_table", class, {
            let p = p.to_path_buf();
            move || load_table(&p).map(drop)
        })
    };
    let cases: Vec<Case<Error>> = vec![
        is!(load_dir("JetSample::load", Class::Missing, &dir.join("nowhere")), Error::Io { .. })
            .names("X_train_val.npy"),
        is!(load_dir("JetSample::load", Class::Truncated, &truncated), Error::Npy { .. }).names("X_train_val.npy"),
        is!(load_dir("JetSample::load", Class::Garbage, &garbage_gz), Error::Npy { .. } | Error::Io { .. })
            .names("y_test.npy.gz"),
        is!(load_dir("JetSample::load", Class::NonFinite, &nan), Error::Invalid { .. })
            .names("X_test.npy")
            .names("row 1"),
        is!(load_dir("JetSample::load", Class::WrongShape, &columns), Error::Invalid { .. } | Error::Columns { .. })
            .names("X_test.npy")
            .names("15 feature columns"),
        is!(load_dir("JetSample::load", Class::Absurd, &absurd), Error::Npy { .. }).names("X_test.npy"),
        is!(table(Class::Missing, &dir.join("none.csv")), Error::Io { .. }).names("none.csv"),
        is!(table(Class::Truncated, &cut), Error::Invalid { .. }).names("cut.csv").names("line 4"),
        is!(table(Class::NonFinite, &csv_nan), Error::Invalid { .. }).names("nan.csv").names("line 3"),
        is!(table(Class::BadValue, &csv_class), Error::Invalid { .. }).names("class.csv").names("line 3"),
        is!(table(Class::Garbage, &arff), Error::Invalid { .. }).names("junk.arff"),
        is!(table(Class::Garbage, &h5), Error::Invalid { .. }).names("junk.h5"),
        is!(table(Class::Unknown, &parquet), Error::Invalid { .. }).names("jets.parquet"),
        {
            let p = good_csv.clone();
            is!(case("load", Class::BadValue, move || load(&p, 1.5, 1).map(drop)), Error::Invalid { .. })
                .names("test fraction 1.5")
        },
        {
            let p = good_csv.clone();
            is!(case("load", Class::NonFinite, move || load(&p, f64::NAN, 1).map(drop)), Error::Invalid { .. })
                .names("good.csv")
        },
        is!(
            case("Standardiser::apply", Class::WrongShape, || {
                Standardiser::fit(&Array2::<f32>::zeros((3, 16))).apply(&Array2::<f32>::zeros((3, 15))).map(drop)
            }),
            Error::Columns { expected: 16, found: 15 }
        ),
        {
            let p = existing.clone();
            is!(
                case("JetSample::save", Class::Unwritable, move || JetSample::builtin()?.save(&p, &[])),
                Error::Invalid { .. }
            )
            .names("exists already")
        },
        {
            let p = unwritable.clone();
            is!(
                case("JetSample::save", Class::Unwritable, move || JetSample::builtin()?.save(&p, &[])),
                Error::Io { .. }
            )
            .names("a-file")
            .leaves_no(&unwritable)
        },
        {
            let p = sim_out.clone();
            is!(
                case("simulate", Class::Missing, move || {
                    let opts = SimulateOptions { python: "/nonexistent/python".into(), ..SimulateOptions::new(5, &p) };
                    simulate(&opts, &mut |_, _| {})
                }),
                Error::Simulator(_)
            )
            .names("/nonexistent/python")
            .leaves_no(&sim_out)
        },
        {
            let p = sim_out.clone();
            is!(
                case("simulate", Class::BadValue, move || simulate(&SimulateOptions::new(0, &p), &mut |_, _| {})),
                Error::Simulator(_)
            )
            .names("per-class")
            .leaves_no(&sim_out)
        },
    ];
    run_table("jet-data", cases);
}
