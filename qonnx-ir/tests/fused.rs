//! The executor's fused chains (MatMul → Add → Relu → Quant stages run over tiles of rows, see
//! `src/fused/`) give the separate ops' results bit for bit, on the jet tagger and on graphs built
//! to take every path: static and per-tile exactness, byte codes between stages, power-of-two and
//! other scales, zero-points, saturation, rounding ties, NaN and infinities, other ranks.

mod common;

use qonnx_ir::builder::GraphBuilder;
use qonnx_ir::exec::{ExecOptions, Executor};
use qonnx_ir::ops::RoundingMode;
use qonnx_ir::{Dim, IntRange, Model, Simd, Tensor, attr};

/// SplitMix64, for seeded test data.
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

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// On the 2^-10 grid within ±4, zeros of both signs, values that give rounding ties.
    Grid,
    /// Also large values: the quantizers saturate.
    Saturating,
    /// Also values off any coarse grid, NaN and infinities.
    Float,
}

fn inputs(rng: &mut Rng, shape: &[usize], kind: Kind) -> Tensor {
    let len = shape.iter().product();
    let data = (0..len)
        .map(|_| match (rng.next() % 16, kind) {
            (0, _) => 0.0,
            (1, _) => -0.0,
            (2, _) => rng.int(-16, 16) as f32 * 0.5 / 64.0,
            (3, Kind::Saturating | Kind::Float) => rng.int(-4000, 4000) as f32 / 8.0,
            (4, Kind::Float) => rng.int(-1 << 20, 1 << 20) as f32 * 1e-3,
            (5, Kind::Float) if rng.next().is_multiple_of(32) => f32::NAN,
            (6, Kind::Float) if rng.next().is_multiple_of(32) => f32::INFINITY,
            (7, Kind::Float) if rng.next().is_multiple_of(32) => f32::NEG_INFINITY,
            _ => rng.int(-4096, 4096) as f32 / 1024.0,
        })
        .collect();
    Tensor::from_f32(shape, data).unwrap()
}

/// Output bits, with every NaN alike (payloads are not specified).
fn bits(t: &Tensor) -> Vec<u32> {
    t.as_f32().unwrap().iter().map(|v| if v.is_nan() { u32::MAX } else { v.to_bits() }).collect()
}

fn run(ex: &Executor<'_>, input: &str, x: &Tensor, opts: ExecOptions) -> (Vec<usize>, Vec<u32>) {
    let r = ex.run(&[(input, x.clone())], &ExecOptions { any_batch: true, ..opts }).unwrap();
    let t = &r.outputs[0].1;
    (t.shape().to_vec(), bits(t))
}

/// Fused (the default) against the separate ops (`keep_intermediates`), in float32 and in exact
/// mode, and the two modes against each other where `modes_agree`.
fn check(ex: &Executor<'_>, input: &str, x: &Tensor, modes_agree: bool, what: &str) {
    let mut results = Vec::new();
    for exact in [false, true] {
        let fused = run(ex, input, x, ExecOptions { exact, ..Default::default() });
        let separate = run(ex, input, x, ExecOptions { exact, keep_intermediates: true, ..Default::default() });
        assert_eq!(fused.0, separate.0, "{what}: shapes");
        if let Some(i) = (0..fused.1.len()).find(|&i| fused.1[i] != separate.1[i]) {
            panic!("{what} (exact: {exact}): element {i}: fused {:#x} vs separate {:#x}", fused.1[i], separate.1[i]);
        }
        results.push(fused);
    }
    if modes_agree {
        assert_eq!(results[0], results[1], "{what}: float32 and exact mode");
    }
}

/// The executor at every SIMD level this CPU runs (the default one first); the levels it lacks
/// are errors that name them.
fn executors(m: &Model) -> Vec<(String, Executor<'_>)> {
    let mut v = vec![("default".to_string(), Executor::new(m).unwrap())];
    for simd in Simd::ALL {
        match Executor::with_simd(m, simd) {
            Ok(ex) => v.push((simd.name().to_string(), ex)),
            Err(e) => {
                assert!(!simd.supported(), "{simd}: {e}");
                assert!(e.to_string().contains(simd.name()), "{e}");
            }
        }
    }
    v
}

#[test]
fn jet_tagger_fused_equals_separate_ops_on_random_inputs() {
    test_support::simd_levels_not_run();
    let m = Model::load(common::testdata("models/qkeras_jettagging.onnx")).unwrap();
    for (level, ex) in executors(&m) {
        assert_eq!(ex.fused_stages(), 4);
        let mut rng = Rng(2024);
        for batch in [1, 2, 7, 95, 96, 97, 1000, 3001] {
            for kind in [Kind::Grid, Kind::Saturating, Kind::Float] {
                let x = inputs(&mut rng, &[batch, 16], kind);
                // On the grid, every sum of the first layer is exact too: f64 accumulation agrees.
                check(&ex, "global_in", &x, kind == Kind::Grid, &format!("{level}: batch {batch} {kind:?}"));
            }
        }
    }
}

/// Quantized weights `[k, n]`: 6-bit signed on 2^-5, through a constant Quant.
fn weights(b: &mut GraphBuilder, rng: &mut Rng, name: &str, k: usize, n: usize) -> String {
    let w = Tensor::from_f32(&[k, n], (0..k * n).map(|_| rng.int(-40, 40) as f32 / 32.0).collect()).unwrap();
    let w = b.initializer(name, w);
    b.quant(&w, 1.0 / 32.0, 0.0, IntRange::new(6, true, false), RoundingMode::Round)
}

fn bias(b: &mut GraphBuilder, rng: &mut Rng, name: &str, n: usize) -> String {
    let v = Tensor::from_f32(&[n], (0..n).map(|_| rng.int(-64, 64) as f32 / 64.0).collect()).unwrap();
    b.initializer(name, v)
}

/// x → Quant(2^-4, 8-bit signed) → four dense layers whose inputs are: the input quantizer
/// (static proof, float handed over from outside the chain), unsigned 4-bit on 2^-3 (byte codes),
/// signed narrow 6-bit on 0.1 (not a power of two: float hand-over, no proof, per-tile check
/// fails), unsigned 5-bit on 2^-2 with zero-point 3 (no static proof; the per-tile check holds)
/// → LogSoftmax.
fn built_model(rank3: bool) -> Model {
    let mut rng = Rng(99);
    let mut b = GraphBuilder::new("fused_paths");
    let shape: Vec<Dim> = if rank3 {
        vec![Dim::Param("N".into()), Dim::Value(2), Dim::Value(12)]
    } else {
        vec![Dim::Param("N".into()), Dim::Value(12)]
    };
    let x = b.input_f32("x", &shape);
    let q = b.quant(&x, 1.0 / 16.0, 0.0, IntRange::new(8, true, false), RoundingMode::Round);
    let w = weights(&mut b, &mut rng, "w1", 12, 40);
    let y = b.node("MatMul", &[&q, &w], &[]);
    let c = bias(&mut b, &mut rng, "b1", 40);
    let y = b.node("Add", &[&y, &c], &[]);
    let y = b.node("Relu", &[&y], &[]);
    let y = b.quant(&y, 0.125, 0.0, IntRange::new(4, false, false), RoundingMode::Round);
    let w = weights(&mut b, &mut rng, "w2", 40, 20);
    let y = b.node("MatMul", &[&y, &w], &[]);
    let c = bias(&mut b, &mut rng, "b2", 20);
    let y = b.node("Add", &[&c, &y], &[]);
    let y = b.quant(&y, 0.1, 0.0, IntRange::new(6, true, true), RoundingMode::Round);
    let w = weights(&mut b, &mut rng, "w3", 20, 10);
    let y = b.node("MatMul", &[&y, &w], &[]);
    let c = bias(&mut b, &mut rng, "b3", 10);
    let y = b.node("Add", &[&y, &c], &[]);
    let y = b.node("Relu", &[&y], &[]);
    let y = b.quant(&y, 0.25, 3.0, IntRange::new(5, false, false), RoundingMode::Round);
    let w = weights(&mut b, &mut rng, "w4", 10, 3);
    let y = b.node("MatMul", &[&y, &w], &[]);
    let y = b.node("LogSoftmax", &[&y], &[attr::int("axis", -1)]);
    b.output_f32(&y);
    b.build()
}

#[test]
fn built_chain_takes_every_path_and_equals_separate_ops() {
    let m = built_model(false);
    for (level, ex) in executors(&m) {
        assert_eq!(ex.fused_stages(), 4);
        let mut rng = Rng(5);
        for batch in [1, 3, 96, 250, 777] {
            for kind in [Kind::Grid, Kind::Saturating, Kind::Float] {
                let x = inputs(&mut rng, &[batch, 12], kind);
                check(&ex, "x", &x, false, &format!("{level}: batch {batch} {kind:?}"));
            }
        }
    }
}

#[test]
fn other_ranks_run_the_separate_ops() {
    let m = built_model(true);
    let ex = Executor::new(&m).unwrap();
    let mut rng = Rng(6);
    for kind in [Kind::Grid, Kind::Float] {
        let x = inputs(&mut rng, &[33, 2, 12], kind);
        check(&ex, "x", &x, false, &format!("rank 3 {kind:?}"));
    }
}

/// Float models: every stage's product is computed as the separate MatMul computes it (the
/// per-tile check fails on float weights), on tiles of rows instead of the whole batch.
#[test]
fn float_models_fused_equal_separate_ops() {
    let mut rng = Rng(11);
    for name in ["three_layer_keras", "three_layer_pytorch"] {
        let mut m = Model::load(common::testdata(format!("models/{name}.onnx"))).unwrap();
        qonnx_ir::transform::gemm_to_matmul(&mut m).unwrap();
        let input = m.graph.real_inputs()[0].name.clone();
        for (level, ex) in executors(&m) {
            assert_eq!(ex.fused_stages(), 4, "{name}");
            for batch in [1, 5, 250] {
                for kind in [Kind::Grid, Kind::Float] {
                    let x = inputs(&mut rng, &[batch, 16], kind);
                    check(&ex, &input, &x, false, &format!("{name}, {level}: batch {batch} {kind:?}"));
                }
            }
        }
    }
}

/// A weight whose height does not match the previous layer's width ends the chain there; the
/// MatMul reports the mismatch as the separate op does (found by the `mutate_model` fuzzer).
#[test]
fn mismatched_widths_are_an_error_not_a_panic() {
    let mut rng = Rng(3);
    let mut b = GraphBuilder::new("mismatch");
    let x = b.input_f32("x", &[Dim::Param("N".into()), Dim::Value(8)]);
    let q = b.quant(&x, 1.0 / 16.0, 0.0, IntRange::new(8, true, false), RoundingMode::Round);
    let w = weights(&mut b, &mut rng, "w1", 8, 16);
    let y = b.node("MatMul", &[&q, &w], &[]);
    let y = b.quant(&y, 0.125, 0.0, IntRange::new(4, false, false), RoundingMode::Round);
    let w = weights(&mut b, &mut rng, "w2", 12, 4);
    let y = b.node("MatMul", &[&y, &w], &[]);
    b.output_f32(&y);
    let m = b.build();
    let ex = Executor::new(&m).unwrap();
    let x = inputs(&mut rng, &[20, 8], Kind::Grid);
    for exact in [false, true] {
        for keep_intermediates in [false, true] {
            let opts = ExecOptions { exact, keep_intermediates, any_batch: true };
            let e = ex.run(&[("x", x.clone())], &opts).unwrap_err();
            assert!(e.to_string().contains("MatMul"), "{e}");
        }
    }
}
