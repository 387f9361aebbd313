#!/bin/sh
# seeds.sh BUILD — `make fuzz-seeds`: records the requests our own
# frontends send (blkfront through tar-cat and blk-verify, netfront
# through net-blast) on the simulator, with blkback and netback recording
# (--backend-opt / --netback-opt record=DIR), into $BUILD/fuzz-seeds/,
# then merges what adds coverage into fixtures/corpora/ with libFuzzer's
# -merge=1 (build-fuzz/ holds the targets: make fuzz-build).
#
# Guests run across the backends' and frontends' options (persistent
# grants, grant copy, 4 KiB sectors, no indirect descriptors, ring
# orders, scatter-gather off), since each gives requests of other shapes.
# Ends with one line per target:
#   fuzz-seeds: fuzz_blkback_req: N recorded, M added to fixtures/corpora/fuzz_blkback_req
set -eu
build=${1:-build}
sb="$build/bin/splitbed"
out="$build/fuzz-seeds"
rm -rf "$out"
mkdir -p "$out"
sim=$(mktemp -d)
trap '"$sb" hv stop --dir "$sim" >/dev/null 2>&1 || true; rm -rf "$sim"' EXIT
"$sb" hv start --dir "$sim" >/dev/null

run() {
  if ! timeout 120 "$sb" run -q --dir "$sim" "$@" >"$sim/out" 2>"$sim/err"; then
    echo "fuzz-seeds: splitbed run $*: failed:" >&2
    cat "$sim/err" >&2
    exit 1
  fi
}

blk() { # BACKEND-OPTS -- APP...
  opts=""
  while [ "$1" != "--" ]; do opts="$opts --backend-opt $1"; shift; done
  shift
  dd if=/dev/zero of="$sim/rw.img" bs=1M count=4 2>/dev/null
  # shellcheck disable=SC2086
  run --disk "format=raw, vdev=xvda, access=rw, target=$sim/rw.img" \
      --backend-opt "record=$out" $opts -- "$@"
}

for tar in gnutar-gnu.tar gnutar-sparse-pax-1.0.tar gnutar-long-pax.tar; do
  run --disk "fixtures/tar/$tar" --backend-opt "record=$out" -- tar-ls
done
run --disk fixtures/tar/gnutar-gnu.tar --backend-opt "record=$out" -- tar-cat ./dir/binary.bin
blk -- blk-verify
blk -- blk-verify --max-ring-order 0 --max-indirect 0
blk -- blk-verify --no-persistent
blk persistent=0 -- blk-verify
blk grant-copy=1 -- blk-verify
blk persistent-map=op -- blk-verify
blk sector-size=4096 -- blk-verify
blk max-indirect-segments=0 -- blk-verify
blk strict=0 discard=0 flush=0 barrier=0 -- blk-verify

net() { # NETBACK-OPTS -- net-blast ARGS...
  opts=""
  while [ "$1" != "--" ]; do opts="$opts --netback-opt $1"; shift; done
  shift
  # shellcheck disable=SC2086
  run --vif "backing=pcap:$sim/out.pcap" --netback-opt "record=$out" $opts -- net-blast "$@"
}
for size in 60 300 1514 4000 9000 65000; do
  net -- --frames 4 --size "$size"
  net -- --frames 4 --size "$size" --udp
  # Without scatter-gather a frame fits one page.
  [ "$size" -gt 4000 ] || net sg=0 -- --frames 4 --size "$size"
done

for t in fuzz_blkback_req fuzz_netback_tx; do
  n=$(find "$out/$t" -type f | wc -l)
  before=$(find "fixtures/corpora/$t" -type f | wc -l)
  if [ -x "build-fuzz/$t" ]; then
    "build-fuzz/$t" -merge=1 "fixtures/corpora/$t" "$out/$t" >"$sim/merge.log" 2>&1 ||
      { cat "$sim/merge.log" >&2; exit 1; }
  else
    echo "fuzz-seeds: build-fuzz/$t missing (make fuzz-build): nothing merged" >&2
  fi
  after=$(find "fixtures/corpora/$t" -type f | wc -l)
  echo "fuzz-seeds: $t: $n recorded, $((after - before)) added to fixtures/corpora/$t"
done
