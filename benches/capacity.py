#!/usr/bin/env python3
"""Conference capacity with real media, on this machine, in one run.

Participants send real video: a 1280x720 30 fps H.264 clip with motion and noise (ffmpeg's
`testsrc2` under temporal noise, encoded at BENCH_CLIP_KBPS, default 1500, a keyframe every two
seconds, no B-frames), made at bench time. One sender process sends every stream as RTP, paced by
the clip's timestamps, each stream with its own SSRC and starting at another frame (so their
keyframes do not line up); it runs pinned to the last core, and its CPU is not counted. Tessera
decodes every stream, composes all of them on screen at 1280x720, encodes the layout, records it
and serves it to one RTSP viewer (ffmpeg, copying).

1. Capacity: N = 4, 9, 16, 20, 25 participants in one conference: frames composed per second,
   frames skipped, frames decoded per participant (`tessera_media_frames_received_total`),
   windows showing a picture, Tessera's CPU (cores) and resident memory; the largest N that
   (with every smaller N) keeps 30 fps with no skipped frame, every participant decoded at 30 fps
   and shown; participants per core and CPU and memory per participant there.
2. Reference: GStreamer's own pipeline doing the same job for the same streams at N = 16 (or the
   largest N Tessera held, if lower): `udpsrc ! rtpjitterbuffer ! rtph264depay ! h264parse !
   avdec_h264` per participant into `compositor`, `x264enc` with Tessera's 720p settings (superfast, one thread,
   zerolatency, the same bitrate and keyframe interval, constrained baseline), a muxer to a file
   (`matroskamux`: `mp4mux` refuses the first buffers of a live compositor now and then, "no
   PTS") and an RTP payloader. Ratio: the reference's CPU over Tessera's (above 1: Tessera cheaper).
   Also what decoding those streams costs alone (the same decoders into fakesinks), to tell
   decoding from composing and encoding.
3. Many small conferences: four conferences of four, each with its own encoder, recording and
   viewer (a figure without a target).
4. Senders that honour size requests (BENCH_CAPACITY_SIZED, default 16 and 25): each keeps
   720p, 360p and 180p renditions of the clip (like simulcast layers; 1500, 500 and 150 kbit/s)
   and sends the smallest that covers the window the live API says its picture is shown in
   (`shown_at`, read every second), switching at that rendition's next keyframe. Figure:
   participants per core at the largest size held; ratio at 16: Tessera's CPU with fixed 720p
   senders over its CPU with these.

Prints a table and BENCH lines.
"""
import json, os, socket, struct, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bench import bench_line, cpu_seconds, free_port, gst_launch_cpu, require  # noqa: E402
from conference import MEASURE, Tessera, metric, viewers  # noqa: E402

CLIP_KBPS = int(os.environ.get("BENCH_CLIP_KBPS", "1500"))
SIZES = [int(n) for n in os.environ.get("BENCH_CAPACITY_SIZES", "4,9,16,20,25").split(",")]
SIZED = [int(n) for n in os.environ.get("BENCH_CAPACITY_SIZED", "16,25").split(",") if n]
FPS = 30
MTU = 1200


# The renditions of senders that honour size requests (like simulcast layers): size and kbit/s.
RENDITIONS = [((1280, 720), CLIP_KBPS), ((640, 360), CLIP_KBPS // 3), ((320, 180), CLIP_KBPS // 10)]


def make_clip(path, size=(1280, 720), kbps=CLIP_KBPS):
    """Ten seconds of 30 fps H.264 with motion and noise (1280x720 unless told), Annex B with
    access unit delimiters, baseline profile (no B-frames), a keyframe every two seconds and no
    other (so that every rendition has its keyframes at the same frames)."""
    w, h = size
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=size=1280x720:rate={FPS}",
         "-vf", f"noise=alls=14:allf=t+u,scale={w}:{h}", "-t", "10", "-c:v", "libx264", "-preset", "veryfast",
         "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k",
         "-bufsize", f"{kbps * 2}k", "-g", str(FPS * 2), "-sc_threshold", "0",
         "-x264-params", "aud=1:repeat-headers=1:scenecut=0", "-f", "h264", path], check=True)


def is_key(unit):
    """Whether an access unit (its RTP payloads) is an IDR picture."""
    return any(p[0] & 0x1F == 5 or (p[0] & 0x1F == 28 and p[1] & 0x1F == 5) for p in unit)


def access_units(path):
    """The clip's access units, each a list of RTP payloads (single NAL units, or FU-A fragments
    of those above the MTU), access unit delimiters dropped."""
    data = open(path, "rb").read()
    nals, i = [], 0
    starts = []
    while True:
        j = data.find(b"\x00\x00\x01", i)
        if j < 0:
            break
        starts.append(j + 3)
        i = j + 3
    for k, s in enumerate(starts):
        end = starts[k + 1] - 3 if k + 1 < len(starts) else len(data)
        nal = data[s:end].rstrip(b"\x00")
        if nal:
            nals.append(nal)
    units, current = [], []
    for nal in nals:
        if nal[0] & 0x1F == 9:
            if current:
                units.append(current)
            current = []
            continue
        if len(nal) <= MTU:
            current.append(nal)
            continue
        header, body = nal[0], nal[1:]
        indicator = (header & 0xE0) | 28
        for off in range(0, len(body), MTU - 2):
            chunk = body[off:off + MTU - 2]
            fu = header & 0x1F
            if off == 0:
                fu |= 0x80
            if off + MTU - 2 >= len(body):
                fu |= 0x40
            current.append(bytes([indicator, fu]) + chunk)
    if current:
        units.append(current)
    return units


def send(clips, ports, offsets, choices=None):
    """The sender's own process: every stream to its port on loopback, paced by the clips' 30
    fps, looping, until killed. `clips` are renditions of one clip (the first is sent unless
    told otherwise); with `choices`, a JSON file of the rendition each stream is asked for,
    read every second, a stream switches at the asked rendition's next keyframe."""
    try:
        os.sched_setaffinity(0, {os.cpu_count() - 1})
    except OSError:
        pass
    renditions = [access_units(c) for c in clips]
    count = min(len(r) for r in renditions)
    keys = [[is_key(u) for u in r] for r in renditions]
    current, wanted, seen = [0] * len(ports), [0] * len(ports), None
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    seqs = [0] * len(ports)
    start = time.monotonic()
    frame = 0
    while True:
        if choices and frame % FPS == 0:
            try:
                stamp = os.stat(choices).st_mtime_ns
                if stamp != seen:
                    seen, wanted = stamp, json.load(open(choices))
            except (OSError, ValueError):
                pass
        for s, (port, offset) in enumerate(zip(ports, offsets)):
            k = (frame + offset) % count
            if wanted[s] != current[s] and keys[wanted[s]][k]:
                current[s] = wanted[s]
            unit = renditions[current[s]][k]
            ts = (frame * 90000 // FPS + s * 7919) & 0xFFFFFFFF
            for k, payload in enumerate(unit):
                marker = 0x80 if k == len(unit) - 1 else 0
                header = struct.pack("!BBHII", 0x80, marker | 96, seqs[s] & 0xFFFF, ts, 0x10000 + s)
                seqs[s] += 1
                try:
                    sock.sendto(header + payload, ("127.0.0.1", port))
                except OSError:
                    pass
        frame += 1
        wait = start + frame / FPS - time.monotonic()
        if wait > 0:
            time.sleep(wait)


def sender(clip, ports, renditions=None, choices=None):
    offsets = [(i * 37) % (FPS * 10) for i in range(len(ports))]
    clips = renditions or [clip]
    code = (f"import sys; sys.path.insert(0, {os.path.dirname(os.path.abspath(__file__))!r}); "
            f"from capacity import send; send({clips!r}, {ports!r}, {offsets!r}, {choices!r})")
    return subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def choose(live, n):
    """The rendition each participant P0..P(n-1) is asked for: the smallest that covers the
    window its picture is shown in (the live API's `shown_at`); the largest until it is shown."""
    at = {p["name"]: p.get("shown_at") for p in live["participants"]}
    out = []
    for i in range(n):
        a, pick = at.get(f"P{i}"), 0
        for k, ((w, h), _) in enumerate(RENDITIONS):
            if a and w >= a["width"] and h >= a["height"]:
                pick = k
        out.append(pick)
    return out


class Honour(threading.Thread):
    """Reads the live API every second and writes the renditions the senders are asked for (a
    JSON file the sender process reads), until stopped."""

    def __init__(self, t, cid, n, path):
        super().__init__(daemon=True)
        self.t, self.cid, self.n, self.path = t, cid, n, path
        self.stop, self.last = threading.Event(), None
        self.write([0] * n)

    def write(self, choices):
        with open(self.path + ".tmp", "w") as f:
            json.dump(choices, f)
        os.replace(self.path + ".tmp", self.path)
        self.last = choices

    def run(self):
        while not self.stop.wait(1.0):
            try:
                c = choose(self.t.call("GET", f"/api/v1/conferences/{self.cid}/live"), self.n)
            except OSError:
                continue
            if c != self.last:
                self.write(c)


def rss_mb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def room(t, cid, n, record=True):
    """A conference of `n` RTP participants that send H.264, all on screen: their video ports."""
    t.admin("conference", "add", cid, "--name", cid, "--owner", "admin", "--room")
    t.admin("conference", "media", cid, "--record", "true" if record else "false")
    ports = []
    for i in range(n):
        live = t.call("POST", f"/api/v1/conferences/{cid}/live",
                      {"action": "add_rtp", "name": f"P{i}", "video": "h264"})
        if i == 0:
            t.call("POST", f"/api/v1/conferences/{cid}/live",
                   {"action": "apply_layout", "scope": "all", "layout": {"windows": min(max(4, n), 25)}})
            live = t.call("GET", f"/api/v1/conferences/{cid}/live")
        p = next(p for p in live["participants"] if p["name"] == f"P{i}")
        ports.append(p["rtp_ports"]["video"])
    return ports


def shown(url, n):
    """How many of the layout's `n` windows show a picture (testsrc2 is bright and colourful; a
    participant not decoded shows its initial on a dark backdrop): one frame of the RTSP output,
    in grey."""
    cols = 2 if n <= 4 else 3 if n <= 9 else 4 if n <= 16 else 5
    rows = -(-n // cols)
    w, h = 32 * cols, 18 * rows
    out = subprocess.run(["ffmpeg", "-v", "error", "-rtsp_transport", "tcp", "-i", url, "-frames:v", "1",
                          "-vf", f"scale={w}:{h}", "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                         capture_output=True, timeout=30).stdout
    if len(out) < w * h:
        return 0
    count = 0
    for i in range(n):
        x0, y0 = (i % cols) * 32, (i // cols) * 18
        # The window's top third: testsrc2's bright colour bars, or the dark backdrop of a
        # participant without a picture (its initial is in the middle).
        cell = [out[(y0 + y) * w + x0 + x] for y in range(1, 6) for x in range(2, 30)]
        count += sum(cell) / len(cell) > 80
    return count


def run(t, cid, n, s, settle):
    """Conference `cid` of `n` fed by the sender process `s`, watched by one RTSP viewer, measured
    after `settle` seconds, then ended: frames composed per second, skipped, CPU (cores), RSS
    (MB), whether it held, windows showing a picture, participants' frames decoded per second.
    Only participants decoded and shown count: it held if every window shows its picture and
    every participant's frames are decoded at the clip's rate, at 30 fps with none skipped."""
    v = viewers(f"rtsp://127.0.0.1:{t.rtsp}/{cid}", 1)
    time.sleep(settle)
    cpu, fps, skipped, decoded = measure(t)
    mem = rss_mb(t.proc.pid)
    pictures = shown(f"rtsp://127.0.0.1:{t.rtsp}/{cid}", n)
    for p in v + [s]:
        p.terminate()
        p.wait()
    t.end(cid)
    ok = fps >= FPS - 1 and skipped == 0 and pictures == n and decoded >= (FPS - 1) * n
    return fps, skipped, cpu, mem, ok, pictures, decoded


def measure(t):
    """Tessera's CPU (cores), frames composed per second, frames skipped, and participants'
    frames decoded per second (all participants together) over BENCH_SECONDS."""
    names = ["tessera_media_frames_composed_total", "tessera_media_frames_skipped_total", "tessera_media_frames_received_total"]
    c0, m0 = cpu_seconds(t.proc.pid), [metric(t.metrics, n) for n in names]
    time.sleep(MEASURE)
    c1, m1 = cpu_seconds(t.proc.pid), [metric(t.metrics, n) for n in names]
    return (c1 - c0) / MEASURE, (m1[0] - m0[0]) / MEASURE, m1[1] - m0[1], (m1[2] - m0[2]) / MEASURE


def reference(clip, n, out_dir):
    """GStreamer's own pipeline for the same job and streams: its CPU (cores)."""
    ports = [free_port() for _ in range(n)]
    cols = 2 if n <= 4 else 3 if n <= 9 else 4 if n <= 16 else 5
    w, h = 1280 // cols, 720 // cols
    pads = " ".join(f"sink_{i}::xpos={(i % cols) * w} sink_{i}::ypos={(i // cols) * h} sink_{i}::width={w} "
                    f"sink_{i}::height={h}" for i in range(n))
    caps = '"application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96"'
    srcs = " ".join(f"udpsrc port={p} caps={caps} ! rtpjitterbuffer latency=100 drop-on-latency=true "
                    f"! rtph264depay ! h264parse ! avdec_h264 ! videoconvert ! queue ! c.sink_{i}"
                    for i, p in enumerate(ports))
    launch = (f"compositor name=c background=black {pads} ! video/x-raw,format=I420,width=1280,height=720,framerate={FPS}/1 "
              f"! x264enc tune=zerolatency sliced-threads=false speed-preset=superfast threads=1 bitrate=2000 key-int-max={FPS * 2} "
              f"! video/x-h264,profile=constrained-baseline ! h264parse config-interval=-1 ! tee name=t "
              f"t. ! queue ! matroskamux ! filesink location={out_dir}/reference.mkv "
              f"t. ! queue ! rtph264pay pt=96 ! fakesink sync=false {srcs}")
    s = sender(clip, ports)
    try:
        return gst_launch_cpu(launch.replace('"', ""), MEASURE, settle=4)
    finally:
        s.terminate()
        s.wait()


def decoding(clip, n):
    """What decoding `n` of the streams costs alone: GStreamer's depayloader and `avdec_h264`
    with Tessera's settings (`max-threads=1`) per stream into fakesinks, its CPU (cores)."""
    ports = [free_port() for _ in range(n)]
    caps = "application/x-rtp,media=video,clock-rate=90000,encoding-name=H264,payload=96"
    launch = " ".join(f"udpsrc port={p} caps={caps} ! rtpjitterbuffer latency=100 drop-on-latency=true "
                      f"! rtph264depay ! h264parse ! avdec_h264 max-threads=1 ! videoconvert ! video/x-raw,format=I420 ! fakesink sync=false"
                      for p in ports)
    s = sender(clip, ports)
    try:
        return gst_launch_cpu(launch, MEASURE, settle=4)
    finally:
        s.terminate()
        s.wait()


def main():
    work = tempfile.mkdtemp(prefix="tessera-capacity-")
    clip = os.path.join(work, "clip.h264")
    make_clip(clip)
    units = access_units(clip)
    kbps = sum(len(p) for u in units for p in u) * 8 / (len(units) / FPS) / 1000
    print(f"clip: {len(units)} frames 1280x720@{FPS}, {kbps:.0f} kbit/s of RTP payload", flush=True)
    t = Tessera()
    rows, best, sized_rows = [], None, []
    try:
        for n in SIZES:
            cid = f"cap{n}"
            ports = room(t, cid, n)
            mem0 = rss_mb(t.proc.pid)
            fps, skipped, cpu, mem, ok, pictures, decoded = run(t, cid, n, sender(clip, ports), 4)
            rows.append((n, fps, skipped, cpu, mem, ok))
            print(f"capacity: {n:2d} real 720p H.264 senders ({pictures} shown, {decoded / n:4.1f} fps decoded each), "
                  f"recording + RTSP: {fps:5.1f} fps composed, {int(skipped)} skipped, "
                  f"CPU {cpu:4.2f} cores ({cpu * 100 / n:4.1f}% per participant, {n / cpu:4.1f} per core), "
                  f"RSS {mem:5.0f} MB (was {mem0:.0f} as it started) {'ok' if ok else 'DROPS'}", flush=True)
            # The largest size such that it and every smaller one held.
            if all(r[5] for r in rows):
                best = (n, cpu, mem)
            time.sleep(2)
        # Many small conferences: four of four, each with its own encoder, recording and viewer.
        all_ports, small_viewers = [], []
        for k in range(4):
            all_ports += room(t, f"small{k}", 4)
            small_viewers += viewers(f"rtsp://127.0.0.1:{t.rtsp}/small{k}", 1)
        s = sender(clip, all_ports)
        time.sleep(4)
        small_cpu, small_fps, small_skipped, small_decoded = measure(t)
        for p in small_viewers + [s]:
            p.terminate()
            p.wait()
        for k in range(4):
            t.end(f"small{k}")
        print(f"small: 4 conferences of 4, recording + RTSP each: CPU {small_cpu:4.2f} cores ({16 / small_cpu:4.1f} participants "
              f"per core), {small_fps / 4:5.1f} fps each, {int(small_skipped)} skipped, {small_decoded / 16:4.1f} fps decoded each",
              flush=True)
        # Senders that honour size requests: each keeps 720p, 360p and 180p renditions of the
        # clip and sends the smallest that covers the window it is shown in.
        renditions = []
        for k, (size, kbps) in enumerate(RENDITIONS):
            path = os.path.join(work, f"rendition{k}.h264")
            make_clip(path, size, kbps)
            renditions.append(path)
        for n in SIZED:
            cid = f"sized{n}"
            ports = room(t, cid, n)
            honour = Honour(t, cid, n, os.path.join(work, f"choices{n}.json"))
            honour.start()
            # Time to be told and reach the asked rendition's keyframe (one every two seconds).
            fps, skipped, cpu, mem, ok, pictures, decoded = run(t, cid, n, sender(clip, ports, renditions, honour.path), 7)
            used = [honour.last.count(k) for k in range(len(RENDITIONS))]
            honour.stop.set()
            sized_rows.append((n, fps, skipped, cpu, mem, ok))
            print(f"sized: {n:2d} senders honouring size requests (720p/360p/180p sent: {used}, {pictures} shown, "
                  f"{decoded / n:4.1f} fps decoded each): {fps:5.1f} fps composed, {int(skipped)} skipped, "
                  f"CPU {cpu:4.2f} cores ({n / cpu:4.1f} per core), RSS {mem:5.0f} MB {'ok' if ok else 'DROPS'}", flush=True)
            time.sleep(2)
    finally:
        t.stop()
    ref_n = 16 if best is None or best[0] >= 16 else best[0]
    tess = next((r for r in rows if r[0] == ref_n), None)
    ref_cpu = reference(clip, ref_n, work)
    decode_cpu = decoding(clip, ref_n)
    print()
    print(f"{'':52s} {'CPU (cores)':>12s} {'per core':>9s}")
    for n, fps, skipped, cpu, mem, ok in rows:
        print(f"{f'tessera, {n} participants':52s} {cpu:12.2f} {n / cpu:9.1f}   {fps:.1f} fps, {int(skipped)} skipped, "
              f"{mem:.0f} MB{'' if ok else '  (drops)'}")
    for n, fps, skipped, cpu, mem, ok in sized_rows:
        print(f"{f'tessera, {n} senders honouring size requests':52s} {cpu:12.2f} {n / cpu:9.1f}   {fps:.1f} fps, "
              f"{int(skipped)} skipped, {mem:.0f} MB{'' if ok else '  (drops)'}")
    print(f"{f'gst-launch: {ref_n} x (depay ! avdec_h264) ! compositor ! x264enc':52s} {ref_cpu:12.2f} {ref_n / ref_cpu:9.1f}")
    print(f"{f'gst-launch: {ref_n} x (depay ! avdec_h264 max-threads=1) alone':52s} {decode_cpu:12.2f}   (Tessera's decoding)")
    if best:
        n, cpu, mem = best
        print(f"\nlargest conference of real 720p senders without a skipped frame: {n} ({n / cpu:.1f} participants per core, "
              f"{cpu * 100 / n:.1f}% of a core and {mem / n:.0f} MB each)")
        bench_line("capacity_real_720p", n, "none", n, "participants", 1.0)
        bench_line("capacity_participants_per_core", f"{n / cpu:.1f}", "none", f"{n / cpu:.1f}", "participants/core", 1.0)
        bench_line("capacity_memory_per_participant", f"{mem / n:.0f}", "none", f"{mem / n:.0f}", "MB", 1.0)
    if tess:
        bench_line(f"capacity_{ref_n}_real_720p", f"{tess[3]:.2f}", "gst-launch-compositor-x264enc", f"{ref_cpu:.2f}", "cores",
                   ref_cpu / tess[3])
    bench_line("capacity_small_4x4", f"{small_cpu:.2f}", "none", f"{small_cpu:.2f}", "cores", 1.0)
    held = [r for r in sized_rows if r[5]]
    if held:
        n, cpu = held[-1][0], held[-1][3]
        bench_line("capacity_sized_participants_per_core", f"{n / cpu:.1f}", "none", f"{n / cpu:.1f}", "participants/core", 1.0)
    fixed16 = next((r for r in rows if r[0] == 16), None)
    sized16 = next((r for r in sized_rows if r[0] == 16), None)
    if fixed16 and sized16:
        bench_line("capacity_16_sized", f"{sized16[3]:.2f}", "tessera-fixed-720p-senders", f"{fixed16[3]:.2f}", "cores",
                   fixed16[3] / sized16[3])


if __name__ == "__main__":
    require(["ffmpeg", "gst-launch-1.0"], "ffmpeg gstreamer1.0-tools gstreamer1.0-libav gstreamer1.0-plugins-good")
    main()
