#!/bin/sh
# Runs one libFuzzer target for a few seconds on a scratch copy of its seed
# corpus and prints its speed twice: per second of wall-clock time (what
# libFuzzer counts) and per second of CPU time the target used, the figure
# that stays true on a machine shared with other work.  A crash fails the
# run.  Extra arguments go to the target (e.g. -dict=…).
set -eu
bin=$1 secs=$2
shift 2
name=$(basename "$bin")
seeds=fixtures/corpora/$name
work=$(mktemp -d)
trap 'rm -rf "$work" "$work.log" "$work.time"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
opts=
[ -f "tests/fuzz/$name.dict" ] && opts="-dict=tests/fuzz/$name.dict"
/usr/bin/time -o "$work.time" -f '%U %S' \
  "$bin" -max_total_time="$secs" -print_final_stats=1 $opts "$@" "$work" >"$work.log" 2>&1 ||
  { tail -40 "$work.log"; exit 1; }
execs=$(grep -E 'stat::number_of_executed_units' "$work.log" | awk '{print $2}')
cpu=$(awk '{printf "%d", ($1 + $2) * 1000}' "$work.time")
[ "$cpu" -gt 0 ] || cpu=1
echo "fuzz $name: $execs runs in ${secs}s ($((execs / secs)) exec/s wall, $((execs * 1000 / cpu)) exec/s of CPU time, one core)"
