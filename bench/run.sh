#!/usr/bin/env bash
# Seeds a database, starts a hub on it, and drives every load scenario at it.
#   bench/run.sh                          short run on SQLite (make bench)
#   CUSTOMERS=1000000 DURATION=30s DATABASE_URL=postgres://…/scratch REDIS_URL=redis://… bench/run.sh
# DATABASE_URL must name a database the run may fill; it is not emptied first.
# SEED=0 reuses a database seeded before with the same CUSTOMERS and TIMELINES;
# ONLY=customer,IVR runs only the scenarios whose first word is listed (and the ceiling);
# RATES=IVR=1000,customer=5000 overrides offered rates.
# On PostgreSQL each database-backed row also gets the limit column: pgbench (-M prepared,
# as many clients as the hub's pool, PGBENCH_CONNS to change) runs the statements the hub
# sends for that scenario (bench/pgbench/*.sql) right after it, on the same database; the
# hub also answers GET /bench/bare (CONTACTHUB_BENCH_BARE) so the ceiling row gets /healthz ÷
# a bare echo handler. BARE=0 leaves that out; LIMIT=0 leaves pgbench out (counting what the
# hub alone sends, with pg_stat_database, say).
# HUB_BIN=path runs that hub binary instead of building one from this tree (a "before"
# build for measuring a change in alternation with the "after").
set -euo pipefail
cd "$(dirname "$0")/.."
CUSTOMERS=${CUSTOMERS:-2000}
TIMELINES=${TIMELINES:-200}
DURATION=${DURATION:-3s}
RATES=${RATES:-}
SEED=${SEED:-1}
ONLY=${ONLY:-}
STRICT=${STRICT:-false}   # true: fail when any scenario had an error (the CI smoke run)
HOLD=${HOLD:-0}           # e.g. 50ms: search each scenario's highest rate held with p99 ≤ HOLD
BARE=${BARE:-1}
CLOSED=${CLOSED:-0}       # e.g. 16: that many clients in a closed loop instead of fixed rates (the hub's most, set against pgbench's)
PGBENCH_CONNS=${PGBENCH_CONNS:-${CONTACTHUB_DB_MAX_CONNS:-0}}
ADDR=${BENCH_ADDR:-127.0.0.1:18090}
DATA=$(mktemp -d)
HUB=   # set once the hub starts; the trap below may run before that
trap '[ -n "$HUB" ] && kill $HUB 2>/dev/null || true; rm -rf "$DATA"' EXIT

HUB_BIN=${HUB_BIN:-}
if [ -z "$HUB_BIN" ]; then
  CGO_ENABLED=0 go build -trimpath -o bin/contacthub ./cmd/contacthub
  HUB_BIN=bin/contacthub
fi
go build -o bin/bench ./bench
export CONTACTHUB_DATA_DIR=$DATA CONTACTHUB_IVR_TOKEN=bench-ivr-token-0123456789
if [ "$SEED" = 1 ]; then bin/bench seed --customers "$CUSTOMERS" --timelines "$TIMELINES" >&2; fi
bin/bench vacuum >&2   # each run starts from a database autovacuum would have kept tidy

if curl -sf "http://$ADDR/healthz" >/dev/null; then
  echo "something already answers on $ADDR; stop it or set BENCH_ADDR" >&2; exit 1
fi
CONTACTHUB_ADDR=$ADDR CONTACTHUB_LOG_LEVEL=error CONTACTHUB_WEBHOOK_ALLOW_PRIVATE=true \
CONTACTHUB_RATE_LIMIT_PER_MINUTE=0 CONTACTHUB_RATE_LIMIT_IP_PER_MINUTE=0 \
CONTACTHUB_RATING_IP_PER_MINUTE=0 CONTACTHUB_RATING_PAGE_PER_MINUTE=0 \
CONTACTHUB_BENCH_BARE=$([ "$BARE" = 1 ] && echo true || echo false) \
  "$HUB_BIN" serve &
HUB=$!
for _ in $(seq 1 100); do curl -sf "http://$ADDR/readyz" >/dev/null && break; sleep 0.1; done
kill -0 $HUB 2>/dev/null || { echo "the hub did not start" >&2; exit 1; }
DB=sqlite; [ -n "${DATABASE_URL:-}" ] && DB=postgres; [ -n "${REDIS_URL:-}" ] && DB="$DB + redis"
echo "hub on $ADDR: $(uname -m), $(nproc) cores, $DB, $CUSTOMERS customers; data directory $DATA" >&2
bin/bench load --url "http://$ADDR" --customers "$CUSTOMERS" --timelines "$TIMELINES" --duration "$DURATION" --rates "$RATES" --only "$ONLY" --strict="$STRICT" --hold "$HOLD" --hub-pid "$HUB" \
  --bare="$([ "$BARE" = 1 ] && echo true || echo false)" --closed "$CLOSED" $([ "$PGBENCH_CONNS" -gt 0 ] && echo --db-conns "$PGBENCH_CONNS") $([ "${LIMIT:-1}" = 0 ] && echo --pgbench=)
