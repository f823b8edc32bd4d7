//! The integer dense kernel that the workspace's packed integer paths share (`hawq-core`'s
//! integer engine and `hls-backend`'s emulator) in the baseline SIMD of each architecture, which
//! needs no runtime detection: SSE2 on x86-64 (`pmaddwd`), NEON on aarch64 (`smlal`), plain loops
//! that the compiler vectorizes elsewhere; and, for callers that detected them, AVX2 ([`avx2`])
//! and AVX-512 VNNI ([`avx512`]).
//!
//! The data come in blocks of [`BLOCK`] samples. Inputs are pairs of consecutive 16-bit values in
//! one 32-bit word per sample, word-major (`words[g][BLOCK]`); weights are the matching pairs,
//! `pairs[g][n_pad]` (the low half multiplies the low half). A kernel computes, for a range of
//! output channels `j`, `acc[j][r] = bias[j] + Σ_g lo(words[g][r])·lo(pairs[g][j]) +
//! hi(words[g][r])·hi(pairs[g][j])` in wrapping 32-bit arithmetic. The callers prove that every
//! partial sum fits `i32`; a lone pair of `−2^15 · −2^15` products may wrap (`pmaddwd` does),
//! and the final, fitting sum undoes the wrap, so every form gives the exact sums.

#[cfg(target_arch = "x86_64")]
pub mod avx2;
#[cfg(target_arch = "x86_64")]
pub mod avx512;
#[cfg(target_arch = "aarch64")]
mod neon;
#[cfg(target_arch = "x86_64")]
mod sse2;

/// Samples in a block.
pub const BLOCK: usize = 32;

/// Output channels the SIMD forms compute together; the channel ranges given to [`dense`] are
/// whole multiples of it.
pub const GROUP: usize = 4;

/// The signature of [`dense`] and [`dense_plain`], for callers that take either.
pub type DenseFn = fn(&[i32], &[i32], &[i32], usize, &mut [[i32; BLOCK]]);

/// The sums of channels `j0 .. j0 + acc.len()` into `acc` (`acc[c][r]` for channel `j0 + c`),
/// from `words` (`[g][BLOCK]`), `pairs` (`[g][n_pad]`) and `bias` (`[n_pad]`), in the baseline
/// SIMD of the target.
///
/// # Panics
/// If `acc.len()` is not a multiple of [`GROUP`] or the slices are shorter than the shapes say:
/// programming errors of the caller, which owns the packed layout.
#[inline]
pub fn dense(words: &[i32], pairs: &[i32], bias: &[i32], j0: usize, acc: &mut [[i32; BLOCK]]) {
    assert!(acc.len().is_multiple_of(GROUP) && j0 + acc.len() <= bias.len(), "channel range outside the layer");
    #[cfg(target_arch = "x86_64")]
    sse2::dense(words, pairs, bias, j0, acc);
    #[cfg(target_arch = "aarch64")]
    neon::dense(words, pairs, bias, j0, acc);
    #[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
    dense_plain(words, pairs, bias, j0, acc);
}

/// [`dense`] in plain loops on every target: what targets other than x86-64 and aarch64 run, and
/// what the tests compare the SIMD forms with.
pub fn dense_plain(words: &[i32], pairs: &[i32], bias: &[i32], j0: usize, acc: &mut [[i32; BLOCK]]) {
    let n_pad = bias.len();
    for (c, a) in acc.iter_mut().enumerate() {
        *a = [bias[j0 + c]; BLOCK];
    }
    for (g, xg) in halves(words).chunks_exact(2 * BLOCK).enumerate() {
        for (a, &w) in acc.iter_mut().zip(&pairs[g * n_pad + j0..]) {
            let (wl, wh) = (i32::from(w as i16), w >> 16);
            // Each sample's pair times the weight pair, both products added: the form that
            // compilers lower to `pmaddwd` on x86-64.
            for (ar, xv) in a.iter_mut().zip(xg.chunks_exact(2)) {
                let (xl, xh) = (i32::from(xv[LOW]), i32::from(xv[1 - LOW]));
                *ar = ar.wrapping_add(xl.wrapping_mul(wl).wrapping_add(xh.wrapping_mul(wh)));
            }
        }
    }
}

/// The index of a 32-bit word's low 16-bit half in memory.
const LOW: usize = if cfg!(target_endian = "little") { 0 } else { 1 };

/// `x` as its 16-bit halves, in memory order (the low half of each word at [`LOW`]).
fn halves(x: &[i32]) -> &[i16] {
    #[allow(unsafe_code)]
    // SAFETY: `i16` is no more aligned than `i32`, has no invalid bit patterns, and the slice
    // covers exactly the bytes of `x`, borrowed for as long as `x`.
    unsafe {
        std::slice::from_raw_parts(x.as_ptr().cast::<i16>(), 2 * x.len())
    }
}

/// Runs `span(h, sums)` for every span of `span_len` samples and every group of [`GROUP`]
/// channels of `acc`, the SIMD forms' loop: `span` fills `sums[c][h .. h + span_len]` for
/// channels `j0 + g + c`, given `g`.
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[inline(always)]
fn by_spans(acc: &mut [[i32; BLOCK]], span_len: usize, mut span: impl FnMut(usize, usize, &mut [[i32; BLOCK]])) {
    for (g, group) in acc.chunks_exact_mut(GROUP).enumerate() {
        for h in (0..BLOCK).step_by(span_len) {
            span(g * GROUP, h, group);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded stream of words whose 16-bit halves lie in `−reach .. reach`.
    fn words(n: usize, reach: i32, mut s: u64) -> Vec<i32> {
        let mut half = move || {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s % (2 * reach as u64)) as i32 - reach
        };
        (0..n).map(|_| (half() & 0xFFFF) | (half() << 16)).collect()
    }

    /// Every form gives the exact sums (computed here in i64 from the halves), on random pairs
    /// and on one sample and channel whose first pair of products is `2 · (−2^15)^2 = 2^31`
    /// (which wraps `pmaddwd`'s pair sum, and `vpdpwssd`'s sum with the bias) while its whole sum
    /// fits `i32`. The AVX2 and AVX-512 forms run where the CPU has them.
    #[test]
    fn baseline_and_plain_forms_give_the_exact_sums() {
        let (groups, n_pad) = (9, 12);
        let mut x = words(groups * BLOCK, 4096, 1);
        let mut w = words(groups * n_pad, 1024, 2);
        let mut bias = words(n_pad, 1 << 14, 3);
        let both_min = 0x8000_8000u32 as i32;
        (x[5], w[3]) = (both_min, both_min);
        // A non-negative bias makes the first group's sum leave i32 as well, as the AVX-512 form
        // adds the accumulator in the same instruction: a saturating form would stop there.
        bias[3] = 1 << 20;
        // Then −2^15 · (2^15 − 1) and nothing more for sample 5 on channel 3.
        (x[BLOCK + 5], w[n_pad + 3]) = (0x8000, 0x7FFF);
        for g in 2..groups {
            x[g * BLOCK + 5] = 0;
        }
        let lo = |v: i32| i64::from(v as i16);
        let hi = |v: i32| i64::from(v >> 16);
        for j0 in [0, 4, 8] {
            let mut fast = [[0i32; BLOCK]; 4];
            let mut plain = [[0i32; BLOCK]; 4];
            dense(&x, &w, &bias, j0, &mut fast);
            dense_plain(&x, &w, &bias, j0, &mut plain);
            #[cfg(target_arch = "x86_64")]
            let avx2 = std::is_x86_feature_detected!("avx2").then(|| {
                let mut a = [[0i32; BLOCK]; 4];
                // SAFETY: AVX2 was detected.
                #[allow(unsafe_code)]
                unsafe {
                    avx2::dense(&x, &w, &bias, j0, &mut a)
                };
                a
            });
            #[cfg(not(target_arch = "x86_64"))]
            let avx2: Option<[[i32; BLOCK]; 4]> = None;
            // AVX-512 on eight channels where the layer has them (a full pass), else four (the
            // remainder pass).
            #[cfg(target_arch = "x86_64")]
            let avx512 = crate::simd::Simd::Avx512.supported().then(|| {
                let mut a = vec![[0i32; BLOCK]; if j0 + 8 <= n_pad { 8 } else { 4 }];
                // SAFETY: AVX-512 F, BW and VNNI were detected.
                #[allow(unsafe_code)]
                unsafe {
                    avx512::dense(&x, &w, &bias, j0, &mut a)
                };
                a
            });
            #[cfg(not(target_arch = "x86_64"))]
            let avx512: Option<Vec<[i32; BLOCK]>> = None;
            let want = |j: usize, r: usize| {
                let sum = i64::from(bias[j])
                    + (0..groups)
                        .map(|g| {
                            let (a, b) = (x[g * BLOCK + r], w[g * n_pad + j]);
                            lo(a) * lo(b) + hi(a) * hi(b)
                        })
                        .sum::<i64>();
                assert!(i32::try_from(sum).is_ok(), "test data: the sum j={j} r={r} leaves i32");
                sum
            };
            for c in 0..4 {
                for r in 0..BLOCK {
                    let j = j0 + c;
                    assert_eq!(i64::from(fast[c][r]), want(j, r), "j={j} r={r}");
                    assert_eq!(i64::from(plain[c][r]), want(j, r), "plain j={j} r={r}");
                    if let Some(a) = &avx2 {
                        assert_eq!(i64::from(a[c][r]), want(j, r), "AVX2 j={j} r={r}");
                    }
                }
            }
            for (c, row) in avx512.iter().flatten().enumerate() {
                for (r, &v) in row.iter().enumerate() {
                    assert_eq!(i64::from(v), want(j0 + c, r), "AVX-512 j={} r={r}", j0 + c);
                }
            }
        }
    }
}
