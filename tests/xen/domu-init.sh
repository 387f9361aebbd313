#!/bin/busybox sh
# A Linux domU's /init inside the nested Xen.  "splitbed=ours" on the
# kernel command line runs our Linux-process frontends (tar-cat,
# blk-verify, net-echo over the real libxenstore/libxengnttab/
# libxenevtchn) against dom0's backends; "splitbed=linuxfront" reads the
# disk through Linux's own xen-blkfront instead.  Lines starting "@@"
# are for tests/xen/run.sh; the console reaches it through dom0.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in xen-privcmd xen-evtchn xen-gntdev xen-gntalloc xenfs; do
  insmod /lib/modules/$m.ko* || echo "@@ warn insmod $m failed"
done
mount -t xenfs xenfs /proc/xen
mode=$(sed -n 's/.*splitbed=\([a-z]*\).*/\1/p' /proc/cmdline)
echo "@@ domu-up $mode $(cut -d' ' -f1 /proc/uptime)"
case "$mode" in
ours)
  /guest/tar-cat -q hello.txt
  echo "@@ rc tar-cat $?"
  /guest/blk-verify -q --vdev xvdb
  echo "@@ rc blk-verify $?"
  /guest/net-echo -q --ip 10.9.0.3 --count 3 --timeout 60
  echo "@@ rc net-echo $?"
  ;;
linuxfront)
  insmod /lib/modules/xen-blkfront.ko* || echo "@@ warn insmod xen-blkfront failed"
  i=0
  while [ ! -b /dev/xvda ] && [ $i -lt 40 ]; do i=$((i + 1)); sleep 0.5; done
  tar -xOf /dev/xvda hello.txt
  echo "@@ rc linux-blkfront $?"
  ;;
esac
poweroff -f
