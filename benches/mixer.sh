#!/usr/bin/env bash
# Tessera's compositor against GStreamer's compositor (+ textoverlay for names) and ffmpeg's
# xstack (+ drawtext), on the same work, on one core, in one run: N 1280x720 I420 sources into a
# 1920x1080 canvas with a name on every window. Figures are frames per second; the references'
# source generation is measured separately and subtracted (see mixer_reference.py).
# Target: at least 3x GStreamer's compositor for 16 sources with names.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
FRAMES="${BENCH_FRAMES:-300}"
for t in gst-launch-1.0 ffmpeg taskset python3; do
  command -v "$t" >/dev/null || { echo "$t is missing: apt-get install gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-x ffmpeg util-linux python3" >&2; exit 1; }
done
gst-inspect-1.0 textoverlay >/dev/null 2>&1 || { echo "GStreamer's textoverlay is missing: apt-get install gstreamer1.0-x" >&2; exit 1; }

cargo build --release --locked -q -p tessera-mixer --example mixer_bench --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/examples/mixer_bench"
REF="$ROOT/benches/mixer_reference.py"
BW=$("$BIN" --bandwidth | awk '{print $2}')

tessera_fps() { taskset -c 0 "$BIN" --scenario "$1" --frames "$FRAMES" | awk '$1=="fps" {print $2}'; }
bytes() { taskset -c 0 "$BIN" --scenario "$1" --frames 1 | awk '$1=="bytes_per_frame" {print $2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }

printf '%-10s %12s %12s %12s %10s %10s %14s\n' scenario tessera gstreamer ffmpeg "x gst" "x ffmpeg" "memory bound"
declare -A T G F
for s in grid4 grid9 grid16 speaker5; do
  T[$s]=$(tessera_fps "$s")
  G[$s]=$(python3 "$REF" gstreamer "$s" "$FRAMES" | awk '{print $4}')
  F[$s]=$(python3 "$REF" ffmpeg "$s" "$FRAMES" | awk '{print $4}')
  BOUND=$(awk -v bw="$BW" -v b="$(bytes "$s")" 'BEGIN{printf "%.0f", bw/b}')
  printf '%-10s %12s %12s %12s %10s %10s %14s\n' "$s" "${T[$s]}" "${G[$s]}" "${F[$s]}" "$(ratio "${T[$s]}" "${G[$s]}")" "$(ratio "${T[$s]}" "${F[$s]}")" "$BOUND"
done
STEADY=$(tessera_fps steady16)
printf '%-10s %12s %12s %12s %10s %10s %14s\n' steady16 "$STEADY" "${G[grid16]}" "${F[grid16]}" "$(ratio "$STEADY" "${G[grid16]}")" "$(ratio "$STEADY" "${F[grid16]}")" "-"
echo "(fps on one core; memory bound = copy bandwidth $(awk -v b="$BW" 'BEGIN{printf "%.1f", b/1e9}') GB/s over the bytes a full recomposition reads and writes;"
echo " steady16: 16 sources, one changes per frame, against the references' full grid16 work, which they cannot skip)"
for s in grid4 grid9 grid16 speaker5; do
  printf 'BENCH\tmixer_%s_names\t%s\tgstreamer-compositor\t%s\tfps\t%s\n' "$s" "${T[$s]}" "${G[$s]}" "$(ratio "${T[$s]}" "${G[$s]}")"
  printf 'BENCH\tmixer_%s_names\t%s\tffmpeg-xstack\t%s\tfps\t%s\n' "$s" "${T[$s]}" "${F[$s]}" "$(ratio "${T[$s]}" "${F[$s]}")"
done
printf 'BENCH\tmixer_steady16_names\t%s\tgstreamer-compositor\t%s\tfps\t%s\n' "$STEADY" "${G[grid16]}" "$(ratio "$STEADY" "${G[grid16]}")"
printf 'BENCH\tmixer_steady16_names\t%s\tffmpeg-xstack\t%s\tfps\t%s\n' "$STEADY" "${F[grid16]}" "$(ratio "$STEADY" "${F[grid16]}")"
T16="${T[grid16]}"; G16="${G[grid16]}"
echo "16 sources with names: $(ratio "$T16" "$G16")x GStreamer's compositor (target: at least 3x)"
