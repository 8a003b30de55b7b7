#!/usr/bin/env bash
# What each quality tier of a layout costs: Tessera's CPU as SIP phones move to the half and
# quarter tiers, beside GStreamer scaling and encoding at those sizes. See tiers.py.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --locked -q -p tessera --manifest-path "$ROOT/Cargo.toml"
BENCH_SECONDS="${BENCH_SECONDS:-15}" exec python3 "$ROOT/benches/tiers.py"
