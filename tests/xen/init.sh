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

# Scenario: tar-cat.xen reads hello.txt from hello.tar served by Linux's
# in-kernel blkback.
cat > /tmp/tarcat.cfg <<CFG
name = "tarcat"
type = "pvh"
kernel = "/guest/tar-cat.xen"
extra = "-q hello.txt"
memory = 32
vcpus = 1
on_crash = "preserve"
disk = [ "format=raw, vdev=xvda, access=r, target=/guest/hello.tar" ]
CFG
if xl create /tmp/tarcat.cfg >/tmp/xl.log 2>&1; then
  i=0
  while xl list tarcat 2>/dev/null | grep -q tarcat; do
    state=$(xl list tarcat | awk 'NR==2 {print $5}')
    case "$state" in *c*|*s*) break;; esac
    i=$((i + 1)); [ $i -gt 240 ] && { echo "@@ warn tarcat still running after 120 s"; break; }
    sleep 0.5
  done
  echo "@@ tarcat-state ${state:-gone}"
  xl destroy tarcat >/dev/null 2>&1
else
  echo "@@ fail xl create"; sed 's/^/@@ xl: /' /tmp/xl.log
  sed 's/^/@@ hotplug: /' /var/log/xen/xen-hotplug.log 2>/dev/null | tail -30
fi
echo "@@ console-begin tarcat"
cat /var/log/xen/console/guest-tarcat.log 2>/dev/null
echo "@@ console-end tarcat"
echo "@@ phase scenarios-done $(up)"
echo "@@ done"
poweroff -f
