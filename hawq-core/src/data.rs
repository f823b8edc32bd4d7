//! A labelled data set in memory, batching, splitting, and a seeded synthetic task.

use crate::error::{Error, Result, check_finite};
use crate::rng::SplitMix64;

/// Features (row-major `[n, n_features]`) and class labels.
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// Row-major features.
    pub features: Vec<f32>,
    /// One class index per sample.
    pub labels: Vec<usize>,
    /// Features per sample.
    pub n_features: usize,
    /// Number of classes.
    pub n_classes: usize,
}

impl Dataset {
    /// Checks and wraps the data: non-empty, consistent sizes, finite features, labels below
    /// `n_classes`. `what` names the data set in errors.
    pub fn new(
        what: &str,
        features: Vec<f32>,
        labels: Vec<usize>,
        n_features: usize,
        n_classes: usize,
    ) -> Result<Dataset> {
        if labels.is_empty() || features.is_empty() {
            return Err(Error::EmptyDataset { what: what.to_string() });
        }
        if n_features == 0 || features.len() != labels.len() * n_features {
            return Err(Error::Shape {
                what: what.to_string(),
                message: format!("{} values for {} samples of {n_features} features", features.len(), labels.len()),
            });
        }
        check_finite(&format!("{what} features"), &features)?;
        if let Some(i) = labels.iter().position(|&l| l >= n_classes) {
            return Err(Error::Shape {
                what: what.to_string(),
                message: format!("label {} of sample {i} is not below {n_classes} classes", labels[i]),
            });
        }
        Ok(Dataset { features, labels, n_features, n_classes })
    }

    /// Builds a data set from one-hot (or probability) targets: the label is the arg-max.
    pub fn from_one_hot(
        what: &str,
        features: Vec<f32>,
        targets: &[f32],
        n_features: usize,
        n_classes: usize,
    ) -> Result<Dataset> {
        if n_classes == 0 || !targets.len().is_multiple_of(n_classes) {
            return Err(Error::Shape { what: what.to_string(), message: "targets do not divide into classes".into() });
        }
        let labels = targets
            .chunks(n_classes)
            .map(|r| r.iter().enumerate().fold((0, f32::NEG_INFINITY), |m, (i, &v)| if v > m.1 { (i, v) } else { m }).0)
            .collect();
        Dataset::new(what, features, labels, n_features, n_classes)
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The samples at `idx`, as (features, labels).
    pub fn gather(&self, idx: &[usize]) -> (Vec<f32>, Vec<usize>) {
        let d = self.n_features;
        let mut f = Vec::with_capacity(idx.len() * d);
        let mut l = Vec::with_capacity(idx.len());
        for &i in idx {
            f.extend_from_slice(&self.features[i * d..(i + 1) * d]);
            l.push(self.labels[i]);
        }
        (f, l)
    }

    /// The subset at `idx`.
    pub fn subset(&self, idx: &[usize]) -> Dataset {
        let (features, labels) = self.gather(idx);
        Dataset { features, labels, n_features: self.n_features, n_classes: self.n_classes }
    }

    /// A seeded random split: `(first, second)` with `fraction` of the samples in `second`.
    pub fn split(&self, fraction: f64, seed: u64) -> (Dataset, Dataset) {
        let mut idx: Vec<usize> = (0..self.len()).collect();
        SplitMix64::new(seed).shuffle(&mut idx);
        let k = ((self.len() as f64) * fraction.clamp(0.0, 1.0)).round() as usize;
        (self.subset(&idx[k..]), self.subset(&idx[..k]))
    }

    /// A seeded synthetic classification task: `n` samples of Gaussian blobs, one centre per
    /// class drawn in `[-2, 2]^d`, unit variance, `σ` scaling the spread.
    pub fn synthetic_blobs(n: usize, n_features: usize, n_classes: usize, spread: f64, seed: u64) -> Result<Dataset> {
        let mut rng = SplitMix64::new(seed);
        let centres: Vec<f64> = (0..n_classes * n_features).map(|_| rng.uniform(-2.0, 2.0)).collect();
        let mut features = Vec::with_capacity(n * n_features);
        let mut labels = Vec::with_capacity(n);
        for _ in 0..n {
            let c = rng.below(n_classes.max(1));
            for k in 0..n_features {
                features.push((centres[c * n_features + k] + spread * rng.normal()) as f32);
            }
            labels.push(c);
        }
        Dataset::new("synthetic blobs", features, labels, n_features, n_classes)
    }
}
