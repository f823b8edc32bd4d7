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

/// Rows of `jets` read (and checked) at a time.
#[cfg(feature = "hdf5")]
const ROWS_PER_READ: usize = 4096;

/// The most column names (`jetFeatureNames`) a file may have (the Zenodo files have 59).
#[cfg(feature = "hdf5")]
const MAX_COLUMNS: usize = 65_536;

#[cfg(feature = "hdf5")]
fn read_file(path: &Path) -> Result<JetTable> {
    use hdf5_metno as h5;
    use ndarray::Array2;

    use crate::FEATURES;
    use crate::table::check_row;

    let fail = |what: &str, e: h5::Error| Error::Invalid { path: path.to_path_buf(), message: format!("{what}: {e}") };
    let file = h5::File::open(path).map_err(|e| fail("not a readable HDF5 file", e))?;
    let names = file.dataset("jetFeatureNames").map_err(|e| fail("dataset jetFeatureNames", e))?;
    // Checked before reading: a chunked dataset can declare far more names than the file stores.
    if names.size() > MAX_COLUMNS {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!("dataset jetFeatureNames holds {} names; at most {MAX_COLUMNS} are read", names.size()),
        });
    }
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
    let (n, width) = (shape[0], shape[1]);
    if n == 0 {
        return Err(Error::Invalid { path: path.to_path_buf(), message: "dataset jets has no rows".into() });
    }
    // Read in blocks of rows, each checked before the next is read: the memory taken is that of
    // the rows read, whatever first dimension the file declares (a chunked dataset of a few bytes
    // can declare 2^40 rows, which read at once would exhaust memory).
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    let mut start = 0;
    while start < n {
        let end = n.min(start + ROWS_PER_READ);
        let rows = h5::Hyperslab::from(vec![h5::SliceOrIndex::from(start..end), h5::SliceOrIndex::from(..)]);
        let block = jets.read_slice_2d::<f32, _>(rows).map_err(|e| fail("dataset jets", e))?;
        let values: Vec<f32> = block.iter().copied().collect();
        for (i, row) in values.chunks_exact(width.max(1)).enumerate() {
            let r = start + i;
            let feats: Vec<f32> = feature_cols.iter().map(|&c| row[c]).collect();
            check_row(path, r, &feats).map_err(|_| Error::Invalid {
                path: path.to_path_buf(),
                message: format!("dataset jets, row {r}: a feature is not finite"),
            })?;
            features.extend_from_slice(&feats);
            let hot: Vec<usize> =
                label_cols.iter().enumerate().filter(|(_, c)| row[**c] == 1.0).map(|(k, _)| k).collect();
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
        start = end;
    }
    let features = Array2::from_shape_vec((labels.len(), FEATURES.len()), features)
        .map_err(|e| Error::Invalid { path: path.to_path_buf(), message: e.to_string() })?;
    Ok(JetTable { features, labels, source: path.to_path_buf() })
}
