# Shared by the HTTP benchmarks (sourced, not run): builds the release binary, starts
# `tessera serve` with the personal area only on a free loopback port with a fresh data
# directory, adds the signed-in user `bench` with every right, and measures routes with wrk.
# Sets ROOT, BIN, WORK, PORT, PID, DURATION, CONNS. BENCH_KEEP=1 keeps the data directory.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DURATION="${BENCH_DURATION:-10s}"
CONNS="${BENCH_CONNECTIONS:-32}"
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing: apt-get install curl" >&2; exit 1; }

cargo build --release --locked -q -p tessera --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/tessera"
WORK=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
export TESSERA_DATA_DIR="$WORK/data" TESSERA_HTTP_LISTEN="127.0.0.1:$PORT" TESSERA_ADMIN_PASSWORD="bench-admin-pw" TESSERA_LOG=warn
# The personal area alone: no media plane, no SIP.
export TESSERA_MEDIA=false TESSERA_SIP_LISTEN=""
"$BIN" serve >"$WORK/server.log" 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$WORK"' EXIT
for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
echo "bench-user-pw" | "$BIN" admin user add bench >/dev/null
"$BIN" admin rights grant bench all >/dev/null

run_wrk() { # url [cookie] -> "rps p99_ms"
  local out
  if [ -n "${2:-}" ]; then out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "Cookie: $2" "$1"); else out=$(wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$1"); fi
  local rps p99
  rps=$(awk '/^Requests\/sec:/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us$/,"",v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/,"",v)} else if (v ~ /s$/) {sub(/s$/,"",v); v=v*1000}; print v}' <<<"$out")
  if grep -q 'Non-2xx' <<<"$out"; then echo "wrk saw non-2xx answers for $1" >&2; exit 1; fi
  echo "$rps $p99"
}
