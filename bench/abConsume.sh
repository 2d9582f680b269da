#!/bin/bash
# Consume A/B of two builds of Brook on the same machine at the same moment (issue 17, item 4):
#   bench/abConsume.sh OLD_TREE NEW_TREE [COUNT] [SIZE]
# Each tree needs `npm run build` (dist/) and this tree bench/out/perf (npm run bench:produce-consume once).
# Starts one broker per tree (node --trace-gc), produces COUNT messages of SIZE bytes to each, then runs
# the librdkafka consumer against them alternately, 4 times each, printing the broker's mark-compacts and
# scavenges during each run next to the consumer's rate. Alternating runs share the machine's load.
set -u
OLD=$1; NEW=$2; COUNT=${3:-3000000}; SIZE=${4:-100}
PERF=$(cd "$(dirname "$0")" && pwd)/out/perf
WORK=$(mktemp -d /tmp/brook-ab-XXXXXX)
(cd "$OLD" && exec node --trace-gc bin/brook.js start --port 0 --data-dir "$WORK/old" --set num.partitions=3 > "$WORK/old.log" 2>&1) &
OLD_PID=$!
(cd "$NEW" && exec node --trace-gc bin/brook.js start --port 0 --data-dir "$WORK/new" --set num.partitions=3 > "$WORK/new.log" 2>&1) &
NEW_PID=$!
trap 'kill -TERM $OLD_PID $NEW_PID 2>/dev/null; wait; rm -rf "$WORK"' EXIT
port() { until grep -q '"msg":"listening"' "$WORK/$1.log"; do sleep 0.2; done; grep '"msg":"listening"' "$WORK/$1.log" | head -1 | sed 's/.*"port":\([0-9]*\).*/\1/'; }
declare -A PORT=([old]=$(port old) [new]=$(port new))
for side in old new; do "$PERF" produce "127.0.0.1:${PORT[$side]}" ab "$COUNT" "$SIZE" 1 0 > /dev/null; done
for round in 1 2 3 4; do
  for side in old new; do
    log=$WORK/$side.log
    mc=$(grep -c Mark-Compact "$log"); sc=$(grep -c Scavenge "$log")
    r=$("$PERF" consume "127.0.0.1:${PORT[$side]}" ab "$COUNT" 3 | tail -1)
    echo "$side round $round load $(cut -d' ' -f1 /proc/loadavg): mark-compacts $(( $(grep -c Mark-Compact "$log") - mc )), scavenges $(( $(grep -c Scavenge "$log") - sc )), $r"
  done
done
