#!/usr/bin/env bash
# The media plane under load: the largest all-on-screen 720p30 conference with recording and RTSP
# that keeps every frame, CPU per participant, and ten viewers sharing one encoder beside plain
# gst-launch-1.0 compositor-and-encoder pipelines. See conference.py.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cargo build --release --locked -q -p tessera --manifest-path "$ROOT/Cargo.toml"
exec python3 "$ROOT/benches/conference.py"
