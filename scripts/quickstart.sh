#!/usr/bin/env bash
# Builds Tessera and starts it with the embedded defaults: an SQLite database in ./tessera-data,
# the personal area on http://127.0.0.1:8080/, a public demo room, and a first administrator
# `admin` whose password is printed below (and kept in ./tessera-data/initial-admin-password).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

if command -v apt-get >/dev/null; then
  echo "==> installing build dependencies (Debian packages)"
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends \
    ca-certificates pkg-config build-essential curl fonts-dejavu-core libjs-pdf \
    libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstrtspserver-1.0-dev libasound2-dev libclang-dev \
    gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav >/dev/null
fi
if ! command -v cargo >/dev/null; then
  echo "Rust is not installed. Install it with rustup (https://rustup.rs), then run this again." >&2
  exit 1
fi

echo "==> building tessera (release)"
cargo build --release --locked -p tessera

export TESSERA_DATA_DIR="${TESSERA_DATA_DIR:-$PWD/tessera-data}"
export TESSERA_HTTP_LISTEN="${TESSERA_HTTP_LISTEN:-127.0.0.1:8080}"
# HTTPS for the other machines of the network (browsers give cameras only to https:// pages),
# with a CA of Tessera's own; plain HTTP stays on this machine.
export TESSERA_HTTP_TLS="${TESSERA_HTTP_TLS:-self-signed}"
export TESSERA_HTTP_TLS_LISTEN="${TESSERA_HTTP_TLS_LISTEN:-0.0.0.0:8443}"
mkdir -p "$TESSERA_DATA_DIR"
./target/release/tessera serve --demo &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID' INT TERM
for _ in $(seq 1 50); do
  [ -f "$TESSERA_DATA_DIR/initial-admin-password" ] && curl -fs "http://$TESSERA_HTTP_LISTEN/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
echo
echo "Tessera is running: http://$TESSERA_HTTP_LISTEN/ on this machine"
if [ "$TESSERA_HTTP_TLS" != "off" ]; then
  ADDR=$(hostname -I 2>/dev/null | awk '{print $1}')
  echo "From other machines: https://${ADDR:-<this machine's address>}:${TESSERA_HTTP_TLS_LISTEN##*:}/"
  echo "  (their browsers warn until they trust Tessera's own CA: download it from"
  echo "   http://$TESSERA_HTTP_LISTEN/tls/ca.pem here, or https://…/tls/ca.pem there; the log shows its fingerprint)"
fi
echo "The demo room with four synthetic participants: rtsp://127.0.0.1:8554/demo (ffplay or VLC)"
echo "From a SIP phone or softphone, dial sip:demo@<this machine's address> (UDP or TCP port 5060)"
if [ -f "$TESSERA_DATA_DIR/initial-admin-password" ]; then
  echo "Sign in as 'admin' with the password: $(cat "$TESSERA_DATA_DIR/initial-admin-password")"
  echo "(kept in $TESSERA_DATA_DIR/initial-admin-password; delete the file once you have changed it)"
fi
echo "Press Ctrl+C to stop."
wait $PID
