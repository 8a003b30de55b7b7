#!/usr/bin/env python3
"""The media plane under load, on this machine, in one run.

1. Capacity: all-on-screen conferences of N synthetic 1280x720 30 fps participants, composed
   into 1280x720, encoded, recorded and watched by one RTSP client; the largest N that keeps
   30 frames per second without skipping a frame, and the CPU per participant.
2. Sharing: ten viewers of the same layout (RTSP clients) cost one encoder: Tessera's CPU with
   ten sources and ten viewers, beside GStreamer's own `compositor ! x264enc` for the same ten
   sources (one encoder) and the same with a `tee` into ten encoders (no sharing).

Prints a table and BENCH lines (ratio > 1: Tessera better).
"""
import json, os, re, socket, subprocess, sys, tempfile, time, urllib.request, http.cookiejar

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bench import cpu_seconds, free_port, gst_launch_cpu, require, wait_healthy  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/tessera")
MEASURE = float(os.environ.get("BENCH_SECONDS", "8"))


def metric(base, name):
    text = urllib.request.urlopen(base + "/metrics").read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and (line[len(name)] in " {"):
            total += float(line.rsplit(" ", 1)[1])
    return total


class Tessera:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="tessera-bench-")
        self.port, self.rtsp, self.metrics_port = free_port(), free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        # /metrics has a listener of its own (loopback only).
        self.metrics = f"http://127.0.0.1:{self.metrics_port}"
        self.env = dict(os.environ, TESSERA_DATA_DIR=self.dir + "/data", TESSERA_HTTP_LISTEN=f"127.0.0.1:{self.port}",
                        TESSERA_METRICS_LISTEN=f"127.0.0.1:{self.metrics_port}",
                        TESSERA_RTSP_LISTEN=f"127.0.0.1:{self.rtsp}", TESSERA_RTP_BIND="127.0.0.1", TESSERA_SIP_LISTEN=f"127.0.0.1:{free_port()}",
                        TESSERA_ADMIN_PASSWORD="admin-password", TESSERA_MEDIA_SIZE="1280x720", TESSERA_LOG="warn")
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=open(self.dir + "/log", "w"), stderr=subprocess.STDOUT)
        wait_healthy(self.base, self.dir + "/log")
        jar = http.cookiejar.CookieJar()
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        r = self.call("POST", "/api/v1/session", {"login": "admin", "password": "admin-password"}, csrf=False)
        self.csrf = r["csrf_token"]

    def call(self, method, path, body=None, csrf=True):
        req = urllib.request.Request(self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
        req.add_header("content-type", "application/json")
        if csrf:
            req.add_header("x-csrf-token", self.csrf)
        return json.loads(self.http.open(req).read() or b"null")

    def admin(self, *args):
        subprocess.run([BIN, "admin", *args], env=self.env, check=True, stdout=subprocess.DEVNULL)

    def conference(self, cid, n, size, record):
        self.admin("conference", "add", cid, "--name", cid, "--owner", "admin", "--room")
        self.admin("conference", "media", cid, "--record", "true" if record else "false")
        grid = max(4, n)
        self.call("POST", f"/api/v1/conferences/{cid}/live",
                  {"action": "add_synthetic", "name": "P0", "colour": [200, 60, 60], "tone_hz": 440, "size": size})
        self.call("POST", f"/api/v1/conferences/{cid}/live",
                  {"action": "apply_layout", "scope": "all", "layout": {"windows": min(grid, 25)}})
        for i in range(1, n):
            self.call("POST", f"/api/v1/conferences/{cid}/live",
                      {"action": "add_synthetic", "name": f"P{i}", "colour": [(i * 47) % 256, (i * 91) % 256, (i * 13) % 256],
                       "tone_hz": 0, "size": size})

    def end(self, cid):
        self.call("POST", f"/api/v1/conferences/{cid}/live", {"action": "end"})

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def viewers(url, n):
    return [subprocess.Popen(["ffmpeg", "-v", "quiet", "-rtsp_transport", "tcp", "-i", url, "-c", "copy", "-f", "null", "-"],
                             stdin=subprocess.DEVNULL) for _ in range(n)]


def measure(t):
    c0, f0, s0 = cpu_seconds(t.proc.pid), metric(t.metrics, "tessera_media_frames_composed_total"), metric(t.metrics, "tessera_media_frames_skipped_total")
    time.sleep(MEASURE)
    c1, f1, s1 = cpu_seconds(t.proc.pid), metric(t.metrics, "tessera_media_frames_composed_total"), metric(t.metrics, "tessera_media_frames_skipped_total")
    return (c1 - c0) / MEASURE, (f1 - f0) / MEASURE, s1 - s0


def gst_cpu(n, encoders):
    srcs = " ".join(f"videotestsrc is-live=true pattern=solid-color foreground-color={0xff000000 + i * 0x102030} "
                    f"! video/x-raw,format=I420,width=1280,height=720,framerate=30/1 ! c. " for i in range(n))
    cols = 4 if n > 9 else 3
    pads = " ".join(f"sink_{i}::xpos={(i % cols) * (1280 // cols)} sink_{i}::ypos={(i // cols) * (720 // cols)} "
                    f"sink_{i}::width={1280 // cols} sink_{i}::height={720 // cols}" for i in range(n))
    enc = "x264enc tune=zerolatency sliced-threads=false speed-preset=superfast threads=1 bitrate=2000 key-int-max=60 ! fakesink sync=false"
    if encoders == 1:
        tail = f"! {enc}"
    else:
        tail = "! tee name=t " + " ".join(f"t. ! queue ! {enc}" for _ in range(encoders))
    launch = f"compositor name=c {pads} ! video/x-raw,width=1280,height=720 {tail} {srcs}"
    return gst_launch_cpu(launch, MEASURE, settle=3)


def main():
    t = Tessera()
    rows, best = [], None
    try:
        for n in [2, 4, 6, 9, 12, 16, 20, 25]:
            cid = f"cap{n}"
            t.conference(cid, n, [1280, 720], record=True)
            v = viewers(f"rtsp://127.0.0.1:{t.rtsp}/{cid}", 1)
            time.sleep(3)
            cpu, fps, skipped = measure(t)
            for p in v:
                p.terminate()
                p.wait()
            t.end(cid)
            ok = fps >= 29.0 and skipped == 0
            rows.append((n, fps, skipped, cpu, ok))
            print(f"capacity: {n:2d} participants 1280x720@30, recording + RTSP: {fps:5.1f} fps composed, "
                  f"{int(skipped)} skipped, CPU {cpu * 100:5.0f}% ({cpu * 100 / n:4.1f}% per participant) {'ok' if ok else 'DROPS'}",
                  flush=True)
            if ok:
                best = (n, cpu)
            else:
                break
        # Sharing: ten sources, ten viewers, one encoder.
        t.conference("share", 10, [1280, 720], record=False)
        time.sleep(2)
        cpu1, _, _ = measure(t)
        v = viewers(f"rtsp://127.0.0.1:{t.rtsp}/share", 10)
        time.sleep(3)
        encoders = metric(t.metrics, "tessera_media_encoders")
        cpu10, fps10, skipped10 = measure(t)
        for p in v:
            p.terminate()
            p.wait()
        # Ten endpoints that receive the layout (as SIP room systems will): each gets the shared
        # H.264 and its own PCMU mix. Sockets here absorb what they are sent.
        sinks = [socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(20)]
        for k in sinks:
            k.bind(("127.0.0.1", 0))
            k.setblocking(False)
        t.call("POST", "/api/v1/conferences/share/live",
               {"action": "apply_layout", "scope": "all", "layout": {"windows": 20}})
        for i in range(10):
            t.call("POST", "/api/v1/conferences/share/live",
                   {"action": "add_rtp", "name": f"Endpoint {i}", "video": "h264", "audio": "pcmu",
                    "video_to": f"127.0.0.1:{sinks[2 * i].getsockname()[1]}",
                    "audio_to": f"127.0.0.1:{sinks[2 * i + 1].getsockname()[1]}"})
        time.sleep(3)
        encoders_ep = metric(t.metrics, "tessera_media_encoders")
        cpu_ep, fps_ep, skipped_ep = measure(t)
        received = 0
        for k in sinks[::2]:
            try:
                while True:
                    received += len(k.recv(65536))
            except BlockingIOError:
                pass
        t.end("share")
    finally:
        t.stop()
    g1 = gst_cpu(10, 1)
    g10 = gst_cpu(10, 10)
    print()
    print(f"{'':44s} {'CPU (cores)':>12s}")
    print(f"{'tessera, 10 sources, 1 viewer':44s} {cpu1:12.2f}")
    print(f"{'tessera, 10 sources, 10 viewers':44s} {cpu10:12.2f}   encoders running: {int(encoders)}, {fps10:.1f} fps, {int(skipped10)} skipped")
    print(f"{'tessera, 10 sources, 10 endpoints receiving':44s} {cpu_ep:12.2f}   encoders running: {int(encoders_ep)}, {fps_ep:.1f} fps, {int(skipped_ep)} skipped, {received // 1024} KiB of video sent")
    print(f"{'gst-launch compositor ! x264enc (1 encoder)':44s} {g1:12.2f}")
    print(f"{'gst-launch compositor ! tee ! 10 x x264enc':44s} {g10:12.2f}")
    if best:
        n, cpu = best
        print(f"\nlargest all-on-screen conference without dropped frames: {n} participants (720p30, recording + RTSP), "
              f"{cpu * 100 / n:.1f}% of a core per participant")
        print(f"BENCH\tconference_capacity_720p30\t{n}\tnone\t{n}\tparticipants\t1.00")
        print(f"BENCH\tconference_cpu_per_participant\t{cpu * 100 / n:.1f}\tnone\t{cpu * 100 / n:.1f}\t%core\t1.00")
    print(f"BENCH\tshared_encoder_10_viewers\t{cpu10:.2f}\tgst-launch-compositor-x264enc\t{g1:.2f}\tcores\t{g1 / cpu10:.2f}")
    print(f"BENCH\tshared_encoder_10_viewers\t{cpu10:.2f}\tgst-launch-compositor-10-x264enc\t{g10:.2f}\tcores\t{g10 / cpu10:.2f}")
    print(f"BENCH\tshared_encoder_10_endpoints\t{cpu_ep:.2f}\tgst-launch-compositor-10-x264enc\t{g10:.2f}\tcores\t{g10 / cpu_ep:.2f}")


if __name__ == "__main__":
    require(["ffmpeg", "gst-launch-1.0"], "ffmpeg gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-ugly")
    main()
