#!/usr/bin/env python3
"""Soak: the release server under a continuous churn of conferences and participants for
minutes, watching for what would make it fall over after weeks: memory, open files, threads.

Run by soak.sh inside a network namespace of its own (only its loopback). For BENCH_SOAK_MINUTES
(default 5), all at once:
- SIP: SIPp's built-in `uac` calls rooms `soak-sip-0..3` in turn, BENCH_SOAK_SIP_RATE calls a
  second (default 2), each up for 4 s: every call joins a room as an RTP participant, and each
  room starts with its first caller and ends when its last one leaves;
- synthetic: every cycle (BENCH_SOAK_CYCLE seconds, default 20) rooms `soak-syn-0..2` start with
  three synthetic 640x360 participants each (a picture and a tone, composed, mixed and encoded)
  and are ended by their owner through the API half a cycle later;
- browser: headless Chromium joins the public room `soak-web` as a guest (its fake camera and
  microphone over WebRTC), stays 5 s, hangs up, and joins again (soak_browser.mjs).

All of it runs twice: a warm-up of BENCH_SOAK_WARMUP seconds (default 40), then the soak; after
each, the load stops and the script waits until no conference runs. Every BENCH_SOAK_SAMPLE
seconds (default 10) it prints the server's resident memory, open files, threads, running
conferences and participants by kind. Its own check fails (exit 1) when, from idle after the
warm-up (pools, caches, GStreamer's and the encoders' libraries all loaded) to idle after the
soak, open files grow by more than 16, threads by more than 8 or resident memory by more than
25% + 32 MB; when the most memory under load in the soak's last third exceeds its first third's
by as much; or when a kind of participant never joined.

BENCH lines compare the end to the warm figures (ratio = warm / end: 1 is flat, below 1 grew).
"""
import json, os, subprocess, urllib.error, sys, tempfile, time, urllib.request, http.cookiejar, threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bench import cpu_seconds, free_port, wait_healthy  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/tessera")
MINUTES = float(os.environ.get("BENCH_SOAK_MINUTES", "5"))
WARMUP = float(os.environ.get("BENCH_SOAK_WARMUP", "40"))
CYCLE = float(os.environ.get("BENCH_SOAK_CYCLE", "20"))
SAMPLE = float(os.environ.get("BENCH_SOAK_SAMPLE", "10"))
SIP_RATE = float(os.environ.get("BENCH_SOAK_SIP_RATE", "2"))
SIP_ROOMS, SYN_ROOMS, SYN_PER_ROOM = 4, 3, 3
KINDS = set(os.environ.get("BENCH_SOAK_KINDS", "sip,synthetic,browser").split(","))
LIMITS = {"files": 16, "threads": 8}
RSS_FACTOR, RSS_SLACK_MB = 1.25, 32


def process_figures(pid):
    """Resident memory (MB), open files and threads of a process, from /proc."""
    status = open(f"/proc/{pid}/status").read()
    field = lambda k: int(next(l for l in status.splitlines() if l.startswith(k + ":")).split()[1])
    return {"rss_mb": field("VmRSS") / 1024, "anon_mb": field("RssAnon") / 1024, "files": len(os.listdir(f"/proc/{pid}/fd")),
            "threads": field("Threads")}


class Tessera:
    def __init__(self, work):
        self.work = work
        self.http_port, self.sip_port = free_port(), free_port()
        self.base = f"http://127.0.0.1:{self.http_port}"
        self.env = dict(os.environ, TESSERA_DATA_DIR=work + "/data", TESSERA_HTTP_LISTEN=f"127.0.0.1:{self.http_port}",
                        TESSERA_METRICS_LISTEN=f"127.0.0.1:{free_port()}", TESSERA_RTSP_LISTEN=f"127.0.0.1:{free_port()}",
                        TESSERA_SIP_LISTEN=f"127.0.0.1:{self.sip_port}", TESSERA_RTP_BIND="127.0.0.1",
                        TESSERA_WEBRTC_ICE_ADDRESSES="127.0.0.1", TESSERA_ADMIN_PASSWORD="admin-password",
                        TESSERA_MEDIA_SIZE="640x360", TESSERA_LOG="warn", TESSERA_CONFIG=work + "/tessera.toml")
        # Every SIP call comes from one address here: lift the per-address limits, as a
        # deployment behind one SBC does.
        with open(work + "/tessera.toml", "w") as f:
            f.write("[sip]\nmax_messages_per_second = 100000\nmax_anonymous_calls = 1000000\n"
                    "max_anonymous_calls_per_address = 1000000\n")
        self.proc = subprocess.Popen([BIN, "serve"], env=self.env, stdout=open(work + "/server.log", "w"), stderr=subprocess.STDOUT)
        wait_healthy(self.base, work + "/server.log")
        self.http = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        self.csrf = self.call("POST", "/api/v1/session", {"login": "admin", "password": "admin-password"}, csrf=False)["csrf_token"]
        self.lock = threading.Lock()

    def call(self, method, path, body=None, csrf=True):
        req = urllib.request.Request(self.base + path, method=method, data=json.dumps(body).encode() if body is not None else None)
        req.add_header("content-type", "application/json")
        if csrf:
            req.add_header("x-csrf-token", self.csrf)
        try:
            return json.loads(self.http.open(req, timeout=30).read() or b"null")
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path}: {e.code} {e.read().decode(errors='replace')[:300]}") from None

    def room(self, cid, public=False):
        subprocess.run([BIN, "admin", "conference", "add", cid, "--name", cid, "--owner", "admin", "--room"] + (["--public"] if public else []),
                       env=self.env, check=True, stdout=subprocess.DEVNULL)

    def end(self, cid):
        """Ends a conference; one that is not running (409) is fine."""
        req = urllib.request.Request(f"{self.base}/api/v1/conferences/{cid}/live", method="POST", data=b'{"action": "end"}')
        req.add_header("content-type", "application/json")
        req.add_header("x-csrf-token", self.csrf)
        try:
            self.http.open(req, timeout=30).read()
        except urllib.error.HTTPError as e:
            if e.code != 409:
                raise SystemExit(f"ending {cid}: {e.code} {e.read().decode(errors='replace')[:300]}") from None

    def live(self):
        """Running conferences and their participants by endpoint kind."""
        v = self.call("GET", "/api/v1/admin/live")
        kinds = {}
        for c in v["conferences"]:
            for p in c["participants"]:
                k = p.get("kind", "?")
                kinds[k] = kinds.get(k, 0) + 1
        return len(v["conferences"]), kinds

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=60)


def sipp_uac(t, work, seconds, label):
    uac = subprocess.run(["sipp", "-sd", "uac"], capture_output=True, text=True).stdout
    assert "INVITE sip:[service]" in uac, "sipp -sd uac printed no scenario"
    with open(work + "/uac.xml", "w") as f:
        f.write(uac.replace("[service]", "[field0]"))
    with open(work + "/rooms.csv", "w") as f:
        f.write("SEQUENTIAL\n" + "".join(f"soak-sip-{i}\n" for i in range(SIP_ROOMS)))
    calls = int(SIP_RATE * seconds)
    return subprocess.Popen(
        ["sipp", f"127.0.0.1:{t.sip_port}", "-sf", work + "/uac.xml", "-inf", work + "/rooms.csv", "-i", "127.0.0.1",
         "-p", str(free_port()), "-mi", "127.0.0.1", "-mp", str(free_port()), "-r", str(SIP_RATE), "-m", str(calls),
         "-d", "4000", "-timeout", f"{int(seconds) + 60}s", "-nostdin", "-trace_stat", "-stf", f"{work}/sipp-{label}.csv",
         "-fd", "1000"],
        cwd=work, stdout=subprocess.DEVNULL, stderr=open(work + "/sipp.err", "w"))


def synthetic_cycles(t, stop, counters):
    """Rooms soak-syn-*: start with synthetic participants, end half a cycle later, again."""
    while not stop.is_set():
        for r in range(SYN_ROOMS):
            for i in range(SYN_PER_ROOM):
                t.call("POST", f"/api/v1/conferences/soak-syn-{r}/live",
                       {"action": "add_synthetic", "name": f"S{i}", "colour": [(r * 80 + i * 40) % 256, 120, 200],
                        "tone_hz": 300 + 100 * i, "size": [640, 360]})
                counters["synthetic"] += 1
        counters["started"] += SYN_ROOMS
        if stop.wait(CYCLE / 2):
            break
        for r in range(SYN_ROOMS):
            t.end(f"soak-syn-{r}")
        counters["ended"] += SYN_ROOMS
        counters["cycles"] += 1
        stop.wait(CYCLE / 2)


def browser(t, seconds):
    pw = os.path.join(ROOT, "tests/browser/node_modules/playwright-core/index.mjs")
    return subprocess.Popen(["node", os.path.join(ROOT, "benches/soak_browser.mjs")],
                            env=dict(os.environ, BASE=t.base, ROOM="soak-web", SECONDS=str(int(seconds)), PLAYWRIGHT=pw),
                            stdout=subprocess.PIPE, stderr=open(t.work + "/browser.err", "w"), text=True)


def wait_idle(t, within=60):
    """Waits until no conference runs (a room ends when its last participant leaves)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if t.live()[0] == 0:
            time.sleep(3)  # let what the last conference held be released
            return True
        time.sleep(1)
    return False


def load(t, work, seconds, label, counters, kinds_seen, t0):
    """Every kind of participant for `seconds`, printing samples; then stops and waits until idle."""
    stop = threading.Event()
    sipp = sipp_uac(t, work, seconds, label) if "sip" in KINDS else None
    web = browser(t, seconds) if "browser" in KINDS else None
    syn = threading.Thread(target=synthetic_cycles, args=(t, stop, counters), daemon=True)
    if "synthetic" in KINDS:
        syn.start()
    samples, began = [], time.monotonic()
    next_sample = began
    while time.monotonic() - began < seconds:
        time.sleep(max(0, next_sample - time.monotonic()))
        next_sample += SAMPLE
        f = process_figures(t.proc.pid)
        confs, kinds = t.live()
        for k, n in kinds.items():
            kinds_seen[k] = max(kinds_seen.get(k, 0), n)
        samples.append(f)
        print(f"{time.monotonic() - t0:6.0f} {f['rss_mb']:8.1f} {f['anon_mb']:8.1f} {f['files']:6d} {f['threads']:8d} {confs:6d}  "
              + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())), flush=True)
    stop.set()
    if syn.is_alive():
        syn.join(timeout=60)
    for r in range(SYN_ROOMS):
        t.end(f"soak-syn-{r}")
    if sipp:
        sipp.wait(timeout=120)
    out, _ = web.communicate(timeout=120) if web else ('{"joins": 0, "failures": 0}', None)
    try:
        joins = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        joins = {"joins": 0, "failures": -1}
    for k in ("joins", "failures"):
        counters["browser_" + k] += joins[k]
    calls = sip_summary(work, label) if sipp else {"ok": 0, "failed": 0}
    counters["sip_ok"] += calls["ok"]
    counters["sip_failed"] += calls["failed"]
    if not wait_idle(t):
        sys.exit(f"conferences were still running a minute after the {label} load stopped (server log: {work}/server.log)")
    f = process_figures(t.proc.pid)
    print(f"{time.monotonic() - t0:6.0f} {f['rss_mb']:8.1f} {f['anon_mb']:8.1f} {f['files']:6d} {f['threads']:8d} {0:6d}  idle after the {label}", flush=True)
    return f, samples


def main():
    work = tempfile.mkdtemp(prefix="tessera-soak-")
    t = Tessera(work)
    for i in range(SIP_ROOMS):
        t.room(f"soak-sip-{i}", public=True)
    for i in range(SYN_ROOMS):
        t.room(f"soak-syn-{i}")
    t.room("soak-web", public=True)
    counters = dict.fromkeys(["synthetic", "started", "ended", "cycles", "sip_ok", "sip_failed", "browser_joins", "browser_failures"], 0)
    kinds_seen = {}
    t0 = time.monotonic()
    print(f"Soak: a {WARMUP:g} s warm-up, then {MINUTES:g} min; SIP {SIP_RATE:g} calls/s of 4 s into {SIP_ROOMS} rooms; "
          f"{SYN_ROOMS} rooms of {SYN_PER_ROOM} synthetic participants started and ended every {CYCLE:g} s; "
          f"a browser guest joining a room every ~6 s")
    print(f"{'time':>6} {'RSS MB':>8} {'anon MB':>8} {'files':>6} {'threads':>8} {'confs':>6}  participants")
    start = process_figures(t.proc.pid)
    print(f"{0:6.0f} {start['rss_mb']:8.1f} {start['anon_mb']:8.1f} {start['files']:6d} {start['threads']:8d} {0:6d}  idle, before any load")
    # The warm figure: idle after one round of everything, once what the server keeps for
    # later (pools, encoders' and GStreamer's libraries, caches) exists.
    warm, _ = load(t, work, WARMUP, "warm-up", counters, kinds_seen, t0)
    end, samples = load(t, work, MINUTES * 60, "soak", counters, kinds_seen, t0)
    cpu = cpu_seconds(t.proc.pid)
    t.stop()

    print(f"\nCPU used by the server over the whole run: {cpu:.1f} s")
    print(f"\nparticipants that joined: SIP calls {counters['sip_ok']} ({counters['sip_failed']} failed), synthetic "
          f"{counters['synthetic']}, browser joins {counters['browser_joins']} ({counters['browser_failures']} failed); "
          f"conferences ended by their owner: {counters['ended']}; most at once by kind: {kinds_seen}")
    print(f"\n| idle | before any load | warm (after the warm-up) | end (after {MINUTES:g} min) |\n|---|---|---|---|")
    print(f"| resident memory | {start['rss_mb']:.1f} MB | {warm['rss_mb']:.1f} MB | {end['rss_mb']:.1f} MB |")
    print(f"| of which anonymous (the heap, stacks) | {start['anon_mb']:.1f} MB | {warm['anon_mb']:.1f} MB | {end['anon_mb']:.1f} MB |")
    print(f"| open files | {start['files']} | {warm['files']} | {end['files']} |")
    print(f"| threads | {start['threads']} | {warm['threads']} | {end['threads']} |")
    third = max(1, len(samples) // 3)
    early, late = max(s["rss_mb"] for s in samples[:third]), max(s["rss_mb"] for s in samples[-third:])
    print(f"under load, the most resident memory: {early:.1f} MB in the first third of the soak, {late:.1f} MB in the last")
    print(f"BENCH\tsoak_resident_memory\t{end['rss_mb']:.1f}\ttessera-warm\t{warm['rss_mb']:.1f}\tMB\t{warm['rss_mb'] / end['rss_mb']:.2f}")
    print(f"BENCH\tsoak_open_files\t{end['files']}\ttessera-warm\t{warm['files']}\tfiles\t{warm['files'] / max(1, end['files']):.2f}")
    print(f"BENCH\tsoak_threads\t{end['threads']}\ttessera-warm\t{warm['threads']}\tthreads\t{warm['threads'] / max(1, end['threads']):.2f}")

    problems = []
    for k, limit in LIMITS.items():
        if end[k] > warm[k] + limit:
            problems.append(f"{k}: {warm[k]} warm, {end[k]} at the end (more than +{limit})")
    if end["rss_mb"] > warm["rss_mb"] * RSS_FACTOR + RSS_SLACK_MB:
        problems.append(f"resident memory: {warm['rss_mb']:.1f} MB warm, {end['rss_mb']:.1f} MB at the end")
    if late > early * RSS_FACTOR + RSS_SLACK_MB:
        problems.append(f"resident memory under load: {early:.1f} MB early, {late:.1f} MB late")
    joined = {"sip": counters["sip_ok"], "synthetic": counters["ended"], "browser": counters["browser_joins"]}
    if not all(joined[k] for k in KINDS):
        problems.append(f"a kind of participant never joined, or no conference was ended: {joined}")
    if problems:
        print("soak check FAILED: " + "; ".join(problems) + f" (server log: {work}/server.log)", file=sys.stderr)
        sys.exit(1)
    print("soak check passed: memory, open files and threads stayed at their warm figures")


def sip_summary(work, label):
    """Successful and failed calls from SIPp's statistics file (its last row)."""
    try:
        rows = open(f"{work}/sipp-{label}.csv").read().strip().splitlines()
        head, last = rows[0].split(";"), rows[-1].split(";")
        col = lambda name: int(last[head.index(name)])
        return {"ok": col("SuccessfulCall(C)"), "failed": col("FailedCall(C)")}
    except (OSError, ValueError, IndexError):
        return {"ok": 0, "failed": -1}


if __name__ == "__main__":
    main()
