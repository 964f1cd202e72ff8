#!/usr/bin/env bash
# How lookup and timeline latency move with the number of customers: the same scenarios
# at the same offered rates against databases seeded at each scale (bench seed), one
# hub each, the ceiling measured in every run. Prints one Markdown table.
#   SCALES="10000=postgres://…/bench_10k 100000=postgres://…/bench_100k 1000000=postgres://…/bench_1m" \
#   REDIS_URL=redis://… bench/scaling.sh
set -euo pipefail
cd "$(dirname "$0")/.."
: "${SCALES:?SCALES lists customers=database-url pairs, each database seeded by bench seed}"
RATES=${RATES:-customer=1000,case=1000}
echo "| customers | scenario | offered/s | achieved/s | errors | p50 | p90 | p99 | max | p99 ÷ ceiling p99 | hub RSS | CPU per request: hub · databases · load |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
for pair in $SCALES; do
  n=${pair%%=*} url=${pair#*=}
  CUSTOMERS=$n TIMELINES=${TIMELINES:-2000} DATABASE_URL=$url SEED=0 ONLY=customer,case RATES=$RATES bench/run.sh 2>/dev/null |
    grep -v '^| scenario\|^|---' | sed "s/^|/| $n |/"
done
