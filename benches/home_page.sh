#!/usr/bin/env bash
# The signed-in home page (20 conferences today, 5 rooms, rights, license) against axum's trivial
# route (/ping) served by the same release binary, loaded by wrk in the same run.
# Target: the home page reaches at least 40% of the trivial route's throughput.
set -euo pipefail
source "$(dirname "$0")/lib/http.sh"
"$BIN" admin license grant bench --days 30 >/dev/null
TODAY=$(date -u +%Y-%m-%d)
for i in $(seq -w 1 20); do
  "$BIN" admin conference add "meeting-$i" --name "Meeting number $i" --owner bench --start "${TODAY}T$(printf %02d $((10#$i % 24))):00" --duration 30 >/dev/null
done
for i in $(seq 1 6); do
  "$BIN" admin conference add "room-$i" --name "Room $i" --owner bench --room >/dev/null
done
COOKIE=$(curl -fs -D - -o /dev/null -H 'content-type: application/json' \
  -d '{"login":"bench","password":"bench-user-pw"}' "http://127.0.0.1:$PORT/api/v1/session" \
  | tr -d '\r' | awk -F'[ ;]' 'tolower($1)=="set-cookie:" {print $2}')
N=$(curl -fs -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/home" | grep -o 'class="conference"' | wc -l)
[ "$N" -eq 25 ] || { echo "home page shows $N conferences and rooms, expected 25" >&2; exit 1; }

wrk -t1 -c4 -d2s "http://127.0.0.1:$PORT/ping" >/dev/null   # warm-up
read -r PING_RPS PING_P99 < <(run_wrk "http://127.0.0.1:$PORT/ping")
read -r HOME_RPS HOME_P99 < <(run_wrk "http://127.0.0.1:$PORT/home" "$COOKIE")

printf '%-34s %12s %12s\n' "route ($CONNS connections, $DURATION)" "req/s" "p99 ms"
printf '%-34s %12s %12s\n' "/ping (axum trivial route)" "$PING_RPS" "$PING_P99"
printf '%-34s %12s %12s\n' "/home (signed in, 20+5 items)" "$HOME_RPS" "$HOME_P99"
RATIO=$(awk -v a="$HOME_RPS" -v b="$PING_RPS" 'BEGIN{printf "%.3f", a/b}')
LAT=$(awk -v a="$HOME_P99" -v b="$PING_P99" 'BEGIN{printf "%.3f", b/a}')
echo "home page throughput is $(awk -v r="$RATIO" 'BEGIN{printf "%.0f", r*100}')% of the trivial route's (target: at least 40%)"
printf 'BENCH\thome_page_throughput\t%s\taxum-trivial-route\t%s\treq/s\t%s\n' "$HOME_RPS" "$PING_RPS" "$RATIO"
printf 'BENCH\thome_page_p99\t%s\taxum-trivial-route\t%s\tms\t%s\n' "$HOME_P99" "$PING_P99" "$LAT"
