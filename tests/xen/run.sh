#!/bin/sh
# run.sh BUILD — `make test-xen`: boots Debian's Xen 4.17 with a Debian
# dom0 inside QEMU (TCG: no KVM needed) and runs the unikernel scenarios
# there, each beside the same scenario on the simulator.
#
#   (tests/xen/qubes-host.sh) vchan-stream.xen against Debian's
#     libxenvchan in dom0, both roles, the second Debian's
#     vchan-socket-proxy ("vchan"); qubes-hello.xen as a
#     Qubes VM with Qubes' own qubesdb-daemon and qrexec-daemon in dom0,
#     built from $QUBES_SRC, skipped without it ("qubes-hello")
#   tar-cat.xen hello.txt, disk served by Linux's in-kernel blkback
#   tar-cat.xen hello.txt, disk served by splitbed-blkback in dom0
#   blk-verify.xen on a 4 MiB writable disk, Linux's in-kernel blkback
#   net-echo.xen answering ping from dom0 over a vif (Linux netback)
#   a Linux domU running our Linux-process tar-cat, blk-verify and
#     net-echo against Linux's blkback and netback
#   a Linux domU reading the disk through Linux's xen-blkfront, served by
#     splitbed-blkback in dom0
#   a Linux domU moving traffic through Linux's xen-netfront, served by
#     splitbed-netback in dom0 on a TAP
#   tar-cat.xen hello.txt from an ordinary xl.cfg with a qdisk disk and
#     splitbed-xen-dm as its device model (docs/real-xen.md)
#   net-echo.xen pinged over a vif that splitbed-xen-dm gives to
#     splitbed-netback (Linux netback unloaded)
#   Linux's xen-blkfront reading and writing qdisk disks of an ordinary
#     xl.cfg, served through splitbed-xen-dm
#
# SPLITBED_XEN_SCENARIOS="linuxnet netecho" runs only those (names:
# tarcat-kernel tarcat-big tarcat-splitbed blkverify netecho linuxours
# linuxfront linuxnet tarcat-qdisk netecho-dm linuxfront-qdisk); all of them
# by default.
#
# Downloads go to $SPLITBED_XEN_CACHE (default ~/.cache/splitbed/xen) once.
# For experiments with the nested setup: SPLITBED_XEN_QEMU_OPTS is added to
# QEMU's options (e.g. "-smp 2"), SPLITBED_XEN_XEN_OPTS to Xen's command
# line (e.g. "sched=null"), SPLITBED_XEN_TIMEOUT (default 900) limits each
# boot, SPLITBED_XEN_STALL (default 180) the seconds without serial output
# after which a boot counts as stalled.
# Every phase prints its time; every wait has a hard limit.
set -eu
build=${1:-build}
rm -f "$build/test-xen.status"
src=$(pwd)
cache=${SPLITBED_XEN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/splitbed/xen}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
QEMU_TIMEOUT=${SPLITBED_XEN_TIMEOUT:-900}
STALL=${SPLITBED_XEN_STALL:-180}
all_scenarios="tarcat-kernel tarcat-big tarcat-splitbed blkverify netecho linuxours linuxfront linuxnet tarcat-qdisk netecho-dm linuxfront-qdisk"
# The vchan and Qubes scenarios: tests/xen/qubes-host.sh.
all_scenarios="$all_scenarios vchan qubes-hello"
only=$(echo ${SPLITBED_XEN_SCENARIOS:-} | tr ' ' ',')
for n in $(echo "$only" | tr ',' ' '); do
  case " $all_scenarios " in *" $n "*) ;; *)
    echo "test-xen: SPLITBED_XEN_SCENARIOS: unknown scenario '$n' (known: $all_scenarios)" >&2; exit 2;;
  esac
done
want() { [ -z "$only" ] || case ",$only," in *",$1,"*) ;; *) return 1;; esac; }

now() { date +%s.%N; }
t_start=$(now)
phase_start=$t_start
phase() {
  t=$(now)
  awk -v n="$1" -v a="$phase_start" -v b="$t" -v z="$t_start" \
    'BEGIN { printf "test-xen: phase %-12s %6.1f s  (total %6.1f s)\n", n, b - a, b - z }'
  phase_start=$t
}
die() { echo "test-xen: $*" >&2; exit 1; }
# Exit status 3: no real Xen could be brought up here (packages could not
# be fetched, or the nested Xen stalled on every boot attempt).  That says
# nothing about splitbed; .ci/run reports it and goes on.  Every other
# failure, a scenario's included, is status 1.
unavailable() {
  echo "test-xen: unavailable: $*" >&2
  echo "test-xen: unavailable: $*" > "$build/test-xen.status"
  exit 3
}

command -v qemu-system-x86_64 >/dev/null || unavailable "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"
for f in unikernel/tar-cat.xen unikernel/net-echo.xen libexec/splitbed/splitbed-blkback \
         libexec/splitbed/splitbed-netback libexec/splitbed/splitbed-xen-dm bin/splitbed \
         unikernel/vchan-stream.xen unikernel/qubes-hello.xen tests/vchan-peer \
         libexec/splitbed/splitbed-guid; do
  [ -e "$build/$f" ] || die "$build/$f missing (make all unikernel)"
done

timeout 900 sh tests/xen/fetch.sh "$cache" || unavailable "fetching packages into $cache failed"
phase fetch
# A member of 9 MB: more pages than the unikernel's grant table has entries.
mkdir "$work/big" && seq 1 1300000 > "$work/big/big.txt" && tar -C "$work/big" -cf "$work/big.tar" big.txt ||
  die "making big.tar failed"
# The vchan and Qubes scenarios on the simulator, Qubes' programs built.
. tests/xen/qubes-host.sh
qubes_prepare
phase qubes-prep
export qubes_out qubes_entries
sh tests/xen/mkinitramfs.sh "$cache" "$build" "$src" "$work/initramfs.cpio" "$work/big.tar" ||
  die "building the initramfs failed"
phase initramfs

# The same app on the simulator, for comparison.
sim_out=$(timeout 120 "$build/bin/splitbed" run -q \
  --config fixtures/scenarios/qubes-hello.cfg -- tar-cat hello.txt 2>"$work/sim.err") ||
  { cat "$work/sim.err" >&2; die "tar-cat on the simulator failed"; }
sim_big=$(timeout 120 "$build/bin/splitbed" run -q --disk "$work/big.tar" -- tar-cat --sum big.txt \
  2>"$work/sim.err") || { cat "$work/sim.err" >&2; die "tar-cat --sum on the simulator failed"; }
dd if=/dev/zero of="$work/rw.img" bs=1M count=4 2>/dev/null
sim_verify=$(timeout 300 "$build/bin/splitbed" run -q \
  --disk "format=raw, vdev=xvda, access=rw, target=$work/rw.img" -- blk-verify 2>"$work/sim.err") ||
  { cat "$work/sim.err" >&2; die "blk-verify on the simulator failed"; }
phase simulator

serial=$work/serial.log
# QEMU splits -initrd at commas (",," is a literal comma), and dom0's
# command line rides in that argument.
only_arg=$(echo "$only" | sed 's/,/,,/g')
# The nested dom0 sometimes stops for good (see the unikernel README:
# most were a hung xl, which init.sh now kills); a boot that does not
# power off in time is tried once more.
for attempt in 1 2; do
  qrc=0
  # qemu64 with SVM and nested paging, as Xen's own CI boots it: with
  # "-cpu max" dom0's programs crashed about once per boot on memory that
  # read as garbage (see the unikernel README).  The options may add a
  # -cpu of their own; QEMU takes the last.
  # shellcheck disable=SC2086 # the options are words
  : > "$serial"
  timeout -k 10 "$QEMU_TIMEOUT" qemu-system-x86_64 -machine pc,accel=tcg -cpu qemu64,+svm,+npt -m 1024 \
    ${SPLITBED_XEN_QEMU_OPTS:-} -display none -nodefaults -no-reboot -serial "file:$serial" \
    -kernel "$cache/xen" \
    -append "console=com1 dom0_mem=512M smap=0 bootscrub=0 tdt=0 guest_loglvl=all ${SPLITBED_XEN_XEN_OPTS:-}" \
    -initrd "$cache/vmlinuz console=hvc0${only:+ splitbed.only=$only_arg},$work/initramfs.cpio" &
  qpid=$!
  # A stall is a serial line that stopped growing (dom0 prints a line at
  # least every 10 s while it waits for a guest, and every xl has a
  # limit of 120 s); a loaded host only makes a boot slower.
  last=-1 still=0 stalled=0
  while kill -0 "$qpid" 2>/dev/null; do
    sleep 5
    size=$(wc -c < "$serial" 2>/dev/null || echo 0)
    if [ "$size" = "$last" ]; then still=$((still + 5)); else still=0 last=$size; fi
    if [ "$still" -ge "$STALL" ]; then
      stalled=1
      kill "$qpid" 2>/dev/null
      break
    fi
  done
  wait "$qpid" || qrc=$?
  [ "$stalled" = 0 ] || qrc=124
  [ "$qrc" -eq 124 ] || break
  if [ "$stalled" = 1 ]; then
    echo "test-xen: boot attempt $attempt stalled: no serial output for $STALL s"
  else
    echo "test-xen: boot attempt $attempt did not power off within $QEMU_TIMEOUT s"
  fi
  cp "$serial" "$build/test-xen-serial-stalled.log"
done
phase boot
tr -d '\r' < "$serial" > "$work/serial.txt"
# Kept for reading after the run: Xen's, dom0's and the guests' lines.
cp "$work/serial.txt" "$build/test-xen-serial.log"
if [ "${qrc:-0}" -eq 124 ]; then
  tail -40 "$work/serial.txt" >&2
  unavailable "the nested Xen stalled on both boot attempts (no serial output for $STALL s, or no poweroff within $QEMU_TIMEOUT s)"
fi
if [ "${qrc:-0}" -ne 0 ]; then
  tail -40 "$work/serial.txt" >&2
  die "QEMU ended with status $qrc"
fi
grep -q '^@@ done' "$work/serial.txt" || { tail -40 "$work/serial.txt" >&2; die "dom0 never finished its scenarios"; }
sed -n 's/^@@ phase \([a-z0-9-]*\) \(.*\)/test-xen:   in dom0: \1 at \2 s/p' "$work/serial.txt"
sed -n 's/^@@ virt_caps /test-xen:   xl info virt_caps: /p' "$work/serial.txt"
sed -n 's/^@@ \(warn\|fail\|xl:\|hotplug:\) /test-xen:   dom0 \1 /p' "$work/serial.txt"

# The app's own lines of a guest console: without log lines, and its status.
console() {
  sed -n "/^@@ console-begin $1\$/,/^@@ console-end $1\$/p" "$work/serial.txt" |
    sed '1d;$d' > "$work/$1.console"
  grep -v -E '^\[(uk|os|blkfront|netfront|xenbus)\] ' "$work/$1.console" || true
}
status_of() { sed -n 's/^\[uk\] exit \([0-9]*\)$/\1/p' "$work/$1.console"; }

passed=0 failed=0
report() {   # name verdict detail
  printf 'scenario %-52s %s\n' "$1" "$2"
  [ -n "$3" ] && printf '    %s\n' "$3"
  if [ "$2" = PASS ]; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}
qubes_report
if want tarcat-big; then
xen_big=$(console tarcat-big)
st=$(status_of tarcat-big)
detail="simulator: \"$sim_big\" | xen: \"$xen_big\" (exit ${st:-none})"
if [ "$xen_big" = "$sim_big" ] && [ "$st" = 0 ]; then
  report "tar-cat.xen --sum of a 9 MB member, Linux blkback" PASS "$detail"
else
  report "tar-cat.xen --sum of a 9 MB member, Linux blkback" FAIL "$detail"
  sed 's/^/    | /' "$work/tarcat-big.console" | tail -20
fi
fi
for case in "tarcat-kernel:tar-cat.xen hello.txt, Linux in-kernel blkback" \
            "tarcat-splitbed:tar-cat.xen hello.txt, splitbed-blkback in dom0"; do
  dom=${case%%:*} what=${case#*:}
  want "$dom" || continue
  xen_out=$(console "$dom")
  st=$(status_of "$dom")
  detail="simulator: \"$sim_out\" | xen: \"$xen_out\" (exit ${st:-none})"
  if [ "$xen_out" = "$sim_out" ] && [ "$st" = 0 ]; then
    report "$what" PASS "$detail"
  else
    report "$what" FAIL "$detail"
    sed 's/^/    | /' "$work/$dom.console"
  fi
done
if want blkverify; then
xen_verify=$(console blkverify)
st=$(status_of blkverify)
detail="simulator: \"$sim_verify\" | xen: \"$xen_verify\" (exit ${st:-none})"
if [ "$st" = 0 ] && [ "$xen_verify" = "$sim_verify" ]; then
  report "blk-verify.xen, 4 MiB rw disk, Linux blkback" PASS "$detail"
else
  report "blk-verify.xen, 4 MiB rw disk, Linux blkback" FAIL "$detail"
  sed 's/^/    | /' "$work/blkverify.console"
fi
fi
if want netecho; then
console netecho >/dev/null
st=$(status_of netecho)
prc=$(sed -n 's/^@@ ping-rc //p' "$work/serial.txt")
rx=$(sed -n 's/^@@ ping: [0-9]* packets transmitted, \([0-9]*\) packets received.*/\1/p' "$work/serial.txt")
detail="ping from dom0: ${rx:-0}/3 replies; net-echo.xen exit ${st:-none}"
if [ "$prc" = 0 ] && [ "$rx" = 3 ] && [ "$st" = 0 ]; then
  report "net-echo.xen --ip 10.9.0.2, ping over a vif (Linux netback)" PASS "$detail"
else
  report "net-echo.xen --ip 10.9.0.2, ping over a vif (Linux netback)" FAIL "$detail"
  grep '^@@ ping' "$work/serial.txt" | sed 's/^/    | /'
fi
fi
# The Linux domUs: rc lines of the apps and their output lines.
rc_of() { sed -n "s/^@@ rc $1 \([0-9]*\)\$/\1/p" "$work/$2.console"; }
if want linuxours; then
console linuxours > "$work/linuxours.app"
lo_cat=$(grep -v '^@@' "$work/linuxours.app" | grep -v 'blk-verify:' | grep -v '^\[' | head -1)
st=$(rc_of tar-cat linuxours)
detail="simulator: \"$sim_out\" | xen: \"$lo_cat\" (exit ${st:-none})"
if [ "$st" = 0 ] && [ "$lo_cat" = "$sim_out" ]; then
  report "tar-cat (Linux process in a domU), Linux blkback" PASS "$detail"
else
  report "tar-cat (Linux process in a domU), Linux blkback" FAIL "$detail"
  sed 's/^/    | /' "$work/linuxours.console" | tail -30
fi
# Its disk is xvdb there (xvda holds hello.tar); the simulator's is xvda.
lo_verify=$(grep '^blk-verify:' "$work/linuxours.app" | head -1 | sed 's/^blk-verify: xvdb:/blk-verify: xvda:/')
st=$(rc_of blk-verify linuxours)
detail="simulator: \"$sim_verify\" | xen: \"$lo_verify\" (exit ${st:-none})"
if [ "$st" = 0 ] && [ "$lo_verify" = "$sim_verify" ]; then
  report "blk-verify (Linux process in a domU), Linux blkback" PASS "$detail"
else
  report "blk-verify (Linux process in a domU), Linux blkback" FAIL "$detail"
fi
st=$(rc_of net-echo linuxours)
prc=$(sed -n 's/^@@ ping3-rc //p' "$work/serial.txt")
rx=$(sed -n 's/^@@ ping3: [0-9]* packets transmitted, \([0-9]*\) packets received.*/\1/p' "$work/serial.txt")
detail="ping from dom0: ${rx:-0}/3 replies; net-echo exit ${st:-none}"
if [ "$prc" = 0 ] && [ "$rx" = 3 ] && [ "$st" = 0 ]; then
  report "net-echo (Linux process in a domU), ping over Linux netback" PASS "$detail"
else
  report "net-echo (Linux process in a domU), ping over Linux netback" FAIL "$detail"
fi
fi
if want linuxfront; then
console linuxfront > "$work/linuxfront.app"
lf_out=$(grep -v '^@@' "$work/linuxfront.app" | grep -v '^\[' | head -1)
st=$(rc_of linux-blkfront linuxfront)
detail="simulator: \"$sim_out\" | xen: \"$lf_out\" (busybox tar -xOf /dev/xvda, exit ${st:-none})"
if [ "$st" = 0 ] && [ "$lf_out" = "$sim_out" ]; then
  report "Linux xen-blkfront in a domU, splitbed-blkback in dom0" PASS "$detail"
else
  report "Linux xen-blkfront in a domU, splitbed-blkback in dom0" FAIL "$detail"
  sed 's/^/    | /' "$work/linuxfront.console" | tail -30
fi
bw_domu=$(sed -n 's/^@@ bw-domu \([0-9a-f]*\)$/\1/p' "$work/linuxfront.console")
bw_want=$(sed -n 's/^@@ bw-want \([0-9a-f]*\)$/\1/p' "$work/linuxfront.console")
bw_image=$(sed -n 's/^@@ bw-image \([0-9a-f]*\)$/\1/p' "$work/serial.txt")
detail="md5 written ${bw_want:-none}; read back in the domU ${bw_domu:-none}; on dom0's image ${bw_image:-none}"
if [ -n "$bw_want" ] && [ "$bw_domu" = "$bw_want" ] && [ "$bw_image" = "$bw_want" ]; then
  report "Linux xen-blkfront writes 2 MB, splitbed-blkback in dom0" PASS "$detail"
else
  report "Linux xen-blkfront writes 2 MB, splitbed-blkback in dom0" FAIL "$detail"
  grep '^@@ blkback2\|^@@ warn' "$work/serial.txt" | sed 's/^/    | /'
fi

fi
if want linuxnet; then
console linuxnet > /dev/null
ln_of() { sed -n "s/^@@ $1 \\(.*\\)\$/\\1/p" "$work/linuxnet.console" | head -1; }
ln_big=$(sed -n 's/^@@ bigping: \([0-9]*\) packets transmitted, \([0-9]*\) packets received.*/\2/p' "$work/linuxnet.console")
ln_down=$(ln_of down) ln_down_want=$(ln_of down-want) ln_up=$(ln_of up) ln_up_want=$(ln_of up-want)
detail="3000-byte pings: ${ln_big:-0}/3 replies; download md5 ${ln_down:-none} (want ${ln_down_want:-?}); upload md5 ${ln_up:-none} (want ${ln_up_want:-?})"
if [ "$ln_big" = 3 ] && [ -n "$ln_down_want" ] && [ "$ln_down" = "$ln_down_want" ] &&
   [ -n "$ln_up_want" ] && [ "$ln_up" = "$ln_up_want" ]; then
  report "Linux xen-netfront in a domU, splitbed-netback in dom0" PASS "$detail"
else
  report "Linux xen-netfront in a domU, splitbed-netback in dom0" FAIL "$detail"
  sed 's/^/    | /' "$work/linuxnet.console" | tail -30
  grep '^@@ netback' "$work/serial.txt" | sed 's/^/    | /'
fi
fi
if want tarcat-qdisk; then
xen_out=$(console tarcat-qdisk)
st=$(status_of tarcat-qdisk)
kb=$(sed -n 's/^@@ qdisk-kernel-blkback //p' "$work/serial.txt")
be=$(sed -n 's/^@@ qdisk-backend //p' "$work/serial.txt")
left=$(sed -n 's/^@@ qdisk-dm-left //p' "$work/serial.txt")
xsleft=$(sed -n 's/^@@ qdisk-xs-left //p' "$work/serial.txt")
detail="simulator: \"$sim_out\" | xen: \"$xen_out\" (exit ${st:-none}); backend ${be:-none}; Linux blkback loaded: ${kb:-?}; after destroy: ${left:-?} processes, ${xsleft:-?} xenstore lines"
case "$be" in */backend/qdisk/*) be_ok=1 ;; *) be_ok=0 ;; esac
if [ "$xen_out" = "$sim_out" ] && [ "$st" = 0 ] && [ "$be_ok" = 1 ] && [ "$kb" = 1 ] &&
   [ "$left" = 0 ] && [ "$xsleft" = 0 ]; then
  report "tar-cat.xen hello.txt, xl.cfg qdisk disk, splitbed-xen-dm" PASS "$detail"
else
  report "tar-cat.xen hello.txt, xl.cfg qdisk disk, splitbed-xen-dm" FAIL "$detail"
  sed 's/^/    | /' "$work/tarcat-qdisk.console"
  grep '^@@ dm: ' "$work/serial.txt" | sed 's/^/    | /'
fi
fi
if want netecho-dm; then
console netecho-dm >/dev/null
st=$(status_of netecho-dm)
prc=$(sed -n 's/^@@ pingdm-rc //p' "$work/serial.txt")
rx=$(sed -n 's/^@@ pingdm: [0-9]* packets transmitted, \([0-9]*\) packets received.*/\1/p' "$work/serial.txt")
tap=$(sed -n 's/^@@ netdm-tap //p' "$work/serial.txt")
left=$(sed -n 's/^@@ netdm-left //p' "$work/serial.txt")
detail="ping from dom0: ${rx:-0}/3 replies; net-echo.xen exit ${st:-none}; vif a TAP: ${tap:-no}; after destroy: ${left:-?} processes"
if [ "$prc" = 0 ] && [ "$rx" = 3 ] && [ "$st" = 0 ] && [ -n "$tap" ] && [ "$left" = 0 ]; then
  report "net-echo.xen, xl.cfg vif served by splitbed-xen-dm's netback" PASS "$detail"
else
  report "net-echo.xen, xl.cfg vif served by splitbed-xen-dm's netback" FAIL "$detail"
  grep '^@@ pingdm\|^@@ dmnet' "$work/serial.txt" | sed 's/^/    | /'
fi
fi

if want linuxfront-qdisk; then
console linuxfront-qdisk > "$work/linuxfront-qdisk.app"
lq_out=$(grep -v '^@@' "$work/linuxfront-qdisk.app" | grep -v '^\[' | head -1)
st=$(rc_of linux-blkfront linuxfront-qdisk)
bw_domu=$(sed -n 's/^@@ bw-domu \([0-9a-f]*\)$/\1/p' "$work/linuxfront-qdisk.console")
bw_want=$(sed -n 's/^@@ bw-want \([0-9a-f]*\)$/\1/p' "$work/linuxfront-qdisk.console")
bw_image=$(sed -n 's/^@@ bwq-image \([0-9a-f]*\)$/\1/p' "$work/serial.txt")
detail="simulator: \"$sim_out\" | xen: \"$lq_out\" (exit ${st:-none}); md5 written ${bw_want:-none}, read back ${bw_domu:-none}, on the image ${bw_image:-none}"
if [ "$st" = 0 ] && [ "$lq_out" = "$sim_out" ] && [ -n "$bw_want" ] && [ "$bw_domu" = "$bw_want" ] &&
   [ "$bw_image" = "$bw_want" ]; then
  report "Linux xen-blkfront, xl.cfg qdisk disks, splitbed-xen-dm" PASS "$detail"
else
  report "Linux xen-blkfront, xl.cfg qdisk disks, splitbed-xen-dm" FAIL "$detail"
  sed 's/^/    | /' "$work/linuxfront-qdisk.console" | tail -30
  grep '^@@ dmq' "$work/serial.txt" | sed 's/^/    | /'
fi
fi

# The requests Linux's frontends sent to our backends (linuxfront,
# linuxnet), recorded as fuzz corpus entries: merged into
# fixtures/corpora/ with -merge=1 (docs/fuzzing.md).
seeds="$build/test-xen-seeds"
rm -rf "$seeds"
sed -n 's#^@@ rec \(fuzz_[a-z_]*\)/\([0-9a-f]*\) \([A-Za-z0-9+/=]*\)$#\1 \2 \3#p' "$work/serial.txt" |
while read -r target name b64; do
  mkdir -p "$seeds/$target"
  printf '%s' "$b64" | base64 -d > "$seeds/$target/$name" || rm -f "$seeds/$target/$name"
done
for t in fuzz_blkback_req fuzz_netback_tx; do
  echo "test-xen: recorded from Linux's frontends: $t: $(find "$seeds/$t" -type f 2>/dev/null | wc -l) entries in $seeds/$t"
done

phase results
echo "test-xen: $passed passed, $failed failed (full log: $build/test-xen-serial.log)"
[ "$failed" -eq 0 ]
