#!/bin/sh
# Runs Check test binaries one after another and adds up their summaries.
# Each binary prints Check's own "N%: Checks: N, Failures: N, Errors: N"
# line; this script ends with one plain total line and exits non-zero if
# any binary failed or died.  Each binary also writes Check's XML report
# (CK_XML_LOG_FILE_NAME), turned into JUnit XML for CI systems at
# $build/test-results/NAME.xml.  A test that could not run here printed
# "splitbed-skip: FILE:LINE: REASON" (tests/lib/skip.h): Check counted it
# as a pass, this script counts it as skipped instead and lists the
# reasons, and the JUnit XML marks it <skipped>.
#
# The binaries get a folder of this run's own as TMPDIR: their scratch
# trees (tests/lib/scratch.h) are made there.  The run ends with
# tests/leftovers.py, which fails it if anything is left in that folder
# or still runs from it, once every scratch reaper is done
# (SPLITBED_SCRATCH_LOCK).
build=$1; shift
here=$(dirname "$0")
export SPLITBED_BUILD="$build"
mkdir -p "$build/test-results"
total=0 failed=0 skipped=0 status=0
reasons=$(mktemp)
shm_before=$(mktemp)
tmp0=${TMPDIR:-/tmp}
ls -A /dev/shm >"$shm_before" 2>/dev/null
run=$(mktemp -d "$tmp0/sbrun-XXXXXX")
export TMPDIR="$run" SPLITBED_SCRATCH_LOCK="$run/.reapers"
for t in "$@"; do
  echo "== $t"
  out=$(TMPDIR=$tmp0 mktemp)
  name=$(basename "$t")
  CK_XML_LOG_FILE_NAME="$build/test-results/$name.check.xml" "$t" >"$out" 2>&1
  rc=$?
  if [ -s "$build/test-results/$name.check.xml" ]; then
    python3 "$here/check-to-junit.py" "$build/test-results/$name.check.xml" \
      "$build/test-results/$name.xml" "$name" "$out" || status=1
    rm -f "$build/test-results/$name.check.xml"
  fi
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
    s=$(grep -c '^splitbed-skip: ' "$out")
    skipped=$((skipped + s))
    grep '^splitbed-skip: ' "$out" |
      sed -E "s|^splitbed-skip: [^:]*:[0-9]+: |$name: |" >>"$reasons"
    [ $((f + e)) -eq 0 ] || status=1
  fi
  if [ "$rc" -ne 0 ] && [ "$status" -eq 0 ]; then
    echo "run-checks: $t exited with status $rc" >&2
    failed=$((failed + 1)); status=1
  fi
  rm -f "$out"
done
sort "$reasons" | uniq -c | sed 's/^ *\([0-9]*\) /skipped \1: /'
rm -f "$reasons"
# Every reaper holds the lock shared until its tree is gone.
flock -x "$SPLITBED_SCRATCH_LOCK" true 2>/dev/null
env -u TMPDIR python3 "$here/leftovers.py" "$run" "$shm_before" || status=1
rm -rf "$run" "$shm_before"
echo "splitbed: $((total - failed - skipped)) passed, $failed failed, $skipped skipped"
exit $status
