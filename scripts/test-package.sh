#!/usr/bin/env bash
# The Debian package, checked on this machine (no container registry is reachable): built from
# the debug build, installed with its dependencies, the installed unit verified and its
# sandbox rated, the installed binary started as the service user, then purged — the data kept.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
if dpkg -s tessera >/dev/null 2>&1; then
  echo "a tessera package is installed on this machine already: purge it first (dpkg --purge tessera)" >&2
  exit 1
fi
if [ -e /var/lib/tessera ]; then
  echo "/var/lib/tessera exists: this machine runs Tessera; the package test would use (and remove) it" >&2
  exit 1
fi
bash scripts/package.sh --debug
DEB=$(ls -t target/debian/tessera_*.deb | head -1)
# (Read whole before grep: grep -q would close the pipe early, which pipefail counts.)
DEPENDS=$(dpkg-deb --field "$DEB" Depends); grep -q gstreamer1.0-plugins-good <<<"$DEPENDS"
CONTENTS=$(dpkg-deb --contents "$DEB"); grep -q ' ./usr/share/man/man1/tessera.1.gz' <<<"$CONTENTS"
grep -q ' ./usr/share/tessera/tessera-source.tar.gz' <<<"$CONTENTS"
$SUDO apt-get install -y -qq "./$DEB" >/dev/null
cleanup() { $SUDO dpkg --purge tessera >/dev/null 2>&1 || true; $SUDO rm -rf /var/lib/tessera; }
trap cleanup EXIT

tessera --version
test "$(stat -c '%a %G' /etc/tessera/tessera.toml)" = "640 tessera"
id tessera >/dev/null
systemd-analyze verify /lib/systemd/system/tessera.service
# The sandbox's exposure: systemd rates it 0 (best) to 10 (the threshold counts tenths); keep it
# below "medium" (5.0).
systemd-analyze security --offline=yes --threshold=50 /lib/systemd/system/tessera.service | tail -1

# The installed binary, as the service user, with the installed configuration (on a free port,
# SIP, RTSP and metrics off so as not to meet anything else on this machine).
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LOG=$(mktemp)
$SUDO runuser -u tessera -- env TESSERA_DATA_DIR=/var/lib/tessera TESSERA_HTTP_LISTEN="127.0.0.1:$PORT" \
  TESSERA_SIP_LISTEN= TESSERA_RTSP_LISTEN= TESSERA_METRICS_LISTEN= HOME=/var/lib/tessera \
  tessera serve --config /etc/tessera/tessera.toml >"$LOG" 2>&1 &
PID=$!
for _ in $(seq 1 60); do curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break; sleep 1; done
curl -fsS "http://127.0.0.1:$PORT/healthz" || { cat "$LOG"; exit 1; }
test -s /var/lib/tessera/initial-admin-password
# AGPL-3.0 section 13: every page links to /source, which hands out the packaged source.
LOGIN=$(curl -fsS "http://127.0.0.1:$PORT/login"); grep -q 'href="/source"' <<<"$LOGIN"
SOURCE=$(curl -fsS "http://127.0.0.1:$PORT/source" | tar -tz); grep -qx 'tessera-[0-9.]*/LICENSE' <<<"$SOURCE"
grep -q "GNU AFFERO GENERAL PUBLIC LICENSE" /usr/share/doc/tessera/copyright
test "$(stat -c '%U %a' /var/lib/tessera/initial-admin-password)" = "tessera 600"
$SUDO kill -TERM "$PID"; wait "$PID" || true
grep -q "Tessera stopped" "$LOG" || { cat "$LOG"; exit 1; }

# Purge: what the package installed goes, the data stays.
$SUDO dpkg --purge tessera
test ! -e /usr/bin/tessera && test ! -e /usr/share/tessera && test ! -e /etc/tessera && test ! -e /lib/systemd/system/tessera.service
test -s /var/lib/tessera/tessera.db
echo "the package installs, runs as the service user and purges cleanly (data kept)"
