//! A jet sample in the hls4ml tutorial `.npy` layout: `X_train_val`, `y_train_val`, `X_test`,
//! `y_test`, each `.npy` or gzip-compressed `.npy.gz`.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use ndarray::Array2;
use ndarray_npy::ReadNpyExt;

use crate::{Error, Result};

/// The 16 high-level features, in the column order of OpenML 42468 and of the hls4ml tutorial
/// files: all but the multiplicity are computed on the soft-drop (mMDT) groomed jet.
pub const FEATURES: [&str; 16] = [
    "j_zlogz",
    "j_c1_b0_mmdt",
    "j_c1_b1_mmdt",
    "j_c1_b2_mmdt",
    "j_c2_b1_mmdt",
    "j_c2_b2_mmdt",
    "j_d2_b1_mmdt",
    "j_d2_b2_mmdt",
    "j_d2_a1_b1_mmdt",
    "j_d2_a1_b2_mmdt",
    "j_m2_b1_mmdt",
    "j_m2_b2_mmdt",
    "j_n2_b1_mmdt",
    "j_n2_b2_mmdt",
    "j_mass_mmdt",
    "j_multiplicity",
];

/// The stems of the four files of the hls4ml `.npy` layout (features and one-hot labels of the
/// training/validation split, then of the test split), in the order [`JetSample::from_readers`]
/// takes them.
pub const NPY_STEMS: [&str; 4] = ["X_train_val", "y_train_val", "X_test", "y_test"];

/// The classes in the one-hot column order of the hls4ml tutorial files: gluon, light quark,
/// top, W, Z.
pub const CLASSES: [&str; 5] = ["g", "q", "t", "w", "z"];

/// A training/validation split and a test split of jets: features `[n, 16]` and one-hot labels
/// `[n, 5]` in [`CLASSES`] order.
#[derive(Debug, Clone)]
pub struct JetSample {
    /// Training and validation features.
    pub x_train: Array2<f32>,
    /// Training and validation labels, one-hot.
    pub y_train: Array2<f32>,
    /// Test features.
    pub x_test: Array2<f32>,
    /// Test labels, one-hot.
    pub y_test: Array2<f32>,
    /// The folder the sample was read from.
    pub source: PathBuf,
}

impl JetSample {
    /// The folder of the shipped sample (simulated with the project's own simulator; see its
    /// `COMMAND.md` and `meta.json`).
    pub fn builtin_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample")
    }

    /// Reads the shipped sample.
    pub fn builtin() -> Result<Self> {
        Self::load(Self::builtin_dir())
    }

    /// Reads a sample folder in the hls4ml `.npy` layout (each file plain or `.gz`) and checks it:
    /// 16 finite feature columns, one-hot labels with 5 columns, matching row counts.
    pub fn load(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        let mut files = Vec::with_capacity(NPY_STEMS.len());
        for stem in NPY_STEMS {
            files.push(open_matrix(dir, stem)?);
        }
        Self::from_named(dir, files)
    }

    /// Reads a sample from the contents of its four `.npy` files (uncompressed; float32, little-
    /// or big-endian), given in [`NPY_STEMS`] order, and checks it as [`JetSample::load`] does.
    /// `dir` names the files in errors (`<dir>/<stem>.npy`) and becomes [`JetSample::source`].
    pub fn from_readers<R: Read>(dir: &Path, readers: [R; 4]) -> Result<Self> {
        let files = NPY_STEMS.iter().zip(readers).map(|(stem, r)| (dir.join(format!("{stem}.npy")), r)).collect();
        Self::from_named(dir, files)
    }

    /// Reads and checks the four matrices (path, reader) in [`NPY_STEMS`] order.
    fn from_named<R: Read>(dir: &Path, files: Vec<(PathBuf, R)>) -> Result<Self> {
        let mut m = Vec::with_capacity(files.len());
        for (path, reader) in files {
            m.push((read_npy_matrix(&path, reader)?, path));
        }
        let mut m = m.into_iter();
        let mut next =
            || m.next().ok_or_else(|| Error::Invalid { path: dir.to_path_buf(), message: "missing matrix".into() });
        let ((x_train, px), (y_train, py), (x_test, pxt), (y_test, pyt)) = (next()?, next()?, next()?, next()?);
        check_pair(&x_train, &px, &y_train, &py)?;
        check_pair(&x_test, &pxt, &y_test, &pyt)?;
        Ok(Self { x_train, y_train, x_test, y_test, source: dir.to_path_buf() })
    }

    /// Writes the sample to the folder `dir` (which must not exist) in the hls4ml `.npy` layout,
    /// plus `extra` files (name, contents) beside it. Everything is written into a temporary
    /// sibling folder first and renamed into place, so `dir` either appears whole or not at all.
    pub fn save(&self, dir: impl AsRef<Path>, extra: &[(&str, String)]) -> Result<()> {
        use ndarray_npy::WriteNpyExt;
        let dir = dir.as_ref();
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| Error::Io { path, source }
        };
        if dir.exists() {
            return Err(Error::Invalid { path: dir.to_path_buf(), message: "exists already".into() });
        }
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "jets".into());
        let tmp = dir.with_file_name(format!(".{name}.partial-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        std::fs::create_dir_all(&tmp).map_err(io(&tmp))?;
        let written = (|| -> Result<()> {
            for (stem, m) in [
                ("X_train_val", &self.x_train),
                ("y_train_val", &self.y_train),
                ("X_test", &self.x_test),
                ("y_test", &self.y_test),
            ] {
                let path = tmp.join(format!("{stem}.npy"));
                let f = File::create(&path).map_err(io(&path))?;
                m.write_npy(std::io::BufWriter::new(f))
                    .map_err(|e| Error::Npy { path: path.clone(), message: e.to_string() })?;
            }
            for (file, contents) in extra {
                let path = tmp.join(file);
                std::fs::write(&path, contents).map_err(io(&path))?;
            }
            std::fs::rename(&tmp, dir).map_err(io(dir))
        })();
        if written.is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        written
    }

    /// The class index of each training jet.
    pub fn labels_train(&self) -> Vec<usize> {
        argmax_rows(&self.y_train)
    }

    /// The class index of each test jet.
    pub fn labels_test(&self) -> Vec<usize> {
        argmax_rows(&self.y_test)
    }
}

/// Opens `<dir>/<stem>.npy`, else `<dir>/<stem>.npy.gz` (decompressing), naming the file opened.
fn open_matrix(dir: &Path, stem: &str) -> Result<(PathBuf, Box<dyn Read>)> {
    let plain = dir.join(format!("{stem}.npy"));
    let gz = dir.join(format!("{stem}.npy.gz"));
    Ok(match File::open(&plain) {
        Ok(f) => (plain, Box::new(BufReader::new(f))),
        Err(_) => {
            let f = File::open(&gz).map_err(|source| Error::Io { path: plain.clone(), source })?;
            (gz, Box::new(flate2::read::GzDecoder::new(BufReader::new(f))))
        }
    })
}

/// Reads the `.npy` file `path` from `reader` as a float32 matrix. The whole file is read first
/// and the header's shape checked against the bytes that follow it ([`check_declared_len`]), so a
/// damaged header cannot make the reader allocate more than the file holds.
fn read_npy_matrix(path: &Path, mut reader: impl Read) -> Result<Array2<f32>> {
    let npy = |message: String| Error::Npy { path: path.to_path_buf(), message };
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes).map_err(|e| npy(e.to_string()))?;
    check_declared_len(&bytes).map_err(npy)?;
    Array2::<f32>::read_npy(bytes.as_slice()).map_err(|e| npy(e.to_string()))
}

/// The `.npy` magic string.
const NPY_MAGIC: &[u8] = b"\x93NUMPY";

/// The deepest bracket nesting a `.npy` header may have: a dict holding a tuple is 2, structured
/// dtypes add a few. The Python-literal parser (`py_literal`, which `ndarray-npy` uses too) takes
/// time exponential in the nesting, so deeper headers are refused before it sees them.
const MAX_HEADER_DEPTH: usize = 8;

/// The deepest nesting of `(`, `[` and `{` in `text` (closing brackets counted, quotes not).
fn nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                max = max.max(depth);
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Checks that the `.npy` header of `bytes` fits in the file, nests brackets at most
/// [`MAX_HEADER_DEPTH`] deep, and that its shape declares no more float32 values than the bytes
/// after it hold. Headers this cannot parse otherwise pass: `ndarray-npy` reports them without
/// allocating the data (it parses the header the same way, with `py_literal`).
fn check_declared_len(bytes: &[u8]) -> std::result::Result<(), String> {
    use py_literal::Value;
    let Some(rest) = bytes.strip_prefix(NPY_MAGIC) else { return Ok(()) };
    let (major, rest) = match rest {
        [major, _minor, rest @ ..] => (*major, rest),
        _ => return Ok(()),
    };
    let (header_len, rest) = match (major, rest) {
        (1, [a, b, rest @ ..]) => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        (2 | 3, [a, b, c, d, rest @ ..]) => (u32::from_le_bytes([*a, *b, *c, *d]) as usize, rest),
        _ => return Ok(()),
    };
    if header_len > rest.len() {
        return Err(format!("the header claims {header_len} bytes, but only {} follow", rest.len()));
    }
    let (header, data) = rest.split_at(header_len);
    let text: String = if major == 3 {
        match std::str::from_utf8(header) {
            Ok(t) => t.to_string(),
            Err(_) => return Ok(()),
        }
    } else {
        header.iter().map(|&b| char::from(b)).collect()
    };
    let depth = nesting(&text);
    if depth > MAX_HEADER_DEPTH {
        return Err(format!("the header nests brackets {depth} deep (at most {MAX_HEADER_DEPTH})"));
    }
    let Ok(Value::Dict(entries)) = text.trim_end_matches('\n').parse::<Value>() else { return Ok(()) };
    let shape = entries.iter().rev().find_map(|(k, v)| match (k, v) {
        (Value::String(k), Value::Tuple(dims)) if k == "shape" => Some(dims),
        _ => None,
    });
    let Some(dims) = shape else { return Ok(()) };
    let mut count: u128 = 1;
    for d in dims {
        let Some(d) = d.as_integer().and_then(|d| u128::try_from(d.clone()).ok()) else { return Ok(()) };
        count = count.saturating_mul(d);
    }
    if count.saturating_mul(4) > data.len() as u128 {
        return Err(format!(
            "the header declares shape {} ({count} values), but only {} data bytes follow",
            Value::Tuple(dims.clone()),
            data.len()
        ));
    }
    Ok(())
}

/// Checks features and labels of one split.
fn check_pair(x: &Array2<f32>, px: &Path, y: &Array2<f32>, py: &Path) -> Result<()> {
    let invalid = |path: &Path, message: String| Error::Invalid { path: path.to_path_buf(), message };
    if x.ncols() != FEATURES.len() {
        return Err(invalid(px, format!("{} feature columns, expected {}", x.ncols(), FEATURES.len())));
    }
    if y.ncols() != CLASSES.len() {
        return Err(invalid(py, format!("{} label columns, expected {}", y.ncols(), CLASSES.len())));
    }
    if x.nrows() != y.nrows() {
        return Err(invalid(
            py,
            format!("{} label rows for {} feature rows in {}", y.nrows(), x.nrows(), px.display()),
        ));
    }
    if x.nrows() == 0 {
        return Err(invalid(px, "no jets".into()));
    }
    for (r, row) in x.rows().into_iter().enumerate() {
        if let Some(k) = row.iter().position(|v| !v.is_finite()) {
            return Err(invalid(px, format!("row {r}: feature {} is {}", FEATURES[k], row[k])));
        }
    }
    for (r, row) in y.rows().into_iter().enumerate() {
        let ones = row.iter().filter(|&&v| v == 1.0).count();
        let zeros = row.iter().filter(|&&v| v == 0.0).count();
        if ones != 1 || zeros != CLASSES.len() - 1 {
            return Err(invalid(py, format!("row {r}: not a one-hot label ({row})")));
        }
    }
    Ok(())
}

/// The column of the largest value in each row (the first on ties).
fn argmax_rows(y: &Array2<f32>) -> Vec<usize> {
    y.rows()
        .into_iter()
        .map(|r| r.iter().enumerate().fold(0, |best, (k, &v)| if v > r[best] { k } else { best }))
        .collect()
}
