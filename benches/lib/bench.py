"""Shared by the Python benchmarks: free loopback ports, a process's CPU time, a GStreamer
pipeline's CPU, waiting for a server's /healthz, the tools a benchmark needs, BENCH lines."""
import os, socket, subprocess, sys, time, urllib.request


def free_port():
    """A port free on loopback (UDP; the servers bind TCP and UDP on it)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def cpu_seconds(pid):
    """User + system CPU of a process and its threads, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_healthy(base, log, seconds=30):
    """Waits until BASE/healthz answers; exits naming the server's log otherwise."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(base + "/healthz")
            return
        except Exception:
            time.sleep(0.1)
    raise SystemExit(f"tessera did not start; see {log}")


def gst_launch_cpu(launch, seconds, settle=2):
    """Runs `gst-launch-1.0 LAUNCH`, lets it settle, and returns the cores it used over `seconds`;
    exits with its error when it fails."""
    p = subprocess.Popen(["gst-launch-1.0", "-q", *launch.split()], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(settle)
    if p.poll() is not None:
        sys.exit(f"the gst-launch-1.0 reference pipeline failed: {p.stderr.read().decode()}")
    c0 = cpu_seconds(p.pid)
    time.sleep(seconds)
    c1 = cpu_seconds(p.pid)
    p.terminate()
    p.wait()
    return (c1 - c0) / seconds


def require(tools, install):
    """Exits saying what to install when one of `tools` is not on the PATH."""
    for tool in tools:
        if subprocess.run(["which", tool], stdout=subprocess.DEVNULL).returncode != 0:
            sys.exit(f"{tool} is missing: apt-get install {install}")


def bench_line(name, tessera, tool, reference, unit, ratio):
    """One BENCH line: name, Tessera's figure, the reference tool and its figure, the unit, and
    how many times better Tessera is."""
    print(f"BENCH\t{name}\t{tessera}\t{tool}\t{reference}\t{unit}\t{ratio:.2f}")
