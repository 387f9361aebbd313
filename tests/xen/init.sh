#!/bin/busybox sh
# dom0's /init inside the nested Xen: brings up the Xen tools, runs the
# scenarios and powers off.  Lines starting "@@" are for tests/xen/run.sh.
/bin/busybox --install -s /bin
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t tmpfs run /run
mount -t tmpfs varrun /var/run
mkdir -p /dev/pts /var/run/xen /var/run/xenstored /var/log/xen/console /var/lib/xen
mount -t devpts devpts /dev/pts
# What udev would have made; the hotplug scripts read /dev/stdin.
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
up() { cut -d' ' -f1 /proc/uptime; }
# Every xl below has a hard limit and a second try.  In this nested dom0,
# glibc programs now and then read garbage from their own memory
# (segfaults at addresses such as 0x1c0000003b in ld.so, libxenlight or
# busybox); now and then instead an xl sleeps for good in futex_wait on a
# lock nobody holds, and dom0 waited for it until QEMU's limit.  A hung
# xl is killed (SIGTERM: status 143); one killed by any signal is run
# again.  `timeout` runs the program, not this function; `xl create`
# keeps its own longer limit.
xl() {
  for t in 1 2; do
    timeout 30 xl "$@"; rc=$?
    [ $rc -gt 128 ] || return $rc
    echo "@@ warn xl $1 $2 killed by signal $((rc - 128)) (try $t; 15: hung for 30 s)" > /dev/console
  done
  return $rc
}
echo "@@ phase dom0-init $(up)"

for m in xen-privcmd xen-evtchn xen-gntdev xen-gntalloc xenfs loop xen-blkback xen-netback; do
  insmod /lib/modules/$m.ko* || echo "@@ warn insmod $m failed"
done
mount -t xenfs xenfs /proc/xen

xenstored --pid-file /var/run/xenstored.pid || { echo "@@ fail xenstored"; poweroff -f; }
xen-init-dom0 >/dev/null || echo "@@ warn xen-init-dom0 failed"
xenconsoled --log=guest --log-dir=/var/log/xen/console
echo "@@ virt_caps $(xl info | sed -n 's/^virt_caps *: *//p')"
echo "@@ phase dom0-ready $(up)"

# Waits (at most $2 s, default 60) for domain $1 to stop running; leaves
# its state in $state.
wait_domain() {
  state=gone
  limit=$((${2:-60} * 2))
  i=0
  while :; do
    state=$(xl list $1 2>/dev/null | awk 'NR==2 {print $5}')
    [ -n "$state" ] || { state=gone; break; }
    case "$state" in *c*|*s*) break;; esac
    i=$((i + 1))
    [ $((i % 20)) -eq 0 ] && echo "@@ wait $1 $state $(up)"
    if [ $i -gt $limit ]; then
      echo "@@ warn $1 still running after ${2:-60} s"
      xl debug-keys d; xl dmesg | tail -40 | sed 's/^/@@ xen: /'
      xenstore-ls -f /local/domain/$(xl domid $1)/device | sed 's/^/@@ xs: /'
      break
    fi
    sleep 0.5
  done
}

# Waits (at most $2 s) for domain $1's vif 0 backend to be Connected
# (state 4), and says what it reached.
wait_vif() {
  vbe=/local/domain/0/backend/vif/$(xl domid $1)/0
  i=0
  while [ "$(xenstore-read $vbe/state 2>/dev/null)" != 4 ] && [ $i -lt $(($2 * 2)) ]; do
    i=$((i + 1)); sleep 0.5
  done
  echo "@@ vif-state $1 $(xenstore-read $vbe/state 2>/dev/null)"
}

# xl create with a hard limit, tried twice.  -e: no background xl
# watching the domain (its daemonized child crashed here now and then with
# glibc heap errors); every domain is preserved at its end and destroyed
# by console() below.  A second argument names a function run with the
# domain's name while it is still paused.
xlc() {
  cfg=$1 dname=$(sed -n 's/^name = "\(.*\)"/\1/p' "$1")
  for try in 1 2; do
    if timeout 120 xl create -p -e "$cfg" >/tmp/xl.log 2>&1; then
      # Paused until xenconsoled has opened its log of the guest, so a
      # short-lived guest cannot end before anyone reads its console.
      i=0
      while [ ! -e /var/log/xen/console/guest-$dname.log ] && [ $i -lt 40 ]; do
        i=$((i + 1)); sleep 0.5
      done
      [ -z "${2:-}" ] || "$2" "$dname"
      xl unpause "$dname" && return 0
    fi
    rc=$?
    echo "@@ warn xl create $dname failed (status $rc, try $try)"
    sed 's/^/@@ xl: /' /tmp/xl.log | tail -5
    xl destroy "$dname" >/dev/null 2>&1
  done
  return 1
}

console() {
  # A guest that ends before xenconsoled attached leaves its output in
  # the ring of the preserved domain: give xenconsoled up to 20 s to log
  # the guest's last line ($2).  Then the domain may go.
  i=0
  while [ -n "$2" ] && ! grep -q "$2" /var/log/xen/console/guest-$1.log 2>/dev/null && [ $i -lt 40 ]; do
    i=$((i + 1)); sleep 0.5
  done
  echo "@@ console-begin $1"
  cat /var/log/xen/console/guest-$1.log 2>/dev/null
  echo "@@ console-end $1"
  xl destroy $1 >/dev/null 2>&1
}

# Runs tar-cat.xen ARGS (default hello.txt) as domain NAME with TAR
# (default hello.tar) as its xvda, and prints its console between markers.
run_tarcat() {
  name=$1 tar=${2:-/guest/hello.tar} args=${3:-hello.txt}
  cat > /tmp/$name.cfg <<CFG
name = "$name"
type = "pvh"
kernel = "/guest/tar-cat.xen"
extra = "-q $args"
memory = 32
vcpus = 1
on_crash = "preserve"
on_poweroff = "preserve"
disk = [ "format=raw, vdev=xvda, access=r, target=$tar" ]
CFG
  if xlc /tmp/$name.cfg; then
    wait_domain $name
  else
    state=not-created
    echo "@@ fail xl create $name"; sed 's/^/@@ xl: /' /tmp/xl.log
    sed 's/^/@@ hotplug: /' /var/log/xen/xen-hotplug.log 2>/dev/null | tail -30
  fi
  echo "@@ state $name $state"
  console $name '^\[uk\] exit' 
}

# splitbed.only=a,b on dom0's command line runs only those scenarios
# (SPLITBED_XEN_SCENARIOS of tests/xen/run.sh); all of them without it.
only=$(sed -n 's/.*splitbed\.only=\([a-z0-9,-]*\).*/\1/p' /proc/cmdline)
want() { [ -z "$only" ] || case ",$only,"  in *",$1,"*) ;; *) return 1;; esac; }
# kmod on|off MODULE: a kernel backend loaded or not, whatever ran before.
kmod() {
  loaded=0
  lsmod | grep -q "^$(echo "$2" | tr - _) " && loaded=1
  if [ "$1" = on ] && [ $loaded = 0 ]; then
    insmod /lib/modules/$2.ko* || echo "@@ warn insmod $2 failed"
  elif [ "$1" = off ] && [ $loaded = 1 ]; then
    rmmod "$2" || echo "@@ warn rmmod $2 failed"
  fi
}

# vchan against Debian's libxenvchan, and a Qubes VM with Qubes' own dom0
# daemons: tests/xen/qubes.sh.
. /qubes.sh

# 1. Linux's in-kernel blkback serves the disk.
if want tarcat-kernel; then
kmod on xen-blkback
run_tarcat tarcat-kernel
echo "@@ phase tarcat-kernel $(up)"
fi

# 1b. A 9 MB member, summed: more pages than the unikernel's grant table
#     has entries, so every grant must be given back as its read ends.
if want tarcat-big; then
kmod on xen-blkback
run_tarcat tarcat-big /guest/big.tar "--sum big.txt"
echo "@@ phase tarcat-big $(up)"
fi

# 2. The same, served by our userspace blkback in dom0 (over the real
#    libxengnttab/libxenevtchn/libxenstore): the kernel's is unloaded.
if want tarcat-splitbed; then
kmod off xen-blkback
/guest/splitbed-blkback >/tmp/blkback.log 2>&1 &
bb=$!
run_tarcat tarcat-splitbed
kill $bb 2>/dev/null; wait $bb 2>/dev/null
sed 's/^/@@ blkback: /' /tmp/blkback.log | tail -20
echo "@@ phase tarcat-splitbed $(up)"
fi

# 3. blk-verify.xen writes and reads back its pattern matrix on a 4 MiB
#    writable disk served by Linux's in-kernel blkback.  Without
#    persistent grants: with them, Linux blkback maps every data page
#    writable, and blkfront grants the pages of a write read-only, so the
#    map fails and the write ends in BLKIF_RSP_ERROR.
if want blkverify; then
kmod on xen-blkback
dd if=/dev/zero of=/tmp/rw.img bs=1M count=4 2>/dev/null
cat > /tmp/blkverify.cfg <<CFG
name = "blkverify"
type = "pvh"
kernel = "/guest/blk-verify.xen"
extra = "-q"
memory = 32
vcpus = 1
on_crash = "preserve"
on_poweroff = "preserve"
disk = [ "format=raw, vdev=xvda, access=rw, target=/tmp/rw.img" ]
CFG
if xlc /tmp/blkverify.cfg; then
  wait_domain blkverify
else
  state=not-created
  echo "@@ fail xl create blkverify"; sed 's/^/@@ xl: /' /tmp/xl.log
fi
echo "@@ state blkverify $state"
console blkverify '^\[uk\] exit' 
echo "@@ phase blkverify $(up)"
fi

# 4. net-echo.xen answers ping from dom0 over a vif (Linux netback).
if want netecho; then
kmod on xen-netback
cat > /tmp/netecho.cfg <<CFG
name = "netecho"
type = "pvh"
kernel = "/guest/net-echo.xen"
extra = "-q --ip 10.9.0.2 --count 3"
memory = 32
vcpus = 1
on_crash = "preserve"
on_poweroff = "preserve"
vif = [ "mac=00:16:3e:00:00:02, script=vif-plain" ]
CFG
if xlc /tmp/netecho.cfg; then
  wait_vif netecho 30
  ping -c 3 -W 5 10.9.0.2 >/tmp/ping.log 2>&1
  echo "@@ ping-rc $?"
  sed 's/^/@@ ping: /' /tmp/ping.log
  wait_domain netecho
  echo "@@ state netecho $state"
else
  echo "@@ fail xl create netecho"; sed 's/^/@@ xl: /' /tmp/xl.log
  sed 's/^/@@ hotplug: /' /var/log/xen/xen-hotplug.log 2>/dev/null | tail -30
fi
console netecho '^\[uk\] exit' 
echo "@@ phase netecho $(up)"
fi

# 5. A Linux domU running our Linux-process frontends (the binaries the
#    simulator tests) against Linux's in-kernel blkback and netback.
dd if=/dev/zero of=/tmp/rw2.img bs=1M count=4 2>/dev/null
cat > /tmp/linuxours.cfg <<CFG
name = "linuxours"
type = "pvh"
kernel = "/guest/vmlinuz"
ramdisk = "/guest/domu.cpio"
extra = "console=hvc0 quiet splitbed=ours"
memory = 192
vcpus = 1
on_poweroff = "preserve"
# Xen on QEMU's emulated SVM cannot decode an intercepted RDTSCP (no
# next-RIP): hide it, so Linux uses RDTSC, which Xen handles.
cpuid = "host,rdtscp=0"
disk = [ "format=raw, vdev=xvda, access=r, target=/guest/hello.tar",
         "format=raw, vdev=xvdb, access=rw, target=/tmp/rw2.img" ]
vif = [ "mac=00:16:3e:00:00:03, script=vif-plain" ]
CFG
if want linuxours; then
kmod on xen-blkback
kmod on xen-netback
if xlc /tmp/linuxours.cfg; then
  wait_vif linuxours 180
  ping -c 3 -W 5 10.9.0.3 >/tmp/ping.log 2>&1
  echo "@@ ping3-rc $?"
  sed 's/^/@@ ping3: /' /tmp/ping.log
  wait_domain linuxours 240
  echo "@@ state linuxours $state"
else
  echo "@@ fail xl create linuxours"; sed 's/^/@@ xl: /' /tmp/xl.log
fi
console linuxours '^@@ rc net-echo' 
echo "@@ phase linuxours $(up)"
fi

# 6. Linux's own xen-blkfront in a domU against splitbed-blkback in dom0:
#    it reads hello.tar, and writes 2 MB to a second, writable disk that
#    dom0 checks on the image once the domain has gone.
if want linuxfront; then
kmod off xen-blkback
# Recording the requests Linux's xen-blkfront sends (see the end).
SPLITBED_RECORD=/tmp/rec /guest/splitbed-blkback --opt record-max=64 >/tmp/blkback.log 2>&1 &
bb=$!
dd if=/dev/zero of=/tmp/rwf.img bs=1M count=4 2>/dev/null
sed -e 's/linuxours/linuxfront/; s/splitbed=ours/splitbed=linuxfront/' -e '/^vif/d' \
  -e 's#/tmp/rw2.img#/tmp/rwf.img#' /tmp/linuxours.cfg > /tmp/linuxfront.cfg
if xlc /tmp/linuxfront.cfg; then
  wait_domain linuxfront 240
  echo "@@ state linuxfront $state"
  n=$(seq 1 300000 | wc -c)
  echo "@@ bw-image $(head -c "$n" /tmp/rwf.img | md5sum | cut -d' ' -f1)"
else
  echo "@@ fail xl create linuxfront"; sed 's/^/@@ xl: /' /tmp/xl.log
fi
kill $bb 2>/dev/null; wait $bb 2>/dev/null
sed 's/^/@@ blkback2: /' /tmp/blkback.log | tail -20
console linuxfront '^@@ rc linux-blkfront' 
echo "@@ phase linuxfront $(up)"
fi

# 7. Linux's own xen-netfront in a domU against splitbed-netback in dom0
#    (over the real libxenstore/libxengnttab/libxenevtchn), its vif backed
#    by a TAP device: the kernel's netback is unloaded.  dom0 serves a file
#    and an MD5 CGI over HTTP on that link for the domU to fetch and post.
if want linuxnet; then
kmod off xen-netback
kmod on tun
/guest/splitbed-netback --vif 0=tap:sbvif0 --opt record=/tmp/rec --opt record-max=64 \
  >/tmp/netback.log 2>&1 &
nb=$!
httpd -p 8080 -h /srv
sed -e 's/linuxours/linuxnet/; s/splitbed=ours/splitbed=linuxnet/' -e '/^disk/d; /xvdb/d' \
  -e 's/00:16:3e:00:00:03/00:16:3e:00:00:04/' /tmp/linuxours.cfg > /tmp/linuxnet.cfg
if xlc /tmp/linuxnet.cfg; then
  wait_vif linuxnet 180
  ip addr add 10.9.0.1/24 dev sbvif0 || echo "@@ warn no address on sbvif0"
  ip link set sbvif0 up
  wait_domain linuxnet 240
  echo "@@ state linuxnet $state"
else
  echo "@@ fail xl create linuxnet"; sed 's/^/@@ xl: /' /tmp/xl.log
fi
console linuxnet '^@@ end linux-netfront'
kill $nb 2>/dev/null; wait $nb 2>/dev/null
killall httpd 2>/dev/null
sed 's/^/@@ netback: /' /tmp/netback.log | tail -20
echo "@@ phase linuxnet $(up)"
fi

# 8. The recipe of docs/real-xen.md: an ordinary xl.cfg whose disk says
#    backendtype=qdisk and whose device_model_override names
#    splitbed-xen-dm, installed as `make install PREFIX=/usr` puts it.
#    libxl starts it as the guest's device model, and it runs
#    splitbed-blkback for the disk.  Linux's blkback stays loaded: it
#    serves backend/vbd, never backend/qdisk.
if want tarcat-qdisk; then
kmod on xen-blkback
cat > /tmp/tarcat-qdisk.cfg <<CFG
name = "tarcat-qdisk"
type = "pvh"
kernel = "/guest/tar-cat.xen"
extra = "-q hello.txt"
memory = 32
vcpus = 1
on_crash = "preserve"
on_poweroff = "preserve"
disk = [ "format=raw, vdev=xvda, access=r, backendtype=qdisk, target=/guest/hello.tar" ]
device_model_version = "qemu-xen"
device_model_override = "/usr/libexec/splitbed/splitbed-xen-dm"
CFG
if xlc /tmp/tarcat-qdisk.cfg; then
  echo "@@ qdisk-kernel-blkback $(lsmod | grep -c '^xen_blkback ')"
  echo "@@ qdisk-backend $(xenstore-read /local/domain/$(xl domid tarcat-qdisk)/device/vbd/51712/backend 2>/dev/null)"
  wait_domain tarcat-qdisk
else
  state=not-created
  echo "@@ fail xl create tarcat-qdisk"; sed 's/^/@@ xl: /' /tmp/xl.log
fi
echo "@@ state tarcat-qdisk $state"
console tarcat-qdisk '^\[uk\] exit'
# xl destroy (in console) stops the device model and with it the backend;
# nothing of theirs may be left in xenstore.
echo "@@ qdisk-dm-left $(ps | grep -c '[s]plitbed-xen-dm\|[s]plitbed-blkback')"
echo "@@ qdisk-xs-left $(xenstore-ls /local/domain/0/backend/qdisk 2>/dev/null | wc -l)"
sed 's/^/@@ dm: /' /var/log/xen/qemu-dm-tarcat-qdisk.log 2>/dev/null | tail -20
echo "@@ phase tarcat-qdisk $(up)"
fi

# 9. The same recipe for a vif, where Linux's netback is not loaded:
#    splitbed-xen-dm runs a splitbed-netback on a TAP named vifDOMID.0,
#    the name libxl hands the vif's script=, which puts dom0's address on
#    it as it would on the kernel's interface.  The guest needs a qdisk
#    disk for libxl to start a device model at all.
if want netecho-dm; then
kmod off xen-netback
kmod on tun
cat > /tmp/netecho-dm.cfg <<CFG
name = "netecho-dm"
type = "pvh"
kernel = "/guest/net-echo.xen"
extra = "-q --ip 10.9.0.2 --count 3"
memory = 32
vcpus = 1
on_crash = "preserve"
on_poweroff = "preserve"
disk = [ "format=raw, vdev=xvda, access=r, backendtype=qdisk, target=/guest/hello.tar" ]
vif = [ "mac=00:16:3e:00:00:05, script=vif-plain" ]
device_model_version = "qemu-xen"
device_model_override = "/usr/libexec/splitbed/splitbed-xen-dm"
CFG
if xlc /tmp/netecho-dm.cfg; then
  wait_vif netecho-dm 30
  id=$(xl domid netecho-dm)
  echo "@@ netdm-tap $(cat /sys/class/net/vif$id.0/tun_flags 2>/dev/null)"
  ping -c 3 -W 5 10.9.0.2 >/tmp/ping.log 2>&1
  echo "@@ pingdm-rc $?"
  sed 's/^/@@ pingdm: /' /tmp/ping.log
  wait_domain netecho-dm
  echo "@@ state netecho-dm $state"
else
  echo "@@ fail xl create netecho-dm"; sed 's/^/@@ xl: /' /tmp/xl.log
  sed 's/^/@@ hotplug: /' /var/log/xen/xen-hotplug.log 2>/dev/null | tail -30
fi
console netecho-dm '^\[uk\] exit'
echo "@@ netdm-left $(ps | grep -c '[s]plitbed-xen-dm\|[s]plitbed-netback')"
sed 's/^/@@ dmnet: /' /var/log/xen/qemu-dm-netecho-dm.log 2>/dev/null | tail -20
echo "@@ phase netecho-dm $(up)"
fi

# 10. Linux's own xen-blkfront reading and writing through the recipe:
#     linuxfront's guest with both disks backendtype=qdisk, served by the
#     splitbed-blkback that splitbed-xen-dm runs, Linux's blkback loaded.
if want linuxfront-qdisk; then
kmod on xen-blkback
dd if=/dev/zero of=/tmp/rwq.img bs=1M count=4 2>/dev/null
sed -e 's/linuxours/linuxfront-qdisk/; s/splitbed=ours/splitbed=linuxfront/' -e '/^vif/d' \
  -e 's#/tmp/rw2.img#/tmp/rwq.img#' \
  -e 's/access=r,/access=r, backendtype=qdisk,/; s/access=rw,/access=rw, backendtype=qdisk,/' \
  /tmp/linuxours.cfg > /tmp/linuxfront-qdisk.cfg
cat >> /tmp/linuxfront-qdisk.cfg <<CFG
device_model_version = "qemu-xen"
device_model_override = "/usr/libexec/splitbed/splitbed-xen-dm"
CFG
if xlc /tmp/linuxfront-qdisk.cfg; then
  wait_domain linuxfront-qdisk 240
  echo "@@ state linuxfront-qdisk $state"
  n=$(seq 1 300000 | wc -c)
  echo "@@ bwq-image $(head -c "$n" /tmp/rwq.img | md5sum | cut -d' ' -f1)"
else
  echo "@@ fail xl create linuxfront-qdisk"; sed 's/^/@@ xl: /' /tmp/xl.log
fi
console linuxfront-qdisk '^@@ rc linux-blkfront'
sed 's/^/@@ dmq: /' /var/log/xen/qemu-dm-linuxfront-qdisk.log 2>/dev/null | tail -20
echo "@@ phase linuxfront-qdisk $(up)"
fi

# What Linux's xen-blkfront and xen-netfront sent to splitbed-blkback and
# splitbed-netback above, recorded by them as fuzz corpus entries: one
# line each, for run.sh to write under build/test-xen-seeds/.
for f in /tmp/rec/*/*; do
  [ -f "$f" ] || continue
  t=${f%/*}
  echo "@@ rec ${t##*/}/${f##*/} $(base64 < "$f" | tr -d '\n')"
done

echo "@@ phase scenarios-done $(up)"
echo "@@ done"
poweroff -f
