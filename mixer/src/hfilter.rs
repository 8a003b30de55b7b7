//! The horizontal pass of bilinear scaling: each output sample interpolated between two
//! neighbouring samples of a row. It was most of the compositor's time as one scalar gather per
//! output pixel; with SSSE3 (every x86-64 CPU of the last fifteen years) eight outputs take one
//! byte shuffle and one multiply-add. The CPU is asked at run time (`pulp`, which wraps the
//! intrinsics safely: the workspace forbids `unsafe`); elsewhere the scalar twin below computes
//! exactly the same numbers.
//!
//! Weights are 7-bit (the pair sums to 128), so a pair of bytes times a pair of weights fits one
//! `pmaddubsw` lane without saturating: 255 × 128 = 32,640.

/// One output sample: the two source indices and their weights (summing to 128).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Tap {
    a: u32,
    b: u32,
    wa: u8,
    wb: u8,
}

/// Eight outputs that read at most sixteen bytes from `base`: the byte shuffle that places each
/// output's two source bytes side by side, and their weights in the same order.
#[derive(Clone, Copy)]
struct Block {
    base: u32,
    shuffle: [u8; 16],
    weights: [u8; 16],
}

/// How a source width maps onto a destination width, ready for either pass.
pub struct HMap {
    taps: Vec<Tap>,
    /// One per eight whole outputs, or none when some eight span more than sixteen bytes (a
    /// factor above about two, which the halving before this pass never leaves).
    blocks: Vec<Block>,
}

/// Spare bytes a row needs past its end: a block loads sixteen bytes from its base.
pub const PAD: usize = 16;

impl HMap {
    /// `left` gives, per output, the left source index and the right neighbour's weight in
    /// 1/256 (the right one is `left + 1`; `left + 1 < src_w` unless the weight is 0).
    pub fn new(left: impl Iterator<Item = (u32, u32)>) -> HMap {
        let taps: Vec<Tap> = left
            .map(|(i, f8)| {
                let f = ((f8.min(256) + 1) >> 1) as u8;
                match f {
                    // A pshufb-friendly form of "all of one sample": half weight twice.
                    0 => Tap { a: i, b: i, wa: 64, wb: 64 },
                    128 => Tap { a: i + 1, b: i + 1, wa: 64, wb: 64 },
                    _ => Tap { a: i, b: i + 1, wa: 128 - f, wb: f },
                }
            })
            .collect();
        let mut blocks = Vec::with_capacity(taps.len() / 8);
        for eight in taps.chunks_exact(8) {
            let base = eight.iter().map(|t| t.a.min(t.b)).min().unwrap_or(0);
            let mut block = Block { base, shuffle: [0; 16], weights: [0; 16] };
            for (k, t) in eight.iter().enumerate() {
                let (da, db) = (t.a.wrapping_sub(base), t.b.wrapping_sub(base));
                if da > 15 || db > 15 {
                    return HMap { taps, blocks: Vec::new() };
                }
                block.shuffle[2 * k] = da as u8;
                block.shuffle[2 * k + 1] = db as u8;
                block.weights[2 * k] = t.wa;
                block.weights[2 * k + 1] = t.wb;
            }
            blocks.push(block);
        }
        HMap { taps, blocks }
    }

    /// Fills `out` (as many samples as the map has) from `row`, which holds the source row and
    /// at least [`PAD`] bytes more.
    pub fn apply(&self, row: &[u8], out: &mut [u8]) {
        let done = self.apply_simd(row, out);
        scalar(&self.taps[done..], row, &mut out[done..]);
    }

    /// The scalar twin, over every output (for tests and benchmarks of the two).
    #[cfg(test)]
    fn apply_scalar(&self, row: &[u8], out: &mut [u8]) {
        scalar(&self.taps, row, out);
    }

    #[cfg(target_arch = "x86_64")]
    fn apply_simd(&self, row: &[u8], out: &mut [u8]) -> usize {
        let Some(simd) = pulp::x86::V2::try_new() else { return 0 };
        if self.blocks.is_empty() {
            return 0;
        }
        simd.vectorize(|| x86::blocks(simd, &self.blocks, row, out))
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn apply_simd(&self, _row: &[u8], _out: &mut [u8]) -> usize {
        0
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::Block;
    use core::arch::x86_64::__m128i;
    use pulp::x86::V2;

    /// Eight outputs as eight 16-bit lanes.
    #[inline(always)]
    fn eight(simd: V2, row: &[u8], b: &Block) -> Option<__m128i> {
        let src: [u8; 16] = row.get(b.base as usize..b.base as usize + 16)?.try_into().ok()?;
        let pairs = simd.ssse3._mm_shuffle_epi8(pulp::cast(src), pulp::cast(b.shuffle));
        let sums = simd.ssse3._mm_maddubs_epi16(pairs, pulp::cast(b.weights));
        let rounded = simd.sse2._mm_add_epi16(sums, simd.sse2._mm_set1_epi16(64));
        Some(simd.sse2._mm_srli_epi16::<7>(rounded))
    }

    /// Fills `out` block by block; returns how many outputs it wrote (all the blocks cover,
    /// unless a block's bytes run past `row`).
    #[inline(always)]
    pub(super) fn blocks(simd: V2, blocks: &[Block], row: &[u8], out: &mut [u8]) -> usize {
        let mut done = 0;
        let mut pairs = blocks.chunks_exact(2);
        for (two, dst) in (&mut pairs).zip(out.chunks_exact_mut(16)) {
            let (Some(lo), Some(hi)) = (eight(simd, row, &two[0]), eight(simd, row, &two[1])) else {
                return done;
            };
            let bytes: [u8; 16] = pulp::cast(simd.sse2._mm_packus_epi16(lo, hi));
            dst.copy_from_slice(&bytes);
            done += 16;
        }
        if let [last] = pairs.remainder()
            && let Some(lo) = eight(simd, row, last)
            && let Some(dst) = out.get_mut(done..done + 8)
        {
            let bytes: [u8; 16] = pulp::cast(simd.sse2._mm_packus_epi16(lo, lo));
            dst.copy_from_slice(&bytes[..8]);
            done += 8;
        }
        done
    }
}

fn scalar(taps: &[Tap], row: &[u8], out: &mut [u8]) {
    for (o, t) in out.iter_mut().zip(taps) {
        let (a, b) = (row[t.a as usize], row[t.b as usize]);
        *o = ((u16::from(a) * u16::from(t.wa) + u16::from(b) * u16::from(t.wb) + 64) >> 7) as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    use crate::scale::hmap as map;

    proptest! {
        #[test]
        fn simd_and_scalar_agree(s in 2usize..700, n in 1usize..700, seed in any::<u64>()) {
            let m = map(s, n);
            let mut row: Vec<u8> = (0..s).map(|i| ((i as u64).wrapping_mul(seed | 1) >> 11) as u8).collect();
            row.resize(s + PAD, 0);
            let (mut fast, mut slow) = (vec![0; n], vec![0; n]);
            m.apply(&row, &mut fast);
            m.apply_scalar(&row, &mut slow);
            prop_assert_eq!(fast, slow);
        }
    }

    #[test]
    fn downscales_below_two_use_whole_blocks() {
        // 640 → 480 and 320 → 316 (a 4x4 grid's window after halving): every eight fit.
        for (s, n) in [(640, 480), (320, 316), (640, 321), (360, 720)] {
            assert_eq!(map(s, n).blocks.len(), n / 8, "{s} → {n}");
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_path_runs_here() {
        // CI machines have SSSE3: make sure the fast path is the one the other tests exercise.
        let m = map(640, 480);
        let row = vec![7u8; 640 + PAD];
        let mut out = vec![0; 480];
        assert_eq!(m.apply_simd(&row, &mut out), 480);
        assert!(out.iter().all(|&p| p == 7));
    }
}
