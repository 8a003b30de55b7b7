#!/usr/bin/env bash
# The encoder settings of each output size and codec, measured: CPU and SSIM of x264's presets
# and libvpx's real-time speeds on one thread or more, against the one setting used before.
# See encoder.py.
set -euo pipefail
exec python3 "$(dirname "$0")/encoder.py"
