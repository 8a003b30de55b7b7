//! Scaled pictures, shared by every compositor of a conference: a source is scaled once per
//! target size and fit, however many layouts show it at that size, and not again until its
//! frame changes (its `seq`).

use crate::frame::{Frame, FrameRef};
use crate::geometry::Rect;
use crate::layout::ParticipantId;
use crate::scale::{Scratch, scale_frame};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    id: ParticipantId,
    w: u32,
    h: u32,
    crop: Rect,
}

struct Tile {
    seq: u64,
    frame: Frame,
    last_used: u64,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TileStats {
    pub scaled: u64,
    pub reused: u64,
}

#[derive(Default)]
pub struct TileCache {
    tiles: HashMap<Key, Tile>,
    scratch: Scratch,
    frame_no: u64,
    pub stats: TileStats,
}

impl TileCache {
    pub fn new() -> TileCache {
        TileCache::default()
    }

    /// The picture of `id` (frame `seq`), its `crop` region scaled to `w`x`h` (the crop carries
    /// the fit: a different crop is a different tile).
    pub fn get(&mut self, id: ParticipantId, seq: u64, frame: &FrameRef, crop: Rect, w: u32, h: u32) -> &Frame {
        let key = Key { id, w, h, crop };
        let now = self.frame_no;
        let tile = self.tiles.entry(key).or_insert_with(|| Tile {
            seq: seq.wrapping_add(1),
            frame: Frame { width: 0, height: 0, y: Vec::new(), u: Vec::new(), v: Vec::new() },
            last_used: now,
        });
        tile.last_used = now;
        if tile.seq != seq || tile.frame.width != w || tile.frame.height != h {
            scale_frame(frame, crop, w, h, &mut self.scratch, &mut tile.frame);
            tile.seq = seq;
            self.stats.scaled += 1;
        } else {
            self.stats.reused += 1;
        }
        &tile.frame
    }

    /// Call once per output frame, after every compositor ran: forgets tiles no layout used in
    /// the last two frames.
    pub fn end_frame(&mut self) {
        let now = self.frame_no;
        self.tiles.retain(|_, t| now.saturating_sub(t.last_used) < 2);
        self.frame_no += 1;
    }

    pub fn len(&self) -> usize {
        self.tiles.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tiles.is_empty()
    }
}
