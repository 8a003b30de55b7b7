//! Pixel tests: what lands where on the canvas.

use super::*;
use crate::layout::{Fit, Slot};

fn solid(w: u32, h: u32, c: Yuv) -> Frame {
    Frame::new(w, h, c).unwrap()
}

const RED: Yuv = Yuv(81, 90, 240);
const BLUE: Yuv = Yuv(41, 240, 110);

fn grid(windows: u8, names: NamePosition) -> Layout {
    Layout { kind: LayoutType::Grid, windows, name_position: names, ..Layout::default() }
}

#[test]
fn a_solid_source_lands_exactly_in_its_window() {
    let red = solid(1280, 720, RED);
    let blue = solid(640, 480, BLUE);
    let srcs = [
        Source { id: 1, seq: 1, frame: Some(red.as_ref()), name: "Red", muted: false },
        Source { id: 2, seq: 1, frame: Some(blue.as_ref()), name: "Blue", muted: false },
    ];
    let mut c = Compositor::new(1920, 1080, Yuv(16, 128, 128)).unwrap();
    let mut tiles = TileCache::new();
    let layout = grid(4, NamePosition::Hidden);
    let canvas = c.compose(&layout, &srcs, None, &mut tiles).unwrap().clone();
    let g = c.geometry().unwrap().clone();
    // Window 0: red 16:9 in a 956x536 window fills it but for even rounding; every pixel of
    // the placed picture is exactly red.
    let (_, dst) = place(1280, 720, g.windows[0], Fit::Fit);
    for y in (dst.y..dst.bottom()).step_by(7) {
        for x in (dst.x..dst.right()).step_by(5) {
            assert_eq!(canvas.pixel(x, y), RED, "at {x},{y}");
        }
    }
    // Window 1: blue 4:3 with bars left and right.
    let w1 = g.windows[1];
    let (_, d1) = place(640, 480, w1, Fit::Fit);
    assert!(d1.x > w1.x && d1.w < w1.w && d1.h == w1.h, "{d1:?} in {w1:?}");
    assert_eq!(canvas.pixel(d1.x + d1.w / 2, d1.y + d1.h / 2), BLUE);
    assert_eq!(canvas.pixel(w1.x + 2, w1.y + w1.h / 2), WINDOW_BG, "bar");
    // The gap between windows is background; empty windows are black.
    assert_eq!(canvas.pixel(0, 0), Yuv(16, 128, 128));
    assert_eq!(canvas.pixel(g.windows[2].x + 10, g.windows[2].y + 10), WINDOW_BG);
    // Nothing red outside window 0.
    for y in (0..1080).step_by(11) {
        for x in (0..1920).step_by(13) {
            let inside = g.windows[0].contains(&Rect { x, y, w: 1, h: 1 });
            if !inside {
                assert_ne!(canvas.pixel(x, y), RED, "red leaked to {x},{y}");
            }
        }
    }
}

fn bright_pixels(f: &Frame, r: Rect) -> usize {
    let mut n = 0;
    for y in r.y..r.bottom() {
        for x in r.x..r.right() {
            if f.y[(y * f.width + x) as usize] > 200 {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn the_label_area_holds_the_name_and_changes_with_it() {
    let grey = solid(320, 180, Yuv(100, 128, 128));
    let mut layout = grid(1, NamePosition::Bottom);
    let mut tiles = TileCache::new();
    let mut c = Compositor::new(640, 360, Yuv::BLACK).unwrap();
    let src = [Source { id: 7, seq: 1, frame: Some(grey.as_ref()), name: "Юлия Иванова", muted: false }];
    let canvas = c.compose(&layout, &src, None, &mut tiles).unwrap().clone();
    let w = c.geometry().unwrap().windows[0];
    let band = Rect { x: w.x, y: w.bottom() - 44, w: w.w / 2, h: 44 };
    let top = Rect { x: w.x, y: w.y, w: w.w / 2, h: 44 };
    assert!(bright_pixels(&canvas, band) > 100, "text drawn in the bottom band");
    assert_eq!(bright_pixels(&canvas, top), 0, "nothing at the top");
    assert_eq!(c.stats.labels_rendered, 1);

    // Same frame again: nothing is redrawn.
    c.compose(&layout, &src, None, &mut tiles).unwrap();
    assert_eq!((c.stats.windows_drawn, c.stats.windows_kept, c.stats.labels_rendered), (1, 1, 1));

    // A display name for this layout only replaces the label; names on top move it.
    layout.display_names.insert(7, "Chair".into());
    layout.name_position = NamePosition::Top;
    let canvas = c.compose(&layout, &src, None, &mut tiles).unwrap().clone();
    assert!(bright_pixels(&canvas, top) > 30);
    assert_eq!(bright_pixels(&canvas, band), 0);
    assert_eq!(c.stats.labels_rendered, 2);

    layout.name_position = NamePosition::Hidden;
    let canvas = c.compose(&layout, &src, None, &mut tiles).unwrap().clone();
    assert_eq!(bright_pixels(&canvas, top) + bright_pixels(&canvas, band), 0);
}

#[test]
fn camera_off_shows_the_placeholder_and_muted_shows_the_mark() {
    let mut c = Compositor::new(640, 360, Yuv::BLACK).unwrap();
    let mut tiles = TileCache::new();
    let src = [Source { id: 3, seq: 1, frame: None, name: "Anna Petrova", muted: true }];
    let canvas = c.compose(&grid(1, NamePosition::Hidden), &src, None, &mut tiles).unwrap().clone();
    let w = c.geometry().unwrap().windows[0];
    assert_eq!(canvas.pixel(w.x + 4, w.y + w.h - 4), PLACEHOLDER_BG);
    // The centre is the disc or the white initials on it, never the window background.
    let centre = canvas.pixel(w.x + w.w / 2, w.y + w.h / 2);
    assert_ne!(centre, PLACEHOLDER_BG);
    let disc = Yuv::from_rgb(PALETTE[3].0, PALETTE[3].1, PALETTE[3].2);
    let (cx, cy) = (w.x + w.w / 2, w.y + w.h / 2);
    let disc_pixels = (0..w.h / 5).filter(|d| canvas.pixel(cx - w.h / 5 + d, cy - w.h / 6) == disc).count();
    assert!(disc_pixels > 5, "disc colour around the initials");
    assert!(bright_pixels(&canvas, Rect { x: cx - 40, y: cy - 30, w: 80, h: 60 }) > 50, "initials");
    // The muted mark: red in the upper right corner.
    let red = (w.right() - 40..w.right()).flat_map(|x| (w.y..w.y + 40).map(move |y| (x, y)));
    assert!(red.filter(|&(x, y)| canvas.pixel(x, y).2 > 200).count() > 50);
}

#[test]
fn a_source_is_scaled_once_per_size_for_every_layout() {
    let f = solid(1280, 720, RED);
    let srcs: Vec<Source> =
        (1..=4).map(|id| Source { id, seq: 10, frame: Some(f.as_ref()), name: "x", muted: false }).collect();
    let mut tiles = TileCache::new();
    let mut a = Compositor::new(1280, 720, Yuv::BLACK).unwrap();
    let mut b = Compositor::new(1280, 720, Yuv::BLACK).unwrap();
    let la = grid(4, NamePosition::Bottom);
    let lb = Layout { name_position: NamePosition::Top, ..grid(4, NamePosition::Top) };
    a.compose(&la, &srcs, None, &mut tiles).unwrap();
    b.compose(&lb, &srcs, None, &mut tiles).unwrap();
    tiles.end_frame();
    assert_eq!(tiles.stats.scaled, 4, "four sources, one size: four scalings for two layouts");
    assert_eq!(tiles.stats.reused, 4);
    // Next frame, one source changed.
    let mut next = srcs.clone();
    next[2].seq = 11;
    a.compose(&la, &next, None, &mut tiles).unwrap();
    assert_eq!(tiles.stats.scaled, 5);
    assert_eq!(a.stats.windows_kept, 3, "three windows untouched");
}

#[test]
fn content_slot_and_assignments() {
    let content = solid(1920, 1080, BLUE);
    let red = solid(640, 360, RED);
    let layout = Layout {
        kind: LayoutType::OneLargeBelow,
        windows: 3,
        content_slot: true,
        slots: vec![Slot::Participant(2)],
        name_position: NamePosition::Hidden,
        ..Layout::default()
    };
    let srcs = [
        Source { id: 1, seq: 1, frame: Some(red.as_ref()), name: "one", muted: false },
        Source { id: 2, seq: 1, frame: None, name: "two", muted: false },
    ];
    let share = Source { id: 99, seq: 1, frame: Some(content.as_ref()), name: "", muted: false };
    let mut c = Compositor::new(1280, 720, Yuv::BLACK).unwrap();
    let canvas = c.compose(&layout, &srcs, Some(&share), &mut TileCache::new()).unwrap().clone();
    let g = c.geometry().unwrap().clone();
    let cs = g.content.unwrap();
    assert_eq!(canvas.pixel(cs.x + cs.w / 2, cs.y + cs.h / 2), BLUE);
    // Window 0 is assigned to participant 2 (camera off), window 1 auto-fills with 1.
    assert_eq!(canvas.pixel(g.windows[0].x + 2, g.windows[0].y + 2), PLACEHOLDER_BG);
    let w1 = g.windows[1];
    assert_eq!(canvas.pixel(w1.x + w1.w / 2, w1.y + w1.h / 2), RED);
}

#[test]
fn bad_input_is_an_error() {
    assert!(Compositor::new(10, 10, Yuv::BLACK).is_err());
    assert!(Compositor::new(1921, 1080, Yuv::BLACK).is_err());
    let mut c = Compositor::new(640, 360, Yuv::BLACK).unwrap();
    let bad = Layout { windows: 30, ..Layout::default() };
    assert!(c.compose(&bad, &[], None, &mut TileCache::new()).is_err());
    let too_many = Layout { windows: 1, slots: vec![Slot::Participant(1), Slot::Participant(2)], ..Layout::default() };
    assert!(matches!(c.compose(&too_many, &[], None, &mut TileCache::new()), Err(MixerError::TooManySlots { .. })));
}

#[test]
fn nv12_input_matches_i420() {
    let w = 64u32;
    let h = 48u32;
    let y = vec![120u8; (w * h) as usize];
    let uv: Vec<u8> = (0..(w * h / 2) as usize).map(|i| if i % 2 == 0 { 60 } else { 200 }).collect();
    let nv = FrameRef::nv12(w, h, &y, w as usize, &uv, w as usize).unwrap();
    let mut c = Compositor::new(128, 96, Yuv::BLACK).unwrap();
    let layout = Layout { windows: 1, name_position: NamePosition::Hidden, ..Layout::default() };
    let src = [Source { id: 1, seq: 1, frame: Some(nv), name: "", muted: false }];
    let canvas = c.compose(&layout, &src, None, &mut TileCache::new()).unwrap();
    assert_eq!(canvas.pixel(64, 48), Yuv(120, 60, 200));
}
