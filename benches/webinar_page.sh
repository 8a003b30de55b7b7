#!/usr/bin/env bash
# A webinar's page as guests load it before the start (details, Add to calendar, Sign up with a
# form of 12 fields, registration closing when full: one count of the list per view), and the
# same page in widget mode, against axum's trivial route (/ping) served by the same release
# binary, loaded by wrk in the same run. p99 latency and throughput per route.
set -euo pipefail
source "$(dirname "$0")/lib/http.sh"
ID=$(python3 - "$PORT" <<'PY'
import json, sys, urllib.request, http.cookiejar, datetime
port = sys.argv[1]
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
def call(method, path, body, csrf=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method=method,
                                 headers={"content-type": "application/json", **({"x-csrf-token": csrf} if csrf else {})})
    return json.load(op.open(req))
csrf = call("POST", "/api/v1/session", {"login": "bench", "password": "bench-user-pw"})["csrf_token"]
d = datetime.date.today() + datetime.timedelta(days=7)
day = d.isoformat()
code = ["mo", "tu", "we", "th", "fr", "sa", "su"][d.weekday()]
fields = [{"key": "email", "required": True}, {"key": "organization"}] + [{"label": f"Question {i}", "required": i % 2 == 0} for i in range(10)]
addresses = [{"address": f"sip:room{i}@10.0.0.1", "role": "participant"} for i in range(40)]
c = call("POST", "/api/v1/conferences", {"name": "Quarterly results webinar", "access": "public", "mode": "role_based",
         "start": f"{day}T16:00", "end": f"{day}T17:30", "time_zone": "Europe/Berlin", "addresses": addresses,
         "recurrence": {"freq": "weekly", "days": [code], "count": 8},
         "description": "Results, outlook and questions.", "location": "Online",
         "registration": {"enabled": True, "closes": "start", "close_when_full": True, "allow_attend": True, "fields": fields}}, csrf)
print(c["id"])
PY
)
URL="http://127.0.0.1:$PORT/c/$ID"
curl -fs "$URL" | grep -q 'id="sign-up"' || { echo "the webinar page offers no Sign up" >&2; exit 1; }
curl -fs "$URL?embed=1" | grep -q 'id="signup-form"' || { echo "the widget page has no sign-up form" >&2; exit 1; }
wrk -t1 -c4 -d2s "http://127.0.0.1:$PORT/ping" >/dev/null
wrk -t1 -c4 -d2s "$URL" >/dev/null
read -r PING_RPS PING_P99 < <(run_wrk "http://127.0.0.1:$PORT/ping")
read -r PAGE_RPS PAGE_P99 < <(run_wrk "$URL")
read -r EMBED_RPS EMBED_P99 < <(run_wrk "$URL?embed=1")

printf '%-42s %12s %12s\n' "route ($CONNS connections, $DURATION)" "req/s" "p99 ms"
printf '%-42s %12s %12s\n' "/ping (axum trivial route)" "$PING_RPS" "$PING_P99"
printf '%-42s %12s %12s\n' "/c/<webinar> (guest, registration open)" "$PAGE_RPS" "$PAGE_P99"
printf '%-42s %12s %12s\n' "/c/<webinar>?embed=1 (the widget)" "$EMBED_RPS" "$EMBED_P99"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.4f", a/b}'; }
printf 'BENCH\twebinar_page_p99\t%s\taxum-trivial-route\t%s\tms\t%s\n' "$PAGE_P99" "$PING_P99" "$(ratio "$PING_P99" "$PAGE_P99")"
printf 'BENCH\twebinar_page_throughput\t%s\taxum-trivial-route\t%s\treq/s\t%s\n' "$PAGE_RPS" "$PING_RPS" "$(ratio "$PAGE_RPS" "$PING_RPS")"
printf 'BENCH\twebinar_widget_throughput\t%s\taxum-trivial-route\t%s\treq/s\t%s\n' "$EMBED_RPS" "$PING_RPS" "$(ratio "$EMBED_RPS" "$PING_RPS")"
