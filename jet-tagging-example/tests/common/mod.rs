//! What the integration tests share: the built-in jets as a `hawq-core` data set.

use hawq_core::Dataset;
use test_support::Split;

/// The first `n` jets of `split` of the built-in sample (standardised by `test-support`).
pub fn jets(split: Split, n: usize) -> Dataset {
    let j = test_support::jets(split);
    let d = Dataset::from_one_hot(&format!("jets {split:?}"), j.features, &j.one_hot, j.n_features, j.n_classes)
        .expect("the built-in jets form a data set");
    d.subset(&(0..n.min(d.len())).collect::<Vec<_>>())
}
