//! Composes one frame of a few synthetic sources and writes it as packed I420 to the file named
//! by the first argument (default `demo.yuv`, 1280x720): look at it with
//! `ffmpeg -f rawvideo -pix_fmt yuv420p -s 1280x720 -i demo.yuv demo.png`.

use tessera_mixer::compositor::{Compositor, Source};
use tessera_mixer::frame::{Frame, Yuv};
use tessera_mixer::layout::{Layout, LayoutType, NamePosition};
use tessera_mixer::tiles::TileCache;

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "demo.yuv".into());
    let kind = match std::env::args().nth(2).as_deref() {
        Some("speaker") => LayoutType::OneLargeBelow,
        Some("pip") => LayoutType::PictureInPicture,
        Some("centre") => LayoutType::OneLargeCentre,
        _ => LayoutType::Grid,
    };
    let colours = [(200, 60, 60), (60, 160, 80), (60, 90, 200), (220, 180, 40), (150, 60, 170), (40, 170, 180)];
    let names = ["Alice Smith", "Борис Петров", "Chen Wei", "Dolores", "Юлия Иванова", "Frank"];
    let frames: Vec<Frame> = colours
        .iter()
        .enumerate()
        .map(|(i, &(r, g, b))| {
            let (w, h) = if i % 2 == 0 { (1280, 720) } else { (640, 480) };
            let mut f = Frame::new(w, h, Yuv::from_rgb(r, g, b)).unwrap();
            // A lighter square, to see the scaling.
            let s = h / 3;
            f.fill_rect(
                tessera_mixer::geometry::Rect { x: (w / 2 - s / 2) & !1, y: (h / 3) & !1, w: s & !1, h: s & !1 },
                Yuv::from_rgb(240, 240, 240),
            );
            f
        })
        .collect();
    let mut sources: Vec<Source> = frames
        .iter()
        .zip(names)
        .enumerate()
        .map(|(i, (f, n))| Source { id: i as u64 + 1, seq: 1, frame: Some(f.as_ref()), name: n, muted: i == 2 })
        .collect();
    sources[3].frame = None;
    let layout = Layout { kind, windows: 6, name_position: NamePosition::Bottom, ..Layout::default() };
    let mut c = Compositor::new(1280, 720, Yuv::from_rgb(30, 34, 42)).unwrap();
    let canvas = c.compose(&layout, &sources, None, &mut TileCache::new()).unwrap();
    std::fs::write(&out, canvas.to_packed()).unwrap();
}
