#!/bin/sh
# Runs Check test binaries one after another and adds up their summaries.
# Each binary prints Check's own "N%: Checks: N, Failures: N, Errors: N"
# line; this script ends with one plain total line and exits non-zero if
# any binary failed or died.
build=$1; shift
export SPLITBED_BUILD="$build"
total=0 failed=0 status=0
for t in "$@"; do
  echo "== $t"
  out=$(mktemp)
  "$t" >"$out" 2>&1
  rc=$?
  cat "$out"
  line=$(grep -E '^[0-9]+%: Checks: [0-9]+, Failures: [0-9]+, Errors: [0-9]+' "$out" | tail -1)
  if [ -z "$line" ]; then
    echo "run-checks: $t printed no Check summary" >&2
    failed=$((failed + 1)); status=1
  else
    n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
    f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
    e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
    total=$((total + n)); failed=$((failed + f + e))
    [ $((f + e)) -eq 0 ] || status=1
  fi
  if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
    echo "run-checks: $t exited with status $rc" >&2
    failed=$((failed + 1)); status=1
  fi
  rm -f "$out"
done
echo "splitbed: $((total - failed)) passed, $failed failed"
exit $status
