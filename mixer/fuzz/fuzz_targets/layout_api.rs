//! The layout API as the web drives it: a JSON layout set, a canvas size and participants with
//! frames of arbitrary sizes. Anything may be refused; nothing may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tessera_mixer::compositor::{Compositor, Source};
use tessera_mixer::frame::{Frame, FrameRef, Yuv};
use tessera_mixer::layout::{EndpointGroup, LayoutSet};
use tessera_mixer::tiles::TileCache;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let (head, json) = data.split_at(8);
    let w = u32::from(u16::from_le_bytes([head[0], head[1]])) % 1200;
    let h = u32::from(u16::from_le_bytes([head[2], head[3]])) % 800;
    let n = (head[4] % 12) as usize;
    let fw = u32::from(head[5]) * 4;
    let fh = u32::from(head[6]) * 4;
    let Ok(set) = serde_json::from_slice::<LayoutSet>(json) else { return };
    let _ = set.validate();
    let frame = Frame::new(fw.max(2), fh.max(2), Yuv(100, 100, 100)).ok();
    let raw = vec![0u8; (fw * fh * 3 / 2) as usize];
    let odd = FrameRef::packed_i420(fw + u32::from(head[7] & 1), fh, &raw).ok();
    let names: Vec<String> = (0..n).map(|i| format!("P{i}")).collect();
    let sources: Vec<Source> = (0..n)
        .map(|i| Source {
            id: i as u64,
            seq: u64::from(head[7]),
            frame: if i % 3 == 0 { None } else if i % 3 == 1 { frame.as_ref().map(Frame::as_ref) } else { odd },
            name: &names[i],
            muted: i % 2 == 0,
        })
        .collect();
    if let Ok(mut c) = Compositor::new(w & !1, h & !1, Yuv::BLACK) {
        let mut tiles = TileCache::new();
        for p in 0..3u64 {
            let l = set.resolve(p, if p % 2 == 0 { EndpointGroup::WebRtc } else { EndpointGroup::SipH323 });
            let _ = c.compose(l, &sources, sources.first(), &mut tiles);
        }
        tiles.end_frame();
    }
});
