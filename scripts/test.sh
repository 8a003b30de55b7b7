#!/usr/bin/env bash
# Installs every test tool (Debian packages, PostgreSQL, Chromium, playwright-core, axe-core) and runs
# every check and test: fmt, clippy, unit and store tests on SQLite and PostgreSQL, and the
# end-to-end scenarios against the real binary. `.ci/run` calls this script.
#
# Settings (environment):
#   TESSERA_TEST_HOG=1       run one busy process per core (normal priority) beside the tests,
#                            to find checks that pass only on a quiet machine;
#   TESSERA_TEST_E2E_ONLY=1  install the tools, build, and run only the end-to-end crate (with
#                            the hog, three such runs in a row is the flakiness check).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# nginx (the HLS test's HTTP cache) lives in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"
# A CI run builds once from a fresh clone: incremental data would only cost disk (8 GB here).
export CARGO_INCREMENTAL=0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# Each step says how long the run has taken so far, so a slow step shows in the log.
step() { printf '\n==> [%dm%02ds] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*"; }
as_postgres() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }

step "disk space"
# The build needs several GB; say so plainly instead of failing in the linker.
AVAIL_KB=$(df -Pk . | awk 'NR==2 {print $4}')
df -h . | tail -1
[ "$AVAIL_KB" -ge $((4 * 1024 * 1024)) ] || { echo "less than 4 GB free here: the build, fuzzers and tests need about 4 GB" >&2; exit 1; }

step "no runtime data or secret is tracked"
bash scripts/check-tracked-secrets.sh

step "installing test tools"
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends \
  ca-certificates pkg-config build-essential procps curl \
  postgresql postgresql-client chromium fonts-dejavu-core wrk \
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstrtspserver-1.0-dev libasound2-dev libclang-dev alsa-utils \
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad \
  gstreamer1.0-plugins-ugly gstreamer1.0-libav ffmpeg iproute2 nftables util-linux sip-tester baresip-core baresip-ffmpeg linphone-cli openssl pebble libjs-pdf \
  tshark python3-venv coturn nginx-light >/dev/null
command -v node >/dev/null || $SUDO apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
command -v cargo >/dev/null || { echo "cargo is missing: install Rust (rustup) first" >&2; exit 1; }
rustup component add rustfmt clippy >/dev/null 2>&1 || true
for tool in node npm chromium psql wrk pebble pebble-challtestsrv tshark text2pcap turnserver nginx; do
  command -v "$tool" >/dev/null || { echo "required test tool '$tool' is missing" >&2; exit 1; }
done
test -f /usr/share/javascript/pdf/build/pdf.js || { echo "pdf.js is missing: apt-get install libjs-pdf" >&2; exit 1; }

step "starting PostgreSQL"
# No systemd here: start the cluster directly, creating one if the package made none.
PGVER=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q .; then
  $SUDO pg_createcluster "$PGVER" main >/dev/null
fi
CLUSTER=$(pg_lsclusters -h | head -1 | awk '{print $1" "$2}')
pg_lsclusters -h | head -1 | grep -q online || $SUDO pg_ctlcluster $CLUSTER start
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 && break; sleep 1; done
pg_isready -h 127.0.0.1
as_postgres psql -q -v ON_ERROR_STOP=1 <<'SQL'
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'tessera') THEN
    CREATE ROLE tessera LOGIN CREATEDB PASSWORD 'tessera';
  ELSE
    ALTER ROLE tessera LOGIN CREATEDB PASSWORD 'tessera';
  END IF;
END $$;
SQL
as_postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'tessera_test'" | grep -q 1 \
  || as_postgres createdb -O tessera tessera_test
export TESSERA_TEST_POSTGRES_URL=postgres://tessera:tessera@127.0.0.1/tessera_test
export TESSERA_REQUIRE_POSTGRES=1

step "installing sipvicious, icalendar, recurring-ical-events, aiosmtpd, openapi-spec-validator, pycrate (PyPI, in a virtual environment: Debian's python is externally managed)"
VENV="${XDG_CACHE_HOME:-$HOME/.cache}/tessera-test-venv"
[ -x "$VENV/bin/pip" ] || /usr/bin/python3 -m venv "$VENV"
"$VENV/bin/pip" install -q --disable-pip-version-check sipvicious icalendar recurring-ical-events aiosmtpd openapi-spec-validator pycrate==0.7.11
export PATH="$VENV/bin:$PATH"
command -v sipvicious_svwar >/dev/null
"$VENV/bin/python" -c "import icalendar, recurring_ical_events, aiosmtpd, openapi_spec_validator, pycrate_asn1dir.H225"

step "installing playwright-core and axe-core (uses Debian's chromium, downloads no browser)"
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
(cd tests/browser && node -e "import('@axe-core/playwright').then(() => {}, (e) => { console.error(e.message); process.exit(1); })")

if [ "${TESSERA_TEST_E2E_ONLY:-0}" != 1 ]; then
  step "format and lints"
  cargo fmt --all --check
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi

step "building tessera and every test"
if [ "${TESSERA_TEST_E2E_ONLY:-0}" = 1 ]; then
  cargo build --locked -p tessera
  cargo test --locked -p tessera-e2e --no-run >/dev/null
else
  # One build for everything: the test build also makes target/debug/tessera (the daemon has
  # integration tests), which the end-to-end tests start and the package step packs. A separate
  # `cargo build -p tessera` would compile our crates again with other features (the test
  # crates' dependencies add some), minutes on two cores.
  cargo test --workspace --locked --no-run >/dev/null
fi

if [ "${TESSERA_TEST_HOG:-0}" = 1 ]; then
  step "keeping every core busy beside the tests ($(nproc) busy processes)"
  HOGS=()
  for _ in $(seq 1 "$(nproc)"); do
    sh -c 'while :; do :; done' &
    HOGS+=("$!")
  done
  trap 'kill "${HOGS[@]}" 2>/dev/null || true' EXIT
fi

if [ "${TESSERA_TEST_E2E_ONLY:-0}" = 1 ]; then
  step "end-to-end tests only"
  cargo test --locked -p tessera-e2e --no-fail-fast
  exit 0
fi

step "tests (unit, store on SQLite and PostgreSQL, end-to-end)"
cargo test --workspace --locked --no-fail-fast

step "fuzzing the mixer's layout API (bounded)"
# cargo-fuzz wants nightly flags; RUSTC_BOOTSTRAP lets the stable toolchain accept them.
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
CORPUS=$(mktemp -d)
(cd mixer && RUSTC_BOOTSTRAP=1 cargo fuzz run -s none layout_api "$CORPUS" fuzz/seeds/layout_api \
  -- -max_total_time="${FUZZ_SECONDS:-60}" -print_final_stats=1 2>&1 | tail -n 4)
rm -rf "$CORPUS"

step "fuzzing the SIP parser (bounded; seeded with the RFC 4475 torture messages)"
CORPUS=$(mktemp -d)
(cd sip-h323-bridge && RUSTC_BOOTSTRAP=1 cargo fuzz run -s none sip_message "$CORPUS" tests/rfc4475 \
  -- -max_total_time="${FUZZ_SECONDS:-60}" -max_len=8192 -print_final_stats=1 2>&1 | tail -n 4)
rm -rf "$CORPUS"

step "fuzzing SDP offers, media-side packets (RTP events, RTCP, INFO bodies, digest headers) and H.323 signalling (TPKT, Q.931, PER)"
for target in sdp_offer media_packets h323_signalling; do
  CORPUS=$(mktemp -d)
  (cd sip-h323-bridge && RUSTC_BOOTSTRAP=1 cargo fuzz run -s none "$target" "$CORPUS" "fuzz/seeds/$target" \
    -- -max_total_time="${FUZZ_SECONDS_SMALL:-30}" -max_len=4096 -print_final_stats=1 2>&1 | tail -n 4)
  rm -rf "$CORPUS"
done

step "the Debian package (built from the debug build, installed here, run as the service user, purged)"
bash scripts/test-package.sh
