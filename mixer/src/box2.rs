//! The 2x2 box filter that halves a picture: each output byte the rounded mean of a 2x2 block of
//! two rows. After the horizontal pass was vectorised (`hfilter`) it was most of the
//! compositor's time: the compiler's own vectorisation of the stride-two reads needs a mask and
//! a shift per pair. With SSSE3 one `pmaddubsw` by ones sums eight pairs; the CPU is asked at
//! run time (`pulp`), and elsewhere the scalar loop computes the same bytes.

/// Averages each 2x2 block of rows `a` and `b` (each at least twice `out` long) into `out`.
pub fn box2x2(a: &[u8], b: &[u8], out: &mut [u8]) {
    let done = simd(a, b, out);
    scalar(a, b, out, done);
}

/// The scalar twin, from output `from` on.
fn scalar(a: &[u8], b: &[u8], out: &mut [u8], from: usize) {
    for k in from..out.len() {
        let s = u16::from(a[2 * k]) + u16::from(a[2 * k + 1]) + u16::from(b[2 * k]) + u16::from(b[2 * k + 1]);
        out[k] = ((s + 2) >> 2) as u8;
    }
}

#[cfg(target_arch = "x86_64")]
fn simd(a: &[u8], b: &[u8], out: &mut [u8]) -> usize {
    let Some(v2) = pulp::x86::V2::try_new() else { return 0 };
    v2.vectorize(|| x86::sixteens(v2, a, b, out))
}

#[cfg(not(target_arch = "x86_64"))]
fn simd(_a: &[u8], _b: &[u8], _out: &mut [u8]) -> usize {
    0
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use core::arch::x86_64::__m128i;
    use pulp::x86::V2;

    /// Sums of the eight pairs of each of two 16-byte halves.
    #[inline(always)]
    fn pair_sums(v2: V2, bytes: &[u8; 32]) -> (__m128i, __m128i) {
        let ones = v2.sse2._mm_set1_epi8(1);
        let (lo, hi) = bytes.split_at(16);
        let lo: [u8; 16] = lo.try_into().unwrap_or([0; 16]);
        let hi: [u8; 16] = hi.try_into().unwrap_or([0; 16]);
        (v2.ssse3._mm_maddubs_epi16(pulp::cast(lo), ones), v2.ssse3._mm_maddubs_epi16(pulp::cast(hi), ones))
    }

    /// Sixteen outputs at a time; returns how many it wrote.
    #[inline(always)]
    pub(super) fn sixteens(v2: V2, a: &[u8], b: &[u8], out: &mut [u8]) -> usize {
        let two = v2.sse2._mm_set1_epi16(2);
        let mut done = 0;
        for ((o, a), b) in out.chunks_exact_mut(16).zip(a.chunks_exact(32)).zip(b.chunks_exact(32)) {
            let (Ok(a), Ok(b), Ok(o)) =
                (<&[u8; 32]>::try_from(a), <&[u8; 32]>::try_from(b), <&mut [u8; 16]>::try_from(o))
            else {
                break;
            };
            let (a0, a1) = pair_sums(v2, a);
            let (b0, b1) = pair_sums(v2, b);
            let mean = |x, y| v2.sse2._mm_srli_epi16::<2>(v2.sse2._mm_add_epi16(v2.sse2._mm_add_epi16(x, y), two));
            *o = pulp::cast(v2.sse2._mm_packus_epi16(mean(a0, b0), mean(a1, b1)));
            done += 16;
        }
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn simd_and_scalar_agree(n in 0usize..400, seed in any::<u64>()) {
            let a: Vec<u8> = (0..2 * n + 1).map(|i| ((i as u64).wrapping_mul(seed | 1) >> 9) as u8).collect();
            let b: Vec<u8> = (0..2 * n + 1).map(|i| ((i as u64).wrapping_mul(seed | 3) >> 13) as u8).collect();
            let mut out = vec![0; n];
            box2x2(&a, &b, &mut out);
            let mut slow = vec![0; n];
            scalar(&a, &b, &mut slow, 0);
            prop_assert_eq!(out, slow);
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn the_vector_path_runs_here() {
        let (a, b) = (vec![255u8; 64], vec![254u8; 64]);
        let mut out = vec![0; 32];
        assert_eq!(simd(&a, &b, &mut out), 32);
        assert!(out.iter().all(|&p| p == 255), "{out:?}"); // (255+255+254+254+2)/4 = 255
    }
}
