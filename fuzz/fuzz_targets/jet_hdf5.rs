//! Fuzz target (cargo feature `hdf5`): the HDF5 reader of `jet-data` (`hdf5::read_hdf5`). libhdf5
//! is a C library with its own fuzzing; raw bytes would mostly exercise it, not us. Instead the
//! input describes a file that this target writes with `hdf5-metno` (one file per run, reused):
//! whether `jetFeatureNames` exists, its string type (fixed-length ASCII of 256 or 16 bytes,
//! variable-length UTF-8), whether it declares 2^40 entries (chunked) of which it stores these,
//! and its entries (the 16 features, the 5 labels, other names, repeats,
//! in any order); whether `jets` exists, its element type (f32, f64, i32, u8), rank (1–3),
//! shape (small, or a huge declared first dimension with chunked storage and only the first
//! rows written) and values (one-hot labels, broken labels, NaN/±inf, ordinary numbers). The
//! reader must answer with a table or a typed error; a table is split. A panic, an abort or an
//! allocation far beyond the data written is a bug.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use h5::types::{FixedAscii, VarLenUnicode};
use hdf5_metno as h5;
use jet_data::hdf5::LABEL_COLUMNS;
use jet_data::{FEATURES, hdf5::read_hdf5};
use libfuzzer_sys::fuzz_target;
use ndarray::{ArrayD, Dimension, IxDyn, s};

#[path = "mutations.rs"]
#[allow(dead_code)]
mod mutations;

use mutations::Cursor;

/// Other names a file may hold.
const OTHER: [&str; 4] = ["j_pt", "", "j_zlogz ", "J_G"];

/// The file this process writes (in a folder of its own under the system's temporary folder).
fn file() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("jet-hdf5-fuzz-{}", std::process::id()));
        let _ = std::fs::create_dir_all(&dir);
        dir.join("jets.h5")
    })
}

/// A column name: a feature, a label or another name.
fn name(c: &mut Cursor<'_>) -> Option<&'static str> {
    let k = usize::from(c.byte()?) % (FEATURES.len() + LABEL_COLUMNS.len() + OTHER.len());
    Some(if k < FEATURES.len() {
        FEATURES[k]
    } else if k < FEATURES.len() + LABEL_COLUMNS.len() {
        LABEL_COLUMNS[k - FEATURES.len()]
    } else {
        OTHER[k - FEATURES.len() - LABEL_COLUMNS.len()]
    })
}

/// Writes `jetFeatureNames` as strings of type `T`; with `huge`, as the first entries of a
/// chunked dataset that declares 2^40 of them.
fn write_names<T: h5::H5Type>(f: &h5::File, names: &[T], huge: bool) -> h5::Result<()> {
    if !huge {
        return f.new_dataset_builder().with_data(names).create("jetFeatureNames").map(|_| ());
    }
    let ds = f.new_dataset::<T>().shape(1usize << 40).chunk(64).create("jetFeatureNames")?;
    if names.is_empty() { Ok(()) } else { ds.write_slice(names, 0..names.len()) }
}

/// Writes `jets` as `T`: `shape`, of which the first `rows` rows (of the first dimension) hold
/// `values`; chunked when the declared first dimension is larger (only for 2-D shapes).
fn write_jets<T: h5::H5Type + Copy>(
    f: &h5::File,
    shape: &[usize],
    rows: usize,
    values: impl Fn(usize) -> T,
) -> h5::Result<()> {
    let row_len: usize = shape[1..].iter().product();
    let mut written = shape.to_vec();
    written[0] = rows;
    let data = ArrayD::from_shape_fn(IxDyn(&written), |ix| {
        let flat = ix.slice().iter().zip(&written).fold(0, |acc, (&i, &n)| acc * n + i);
        values(flat / row_len.max(1) * 1000 + flat % row_len.max(1))
    });
    if rows == shape[0] {
        f.new_dataset_builder().with_data(&data).create("jets").map(|_| ())
    } else {
        let mut chunk = shape.to_vec();
        chunk[0] = rows.clamp(1, 64);
        let chunk: Vec<usize> = chunk.iter().map(|&d| d.max(1)).collect();
        let ds = f.new_dataset::<T>().shape(shape).chunk(chunk).create("jets")?;
        if rows > 0 { ds.write_slice(&data, s![0..rows, ..]) } else { Ok(()) }
    }
}

/// Writes the file the input describes; `None` when the input runs out first.
fn describe(c: &mut Cursor<'_>) -> Option<h5::Result<()>> {
    let f = match h5::File::create(file()) {
        Ok(f) => f,
        Err(e) => return Some(Err(e)),
    };
    let mut names: Vec<&str> = Vec::new();
    let has_names = c.byte()?;
    if has_names % 8 != 0 {
        if has_names % 8 == 1 {
            names.extend(FEATURES);
            names.extend(LABEL_COLUMNS);
        }
        for _ in 0..c.byte()? % 8 {
            let n = name(c)?;
            let at = c.index(names.len() + 1)?;
            names.insert(at, n);
        }
        let kind = c.byte()?;
        let huge = kind >= 0xF8;
        let r = match kind % 3 {
            0 => write_names(
                &f,
                &names.iter().map(|n| FixedAscii::<256>::from_ascii(n).ok()).collect::<Option<Vec<_>>>()?,
                huge,
            ),
            1 => match names.iter().map(|n| FixedAscii::<16>::from_ascii(n).ok()).collect::<Option<Vec<_>>>() {
                Some(v) => write_names(&f, &v, huge),
                None => Ok(()),
            },
            _ => write_names(
                &f,
                &names.iter().map(|n| n.parse::<VarLenUnicode>().ok()).collect::<Option<Vec<_>>>()?,
                huge,
            ),
        };
        if let Err(e) = r {
            return Some(Err(e));
        }
    }
    let jets = c.byte()?;
    if jets % 8 == 0 {
        return Some(Ok(()));
    }
    let rows = usize::from(c.byte()? % 40);
    let width = if c.byte()? % 4 == 0 { usize::from(c.byte()? % 30) } else { names.len() };
    let shape = match jets % 5 {
        0 => vec![rows * width.max(1)],
        4 => vec![rows, width, 1 + usize::from(c.byte()? % 3)],
        _ => vec![rows, width],
    };
    let huge = c.byte()?;
    let (mut declared, written) = (shape.clone(), shape[0]);
    if huge >= 0xF0 && shape.len() == 2 {
        declared[0] = [1 << 20, 1 << 31, 1 << 40, usize::MAX >> 8][usize::from(huge % 4)];
    }
    // One label per row, a broken one now and then; values from the rest of the input.
    let labels: Vec<u8> = (0..written.max(1)).map(|_| c.byte().unwrap_or(0) % 7).collect();
    let raw: Vec<u8> = c.bytes[c.pos.min(c.bytes.len())..].to_vec();
    let value = move |code: usize| -> f64 {
        let (row, col) = (code / 1000, code % 1000);
        let col_name = names.get(col).copied().unwrap_or("");
        let label = labels[row.min(labels.len() - 1)];
        if let Some(k) = LABEL_COLUMNS.iter().position(|l| *l == col_name) {
            return match label {
                5 => 1.0,
                6 => 0.5,
                _ => f64::from(u8::from(usize::from(label) == k)),
            };
        }
        let b = if raw.is_empty() { 0 } else { raw[(row * 31 + col) % raw.len()] };
        match b {
            0 => f64::NAN,
            1 => f64::INFINITY,
            2 => f64::NEG_INFINITY,
            3 => 1e300,
            _ => f64::from(b as i8) / 8.0,
        }
    };
    Some(match (jets / 8) % 4 {
        0 => write_jets(&f, &declared, written, |k| value(k) as f32),
        1 => write_jets(&f, &declared, written, value),
        2 => write_jets(&f, &declared, written, |k| {
            let v = value(k);
            if v.is_finite() { v.clamp(-1e9, 1e9) as i32 } else { i32::MIN }
        }),
        _ => write_jets(&f, &declared, written, |k| value(k).clamp(0.0, 255.0) as u8),
    })
}

fuzz_target!(|data: &[u8]| {
    let mut c = Cursor { bytes: data, pos: 0 };
    match describe(&mut c) {
        Some(Ok(())) => {}
        _ => return,
    }
    if let Ok(table) = read_hdf5(file()) {
        let _ = table.split(0.25, 1);
    }
});
