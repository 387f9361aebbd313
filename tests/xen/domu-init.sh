#!/bin/busybox sh
# A Linux domU's /init inside the nested Xen.  "splitbed=ours" on the
# kernel command line runs our Linux-process frontends (tar-cat,
# blk-verify, net-echo over the real libxenstore/libxengnttab/
# libxenevtchn) against dom0's backends; "splitbed=linuxfront" reads the
# disk through Linux's own xen-blkfront instead; "splitbed=linuxnet" moves
# traffic through Linux's own xen-netfront to dom0 (ping, an HTTP download
# and an upload, each checked by MD5).  Lines starting "@@"
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
  rc=$?
  # Writes through Linux's blkfront (indirect segments, persistent
  # grants, a flush), read back past the page cache.
  while [ ! -b /dev/xvdb ] && [ $i -lt 80 ]; do i=$((i + 1)); sleep 0.5; done
  mkdir -p /tmp && seq 1 300000 > /tmp/w.txt
  dd if=/tmp/w.txt of=/dev/xvdb bs=64k conv=fsync 2>/dev/null || echo "@@ warn dd to xvdb failed"
  echo 3 > /proc/sys/vm/drop_caches
  echo "@@ bw-domu $(head -c "$(wc -c < /tmp/w.txt)" /dev/xvdb | md5sum | cut -d' ' -f1)"
  echo "@@ bw-want $(md5sum < /tmp/w.txt | cut -d' ' -f1)"
  echo "@@ rc linux-blkfront $rc"
  ;;
linuxnet)
  insmod /lib/modules/xen-netfront.ko* || echo "@@ warn insmod xen-netfront failed"
  i=0
  while [ ! -e /sys/class/net/eth0 ] && [ $i -lt 40 ]; do i=$((i + 1)); sleep 0.5; done
  ip addr add 10.9.0.4/24 dev eth0
  ip link set eth0 up
  # dom0 gives its end of the link an address once the backend is
  # connected: wait for it to answer (ping -W is the wait, 60 tries).
  i=0
  until ping -c 1 -W 1 10.9.0.1 >/dev/null 2>&1 || [ $i -ge 60 ]; do i=$((i + 1)); done
  echo "@@ link-tries $i"
  # Frames of several slots each way: 3000-byte pings are IP fragments.
  ping -c 3 -W 5 -s 3000 10.9.0.1 | sed -n 's/^\(.*packets transmitted.*\)/@@ bigping: \1/p'
  echo "@@ down $(wget -q -O - http://10.9.0.1:8080/blob | md5sum | cut -d' ' -f1)"
  echo "@@ down-want $(md5sum < /bin/busybox | cut -d' ' -f1)"
  mkdir -p /tmp && seq 1 200000 > /tmp/up.txt
  echo "@@ up $(wget -q -O - --post-file /tmp/up.txt http://10.9.0.1:8080/cgi-bin/md5)"
  echo "@@ up-want $(md5sum < /tmp/up.txt | cut -d' ' -f1)"
  echo "@@ end linux-netfront"
  ;;
esac
poweroff -f
