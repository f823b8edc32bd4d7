//! Fused dense chains for the executor.
//!
//! A *dense stage* is `MatMul` by a constant weight, then optionally `Add` of a constant row
//! vector, `Relu` and a per-tensor `ROUND` `Quant`. A *chain* is a run of dense stages, each
//! reading the previous one's output, optionally ending in a row `Softmax`/`LogSoftmax`. The
//! executor runs a chain over the batch in tiles of rows, each tile through every stage while its
//! activations are still in the L1 cache, instead of one pass over whole tensors per node.
//!
//! **The results are those of the separate ops, bit for bit.** Every element is computed with the
//! float32 operations of the separate ops (bias added to the product sum, then ReLU, then the
//! quantizer, then the softmax row as the Softmax op computes it). The only freedom taken is the
//! order and the form (fused multiply–add, integer dot products) of the product sums, and only
//! where the sums are *exact*, so that every order gives the same float32 value:
//!
//! - statically, when the stage's input comes from a `Quant` with a power-of-two scale and
//!   zero-point 0 and the weight grid and range bound every partial sum below 2^24 units of the
//!   product grid ([`sums_exact_for`]); such stages can run on integer codes (8-bit activations,
//!   8-bit weights, 32-bit sums: the AVX-512 VNNI kernel) when the ranges fit;
//! - per tile, for a stage reading float input (the first layer of a network without an input
//!   quantizer), when a [`Certificate`] shows that this tile's inputs lie on a grid fine enough for
//!   the same bound. Where it does not hold, the tile's product is computed by the same
//!   `matrixmultiply` call as the unfused `MatMul` (whose result for a row does not depend on the
//!   other rows), and only the elementwise tail is fused;
//! - or not at all, where the AVX2 and AVX-512 kernels compute each sum in `matrixmultiply`'s own
//!   order and form (one FMA chain over the inputs, which is what it runs on CPUs with FMA) and
//!   the tail maps the one difference, the sign of a zero sum, to the same bits
//!   ([`DenseStage::fma_as_matmul`]): then float input needs no check at all.
//!
//! In exact mode the same holds with the unfused `MatMul`'s float64 accumulation: exact sums are
//! the same in float64, and the fallback product is that `MatMul`'s float64 product. The executor
//! uses chains whenever intermediates are not asked for.

mod exact;
mod portable;
mod softmax;
#[cfg(test)]
mod tests;
#[cfg(target_arch = "x86_64")]
mod x86;

#[cfg(target_arch = "x86_64")]
pub(crate) use exact::Certificate;
pub(crate) use exact::{Grids, Sums, certificate, column_grids, pow2_exponent, sums_exact_for};
use softmax::softmax_rows;
#[cfg(target_arch = "x86_64")]
use softmax::{SOFT_LANES, exp_all, softmax_rows_impl};

use ndarray::{Array2, ArrayView2, ShapeBuilder};

use crate::error::Result;
use crate::ops::{mm2, quant_round_fast, softmax_row};
use crate::simd::Simd;

/// Rows of a batch taken through all stages of a chain together.
const TILE: usize = 96;

/// Columns of one weight panel (one AVX-512 register of float32).
const PANEL: usize = 16;

/// A per-tensor `ROUND` quantizer at the end of a stage.
#[derive(Debug, Clone)]
pub(crate) struct QuantEpi {
    /// Scale.
    pub s: f32,
    /// Zero-point.
    pub z: f32,
    /// Clamp range, lower end.
    pub lo: f32,
    /// Clamp range, upper end.
    pub hi: f32,
    /// `1/s` when `s` is a power of two, so that `v/s == v·(1/s)` for every `v`.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernels only
    pub inv_s: Option<f32>,
    /// When the quantized values are integers `q` (zero-point 0) in an 8-bit range, the offset that
    /// makes `q + offset` an unsigned byte (0 or 128): the stage can hand its output to the next
    /// one as byte codes.
    pub code_offset: Option<i32>,
}

impl QuantEpi {
    /// The quantizer `(s, z, [lo, hi])` (a range within ±2^22, as `quant_round_fast` needs).
    pub fn new(s: f32, z: f32, lo: f32, hi: f32) -> QuantEpi {
        let pow2 = s.is_normal() && s > 0.0 && s.to_bits() & 0x7f_ffff == 0;
        let code_offset = if z != 0.0 || !pow2 {
            None
        } else if lo >= 0.0 && hi <= 255.0 {
            Some(0)
        } else if lo >= -128.0 && hi <= 127.0 {
            Some(128)
        } else {
            None
        };
        QuantEpi { s, z, lo, hi, inv_s: pow2.then(|| 1.0 / s), code_offset }
    }

    /// The rounded, clamped integer `r` of `quant_round_fast` (the quantized value is `(r − z)·s`).
    #[inline(always)]
    fn level(&self, v: f32) -> f32 {
        const MAGIC: f32 = 12_582_912.0; // 1.5 · 2^23, as in `quant_round_fast`
        let mut y = v / self.s;
        y += self.z;
        if y > self.hi {
            y = self.hi;
        }
        if y < self.lo {
            y = self.lo;
        }
        ((y + MAGIC) - MAGIC).copysign(y)
    }
}

/// Weights as signed bytes for a stage whose input arrives as byte codes.
#[derive(Debug, Clone)]
#[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernels only
pub(crate) struct Int8Weights {
    /// Fan-in rounded up to a multiple of 4.
    kp: usize,
    /// `[np/16][kp/4][16][4]`: for each panel of 16 columns and group of 4 inputs, the 4 weights
    /// of each column next to each other (the operand layout of `vpdpbusd`); zero padded.
    w: Vec<i8>,
    /// Per column, the float32 value of one unit of the integer sum, `2^(ex + e_c)`.
    unit: Vec<f32>,
    /// Per column, `−offset · Σ_k w_int`, removing the code offset from the sums.
    corr: Vec<i32>,
}

/// One fused dense stage.
#[derive(Debug, Clone)]
pub(crate) struct DenseStage {
    /// Fan-in.
    pub k: usize,
    /// Outputs.
    pub n: usize,
    /// `n` rounded up to whole panels.
    np: usize,
    /// The weights `[k, n]`, as the unfused `MatMul` multiplies them.
    w: Array2<f32>,
    /// The weights in panels of 16 columns, `[np/16][k][16]`, zero padded.
    wp: Vec<f32>,
    /// Bias added after the product (padded with zeros to `np`).
    bias: Option<Vec<f32>>,
    /// ReLU after the bias.
    relu: bool,
    /// The quantizer maps everything the ReLU changes to the same level anyway (zero-point +0.0,
    /// range from 0 up), so the vector tail may leave the ReLU out.
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))] // read by the x86-64 kernels only
    relu_in_quant: bool,
    /// Quantizer at the end.
    quant: Option<QuantEpi>,
    /// How the sums are known to be exact.
    sums: Sums,
    /// Byte weights, when the previous stage of the chain hands over byte codes.
    int8: Option<Int8Weights>,
    /// The FMA kernels' sums give the unfused `MatMul`'s results whatever the inputs (see
    /// [`DenseStage::fma_as_matmul`]).
    fma_as_matmul: bool,
}

impl DenseStage {
    /// A stage multiplying by `w` (`[k, n]`, `k, n ≥ 1`).
    pub fn new(w: Array2<f32>, bias: Option<Vec<f32>>, relu: bool, quant: Option<QuantEpi>, sums: Sums) -> DenseStage {
        let (k, n) = w.dim();
        let np = n.div_ceil(PANEL) * PANEL;
        let mut wp = vec![0f32; np * k];
        for ((kk, c), &v) in w.indexed_iter() {
            wp[(c / PANEL) * k * PANEL + kk * PANEL + c % PANEL] = v;
        }
        let bias = bias.map(|mut b| {
            b.resize(np, 0.0);
            b
        });
        // With ReLU: v ≤ 0 becomes +0, so y = +0/s + (+0) = +0, which the clamp keeps (lo = 0) or
        // raises to lo. Without: y = v/s + (+0) is +0 or negative, and the clamp gives the same.
        let relu_in_quant = relu && quant.as_ref().is_some_and(|q| q.z.to_bits() == 0 && q.lo >= 0.0);
        let fma_as_matmul = DenseStage::fma_as_matmul(k, n, bias.as_deref(), relu, quant.as_ref());
        DenseStage { k, n, np, w, wp, bias, relu, relu_in_quant, quant, sums, int8: None, fma_as_matmul }
    }

    /// Whether the float32 sums of the AVX2 and AVX-512 kernels give the unfused `MatMul`'s
    /// results after the tail on every input, exact or not: the `MatMul` runs `matrixmultiply`'s
    /// `sgemm`, whose kernels on a CPU with FMA (which the AVX2 and AVX-512 backends require)
    /// compute each sum as one FMA chain from +0.0 over `k` in order when `k` fits one of its
    /// blocks (`KC` = 256, its default; the fused tests compare both on inputs off every grid),
    /// then store it times α = 1 (its AVX2 kernel as `fma(1, sum, +0.0)`): the chain of our
    /// kernels, except that a sum of −0.0 (all products negative and below the smallest float)
    /// becomes +0.0 there. So the tail must map both zeros alike: a bias without −0.0 adds to
    /// each, a ReLU makes both +0.0, a quantizer adds its zero-point (unless that is −0.0).
    fn fma_as_matmul(k: usize, n: usize, bias: Option<&[f32]>, relu: bool, quant: Option<&QuantEpi>) -> bool {
        const MATMUL_KC: usize = 256;
        let negative_zero = |v: f32| v.to_bits() == (-0.0f32).to_bits();
        let bias_washes = bias.is_some_and(|b| !b[..n].iter().any(|&v| negative_zero(v)));
        let quant_washes = quant.is_some_and(|q| !negative_zero(q.z));
        k <= MATMUL_KC && (bias_washes || relu || quant_washes)
    }

    /// Prepares byte weights for input codes `q + offset` of values `q·2^ex` with `|q| ≤ qmax`, if
    /// the sums are proven exact for such inputs and every column is 8-bit integers on its grid.
    fn prepare_int8(&mut self, ex: i32, qmax: f64, offset: i32) {
        if !matches!(self.sums, Sums::Exact) {
            return;
        }
        let Some(g) = column_grids(self.w.view()) else { return };
        if !sums_exact_for(&g, ex, qmax) {
            return;
        }
        let (k, np) = (self.k, self.np);
        let kp = k.div_ceil(4) * 4;
        let mut w = vec![0i8; np * kp];
        let mut unit = vec![1f32; np];
        let mut corr = vec![0i32; np];
        for c in 0..self.n {
            let Some(ew) = g.ew[c] else { continue };
            // Codes are at most 255 and the bytes at most 128: the sums stay far from 2^31.
            if g.units[c] * 255.0 >= f64::from(1u32 << 31) {
                return;
            }
            let mut sum = 0i32;
            for kk in 0..k {
                let v = f64::from(self.w[[kk, c]]) * (-f64::from(ew)).exp2();
                if !(-128.0..=127.0).contains(&v) || v.fract() != 0.0 {
                    return;
                }
                let (p, j) = (c / PANEL, c % PANEL);
                w[p * kp * PANEL + (kk / 4) * PANEL * 4 + j * 4 + kk % 4] = v as i8;
                sum += v as i32;
            }
            // A normal power of two (the static proof bounds ex + ew to [−126, 103]).
            unit[c] = f32::from_bits(((127 + ex + ew) as u32) << 23);
            corr[c] = -offset * sum;
        }
        self.int8 = Some(Int8Weights { kp, w, unit, corr });
    }

    /// The bias, ReLU and quantizer of the separate ops on one product sum `v` of column `c`.
    #[inline(always)]
    fn tail(&self, c: usize, mut v: f32) -> f32 {
        if let Some(b) = &self.bias {
            v += b[c];
        }
        if self.relu && !(v > 0.0 || v.is_nan()) {
            v = 0.0;
        }
        match &self.quant {
            Some(q) => quant_round_fast(v, q.s, q.z, q.lo, q.hi),
            None => v,
        }
    }

    /// [`DenseStage::tail`] on one row's product sums `src` (columns `0..n`) into `out`, an
    /// operation at a time over the row, so that the compiler vectorizes each: the same float32
    /// operations on each element, in the same order.
    #[inline(always)]
    fn tails_row(&self, src: &[f32], out: &mut [f32]) {
        out.copy_from_slice(src);
        if let Some(b) = &self.bias {
            out.iter_mut().zip(b).for_each(|(v, b)| *v += b);
        }
        if self.relu {
            out.iter_mut().for_each(|v| *v = if *v > 0.0 || v.is_nan() { *v } else { 0.0 });
        }
        if let Some(q) = &self.quant {
            out.iter_mut().for_each(|v| *v = quant_round_fast(*v, q.s, q.z, q.lo, q.hi));
        }
    }

    /// [`DenseStage::tail`] written to `dst` (row `r`, column `c`); `false` when a byte code was
    /// asked for and the value is NaN.
    #[inline(always)]
    fn tail_to(&self, c: usize, v: f32, dst: &mut Dst<'_>, r: usize) -> bool {
        match dst {
            Dst::F32 { data, stride } => {
                data[r * *stride + c] = self.tail(c, v);
                true
            }
            Dst::Codes { data, stride, offset } => {
                let mut v = v;
                if let Some(b) = &self.bias {
                    v += b[c];
                }
                if self.relu && !(v > 0.0 || v.is_nan()) {
                    v = 0.0;
                }
                let Some(q) = &self.quant else { return false };
                let l = q.level(v);
                data[r * *stride + c] = (l as i32 + *offset) as u8;
                !l.is_nan()
            }
        }
    }
}

/// Where a stage writes a tile: float32 rows, or byte codes `q + offset` for the next stage.
pub(crate) enum Dst<'a> {
    /// Float32 values, `n` of them a row.
    F32 { data: &'a mut [f32], stride: usize },
    /// Byte codes, `np` of them a row (panel padding included).
    Codes { data: &'a mut [u8], stride: usize, offset: i32 },
}

/// What a stage reads: float32 rows or byte codes.
#[derive(Clone, Copy)]
enum Src<'a> {
    F32(&'a [f32], usize),
    Codes(&'a [u8], usize),
}

/// The kernels the CPU runs. The kernels rely on the CPU having the variant's instructions: make
/// one with [`Backend::detect`] or [`Backend::of`], which check them (the tests build the variants
/// this CPU runs directly).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Backend {
    /// Plain Rust (any CPU).
    Portable,
    /// Plain Rust compiled for AVX2 and FMA.
    #[cfg(target_arch = "x86_64")]
    Avx2,
    /// AVX-512 kernels; with VNNI, byte-code stages use integer dot products.
    #[cfg(target_arch = "x86_64")]
    Avx512 { vnni: bool },
}

impl Backend {
    /// The best kernels this CPU runs, capped by `HAWQ_SIMD` ([`crate::simd::Simd::limit`]; the
    /// reference level also runs the portable kernels here, which compute the same values).
    pub fn detect() -> Backend {
        #[cfg(target_arch = "x86_64")]
        {
            let limit = Simd::limit();
            // AVX-512 on top of AVX2 and FMA, as the levels are ordered: `fma_chains` rests on
            // `matrixmultiply` running its FMA kernel.
            if limit >= Simd::Avx512 && Simd::Avx2.supported() && std::arch::is_x86_feature_detected!("avx512f") {
                return Backend::Avx512 { vnni: std::arch::is_x86_feature_detected!("avx512vnni") };
            }
            if limit >= Simd::Avx2 && Simd::Avx2.supported() {
                return Backend::Avx2;
            }
        }
        Backend::Portable
    }

    /// The kernels of `simd`: an error when this CPU lacks its instructions (the reference level
    /// runs the portable kernels, which compute the same values, and so does the aarch64
    /// dot-product level: the fused chains multiply floats; the AVX-VNNI level runs the AVX2
    /// kernels).
    pub fn of(simd: Simd) -> Result<Backend> {
        Ok(match simd.check()? {
            Simd::Reference | Simd::Portable | Simd::Dotprod => Backend::Portable,
            #[cfg(target_arch = "x86_64")]
            Simd::Avx2 | Simd::AvxVnni => Backend::Avx2,
            #[cfg(target_arch = "x86_64")]
            Simd::Avx512 => Backend::Avx512 { vnni: true },
            #[cfg(not(target_arch = "x86_64"))]
            Simd::Avx2 | Simd::AvxVnni | Simd::Avx512 => Backend::Portable,
        })
    }

    /// Whether [`dense_f32`] computes each sum as one FMA chain from +0.0 over the inputs in
    /// order (the AVX2 and AVX-512 kernels; AVX2 hands byte-code outputs, which only the VNNI
    /// backend asks for, to the portable kernel, which multiplies and adds apart).
    #[cfg_attr(not(target_arch = "x86_64"), allow(unused_variables))]
    fn fma_chains(self, dst: &Dst<'_>) -> bool {
        match self {
            Backend::Portable => false,
            #[cfg(target_arch = "x86_64")]
            Backend::Avx2 => matches!(dst, Dst::F32 { .. }),
            #[cfg(target_arch = "x86_64")]
            Backend::Avx512 { .. } => true,
        }
    }

    /// Whether stages hand byte codes to each other.
    fn codes(self) -> bool {
        #[cfg(target_arch = "x86_64")]
        if let Backend::Avx512 { vnni } = self {
            return vnni;
        }
        false
    }

    /// The same kernels without byte codes.
    fn without_codes(self) -> Backend {
        #[cfg(target_arch = "x86_64")]
        if let Backend::Avx512 { .. } = self {
            return Backend::Avx512 { vnni: false };
        }
        self
    }
}

/// Scratch space of one chain run.
struct Buffers {
    f: [Vec<f32>; 2],
    c: [Vec<u8>; 2],
    soft: Vec<f32>,
}

/// A run of dense stages, each reading the previous one's output, and an optional row softmax.
#[derive(Debug, Clone)]
pub(crate) struct Chain {
    /// The stages, in order.
    pub stages: Vec<DenseStage>,
    /// `Some(log)`: a `Softmax` (`LogSoftmax` if `log`) over each output row at the end.
    pub softmax: Option<bool>,
}

impl Chain {
    /// A chain of `stages` (each stage's `k` is the previous one's `n`), byte codes prepared
    /// between stages where the ranges allow.
    pub fn new(mut stages: Vec<DenseStage>, softmax: Option<bool>) -> Chain {
        assert!(!stages.is_empty() && stages.windows(2).all(|p| p[0].n == p[1].k), "chain widths");
        for i in 1..stages.len() {
            let prev = stages[i - 1].quant.clone();
            if let Some(q) = prev
                && let (Some(off), Some(ex)) = (q.code_offset, pow2_exponent(f64::from(q.s)))
            {
                stages[i].prepare_int8(ex, f64::from(q.lo.abs().max(q.hi.abs())), off);
            }
        }
        Chain { stages, softmax }
    }

    /// Fan-in of the first stage.
    pub fn k(&self) -> usize {
        self.stages.first().map_or(0, |s| s.k)
    }

    /// Outputs of the last stage.
    pub fn n(&self) -> usize {
        self.stages.last().map_or(0, |s| s.n)
    }

    /// Runs the chain on `be`'s kernels (which this CPU must run) on `m` contiguous rows of `k()`
    /// inputs; returns `m` rows of `n()` outputs. `exact`: as the unfused ops in exact mode
    /// (products that are not provably exact accumulated in float64).
    pub fn run(&self, be: Backend, x: &[f32], m: usize, exact: bool) -> Vec<f32> {
        let (k, n) = (self.k(), self.n());
        assert_eq!(x.len(), m * k, "chain input of {m} rows of {k}");
        let mut out = vec![0f32; m * n];
        let width = self.stages.iter().map(|s| s.np).max().unwrap_or(0);
        // Fewer rows a tile for very wide layers, so that the scratch space stays small.
        let tile = TILE.min((1 << 20) / width.max(1)).clamp(1, m.max(1));
        let mut bufs = Buffers {
            f: [vec![0f32; tile * width], vec![0f32; tile * width]],
            c: [vec![0u8; tile * width], vec![0u8; tile * width]],
            soft: Vec::new(),
        };
        for r0 in (0..m).step_by(tile) {
            let rows = tile.min(m - r0);
            let xt = &x[r0 * k..(r0 + rows) * k];
            let ot = &mut out[r0 * n..(r0 + rows) * n];
            if !self.run_tile(be, exact, xt, rows, ot, &mut bufs) {
                // A NaN met the byte codes: this tile again in float32 throughout.
                let ok = self.run_tile(be.without_codes(), exact, xt, rows, ot, &mut bufs);
                debug_assert!(ok);
            }
            match self.softmax {
                Some(false) => softmax_rows(be, ot, n, &mut bufs.soft),
                Some(true) => ot.chunks_exact_mut(n).for_each(|row| softmax_row(row, true)),
                None => {}
            }
        }
        out
    }

    /// One tile of `rows` rows through every stage; `false` if a NaN met the byte codes.
    fn run_tile(&self, be: Backend, exact: bool, x: &[f32], rows: usize, out: &mut [f32], bufs: &mut Buffers) -> bool {
        let last = self.stages.len() - 1;
        let mut cur = 0;
        for (i, st) in self.stages.iter().enumerate() {
            let codes_in = i > 0 && be.codes() && st.int8.is_some();
            let codes_out = i < last && be.codes() && self.stages[i + 1].int8.is_some();
            let stride_in = if i == 0 { st.k } else { self.stages[i - 1].np };
            let (fin, fout) = pair(&mut bufs.f, cur);
            let (cin, cout) = pair(&mut bufs.c, cur);
            let src = match (i, codes_in) {
                (0, _) => Src::F32(x, stride_in),
                (_, true) => Src::Codes(cin, stride_in),
                (_, false) => Src::F32(fin, stride_in),
            };
            let dst = if i == last {
                Dst::F32 { data: &mut *out, stride: st.n }
            } else if codes_out {
                let offset = st.quant.as_ref().and_then(|q| q.code_offset).unwrap_or(0);
                Dst::Codes { data: cout, stride: st.np, offset }
            } else {
                Dst::F32 { data: fout, stride: st.np }
            };
            if !stage_tile(be, exact, st, src, rows, dst) {
                return false;
            }
            cur = 1 - cur;
        }
        true
    }
}

/// The buffer `cur` to read and the other one to write.
fn pair<T>(b: &mut [Vec<T>; 2], cur: usize) -> (&[T], &mut [T]) {
    let (a, c) = b.split_at_mut(1);
    if cur == 0 { (&a[0], &mut c[0]) } else { (&c[0], &mut a[0]) }
}

/// One stage on one tile; `false` if a NaN met byte codes.
fn stage_tile(be: Backend, exact: bool, st: &DenseStage, src: Src<'_>, rows: usize, dst: Dst<'_>) -> bool {
    match src {
        Src::Codes(c, cs) => {
            #[cfg(target_arch = "x86_64")]
            if let (Backend::Avx512 { vnni: true }, Some(w8)) = (be, &st.int8) {
                // SAFETY: the CPU has AVX-512F and VNNI (`Backend::detect`, `Backend::of`).
                #[allow(unsafe_code)]
                return unsafe { x86::dense_i8(st, w8, c, cs, rows, dst) };
            }
            let _ = (c, cs);
            unreachable!("byte codes are only handed over to AVX-512 VNNI stages")
        }
        Src::F32(x, xs) => {
            // The FMA kernels give the unfused MatMul's sums here whether or not they are exact,
            // so the exactness check is skipped.
            let as_matmul = !exact && st.fma_as_matmul && be.fma_chains(&dst);
            let exact_sums = as_matmul
                || match &st.sums {
                    Sums::Exact => true,
                    Sums::Checked(Some(cert)) => cert.holds(be, x, xs, st.k, rows),
                    Sums::Checked(None) => false,
                };
            if exact_sums {
                return dense_f32(be, st, x, xs, rows, dst);
            }
            // The product as the unfused MatMul computes it, by the same function.
            let a = ArrayView2::from_shape((rows, st.k).strides((xs, 1)), &x[..(rows - 1) * xs + st.k])
                .expect("tile view within its slice");
            let acc = mm2(a, st.w.view(), exact);
            tails_from(be, st, acc.as_slice().expect("a new standard-layout array"), rows, dst)
        }
    }
}

/// Exact float32 product sums, then the tail.
fn dense_f32(be: Backend, st: &DenseStage, x: &[f32], xs: usize, rows: usize, dst: Dst<'_>) -> bool {
    match be {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX-512F (`Backend::detect`, `Backend::of`).
        #[allow(unsafe_code)]
        Backend::Avx512 { .. } => unsafe { x86::dense_f32(st, x, xs, rows, dst) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX2 and FMA (`Backend::detect`, `Backend::of`).
        #[allow(unsafe_code)]
        Backend::Avx2 => unsafe { x86::dense_f32_avx2(st, x, xs, rows, dst) },
        Backend::Portable => portable::dense_f32(st, x, xs, rows, dst),
    }
}

/// The tails of product sums computed elsewhere (`acc`, `rows × n`).
fn tails_from(be: Backend, st: &DenseStage, acc: &[f32], rows: usize, dst: Dst<'_>) -> bool {
    match (be, dst) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the CPU has AVX-512F (`Backend::detect`, `Backend::of`).
        #[allow(unsafe_code)]
        (Backend::Avx512 { .. }, dst) => unsafe { x86::tails_from(st, acc, rows, dst) },
        #[cfg(target_arch = "x86_64")]
        (Backend::Avx2, Dst::F32 { data, stride }) => {
            // SAFETY: the CPU has AVX2 and FMA (`Backend::detect`, `Backend::of`).
            #[allow(unsafe_code)]
            unsafe {
                x86::tails_from_avx2(st, acc, rows, data, stride)
            };
            true
        }
        (_, dst) => portable::tails_from(st, acc, rows, dst),
    }
}
