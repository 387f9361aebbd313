#!/bin/sh
# make coverage: replays every fuzz target's corpus through a build with
# clang's source-based coverage, writes the HTML report and the lines
# never reached, each under its reason (tests/fuzz/coverage-reasons.txt),
# under build/coverage/, and ends with one line giving
# the lines and branches reached in the ring and negotiation code (the
# files matched by RING_CODE below, each named in the report).
#
# Usage: coverage.sh BINDIR TARGET...   (BINDIR holds the coverage builds)
set -eu
bindir=$1
shift
out=build/coverage
rm -rf "$out"
mkdir -p "$out/prof"

# The code a hostile peer's bytes reach: frontends' rings and handshakes,
# the backends' request and queue cores and their xenbus sides, the
# xenstore dispatch and the tar reader.
RING_CODE='frontends/blkfront[^/]*\.c frontends/netfront\.c frontends/xenbus\.c
frontends/vchan[^/]*\.c frontends/tar[^/]*\.c backends-sim/blkback/ring\.c
backends-sim/blkback/vbd\.c backends-sim/netback/nb_queue\.c backends-sim/netback/nb_vif\.c
backends-sim/xenstored/xs[a-z]*_dispatch\.c'

objs=
for t in "$@"; do
  corpus=fixtures/corpora/$t
  [ -d "$corpus" ] || { echo "coverage: $t: no corpus at $corpus" >&2; exit 1; }
  # -runs=0: run every input of the corpus once, no mutation.
  LLVM_PROFILE_FILE="$out/prof/$t.profraw" "$bindir/$t" -runs=0 "$corpus" \
    >"$out/prof/$t.log" 2>&1 || { tail -20 "$out/prof/$t.log"; echo "coverage: $t failed on its corpus" >&2; exit 1; }
  # llvm-cov takes the first binary bare, the others after -object.
  if [ -z "$objs" ]; then objs=$bindir/$t; else objs="$objs -object $bindir/$t"; fi
done
llvm-profdata merge -sparse "$out"/prof/*.profraw -o "$out/all.profdata"

# Source files of the ring and negotiation code that any target built.
files=$(llvm-cov report -instr-profile="$out/all.profdata" $objs 2>/dev/null |
  awk '{print $1}' | grep -E "^($(echo $RING_CODE | tr ' ' '|'))$" | sort -u)
[ -n "$files" ] || { echo "coverage: no ring or negotiation code in the builds" >&2; exit 1; }

llvm-cov show -format=html -output-dir="$out/html" -show-branches=count \
  -instr-profile="$out/all.profdata" $objs $files >/dev/null
llvm-cov report -show-branch-summary -instr-profile="$out/all.profdata" $objs $files \
  >"$out/report.txt"
# Every line with code that no input reached, as FILE:LINE: text.
llvm-cov show -format=text -instr-profile="$out/all.profdata" $objs $files |
  awk -v top="$(pwd)/" '/^\/.*:$/ || /^[a-z].*\.c:$/ {f=$0; sub(/:$/, "", f);
         if (index(f, top) == 1) f = substr(f, length(top) + 1); next}
       match($0, /^ *[0-9]+\| *0\|/) {n=$0; sub(/^ */, "", n); split(n, a, "|");
         t=$0; sub(/^[^|]*\|[^|]*\|/, "", t); print f ":" a[1] ":" t}' >"$out/unreached-lines.txt"
# The same lines grouped under the reason tests/fuzz/coverage-reasons.txt
# gives for each (unreachable by construction, or a target to add); the
# rest under "no reason yet", counted in the file's last line.
awk -f tests/fuzz/unreached.awk tests/fuzz/coverage-reasons.txt "$out/unreached-lines.txt" \
  >"$out/unreached.txt"

cat "$out/report.txt"
echo "coverage: files: $(echo $files | tr '\n' ' ')"
echo "coverage: HTML in $out/html/index.html, lines never reached in $out/unreached.txt"
echo "coverage: $(tail -1 "$out/unreached.txt")"
awk '$1 == "TOTAL" {
  # Columns: regions, missed, %, functions, missed, %, lines, missed, %, branches, missed, %
  printf "coverage: ring and negotiation code: %s lines, %s branches\n", $10, $13 }' "$out/report.txt"
