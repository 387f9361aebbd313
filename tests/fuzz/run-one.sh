#!/bin/sh
# Runs one libFuzzer target for a few seconds on a scratch copy of its seed
# corpus and prints its speed.  A crash fails the run.
set -eu
bin=$1 secs=$2
name=$(basename "$bin")
seeds=fixtures/corpora/$name
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
[ -d "$seeds" ] && cp -r "$seeds"/. "$work"/ 2>/dev/null || true
"$bin" -max_total_time="$secs" -print_final_stats=1 "$work" >"$work.log" 2>&1 || { tail -40 "$work.log"; exit 1; }
execs=$(grep -E 'stat::number_of_executed_units' "$work.log" | awk '{print $2}')
echo "fuzz $name: $execs runs in ${secs}s ($((execs / secs)) exec/s on one core)"
rm -f "$work.log"
