# The host's part of the Qubes scenarios of `make test-xen`, sourced by
# tests/xen/run.sh (its $build, $work, want, die and report):
# qubes_prepare runs them on the simulator and builds Qubes' programs
# before dom0's initramfs is made; qubes_report compares the simulator's
# results with what dom0 logged (tests/xen/qubes.sh).

# The seed's log: the lines of the Qubes handshakes, blkfront's, the
# QubesDB listing and the file; not the backends' or the unikernel's own.
# blkfront's "flush" is left out: Linux blkback (Qubes' dom0 backend)
# offers no flush on a read-only loop device, splitbed-blkback does.
qubes_seed_lines() {
  grep -E '^\[(qubes\.[a-z]+|blkfront)\] |^\[unikernel\] QubesDB =$|^	/|^hello world!$' |
    sed '/^\[blkfront\] .* sectors of /s/, flush,/,/'
}

# qubes_vchan_sim ROLE: vchan-stream ROLE in domain 1 against vchan-peer
# (Debian's libxenvchan over the simulator) in dom0; the stream's line.
qubes_vchan_sim() {
  d=$(mktemp -d "$work/vchan-XXXXXX")
  sb=$build/bin/splitbed
  "$sb" hv start --dir "$d" >/dev/null && "$sb" exec --dir "$d" --domain 1 -- true || return 1
  : >"$d/peer" && : >"$d/uk"
  if [ "$1" = client ]; then
    p=/local/domain/0/data/splitbed-vchan
    VCHAN_PEER_BYTES=$VCHAN_BYTES timeout 60 "$sb" exec --dir "$d" --domain 0 -- \
      "$build/tests/vchan-peer" server 1 $p >"$d/peer" 2>&1 &
    i=0
    while ! grep -q ready "$d/peer" && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
    timeout 60 "$sb" exec --dir "$d" --domain 1 -- "$build/libexec/splitbed/vchan-stream" \
      client 0 $p --bytes $VCHAN_BYTES
  else
    p=/splitbed-vchan
    "$sb" exec --dir "$d" --domain 0 -- sh -c "xenstore-write $p '' && xenstore-chmod $p n1"
    timeout 60 "$sb" exec --dir "$d" --domain 1 -- "$build/libexec/splitbed/vchan-stream" \
      server 0 $p --bytes $VCHAN_BYTES >"$d/uk" 2>&1 &
    i=0
    while ! grep -q ready "$d/uk" && [ $i -lt 100 ]; do i=$((i + 1)); sleep 0.1; done
    VCHAN_PEER_BYTES=$VCHAN_BYTES timeout 60 "$sb" exec --dir "$d" --domain 0 -- \
      "$build/tests/vchan-peer" client 1 $p >/dev/null
    wait
    cat "$d/uk"
  fi
  wait
  "$sb" hv stop --dir "$d" >/dev/null 2>&1
}

# vchan_stream SEED: the bytes vchan-stream's side with SEED sends (the
# client's is c1c1c1c1, the server's 5e5e5e5e).
vchan_stream() {
  python3 -c '
import sys
seed, n = int(sys.argv[1], 16), int(sys.argv[2])
out = bytearray(n)
for i in range(n):
    x = (((i + 1) * 2654435761) & 0xffffffff) ^ seed
    x ^= x >> 15
    out[i] = (((x * 2246822519) & 0xffffffff) >> 13) & 0xff
sys.stdout.buffer.write(out)' "$1" $VCHAN_BYTES
}

VCHAN_BYTES=1048576
qubes_prepare() {
  vchan_client_bin=
  if want vchan; then
    # What dom0's vchan-socket-proxy sends, and the MD5 it must receive.
    vchan_stream c1c1c1c1 > "$work/vchan-client.bin" && vchan_client_bin=$work/vchan-client.bin
    vchan_server_md5=$(vchan_stream 5e5e5e5e | md5sum | cut -d' ' -f1)
    sim_vchan_client=$(qubes_vchan_sim client | grep '^sent') || true
    sim_vchan_server=$(qubes_vchan_sim server | grep '^sent') || true
    [ -n "$sim_vchan_client" ] && [ -n "$sim_vchan_server" ] ||
      die "vchan-stream against vchan-peer on the simulator failed"
  fi
  export vchan_client_bin
  qubes_out= qubes_entries=
  want qubes-hello || return 0
  if [ -z "${QUBES_SRC:-}" ]; then
    echo "test-xen: scenario qubes-hello skipped: no QUBES_SRC (Qubes' sources) given"
    return 0
  fi
  bash tests/qubes/build.sh "$QUBES_SRC" "$build/qubes" || die "building Qubes' programs failed"
  qubes_out=$(cd "$build/qubes" && pwd)
  timeout 120 "$build/bin/splitbed" run --config fixtures/scenarios/qubes-hello.cfg \
    -- qubes-hello hello.txt >"$work/qubes-sim.out" 2>"$work/qubes-sim.err" ||
    { cat "$work/qubes-sim.err" >&2; die "qubes-hello on the simulator failed"; }
  { qubes_seed_lines < "$work/qubes-sim.err"; cat "$work/qubes-sim.out"; } > "$work/qubes-sim.seed"
  # dom0 writes the entries the simulator's QubesDB served, with Qubes'
  # own qubesdb-daemon: "PATH VALUE" lines.
  sed -n 's/^	\(\/[^ ]*\) = \(.*\)$/\1 \2/p; s/^	\(\/[^ ]*\) =$/\1/p' "$work/qubes-sim.err" \
    > "$work/qubes.entries"
  qubes_entries=$work/qubes.entries
}

qubes_report() {
  if want vchan; then
    for role in client server; do
      console vchan-$role >/dev/null
      st=$(status_of vchan-$role)
      uk=$(grep '^sent' "$work/vchan-$role.console" | head -1)
      peer=$(sed -n "s/^@@ vchan-peer $role \(sent .*\)/\1/p" "$work/serial.txt" | head -1)
      prc=$(sed -n "s/^@@ vchan-peer-rc $role //p" "$work/serial.txt" | head -1)
      eval sim=\$sim_vchan_$role
      # The two ends' lines are each other's, sent and received swapped.
      swapped=$(echo "$peer" | sed 's/sent \(.*\) recv \(.*\)/sent \2 recv \1/')
      if [ "$role" = client ]; then
        what="vchan-stream.xen client, vchan-peer (libxenvchan) server in dom0, 1 MiB each way"
        detail="simulator: \"$sim\" | xen: \"$uk\" (exit ${st:-none}); dom0's vchan-peer: \"$peer\" (exit ${prc:-none})"
        dom0_ok=0
        [ "$swapped" = "$uk" ] && dom0_ok=1
      else
        md5=$(sed -n 's/^@@ vchan-proxy-md5 //p' "$work/serial.txt" | head -1)
        what="vchan-stream.xen server, Debian's vchan-socket-proxy client in dom0, 1 MiB each way"
        detail="simulator: \"$sim\" | xen: \"$uk\" (exit ${st:-none}); dom0's vchan-socket-proxy received md5 ${md5:-none}, want $vchan_server_md5 (exit ${prc:-none})"
        dom0_ok=0
        [ "$md5" = "$vchan_server_md5" ] && dom0_ok=1
      fi
      if [ "$st" = 0 ] && [ "$prc" = 0 ] && [ "$uk" = "$sim" ] && [ "$dom0_ok" = 1 ]; then
        report "$what" PASS "$detail"
      else
        report "$what" FAIL "$detail"
        sed 's/^/    | /' "$work/vchan-$role.console" | tail -20
      fi
    done
  fi
  [ -n "$qubes_out" ] || return 0
  console qubes-hello >/dev/null
  st=$(status_of qubes-hello)
  # The VM's log up to the file, as the simulator's.
  sed '/^hello world!$/q' "$work/qubes-hello.console" | qubes_seed_lines > "$work/qubes-xen.seed"
  what="qubes-hello.xen, Qubes' qubesdb-daemon and qrexec-daemon in dom0"
  if [ "$st" = 0 ] && cmp -s "$work/qubes-sim.seed" "$work/qubes-xen.seed"; then
    report "$what" PASS "the seed's log, $(wc -l < "$work/qubes-xen.seed") lines, as on the simulator"
    sed 's/^/    | /' "$work/qubes-xen.seed"
  else
    report "$what" FAIL "exit ${st:-none}; the simulator's log (-) against Xen's (+):"
    diff -u "$work/qubes-sim.seed" "$work/qubes-xen.seed" | tail -n +3 | sed 's/^/    | /'
    sed 's/^/    | /' "$work/qubes-hello.console" | tail -30
    grep '^@@ \(qubesdb-daemon\|qrexec-daemon\|guid\):' "$work/serial.txt" | sed 's/^/    | /'
  fi
  crc=$(sed -n 's/^@@ qrexec-cat-rc //p' "$work/serial.txt")
  cat_out=$(sed -n 's/^@@ qrexec-cat //p' "$work/serial.txt")
  erc=$(sed -n 's/^@@ qrexec-echo-rc //p' "$work/serial.txt")
  md5=$(sed -n 's/^@@ qrexec-echo-md5 //p' "$work/serial.txt")
  what="Qubes' qrexec-client in dom0 -> qubes-hello.xen services"
  detail="splitbed.TarCat+hello.txt: \"$cat_out\" (exit ${crc:-none}); splitbed.Echo of 108894 bytes: md5 ${md5:-none} (exit ${erc:-none})"
  if [ "$crc" = 0 ] && [ "$cat_out" = "$(cat "$work/qubes-sim.out")" ] && [ "$erc" = 0 ] &&
     [ -n "$md5" ] && [ "${md5% want *}" = "${md5#* want }" ]; then
    report "$what" PASS "$detail"
  else
    report "$what" FAIL "$detail"
    grep '^@@ qrexec-err' "$work/serial.txt" | sed 's/^/    | /'
  fi
}
