//! Fused chains against the separate ops, and the exactness proofs against brute force.

use super::*;

/// A random number generator for tests (SplitMix64).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

/// The separate ops on `[m, k]` input: MatMul as the op computes it, bias, ReLU, Quant.
fn reference(chain: &Chain, x: &[f32], m: usize, exact: bool) -> Vec<f32> {
    let mut cur = ndarray::Array2::from_shape_vec((m, chain.k()), x.to_vec()).unwrap();
    for st in &chain.stages {
        let mut y = crate::ops::mm2(cur.view(), st.w.view(), exact);
        for mut row in y.rows_mut() {
            for (c, v) in row.iter_mut().enumerate() {
                *v = st.tail(c, *v);
            }
        }
        cur = y;
    }
    let mut out = cur.into_raw_vec_and_offset().0;
    if let Some(log) = chain.softmax {
        for row in out.chunks_exact_mut(chain.n()) {
            softmax_row(row, log);
        }
    }
    out
}

fn backends() -> Vec<Backend> {
    let mut v = vec![Backend::Portable];
    #[cfg(target_arch = "x86_64")]
    {
        // The AVX2 level's own check (AVX2 and FMA); AVX-512 on top of it, as `Backend::detect`.
        let avx2 = crate::simd::Simd::Avx2.supported();
        if avx2 {
            v.push(Backend::Avx2);
        }
        if avx2 && std::arch::is_x86_feature_detected!("avx512f") {
            v.push(Backend::Avx512 { vnni: false });
            if std::arch::is_x86_feature_detected!("avx512vnni") {
                v.push(Backend::Avx512 { vnni: true });
            }
        }
    }
    v
}

fn same(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(p, q)| p.to_bits() == q.to_bits() || (p.is_nan() && q.is_nan()))
}

/// Random quantized layers: `widths` = [k0, n0, n1, …]; weights on 2^-5 with `wbits` bits;
/// activations unsigned (or signed) 6-bit on 2^-6 (or 2^-4).
fn random_chain(rng: &mut Rng, widths: &[usize], signed_act: bool, softmax: Option<bool>) -> Chain {
    let mut stages = Vec::new();
    for (i, win) in widths.windows(2).enumerate() {
        let (k, n) = (win[0], win[1]);
        let w = Array2::from_shape_fn((k, n), |_| rng.int(-32, 31) as f32 / 32.0);
        let bias = (!rng.next().is_multiple_of(4)).then(|| (0..n).map(|_| rng.int(-64, 63) as f32 / 64.0).collect());
        let last = i == widths.len() - 2;
        let quant = (!last).then(|| {
            if signed_act { QuantEpi::new(0.0625, 0.0, -32.0, 31.0) } else { QuantEpi::new(0.015625, 0.0, 0.0, 63.0) }
        });
        let sums = if i == 0 {
            Sums::Checked(certificate(&column_grids(w.view()).unwrap()))
        } else {
            let q = if signed_act { 32.0 } else { 63.0 };
            let ex = if signed_act { -4 } else { -6 };
            assert!(sums_exact_for(&column_grids(w.view()).unwrap(), ex, q));
            Sums::Exact
        };
        stages.push(DenseStage::new(w, bias, !last || rng.next().is_multiple_of(2), quant, sums));
    }
    Chain::new(stages, softmax)
}

/// How test inputs are drawn.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Inputs {
    /// On the 2^-10 grid within ±4, zeros of both signs, values that make rounding ties after
    /// the first layer: the certificate holds.
    Grid,
    /// Also large values on a coarse grid (the first quantizer saturates), beside fine ones:
    /// the certificate fails.
    Saturating,
    /// Also values off any coarse grid, NaN and infinities.
    Float,
}

fn inputs(rng: &mut Rng, m: usize, k: usize, kind: Inputs) -> Vec<f32> {
    (0..m * k)
        .map(|_| match (rng.next() % 16, kind) {
            (0, _) => 0.0,
            (1, _) => -0.0,
            (2, _) => rng.int(-8, 8) as f32 * 0.5 / 64.0,
            (3, Inputs::Saturating | Inputs::Float) => rng.int(-4000, 4000) as f32 / 8.0,
            (4, Inputs::Float) => rng.int(-1 << 20, 1 << 20) as f32 * 1e-3,
            (5, Inputs::Float) if rng.next().is_multiple_of(32) => f32::NAN,
            (6, Inputs::Float) if rng.next().is_multiple_of(32) => f32::INFINITY,
            (7, Inputs::Float) if rng.next().is_multiple_of(32) => f32::NEG_INFINITY,
            _ => rng.int(-4096, 4096) as f32 / 1024.0,
        })
        .collect()
}

#[test]
fn chains_equal_the_separate_ops_on_every_backend() {
    let mut rng = Rng(7);
    let shapes: &[&[usize]] = &[&[16, 64, 32, 32, 5], &[3, 17, 33, 1], &[40, 80, 7], &[5, 16, 16], &[16, 100, 70, 5]];
    let mut certified = [0usize; 2];
    for (t, widths) in shapes.iter().enumerate() {
        for signed in [false, true] {
            let softmax = [None, Some(false), Some(true)][t % 3];
            let chain = random_chain(&mut rng, widths, signed, softmax);
            assert!(chain.stages[1..].iter().all(|s| s.int8.is_some()));
            for (m, kind) in [
                (1, Inputs::Grid),
                (7, Inputs::Float),
                (250, Inputs::Grid),
                (250, Inputs::Saturating),
                (250, Inputs::Float),
                (193, Inputs::Grid),
            ] {
                let x = inputs(&mut rng, m, widths[0], kind);
                if let Sums::Checked(Some(cert)) = &chain.stages[0].sums {
                    let holds = cert.holds(Backend::Portable, &x, widths[0], widths[0], m);
                    assert_eq!(holds, kind == Inputs::Grid, "{widths:?} {kind:?}");
                    certified[usize::from(holds)] += 1;
                }
                for exact in [false, true] {
                    let want = reference(&chain, &x, m, exact);
                    for be in backends() {
                        let got = chain.run(be, &x, m, exact);
                        assert!(same(&got, &want), "{widths:?} signed={signed} m={m} {kind:?} {be:?} {exact}");
                    }
                }
            }
        }
    }
    assert!(certified[0] > 0 && certified[1] > 0);
}

#[test]
fn certificate_accepts_grid_inputs_and_refuses_others() {
    let w = Array2::from_shape_fn((16, 8), |(i, j)| ((i * 7 + j * 3) % 63) as f32 / 32.0 - 1.0);
    let cert = certificate(&column_grids(w.view()).unwrap()).unwrap();
    let grid: Vec<f32> = (0..32).map(|i| (i as f32 - 16.0) / 1024.0).collect();
    assert!(cert.holds(Backend::detect(), &grid, 16, 16, 2));
    let off: Vec<f32> = grid.iter().map(|v| v + 1e-7).collect();
    assert!(!cert.holds(Backend::detect(), &off, 16, 16, 2));
    let mut nan = grid.clone();
    nan[3] = f32::NAN;
    assert!(!cert.holds(Backend::detect(), &nan, 16, 16, 2));
    let mut inf = grid.clone();
    inf[3] = f32::NEG_INFINITY;
    assert!(!cert.holds(Backend::detect(), &inf, 16, 16, 2));
    // Large values on a coarse grid pass; a tiny value beside them does not.
    let mut big: Vec<f32> = (0..32).map(|i| i as f32 * 256.0).collect();
    assert!(cert.holds(Backend::detect(), &big, 16, 16, 2));
    big[5] = f32::from_bits(1); // the smallest subnormal
    assert!(!cert.holds(Backend::detect(), &big, 16, 16, 2));
    assert!(cert.holds(Backend::detect(), &[0.0; 32], 16, 16, 2));
}

/// Sums that are not exact take the FMA kernels where those give the `MatMul`'s bits after the
/// tail, and `matrixmultiply` otherwise: checked on tiny inputs whose products all round to −0.0
/// in some columns, where `matrixmultiply`'s AVX2 kernel stores +0.0 and our kernels −0.0.
#[test]
fn off_grid_sums_equal_the_matmul_with_zeros_of_either_sign() {
    let mut rng = Rng(17);
    let (k, n, m) = (16, 20, 250);
    // Columns 0..8 all positive: with all inputs negative and tiny, each product is −0.0.
    let w = Array2::from_shape_fn((k, n), |(_, c)| {
        if c < 8 { rng.int(1, 31) as f32 / 32.0 } else { rng.int(-32, 31) as f32 / 32.0 }
    });
    let negative_zero_bias = Some((0..n).map(|c| if c % 2 == 0 { -0.0 } else { 0.25 }).collect::<Vec<f32>>());
    let cases = [
        ("no tail", None, false, None, false),
        ("a bias with −0.0", negative_zero_bias.clone(), false, None, false),
        ("a bias of +0.0", Some(vec![0.0; n]), false, None, true),
        ("a ReLU", negative_zero_bias, true, None, true),
        ("a quantizer", None, false, Some(QuantEpi::new(0.25, 0.0, -8.0, 7.0)), true),
        ("a quantizer with zero-point −0.0", None, false, Some(QuantEpi::new(0.25, -0.0, -8.0, 7.0)), false),
    ];
    let tiny: Vec<f32> = (0..m * k).map(|i| if i % 5 == 0 { -1e-44 } else { -f32::from_bits(1) }).collect();
    let mut mixed = tiny.clone();
    for (i, v) in inputs(&mut rng, m, k, Inputs::Float).into_iter().enumerate() {
        if (i / k) % 3 == 0 {
            mixed[i] = v;
        }
    }
    for (what, bias, relu, quant, fast) in cases {
        let stage = DenseStage::new(w.clone(), bias, relu, quant, Sums::Checked(None));
        assert_eq!(stage.fma_as_matmul, fast, "{what}");
        let chain = Chain::new(vec![stage], None);
        for x in [&tiny, &mixed] {
            let want = reference(&chain, x, m, false);
            for be in backends() {
                let got = chain.run(be, x, m, false);
                assert!(same(&got, &want), "{what}: {be:?}");
            }
        }
    }
}
