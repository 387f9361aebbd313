# Sourced by mkinitramfs.sh (its $root, $build, $src and copy_prog): what
# the Qubes scenarios of tests/xen/qubes.sh need in dom0.
#   /guest/vchan-stream.xen, /guest/vchan-peer (Debian's libxenvchan),
#     Debian's vchan-socket-proxy and the stream it sends
#     ($vchan_client_bin)
#   /guest/qubes-hello.xen, /guest/splitbed-guid
#   /qubes/: Qubes' qubesdb-daemon, qubesdb-cmd, qrexec-daemon and
#     qrexec-client with their libraries in /qubes/lib, and `entries`,
#     the QubesDB entries to write ("PATH VALUE" lines) — only when
#     $qubes_out (tests/qubes/build.sh's OUT) and $qubes_entries are set.
cp "$build"/unikernel/vchan-stream.xen "$build"/unikernel/qubes-hello.xen "$root/guest/"
copy_prog "$build"/tests/vchan-peer /guest/vchan-peer
copy_prog /usr/lib/xen-4.17/bin/vchan-socket-proxy /guest/vchan-socket-proxy
[ -z "${vchan_client_bin:-}" ] || cp "$vchan_client_bin" "$root/guest/vchan-client.bin"
copy_prog "$build"/libexec/splitbed/splitbed-guid /guest/splitbed-guid
cp "$src"/tests/xen/qubes.sh "$root/qubes.sh"
if [ -n "${qubes_out:-}" ]; then
  mkdir -p "$root/qubes/lib"
  qdb=$qubes_out/src/qubes-core-qubesdb qrx=$qubes_out/src/qubes-core-qrexec
  cp -L "$qubes_out"/prefix/lib/libvchan-xen.so.1 "$qdb"/client/libqubesdb.so \
    "$qrx"/libqrexec/libqrexec-utils.so.4 "$root/qubes/lib/"
  # Their own libraries go to /qubes/lib, Debian's to where ldd finds them.
  qlib=$qubes_out/prefix/lib:$qdb/client:$qrx/libqrexec
  for p in "$qdb"/daemon/qubesdb-daemon "$qdb"/client/qubesdb-cmd \
           "$qrx"/daemon/qrexec-daemon "$qrx"/daemon/qrexec-client; do
    cp "$p" "$root/qubes/"
    LD_LIBRARY_PATH=$qlib ldd "$p" | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p' | grep -v "^$qubes_out/" |
    while read -r lib; do
      [ -e "$root$lib" ] || { mkdir -p "$root$(dirname "$lib")" && cp -L "$lib" "$root$lib"; }
    done
  done
  cp "$qubes_entries" "$root/qubes/entries"
fi
