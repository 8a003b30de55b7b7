#!/usr/bin/env python3
"""SIP call rate, on this machine, in one run: SIPp's built-in `uac` scenario (INVITE with an
audio offer, 200, ACK, 200 ms of call, BYE, 200; the dialled room taken in turn from sixteen
room names) against Tessera, where every call joins a running virtual room as a participant
(its audio received, mixed and sent back), and against SIPp's own `uas`, which answers without
media. Sixteen rooms because a room holds at most 100 participants: at 1,280 calls a second
some 300 calls are up at once, and the measure is call handling, not the room size. For each, the highest offered rate (calls per second, doubling
from 10) at which every call of a 5-second run succeeds. Prints a table and a BENCH line
(ratio > 1: Tessera better). Target: Tessera at least half of SIPp's UAS, zero failed calls.
"""
import os, subprocess, sys, tempfile, time, urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from bench import free_port, wait_healthy  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(ROOT, "target/release/tessera")
RATES = [int(r) for r in os.environ.get("BENCH_SIP_RATES", "10,20,40,80,160,320,640,1280,2560,5120,10240").split(",")]
ROOMS = int(os.environ.get("BENCH_SIP_ROOMS", "16"))
SECONDS = float(os.environ.get("BENCH_SIP_SECONDS", "5"))


def scenario(workdir):
    """SIPp's built-in uac with the dialled user from the injection file (one room per line)."""
    uac = subprocess.run(["sipp", "-sd", "uac"], capture_output=True, text=True).stdout  # exits 99 after printing
    assert "INVITE sip:[service]" in uac, "sipp -sd uac printed no scenario"
    path = os.path.join(workdir, "uac.xml")
    with open(path, "w") as f:
        f.write(uac.replace("[service]", "[field0]"))
    with open(os.path.join(workdir, "rooms.csv"), "w") as f:
        f.write("SEQUENTIAL\n" + "".join(f"bench{i}\n" for i in range(ROOMS)))
    return path


def run_sipp(port, rate, workdir):
    """Whether every call of a run at `rate` calls per second succeeded, and the wall time."""
    calls = max(1, int(rate * SECONDS))
    t0 = time.monotonic()
    r = subprocess.run(
        ["sipp", f"127.0.0.1:{port}", "-sf", os.path.join(workdir, "uac.xml"), "-inf", os.path.join(workdir, "rooms.csv"),
         "-i", "127.0.0.1", "-p", str(free_port()),
         "-mi", "127.0.0.1", "-mp", str(free_port()), "-r", str(rate), "-m", str(calls), "-l", str(max(20, rate)),
         "-d", "200", "-timeout", "60s", "-timeout_error", "-nostdin", "-trace_err", "-max_socket", "1000"],
        cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0 and r.stderr.strip():
        print("    sipp: " + r.stderr.strip().splitlines()[-1][:200], flush=True)
    return r.returncode == 0, time.monotonic() - t0


def highest(port, workdir, label):
    best = 0
    for rate in RATES:
        ok, wall = run_sipp(port, rate, workdir)
        print(f"  {label:8} {rate:5} calls/s offered: {'all calls succeeded' if ok else 'failures'} ({wall:.1f} s)", flush=True)
        if not ok:
            break
        best = rate
        time.sleep(1)
    return best


def join_seconds(metrics):
    """Mean time a SIP call took to join the room, from the server's histogram."""
    text = urllib.request.urlopen(f"http://127.0.0.1:{metrics}/metrics").read().decode()
    vals = {}
    for line in text.splitlines():
        for k in ("tessera_sip_join_seconds_sum", "tessera_sip_join_seconds_count"):
            if line.startswith(k + " ") or line.startswith(k + "{"):
                vals[k] = float(line.rsplit(" ", 1)[1])
    n = vals.get("tessera_sip_join_seconds_count", 0)
    return vals.get("tessera_sip_join_seconds_sum", 0) / n if n else 0.0


def main():
    work = tempfile.mkdtemp(prefix="tessera-sip-bench-")
    sip, http, metrics = free_port(), free_port(), free_port()
    env = dict(os.environ, TESSERA_DATA_DIR=work + "/data", TESSERA_HTTP_LISTEN=f"127.0.0.1:{http}",
               TESSERA_METRICS_LISTEN=f"127.0.0.1:{metrics}",
               TESSERA_RTSP_LISTEN=f"127.0.0.1:{free_port()}", TESSERA_RTP_BIND="127.0.0.1",
               TESSERA_SIP_LISTEN=f"127.0.0.1:{sip}", TESSERA_ADMIN_PASSWORD="admin-password",
               TESSERA_MEDIA_SIZE="640x360", TESSERA_LOG="warn")
    # One source address sends every call here: lift the per-address rate limit and the caps on
    # anonymous calls (a deployment behind one SBC or proxy does the same).
    with open(work + "/tessera.toml", "w") as f:
        f.write("[sip]\nmax_messages_per_second = 100000\nmax_anonymous_calls = 1000000\n"
                "max_anonymous_calls_per_address = 1000000\n")
    srv = subprocess.Popen([BIN, "serve", "--config", work + "/tessera.toml"], env=env, stdout=open(work + "/log", "w"), stderr=subprocess.STDOUT)
    wait_healthy(f"http://127.0.0.1:{http}", work + "/log")
    for i in range(ROOMS):
        subprocess.run([BIN, "admin", "conference", "add", f"bench{i}", "--name", f"Bench {i}", "--owner", "admin", "--room", "--public"],
                       env=env, check=True, stdout=subprocess.DEVNULL)
    scenario(work)
    uas_port = free_port()
    uas = subprocess.Popen(["sipp", "-sn", "uas", "-i", "127.0.0.1", "-p", str(uas_port), "-nostdin"],
                           cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(2)
        print("SIP calls (SIPp uac: INVITE, 200, ACK, 200 ms, BYE), highest rate with zero failed calls")
        tessera = highest(sip, work, "Tessera")
        print(f"  (a call joins the room in {join_seconds(metrics) * 1000:.1f} ms on average)")
        reference = highest(uas_port, work, "SIPp UAS")
    finally:
        srv.terminate()
        srv.wait(timeout=30)
        uas.kill()
    capped = " (the highest rate tried)" if reference == RATES[-1] else ""
    print(f"\n| | calls/s without failure |\n|---|---|\n| Tessera (joins a room with media) | {tessera} |\n| SIPp UAS{capped} | {reference} |")
    ratio = tessera / reference if reference else 0.0
    print(f"BENCH\tsip_call_rate\t{tessera}\tsipp-uas\t{reference}\tcalls/s\t{ratio:.2f}")
    if tessera == 0:
        print("Tessera failed calls even at the lowest rate; see " + work + "/log", file=sys.stderr)


if __name__ == "__main__":
    main()
