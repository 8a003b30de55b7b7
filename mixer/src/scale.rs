//! Picture scaling. Downscaling first halves the picture with a 2x2 box filter while it is at
//! least twice the target (cheap, vectorisable, and it averages every source pixel, so there is
//! no aliasing), then bilinear interpolation covers the remaining factor below two. Upscaling is
//! bilinear. Fixed-point throughout: a solid colour stays exactly that colour.

use crate::box2::box2x2;
use crate::frame::{Frame, FrameRef, PixelFormat};
use crate::geometry::Rect;
use crate::hfilter::{self, HMap};

/// A region of one plane.
#[derive(Clone, Copy)]
pub struct Plane<'a> {
    pub data: &'a [u8],
    pub stride: usize,
    pub x: usize,
    pub y: usize,
    pub w: usize,
    pub h: usize,
}

/// Reusable buffers, so steady-state scaling allocates nothing.
#[derive(Default)]
pub struct Scratch {
    a: Vec<u8>,
    b: Vec<u8>,
    row0: Vec<u8>,
    sums: Vec<u16>,
    /// Horizontal maps by (source width, destination width).
    xmaps: Vec<((usize, usize), HMap)>,
    cu: Vec<u8>,
    cv: Vec<u8>,
}

fn halve(src: Plane, hx: bool, hy: bool, out: &mut Vec<u8>, sums: &mut Vec<u16>) -> (usize, usize) {
    let nw = if hx { src.w / 2 } else { src.w };
    let nh = if hy { src.h / 2 } else { src.h };
    // Every byte is written below: no need to clear what the last call left.
    out.resize(nw * nh, 0);
    sums.resize(src.w, 0);
    for r in 0..nh {
        let sr = if hy { 2 * r } else { r };
        let o = &mut out[r * nw..(r + 1) * nw];
        let row = |k: usize| &src.data[(src.y + sr + k) * src.stride + src.x..][..src.w];
        if hx && hy {
            box2x2(row(0), row(1), o);
            continue;
        }
        // Vertical sums first over whole rows (vectorises), then pairs of columns.
        if hy {
            for ((s, &a), &b) in sums.iter_mut().zip(row(0)).zip(row(1)) {
                *s = u16::from(a) + u16::from(b);
            }
        } else {
            for (s, &a) in sums.iter_mut().zip(row(0)) {
                *s = u16::from(a) * 2;
            }
        }
        if hx {
            for (px, pair) in o.iter_mut().zip(sums.chunks_exact(2)) {
                *px = ((pair[0] + pair[1] + 2) >> 2) as u8;
            }
        } else {
            for (px, &s) in o.iter_mut().zip(sums.iter()) {
                *px = ((s + 1) >> 1) as u8;
            }
        }
    }
    (nw, nh)
}

/// Source position of destination index `d` when mapping `s` samples onto `n`: (left, right,
/// weight of right in 1/256).
fn map(d: usize, s: usize, n: usize) -> (u32, u32, u16) {
    if s <= 1 {
        return (0, 0, 0);
    }
    let pos = ((d as f64 + 0.5) * s as f64 / n as f64 - 0.5).clamp(0.0, (s - 1) as f64);
    let i = (pos.floor() as usize).min(s - 2);
    let f = ((pos - i as f64) * 256.0).round() as u16;
    (i as u32, i as u32 + 1, f.min(256))
}

/// The horizontal map of `s` samples onto `n`, for [`HMap::apply`].
pub(crate) fn hmap(s: usize, n: usize) -> HMap {
    HMap::new((0..n).map(|d| map(d, s, n)).map(|(i, _, f)| (i, u32::from(f))))
}

fn bilinear(src: Plane, dst: &mut [u8], dst_stride: usize, dw: usize, dh: usize, s: &mut Scratch) {
    if src.w == dw && src.h == dh {
        for r in 0..dh {
            dst[r * dst_stride..r * dst_stride + dw]
                .copy_from_slice(&src.data[(src.y + r) * src.stride + src.x..][..dw]);
        }
        return;
    }
    let key = (src.w, dw);
    let slot = match s.xmaps.iter().position(|(k, _)| *k == key) {
        Some(i) => i,
        None => {
            if s.xmaps.len() >= 16 {
                s.xmaps.clear();
            }
            s.xmaps.push((key, hmap(src.w, dw)));
            s.xmaps.len() - 1
        }
    };
    let xmap = &s.xmaps[slot].1;
    s.row0.resize(src.w + hfilter::PAD, 0);
    for r in 0..dh {
        let (y0, y1, fy) = map(r, src.h, dh);
        let row = |y: u32| &src.data[(src.y + y as usize) * src.stride + src.x..][..src.w];
        // Vertical first, over the whole source row (vectorises), rounded to a byte…
        let (a, b) = (row(y0), row(y1));
        for ((t, &p), &q) in s.row0.iter_mut().zip(a).zip(b) {
            *t = ((u16::from(p) * (256 - fy) + u16::from(q) * fy + 128) >> 8) as u8;
        }
        // …then the horizontal pass (`hfilter`: eight outputs per shuffle where the CPU can).
        xmap.apply(&s.row0, &mut dst[r * dst_stride..r * dst_stride + dw]);
    }
}

/// Scales a plane region into `dst` (`dw`x`dh`, rows `dst_stride` apart).
pub fn scale_plane(src: Plane, dst: &mut [u8], dst_stride: usize, dw: usize, dh: usize, s: &mut Scratch) {
    if dw == 0 || dh == 0 || src.w == 0 || src.h == 0 {
        return;
    }
    let mut level: Option<Vec<u8>> = None;
    let (mut cw, mut ch) = (src.w, src.h);
    let mut spare = std::mem::take(&mut s.a);
    loop {
        let (hx, hy) = (cw >= 2 * dw, ch >= 2 * dh);
        if !hx && !hy {
            break;
        }
        let cur = match &level {
            Some(v) => Plane { data: v, stride: cw, x: 0, y: 0, w: cw, h: ch },
            None => src,
        };
        let (nw, nh) = halve(cur, hx, hy, &mut spare, &mut s.sums);
        let old = level.replace(spare);
        spare = old.unwrap_or_else(|| std::mem::take(&mut s.b));
        (cw, ch) = (nw, nh);
    }
    match &level {
        Some(v) => bilinear(Plane { data: v, stride: cw, x: 0, y: 0, w: cw, h: ch }, dst, dst_stride, dw, dh, s),
        None => bilinear(src, dst, dst_stride, dw, dh, s),
    }
    // Keep the buffers for the next call.
    s.a = spare;
    if let Some(v) = level {
        s.b = v;
    }
}

/// Scales the `crop` region (luma coordinates, even) of a frame to a new `dw`x`dh` frame.
pub fn scale_frame(src: &FrameRef, crop: Rect, dw: u32, dh: u32, s: &mut Scratch, out: &mut Frame) {
    let (dw, dh) = (dw as usize, dh as usize);
    out.width = dw as u32;
    out.height = dh as u32;
    out.y.resize(dw * dh, 0);
    out.u.resize(dw * dh / 4, 0);
    out.v.resize(dw * dh / 4, 0);
    let (cx, cy, cw, ch) = (crop.x as usize, crop.y as usize, crop.w as usize, crop.h as usize);
    let y = Plane { data: src.y, stride: src.y_stride, x: cx, y: cy, w: cw, h: ch };
    scale_plane(y, &mut out.y, dw, dw, dh, s);
    let (ccw, cch) = (cw / 2, ch / 2);
    match src.format {
        PixelFormat::I420 => {
            let u = Plane { data: src.u, stride: src.u_stride, x: cx / 2, y: cy / 2, w: ccw, h: cch };
            let v = Plane { data: src.v, stride: src.v_stride, x: cx / 2, y: cy / 2, w: ccw, h: cch };
            scale_plane(u, &mut out.u, dw / 2, dw / 2, dh / 2, s);
            scale_plane(v, &mut out.v, dw / 2, dw / 2, dh / 2, s);
        }
        PixelFormat::Nv12 => {
            // De-interleave the cropped chroma, then scale it like I420's.
            let (mut cu, mut cv) = (std::mem::take(&mut s.cu), std::mem::take(&mut s.cv));
            cu.resize(ccw * cch, 0);
            cv.resize(ccw * cch, 0);
            for r in 0..cch {
                let row = &src.u[(cy / 2 + r) * src.u_stride + cx..][..ccw * 2];
                for c in 0..ccw {
                    cu[r * ccw + c] = row[2 * c];
                    cv[r * ccw + c] = row[2 * c + 1];
                }
            }
            scale_plane(
                Plane { data: &cu, stride: ccw, x: 0, y: 0, w: ccw, h: cch },
                &mut out.u,
                dw / 2,
                dw / 2,
                dh / 2,
                s,
            );
            scale_plane(
                Plane { data: &cv, stride: ccw, x: 0, y: 0, w: ccw, h: cch },
                &mut out.v,
                dw / 2,
                dw / 2,
                dh / 2,
                s,
            );
            (s.cu, s.cv) = (cu, cv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scale_vec(src: &[u8], sw: usize, sh: usize, dw: usize, dh: usize) -> Vec<u8> {
        let mut out = vec![0; dw * dh];
        let mut s = Scratch::default();
        scale_plane(Plane { data: src, stride: sw, x: 0, y: 0, w: sw, h: sh }, &mut out, dw, dw, dh, &mut s);
        out
    }

    proptest! {
        #[test]
        fn solid_colour_stays_exact(c in any::<u8>(), sw in 1usize..300, sh in 1usize..200, dw in 1usize..300, dh in 1usize..200) {
            let src = vec![c; sw * sh];
            prop_assert!(scale_vec(&src, sw, sh, dw, dh).iter().all(|&p| p == c));
        }

        #[test]
        fn output_stays_within_input_range(sw in 2usize..200, sh in 2usize..120, dw in 1usize..200, dh in 1usize..120, seed in any::<u64>()) {
            let src: Vec<u8> = (0..sw * sh).map(|i| ((i as u64).wrapping_mul(seed | 1) >> 7) as u8).collect();
            let (lo, hi) = (*src.iter().min().unwrap(), *src.iter().max().unwrap());
            prop_assert!(scale_vec(&src, sw, sh, dw, dh).iter().all(|&p| p >= lo && p <= hi));
        }
    }

    #[test]
    fn downscale_averages_instead_of_aliasing() {
        // A one-pixel checkerboard scaled by 4 is mid-grey, not black or white.
        let (sw, sh) = (64, 64);
        let src: Vec<u8> = (0..sw * sh).map(|i| if (i % sw + i / sw) % 2 == 0 { 16 } else { 235 }).collect();
        let out = scale_vec(&src, sw, sh, 16, 16);
        assert!(out.iter().all(|&p| (120..=132).contains(&p)), "{out:?}");
    }

    #[test]
    fn horizontal_gradient_stays_monotonic() {
        let (sw, sh) = (1280, 4);
        let src: Vec<u8> = (0..sw * sh).map(|i| ((i % sw) * 255 / (sw - 1)) as u8).collect();
        let out = scale_vec(&src, sw, sh, 300, 2);
        assert!(out[..300].windows(2).all(|w| w[0] <= w[1]));
        assert!(out[0] < 3 && out[299] > 252, "{} {}", out[0], out[299]);
    }
}
