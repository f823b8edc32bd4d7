//! Standard scaling of features, fitted on training data only.

use ndarray::{Array2, ArrayView2};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Per-feature mean and standard deviation, fitted on training data and applied to any split;
/// stored with a model so that inference sees the same transformation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Standardiser {
    /// Mean of each feature over the training data.
    pub mean: Vec<f32>,
    /// Population standard deviation of each feature (at least 1e-6).
    pub sd: Vec<f32>,
}

impl Standardiser {
    /// Fits mean and deviation of each column of `x` (sums in f64).
    pub fn fit<'a>(x: impl Into<ArrayView2<'a, f32>>) -> Self {
        let x = x.into();
        let n = x.nrows().max(1) as f64;
        let (mut mean, mut sd) = (Vec::new(), Vec::new());
        for col in x.columns() {
            let m = col.iter().map(|&v| f64::from(v)).sum::<f64>() / n;
            let var = col.iter().map(|&v| (f64::from(v) - m).powi(2)).sum::<f64>() / n;
            mean.push(m as f32);
            sd.push((var.sqrt() as f32).max(1e-6));
        }
        Self { mean, sd }
    }

    /// `(x − mean) / sd` per column, in float32; an error when `x` has another number of
    /// columns than the data the scaler was fitted on.
    pub fn apply<'a>(&self, x: impl Into<ArrayView2<'a, f32>>) -> Result<Array2<f32>> {
        let mut out = x.into().to_owned();
        if out.ncols() != self.mean.len() {
            return Err(Error::Columns { expected: self.mean.len(), found: out.ncols() });
        }
        for (k, mut col) in out.columns_mut().into_iter().enumerate() {
            let (m, s) = (self.mean[k], self.sd[k]);
            col.mapv_inplace(|v| (v - m) / s);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn fits_on_training_data_and_applies_to_other_data() {
        let train = array![[1.0f32, 10.0], [3.0, 10.0]];
        let s = Standardiser::fit(&train);
        assert_eq!(s.mean, vec![2.0, 10.0]);
        assert_eq!(s.sd, vec![1.0, 1e-6]);
        let test = array![[4.0f32, 10.0]];
        assert_eq!(s.apply(&test).unwrap(), array![[2.0f32, 0.0]]);
        assert!(matches!(s.apply(&array![[1.0f32]]), Err(Error::Columns { expected: 2, found: 1 })));
    }
}
