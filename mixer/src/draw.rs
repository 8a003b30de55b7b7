//! Drawing primitives on an I420 canvas: copy a tile, darken a band, blend a text mask, fill a
//! circle. Rectangles are even-aligned and inside the canvas (the geometry guarantees it;
//! every function clips anyway).

use crate::frame::{Frame, Yuv};
use crate::geometry::Rect;
use crate::text::Mask;

fn clip(f: &Frame, r: Rect) -> Rect {
    let x = r.x.min(f.width);
    let y = r.y.min(f.height);
    Rect { x, y, w: r.w.min(f.width - x) & !1, h: r.h.min(f.height - y) & !1 }
}

pub fn blit(canvas: &mut Frame, tile: &Frame, at: Rect) {
    let at = clip(canvas, Rect { w: at.w.min(tile.width), h: at.h.min(tile.height), ..at });
    let (cw, tw) = (canvas.width as usize, tile.width as usize);
    let (x, y, w, h) = (at.x as usize, at.y as usize, at.w as usize, at.h as usize);
    for r in 0..h {
        canvas.y[(y + r) * cw + x..][..w].copy_from_slice(&tile.y[r * tw..][..w]);
    }
    for r in 0..h / 2 {
        let (d, s) = ((y / 2 + r) * (cw / 2) + x / 2, r * (tw / 2));
        canvas.u[d..d + w / 2].copy_from_slice(&tile.u[s..s + w / 2]);
        canvas.v[d..d + w / 2].copy_from_slice(&tile.v[s..s + w / 2]);
    }
}

/// A 60% black veil over `r`, under labels.
pub fn darken(canvas: &mut Frame, r: Rect) {
    let r = clip(canvas, r);
    let cw = canvas.width as usize;
    let (x, y, w, h) = (r.x as usize, r.y as usize, r.w as usize, r.h as usize);
    for row in y..y + h {
        for p in &mut canvas.y[row * cw + x..][..w] {
            *p = 16 + ((u16::from(p.saturating_sub(16)) * 2) / 5) as u8;
        }
    }
    for row in y / 2..(y + h) / 2 {
        for plane in [&mut canvas.u, &mut canvas.v] {
            for p in &mut plane[row * (cw / 2) + x / 2..][..w / 2] {
                *p = (128 + (i16::from(*p) - 128) * 2 / 5) as u8;
            }
        }
    }
}

/// Blends `mask` in `color` with its top-left corner at (x, y).
pub fn blend_mask(canvas: &mut Frame, mask: &Mask, x: u32, y: u32, color: Yuv) {
    let cw = canvas.width as usize;
    let (x, y) = (x as usize, y as usize);
    let w = mask.width.min(cw.saturating_sub(x));
    let h = mask.height.min((canvas.height as usize).saturating_sub(y));
    for r in 0..h {
        let row = &mut canvas.y[(y + r) * cw + x..][..w];
        for (p, &a) in row.iter_mut().zip(&mask.alpha[r * mask.width..][..w]) {
            if a > 0 {
                let a = u32::from(a);
                *p = ((u32::from(*p) * (255 - a) + u32::from(color.0) * a + 127) / 255) as u8;
            }
        }
    }
    // Chroma at half resolution: the strongest coverage of each 2x2 block.
    for r in 0..h / 2 {
        for c in 0..w / 2 {
            let a = [(0, 0), (0, 1), (1, 0), (1, 1)]
                .iter()
                .map(|&(dr, dc)| mask.alpha[(2 * r + dr) * mask.width + 2 * c + dc])
                .max()
                .unwrap_or(0);
            if a == 0 {
                continue;
            }
            let i = ((y + 2 * r) / 2) * (cw / 2) + (x + 2 * c) / 2;
            let a = u32::from(a);
            canvas.u[i] = ((u32::from(canvas.u[i]) * (255 - a) + u32::from(color.1) * a + 127) / 255) as u8;
            canvas.v[i] = ((u32::from(canvas.v[i]) * (255 - a) + u32::from(color.2) * a + 127) / 255) as u8;
        }
    }
}

/// A filled circle of radius `rad` centred at (cx, cy), clipped to `within`.
pub fn circle(canvas: &mut Frame, cx: i64, cy: i64, rad: i64, color: Yuv, within: Rect) {
    let within = clip(canvas, within);
    let cw = canvas.width as i64;
    let (x0, x1) = ((cx - rad).max(i64::from(within.x)), (cx + rad).min(i64::from(within.right()) - 1));
    let (y0, y1) = ((cy - rad).max(i64::from(within.y)), (cy + rad).min(i64::from(within.bottom()) - 1));
    for y in y0..=y1 {
        for x in x0..=x1 {
            let (dx, dy) = (x - cx, y - cy);
            if dx * dx + dy * dy <= rad * rad {
                canvas.y[(y * cw + x) as usize] = color.0;
                if x % 2 == 0 && y % 2 == 0 {
                    let i = ((y / 2) * (cw / 2) + x / 2) as usize;
                    canvas.u[i] = color.1;
                    canvas.v[i] = color.2;
                }
            }
        }
    }
}

/// A straight line of the given thickness from (x0, y0) to (x1, y1) on the luma plane, with
/// neutral chroma, clipped to `within`.
pub fn line(canvas: &mut Frame, from: (i64, i64), to: (i64, i64), thick: i64, color: Yuv, within: Rect) {
    let steps = (to.0 - from.0).abs().max((to.1 - from.1).abs()).max(1);
    for s in 0..=steps {
        let cx = from.0 + (to.0 - from.0) * s / steps;
        let cy = from.1 + (to.1 - from.1) * s / steps;
        circle(canvas, cx, cy, thick / 2, color, within);
    }
}
