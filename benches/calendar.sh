#!/usr/bin/env bash
# The Meetings calendar (this month) and the list of all meetings for a user with 1,000
# conferences, a third of them recurring, against axum's trivial route (/ping) served by the
# same release binary, loaded by wrk in the same run. p99 latency and throughput per route.
set -euo pipefail
source "$(dirname "$0")/lib/http.sh"
# 1,000 conferences through the API: 667 single meetings within two months around today, 333
# weekly or daily series that started up to three months ago.
COOKIE=$(python3 - "$PORT" <<'PY'
import json, random, sys, urllib.request, http.cookiejar, datetime
port = sys.argv[1]
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def call(method, path, body, csrf=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method=method,
                                 headers={"content-type": "application/json", **({"x-csrf-token": csrf} if csrf else {})})
    return json.load(op.open(req))
csrf = call("POST", "/api/v1/session", {"login": "bench", "password": "bench-user-pw"})["csrf_token"]
rnd = random.Random(7)
today = datetime.date.today()
codes = ["mo", "tu", "we", "th", "fr", "sa", "su"]
for i in range(1000):
    if i % 3 == 0:
        day = today + datetime.timedelta(days=rnd.randint(-90, 0))
        rec = rnd.choice([{"freq": "weekly", "days": [codes[day.weekday()]], "count": rnd.randint(10, 40)},
                          {"freq": "daily", "count": rnd.randint(10, 120)}])
    else:
        day = today + datetime.timedelta(days=rnd.randint(-30, 30))
        rec = None
    start = f"{day.isoformat()}T{rnd.randint(7, 19):02d}:{rnd.choice(['00', '30'])}"
    end = f"{day.isoformat()}T{rnd.randint(20, 21):02d}:00"
    call("POST", "/api/v1/conferences", {"name": f"Meeting {i}", "start": start, "end": end, "time_zone": "UTC",
                                         "recurrence": rec, "location": "Room %d" % (i % 9)}, csrf)
print("; ".join(f"{c.name}={c.value}" for c in jar))
PY
)
N=$(curl -fs -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/meetings?view=all" | grep -o 'class="conference"' | wc -l)
[ "$N" -eq 1000 ] || { echo "the list of all meetings shows $N conferences, expected 1000" >&2; exit 1; }
DAYS=$(curl -fs -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/meetings" | grep -o 'data-count="[1-9][0-9]*"' | wc -l)
[ "$DAYS" -gt 20 ] || { echo "the calendar marks only $DAYS days, expected most of the month" >&2; exit 1; }

if [ -n "${BENCH_KEEP:-}" ]; then echo "$COOKIE" > "$WORK/cookie"; echo "kept $WORK"; fi
# Warm-up: the first requests fill the caches the steady state reads from.
wrk -t1 -c4 -d2s "http://127.0.0.1:$PORT/ping" >/dev/null
wrk -t1 -c4 -d2s -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/meetings" >/dev/null
wrk -t1 -c4 -d2s -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/meetings?view=all" >/dev/null
read -r PING_RPS PING_P99 < <(run_wrk "http://127.0.0.1:$PORT/ping")
read -r CAL_RPS CAL_P99 < <(run_wrk "http://127.0.0.1:$PORT/meetings" "$COOKIE")
read -r ALL_RPS ALL_P99 < <(run_wrk "http://127.0.0.1:$PORT/meetings?view=all" "$COOKIE")

printf '%-42s %12s %12s\n' "route ($CONNS connections, $DURATION)" "req/s" "p99 ms"
printf '%-42s %12s %12s\n' "/ping (axum trivial route)" "$PING_RPS" "$PING_P99"
printf '%-42s %12s %12s\n' "/meetings (calendar, $DAYS busy days)" "$CAL_RPS" "$CAL_P99"
printf '%-42s %12s %12s\n' "/meetings?view=all (1,000 conferences)" "$ALL_RPS" "$ALL_P99"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.4f", a/b}'; }
printf 'BENCH\tcalendar_month_p99\t%s\taxum-trivial-route\t%s\tms\t%s\n' "$CAL_P99" "$PING_P99" "$(ratio "$PING_P99" "$CAL_P99")"
printf 'BENCH\tcalendar_month_throughput\t%s\taxum-trivial-route\t%s\treq/s\t%s\n' "$CAL_RPS" "$PING_RPS" "$(ratio "$CAL_RPS" "$PING_RPS")"
printf 'BENCH\tall_meetings_p99\t%s\taxum-trivial-route\t%s\tms\t%s\n' "$ALL_P99" "$PING_P99" "$(ratio "$PING_P99" "$ALL_P99")"
printf 'BENCH\tall_meetings_throughput\t%s\taxum-trivial-route\t%s\treq/s\t%s\n' "$ALL_RPS" "$PING_RPS" "$(ratio "$ALL_RPS" "$PING_RPS")"
