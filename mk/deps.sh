#!/bin/sh
# Installs the Debian 12 packages splitbed builds and tests with, when they
# are missing.  As root it uses apt-get; otherwise it names what is missing.
set -eu
PKGS="make gcc clang clang-format pkg-config check libxen-dev xenstore-utils xen-utils-4.17 \
libclang-rt-14-dev libpcap-dev iproute2 tshark tar python3 libarchive-tools iputils-ping qemu-system-x86 gnuplot-nox scdoc zip unzip afl++ \
time"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "deps: missing Debian packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
  exit 1
fi
echo "deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
