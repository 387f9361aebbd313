#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build: every fuzz target the Makefile lists
# (make fuzz-list), compiled with the engine's $CC/$CFLAGS, linked with
# $CXX $CXXFLAGS $LIB_FUZZING_ENGINE into $OUT/NAME, with beside it
#   NAME_seed_corpus.zip   fixtures/corpora/NAME
#   NAME.dict              tests/fuzz/NAME.dict, when there is one
#   NAME.options           the dictionary, and max_len: 4096 or the largest
#                          seed, whichever is more, so that no seed is cut
# Runs from the source tree ($SRC/splitbed in the image, or the current
# directory when SRC has no splitbed).
src=$SRC/splitbed
[ -f "$src/Makefile" ] || src=$(pwd)
cd "$src"
work=${WORK:-$(mktemp -d)}/splitbed
mkdir -p "$work" "$OUT"

list=$(make -s --no-print-directory fuzz-list)
while read -r name rest; do
  srcs=${rest%%|*}
  libs=${rest#*|}
  objs=
  mkdir -p "$work/$name"
  for s in $srcs; do
    o=$work/$name/$(echo "$s" | tr / _).o
    # The same defines as make fuzz; no -Werror: the engine's flags are
    # not ours to vouch for.
    $CC $CFLAGS -std=gnu11 -D_GNU_SOURCE -DSPLITBED_FUZZ -I. -Ifrontends -c "$s" -o "$o"
    objs="$objs $o"
  done
  # shellcheck disable=SC2086
  $CXX $CXXFLAGS $objs $LIB_FUZZING_ENGINE $libs -o "$OUT/$name"

  rm -f "$OUT/${name}_seed_corpus.zip"
  if [ -d "fixtures/corpora/$name" ]; then
    (cd "fixtures/corpora/$name" && zip -q -r -X "$OUT/${name}_seed_corpus.zip" .)
  fi
  {
    echo "[libfuzzer]"
    if [ -f "tests/fuzz/$name.dict" ]; then
      cp "tests/fuzz/$name.dict" "$OUT/$name.dict"
      echo "dict = $name.dict"
    fi
    # libFuzzer cuts every input, seeds included, to max_len.
    max_len=4096
    if [ -d "fixtures/corpora/$name" ]; then
      big=$(find "fixtures/corpora/$name" -type f -printf '%s\n' | sort -n | tail -n 1)
      [ -n "$big" ] && [ "$big" -gt "$max_len" ] && max_len=$big
    fi
    echo "max_len = $max_len"
  } >"$OUT/$name.options"
done <<<"$list"
