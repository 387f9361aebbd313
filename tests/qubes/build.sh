#!/bin/bash
# build.sh SRC OUT — builds Qubes OS's own libvchan-xen, qubesdb and qrexec
# (the C parts) from SRC out of tree under OUT, against Debian's Xen
# libraries.  SRC holds qubes-core-vchan-xen, qubes-core-qubesdb and
# qubes-core-qrexec, as .tar.gz archives or unpacked folders.
#
# Results: OUT/prefix/lib/libvchan-xen.so*, OUT/src/qubes-core-qubesdb/
# {daemon/qubesdb-daemon,client/qubesdb-cmd,client/libqubesdb.so} and
# OUT/src/qubes-core-qrexec/{daemon/qrexec-daemon,daemon/qrexec-client,
# agent/qrexec-agent,libqrexec/libqrexec-utils.so*}.  Each step's output
# is in OUT/STEP.log; a failing step prints its last lines and exit 1.
set -u
src=$1 out=$2
mkdir -p "$out"
out=$(cd "$out" && pwd)
fetch() { # name: the unpacked tree in $out/src/name
  rm -rf "$out/src/$1"
  mkdir -p "$out/src"
  if [ -f "$src/$1.tar.gz" ]; then
    tar -xzf "$src/$1.tar.gz" -C "$out/src" || return 1
  elif [ -d "$src/$1" ]; then
    cp -a "$src/$1" "$out/src/$1" || return 1
  else
    echo "qubes build: $src has no $1 (.tar.gz or folder)" >&2
    return 1
  fi
}
step() { # log-name command…
  local log=$out/$1.log
  shift
  if ! "$@" >"$log" 2>&1; then
    echo "qubes build: failed: $* (last lines of $log follow)" >&2
    tail -5 "$log" >&2
    exit 1
  fi
}
p=$out/prefix
for n in qubes-core-vchan-xen qubes-core-qubesdb qubes-core-qrexec; do
  fetch $n || exit 1
done
export PKG_CONFIG_PATH=$p/lib/pkgconfig
step vchan make -C "$out/src/qubes-core-vchan-xen/vchan" -f Makefile.linux PREFIX="$p" \
  LIBDIR="$p/lib" INCLUDEDIR="$p/include" install
step qubesdb-daemon make -C "$out/src/qubes-core-qubesdb/daemon" SYSTEMD=0
step qubesdb-client make -C "$out/src/qubes-core-qubesdb/client" LDFLAGS=
step libqrexec make -C "$out/src/qubes-core-qrexec/libqrexec" BACKEND_VMM=xen
step qrexec-daemon make -C "$out/src/qubes-core-qrexec/daemon" BACKEND_VMM=xen
step qrexec-agent make -C "$out/src/qubes-core-qrexec/agent" BACKEND_VMM=xen qrexec-agent
step qrexec-client-vm make -C "$out/src/qubes-core-qrexec/agent" BACKEND_VMM=xen qrexec-client-vm
