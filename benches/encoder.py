#!/usr/bin/env python3
"""The H.264 encoder settings of each output size, measured.

For each size Tessera encodes (the full tier 1280x720 and the half and quarter tiers 640x360 and
320x180, at the bit rates the tiers get from the default `media.video_kbps`), ten seconds of
30 fps pictures with motion and camera-like noise (ffmpeg's `testsrc2`, made at bench time) are
encoded as Tessera's outputs run their encoders: GStreamer's `x264enc` (zero latency,
constrained baseline, a keyframe every two seconds, the tier's bit rate) with each speed preset,
on one thread or x264's automatic count, and `vp8enc` (real time, constant bit rate, no
look-ahead) at `cpu-used` 8, 12 and 16 on one thread or two. Each run's CPU time (less reading the pictures) and the
quality of what it made (SSIM against the pictures, by ffmpeg) are printed.

The BENCH lines compare the settings Tessera uses for that size and codec
(`daemon/src/media/encoder_tuning.rs`) with the one setting all sizes used before (x264
veryfast on automatic threads; VP8 `cpu-used=8` on two threads): CPU (ratio above 1: Tessera
spends less) and SSIM (ratio near 1: the same quality).
"""

import os
import re
import resource
import subprocess
import sys
import tempfile

FRAMES = int(os.environ.get("BENCH_ENCODER_FRAMES", "300"))
FULL_KBPS = 2000
# (width, height, kbps): the tiers of `tessera_conference::quality::Tier::video_kbps`.
SIZES = [(1280, 720, FULL_KBPS), (640, 360, FULL_KBPS // 4), (320, 180, FULL_KBPS // 12)]
# (codec, speed, threads): x264's presets; libvpx's real-time `cpu-used` (higher is faster).
SETTINGS = [("h264", p, t) for p in ("ultrafast", "superfast", "veryfast", "faster") for t in (1, 0)] + [
    ("vp8", str(c), t) for c in (8, 12, 16) for t in (1, 2)]
# What Tessera's outputs use (keep in step with `daemon/src/media/encoder_tuning.rs`).
CHOSEN = {
    "h264": {(1280, 720): ("superfast", 1), (640, 360): ("superfast", 1), (320, 180): ("veryfast", 1)},
    "vp8": {(1280, 720): ("16", 1), (640, 360): ("12", 1), (320, 180): ("8", 1)},
}
# The one setting every size used before.
BEFORE = {"h264": ("veryfast", 0), "vp8": ("8", 2)}
REFERENCE_NAME = {"h264": "x264-veryfast-auto-threads", "vp8": "vp8-cpu-used-8-two-threads"}


def cpu_of(cmd):
    """CPU seconds (user + system) that `cmd` and its children used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def make_source(path, w, h):
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc2=size=1280x720:rate=30",
         "-vf", f"noise=alls=8:allf=t+u,scale={w}:{h}", "-frames:v", str(FRAMES), "-pix_fmt", "yuv420p",
         path],
        check=True,
    )


def encode(src, out, kbps, codec, speed, threads):
    if codec == "h264":
        enc = (f"x264enc tune=zerolatency sliced-threads=false speed-preset={speed} threads={threads} "
               f"bitrate={kbps} key-int-max=60 ! video/x-h264,profile=constrained-baseline ! h264parse ! matroskamux")
    else:
        enc = (f"vp8enc deadline=1 cpu-used={speed} end-usage=cbr target-bitrate={kbps * 1000} "
               f"keyframe-max-dist=60 lag-in-frames=0 threads={threads} ! webmmux")
    pipeline = f"filesrc location={src} ! y4mdec ! {enc} ! filesink location={out}"
    return cpu_of(["gst-launch-1.0", "-q", *pipeline.split()])


def ssim(encoded, src):
    r = subprocess.run(
        ["ffmpeg", "-v", "info", "-i", encoded, "-i", src, "-lavfi", "[0:v][1:v]ssim", "-f", "null", "-"],
        check=True, capture_output=True, text=True,
    )
    m = re.search(r"SSIM .*All:([0-9.]+)", r.stderr)
    if not m:
        sys.exit(f"ffmpeg printed no SSIM for {encoded}:\n{r.stderr[-2000:]}")
    return float(m.group(1))


def main():
    for tool in ("gst-launch-1.0", "ffmpeg"):
        if subprocess.run(["sh", "-c", f"command -v {tool}"], stdout=subprocess.DEVNULL).returncode:
            sys.exit(f"{tool} is missing: apt-get install gstreamer1.0-tools gstreamer1.0-plugins-ugly "
                     "gstreamer1.0-plugins-bad ffmpeg")
    lines = []
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{'size':>9} {'kbit/s':>6} {'codec':>5} {'speed':>10} {'threads':>7} {'CPU s':>6} {'% core':>6} "
              f"{'SSIM':>7} {'kbit/s out':>10}")
        for w, h, kbps in SIZES:
            src = os.path.join(tmp, f"src{w}.y4m")
            make_source(src, w, h)
            reading = cpu_of(["gst-launch-1.0", "-q", "filesrc", f"location={src}", "!", "y4mdec", "!", "fakesink"])
            results = {}
            for codec, speed, threads in SETTINGS:
                out = os.path.join(tmp, f"out{w}-{codec}-{speed}-{threads}.mkv")
                cpu = max(0.0, encode(src, out, kbps, codec, speed, threads) - reading)
                q = ssim(out, src)
                rate = os.path.getsize(out) * 8 / (FRAMES / 30) / 1000
                results[(codec, speed, threads)] = (cpu, q)
                mark = " <- Tessera" if CHOSEN[codec][(w, h)] == (speed, threads) else ""
                print(f"{w}x{h:<4} {kbps:>6} {codec:>5} {speed:>10} {threads or 'auto':>7} {cpu:6.2f} "
                      f"{100 * cpu / (FRAMES / 30):6.1f} {q:7.4f} {rate:10.0f}{mark}", flush=True)
            for codec in ("h264", "vp8"):
                (tc, tq), (bc, bq) = results[(codec, *CHOSEN[codec][(w, h)])], results[(codec, *BEFORE[codec])]
                ref = REFERENCE_NAME[codec]
                lines.append(f"BENCH\tencoder_{codec}_cpu_{w}x{h}\t{tc:.2f}\t{ref}\t{bc:.2f}\ts\t{bc / max(tc, 0.01):.2f}")
                lines.append(f"BENCH\tencoder_{codec}_ssim_{w}x{h}\t{tq:.4f}\t{ref}\t{bq:.4f}\tssim\t{tq / bq:.3f}")
    print(f"(CPU for {FRAMES} frames, less reading them; % core at 30 fps; SSIM against the pictures)")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
