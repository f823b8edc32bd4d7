//! The block driver shared by every packed kernel set ([`super::avx512`], [`super::avx_vnni`],
//! [`super::avx2`], [`super::portable`]): inputs are cut into blocks of [`BLOCK`] samples,
//! packed word-major (`[words][BLOCK]`, one 32-bit word of each sample per lane), run through
//! every layer in two scratch buffers and the last layer's integers written back row-major. A kernel set supplies
//! only the layer kernel and the float input packing; everything else is here once.

#![allow(unsafe_code)] // `unsafe` only passes on the kernel sets' CPU-feature contract.
use super::packed::{BLOCK, PackedLayer, PackedMlp};

/// The float input quantizer: `clamp(x / scale, lo, hi)` rounded half to even.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InputQuant {
    /// Scale.
    pub(crate) scale: f32,
    /// Range as floats.
    pub(crate) lo: f32,
    /// Range as floats.
    pub(crate) hi: f32,
}

impl InputQuant {
    /// `1 / scale` when dividing by `scale` and multiplying by it round the same real number once:
    /// when `scale` is a power of two whose inverse is a normal number.
    pub(crate) fn exact_inverse(self) -> Option<f32> {
        let inv = 1.0 / self.scale;
        let exact = self.scale.is_normal() && inv.is_normal() && self.scale.to_bits() & 0x007F_FFFF == 0;
        exact.then_some(inv)
    }
}

/// What a kernel set supplies to the driver. The methods are `unsafe` because the kernels need
/// CPU features that the caller has checked.
pub(crate) trait Kernels {
    /// One layer on one block: `x` holds `layer.words_in` words per sample (`[words][BLOCK]`);
    /// the outputs go to `y` (packed words for a hidden layer, `[d_out_pad][BLOCK]` integers for
    /// the last).
    ///
    /// # Safety
    /// The CPU must have the kernel set's features.
    unsafe fn layer(&self, layer: &PackedLayer, x: &[i32], y: &mut [i32]);

    /// Quantizes `rows` ≤ [`BLOCK`] float samples into packed words in `buf` (`[words][BLOCK]`,
    /// the lanes past `rows` zero); `false` when a value is not finite.
    ///
    /// # Safety
    /// The CPU must have the kernel set's features.
    unsafe fn pack_f32(&self, p: &PackedMlp, q: InputQuant, x: &[f32], rows: usize, buf: &mut [i32]) -> bool;
}

/// The scratch space of one block.
pub(crate) struct Buffers {
    /// The current activations and the next layer's, `[words][BLOCK]`.
    pub(crate) a: Vec<i32>,
    pub(crate) b: Vec<i32>,
    /// The last layer's integers, `[d_out_pad][BLOCK]`.
    pub(crate) last: Vec<i32>,
}

impl Buffers {
    fn new(p: &PackedMlp) -> Buffers {
        let words = p.max_words().max(p.words_in());
        let last = p.layers.last().map_or(0, |l| l.d_out_pad);
        Buffers { a: vec![0; words * BLOCK], b: vec![0; words * BLOCK], last: vec![0; last * BLOCK] }
    }
}

/// Outputs of the packed model.
fn d_out(p: &PackedMlp) -> usize {
    p.layers.last().map_or(0, |l| l.d_out)
}

/// Runs the packed model on float inputs `x` (`[n, d_in]`): writes the integer outputs
/// (`[n, d_out]`) to `out`. Returns the index of the first non-finite input, if any (then `out`
/// is incomplete).
///
/// # Safety
/// The CPU must have `k`'s features.
#[inline(always)]
pub(crate) unsafe fn run_f32<K: Kernels>(
    k: &K,
    p: &PackedMlp,
    q: InputQuant,
    x: &[f32],
    out: &mut [i32],
) -> Option<usize> {
    let n = x.len() / p.d_in;
    let mut bufs = Buffers::new(p);
    for start in (0..n).step_by(BLOCK) {
        let rows = BLOCK.min(n - start);
        // SAFETY: the caller vouches for the CPU features.
        if !unsafe { k.pack_f32(p, q, &x[start * p.d_in..(start + rows) * p.d_in], rows, &mut bufs.a) } {
            let bad = x.iter().position(|v| !v.is_finite());
            return Some(bad.unwrap_or(0));
        }
        // SAFETY: as above.
        unsafe { run_block(k, p, &mut bufs, rows, &mut out[start * d_out(p)..]) };
    }
    None
}

/// Runs the packed model on integer inputs `q` (`[n, d_in]`, each within the input range):
/// writes the integer outputs (`[n, d_out]`) to `out`.
///
/// # Safety
/// The CPU must have `k`'s features.
#[inline(always)]
pub(crate) unsafe fn run_int<K: Kernels>(k: &K, p: &PackedMlp, q: &[i64], out: &mut [i32]) {
    let n = q.len() / p.d_in;
    let per = p.lanes_in.per_word();
    let mut bufs = Buffers::new(p);
    for start in (0..n).step_by(BLOCK) {
        let rows = BLOCK.min(n - start);
        bufs.a.fill(0);
        for r in 0..rows {
            for (k, &v) in q[(start + r) * p.d_in..(start + r + 1) * p.d_in].iter().enumerate() {
                bufs.a[(k / per) * BLOCK + r] |= p.lanes_in.place(v - i64::from(p.offset_in), k % per);
            }
        }
        // SAFETY: the caller vouches for the CPU features.
        unsafe { run_block(k, p, &mut bufs, rows, &mut out[start * d_out(p)..]) };
    }
}

/// All layers on the block packed in `bufs.a`; the first `rows` samples' outputs go to `out`
/// (row-major).
#[inline(always)]
unsafe fn run_block<K: Kernels>(k: &K, p: &PackedMlp, bufs: &mut Buffers, rows: usize, out: &mut [i32]) {
    let last = p.layers.len() - 1;
    for layer in &p.layers[..last] {
        // SAFETY: the caller vouches for the CPU features.
        unsafe { k.layer(layer, &bufs.a, &mut bufs.b) };
        std::mem::swap(&mut bufs.a, &mut bufs.b);
    }
    let l = &p.layers[last];
    // SAFETY: as above.
    unsafe { k.layer(l, &bufs.a, &mut bufs.last) };
    for r in 0..rows {
        for j in 0..l.d_out {
            out[r * l.d_out + j] = bufs.last[j * BLOCK + r];
        }
    }
}
