#!/bin/sh
# make fuzz ENGINE=afl: runs one target, built with AFL++'s afl-clang-fast
# and its libFuzzer driver, under afl-fuzz for a few seconds from its seed
# corpus, and prints its speed.  A crash fails the run (the crashing
# inputs stay in the printed folder).
set -eu
bin=$1 secs=$2
name=$(basename "$bin")
out=$(mktemp -d)
dict=
[ -f "tests/fuzz/$name.dict" ] && dict="-x tests/fuzz/$name.dict"
# No UI, no CPU binding (the machine is shared), no frequency check; a
# core_pattern that pipes to a crash handler only delays crash reports.
# shellcheck disable=SC2086
AFL_NO_UI=1 AFL_NO_AFFINITY=1 AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 \
  afl-fuzz -V "$secs" -m none -t 10000 $dict -i "fixtures/corpora/$name" -o "$out" -- "$bin" \
  >"$out/log" 2>&1 || { tail -20 "$out/log"; echo "fuzz $name (afl++): afl-fuzz failed ($out)"; exit 1; }
stats=$out/default/fuzzer_stats
execs=$(awk -F': *' '$1 ~ /^execs_done/ {print $2}' "$stats")
crashes=$(awk -F': *' '$1 ~ /^saved_crashes/ {print $2}' "$stats")
echo "fuzz $name (afl++): $execs runs in ${secs}s ($((execs / secs)) exec/s wall, one core), $crashes crashes"
if [ "$crashes" -ne 0 ]; then
  echo "fuzz $name (afl++): crashing inputs in $out/default/crashes/"
  exit 1
fi
rm -rf "$out"
