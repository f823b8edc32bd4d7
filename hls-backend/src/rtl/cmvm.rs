//! Constant matrix–vector products as shift-add adder graphs.
//!
//! Each weight is recoded in canonical signed digits (CSD: digits −1, 0, +1, no two adjacent
//! non-zero), so an output `y_j = Σ_i w_ij·x_i` is a sum of terms `±x_i·2^k`. Then, across all
//! outputs of the layer, the most frequent pair of terms with the same shape (`x_a ± x_b·2^d`,
//! up to a common shift) becomes one shared adder, and its occurrences are replaced by a term of
//! the new signal; this repeats while some pair occurs at least twice (greedy common
//! sub-expression elimination, the idea of Hcub/da4ml). What remains of each output is summed by
//! a tree that always adds the two earliest-ready terms, so the adder depth stays logarithmic.
//! Every signal's range is computed from its exact linear form over the layer's inputs, so
//! widths are exact even where shared terms cancel. Zero weights cost nothing.

use std::collections::{BTreeSet, HashMap};

use super::netlist::{Netlist, Sig};

/// Canonical signed digits of `v`: `(position, negative)` from the least significant digit.
pub fn csd(v: i64) -> Vec<(u32, bool)> {
    let mut v = i128::from(v);
    let mut digits = Vec::new();
    let mut k = 0;
    while v != 0 {
        if v & 1 == 1 {
            // v ≡ 1 (mod 4) → digit +1; v ≡ 3 (mod 4) → digit −1 (then v + 1 ends in 00).
            let neg = v & 3 == 3;
            digits.push((k, neg));
            v += if neg { 1 } else { -1 };
        }
        v >>= 1;
        k += 1;
    }
    digits
}

/// `±signal·2^shift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Term {
    shift: u32,
    sig: Sig,
    neg: bool,
}

/// A shared pair: `a + b·2^d` (or `a − b·2^d`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
struct Pattern {
    a: Sig,
    b: Sig,
    d: u32,
    sub: bool,
}

/// The pattern two terms form, with the lower-shift term first, and the shift and sign of the
/// term that replaces them.
fn pattern(t: Term, u: Term) -> (Pattern, u32, bool) {
    let (p, q) = if (t.shift, t.sig) <= (u.shift, u.sig) { (t, u) } else { (u, t) };
    (Pattern { a: p.sig, b: q.sig, d: q.shift - p.shift, sub: p.neg != q.neg }, p.shift, p.neg)
}

/// An exact linear form over the layer's inputs: `constant + Σ coef_i·x_i`.
#[derive(Debug, Clone)]
struct Form {
    coef: Vec<i128>,
    constant: i128,
}

/// Counts of what a product built.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CmvmStats {
    /// Non-zero CSD digits of all weights (the adders a naive shift-add would need, plus one
    /// per output).
    pub digits: usize,
    /// Adders shared between outputs by sub-expression elimination.
    pub shared: usize,
    /// Adders in all.
    pub adders: usize,
}

/// The builder: the netlist signals of the inputs and their linear forms.
struct Builder<'a> {
    net: &'a mut Netlist,
    forms: HashMap<Sig, Form>,
    ranges: Vec<(i128, i128)>,
    adders: usize,
}

impl Builder<'_> {
    fn range(&self, f: &Form) -> (i128, i128) {
        let (mut lo, mut hi) = (f.constant, f.constant);
        for (&c, &(xl, xh)) in f.coef.iter().zip(&self.ranges) {
            let (a, b) = (c * xl, c * xh);
            lo += a.min(b);
            hi += a.max(b);
        }
        (lo, hi)
    }

    /// Builds `a ± b·2^d` as one adder.
    fn add(&mut self, p: Pattern) -> Sig {
        let (fa, fb) = (&self.forms[&p.a], &self.forms[&p.b]);
        let s = if p.sub { -1i128 } else { 1 } << p.d;
        let form = Form {
            coef: fa.coef.iter().zip(&fb.coef).map(|(&x, &y)| x + s * y).collect(),
            constant: fa.constant + s * fb.constant,
        };
        let (lo, hi) = self.range(&form);
        let sig = self.net.add(p.a, p.b, p.d, p.sub, lo, hi);
        self.forms.insert(sig, form);
        self.adders += 1;
        sig
    }

    /// When (stage, depth) a signal is ready: the order in which the tree adds terms.
    fn ready(&self, s: Sig) -> (u32, u32) {
        let sig = self.net.sig(s);
        (sig.stage, sig.depth)
    }
}

/// Merges terms of the same signal and shift (equal signs double, opposite signs cancel).
fn normalise(terms: &mut Vec<Term>) {
    loop {
        terms.sort();
        let dup = terms.windows(2).position(|w| w[0].sig == w[1].sig && w[0].shift == w[1].shift);
        let Some(k) = dup else { return };
        let (t, u) = (terms[k], terms[k + 1]);
        terms.drain(k..k + 2);
        if t.neg == u.neg {
            terms.push(Term { shift: t.shift + 1, ..t });
        }
    }
}

/// How often each pattern occurs over all outputs, with the patterns bucketed by count so that
/// the most frequent one is found without a scan.
#[derive(Default)]
struct PairCounts {
    count: HashMap<Pattern, usize>,
    /// `by_count[c]`: the patterns that occur `c` times.
    by_count: Vec<BTreeSet<Pattern>>,
}

impl PairCounts {
    fn bump(&mut self, p: Pattern, delta: isize) {
        let c = self.count.entry(p).or_default();
        if *c > 0 {
            self.by_count[*c].remove(&p);
        }
        *c = c.checked_add_signed(delta).expect("a pair count never goes below zero");
        let c = *c;
        if c == 0 {
            self.count.remove(&p);
            return;
        }
        if self.by_count.len() <= c {
            self.by_count.resize_with(c + 1, BTreeSet::new);
        }
        self.by_count[c].insert(p);
    }

    /// Adds `delta` for every pair of `terms` that has at least one member in `some`.
    fn change(&mut self, terms: &[Term], some: &[Term], delta: isize) {
        let mark: Vec<bool> = terms.iter().map(|t| some.contains(t)).collect();
        for (k, &t) in terms.iter().enumerate() {
            if !mark[k] {
                continue;
            }
            for (l, &u) in terms.iter().enumerate() {
                // A pair of two marked terms is counted once, from its first member.
                if l != k && !(mark[l] && l < k) {
                    self.bump(pattern(t, u).0, delta);
                }
            }
        }
    }

    /// The most frequent pattern if it occurs at least twice (the smallest such on ties).
    fn best(&mut self) -> Option<Pattern> {
        while self.by_count.last().is_some_and(BTreeSet::is_empty) {
            self.by_count.pop();
        }
        if self.by_count.len() <= 2 {
            return None;
        }
        self.by_count.last().and_then(|b| b.first().copied())
    }
}

/// Non-overlapping pairs of `terms` (by index) that form `p`.
fn occurrences(terms: &[Term], p: Pattern) -> Vec<(usize, usize)> {
    let mut used = vec![false; terms.len()];
    let mut found = Vec::new();
    for (k, t) in terms.iter().enumerate() {
        if used[k] || t.sig != p.a {
            continue;
        }
        let partner = terms.iter().enumerate().position(|(l, u)| {
            !used[l] && l != k && u.sig == p.b && u.shift == t.shift + p.d && (u.neg != t.neg) == p.sub
        });
        if let Some(l) = partner {
            (used[k], used[l]) = (true, true);
            found.push((k.min(l), k.max(l)));
        }
    }
    found
}

/// Builds `y_j = Σ_i w[i·n_out + j]·x_i + bias_j` for every output (the bias at the products'
/// LSB). Returns, per output, its signal and a left shift still to apply (`y_j = sig·2^shift`),
/// so that trailing zero bits cost no logic. With `share` false no sub-expressions are shared.
pub(crate) fn build(
    net: &mut Netlist,
    x: &[Sig],
    weights: &[i64],
    bias: &[i128],
    share: bool,
) -> (Vec<(Sig, u32)>, CmvmStats) {
    let (n_in, n_out) = (x.len(), bias.len());
    let ranges = x.iter().map(|&s| (net.sig(s).lo, net.sig(s).hi)).collect();
    let mut b = Builder { net, forms: HashMap::new(), ranges, adders: 0 };
    for (i, &s) in x.iter().enumerate() {
        let mut coef = vec![0; n_in];
        coef[i] = 1;
        b.forms.insert(s, Form { coef, constant: 0 });
    }
    let mut stats = CmvmStats::default();
    let mut outputs: Vec<Vec<Term>> = (0..n_out)
        .map(|j| {
            let mut terms = Vec::new();
            for (i, &s) in x.iter().enumerate() {
                for (shift, neg) in csd(weights[i * n_out + j]) {
                    terms.push(Term { shift, sig: s, neg });
                }
            }
            stats.digits += terms.len();
            normalise(&mut terms);
            terms
        })
        .collect();

    if share {
        let mut counts = PairCounts::default();
        for terms in &outputs {
            counts.change(terms, terms, 1);
        }
        while let Some(p) = counts.best() {
            let sig = b.add(p);
            stats.shared += 1;
            for terms in outputs.iter_mut() {
                let found = occurrences(terms, p);
                if found.is_empty() {
                    continue;
                }
                let mut used = vec![false; terms.len()];
                let mut next = Vec::with_capacity(terms.len());
                for &(k, l) in &found {
                    (used[k], used[l]) = (true, true);
                    let (_, shift, neg) = pattern(terms[k], terms[l]);
                    next.push(Term { shift, sig, neg });
                }
                next.extend(terms.iter().zip(&used).filter(|&(_, &u)| !u).map(|(&t, _)| t));
                normalise(&mut next);
                // Only pairs with a removed or an added term change.
                let removed: Vec<Term> = terms.iter().filter(|t| !next.contains(t)).copied().collect();
                let added: Vec<Term> = next.iter().filter(|t| !terms.contains(t)).copied().collect();
                counts.change(terms, &removed, -1);
                counts.change(&next, &added, 1);
                *terms = next;
            }
        }
    }

    let mut result = Vec::with_capacity(n_out);
    for (terms, &bias) in outputs.iter_mut().zip(bias) {
        if bias != 0 {
            let c = b.net.constant(bias.abs());
            b.forms.insert(c, Form { coef: vec![0; n_in], constant: bias.abs() });
            terms.push(Term { shift: 0, sig: c, neg: bias < 0 });
        }
        // Add the two earliest-ready terms until one is left.
        while terms.len() > 1 {
            terms.sort_by_key(|t| std::cmp::Reverse((b.ready(t.sig), t.shift)));
            let (t, u) = (terms.pop().expect("two terms"), terms.pop().expect("two terms"));
            // Equal shifts: the positive term first, so the sum stays positive when it can.
            let (t, u) = if t.shift == u.shift && t.neg && !u.neg { (u, t) } else { (t, u) };
            let (p, shift, neg) = if t.shift == u.shift {
                (Pattern { a: t.sig, b: u.sig, d: 0, sub: t.neg != u.neg }, t.shift, t.neg)
            } else {
                pattern(t, u)
            };
            let sig = b.add(p);
            terms.push(Term { shift, sig, neg });
        }
        let out = match terms.pop() {
            None => (b.net.constant(0), 0),
            Some(t) if !t.neg => (t.sig, t.shift),
            Some(t) => {
                let zero = b.net.constant(0);
                b.forms.insert(zero, Form { coef: vec![0; n_in], constant: 0 });
                (b.add(Pattern { a: zero, b: t.sig, d: t.shift, sub: true }), 0)
            }
        };
        result.push(out);
    }
    stats.adders = b.adders;
    (result, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixed::FixedType;
    use proptest::prelude::*;

    #[test]
    fn csd_digits_are_canonical() {
        for v in -5000i64..5000 {
            let d = csd(v);
            let back: i64 = d.iter().map(|&(k, neg)| if neg { -(1i64 << k) } else { 1i64 << k }).sum();
            assert_eq!(back, v);
            assert!(d.windows(2).all(|w| w[1].0 > w[0].0 + 1), "{v}: adjacent digits {d:?}");
        }
        assert_eq!(csd(7), vec![(0, true), (3, false)]); // 8 − 1
        assert_eq!(csd(i64::MIN).len(), 1);
    }

    fn product(weights: &[i64], bias: &[i128], inputs: &[i64], share: bool, signed: bool) -> (Vec<i128>, CmvmStats) {
        let ty = FixedType::new(7, 7, signed).unwrap();
        let mut net = Netlist::new(2);
        let x: Vec<Sig> = (0..inputs.len()).map(|i| net.input(i, &ty)).collect();
        let (outs, stats) = build(&mut net, &x, weights, bias, share);
        let v = net.evaluate(inputs);
        // Every signal within its declared range.
        for (k, s) in net.signals.iter().enumerate() {
            assert!(s.lo <= v[k] && v[k] <= s.hi, "signal {k} = {} outside {}..={}", v[k], s.lo, s.hi);
        }
        (outs.iter().map(|&(s, k)| v[s] << k).collect(), stats)
    }

    proptest! {
        #[test]
        fn adder_graph_equals_the_product(
            n_in in 1usize..7, n_out in 1usize..6, seed in any::<u64>(), share in any::<bool>(), signed in any::<bool>()
        ) {
            let mut r = seed;
            let mut next = |m: i64| { r = r.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); ((r >> 33) as i64).rem_euclid(2 * m + 1) - m };
            let w: Vec<i64> = (0..n_in * n_out).map(|_| if next(3) == 0 { 0 } else { next(100) }).collect();
            let bias: Vec<i128> = (0..n_out).map(|_| i128::from(next(500))).collect();
            let x: Vec<i64> = (0..n_in).map(|_| if signed { next(64).clamp(-64, 63) } else { next(64).abs().min(127) }).collect();
            let (y, _) = product(&w, &bias, &x, share, signed);
            for j in 0..n_out {
                let want: i128 = bias[j] + (0..n_in).map(|i| i128::from(w[i * n_out + j]) * i128::from(x[i])).sum::<i128>();
                prop_assert_eq!(y[j], want, "output {}", j);
            }
        }
    }

    #[test]
    fn sharing_saves_adders() {
        // Two outputs that both contain x0 + 4·x1 (+ more): the pair is built once.
        let w = [5, 5, 20, 20, 3, -3]; // [3][2]: outputs 5x0+20x1+3x2, 5x0+20x1−3x2
        let bias = [0i128, 0];
        let (_, plain) = product(&w, &bias, &[1, 2, 3], false, true);
        let (y, shared) = product(&w, &bias, &[1, 2, 3], true, true);
        assert_eq!(y, vec![5 + 40 + 9, 5 + 40 - 9]);
        assert!(shared.adders < plain.adders, "{shared:?} vs {plain:?}");
        assert!(shared.shared >= 1);
    }
}
