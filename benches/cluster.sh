#!/usr/bin/env bash
# Several nodes on one PostgreSQL: what the cluster asks of the database. cluster_sim (the store's
# own heartbeat and lease statements, the core's placement rule) places 10,000 conferences on 100
# simulated nodes, runs their heartbeats (every third of a 10 s lease) with the sweep that takes
# a silent node's conferences, silences one node and times the fail-over. Then the heartbeat as
# fast as 8 connections go, against pgbench running the same two statements (the node's row,
# its leases renewed) on the same tables in the same run: Tessera's path to the database against
# the database's own client. "nodes carried" is that rate times the beat period.
# Needs PostgreSQL: BENCH_POSTGRES_URL (an account that may create databases), by default the
# test database scripts/test.sh sets up.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ADMIN_URL="${BENCH_POSTGRES_URL:-postgres://tessera:tessera@127.0.0.1/tessera_test}"
for t in psql pgbench; do
  command -v "$t" >/dev/null || { echo "$t is missing: apt-get install postgresql postgresql-client" >&2; exit 1; }
done
DB=tessera_cluster_bench
URL="${ADMIN_URL%/*}/$DB"
psql -Xq "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
trap 'psql -Xq "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true' EXIT

cargo build --release --locked -q -p tessera-web --example cluster_sim --manifest-path "$ROOT/Cargo.toml"
BIN="$ROOT/target/release/examples/cluster_sim"
OUT=$("$BIN" --url "$URL" --nodes 100 --conferences 10000 --lease-seconds 10 --steady-seconds 15)
get() { awk -v k="$1" '$1==k {print $2}' <<<"$OUT"; }
TB=$("$BIN" --url "$URL" --max-beats 5 --concurrency 8 | awk '$1=="beats_per_s" {print $2}')

SCRIPT=$(mktemp)
cat >"$SCRIPT" <<'SQL'
\set n random(0, 99)
INSERT INTO nodes (name, http_url, sip_host, capacity, participants, conferences, started_at, heartbeat_at)
  VALUES ('node-' || lpad(:n::text, 3, '0'), 'https://node.example.com', 'node.example.com', 1000, 200, 100, 0, (extract(epoch from clock_timestamp()) * 1000)::bigint)
  ON CONFLICT (name) DO UPDATE SET http_url = excluded.http_url, sip_host = excluded.sip_host, capacity = excluded.capacity,
    participants = excluded.participants, conferences = excluded.conferences, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at;
UPDATE conference_leases SET expires_at = (extract(epoch from clock_timestamp()) * 1000)::bigint + 10000 WHERE node = 'node-' || lpad(:n::text, 3, '0');
SQL
PB=$(pgbench -n -c 8 -j 2 -T 5 -f "$SCRIPT" "$URL" 2>/dev/null | awk '/^tps/ {printf "%.0f", $3}')
rm -f "$SCRIPT"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
CARRIED=$(awk -v r="$TB" 'BEGIN{printf "%.0f", r * 10 / 3}')
printf '%-34s %12s\n' "conferences placed" "$(get placed)" \
  "placements per second" "$(get placements_per_s)" \
  "placement p99 (ms)" "$(get placement_p99_ms)" \
  "nodes beating" "$(get nodes)" \
  "heartbeats per second (100 nodes)" "$(get heartbeats_per_s)" \
  "heartbeat p50 / p99 (ms)" "$(get heartbeat_p50_ms) / $(get heartbeat_p99_ms)" \
  "fail-over: conferences moved" "$(get failed_over)" \
  "fail-over time (s), lease 10 s" "$(get failover_s)" \
  "heartbeats/s, 8 connections" "$TB" \
  "pgbench, same statements" "$PB" \
  "nodes one PostgreSQL carries" "$CARRIED"
printf 'BENCH\tcluster_heartbeats\t%s\tpgbench\t%s\tbeats/s\t%s\n' "$TB" "$PB" "$(ratio "$TB" "$PB")"
# The floor of a fail-over is the lease itself: the ratio says how close to it Tessera comes.
printf 'BENCH\tcluster_failover\t%s\tlease-time\t%s\ts\t%s\n' "$(get failover_s)" "$(get lease_s)" "$(ratio "$(get lease_s)" "$(get failover_s)")"
