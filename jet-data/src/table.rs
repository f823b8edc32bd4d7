//! A labelled table of jets from any of the supported formats, the format detected from the path,
//! and the seeded split of a table into a [`JetSample`].

use std::path::{Path, PathBuf};

use ndarray::Array2;

use crate::{CLASSES, Error, FEATURES, JetSample, Result};

/// Jets read from one source: features `[n, 16]` in [`FEATURES`] order and class indices in
/// [`CLASSES`] order.
#[derive(Debug, Clone, PartialEq)]
pub struct JetTable {
    /// Features, one row per jet.
    pub features: Array2<f32>,
    /// Class index of each jet (into [`CLASSES`]).
    pub labels: Vec<usize>,
    /// Where the jets came from.
    pub source: PathBuf,
}

/// The data formats physicists have the jets in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A folder in the hls4ml tutorial layout (`X_train_val.npy`, `y_train_val.npy`, `X_test.npy`,
    /// `y_test.npy`, each optionally `.gz`).
    NpyFolder,
    /// OpenML 42468 (`hls4ml_lhc_jets_hlf`) as CSV: a header naming the 16 features and a `class`
    /// column with `g`, `q`, `t`, `w`, `z` (`.csv`, optionally `.gz`).
    Csv,
    /// The same table as ARFF (`.arff`, optionally `.gz`).
    Arff,
    /// The Zenodo HDF5 files the paper's code reads (`.h5`, `.hdf5`, or a folder of them):
    /// dataset `jets` with its column names in `jetFeatureNames` (feature `hdf5`).
    Hdf5,
}

impl Format {
    /// The format of `path`: a folder holding `.h5` files is HDF5, any other folder the `.npy`
    /// layout; files by extension (a trailing `.gz` is looked through).
    pub fn detect(path: &Path) -> Result<Format> {
        if path.is_dir() {
            let has_h5 = std::fs::read_dir(path)
                .map_err(|source| Error::Io { path: path.to_path_buf(), source })?
                .flatten()
                .any(|e| is_h5(&e.path()));
            return Ok(if has_h5 { Format::Hdf5 } else { Format::NpyFolder });
        }
        let name = path.file_name().map(|n| n.to_string_lossy().to_lowercase()).unwrap_or_default();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".csv") {
            Ok(Format::Csv)
        } else if name.ends_with(".arff") {
            Ok(Format::Arff)
        } else if is_h5(path) {
            Ok(Format::Hdf5)
        } else {
            Err(Error::Invalid {
                path: path.to_path_buf(),
                message: "unknown data format: expected a .npy folder, .csv, .arff, .h5 or .hdf5".into(),
            })
        }
    }
}

/// Whether `path` names an HDF5 file (`.h5` or `.hdf5`, any case).
pub(crate) fn is_h5(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("h5") || e.eq_ignore_ascii_case("hdf5"))
}

/// Reads the jets at `path` in the format its path says ([`Format::detect`]); a `.npy` folder
/// gives its training and test splits together (training first).
pub fn load_table(path: impl AsRef<Path>) -> Result<JetTable> {
    let path = path.as_ref();
    match Format::detect(path)? {
        Format::NpyFolder => {
            let s = JetSample::load(path)?;
            let mut features = s.x_train.clone();
            features
                .append(ndarray::Axis(0), s.x_test.view())
                .map_err(|e| Error::Invalid { path: path.to_path_buf(), message: e.to_string() })?;
            let mut labels = s.labels_train();
            labels.extend(s.labels_test());
            Ok(JetTable { features, labels, source: path.to_path_buf() })
        }
        Format::Csv => crate::text::read_csv(path),
        Format::Arff => crate::text::read_arff(path),
        Format::Hdf5 => crate::hdf5::read_hdf5(path),
    }
}

/// Reads a data set as training and test splits: a `.npy` folder keeps its own split; any other
/// format is split by [`JetTable::split`] with `test_fraction` and `seed`.
pub fn load(path: impl AsRef<Path>, test_fraction: f64, seed: u64) -> Result<JetSample> {
    let path = path.as_ref();
    match Format::detect(path)? {
        Format::NpyFolder => JetSample::load(path),
        _ => load_table(path)?.split(test_fraction, seed),
    }
}

impl JetTable {
    /// A seeded split into training and test jets: a Fisher–Yates shuffle by SplitMix64 from
    /// `seed`, the first `round(n · test_fraction)` shuffled jets for testing (each side in its
    /// original order). Errors when a side would be empty.
    pub fn split(&self, test_fraction: f64, seed: u64) -> Result<JetSample> {
        let n = self.labels.len();
        if self.features.nrows() != n || self.features.ncols() != FEATURES.len() {
            return Err(Error::Invalid {
                path: self.source.clone(),
                message: format!("{} labels for a {:?} feature matrix", n, self.features.shape()),
            });
        }
        if let Some(r) = self.labels.iter().position(|&l| l >= CLASSES.len()) {
            return Err(Error::Invalid {
                path: self.source.clone(),
                message: format!("row {r}: class index {} is not below {}", self.labels[r], CLASSES.len()),
            });
        }
        let n_test = (n as f64 * test_fraction).round() as usize;
        if !(0.0..1.0).contains(&test_fraction) || n_test == 0 || n_test >= n {
            return Err(Error::Invalid {
                path: self.source.clone(),
                message: format!("test fraction {test_fraction} of {n} jets leaves a split empty"),
            });
        }
        let mut idx: Vec<usize> = (0..n).collect();
        let mut state = seed;
        for i in (1..n).rev() {
            let j = (splitmix64(&mut state) % (i as u64 + 1)) as usize;
            idx.swap(i, j);
        }
        let (mut test, mut train) = (idx[..n_test].to_vec(), idx[n_test..].to_vec());
        test.sort_unstable();
        train.sort_unstable();
        let take = |rows: &[usize]| {
            let x = self.features.select(ndarray::Axis(0), rows);
            let mut y = Array2::<f32>::zeros((rows.len(), CLASSES.len()));
            for (r, &i) in rows.iter().enumerate() {
                y[[r, self.labels[i]]] = 1.0;
            }
            (x, y)
        };
        let ((x_train, y_train), (x_test, y_test)) = (take(&train), take(&test));
        Ok(JetSample { x_train, y_train, x_test, y_test, source: self.source.clone() })
    }
}

/// The SplitMix64 generator step.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Checks one row of features read from `path` (line `line`): every value finite.
pub(crate) fn check_row(path: &Path, line: usize, row: &[f32]) -> Result<()> {
    if let Some(k) = row.iter().position(|v| !v.is_finite()) {
        return Err(Error::Invalid {
            path: path.to_path_buf(),
            message: format!("line {line}: feature {} is {}", FEATURES[k], row[k]),
        });
    }
    Ok(())
}
