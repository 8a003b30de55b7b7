#!/usr/bin/env bash
# Conference capacity with real media: RTP senders of a 720p H.264 clip with motion, decoded,
# composed, encoded, recorded and served by Tessera, beside GStreamer's own pipeline for the same
# job. See capacity.py.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --locked -q -p tessera --manifest-path "$ROOT/Cargo.toml"
BENCH_SECONDS="${BENCH_SECONDS:-8}" exec python3 "$ROOT/benches/capacity.py"
