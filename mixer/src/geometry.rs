//! Where each window goes on the canvas. Positions are computed in fractions of the canvas and
//! rounded at shared edges, so neighbours never overlap; every rectangle is even-aligned for
//! I420's half-resolution chroma. Windows are inset by `GAP / 2` on every side.

use crate::error::MixerError;
use crate::layout::{Fit, LayoutType};

pub const GAP: u32 = 4;
pub const MIN_CANVAS: u32 = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    pub fn area(&self) -> u64 {
        u64::from(self.w) * u64::from(self.h)
    }
    pub fn right(&self) -> u32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> u32 {
        self.y + self.h
    }
    pub fn overlaps(&self, o: &Rect) -> bool {
        self.x < o.right() && o.x < self.right() && self.y < o.bottom() && o.y < self.bottom()
    }
    pub fn contains(&self, o: &Rect) -> bool {
        o.x >= self.x && o.y >= self.y && o.right() <= self.right() && o.bottom() <= self.bottom()
    }
}

/// A rectangle in canvas fractions.
#[derive(Debug, Clone, Copy)]
struct F {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

/// The windows of a layout: the content slot (if any) and the participant windows in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Geometry {
    pub content: Option<Rect>,
    pub windows: Vec<Rect>,
}

fn even_floor(v: f64) -> u32 {
    let v = v.max(0.0) as u32;
    v & !1
}

fn to_px(f: F, w: u32, h: u32) -> Rect {
    let x0 = even_floor(f.x0 * f64::from(w));
    let y0 = even_floor(f.y0 * f64::from(h));
    let x1 = even_floor(f.x1 * f64::from(w)).min(w);
    let y1 = even_floor(f.y1 * f64::from(h)).min(h);
    let half = GAP / 2;
    let (x, ww) = if x1 > x0 + GAP + 2 { (x0 + half, x1 - x0 - GAP) } else { (x0, x1.saturating_sub(x0)) };
    let (y, hh) = if y1 > y0 + GAP + 2 { (y0 + half, y1 - y0 - GAP) } else { (y0, y1.saturating_sub(y0)) };
    Rect { x, y, w: ww & !1, h: hh & !1 }
}

/// `count` cells in `cols` columns inside `area`, rows top to bottom; a partial last row is
/// centred.
fn grid(area: F, count: usize, cols: usize, rows: usize) -> Vec<F> {
    let cw = (area.x1 - area.x0) / cols as f64;
    let rh = (area.y1 - area.y0) / rows as f64;
    (0..count)
        .map(|i| {
            let (r, c) = (i / cols, i % cols);
            let in_row = if r == rows - 1 { count - r * cols } else { cols };
            let shift = (cols - in_row) as f64 * cw / 2.0;
            // Neighbours compute a shared edge with the same expression, so it rounds the same.
            let edge_x = |k: usize| area.x0 + shift + k as f64 * cw;
            let edge_y = |k: usize| area.y0 + k as f64 * rh;
            F { x0: edge_x(c), y0: edge_y(r), x1: edge_x(c + 1), y1: edge_y(r + 1) }
        })
        .collect()
}

fn square_grid(area: F, count: usize) -> Vec<F> {
    let cols = (count as f64).sqrt().ceil().max(1.0) as usize;
    let rows = count.div_ceil(cols);
    grid(area, count, cols, rows)
}

/// A strip of `m` small 16:9 windows along the bottom (below = true) of the canvas; returns the
/// strip's cells and its height fraction.
fn bottom_strip(m: usize, aspect: f64) -> (Vec<F>, f64) {
    let cols = m.clamp(4, 8);
    let rows = m.div_ceil(cols);
    // Height of one cell as a fraction of canvas height, for 16:9 cells.
    let cell_h = (1.0 / cols as f64) * aspect * 9.0 / 16.0;
    let strip = (cell_h * rows as f64).min(0.5);
    let area = F { x0: 0.0, y0: 1.0 - strip, x1: 1.0, y1: 1.0 };
    (grid(area, m, cols, rows), strip)
}

/// Computes the layout's rectangles for `windows` participant windows on a `w`x`h` canvas.
pub fn compute(kind: LayoutType, windows: usize, content_slot: bool, w: u32, h: u32) -> Result<Geometry, MixerError> {
    if !(1..=crate::layout::MAX_WINDOWS as usize).contains(&windows) {
        return Err(MixerError::WindowCount(windows));
    }
    if w < MIN_CANVAS || h < MIN_CANVAS || w % 2 == 1 || h % 2 == 1 || w > 8192 || h > 8192 {
        return Err(MixerError::Canvas(w, h));
    }
    let items = windows + usize::from(content_slot);
    let aspect = f64::from(w) / f64::from(h);
    let full = F { x0: 0.0, y0: 0.0, x1: 1.0, y1: 1.0 };
    // With a content slot, layouts without a large window give it one.
    let kind = match kind {
        LayoutType::Grid if content_slot => LayoutType::OneLargeBeside,
        LayoutType::Row if content_slot => LayoutType::OneLargeBelow,
        k => k,
    };
    let cells: Vec<F> = match kind {
        LayoutType::Grid => square_grid(full, items),
        LayoutType::Row => {
            // Equal 16:9 windows side by side, vertically centred.
            let cw = 1.0 / items as f64;
            let ch = (cw * aspect * 9.0 / 16.0).max(4.0 / f64::from(h)).min(1.0);
            let y0 = (1.0 - ch) / 2.0;
            grid(F { x0: 0.0, y0, x1: 1.0, y1: y0 + ch }, items, items, 1)
        }
        LayoutType::OneLargeBeside => {
            let m = items - 1;
            if m == 0 {
                vec![full]
            } else {
                let cols = if m <= 4 {
                    1
                } else if m <= 12 {
                    2
                } else {
                    3
                };
                let rows = m.div_ceil(cols).max(4);
                let cell_h = 1.0 / rows as f64;
                let side = (cell_h / aspect * 16.0 / 9.0 * cols as f64).min(0.5);
                let mut v = vec![F { x0: 0.0, y0: 0.0, x1: 1.0 - side, y1: 1.0 }];
                let rows_used = m.div_ceil(cols);
                let top = (1.0 - rows_used as f64 * cell_h) / 2.0;
                v.extend(grid(
                    F { x0: 1.0 - side, y0: top, x1: 1.0, y1: top + rows_used as f64 * cell_h },
                    m,
                    cols,
                    rows_used,
                ));
                v
            }
        }
        LayoutType::OneLargeBelow | LayoutType::TwoLargeBelow => {
            let large = if kind == LayoutType::TwoLargeBelow { items.min(2) } else { 1 };
            let m = items - large;
            let (mut strip, frac) = if m == 0 { (Vec::new(), 0.0) } else { bottom_strip(m, aspect) };
            let mut v = grid(F { x0: 0.0, y0: 0.0, x1: 1.0, y1: 1.0 - frac }, large, large, 1);
            v.append(&mut strip);
            v
        }
        LayoutType::PictureInPicture => {
            let mut v = vec![full];
            // Small windows a fifth of the canvas, from the lower right corner leftwards, rows
            // upwards, inside a margin.
            let m = items - 1;
            let margin = 0.02;
            let per_row = if m <= 16 { 4 } else { 5 };
            let rows = m.div_ceil(per_row).max(1);
            let sw = f64::min(0.2, (1.0 - margin * (per_row as f64 + 1.0)) / per_row as f64);
            let sh = f64::min(0.2, (1.0 - margin * (rows as f64 + 1.0)) / rows as f64);
            for i in 0..m {
                let (r, c) = (i / per_row, i % per_row);
                let x1 = 1.0 - margin - c as f64 * (sw + margin / 2.0);
                let y1 = 1.0 - margin - r as f64 * (sh + margin / 2.0);
                v.push(F { x0: (x1 - sw).max(0.0), y0: (y1 - sh).max(0.0), x1, y1 });
            }
            v
        }
        LayoutType::OneLargeCentre => {
            // The smallest ring of cells around the centre that holds everyone else.
            let mut n = 4;
            while 4 * (n - 1) < items - 1 {
                n += 1;
            }
            let cell = 1.0 / n as f64;
            let mut v = vec![F { x0: cell, y0: cell, x1: 1.0 - cell, y1: 1.0 - cell }];
            let ring: Vec<(usize, usize)> = (0..n)
                .flat_map(|r| (0..n).map(move |c| (r, c)))
                .filter(|&(r, c)| r == 0 || c == 0 || r == n - 1 || c == n - 1)
                .collect();
            for &(r, c) in ring.iter().take(items - 1) {
                let x0 = c as f64 * cell;
                let y0 = r as f64 * cell;
                v.push(F { x0, y0, x1: x0 + cell, y1: y0 + cell });
            }
            v
        }
    };
    let mut rects: Vec<Rect> = cells.into_iter().map(|f| to_px(f, w, h)).collect();
    let content = if content_slot { Some(rects.remove(0)) } else { None };
    Ok(Geometry { content, windows: rects })
}

/// Where a `sw`x`sh` picture goes inside `win`: all of it with bars (`Fit`), or the window
/// filled (`Crop`, in which case the returned rectangle is the part of the *source* to show).
/// Returns (source crop, destination), both even-aligned.
pub fn place(sw: u32, sh: u32, win: Rect, fit: Fit) -> (Rect, Rect) {
    let full_src = Rect { x: 0, y: 0, w: sw, h: sh };
    if sw == 0 || sh == 0 || win.w == 0 || win.h == 0 {
        return (full_src, Rect { w: 0, h: 0, ..win });
    }
    let (sw64, sh64, ww, wh) = (u64::from(sw), u64::from(sh), u64::from(win.w), u64::from(win.h));
    match fit {
        Fit::Fit => {
            // Scale by the smaller ratio.
            let (dw, dh) = if sw64 * wh > sh64 * ww { (ww, sh64 * ww / sw64) } else { (sw64 * wh / sh64, wh) };
            let (dw, dh) = ((dw as u32).max(2) & !1, (dh as u32).max(2) & !1);
            let dst = Rect {
                x: (win.x + (win.w - dw.min(win.w)) / 2) & !1,
                y: (win.y + (win.h - dh.min(win.h)) / 2) & !1,
                w: dw.min(win.w),
                h: dh.min(win.h),
            };
            (full_src, dst)
        }
        Fit::Crop => {
            let (cw, ch) = if sw64 * wh > sh64 * ww { (sh64 * ww / wh, sh64) } else { (sw64, sw64 * wh / ww) };
            let (cw, ch) = ((cw as u32).clamp(2, sw) & !1, (ch as u32).clamp(2, sh) & !1);
            let src = Rect { x: ((sw - cw) / 2) & !1, y: ((sh - ch) / 2) & !1, w: cw, h: ch };
            (src, win)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds() -> impl Strategy<Value = LayoutType> {
        prop::sample::select(LayoutType::ALL.to_vec())
    }

    proptest! {
        #[test]
        fn windows_fit_do_not_overlap_and_are_even(kind in kinds(), n in 1usize..=25, content in any::<bool>(),
                                                    w in (32u32..=2048).prop_map(|v| v * 2), h in (32u32..=1200).prop_map(|v| v * 2)) {
            let g = compute(kind, n, content, w, h).unwrap();
            prop_assert_eq!(g.windows.len(), n);
            prop_assert_eq!(g.content.is_some(), content);
            let canvas = Rect { x: 0, y: 0, w, h };
            let all: Vec<Rect> = g.content.iter().chain(g.windows.iter()).copied().collect();
            for r in &all {
                prop_assert!(canvas.contains(r), "{:?} outside {}x{}", r, w, h);
                prop_assert!(r.x % 2 == 0 && r.y % 2 == 0 && r.w % 2 == 0 && r.h % 2 == 0, "{:?} not even", r);
                prop_assert!(r.w >= 2 && r.h >= 2, "{:?} empty", r);
            }
            // Picture in picture overlaps its first window on purpose; nothing else overlaps.
            let skip_first = kind == LayoutType::PictureInPicture;
            for i in 0..all.len() {
                for j in i + 1..all.len() {
                    if skip_first && i == 0 {
                        prop_assert!(all[0].contains(&all[j]));
                        continue;
                    }
                    prop_assert!(!all[i].overlaps(&all[j]), "{:?} overlaps {:?}", all[i], all[j]);
                }
            }
            if let Some(c) = g.content {
                // The content slot is the largest window (two-large layouts share that place
                // equally, up to rounding to even pixels).
                for r in &g.windows {
                    let rounding = 2 * u64::from(c.w.max(r.w) + c.h.max(r.h)) + 4;
                    prop_assert!(c.area() + rounding >= r.area(), "content {:?} smaller than {:?}", c, r);
                }
            }
        }

        #[test]
        fn placement_keeps_aspect(sw in (8u32..=2000).prop_map(|v| v * 2), sh in (8u32..=1200).prop_map(|v| v * 2),
                                   ww in (8u32..=1000).prop_map(|v| v * 2), wh in (8u32..=600).prop_map(|v| v * 2)) {
            let win = Rect { x: 10, y: 20, w: ww, h: wh };
            let (src, dst) = place(sw, sh, win, Fit::Fit);
            prop_assert!(win.contains(&dst));
            prop_assert_eq!(src, Rect { x: 0, y: 0, w: sw, h: sh });
            // Aspect kept within the rounding to even pixels.
            let err = (f64::from(dst.w) / f64::from(dst.h) - f64::from(sw) / f64::from(sh)).abs() / (f64::from(sw) / f64::from(sh));
            prop_assert!(err < 0.05 || dst.w < 40 || dst.h < 40, "aspect {} vs {}", f64::from(dst.w) / f64::from(dst.h), f64::from(sw) / f64::from(sh));
            let (src, dst) = place(sw, sh, win, Fit::Crop);
            prop_assert_eq!(dst, win);
            let whole = Rect { x: 0, y: 0, w: sw, h: sh };
            prop_assert!(whole.contains(&src));
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        assert!(compute(LayoutType::Grid, 0, false, 1920, 1080).is_err());
        assert!(compute(LayoutType::Grid, 26, false, 1920, 1080).is_err());
        assert!(compute(LayoutType::Grid, 4, false, 1919, 1080).is_err());
        assert!(compute(LayoutType::Grid, 4, false, 0, 0).is_err());
    }

    #[test]
    fn two_by_two_grid_on_1080p() {
        let g = compute(LayoutType::Grid, 4, false, 1920, 1080).unwrap();
        assert_eq!(g.windows[0], Rect { x: 2, y: 2, w: 956, h: 536 });
        assert_eq!(g.windows[3], Rect { x: 962, y: 542, w: 956, h: 536 });
    }
}
