#!/usr/bin/env bash
# A conference's analytics for its owner: 1,000 participants on its list, 10,000 rows of
# connection history and 1,000 chat messages. The Participants' entries tab (with its chart),
# the Connection history tab (the first 1,000 rows of 10,000) and the connection history's CSV
# file (all 10,000 rows), against axum's trivial route (/ping) served by the same release
# binary, loaded by wrk in the same run with 4 connections (a few owners and operators reading
# analytics at once, not a crowd). p99 latency and throughput per route.
set -euo pipefail
export BENCH_CONNECTIONS="${BENCH_CONNECTIONS:-4}"
source "$(dirname "$0")/lib/http.sh"
COOKIE=$(python3 - "$PORT" <<'PY'
import json, sys, urllib.request, http.cookiejar
port = sys.argv[1]
jar = http.cookiejar.CookieJar()
op = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
def call(method, path, body, csrf=None):
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=json.dumps(body).encode(), method=method,
                                 headers={"content-type": "application/json", **({"x-csrf-token": csrf} if csrf else {})})
    return json.load(op.open(req))
csrf = call("POST", "/api/v1/session", {"login": "bench", "password": "bench-user-pw"})["csrf_token"]
call("POST", "/api/v1/conferences", {"name": "All hands", "kind": "room", "id": "allhands"}, csrf)
print("; ".join(f"{c.name}={c.value}" for c in jar))
PY
)
# The list, the history and the chat written straight into the database (creating 1,000
# accounts through argon2 would take minutes and measure nothing of the analytics).
python3 - "$TESSERA_DATA_DIR/tessera.db" <<'PY'
import sqlite3, sys, time, random
db = sqlite3.connect(sys.argv[1], timeout=30)
rnd = random.Random(11)
now = int(time.time())
start = now - 30 * 86400
users = [(10_000 + i, f"user{i:04d}", "x", f"Участник {i:04d}" if i % 2 else f"Participant {i:04d}",
          f"user{i:04d}@example.org", start, start) for i in range(1000)]
db.executemany("INSERT INTO users (id, login, password_hash, display_name, email, created_at, updated_at) VALUES (?,?,?,?,?,?,?)", users)
db.executemany("INSERT INTO conference_participants (conference_id, user_id, role, added_at) VALUES ('allhands', ?, 'participant', ?)",
               [(u[0], start + rnd.randint(0, 20 * 86400)) for u in users])
events = []
for i in range(10_000):
    u = users[rnd.randrange(700)]
    at = (start + 20 * 86400 + i * 60) * 1000
    events.append((100_000 + i, at, "joined" if i % 2 == 0 else "left", i // 2 + 1, u[0], u[3], "webrtc"))
db.executemany("INSERT INTO conference_events (id, conference_id, at_ms, kind, participant, user_id, name, detail) VALUES (?, 'allhands', ?, ?, ?, ?, ?, ?)", events)
db.executemany("INSERT INTO chat_messages (id, conference_id, at_ms, user_id, sender_name, body) VALUES (?, 'allhands', ?, ?, ?, ?)",
               [(200_000 + i, (start + 20 * 86400 + i * 600) * 1000, users[i][0], users[i][3], f"message {i}: =SUM(A1:A9)") for i in range(1000)])
db.execute("UPDATE conferences SET created_at = ? WHERE id = 'allhands'", (start,))
db.commit()
PY
A="http://127.0.0.1:$PORT/conferences/allhands/analytics"
N=$(curl -fs -H "Cookie: $COOKIE" "$A?tab=entries" | grep -o 'id="an-total">[0-9]*' | grep -o '[0-9]*$')
[ "$N" -eq 1001 ] || { echo "the entries tab counts $N participants, expected 1001" >&2; exit 1; }
N=$(curl -fs -H "Cookie: $COOKIE" "$A?tab=connections" | grep -o 'id="an-total">[0-9]*' | grep -o '[0-9]*$')
[ "$N" -eq 10000 ] || { echo "the connection history counts $N rows, expected 10000" >&2; exit 1; }
N=$(curl -fs -H "Cookie: $COOKIE" "$A/connections.csv" | wc -l)
[ "$N" -eq 10001 ] || { echo "the CSV has $N lines, expected 10001" >&2; exit 1; }

wrk -t1 -c4 -d2s "http://127.0.0.1:$PORT/ping" >/dev/null
wrk -t1 -c4 -d2s -H "Cookie: $COOKIE" "$A?tab=entries" >/dev/null
read -r PING_RPS PING_P99 < <(run_wrk "http://127.0.0.1:$PORT/ping")
read -r ENT_RPS ENT_P99 < <(run_wrk "$A?tab=entries" "$COOKIE")
read -r CON_RPS CON_P99 < <(run_wrk "$A?tab=connections" "$COOKIE")
read -r CSV_RPS CSV_P99 < <(run_wrk "$A/connections.csv" "$COOKIE")

printf '%-46s %12s %12s\n' "route ($CONNS connections, $DURATION)" "req/s" "p99 ms"
printf '%-46s %12s %12s\n' "/ping (axum trivial route)" "$PING_RPS" "$PING_P99"
printf '%-46s %12s %12s\n' "analytics: entries (1,001, with chart)" "$ENT_RPS" "$ENT_P99"
printf '%-46s %12s %12s\n' "analytics: connections (10,000 rows)" "$CON_RPS" "$CON_P99"
printf '%-46s %12s %12s\n' "analytics: connections.csv (10,000 rows)" "$CSV_RPS" "$CSV_P99"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.4f", a/b}'; }
printf 'BENCH\tanalytics_entries_p99\t%s\taxum-trivial-route\t%s\tms\t%s\n' "$ENT_P99" "$PING_P99" "$(ratio "$PING_P99" "$ENT_P99")"
printf 'BENCH\tanalytics_entries_throughput\t%s\taxum-trivial-route\t%s\treq/s\t%s\n' "$ENT_RPS" "$PING_RPS" "$(ratio "$ENT_RPS" "$PING_RPS")"
printf 'BENCH\tanalytics_connections_p99\t%s\taxum-trivial-route\t%s\tms\t%s\n' "$CON_P99" "$PING_P99" "$(ratio "$PING_P99" "$CON_P99")"
printf 'BENCH\tanalytics_csv_p99\t%s\taxum-trivial-route\t%s\tms\t%s\n' "$CSV_P99" "$PING_P99" "$(ratio "$PING_P99" "$CSV_P99")"
printf 'BENCH\tanalytics_csv_throughput\t%s\taxum-trivial-route\t%s\treq/s\t%s\n' "$CSV_RPS" "$PING_RPS" "$(ratio "$CSV_RPS" "$PING_RPS")"
