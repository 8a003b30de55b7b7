#!/usr/bin/env bash
# WebRTC: join time to the first decoded frame and CPU per browser participant, headless
# Chromium against Tessera's public demo room, both in a network namespace this script creates
# (only loopback). See webrtc.mjs for what is measured and against what.
set -euo pipefail
source "$(dirname "$0")/lib/browser.sh"

NS="tessera-bench-wr-$$"
WORK="$(mktemp -d)"
cleanup() {
  [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null || true
  ip netns del "$NS" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
ip netns add "$NS"
ip -n "$NS" link set lo up
ip netns exec "$NS" env TESSERA_DATA_DIR="$WORK/data" TESSERA_HTTP_LISTEN=127.0.0.1:8080 \
  TESSERA_RTSP_LISTEN=127.0.0.1:8554 TESSERA_METRICS_LISTEN=127.0.0.1:9100 TESSERA_SIP_LISTEN=127.0.0.1:5060 TESSERA_RTP_BIND=127.0.0.1 \
  TESSERA_WEBRTC_ICE_ADDRESSES=127.0.0.1 TESSERA_ADMIN_PASSWORD=bench-password TESSERA_LOG=warn \
  "$ROOT/target/release/tessera" serve --demo >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 100); do
  ip netns exec "$NS" curl -sf http://127.0.0.1:8080/healthz >/dev/null 2>&1 && break
  sleep 0.2
done
sleep 1

RESULT="$(ip netns exec "$NS" env BASE=http://127.0.0.1:8080 METRICS=http://127.0.0.1:9100/metrics TESSERA_PID="$PID" NS="$NS" PLAYWRIGHT="$PW" \
  RUNS="${BENCH_WEBRTC_RUNS:-10}" PEERS="${BENCH_WEBRTC_PEERS:-4}" SECONDS="${BENCH_SECONDS:-8}" \
  node "$ROOT/benches/webrtc.mjs" | tail -1)"
python3 - "$RESULT" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
j, c = r["join_ms"], r["cpu"]
print(f"join to first decoded frame (median of {len(j['runs']['tessera'])}): Tessera {j['tessera']} ms, "
      f"browser-to-browser {j['reference']} ms")
print(f"  Tessera runs: {j['runs']['tessera']}")
print(f"  reference runs: {j['runs']['reference']}")
print(f"CPU with {c['peers']} browser guests in the demo room: Tessera {c['busy']['tessera']:.2f} cores "
      f"(idle room {c['idle']['tessera']:.2f}), Chromium {c['busy']['browser']:.2f} cores")
tp, bp = c["tessera_per_peer"] * 100, c["browser_per_peer"] * 100
print(f"  per participant: Tessera {tp:.1f} % of a core, Chromium {bp:.1f} %")
print(f"BENCH\twebrtc_join_first_frame\t{j['tessera']}\tchromium-peer-to-peer\t{j['reference']}\tms\t{j['reference'] / max(1, j['tessera']):.2f}")
print(f"BENCH\twebrtc_cpu_per_participant\t{tp:.1f}\tchromium-same-calls\t{bp:.1f}\t%core\t{bp / max(0.1, tp):.2f}")
EOF
