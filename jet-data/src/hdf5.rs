//! The Zenodo HDF5 files the reference study's code reads (`hls4ml_LHCjet_100p_train` / `_val`):
//! in each file a 2-D dataset `jets` whose columns are named by the 1-D string dataset
//! `jetFeatureNames`; the 16 features and the labels `j_g`, `j_q`, `j_w`, `j_z`, `j_t` are taken
//! by name. A folder is read as all its `.h5`/`.hdf5` files in name order. Needs the cargo
//! feature `hdf5` (the `hdf5-metno` crate on the system's libhdf5, e.g. Debian's
//! `libhdf5-dev`); without it, reading such a path is an error that says so.

use std::path::{Path, PathBuf};

use crate::table::JetTable;
use crate::{Error, Result};

/// The one-hot label columns of the HDF5 files, by class in [`crate::CLASSES`] order (g, q, t, w,
/// z).
pub const LABEL_COLUMNS: [&str; 5] = ["j_g", "j_q", "j_t", "j_w", "j_z"];

/// The files to read: `path` itself, or the `.h5`/`.hdf5` files of a folder in name order.
fn files(path: &Path) -> Result<Vec<PathBuf>> {
    if !path.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(|source| Error::Io { path: path.to_path_buf(), source })?
        .flatten()
        .map(|e| e.path())
        .filter(|p| crate::table::is_h5(p))
        .collect();
    out.sort();
    Ok(out)
}

/// Reads the HDF5 file or folder at `path`.
#[cfg(feature = "hdf5")]
pub fn read_hdf5(path: &Path) -> Result<JetTable> {
    let mut tables = Vec::new();
    for file in files(path)? {
        tables.push(read_file(&file)?);
    }
    let mut it = tables.into_iter();
    let mut all =
        it.next().ok_or_else(|| Error::Invalid { path: path.to_path_buf(), message: "no .h5 files".into() })?;
    for t in it {
        all.features
            .append(ndarray::Axis(0), t.features.view())
            .map_err(|e| Error::Invalid { path: t.source.clone(), message: e.to_string() })?;
        all.labels.extend(t.labels);
    }
    all.source = path.to_path_buf();
    Ok(all)
}

/// Without the `hdf5` feature: an error naming the file and the fix.
#[cfg(not(feature = "hdf5"))]
pub fn read_hdf5(path: &Path) -> Result<JetTable> {
    let _ = files(path)?;
    Err(Error::Invalid {
        path: path.to_path_buf(),
        message: "HDF5 input needs jet-data's cargo feature `hdf5` (and libhdf5, e.g. apt install libhdf5-dev)".into(),
    })
}

#[cfg(feature = "hdf5")]
fn read_file(path: &Path) -> Result<JetTable> {
    use hdf5_metno as h5;
    use ndarray::Array2;

    use crate::FEATURES;
    use crate::table::check_row;

    let fail = |what: &str, e: h5::Error| Error::Invalid { path: path.to_path_buf(), message: format!("{what}: {e}") };
    let file = h5::File::open(path).map_err(|e| fail("not a readable HDF5 file", e))?;
    let names = file.dataset("jetFeatureNames").map_err(|e| fail("dataset jetFeatureNames", e))?;
    let names: Vec<String> = names
        .read_raw::<h5::types::FixedAscii<256>>()
        .map_err(|e| fail("dataset jetFeatureNames (fixed-length ASCII strings)", e))?
        .iter()
        .map(|s| s.as_str().trim_end_matches('\0').trim().to_string())
        .collect();
    let jets = file.dataset("jets").map_err(|e| fail("dataset jets", e))?;
    let shape = jets.shape();
    if shape.len() != 2 || shape[1] != names.len() {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!(
                "dataset jets has shape {shape:?}; expected 2-D with {} columns (jetFeatureNames)",
                names.len()
            ),
        });
    }
    let column = |wanted: &str| {
        names.iter().position(|n| n == wanted).ok_or_else(|| Error::Invalid {
            path: path.to_path_buf(),
            message: format!("jetFeatureNames has no {wanted}"),
        })
    };
    let feature_cols = FEATURES.iter().map(|f| column(f)).collect::<Result<Vec<usize>>>()?;
    let label_cols = LABEL_COLUMNS.iter().map(|f| column(f)).collect::<Result<Vec<usize>>>()?;
    let values = jets.read_raw::<f32>().map_err(|e| fail("dataset jets", e))?;
    let (n, width) = (shape[0], shape[1]);
    if n == 0 {
        return Err(Error::Invalid { path: path.to_path_buf(), message: "dataset jets has no rows".into() });
    }
    let mut features = Array2::<f32>::zeros((n, FEATURES.len()));
    let mut labels = Vec::with_capacity(n);
    for r in 0..n {
        let row = &values[r * width..(r + 1) * width];
        for (k, &c) in feature_cols.iter().enumerate() {
            features[[r, k]] = row[c];
        }
        check_row(path, r, features.row(r).as_slice().unwrap_or(&[])).map_err(|_| Error::Invalid {
            path: path.to_path_buf(),
            message: format!("dataset jets, row {r}: a feature is not finite"),
        })?;
        let hot: Vec<usize> = label_cols.iter().enumerate().filter(|(_, c)| row[**c] == 1.0).map(|(k, _)| k).collect();
        let zeros = label_cols.iter().filter(|&&c| row[c] == 0.0).count();
        match hot.as_slice() {
            [k] if zeros == LABEL_COLUMNS.len() - 1 => labels.push(*k),
            _ => {
                return Err(Error::Invalid {
                    path: path.to_path_buf(),
                    message: format!("dataset jets, row {r}: the labels j_g, j_q, j_t, j_w, j_z are not one-hot"),
                });
            }
        }
    }
    Ok(JetTable { features, labels, source: path.to_path_buf() })
}
