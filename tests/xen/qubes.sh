# dom0's part of the Qubes scenarios inside the nested Xen, sourced by
# init.sh (it uses init.sh's want, kmod, xlc, wait_domain, console, up).
# Lines starting "@@" are for tests/xen/qubes-results.sh.
#
# vchan: vchan-stream.xen (our vchan in a PVH domU) against Debian's
#   libxenvchan in dom0, both ways round: the domU as the client maps the
#   grants of vchan-peer (on libxenvchan), then as the server grants its
#   own to Debian's vchan-socket-proxy, which streams the client's side
#   from a file (/guest/vchan-client.bin) and writes what it received.
# qubes-hello: qubes-hello.xen as a Qubes VM, with Qubes' own
#   qubesdb-daemon and qrexec-daemon (built from QUBES_SRC, under
#   /qubes) and splitbed-guid in dom0; dom0 calls two services in the VM
#   with Qubes' qrexec-client, then asks it to power off.

VCHAN_BYTES=1048576

# qubes_vchan ROLE: the domU is vchan-stream.xen ROLE, dom0 the other end.
qubes_vchan() {
  role=$1 name=vchan-$1
  if [ "$role" = client ]; then
    path=/local/domain/0/data/splitbed-vchan
  else
    path=/splitbed-vchan
  fi
  cat > /tmp/$name.cfg <<CFG
name = "$name"
type = "pvh"
kernel = "/guest/vchan-stream.xen"
extra = "-q $role 0 $path --bytes $VCHAN_BYTES"
memory = 32
vcpus = 1
on_crash = "preserve"
on_poweroff = "preserve"
CFG
  if xlc /tmp/$name.cfg qubes_vchan_setup; then
    if [ "$role" = server ]; then
      # libxenvchan's client needs the keys there: wait for them.
      i=0
      while ! xenstore-read $path/event-channel >/dev/null 2>&1 && [ $i -lt 60 ]; do
        i=$((i + 1)); sleep 0.5
      done
      rm -f /tmp/vin && mkfifo /tmp/vin
      timeout 60 /guest/vchan-socket-proxy -m client "$dom" $path - </tmp/vin \
        >/tmp/$name.got 2>/tmp/$name.peer &
      px=$!
      exec 3>/tmp/vin
      cat /guest/vchan-client.bin >&3
      wait $px
      echo "@@ vchan-peer-rc $role $?"
      exec 3>&-
      echo "@@ vchan-proxy-md5 $(md5sum </tmp/$name.got | cut -d' ' -f1)"
    fi
    wait_domain $name
    [ "$role" = server ] || { wait $peer; echo "@@ vchan-peer-rc $role $?"; }
  else
    state=not-created
    echo "@@ fail xl create $name"; sed 's/^/@@ xl: /' /tmp/xl.log
    [ -z "${peer:-}" ] || kill $peer 2>/dev/null
  fi
  sed "s/^/@@ vchan-peer $role /" /tmp/$name.peer 2>/dev/null
  echo "@@ state $name $state"
  console $name '^\[uk\] exit'
  xenstore-rm $path 2>/dev/null
  peer=
}
# Runs while the domU is still paused, its id in $dom.
qubes_vchan_setup() {
  dom=$(xl domid "$1")
  if [ "$role" = client ]; then
    VCHAN_PEER_BYTES=$VCHAN_BYTES timeout 60 /guest/vchan-peer server "$dom" $path \
      >/tmp/$1.peer 2>&1 &
    peer=$!
    i=0
    while ! grep -q ready /tmp/$1.peer && [ $i -lt 60 ]; do i=$((i + 1)); sleep 0.5; done
  else
    # A node the domU owns, for its server's keys.
    xenstore-write $path "" && xenstore-chmod $path "n$dom"
  fi
}

if want vchan; then
  qubes_vchan client
  qubes_vchan server
  echo "@@ phase vchan $(up)"
fi

# qubes-hello: Qubes' daemons in dom0 come up while the VM is paused, as
# Qubes' toolstack starts them.
qubes_hello_setup() {
  echo "@@ qubes-t created $(up)"
  qdom=$(xl domid "$1")
  Q=/qubes
  export LD_LIBRARY_PATH=$Q/lib
  mkdir -p /var/run/qubes /var/log/qubes
  vm=$1
  $Q/qubesdb-daemon "$qdom" "$vm" >/tmp/qubesdb.log 2>&1 || echo "@@ warn qubesdb-daemon failed"
  # The same entries the simulator's splitbed-qubesdb served, in one go.
  set --
  while read -r p v; do set -- "$@" "$p" "$v"; done < $Q/entries
  $Q/qubesdb-cmd -c write -d "$vm" "$@" || echo "@@ warn qubesdb-write failed"
  echo "@@ qubes-t qubesdb-filled $(up)"
  QREXEC_STARTUP_TIMEOUT=60 $Q/qrexec-daemon -u 00000000-0000-4000-8000-0000000000a1 -D \
    "$qdom" "$vm" root >/tmp/qrexec-daemon.log 2>&1 &
  qrexecd=$!
  unset LD_LIBRARY_PATH
  /guest/splitbed-guid --domain "$qdom" >/tmp/guid.log 2>&1 &
  guid=$!
}

if want qubes-hello && [ -x /qubes/qrexec-daemon ]; then
  kmod on xen-blkback
  cat > /tmp/qubes-hello.cfg <<CFG
name = "qubes-hello"
type = "pvh"
kernel = "/guest/qubes-hello.xen"
extra = "--stay hello.txt"
memory = 32
vcpus = 1
on_crash = "preserve"
on_poweroff = "preserve"
disk = [ "format=raw, vdev=xvda, access=r, target=/guest/hello.tar" ]
CFG
  qrexecd= guid=
  if xlc /tmp/qubes-hello.cfg qubes_hello_setup; then
    log=/var/log/xen/console/guest-qubes-hello.log
    i=0
    while ! grep -q '^hello world!' $log 2>/dev/null && [ $i -lt 120 ]; do
      i=$((i + 1)); sleep 0.5
    done
    echo "@@ qubes-t hello-world $(up)"
    export LD_LIBRARY_PATH=/qubes/lib
    # Services over a data vchan dom0's qrexec-client serves (the VM maps it).
    timeout 60 /qubes/qrexec-client -d qubes-hello \
      "root:QUBESRPC splitbed.TarCat+hello.txt dom0" </dev/null >/tmp/qrx-cat.out 2>/tmp/qrx-cat.err
    echo "@@ qrexec-cat-rc $?"
    sed 's/^/@@ qrexec-cat /' /tmp/qrx-cat.out
    seq 1 20000 > /tmp/qrx-in
    timeout 60 /qubes/qrexec-client -d qubes-hello \
      "root:QUBESRPC splitbed.Echo+ dom0" </tmp/qrx-in >/tmp/qrx-echo.out 2>/tmp/qrx-echo.err
    echo "@@ qrexec-echo-rc $?"
    echo "@@ qrexec-echo-md5 $(md5sum </tmp/qrx-echo.out | cut -d' ' -f1) want $(md5sum </tmp/qrx-in | cut -d' ' -f1)"
    sed 's/^/@@ qrexec-err /' /tmp/qrx-cat.err /tmp/qrx-echo.err | head -10
    unset LD_LIBRARY_PATH
    echo "@@ qubes-t qrexec-done $(up)"
    # What `xl shutdown` asks of a guest.
    xenstore-write /local/domain/$qdom/control/shutdown poweroff
    wait_domain qubes-hello
    echo "@@ qubes-t stopped $(up)"
  else
    state=not-created
    echo "@@ fail xl create qubes-hello"; sed 's/^/@@ xl: /' /tmp/xl.log
  fi
  echo "@@ state qubes-hello $state"
  console qubes-hello '^\[uk\] exit'
  for p in $qrexecd $guid; do kill $p 2>/dev/null; done
  killall qubesdb-daemon 2>/dev/null
  sed 's/^/@@ qubesdb-daemon: /' /tmp/qubesdb.log /var/log/qubes/qubesdb.qubes-hello.log 2>/dev/null | tail -10
  sed 's/^/@@ qrexec-daemon: /' /tmp/qrexec-daemon.log 2>/dev/null | tail -10
  sed 's/^/@@ guid: /' /tmp/guid.log 2>/dev/null | tail -10
  echo "@@ phase qubes-hello $(up)"
fi
