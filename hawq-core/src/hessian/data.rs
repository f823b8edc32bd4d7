//! What a Hessian is taken of: the [`Loss`] and the batches it is averaged over
//! ([`HessianData`]).

use burn::prelude::*;
use serde::{Deserialize, Serialize};

use crate::data::Dataset;
use crate::error::{Error, Result};
use crate::layers::from_host;
use crate::rng::SplitMix64;
use crate::train::cross_entropy_loss;

/// The loss whose Hessian is taken (a mean over the samples of a batch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Loss {
    /// Cross-entropy of the logits against the labels (the training loss, without L1).
    #[default]
    CrossEntropy,
    /// `½ Σ_k (f_k − t_k)²` with one-hot targets `t`: for a linear model `H = XᵀX / n` per output.
    HalfSquaredError,
}

impl Loss {
    /// The loss of `logits` against `labels`, averaged over the batch.
    pub fn compute<B: Backend>(&self, logits: Tensor<B, 2>, labels: &[usize]) -> Tensor<B, 1> {
        match self {
            Loss::CrossEntropy => cross_entropy_loss(logits, labels),
            Loss::HalfSquaredError => {
                let [n, k] = logits.dims();
                let mut onehot = vec![0.0f32; n * k];
                for (i, &l) in labels.iter().enumerate() {
                    onehot[i * k + l] = 1.0;
                }
                let d = logits.clone() - from_host::<B, 2>(onehot, [n, k], &logits.device());
                (d.clone() * d).sum_dim(1).mean() * 0.5
            }
        }
    }
}

/// The data a Hessian is taken over: the samples split into batches (tensors built once). The
/// Hessian of the data set is the sample-weighted mean of the batches' Hessians.
#[derive(Debug, Clone)]
pub struct HessianData<B: Backend> {
    pub(super) batches: Vec<(Tensor<B, 2>, Vec<usize>)>,
    samples: usize,
}

impl<B: Backend> HessianData<B> {
    /// All of `data`, in order, in batches of `batch_size`.
    pub fn new(data: &Dataset, batch_size: usize, device: &B::Device) -> Result<HessianData<B>> {
        let idx: Vec<usize> = (0..data.len()).collect();
        HessianData::from_indices(data, &idx, batch_size, device)
    }

    /// A seeded random subset of at most `max_samples` samples of `data` (all when `None`), in
    /// batches of `batch_size`.
    pub fn sampled(
        data: &Dataset,
        batch_size: usize,
        max_samples: Option<usize>,
        seed: u64,
        device: &B::Device,
    ) -> Result<HessianData<B>> {
        let mut idx: Vec<usize> = (0..data.len()).collect();
        SplitMix64::new(seed).shuffle(&mut idx);
        idx.truncate(max_samples.unwrap_or(usize::MAX));
        HessianData::from_indices(data, &idx, batch_size, device)
    }

    fn from_indices(data: &Dataset, idx: &[usize], batch_size: usize, device: &B::Device) -> Result<HessianData<B>> {
        if batch_size == 0 {
            return Err(Error::InvalidSetting {
                setting: "Hessian batch size".into(),
                message: "must be at least 1".into(),
            });
        }
        if data.is_empty() || idx.is_empty() {
            return Err(Error::EmptyDataset { what: "Hessian data".into() });
        }
        crate::error::check_finite("Hessian data features", &data.features)?;
        let batches = idx
            .chunks(batch_size)
            .map(|chunk| {
                let (f, l) = data.gather(chunk);
                (from_host::<B, 2>(f, [chunk.len(), data.n_features], device), l)
            })
            .collect();
        Ok(HessianData { batches, samples: idx.len() })
    }

    /// Number of batches.
    pub fn num_batches(&self) -> usize {
        self.batches.len()
    }

    /// Number of samples.
    pub fn num_samples(&self) -> usize {
        self.samples
    }

    /// Features per sample.
    pub fn n_features(&self) -> usize {
        self.batches.first().map_or(0, |(x, _)| x.dims()[1])
    }

    /// Largest label + 1.
    pub(super) fn n_classes(&self) -> usize {
        self.batches.iter().flat_map(|(_, l)| l.iter().copied()).max().map_or(0, |m| m + 1)
    }
}
