#!/bin/bash
# Two builds of Brook on the same machine at the same moment (issue 17, item 4): one broker per tree, runs
# alternating between them (the order flips every round), so both see the same load on a shared machine.
#   bench/abBrokers.sh consume OLD_TREE NEW_TREE [COUNT=3000000] [SIZE=100]
#       backlog of COUNT x SIZE B, librdkafka consumer; prints the broker's mark-compacts and scavenges per run
#   bench/abBrokers.sh latency OLD_TREE NEW_TREE [COUNT=100000] [RATE=50000]
#       acks=1, linger.ms=0, 100 B at RATE msgs/s; prints p50/p99/p99.9
# Each tree needs `npm run build` (dist/); bench/out/perf of this tree (npm run bench:produce-consume once).
set -u
MODE=$1; OLD=$2; NEW=$3
PERF=$(cd "$(dirname "$0")" && pwd)/out/perf
WORK=$(mktemp -d /tmp/brook-ab-XXXXXX)
# each tree's broker with the V8 flags of its own bin/brook.js first line (none before they were put there)
flags() { sed -n '1s/^#!.*env -S node//p' "$1/bin/brook.js"; }
(cd "$OLD" && exec node --trace-gc $(flags "$OLD") bin/brook.js start --port 0 --data-dir "$WORK/old" --set num.partitions=3 > "$WORK/old.log" 2>&1) &
OLD_PID=$!
(cd "$NEW" && exec node --trace-gc $(flags "$NEW") bin/brook.js start --port 0 --data-dir "$WORK/new" --set num.partitions=3 > "$WORK/new.log" 2>&1) &
NEW_PID=$!
trap 'kill -TERM $OLD_PID $NEW_PID 2>/dev/null; wait; rm -rf "$WORK"' EXIT
port() { until grep -q '"msg":"listening"' "$WORK/$1.log"; do sleep 0.2; done; grep '"msg":"listening"' "$WORK/$1.log" | head -1 | sed 's/.*"port":\([0-9]*\).*/\1/'; }
declare -A PORT=([old]=$(port old) [new]=$(port new))
if [ "$MODE" = consume ]; then
  COUNT=${4:-3000000}; SIZE=${5:-100}
  for side in old new; do "$PERF" produce "127.0.0.1:${PORT[$side]}" ab "$COUNT" "$SIZE" 1 0 > /dev/null; done
else
  COUNT=${4:-100000}; RATE=${5:-50000}
  for side in old new; do "$PERF" produce "127.0.0.1:${PORT[$side]}" ab 20000 100 1 0 > /dev/null; done
fi
order="old new"
for round in 1 2 3 4; do
  for side in $order; do
    log=$WORK/$side.log
    mc=$(grep -c Mark-Compact "$log"); sc=$(grep -c Scavenge "$log")
    if [ "$MODE" = consume ]; then r=$("$PERF" consume "127.0.0.1:${PORT[$side]}" ab "$COUNT" 3 | tail -1)
    else r=$("$PERF" produce "127.0.0.1:${PORT[$side]}" ab "$COUNT" 100 1 "$RATE" 0 | tail -1); fi
    echo "$side round $round load $(cut -d' ' -f1 /proc/loadavg): mark-compacts $(( $(grep -c Mark-Compact "$log") - mc )), scavenges $(( $(grep -c Scavenge "$log") - sc )), $r"
  done
  [ "$order" = "old new" ] && order="new old" || order="old new"
done
