#!/usr/bin/env python3
"""H.323 call rate into rooms, beside the SIP call rate into the same rooms, in one run of one
Tessera. An H.323 call here is what a room system does (tests/h323_caller.py's Setup, written
with pycrate): a TCP connection, Setup with Fast Connect (G.711 both ways) and tunnelled H.245,
Call Proceeding and Connect back (the caller joined the room as a participant with media), 200
ms of call, Release Complete. The SIP call is SIPp's uac (see sip.py): INVITE, 200, ACK, 200 ms,
BYE. For each, the highest offered rate (calls per second, doubling from 10) at which every call
of a 5-second run succeeds. Prints a table and a BENCH line whose reference is Tessera's own SIP
figure (ratio > 1: H.323 calls are handled faster than SIP calls). There is no H.323 tool packaged
for Debian to compare with; the SIP figure is itself measured against SIPp's UAS in sip.py.
"""
import asyncio, os, resource, socket, subprocess, sys, tempfile, time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "lib"))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests"))
from bench import free_port, wait_healthy  # noqa: E402
import sip as sip_bench  # noqa: E402
import h323_caller  # noqa: E402

BIN = os.path.join(ROOT, "target/release/tessera")
RATES = [int(r) for r in os.environ.get("BENCH_H323_RATES", "10,20,40,80,160,320,640,1280,2560").split(",")]
ROOMS = sip_bench.ROOMS
SECONDS = sip_bench.SECONDS
HOLD = 0.2


async def one_call(port, setup, release):
    """Whether a call reached Connect and was released cleanly."""
    try:
        r, w = await asyncio.open_connection("127.0.0.1", port)
    except OSError:
        return False
    try:
        w.write(setup)
        while True:
            head = await asyncio.wait_for(r.readexactly(4), 60)
            body = await asyncio.wait_for(r.readexactly(int.from_bytes(head[2:4], "big") - 4), 60)
            kind = body[4]  # Q.931: discriminator, call reference (length 2), message type
            if kind == 0x07:
                break
            if kind == 0x5A:
                return False
        await asyncio.sleep(HOLD)
        w.write(release)
        await w.drain()
        return True
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
        return False
    finally:
        w.close()


async def run_rate(port, rate, setups, release):
    calls = max(1, int(rate * SECONDS))
    start = time.monotonic()
    tasks = []
    for i in range(calls):
        delay = start + i / rate - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one_call(port, setups[i % len(setups)], release)))
    results = await asyncio.gather(*tasks)
    return all(results), results.count(False), time.monotonic() - start


def highest(port, setups, release):
    best = 0
    for rate in RATES:
        ok, failed, wall = asyncio.run(run_rate(port, rate, setups, release))
        print(f"  H.323    {rate:5} calls/s offered: {'all calls succeeded' if ok else f'{failed} failed'} ({wall:.1f} s)", flush=True)
        if not ok:
            break
        best = rate
        time.sleep(1)
    return best


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    work = tempfile.mkdtemp(prefix="tessera-h323-bench-")
    sip, h323, http, metrics = free_port(), free_port(), free_port(), free_port()
    env = dict(os.environ, TESSERA_DATA_DIR=work + "/data", TESSERA_HTTP_LISTEN=f"127.0.0.1:{http}",
               TESSERA_METRICS_LISTEN=f"127.0.0.1:{metrics}",
               TESSERA_RTSP_LISTEN=f"127.0.0.1:{free_port()}", TESSERA_RTP_BIND="127.0.0.1",
               TESSERA_SIP_LISTEN=f"127.0.0.1:{sip}", TESSERA_H323_LISTEN=f"127.0.0.1:{h323}",
               TESSERA_ADMIN_PASSWORD="admin-password", TESSERA_MEDIA_SIZE="640x360", TESSERA_LOG="warn")
    # Every call comes from one address: lift the per-address limits (as behind one gateway).
    with open(work + "/tessera.toml", "w") as f:
        f.write("[sip]\nmax_messages_per_second = 100000\nmax_anonymous_calls = 1000000\n"
                "max_anonymous_calls_per_address = 1000000\nmax_tcp_connections = 100000\n"
                "max_tcp_connections_per_address = 100000\n")
    srv = subprocess.Popen([BIN, "serve", "--config", work + "/tessera.toml"], env=env,
                           stdout=open(work + "/log", "w"), stderr=subprocess.STDOUT)
    # Where the room systems' media goes: one socket pair that nobody reads.
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    rtcp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rtcp.bind(("127.0.0.1", media.getsockname()[1] + 1))
    try:
        wait_healthy(f"http://127.0.0.1:{http}", work + "/log")
        for i in range(ROOMS):
            subprocess.run([BIN, "admin", "conference", "add", f"bench{i}", "--name", f"Bench {i}", "--owner", "admin", "--room", "--public"],
                           env=env, check=True, stdout=subprocess.DEVNULL)
        rtp = media.getsockname()[1]
        setups = [h323_caller.tpkt(h323_caller.q931(5, h323_caller.setup(f"bench{i}", rtp))) for i in range(ROOMS)]
        h323_caller.UI.set_val({"h323-uu-pdu": {"h323-message-body": ("releaseComplete", {
            "protocolIdentifier": (0, 0, 8, 2250, 0, 7)}), "h245Tunnelling": True}})
        release = h323_caller.tpkt(h323_caller.q931(0x5A, h323_caller.UI.to_aper()))
        sip_bench.scenario(work)
        time.sleep(1)
        print("Calls into 16 rooms (each joins its room with media), highest rate with zero failed calls")
        h323_rate = highest(h323, setups, release)
        time.sleep(2)
        sip_rate = sip_bench.highest(sip, work, "SIP")
    finally:
        srv.terminate()
        srv.wait(timeout=30)
    print(f"\n| | calls/s without failure |\n|---|---|\n| H.323 (Setup with Fast Connect, Connect, Release Complete) | {h323_rate} |\n"
          f"| SIP (SIPp uac) | {sip_rate} |")
    ratio = h323_rate / sip_rate if sip_rate else 0.0
    print(f"BENCH\th323_call_rate\t{h323_rate}\ttessera-sip\t{sip_rate}\tcalls/s\t{ratio:.2f}")
    if h323_rate == 0:
        print("Tessera failed H.323 calls even at the lowest rate; see " + work + "/log", file=sys.stderr)


if __name__ == "__main__":
    main()
