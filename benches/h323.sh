#!/usr/bin/env bash
# H.323 call rate into rooms beside the SIP call rate into the same rooms (one Tessera). See h323.py.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
command -v sipp >/dev/null || { echo "sipp is missing: apt-get install sip-tester" >&2; exit 1; }
python3 -c "import pycrate_asn1dir.H225" 2>/dev/null || {
  echo "pycrate is missing: pip install pycrate==0.7.11 (scripts/test.sh puts it in ~/.cache/tessera-test-venv)" >&2; exit 1; }
cargo build --release --locked -q -p tessera --manifest-path "$ROOT/Cargo.toml"
exec python3 "$ROOT/benches/h323.py"
