#!/usr/bin/env bash
# Fails when the repository tracks runtime data or secrets: a database file, anything under
# tessera-data/ (the quick start's data directory), a password file or a private key. Source
# files that merely mention passwords (password.rs) are fine. scripts/test.sh runs it first.
set -euo pipefail
cd "$(dirname "$0")/.."
bad=$(git ls-files -z | tr '\0' '\n' | grep -E \
  -e '(^|/)tessera-data/' \
  -e '\.(db|db-wal|db-shm|sqlite|sqlite3|key|pem|p12|pfx|jks)$' \
  -e '(^|/)(initial-admin-password|reset-password-[^/]*|[^/]*password[^/]*\.(txt|cfg|conf))$' \
  -e '(^|/)(id_rsa|id_ecdsa|id_ed25519)$' || true)
# A PEM private key under any name.
keys=$(git grep -lI -e '-----BEGIN [A-Z ]*PRIVATE KEY-----' -- . ':!scripts/check-tracked-secrets.sh' 2>/dev/null || true)
if [ -n "$bad$keys" ]; then
  echo "runtime data or secrets are tracked by git; remove them (git rm --cached) and rotate any secret:" >&2
  printf '  %s\n' $bad $keys >&2
  exit 1
fi
echo "no database, data directory, password file or private key is tracked"
