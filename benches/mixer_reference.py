#!/usr/bin/env python3
"""Runs the reference compositors of benches/mixer.sh on the same work as Tessera's mixer:
N 1280x720 I420 sources scaled into a 1920x1080 canvas with a name drawn on every window, on
one core. Prints 'fps <tool> <scenario> <value>'.

Each reference's sources (videotestsrc / lavfi color) cost something to generate; that cost is
measured with the same sources feeding a null sink and subtracted, since Tessera's side uses
pre-made frames.
"""
import subprocess, sys, time

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
W, H = 1920, 1080


def windows(scenario):
    """(x, y, w, h) of each window; the picture is placed to fit (aspect kept)."""
    if scenario.startswith("grid"):
        n = int(scenario[4:])
        cols = {4: 2, 9: 3, 16: 4}[n]
        cw, ch = W // cols, H // cols
        return [((i % cols) * cw, (i // cols) * ch, cw, ch) for i in range(n)]
    if scenario == "speaker5":
        tw, th = W // 5, (W // 5) * 9 // 16
        big = (0, 0, W, H - th)
        return [big] + [(i * tw, H - th, tw, th) for i in range(5)]
    raise SystemExit(f"unknown scenario {scenario}")


def fit(win):
    x, y, w, h = win
    if w * 9 > h * 16:
        fw, fh = h * 16 // 9 & ~1, h & ~1
    else:
        fw, fh = w & ~1, w * 9 // 16 & ~1
    return x + (w - fw) // 2 & ~1, y + (h - fh) // 2 & ~1, fw, fh


def timed(cmd):
    t = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.monotonic() - t


def gstreamer(scenario, frames):
    wins = [fit(w) for w in windows(scenario)]
    src = "videotestsrc num-buffers={f} pattern=solid-color foreground-color={c} ! video/x-raw,format=I420,width=1280,height=720,framerate=30/1"
    colours = [0xFF000000 | (i * 0x102030 & 0xFFFFFF) for i in range(len(wins))]
    pads = " ".join(f"sink_{i}::xpos={x} sink_{i}::ypos={y} sink_{i}::width={w} sink_{i}::height={h}" for i, (x, y, w, h) in enumerate(wins))
    texts = " ! ".join(
        f'textoverlay text="Participant {i + 1:02}" font-desc="DejaVu Sans 17px" halignment=position valignment=position '
        f"xpos={(x + 12) / W:.4f} ypos={(y + h - 30) / H:.4f}"
        for i, (x, y, w, h) in enumerate(wins))
    full = f"compositor name=c max-threads=1 background=black {pads} ! video/x-raw,format=I420,width={W},height={H} ! {texts} ! fakesink sync=false "
    full += " ".join(f"{src.format(f=frames, c=colours[i])} ! c.sink_{i}" for i in range(len(wins)))
    base = " ".join(f"{src.format(f=frames, c=colours[i])} ! fakesink sync=false" for i in range(len(wins)))
    t_full = timed(["taskset", "-c", "0", "gst-launch-1.0", "-q"] + full.split())
    t_base = timed(["taskset", "-c", "0", "gst-launch-1.0", "-q"] + base.split())
    return frames / max(t_full - t_base, 1e-6)


def ffmpeg(scenario, frames):
    wins = [fit(w) for w in windows(scenario)]
    n = len(wins)
    inputs = []
    for i in range(n):
        inputs += ["-f", "lavfi", "-i", f"color=c=0x{(i * 0x102030) & 0xFFFFFF:06x}:s=1280x720:r=30,format=yuv420p"]
    parts = [f"[{i}:v]scale={w}:{h}:flags=bilinear[s{i}]" for i, (x, y, w, h) in enumerate(wins)]
    layout = "|".join(f"{x}_{y}" for (x, y, w, h) in wins)
    graph = ";".join(parts) + ";" + "".join(f"[s{i}]" for i in range(n)) + f"xstack=inputs={n}:layout={layout}:fill=black[st];"
    graph += "[st]pad=1920:1080:0:0:black"
    for i, (x, y, w, h) in enumerate(wins):
        graph += f",drawtext=fontfile={FONT}:text='Participant {i + 1:02}':fontsize=23:fontcolor=white:x={x + 12}:y={y + h - 30}"
    graph += "[out]"
    common = ["taskset", "-c", "0", "ffmpeg", "-v", "error", "-nostdin", "-threads", "1", "-filter_threads", "1", "-filter_complex_threads", "1"]
    full = common + inputs + ["-filter_complex", graph, "-map", "[out]", "-frames:v", str(frames), "-f", "null", "-"]
    base = common + inputs
    for i in range(n):
        base += ["-map", f"{i}:v"]
    base += ["-frames:v", str(frames), "-f", "null", "-"]
    return frames / max(timed(full) - timed(base), 1e-6)


if __name__ == "__main__":
    tool, scenario, frames = sys.argv[1], sys.argv[2], int(sys.argv[3])
    fps = {"gstreamer": gstreamer, "ffmpeg": ffmpeg}[tool](scenario, frames)
    print(f"fps {tool} {scenario} {fps:.2f}")
