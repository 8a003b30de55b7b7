//! Watching Tessera's outputs with real third-party tools: ffprobe and ffmpeg over RTSP and on
//! recorded files. A missing tool is a loud failure.

use std::path::Path;
use std::process::Command;

fn run(tool: &str, args: &[&str]) -> std::process::Output {
    Command::new(tool)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{tool} is missing ({e}): apt-get install ffmpeg (scripts/test.sh does)"))
}

/// GStreamer decoding H.264 RTP (payload type 96) that arrives on `port` into `dir`'s
/// `h264rx*.rgb` (320×180), ending after 40 frames; see [`received_picture`].
pub fn h264_rtp_receiver(dir: &Path, port: u16) -> crate::KillOnDrop {
    let pipeline = format!(
        "-q udpsrc port={port} caps=application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96 \
         ! rtpjitterbuffer ! rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! videoscale \
         ! video/x-raw,format=RGB,width=320,height=180 ! identity eos-after=40 \
         ! multifilesink location={}/h264rx%03d.rgb max-files=1",
        dir.display()
    );
    let child = Command::new("gst-launch-1.0").args(pipeline.split_whitespace()).spawn();
    crate::KillOnDrop(
        child.expect("gst-launch-1.0 is missing: apt-get install gstreamer1.0-tools (scripts/test.sh does)"),
    )
}

/// Waits (10 s at most) for an [`h264_rtp_receiver`] to end, then its last frame; `None` when it
/// decoded fewer than its 40 frames.
pub fn received_picture(mut rx: crate::KillOnDrop, dir: &Path) -> Option<Picture> {
    let mut ended = false;
    for _ in 0..100 {
        if let Ok(Some(st)) = rx.0.try_wait() {
            ended = st.success();
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let frame = std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("h264rx")))?;
    ended.then(|| Picture { width: 320, height: 180, rgb: std::fs::read(&frame).unwrap_or_default() })
}

/// `ffprobe -show_streams` of `url`, as `key=value|…` lines. ffprobe stops as soon as every
/// stream is known; its default 5 s analysis window would be a wall-clock assumption on a busy
/// machine, so it may read for up to 20 s.
pub fn probe_streams(url: &str) -> String {
    let o = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-analyzeduration",
            "20000000",
            "-rtsp_transport",
            "tcp",
            "-show_streams",
            "-of",
            "compact",
            url,
        ],
    );
    assert!(o.status.success(), "ffprobe {url}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// An RGB picture grabbed from a stream.
pub struct Picture {
    pub width: usize,
    pub height: usize,
    pub rgb: Vec<u8>,
}

impl Picture {
    /// The share of the pixels (on a grid of every eighth) near `colour`.
    pub fn share_near(&self, colour: (u8, u8, u8)) -> f64 {
        let (mut near, mut all) = (0, 0);
        for y in (0..self.height).step_by(8) {
            for x in (0..self.width).step_by(8) {
                all += 1;
                near += usize::from(self.near(x, y, colour, 45));
            }
        }
        near as f64 / all as f64
    }

    pub fn at(&self, x: usize, y: usize) -> (u8, u8, u8) {
        let i = (y * self.width + x) * 3;
        (self.rgb[i], self.rgb[i + 1], self.rgb[i + 2])
    }

    /// Whether the pixel is within `tol` of `c` on every channel.
    pub fn near(&self, x: usize, y: usize, c: (u8, u8, u8), tol: u8) -> bool {
        let p = self.at(x, y);
        p.0.abs_diff(c.0) <= tol && p.1.abs_diff(c.1) <= tol && p.2.abs_diff(c.2) <= tol
    }

    /// How many pixels of the rectangle are nearly white (drawn text).
    pub fn white_pixels(&self, x0: usize, y0: usize, w: usize, h: usize) -> usize {
        (y0..y0 + h)
            .flat_map(|y| (x0..x0 + w).map(move |x| (x, y)))
            .filter(|&(x, y)| {
                let p = self.at(x, y);
                p.0 > 200 && p.1 > 200 && p.2 > 200
            })
            .count()
    }

    pub fn save_png(&self, path: &Path) {
        let raw = path.with_extension("rgb");
        std::fs::write(&raw, &self.rgb).expect("write raw");
        let size = format!("{}x{}", self.width, self.height);
        let _ = run(
            "ffmpeg",
            &[
                "-v",
                "error",
                "-y",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-s",
                &size,
                "-i",
                raw.to_str().unwrap(),
                path.to_str().unwrap(),
            ],
        );
    }
}

/// Decodes `url` and returns the picture after `skip` frames (the encoder's first frames are
/// still refining quality after the keyframe). A conference that has just started may not have
/// its RTSP mount yet, as an RTSP client would find: the grab is tried again for up to ten
/// seconds before it fails with ffmpeg's last message. An attempt that gets no picture in 20 s
/// is ended and tried again: CI once hung here for 16 minutes on a connection that carried
/// only RTCP (a shared RTSP media re-prepared without its inputs, suspected; see the
/// `rtsp` module) — such a stall fails or recovers, it never hangs the run.
pub fn grab(url: &str, width: usize, height: usize, skip: u32) -> Picture {
    let select = format!("select=gte(n\\,{skip})");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(45);
    loop {
        let o = run(
            "timeout",
            &[
                "20",
                "ffmpeg",
                "-v",
                "error",
                "-rtsp_transport",
                "tcp",
                "-i",
                url,
                "-an",
                "-vf",
                &select,
                "-frames:v",
                "1",
                "-f",
                "rawvideo",
                "-pix_fmt",
                "rgb24",
                "-",
            ],
        );
        if o.status.success() && o.stdout.len() == width * height * 3 {
            return Picture { width, height, rgb: o.stdout };
        }
        if std::time::Instant::now() >= deadline {
            assert!(o.status.success(), "ffmpeg grab {url}: {}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(o.stdout.len(), width * height * 3, "grabbed frame size");
        }
        std::thread::sleep(std::time::Duration::from_millis(300));
    }
}

/// The mean volume in dB of `seconds` of the stream's audio (ffmpeg's volumedetect); about -91
/// for digital silence.
pub fn mean_volume(url: &str, seconds: u32) -> f64 {
    let t = seconds.to_string();
    volumedetect(&["-rtsp_transport", "tcp", "-i", url, "-vn", "-t", &t])
}

/// The mean volume in dB of an audio file.
pub fn mean_volume_of_file(path: &Path) -> f64 {
    volumedetect(&["-i", path.to_str().expect("utf-8 path")])
}

fn volumedetect(input: &[&str]) -> f64 {
    let args = [&["-v", "info"][..], input, &["-af", "volumedetect", "-f", "null", "-"]].concat();
    let o = run("ffmpeg", &args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "ffmpeg volumedetect {input:?}: {err}");
    err.lines()
        .find_map(|l| l.split("mean_volume:").nth(1))
        .and_then(|v| v.trim().trim_end_matches("dB").trim().parse().ok())
        .unwrap_or_else(|| panic!("no mean_volume in ffmpeg's output: {err}"))
}

/// A file a platform or a player received: H.264 and AAC, at least 30 pictures over more than
/// `seconds` decoded, and the speaker's tone heard (above -40 dB).
pub fn assert_h264_aac_with_sound(file: &Path, seconds: f64) {
    let o = run(
        "ffprobe",
        &["-v", "error", "-show_entries", "stream=codec_name", "-of", "csv=p=0", file.to_str().expect("utf-8 path")],
    );
    let codecs = String::from_utf8_lossy(&o.stdout);
    assert!(codecs.contains("h264") && codecs.contains("aac"), "received {codecs:?}");
    let (frames, decoded) = decode_file(file);
    assert!(frames >= 30 && decoded > seconds, "{frames} frames in {decoded} s decoded");
    let level = mean_volume_of_file(file);
    assert!(level > -40.0, "the speaker's tone is not heard: {level} dB");
}

/// Decodes every video frame of a file: (frames decoded, duration of the decoded video in
/// seconds). A truncated file counts what decodes.
pub fn decode_file(path: &Path) -> (u64, f64) {
    try_decode_file(path).unwrap_or_else(|e| panic!("{e}"))
}

/// `decode_file` that says why nothing decodes (a file still being written may not yet).
pub fn try_decode_file(path: &Path) -> Result<(u64, f64), String> {
    let p = path.to_str().expect("utf-8 path");
    let o = run(
        "ffprobe",
        &[
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-count_frames",
            "-show_entries",
            "stream=nb_read_frames,r_frame_rate",
            "-of",
            "default=nw=1",
            p,
        ],
    );
    let text = String::from_utf8_lossy(&o.stdout);
    let frames: u64 = text
        .lines()
        .find_map(|l| l.strip_prefix("nb_read_frames="))
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("ffprobe {p}: {text}{}", String::from_utf8_lossy(&o.stderr)))?;
    let rate = text
        .lines()
        .find_map(|l| l.strip_prefix("r_frame_rate="))
        .and_then(|r| {
            let (n, d) = r.split_once('/')?;
            Some(n.parse::<f64>().ok()? / d.parse::<f64>().ok()?)
        })
        .filter(|r| *r > 0.0)
        .unwrap_or(30.0);
    Ok((frames, frames as f64 / rate))
}

/// A two-second `.y4m` of ffmpeg's moving test picture, for Chromium's fake camera.
pub fn camera_y4m(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("camera.y4m");
    let path_s = path.to_str().unwrap_or_default().to_string();
    let o = run(
        "ffmpeg",
        &[
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "testsrc2=s=320x240:r=15",
            "-t",
            "2",
            "-pix_fmt",
            "yuv420p",
            &path_s,
        ],
    );
    assert!(o.status.success(), "ffmpeg made no y4m: {}", String::from_utf8_lossy(&o.stderr));
    path
}

/// A camera that keeps an encoder busy (`WxH` at 15 fps, 4 s, looped by Chromium): moving
/// colour bars with fresh grain in every frame, so that a layout showing it takes the bitrate
/// it is given, as a real camera's picture does.
pub fn busy_camera_y4m(dir: &Path, size: &str) -> std::path::PathBuf {
    let path = dir.join("busy-camera.y4m");
    let source = format!("testsrc2=s={size}:r=15,noise=alls=40:allf=t");
    let o = run(
        "ffmpeg",
        &["-v", "error", "-y", "-f", "lavfi", "-i", &source, "-t", "4", "-pix_fmt", "yuv420p"]
            .iter()
            .copied()
            .chain([path.to_str().unwrap_or_default()])
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "ffmpeg made no y4m: {}", String::from_utf8_lossy(&o.stderr));
    path
}

/// A PDF of solid pages, one colour each (RGB 0–1), 640×360 points: what a slide show shows,
/// told apart in the conference's picture by colour.
pub fn slides_pdf(dir: &Path, colours: &[(f32, f32, f32)]) -> std::path::PathBuf {
    let n = colours.len();
    // Objects: 1 catalog, 2 pages, then a page and its content stream for each colour.
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!(
            "<< /Type /Pages /Count {n} /Kids [{}] >>",
            (0..n).map(|i| format!("{} 0 R", 3 + 2 * i)).collect::<Vec<_>>().join(" ")
        ),
    ];
    for (i, (r, g, b)) in colours.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 640 360] /Contents {} 0 R /Resources << >> >>",
            4 + 2 * i
        ));
        let content = format!("{r} {g} {b} rg 0 0 640 360 re f");
        objects.push(format!("<< /Length {} >>\nstream\n{content}\nendstream", content.len()));
    }
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for o in offsets {
        pdf.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
    );
    let path = dir.join("slides.pdf");
    std::fs::write(&path, pdf).expect("writing the PDF");
    path
}
