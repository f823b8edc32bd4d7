//! The study's jets: one loader for every format (`jet_data::load`), the standard scaler fitted
//! on the training jets only, and the training and test sets as `hawq-core` datasets.

use std::path::{Path, PathBuf};

use hawq_core::Dataset;
use jet_data::{CLASSES, Format, JetSample, Standardiser};
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::store::fnv1a;

/// What the report says about the data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DataInfo {
    /// The file or folder read.
    pub source: String,
    /// Its format.
    pub format: String,
    /// Whether it is the built-in sample of the project's own simulated jets.
    pub builtin: bool,
    /// Training jets used.
    pub train_jets: usize,
    /// Test jets.
    pub test_jets: usize,
    /// Test jets per class, in class order.
    pub test_per_class: Vec<usize>,
    /// FNV-1a of the features and labels as used (standardised, after sampling): the data's part
    /// of every step's key.
    pub fingerprint: String,
    /// The scaler fitted on the training jets (stored with every model).
    pub scaler: Standardiser,
}

/// The loaded jets.
#[derive(Debug, Clone)]
pub struct Jets {
    /// Training jets, standardised.
    pub train: Dataset,
    /// Test jets, standardised with the training scaler.
    pub test: Dataset,
    /// The same test jets before scaling (row-major), for graphs with the scaler folded in.
    pub test_raw: Vec<f32>,
    /// Their description.
    pub info: DataInfo,
}

impl Jets {
    /// Reads `source` (`None`: the built-in simulated jets) in any format `jet_data` knows,
    /// splits it (`test_fraction`, `seed`; an `.npy` folder keeps its own split), keeps a seeded
    /// sample of `train_jets` training jets if given, and standardises both sets with the
    /// scaler of the training jets.
    pub fn load(source: Option<&Path>, test_fraction: f64, seed: u64, train_jets: Option<usize>) -> Result<Jets> {
        let path: PathBuf = source.map(Path::to_path_buf).unwrap_or_else(JetSample::builtin_dir);
        let format = Format::detect(&path)?;
        let sample = jet_data::load(&path, test_fraction, seed)?;
        Jets::from_sample(&sample, format, source.is_none(), seed, train_jets)
    }

    /// As [`Jets::load`], from a sample already read.
    pub fn from_sample(
        sample: &JetSample,
        format: Format,
        builtin: bool,
        seed: u64,
        train_jets: Option<usize>,
    ) -> Result<Jets> {
        let labels = sample.labels_train();
        let keep = sample_rows(labels.len(), train_jets, seed);
        let x_train = sample.x_train.select(ndarray::Axis(0), &keep);
        let scaler = Standardiser::fit(&x_train);
        let k = CLASSES.len();
        let n_features = x_train.ncols();
        let train = Dataset::new(
            "training jets",
            scaler.apply(&x_train)?.iter().copied().collect(),
            keep.iter().map(|&i| labels[i]).collect(),
            n_features,
            k,
        )?;
        let test = Dataset::new(
            "test jets",
            scaler.apply(&sample.x_test)?.iter().copied().collect(),
            sample.labels_test(),
            n_features,
            k,
        )?;
        let mut per_class = vec![0; k];
        test.labels.iter().for_each(|&l| per_class[l] += 1);
        let bytes = [&train, &test].into_iter().flat_map(|d| {
            d.features
                .iter()
                .flat_map(|v| v.to_le_bytes())
                .chain(d.labels.iter().flat_map(|&l| (l as u32).to_le_bytes()))
        });
        // The scaler and the raw test jets too: graphs with the scaler folded in depend on them.
        let raw = scaler.mean.iter().chain(&scaler.sd).chain(sample.x_test.iter()).flat_map(|v| v.to_le_bytes());
        let fingerprint = format!("{:016x}", fnv1a(bytes.chain(raw).collect::<Vec<u8>>().iter()));
        let info = DataInfo {
            source: sample.source.display().to_string(),
            format: format!("{format:?}"),
            builtin,
            train_jets: train.len(),
            test_jets: test.len(),
            test_per_class: per_class,
            fingerprint,
            scaler,
        };
        Ok(Jets { train, test, test_raw: sample.x_test.iter().copied().collect(), info })
    }

    /// The first `n` test jets (all when `None` or larger), row-major.
    pub fn test_head(&self, n: Option<usize>) -> (&[f32], &[usize]) {
        let n = n.unwrap_or(usize::MAX).min(self.test.len());
        (&self.test.features[..n * self.test.n_features], &self.test.labels[..n])
    }
}

/// `n` rows of `total` in a seeded random order (all of them, in order, when `n` is `None` or not
/// smaller).
pub fn sample_rows(total: usize, n: Option<usize>, seed: u64) -> Vec<usize> {
    let Some(n) = n.filter(|&n| n < total) else { return (0..total).collect() };
    let mut idx: Vec<usize> = (0..total).collect();
    hawq_core::rng::SplitMix64::new(seed ^ 0x6a65_7473).shuffle(&mut idx);
    idx.truncate(n);
    idx.sort_unstable();
    idx
}
