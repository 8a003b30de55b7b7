#!/usr/bin/env bash
# Soak: conferences start and end and SIP, browser and synthetic participants join and leave for
# minutes (BENCH_SOAK_MINUTES, default 5) while the server's memory, open files and threads are
# printed; fails its own check if they grow. Everything runs in a network namespace this script
# creates (only its loopback). See soak.py.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PW="$ROOT/tests/browser/node_modules/playwright-core/index.mjs"
[ -f "$PW" ] || { echo "playwright-core is missing: (cd tests/browser && npm ci)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "chromium is missing: apt-get install chromium" >&2; exit 1; }
command -v sipp >/dev/null || { echo "sipp is missing: apt-get install sip-tester" >&2; exit 1; }
command -v ip >/dev/null || { echo "ip is missing: apt-get install iproute2" >&2; exit 1; }
cargo build --release --locked -q -p tessera --manifest-path "$ROOT/Cargo.toml"

NS="tessera-bench-soak-$$"
trap 'ip netns del "$NS" 2>/dev/null || true' EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" python3 "$ROOT/benches/soak.py"
