#!/usr/bin/env python3
"""What each quality tier costs, on this machine, in one run.

A 1280x720 room of four participants that send real video (H.264 with motion, encoded by
GStreamer and decoded by Tessera), watched by three SIP phones (raw SIP and RTP from this
script). All three start at the full tier; then one phone is put behind a 900 kbit/s link (its
receiver reports say it lost what arrived beyond that: it moves to the half tier, 640x360 at a
quarter of the bitrate), then another behind 300 kbit/s (the quarter tier: 320x180). Tessera's CPU is measured at each step: what the step adds is
what that tier's output costs (composing its picture from the shared tiles and encoding it).
The reference is GStreamer doing the least a tier needs from a picture already made: scaling
the full 1280x720 picture of moving content down and encoding it at the tier's size and bitrate
(`videoscale ! x264enc`), measured alone.

A tier's cost is small beside the room's (decoding four streams, composing, encoding the full
tier): on a shared machine one step is within the noise, so the two lower tiers together are a
figure too, and each step is measured over BENCH_SECONDS (default 15).

Prints a table and BENCH lines (ratio > 1: Tessera's tier costs less than the reference).
"""
import os, socket, subprocess, sys, threading, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bench import cpu_seconds, gst_launch_cpu  # noqa: E402
from conference import MEASURE, Tessera  # noqa: E402

ENC = "x264enc tune=zerolatency speed-preset=ultrafast bitrate={kbps} key-int-max=60"


def senders(ports):
    """One GStreamer process sending moving H.264 (a ball over a moving pattern) to each port."""
    branches = " ".join(
        f"videotestsrc is-live=true pattern={p} ! video/x-raw,width=640,height=360,framerate=30/1 "
        f"! {ENC.format(kbps=800)} ! rtph264pay pt=96 config-interval=1 ! udpsink host=127.0.0.1 port={port} "
        for port, p in zip(ports, ["ball", "smpte", "snow", "pinwheel"]))
    return subprocess.Popen(["gst-launch-1.0", "-q", *branches.split()], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


class Phone:
    """A SIP phone in the room: it receives the layout behind a link of `capacity` kbit/s (none
    until told): its receiver reports say it lost what its video arrives at beyond that, over
    the last second, as a bottleneck would have dropped it."""

    def __init__(self, sip_port, conf, n):
        while True:
            self.audio = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.audio.bind(("127.0.0.1", 0))
            a = self.audio.getsockname()[1]
            try:
                self.video = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                self.video.bind(("127.0.0.1", a + 2))
                break
            except OSError:
                self.audio.close()
        self.sip = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sip.bind(("127.0.0.1", 0))
        me = "127.0.0.1:%d" % self.sip.getsockname()[1]
        sdp = (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {a} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
               f"m=video {a + 2} RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\n")
        head = (f"sip:{conf}@127.0.0.1:{sip_port} SIP/2.0\r\nVia: SIP/2.0/UDP {me};branch=z9hG4bK{{b}}\r\nMax-Forwards: 70\r\n"
                f"From: <sip:phone{n}@{me}>;tag=t{n}\r\n{{to}}\r\nCall-ID: tiers-{n}\r\nCSeq: 1 {{m}}\r\nContact: <sip:phone{n}@{me}>\r\n")
        invite = "INVITE " + head.format(b=f"i{n}", to=f"To: <sip:{conf}@127.0.0.1>", m="INVITE") + \
            f"Content-Type: application/sdp\r\nContent-Length: {len(sdp)}\r\n\r\n{sdp}"
        self.sip.sendto(invite.encode(), ("127.0.0.1", sip_port))
        self.sip.settimeout(10)
        while True:
            text = self.sip.recv(65536).decode(errors="replace")
            if text.startswith("SIP/2.0 2"):
                break
            if text.startswith("SIP/2.0 ") and not text.startswith("SIP/2.0 1"):
                sys.exit(f"the room refused a phone: {text.splitlines()[0]}")
        to = next(l for l in text.split("\r\n") if l.startswith("To:"))
        ack = "ACK " + head.format(b=f"a{n}", to=to, m="ACK") + "Content-Length: 0\r\n\r\n"
        self.sip.sendto(ack.encode(), ("127.0.0.1", sip_port))
        video = text.split("m=video ", 1)[1]
        self.video_port = int(video.split()[0])
        self.rtcp_port = next((int(l[7:].split()[0]) for l in video.split("\r\n") if l.startswith("a=rtcp:")), self.video_port + 1)
        self.capacity, self.stop = None, False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        """Sends a little video (so Tessera learns where from), reads what comes, and reports."""
        self.video.settimeout(0.01)
        seq, lost, highest, ssrc, last, arrivals = 0, 0, 0, None, 0.0, []
        while not self.stop:
            seq = (seq + 1) & 0xFFFF
            self.video.sendto(bytes([0x80, 96, seq >> 8, seq & 0xFF, 0, 0, 0, 0, 0, 0, 0, 7, 0x09, 0x10]), ("127.0.0.1", self.video_port))
            try:
                while True:
                    p = self.video.recv(65536)
                    if len(p) >= 12:
                        ssrc = int.from_bytes(p[8:12], "big")
                        arrivals.append((time.monotonic(), len(p)))
            except (socket.timeout, BlockingIOError):
                pass
            if ssrc is not None and time.monotonic() - last >= 0.2:
                last = time.monotonic()
                arrivals = [a for a in arrivals if a[0] > last - 1.0]
                kbps = sum(n for _, n in arrivals) * 8 / 1000
                loss = max(0.0, 1 - self.capacity / kbps) if self.capacity and kbps > 0 else 0.0
                # The packets of the last 200 ms, and the share of them the bottleneck lost.
                packets = sum(1 for a in arrivals if a[0] > last - 0.2)
                highest += packets
                lost += int(packets * loss)
                block = ssrc.to_bytes(4, "big") + bytes([int(loss * 255)]) + lost.to_bytes(3, "big") + \
                    highest.to_bytes(4, "big") + bytes(12)
                self.video.sendto(bytes([0x81, 201, 0, 7, 0, 0, 0, 7]) + block, ("127.0.0.1", self.rtcp_port))


def reference(size, kbps):
    """GStreamer scaling moving 1280x720 content to `size` and encoding it: its CPU (cores), less
    the same pipeline without the scaler and encoder (the source's own cost)."""
    def run(tail):
        return gst_launch_cpu(f"videotestsrc is-live=true pattern=ball "
                              f"! video/x-raw,format=I420,width=1280,height=720,framerate=30/1 {tail}", MEASURE)
    w, h = size
    # The settings Tessera's tier outputs use at that size (daemon/src/media/encoder_tuning.rs).
    preset = "superfast" if w * h >= 640 * 360 * 3 // 4 else "veryfast"
    enc = ENC.format(kbps=kbps).replace("ultrafast", f"{preset} sliced-threads=false threads=1")
    work = run(f"! videoscale ! video/x-raw,width={w},height={h} ! {enc} ! fakesink sync=false")
    return max(work - run("! fakesink sync=false"), 0.001)


def tessera_cpu(t):
    c0 = cpu_seconds(t.proc.pid)
    time.sleep(MEASURE)
    return (cpu_seconds(t.proc.pid) - c0) / MEASURE


def outputs_started(t, tier):
    text = __import__("urllib.request").request.urlopen(t.metrics + "/metrics").read().decode()
    return any(l.startswith("tessera_media_tier_outputs_started_total") and f'tier="{tier}"' in l for l in text.splitlines())


def move(t, phone, capacity, tier):
    """Puts `phone` behind a link of `capacity` kbit/s, waits until an output of `tier` exists,
    and measures."""
    phone.capacity = capacity
    deadline = time.monotonic() + 20
    while not outputs_started(t, tier):
        if time.monotonic() > deadline:
            sys.exit(f"no phone moved to the {tier} tier")
        time.sleep(0.2)
    time.sleep(3)
    return tessera_cpu(t)


def main():
    t = Tessera()
    sip_port = int(t.env["TESSERA_SIP_LISTEN"].rsplit(":", 1)[1])
    phones, gst = [], None
    try:
        t.admin("conference", "add", "tiers", "--name", "Tiers", "--owner", "admin", "--room", "--public")
        ports = []
        for i in range(4):
            r = t.call("POST", "/api/v1/conferences/tiers/live",
                       {"action": "add_rtp", "name": f"Camera {i + 1}", "video": "h264", "audio": None})
            me = next(p for p in r["participants"] if p["id"] == r["joined"])
            ports.append(me["rtp_ports"]["video"])
        gst = senders(ports)
        phones = [Phone(sip_port, "tiers", n) for n in range(3)]
        time.sleep(4)
        rows = []
        full = tessera_cpu(t)
        rows.append(("all three phones at the full tier", full))
        half = move(t, phones[1], 900, "half")
        rows.append(("one phone at the half tier", half))
        quarter = move(t, phones[2], 300, "quarter")
        rows.append(("and one at the quarter tier", quarter))
    finally:
        for p in phones:
            p.stop = True
        if gst:
            gst.terminate()
        t.stop()
    ref_half, ref_quarter = reference((640, 360), 500), reference((320, 180), 166)
    print(f"{'step':<40} {'Tessera cores':>14}")
    for name, cpu in rows:
        print(f"{name:<40} {cpu:>14.3f}")
    cost_half, cost_quarter = max(half - full, 0.001), max(quarter - half, 0.001)
    print(f"half tier: Tessera +{cost_half:.3f} cores, GStreamer videoscale+x264enc {ref_half:.3f}")
    print(f"quarter tier: Tessera +{cost_quarter:.3f} cores, GStreamer videoscale+x264enc {ref_quarter:.3f}")
    print(f"BENCH\ttier_half_cost\t{cost_half:.3f}\tgst-videoscale-x264enc-640x360\t{ref_half:.3f}\tcores\t{ref_half / cost_half:.2f}")
    print(f"BENCH\ttier_quarter_cost\t{cost_quarter:.3f}\tgst-videoscale-x264enc-320x180\t{ref_quarter:.3f}\tcores\t{ref_quarter / cost_quarter:.2f}")
    both, ref_both = max(quarter - full, 0.001), ref_half + ref_quarter
    print(f"BENCH\ttiers_half_and_quarter_cost\t{both:.3f}\tgst-videoscale-x264enc-both\t{ref_both:.3f}\tcores\t{ref_both / both:.2f}")


if __name__ == "__main__":
    main()
