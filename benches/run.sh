#!/usr/bin/env bash
# Runs the benchmarks (all, or the one named): benches/run.sh [NAME]
# Each prints its own table and one line per figure:
#   BENCH<TAB>name<TAB>tessera<TAB>reference-tool<TAB>reference<TAB>unit<TAB>ratio
# where ratio is how many times better Tessera is (above 1 is better, whatever the unit).
set -euo pipefail
cd "$(dirname "$0")"
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  names=()
  for f in *.sh; do [ "$f" = run.sh ] || names+=("${f%.sh}"); done
fi
for n in "${names[@]}"; do
  [ -f "$n.sh" ] || { echo "no benchmark '$n' (have: $(ls *.sh | grep -v run.sh | sed 's/\.sh$//' | tr '\n' ' '))" >&2; exit 2; }
  echo "### $n"
  bash "$n.sh"
done
