//! Classification metrics on host data: cross-entropy, accuracy, per-class ROC AUC.

use serde::{Deserialize, Serialize};

/// Metrics of a model on a data set. Serialized with every number as a string in Rust's
/// shortest round-trip form (`"0.1"`, `"NaN"`), so that a JSON round trip is exact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Mean cross-entropy.
    #[serde(with = "exact_f64")]
    pub loss: f64,
    /// Fraction of arg-max predictions that equal the label.
    #[serde(with = "exact_f64")]
    pub accuracy: f64,
    /// One-vs-rest ROC AUC of each class (on softmax probabilities); NaN for a class that is
    /// absent or the only one present.
    #[serde(with = "exact_f64_vec")]
    pub auc: Vec<f64>,
}

/// Serde of an `f64` as a string in Rust's shortest round-trip form: exact (JSON numbers may
/// be parsed one unit in the last place off) and able to hold NaN and infinities.
pub(crate) mod exact_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{v:?}"))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(|e| serde::de::Error::custom(format!("{text:?} is not a number: {e}")))
    }
}

/// [`exact_f64`] for a vector.
pub(crate) mod exact_f64_vec {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|x| format!("{x:?}")))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        let text = Vec::<String>::deserialize(d)?;
        text.iter()
            .map(|t| t.parse().map_err(|e| serde::de::Error::custom(format!("{t:?} is not a number: {e}"))))
            .collect()
    }
}

/// [`exact_f64`] for an optional value.
pub(crate) mod exact_f64_opt {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &Option<f64>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(x) => s.serialize_some(&format!("{x:?}")),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        match Option::<String>::deserialize(d)? {
            Some(t) => t.parse().map(Some).map_err(|e| serde::de::Error::custom(format!("{t:?} is not a number: {e}"))),
            None => Ok(None),
        }
    }
}

/// Row-wise softmax of `logits` (`[n, k]`), in f64.
pub fn softmax(logits: &[f32], k: usize) -> Vec<f64> {
    let mut out = Vec::with_capacity(logits.len());
    for row in logits.chunks(k) {
        let m = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(f64::from(v)));
        let e: Vec<f64> = row.iter().map(|&v| (f64::from(v) - m).exp()).collect();
        let s: f64 = e.iter().sum();
        out.extend(e.iter().map(|v| v / s));
    }
    out
}

/// Index of the largest value of each row (first on ties).
pub fn argmax(logits: &[f32], k: usize) -> Vec<usize> {
    logits
        .chunks(k)
        .map(|r| r.iter().enumerate().fold((0, f32::NEG_INFINITY), |m, (i, &v)| if v > m.1 { (i, v) } else { m }).0)
        .collect()
}

/// Fraction of rows whose arg-max equals the label.
pub fn accuracy(logits: &[f32], labels: &[usize], k: usize) -> f64 {
    if labels.is_empty() {
        return f64::NAN;
    }
    let hits = argmax(logits, k).iter().zip(labels).filter(|(p, l)| p == l).count();
    hits as f64 / labels.len() as f64
}

/// Mean cross-entropy of `logits` against `labels`.
pub fn cross_entropy(logits: &[f32], labels: &[usize], k: usize) -> f64 {
    let p = softmax(logits, k);
    let s: f64 = labels.iter().enumerate().map(|(i, &l)| -(p[i * k + l].max(1e-300)).ln()).sum();
    s / labels.len().max(1) as f64
}

/// ROC AUC of `scores` for the binary labels `positive` (Mann–Whitney, ties counted half).
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> f64 {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = scores.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return f64::NAN;
    }
    // Average ranks (1-based) over groups of tied scores.
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += idx[i..=j].iter().filter(|&&t| positive[t]).count() as f64 * avg;
        i = j + 1;
    }
    (rank_sum - n_pos * (n_pos + 1.0) / 2.0) / (n_pos * n_neg)
}

/// The ROC curve of `scores` for the binary labels `positive`: `(false-positive rate,
/// true-positive rate)` at every distinct threshold, from `(0, 0)` to `(1, 1)`, thinned to at
/// most `max_points` points (evenly in rank; the two ends always kept). Empty when one class is
/// absent.
pub fn roc_curve(scores: &[f64], positive: &[bool], max_points: usize) -> Vec<(f64, f64)> {
    let n_pos = positive.iter().filter(|&&p| p).count() as f64;
    let n_neg = scores.len() as f64 - n_pos;
    if n_pos == 0.0 || n_neg == 0.0 {
        return Vec::new();
    }
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let mut curve = vec![(0.0, 0.0)];
    let (mut tp, mut fp) = (0.0, 0.0);
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        for &t in &idx[i..=j] {
            if positive[t] {
                tp += 1.0;
            } else {
                fp += 1.0;
            }
        }
        curve.push((fp / n_neg, tp / n_pos));
        i = j + 1;
    }
    let max_points = max_points.max(2);
    if curve.len() <= max_points {
        return curve;
    }
    let last = curve.len() - 1;
    (0..max_points).map(|k| curve[k * last / (max_points - 1)]).collect()
}

/// Loss, accuracy and per-class AUC of `logits` (`[n, k]`).
pub fn metrics(logits: &[f32], labels: &[usize], k: usize) -> Metrics {
    let p = softmax(logits, k);
    let auc = (0..k)
        .map(|c| {
            let s: Vec<f64> = p.chunks(k).map(|r| r[c]).collect();
            let pos: Vec<bool> = labels.iter().map(|&l| l == c).collect();
            roc_auc(&s, &pos)
        })
        .collect();
    Metrics { loss: cross_entropy(logits, labels, k), accuracy: accuracy(logits, labels, k), auc }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_curve_steps_through_each_threshold() {
        let c = roc_curve(&[0.9, 0.8, 0.8, 0.1], &[true, false, true, false], 10);
        assert_eq!(c, vec![(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
        let thin = roc_curve(
            &(0..100).map(f64::from).collect::<Vec<_>>(),
            &[true; 50].iter().chain(&[false; 50]).copied().collect::<Vec<_>>(),
            5,
        );
        assert_eq!(thin.len(), 5);
        assert_eq!((thin[0], thin[4]), ((0.0, 0.0), (1.0, 1.0)));
        assert!(roc_curve(&[1.0], &[true], 10).is_empty());
    }

    #[test]
    fn auc_of_perfect_random_and_tied_scores() {
        assert_eq!(roc_auc(&[0.1, 0.2, 0.8, 0.9], &[false, false, true, true]), 1.0);
        assert_eq!(roc_auc(&[0.9, 0.8, 0.2, 0.1], &[false, false, true, true]), 0.0);
        assert_eq!(roc_auc(&[0.5; 4], &[false, true, false, true]), 0.5);
    }
}
