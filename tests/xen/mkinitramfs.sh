#!/bin/sh
# mkinitramfs.sh CACHE BUILD SRCDIR OUT [BIGTAR] — dom0's initramfs: busybox, the
# Xen kernel modules, Xen's own tools (xl, xenstored, xenconsoled, the
# xenstore-* tools and hotplug scripts, with every library they load),
# bash and flock for the hotplug scripts, our guest images and fixtures,
# and tests/xen/init.sh as /init.
set -eu
cache=$1 build=$2 src=$3 out=$4 bigtar=${5:-}
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/bin "$root"/sbin "$root"/lib/modules "$root"/etc/xen "$root"/guest \
  "$root"/proc "$root"/sys "$root"/dev "$root"/tmp "$root"/run "$root"/var/run \
  "$root"/var/lib/xen "$root"/var/log/xen "$root"/usr/bin "$root"/usr/sbin
cp "$cache/busybox" "$root/bin/busybox"
for m in xen/xen-privcmd xen/xen-evtchn xen/xen-gntdev xen/xen-gntalloc xen/xenfs/xenfs \
         block/loop block/xen-blkback/xen-blkback net/xen-netback/xen-netback net/tun; do
  f=$(ls "$cache"/modules/kernel/drivers/$m.ko* 2>/dev/null | head -1)
  [ -n "$f" ] || { echo "mkinitramfs: no module $m in $cache/modules" >&2; exit 1; }
  cp "$f" "$root/lib/modules/"
done

# A program and every shared library it needs, at the same path (or at
# the path given second).
copy_prog() {
  dest=${2:-$1}
  mkdir -p "$root$(dirname "$dest")"
  cp -L "$1" "$root$dest"
  ldd "$1" 2>/dev/null | sed -n 's/.*=> \(\/[^ ]*\).*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p' |
  while read -r lib; do
    [ -e "$root$lib" ] && continue
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}
X=/usr/lib/xen-4.17/bin
for p in $X/xl $X/xenstored $X/xenconsoled $X/xen-init-dom0 $X/libxl-save-helper /usr/bin/xenstore \
         /usr/bin/xenstore-read /usr/bin/xenstore-write /usr/bin/xenstore-rm \
         /usr/bin/xenstore-exists /usr/bin/xenstore-list /usr/bin/xenstore-ls \
         /usr/bin/xenstore-chmod /bin/bash /usr/bin/flock /sbin/losetup; do
  copy_prog "$p"
done
# pthread_cancel in the tools dlopens libgcc_s; ldd cannot see that.
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$root/lib/x86_64-linux-gnu/"
cp -a /etc/xen/scripts "$root/etc/xen/"
: > "$root/etc/xen/xl.conf"
for t in xl xenstored xenconsoled xen-init-dom0; do ln -sf $X/$t "$root/usr/sbin/$t"; done

# What the scenarios run.
cp "$build"/unikernel/tar-cat.xen "$root/guest/"
cp "$build"/unikernel/net-echo.xen "$build"/unikernel/blk-verify.xen "$root/guest/"
copy_prog "$build"/libexec/splitbed/splitbed-blkback /guest/splitbed-blkback
copy_prog "$build"/libexec/splitbed/splitbed-netback /guest/splitbed-netback
# docs/real-xen.md's recipe, where `make install PREFIX=/usr` puts it.
copy_prog "$build"/libexec/splitbed/splitbed-xen-dm /usr/libexec/splitbed/splitbed-xen-dm
copy_prog "$build"/libexec/splitbed/splitbed-blkback /usr/libexec/splitbed/splitbed-blkback
copy_prog "$build"/libexec/splitbed/splitbed-netback /usr/libexec/splitbed/splitbed-netback
# What dom0's web server offers the Linux-netfront domU: a binary file to
# download and a CGI answering the MD5 of what was posted to it.
mkdir -p "$root/srv/cgi-bin"
cp "$cache/busybox" "$root/srv/blob"
cp "$src"/tests/xen/cgi-md5 "$root/srv/cgi-bin/md5"
chmod 755 "$root/srv/cgi-bin/md5"
cp "$src"/tests/xen/vif-plain "$root/etc/xen/scripts/vif-plain"
cp "$src"/fixtures/tar/hello.tar "$root/guest/"
[ -z "$bigtar" ] || cp "$bigtar" "$root/guest/big.tar"
# The Qubes and vchan scenarios (qubes_out, qubes_entries: see there).
. "$src"/tests/xen/qubes-initramfs.sh
cp "$src"/tests/xen/init.sh "$root/init"
chmod 755 "$root/init"

# A Linux domU: the same kernel, its own initramfs inside dom0's.
droot=$(mktemp -d)
mkdir -p "$droot"/bin "$droot"/lib/modules "$droot"/guest "$droot"/proc "$droot"/sys "$droot"/dev
cp "$cache/busybox" "$droot/bin/busybox"
for m in xen/xen-privcmd xen/xen-evtchn xen/xen-gntdev xen/xen-gntalloc xen/xenfs/xenfs \
         block/xen-blkfront net/xen-netfront; do
  cp "$(ls "$cache"/modules/kernel/drivers/$m.ko* | head -1)" "$droot/lib/modules/"
done
main_root=$root
root=$droot
for a in tar-cat blk-verify net-echo; do
  copy_prog "$build/libexec/splitbed/$a" "/guest/$a"
done
cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$droot/lib/x86_64-linux-gnu/"
cp "$src"/tests/xen/domu-init.sh "$droot/init"
chmod 755 "$droot/init"
root=$main_root
(cd "$droot" && find . | "$cache/busybox" cpio -o -H newc 2>/dev/null) > "$root/guest/domu.cpio"
rm -rf "$droot"
cp "$cache/vmlinuz" "$root/guest/vmlinuz"

(cd "$root" && find . | "$cache/busybox" cpio -o -H newc 2>/dev/null) > "$out.tmp"
mv "$out.tmp" "$out"
