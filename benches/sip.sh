#!/usr/bin/env bash
# SIP call rate: SIPp's uac against Tessera (every call joins a room with media) and against
# SIPp's own uas, in the same run. See sip.py.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v sipp >/dev/null || { echo "sipp is missing: apt-get install sip-tester" >&2; exit 1; }
cargo build --release --locked -q -p tessera --manifest-path "$ROOT/Cargo.toml"
exec python3 "$ROOT/benches/sip.py"
