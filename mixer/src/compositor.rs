//! The compositor: one per distinct output (layout and canvas size). Each call composes the
//! canvas for the current frames; windows whose picture, name and marks did not change since
//! the last call are left as they are, labels are rasterised only when their text changes, and
//! scaled pictures come from the shared [`TileCache`].

use crate::draw;
use crate::error::MixerError;
use crate::frame::{Frame, FrameRef, Yuv};
use crate::geometry::{self, Geometry, Rect, place};
use crate::layout::{Layout, LayoutType, NamePosition, ParticipantId};
use crate::text::{self, Mask};
use crate::tiles::TileCache;
use std::collections::HashMap;

/// One participant's current picture and state.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    pub id: ParticipantId,
    /// Changes whenever the picture changes; the same value means the same picture.
    pub seq: u64,
    /// None while the camera is off: a placeholder with the initials is drawn.
    pub frame: Option<FrameRef<'a>>,
    pub name: &'a str,
    pub muted: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    pub windows_drawn: u64,
    pub windows_kept: u64,
    pub labels_rendered: u64,
}

/// What a window showed when it was last drawn.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Shown {
    id: Option<ParticipantId>,
    seq: u64,
    camera: bool,
    name: String,
    muted: bool,
}

pub struct Compositor {
    canvas: Frame,
    background: Yuv,
    geometry_key: Option<(LayoutType, u8, bool, NamePosition, crate::layout::Fit)>,
    geometry: Option<Geometry>,
    shown: Vec<Option<Shown>>,
    labels: HashMap<(String, u32, u32), Mask>,
    pub stats: Stats,
}

const WINDOW_BG: Yuv = Yuv::BLACK;
const PLACEHOLDER_BG: Yuv = Yuv(40, 128, 128);
const MUTED_RED: Yuv = Yuv(81, 90, 240);
const PALETTE: [(u8, u8, u8); 8] = [
    (66, 133, 244),
    (219, 68, 55),
    (15, 157, 88),
    (171, 71, 188),
    (255, 112, 67),
    (0, 172, 193),
    (124, 179, 66),
    (94, 53, 177),
];

impl Compositor {
    pub fn new(width: u32, height: u32, background: Yuv) -> Result<Compositor, MixerError> {
        if width < geometry::MIN_CANVAS || height < geometry::MIN_CANVAS {
            return Err(MixerError::Canvas(width, height));
        }
        let canvas = Frame::new(width, height, background).map_err(|_| MixerError::Canvas(width, height))?;
        Ok(Compositor {
            canvas,
            background,
            geometry_key: None,
            geometry: None,
            shown: Vec::new(),
            labels: HashMap::new(),
            stats: Stats::default(),
        })
    }

    pub fn canvas(&self) -> &Frame {
        &self.canvas
    }

    /// The rectangles of the current layout (content slot, then windows).
    pub fn geometry(&self) -> Option<&Geometry> {
        self.geometry.as_ref()
    }

    /// Who the last composed canvas shows, and in which rectangle (the content slot's too).
    pub fn placed(&self) -> impl Iterator<Item = (ParticipantId, Rect)> + '_ {
        let rects = self.geometry.iter().flat_map(|g| g.content.iter().chain(&g.windows));
        self.shown.iter().zip(rects).filter_map(|(s, r)| Some((s.as_ref()?.id?, *r)))
    }

    /// Composes the canvas. `present` lists the participants in join order (auto-fill takes
    /// them in that order); `content` is the shared screen for the content slot.
    pub fn compose(
        &mut self,
        layout: &Layout,
        present: &[Source],
        content: Option<&Source>,
        tiles: &mut TileCache,
    ) -> Result<&Frame, MixerError> {
        layout.validate()?;
        let key = (layout.kind, layout.windows, layout.content_slot, layout.name_position, layout.fit);
        if self.geometry_key != Some(key) {
            let g = geometry::compute(
                layout.kind,
                layout.windows as usize,
                layout.content_slot,
                self.canvas.width,
                self.canvas.height,
            )?;
            self.canvas.fill_rect(Rect { x: 0, y: 0, w: self.canvas.width, h: self.canvas.height }, self.background);
            self.shown = vec![None; g.windows.len() + usize::from(g.content.is_some())];
            self.geometry = Some(g);
            self.geometry_key = Some(key);
        }
        // unwrap: set just above whenever it was missing.
        let g = self.geometry.clone().unwrap();
        let ids: Vec<ParticipantId> = present.iter().map(|s| s.id).collect();
        let assigned = layout.assign(&ids);
        let mut windows: Vec<(Rect, Option<&Source>)> = Vec::with_capacity(self.shown.len());
        if let Some(c) = g.content {
            windows.push((c, content));
        }
        for (rect, who) in g.windows.iter().zip(&assigned) {
            windows.push((*rect, who.and_then(|id| present.iter().find(|s| s.id == id))));
        }
        // In picture-in-picture the small windows sit on the large one: redraw them with it.
        let overlapping = layout.kind == LayoutType::PictureInPicture;
        let mut force = false;
        for (i, (rect, src)) in windows.into_iter().enumerate() {
            let name = src.map(|s| layout.name_for(s.id, s.name).to_string()).unwrap_or_default();
            let now = Shown {
                id: src.map(|s| s.id),
                seq: src.map_or(0, |s| s.seq),
                camera: src.is_some_and(|s| s.frame.is_some()),
                name,
                muted: src.is_some_and(|s| s.muted),
            };
            if !force && self.shown[i].as_ref() == Some(&now) {
                self.stats.windows_kept += 1;
                continue;
            }
            self.draw_window(rect, src, &now.name, layout, tiles);
            self.shown[i] = Some(now);
            self.stats.windows_drawn += 1;
            if overlapping && i == 0 {
                force = true;
            }
        }
        Ok(&self.canvas)
    }

    fn draw_window(&mut self, rect: Rect, src: Option<&Source>, name: &str, layout: &Layout, tiles: &mut TileCache) {
        let Some(s) = src else {
            self.canvas.fill_rect(rect, WINDOW_BG);
            return;
        };
        match &s.frame {
            Some(f) => {
                let (crop, dst) = place(f.width, f.height, rect, layout.fit);
                if dst.w >= 2 && dst.h >= 2 {
                    // Only the bars around the picture need the window colour.
                    for bar in bars(rect, dst) {
                        self.canvas.fill_rect(bar, WINDOW_BG);
                    }
                    let tile = tiles.get(s.id, s.seq, f, crop, dst.w, dst.h);
                    draw::blit(&mut self.canvas, tile, dst);
                } else {
                    self.canvas.fill_rect(rect, WINDOW_BG);
                }
            }
            None => self.placeholder(rect, s),
        }
        let band = (rect.h / 8).clamp(14, 48).min(rect.h) & !1;
        if layout.name_position != NamePosition::Hidden && !name.is_empty() && band >= 8 {
            let by = if layout.name_position == NamePosition::Top { rect.y } else { rect.bottom() - band };
            let band_rect = Rect { x: rect.x, y: by, w: rect.w, h: band };
            draw::darken(&mut self.canvas, band_rect);
            let px = band as f32 * 0.7;
            let pad = (band / 3).max(2);
            let mask = self.label(name, px, rect.w.saturating_sub(2 * pad + band));
            let ty = by + (band.saturating_sub(mask.height as u32)) / 2;
            let mask = mask.clone();
            draw::blend_mask(&mut self.canvas, &mask, rect.x + pad, ty, Yuv::WHITE);
        }
        if s.muted {
            // A red disc with a white slash in the corner away from the name.
            let r = i64::from((rect.h.min(rect.w) / 14).clamp(5, 24));
            let cx = i64::from(rect.right()) - r - 6;
            let cy = if layout.name_position == NamePosition::Top {
                i64::from(rect.bottom()) - r - 6
            } else {
                i64::from(rect.y) + r + 6
            };
            draw::circle(&mut self.canvas, cx, cy, r, MUTED_RED, rect);
            let d = r * 6 / 10;
            draw::line(&mut self.canvas, (cx - d, cy + d), (cx + d, cy - d), (r / 3).max(2), Yuv::WHITE, rect);
        }
    }

    fn placeholder(&mut self, rect: Rect, s: &Source) {
        self.canvas.fill_rect(rect, PLACEHOLDER_BG);
        let (r, g, b) = PALETTE[(s.id % PALETTE.len() as u64) as usize];
        let color = Yuv::from_rgb(r, g, b);
        let rad = i64::from(rect.w.min(rect.h) / 4);
        let (cx, cy) = (i64::from(rect.x + rect.w / 2), i64::from(rect.y + rect.h / 2));
        draw::circle(&mut self.canvas, cx, cy, rad, color, rect);
        let initials = text::initials(s.name);
        if !initials.is_empty() && rad > 6 {
            let mask = self.label(&initials, rad as f32, (2 * rad) as u32).clone();
            let x = (cx - mask.width as i64 / 2).max(i64::from(rect.x)) as u32;
            let y = (cy - mask.height as i64 / 2).max(i64::from(rect.y)) as u32;
            draw::blend_mask(&mut self.canvas, &mask, x, y, Yuv::WHITE);
        }
    }

    fn label(&mut self, text: &str, px: f32, max_width: u32) -> &Mask {
        let key = (text.to_string(), px.to_bits(), max_width);
        if !self.labels.contains_key(&key) {
            if self.labels.len() > 1024 {
                self.labels.clear();
            }
            self.stats.labels_rendered += 1;
            let m = text::render(text, px, max_width as usize);
            self.labels.insert(key.clone(), m);
        }
        // unwrap: inserted just above when missing.
        self.labels.get(&key).unwrap()
    }
}

/// The parts of `win` that `inner` (inside it) leaves uncovered: up to four bars.
fn bars(win: Rect, inner: Rect) -> impl Iterator<Item = Rect> {
    [
        Rect { x: win.x, y: win.y, w: win.w, h: inner.y.saturating_sub(win.y) },
        Rect { x: win.x, y: inner.bottom(), w: win.w, h: win.bottom().saturating_sub(inner.bottom()) },
        Rect { x: win.x, y: inner.y, w: inner.x.saturating_sub(win.x), h: inner.h },
        Rect { x: inner.right(), y: inner.y, w: win.right().saturating_sub(inner.right()), h: inner.h },
    ]
    .into_iter()
    .filter(|r| r.w > 0 && r.h > 0)
}

#[cfg(test)]
mod tests;
