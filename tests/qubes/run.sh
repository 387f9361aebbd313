#!/bin/bash
# make test-qubes QUBES_SRC=DIR — Qubes OS's own daemons against ours on
# the simulator.
#
# DIR holds Qubes' sources: qubes-core-vchan-xen, qubes-core-qubesdb and
# qubes-core-qrexec, as .tar.gz archives or unpacked folders.  They are
# built out of tree under $BUILD/qubes/ against Debian's Xen libraries
# (libvchan-xen reaches the simulator through our drop-in libxencall),
# then each pairing runs through `splitbed exec` in a private mount
# namespace with its own /run and /var/log (Qubes' programs use
# /run/qubes and /var/log/qubes), so the machine's own are never
# touched.  Needs root for that namespace.
#
# One line per pairing, "PASS name" or "FAIL name: what went wrong", and
# a total; exit 1 if any failed.
set -u
build=${BUILD:-build}
src=${QUBES_SRC:-}
if [ -z "$src" ]; then
  echo "test-qubes: no QUBES_SRC given (a folder with Qubes' qubes-core-{vchan-xen,qubesdb,qrexec}); nothing to run"
  exit 0
fi
if [ "$(id -u)" != 0 ]; then
  echo "test-qubes: needs root, for a private mount namespace over /run and /var/log" >&2
  exit 1
fi
top=$(pwd)
sb=$top/$build/bin/splitbed
out=$top/$build/qubes
mkdir -p "$out"

# ---- building Qubes' programs ------------------------------------------------
bash "$top/tests/qubes/build.sh" "$src" "$out" || exit 1
p=$out/prefix
QDB=$out/src/qubes-core-qubesdb
QRX=$out/src/qubes-core-qrexec
QLIB=$p/lib:$QDB/client:$QRX/libqrexec
echo "test-qubes: built Qubes' libvchan-xen, qubesdb and qrexec under $out"

# ---- one pairing ------------------------------------------------------------------
pass=0
fail=0
# Runs "$@" as a process of domain $1 with Qubes' libraries found too.
in_dom() {
  local d=$1
  shift
  "$sb" exec --dir "$dir" --domain "$d" -- \
    /usr/bin/env "QUBES_LIB=$QLIB" /bin/sh -c 'LD_LIBRARY_PATH=$LD_LIBRARY_PATH:$QUBES_LIB exec "$@"' sh "$@"
}
# Reads lines of fd 3 until one equals $1 (30 s at most); fails otherwise.
await_line() {
  local line
  while IFS= read -r -t 30 line <&3; do
    [ "$line" = "$1" ] && return 0
    seen="$seen|$line"
  done
  return 1
}
# pairing NAME FUNCTION: runs FUNCTION in a fresh simulator inside a
# private mount namespace; its stdout's last line is the verdict.
pairing() {
  local name=$1 fn=$2 verdict
  verdict=$(unshare -m --propagation private /bin/bash -c '
      mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/log &&
      mkdir -p /run/qubes /run/qubes-rpc /var/log/qubes || exit 1
      source "$0"
      dir=$(mktemp -d /tmp/splitbed-qubes-XXXXXX)
      "$sb" hv start --dir "$dir" >/dev/null || { echo "cannot start a simulator"; exit 1; }
      "$1"
      rc=$?
      "$sb" hv stop --dir "$dir" >/dev/null 2>&1
      for pid in $(jobs -p); do kill "$pid" 2>/dev/null; done
      rm -rf "$dir"
      exit $rc' "$top/tests/qubes/pairings.sh" "$fn" 2>"$out/$fn.err")
  local rc=$?
  if [ $rc = 0 ]; then
    echo "PASS $name"
    pass=$((pass + 1))
  else
    echo "FAIL $name: ${verdict:-no verdict} (stderr in $out/$fn.err)"
    fail=$((fail + 1))
  fi
}
export sb QLIB QDB QRX out
export -f in_dom await_line

pairing "Qubes qubesdb-daemon (dom0) <-> our QubesDB client" qdb_theirs_dom0
pairing "our splitbed-qubesdb <-> Qubes qubesdb-daemon (VM) + qubesdb-read" qdb_ours_dom0
pairing "Qubes qubesdb-daemon (dom0) <-> Qubes qubesdb-daemon (VM)" qdb_theirs_both
pairing "Qubes qrexec-daemon + qrexec-client <-> our qrexec agent" qrexec_theirs_dom0
pairing "our splitbed-qrexec <-> Qubes qrexec-agent" qrexec_ours_dom0
pairing "our splitbed-qrexec <-> Qubes qrexec-agent + qrexec-client-vm (VM's own calls)" \
  qrexec_ours_dom0_vm_calls
pairing "Qubes qrexec-daemon <-> Qubes qrexec-agent" qrexec_theirs_both
echo "test-qubes: $pass passed, $fail failed"
[ $fail = 0 ]
