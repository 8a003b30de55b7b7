#!/usr/bin/env bash
# Soak: conferences start and end and SIP, browser and synthetic participants join and leave for
# minutes (BENCH_SOAK_MINUTES, default 5) while the server's memory, open files and threads are
# printed; fails its own check if they grow. Everything runs in a network namespace this script
# creates (only its loopback). See soak.py.
set -euo pipefail
command -v sipp >/dev/null || { echo "sipp is missing: apt-get install sip-tester" >&2; exit 1; }
source "$(dirname "$0")/lib/browser.sh"

NS="tessera-bench-soak-$$"
trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" python3 "$ROOT/benches/soak.py"
