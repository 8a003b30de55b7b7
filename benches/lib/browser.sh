# Shared by the browser benchmarks (sourced, not run): checks for playwright-core, Chromium and
# iproute2 (they run in a network namespace) and builds the release binary.
# Sets ROOT and PW (the path of playwright-core).
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PW="$ROOT/tests/browser/node_modules/playwright-core/index.mjs"
[ -f "$PW" ] || { echo "playwright-core is missing: (cd tests/browser && npm ci)" >&2; exit 1; }
[ -x /usr/bin/chromium ] || { echo "chromium is missing: apt-get install chromium" >&2; exit 1; }
command -v ip >/dev/null || { echo "ip is missing: apt-get install iproute2" >&2; exit 1; }
cargo build --release --locked -q -p tessera --manifest-path "$ROOT/Cargo.toml"
