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

# Waits (at most 60 s) for domain $1 to stop running; leaves its state
# in $state.
wait_domain() {
  state=gone
  i=0
  while xl list $1 >/dev/null 2>&1; do
    state=$(xl list $1 2>/dev/null | awk 'NR==2 {print $5}')
    [ -n "$state" ] || { state=gone; break; }
    case "$state" in *c*|*s*) break;; esac
    i=$((i + 1))
    [ $((i % 20)) -eq 0 ] && echo "@@ wait $1 $state $(up)"
    if [ $i -gt 120 ]; then
      echo "@@ warn $1 still running after 60 s"
      xl debug-keys d; xl dmesg | tail -40 | sed 's/^/@@ xen: /'
      xenstore-ls -f /local/domain/$(xl domid $1)/device | sed 's/^/@@ xs: /'
      break
    fi
    sleep 0.5
  done
}

console() {
  echo "@@ console-begin $1"
  cat /var/log/xen/console/guest-$1.log 2>/dev/null
  echo "@@ console-end $1"
}

# Runs tar-cat.xen hello.txt as domain NAME with hello.tar as its xvda,
# and prints its console between markers.
run_tarcat() {
  name=$1
  cat > /tmp/$name.cfg <<CFG
name = "$name"
type = "pvh"
kernel = "/guest/tar-cat.xen"
extra = "-q hello.txt"
memory = 32
vcpus = 1
on_crash = "preserve"
disk = [ "format=raw, vdev=xvda, access=r, target=/guest/hello.tar" ]
CFG
  if xl create /tmp/$name.cfg >/tmp/xl.log 2>&1; then
    wait_domain $name
    xl destroy $name >/dev/null 2>&1
  else
    state=not-created
    echo "@@ fail xl create $name"; sed 's/^/@@ xl: /' /tmp/xl.log
    sed 's/^/@@ hotplug: /' /var/log/xen/xen-hotplug.log 2>/dev/null | tail -30
  fi
  echo "@@ state $name $state"
  console $name
}

# 1. Linux's in-kernel blkback serves the disk.
run_tarcat tarcat-kernel
echo "@@ phase tarcat-kernel $(up)"

# 2. The same, served by our userspace blkback in dom0 (over the real
#    libxengnttab/libxenevtchn/libxenstore): the kernel's is unloaded.
rmmod xen-blkback || echo "@@ warn rmmod xen-blkback failed"
/guest/splitbed-blkback >/tmp/blkback.log 2>&1 &
bb=$!
run_tarcat tarcat-splitbed
kill $bb 2>/dev/null; wait $bb 2>/dev/null
sed 's/^/@@ blkback: /' /tmp/blkback.log | tail -20
echo "@@ phase tarcat-splitbed $(up)"

# 3. blk-verify.xen writes and reads back its pattern matrix on a 4 MiB
#    writable disk served by Linux's in-kernel blkback.  Without
#    persistent grants: with them, Linux blkback maps every data page
#    writable, and blkfront grants the pages of a write read-only, so the
#    map fails and the write ends in BLKIF_RSP_ERROR.
insmod /lib/modules/xen-blkback.ko* || echo "@@ warn insmod xen-blkback failed"
dd if=/dev/zero of=/tmp/rw.img bs=1M count=4 2>/dev/null
cat > /tmp/blkverify.cfg <<CFG
name = "blkverify"
type = "pvh"
kernel = "/guest/blk-verify.xen"
extra = "-q --no-persistent"
memory = 32
vcpus = 1
on_crash = "preserve"
disk = [ "format=raw, vdev=xvda, access=rw, target=/tmp/rw.img" ]
CFG
if xl create /tmp/blkverify.cfg >/tmp/xl.log 2>&1; then
  wait_domain blkverify
  xl destroy blkverify >/dev/null 2>&1
else
  state=not-created
  echo "@@ fail xl create blkverify"; sed 's/^/@@ xl: /' /tmp/xl.log
fi
echo "@@ state blkverify $state"
console blkverify
echo "@@ phase blkverify $(up)"

# 4. net-echo.xen answers ping from dom0 over a vif (Linux netback).
cat > /tmp/netecho.cfg <<CFG
name = "netecho"
type = "pvh"
kernel = "/guest/net-echo.xen"
extra = "-q --ip 10.9.0.2 --count 3"
memory = 32
vcpus = 1
on_crash = "preserve"
vif = [ "mac=00:16:3e:00:00:02, script=vif-plain" ]
CFG
if xl create /tmp/netecho.cfg >/tmp/xl.log 2>&1; then
  # The link is up once the backend is connected (state 4).
  be=/local/domain/0/backend/vif/$(xl domid netecho)/0
  i=0
  while [ "$(xenstore-read $be/state 2>/dev/null)" != 4 ] && [ $i -lt 60 ]; do
    i=$((i + 1)); sleep 0.5
  done
  ping -c 3 -W 5 10.9.0.2 >/tmp/ping.log 2>&1
  echo "@@ ping-rc $?"
  sed 's/^/@@ ping: /' /tmp/ping.log
  wait_domain netecho
  xl destroy netecho >/dev/null 2>&1
  echo "@@ state netecho $state"
else
  echo "@@ fail xl create netecho"; sed 's/^/@@ xl: /' /tmp/xl.log
  sed 's/^/@@ hotplug: /' /var/log/xen/xen-hotplug.log 2>/dev/null | tail -30
fi
console netecho
echo "@@ phase netecho $(up)"

echo "@@ phase scenarios-done $(up)"
echo "@@ done"
poweroff -f
