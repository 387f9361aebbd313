#!/bin/sh
# fetch.sh CACHE — puts what the nested Xen boot needs into CACHE, once:
#   CACHE/xen.gz          the hypervisor (the host's /boot copy, else the deb's)
#   CACHE/vmlinuz, CACHE/modules/   Debian's standard 6.1 kernel (dom0 capable)
#   CACHE/busybox         static busybox for the initramfs
# Packages come from `apt-get download` and are unpacked with dpkg-deb -x;
# nothing is installed on the host.
set -eu
cache=$1
mkdir -p "$cache/debs"
cd "$cache/debs"

have() { ls $1 >/dev/null 2>&1; }

if [ ! -f "$cache/vmlinuz" ]; then
  kpkg=$(apt-cache depends linux-image-amd64 | sed -n 's/.*Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1)
  [ -n "$kpkg" ] || { echo "fetch: cannot resolve linux-image-amd64 to a kernel package" >&2; exit 1; }
  have "${kpkg}_*.deb" || apt-get download "$kpkg" >/dev/null
  rm -rf "$cache/kernel"
  dpkg-deb -x ${kpkg}_*.deb "$cache/kernel"
  cp "$cache"/kernel/boot/vmlinuz-* "$cache/vmlinuz.tmp"
  rm -rf "$cache/modules"
  mv "$cache"/kernel/lib/modules/* "$cache/modules"
  rm -rf "$cache/kernel"
  mv "$cache/vmlinuz.tmp" "$cache/vmlinuz"
fi

if [ ! -f "$cache/busybox" ]; then
  have "busybox-static_*.deb" || apt-get download busybox-static >/dev/null
  rm -rf "$cache/bb"
  dpkg-deb -x busybox-static_*.deb "$cache/bb"
  mv "$cache/bb/bin/busybox" "$cache/busybox"
  rm -rf "$cache/bb"
fi

if [ ! -f "$cache/xen" ]; then
  src=$(ls /boot/xen-4.17-amd64.gz 2>/dev/null || true)
  if [ -z "$src" ]; then
    have "xen-hypervisor-4.17-amd64_*.deb" || apt-get download xen-hypervisor-4.17-amd64 >/dev/null
    rm -rf "$cache/xh"
    dpkg-deb -x xen-hypervisor-4.17-amd64_*.deb "$cache/xh"
    src=$(ls "$cache"/xh/boot/xen-4.17-amd64.gz)
  fi
  # QEMU's multiboot loader wants the ELF itself, not the gzip.
  gzip -dc "$src" > "$cache/xen.tmp"
  mv "$cache/xen.tmp" "$cache/xen"
  rm -rf "$cache/xh"
fi
