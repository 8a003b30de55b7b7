//! The compositor's side of `benches/mixer.sh`: composes `--frames` frames of a scenario on the
//! calling thread and prints `fps <value>`; `--bandwidth` prints the machine's copy bandwidth.
//!
//! Scenarios, all 1280x720 I420 sources into a 1920x1080 canvas with names at the bottom:
//! `grid4`, `grid9`, `grid16` (every source changes every frame), `speaker5` (one large window
//! and five thumbnails), `steady16` (16 sources, only one changes per frame).

use std::time::Instant;
use tessera_mixer::compositor::{Compositor, Source};
use tessera_mixer::frame::{Frame, Yuv};
use tessera_mixer::layout::{Layout, LayoutType, NamePosition};
use tessera_mixer::tiles::TileCache;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1).cloned())
}

fn bandwidth() -> f64 {
    let n = 256 << 20;
    let src = vec![1u8; n];
    let mut dst = vec![0u8; n];
    dst.copy_from_slice(&src);
    let t = Instant::now();
    let reps = 8;
    for _ in 0..reps {
        dst.copy_from_slice(std::hint::black_box(&src));
    }
    std::hint::black_box(&dst);
    // Bytes read plus bytes written per second.
    (2 * n * reps) as f64 / t.elapsed().as_secs_f64()
}

fn main() {
    if std::env::args().any(|a| a == "--bandwidth") {
        println!("bytes_per_second {:.0}", bandwidth());
        return;
    }
    let scenario = arg("--scenario").unwrap_or_else(|| "grid16".into());
    let frames: usize = arg("--frames").and_then(|v| v.parse().ok()).unwrap_or(300);
    let (kind, n, steady) = match scenario.as_str() {
        "grid4" => (LayoutType::Grid, 4, false),
        "grid9" => (LayoutType::Grid, 9, false),
        "grid16" => (LayoutType::Grid, 16, false),
        "speaker5" => (LayoutType::OneLargeBelow, 6, false),
        "steady16" => (LayoutType::Grid, 16, true),
        other => {
            eprintln!("unknown scenario {other}");
            std::process::exit(2);
        }
    };
    // Two pictures per source, alternated, so every frame really reads new memory.
    let pics: Vec<[Frame; 2]> = (0..n)
        .map(|i| {
            let c = |k: u8| Yuv(40 + (i as u8 * 11 + k * 50) % 180, 90 + k * 30, 160 - k * 20);
            // unwrap: constant, valid sizes.
            [Frame::new(1280, 720, c(0)).unwrap(), Frame::new(1280, 720, c(1)).unwrap()]
        })
        .collect();
    let names: Vec<String> = (0..n).map(|i| format!("Participant {:02}", i + 1)).collect();
    let layout = Layout { kind, windows: n as u8, name_position: NamePosition::Bottom, ..Layout::default() };
    let mut comp = Compositor::new(1920, 1080, Yuv::BLACK).unwrap();
    let mut tiles = TileCache::new();
    let mut run = |frame_no: usize| {
        let sources: Vec<Source> = (0..n)
            .map(|i| {
                let changes = !steady || i == 0;
                let seq = if changes { frame_no as u64 } else { 0 };
                Source {
                    id: i as u64,
                    seq,
                    frame: Some(pics[i][seq as usize % 2].as_ref()),
                    name: &names[i],
                    muted: false,
                }
            })
            .collect();
        let c = comp.compose(&layout, &sources, None, &mut tiles).unwrap();
        std::hint::black_box(c.y[c.y.len() / 2]);
        tiles.end_frame();
    };
    for f in 0..10 {
        run(f);
    }
    let t = Instant::now();
    for f in 10..10 + frames {
        run(f);
    }
    let secs = t.elapsed().as_secs_f64();
    println!("fps {:.2}", frames as f64 / secs);
    // Bytes a full recomposition reads and writes (sources in, canvas out).
    println!("bytes_per_frame {}", n * 1280 * 720 * 3 / 2 + 1920 * 1080 * 3 / 2);
}
