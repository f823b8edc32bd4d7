//! `test-support` holds what the workspace's tests and benches share (a dev-dependency only):
//! paths to the fixtures under `testdata/`, finding the reference tools (the Python of
//! `scripts/setup-python.sh`, the `ap_types` headers in its hls4ml wheel, the simulator's
//! Python), building and running a generated HLS project's C simulation with g++, the
//! built-in jets as standardised matrices, fresh builds of the workspace's binaries for tests
//! of another package ([`workspace_bins`]), and visible skips.
//!
//! A test that needs an external tool calls one of the finders: in CI (`CI=true`) a missing
//! tool fails the test; elsewhere the test is skipped with a line on stderr that names the test,
//! the tool and how to install it, and the skip is appended to the skip log
//! (`TEST_SKIP_LOG`, else `target/test-skips.log`), which `scripts/test-all.sh` prints at
//! the end. A skipped test never passes silently. The tests that compare every SIMD level also
//! log the levels this CPU lacks ([`simd_levels_not_run`]), in CI as well.
#![deny(missing_docs)]

mod bins;
mod skip;
mod tools;

use std::path::{Path, PathBuf};

pub use bins::workspace_bins;
pub use skip::{in_ci, not_run, simd_levels_not_run, skip};
pub use tools::{ap_types, csim, icarus, reference_python, simulator_python, yosys};

/// The workspace root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("test-support lies in the workspace").to_path_buf()
}

/// A path under the repository's `testdata/` folder.
pub fn testdata(rel: impl AsRef<Path>) -> PathBuf {
    root().join("testdata").join(rel)
}

/// Reads a JSON fixture under `testdata/`.
///
/// # Panics
/// When the file is missing or is not JSON (a broken fixture fails the test).
pub fn json(rel: &str) -> serde_json::Value {
    let p = testdata(rel);
    let s = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&s).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A fresh, empty temporary folder for one test: `<tmp>/<prefix>-<pid>-<name>`.
pub fn tmpdir(prefix: &str, name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("{prefix}-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display()));
    d
}

/// `n` seeded inputs of `k` features on a 2^−10 grid in [−8, 8), row-major.
pub fn grid_inputs(n: usize, k: usize, seed: u64) -> Vec<f64> {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    (0..n * k).map(|_| f64::from(rng.gen_range(-8192i32..8192)) / 1024.0).collect()
}

/// A split of the built-in jets as flat row-major matrices, features standardised with the
/// training split's mean and deviation.
#[derive(Debug, Clone)]
pub struct Jets {
    /// Standardised features, `rows × 16`.
    pub features: Vec<f32>,
    /// One-hot labels, `rows × 5`, class order g, q, t, w, z.
    pub one_hot: Vec<f32>,
    /// Number of jets.
    pub rows: usize,
    /// Features per jet.
    pub n_features: usize,
    /// Classes.
    pub n_classes: usize,
}

/// Which split of the built-in sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// The training and validation split.
    TrainVal,
    /// The test split.
    Test,
}

/// The built-in jets (the shipped sample of `jet-data`), standardised.
///
/// # Panics
/// When the shipped sample cannot be read (it is part of the repository).
pub fn jets(split: Split) -> Jets {
    let sample = jet_data::JetSample::builtin().unwrap_or_else(|e| panic!("the shipped jet sample: {e}"));
    let scaler = jet_data::Standardiser::fit(&sample.x_train);
    let (x, y) = match split {
        Split::TrainVal => (&sample.x_train, &sample.y_train),
        Split::Test => (&sample.x_test, &sample.y_test),
    };
    let x = scaler.apply(x).expect("16 columns in every split");
    Jets {
        features: x.iter().copied().collect(),
        one_hot: y.as_standard_layout().iter().copied().collect(),
        rows: x.nrows(),
        n_features: x.ncols(),
        n_classes: y.ncols(),
    }
}

/// Writes `a` as the float32 `.npy` file `dir/name`.
///
/// # Panics
/// When the file cannot be written.
pub fn write_npy(dir: &Path, name: &str, a: &ndarray::Array2<f32>) {
    use ndarray_npy::WriteNpyExt;
    let path = dir.join(name);
    let f = std::fs::File::create(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    a.write_npy(f).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

/// A small valid jet folder in the hls4ml `.npy` layout at `dir` (created): 4 training and 2
/// test jets, features `r · 16 + k`, one-hot labels `r mod 5`. Tests break one file of it.
///
/// # Panics
/// When the files cannot be written.
pub fn tiny_npy_folder(dir: &Path) -> &Path {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let x = |n| ndarray::Array2::from_shape_fn((n, 16), |(r, k)| (r * 16 + k) as f32);
    let y = |n| ndarray::Array2::from_shape_fn((n, 5), |(r, k)| f32::from(u8::from(k == r % 5)));
    write_npy(dir, "X_train_val.npy", &x(4));
    write_npy(dir, "y_train_val.npy", &y(4));
    write_npy(dir, "X_test.npy", &x(2));
    write_npy(dir, "y_test.npy", &y(2));
    dir
}
