#!/usr/bin/env bash
# Builds the Debian package: target/debian/tessera_VERSION_ARCH.deb.
#   scripts/package.sh            the release build (for a release)
#   scripts/package.sh --debug    the debug build already in target/debug, as it is (CI, after the
#                                 tests built it: to save minutes)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo-deb >/dev/null || cargo install --locked cargo-deb --version 3.8.0
if [ "${1:-}" = --debug ]; then
  profile=dev; bin=target/debug/tessera
  [ -x "$bin" ] || { echo "$bin is missing: build it first (cargo build -p tessera)" >&2; exit 1; }
else
  profile=release; bin=target/release/tessera
  cargo build --locked --release -p tessera
fi
# The manual page and completions come from the command line's own definition.
mkdir -p target/package
"$bin" man | gzip -9n > target/package/tessera.1.gz
"$bin" completions bash > target/package/tessera.bash
"$bin" completions zsh > target/package/_tessera
"$bin" completions fish > target/package/tessera.fish
# The source of what is packaged, which /source hands out (AGPL-3.0 section 13).
VERSION=$(cargo metadata --no-deps --format-version 1 | python3 -c 'import json,sys; print(next(p["version"] for p in json.load(sys.stdin)["packages"] if p["name"] == "tessera"))')
git rev-parse --git-dir >/dev/null 2>&1 || { echo "package.sh packs the source from git: run it in a clone" >&2; exit 1; }
[ -z "$(git status --porcelain --untracked-files=no)" ] || echo "warning: uncommitted changes are in the binary but not in the source archive" >&2
git archive --format=tar --prefix="tessera-$VERSION/" HEAD | gzip -9n > target/package/tessera-source.tar.gz
cargo deb --locked -p tessera --no-build --profile "$profile" --fast
ls -1 target/debian/*.deb
