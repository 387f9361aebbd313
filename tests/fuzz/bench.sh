#!/bin/sh
# make fuzz-bench: a ground truth of bugs a fuzzer should find, in the
# spirit of the Magma benchmark.  Each bug below is injected behind a
# build flag (SPLITBED_BUG_*, in the code it breaks) or, for the seeded
# world, a runtime switch (SPLITBED_FUZZ_BUG); each variant is built
# with the fuzz flags and its target fuzzed from the checked-in corpus on
# one core for at most BUDGET seconds.  A bug counts as found when the
# target stops on a crash whose report names it (a pattern below: the
# file or function the fault is in, or the line of the invariant it
# breaks).  The fuzzer starts from the checked-in corpus, as a campaign
# does; the time counts from the start of the fuzzer to its crash report.
#
# Usage: bench.sh BUDGET_SECONDS [BUG...]      (default: every bug)
set -eu
budget=${1:-60}
shift || true
out=build-fuzz/bench
mkdir -p "$out"

# name | target | build flag or env NAME=VALUE | pattern naming the bug | what it is
BUGS='blkfront-rsp-id|fuzz_blkfront_rsp|-DSPLITBED_BUG_BLKFRONT_RSP_ID|blkfront_ring.c|blkfront indexes its slots with a response id it did not check (XSA-396 family)
blkfront-rsp-dup|fuzz_blkfront_rsp|-DSPLITBED_BUG_BLKFRONT_RSP_DUP|blkfront_ring.c|blkfront completes a response whose id is not outstanding (XSA-396 family)
ring-order|fuzz_blkfront_rsp|-DSPLITBED_BUG_RING_ORDER|in bf_setup|blkfront takes the backend ring order past its own limit and sizes the ring beyond its slots
netfront-rx-id|fuzz_netfront_rx|-DSPLITBED_BUG_NETFRONT_RX_ID|in rx_take|netfront finds an rx buffer by the id in the response (XSA-396 family)
netback-18-slots|fuzz_netback_tx|-DSPLITBED_BUG_NETBACK_SLOTS|in nb_queue_|netback takes a tx frame of more slots than its array holds (the 18-slot rule)
blkback-direct-segs|fuzz_blkback_req|-DSPLITBED_BUG_BLKBACK_DIRECT_SEGS|in do_direct|blkback trusts nr_segments of a direct request
blkback-indirect-segs|fuzz_blkback_req|-DSPLITBED_BUG_BLKBACK_INDIRECT_SEGS|in do_indirect|blkback trusts nr_segments of an indirect request
blkback-stale-rsp|fuzz_blkback_req|-DSPLITBED_BUG_BLKBACK_RSP_STALE|XSA-216|blkback leaves stale bytes in a response padding (XSA-216)
xs-quota|fuzz_xs_wire|-DSPLITBED_BUG_XS_QUOTA|past its node quota|xenstored skips the node quota when a guest creates nodes
xs-rm-perms|fuzz_xs_wire|-DSPLITBED_BUG_XS_RM_PERMS|removed nodes of dom0|xenstored skips the permission check of XS_RM
blkback-double-fetch|fuzz_blkback_race|-DSPLITBED_BUG_BLKBACK_DOUBLE_FETCH|blkback/ring.c|blkback serves a request in the shared ring and reads its count twice (XSA-155)
tar-base256-size|fuzz_tarfs|-DSPLITBED_BUG_TAR_BASE256|tarfs_header.c|the tar reader overflows a long base-256 number field (size, mtime)
seed-unaligned-buffer|fuzz_tarfs_blkdev|-DBLKDEV_BYTES_SEED_BUG|not the first byte of a page|the tar reader hands blkfront a buffer that does not start a page (the seed)
net-eof-spin|fuzz_net_backing|-DSPLITBED_BUG_NET_EOF_SPIN|spin at end of input|netback takes the end of an fd: input for "no frame now" and spins (the seed)
qrexec-terminated-port|fuzz_qrexec_daemon|-DSPLITBED_BUG_QREXEC_TERMINATED_PORT|qrexec_vm.c|the dom0 qrexec daemon frees the data port named in a CONNECTION_TERMINATED from the VM without a range check
qubesdb-value-nul|fuzz_qubesdb_daemon|-DSPLITBED_BUG_QDB_VALUE_NUL|the store holds a value|the dom0 QubesDB stores a write from the VM without checking its value (a NUL inside, QubesDB refuses)
world-dup-response|fuzz_interleave_blk|SPLITBED_FUZZ_BUG=dup-response|invariant|blkback answers a request twice (seeded world)
world-readonly-grant|fuzz_interleave_blk|SPLITBED_FUZZ_BUG=readonly-grant|invariant|blkfront grants its data pages read-only (seeded world)
world-net-lost-frame|fuzz_interleave_net|SPLITBED_FUZZ_BUG=net-lost-frame|invariant|netback loses a frame the guest sent without counting it (net world)'

only=" $* "
list=$(make -s --no-print-directory fuzz-list)
rm -f "$out/results"
printf '%-22s %-20s %8s  %s\n' bug target found-in what
echo "$BUGS" | while IFS='|' read -r name target how pattern what; do
  case "$only" in "  ") ;; *" $name "*) ;; *) continue ;; esac
  srcs=$(echo "$list" | awk -v t="$target" '$1 == t {sub(/^[^ ]+ /, ""); sub(/\|.*/, ""); print}')
  libs=$(echo "$list" | awk -v t="$target" '$1 == t {sub(/.*\| ?/, ""); print}')
  bin=$out/$target-$name
  env=
  case "$how" in
    -D*)
      # shellcheck disable=SC2086
      clang -std=gnu11 -O1 -g -D_GNU_SOURCE -DSPLITBED_FUZZ "$how" \
        -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
        -fsanitize-coverage-ignorelist=tests/fuzz/scaffolding.ignore -I. -Ifrontends \
        $srcs -o "$bin" $libs ;;
    *)
      env=$how
      [ -x "build-fuzz/$target" ] || make -s "build-fuzz/$target"
      bin=build-fuzz/$target ;;
  esac
  work=$(mktemp -d)
  cp -r "fixtures/corpora/$target/." "$work/"
  dict=
  [ -f "tests/fuzz/$target.dict" ] && dict=-dict=tests/fuzz/$target.dict
  start=$(date +%s.%N)
  # shellcheck disable=SC2086
  env $env "$bin" -max_total_time="$budget" -timeout=10 -seed=1 $dict \
    -artifact_prefix="$out/$name-" "$work" >"$out/$name.log" 2>&1 || true
  end=$(date +%s.%N)
  rm -rf "$work"
  secs=$(echo "$start $end" | awk '{printf "%.1f", $2 - $1}')
  if grep -q '^==[0-9]*==ERROR\|^SUMMARY\|deadly signal' "$out/$name.log" &&
     grep -q -- "$pattern" "$out/$name.log"; then
    printf '%-22s %-20s %7ss  %s\n' "$name" "$target" "$secs" "$what"
    echo "found $secs" >>"$out/results"
  else
    printf '%-22s %-20s %8s  %s\n' "$name" "$target" "no" "$what"
    echo "missed $secs" >>"$out/results"
  fi
done

m=$(wc -l <"$out/results")
n=$(grep -c '^found' "$out/results" || true)
median=$(grep '^found' "$out/results" | awk '{print $2}' | sort -n |
  awk '{v[NR] = $1} END {if (NR == 0) print "-"; else if (NR % 2) print v[(NR + 1) / 2];
       else printf "%.1f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2}')
echo "fuzz-bench: $n of $m injected bugs found, median time to find $median s"
