# The pairings of tests/qubes/run.sh, one function each, sourced inside a
# private mount namespace with a fresh simulator in $dir.  A function
# returns 0 on success; otherwise its last line on stdout says why.
# Domain 1 is the VM ("vm1"), dom0 is 0.

apps=$(dirname "$sb")/../libexec/splitbed
uuid=00000000-0000-4000-8000-000000000001

fifo() { # name: a FIFO in $dir, opened on fd 3 once a writer is there
  mkfifo "$dir/$1"
}

qdb_dom0_read() { # PATH: dom0's view through Qubes' client
  in_dom 0 "$QDB/client/qubesdb-cmd" -c read -d vm1 "$1"
}

qdb_theirs_dom0() {
  in_dom 1 true
  in_dom 0 "$QDB/daemon/qubesdb-daemon" 1 vm1 || { echo "qubesdb-daemon 1 vm1 did not start"; return 1; }
  in_dom 0 "$QDB/client/qubesdb-cmd" -c write -d vm1 /qubes-ip 10.1.2.3 ||
    { echo "qubesdb-write in dom0 failed"; return 1; }
  fifo vm
  in_dom 1 "$apps/qubesdb-watch" --write /from-vm=hi --until /stop >"$dir/vm" 2>"$dir/vm.err" &
  local vm=$!
  exec 3<"$dir/vm"
  seen=""
  await_line "/qubes-ip=10.1.2.3" || { echo "our client never got /qubes-ip: $seen"; return 1; }
  await_line synced || { echo "our client never synced: $seen"; return 1; }
  local v
  for _ in $(seq 50); do
    v=$(qdb_dom0_read /from-vm 2>/dev/null) && [ "$v" = hi ] && break
    sleep 0.1
  done
  [ "$v" = hi ] || { echo "dom0 never saw the VM's /from-vm (got '$v')"; return 1; }
  in_dom 0 "$QDB/client/qubesdb-cmd" -c write -d vm1 /stop 1
  await_line "write /stop=1" || { echo "our client never saw dom0's write: $seen"; return 1; }
  wait $vm || { echo "our client exited $?"; return 1; }
}

qdb_ours_dom0() {
  "$sb" qubesdb --dir "$dir" 1 start --name vm1 --entry /qubes-ip=10.9.9.9 ||
    { echo "splitbed qubesdb 1 start failed"; return 1; }
  in_dom 1 "$QDB/daemon/qubesdb-daemon" 0 || { echo "Qubes' VM qubesdb-daemon did not start"; return 1; }
  local v
  v=$(in_dom 1 "$QDB/client/qubesdb-cmd" -c read /qubes-ip)
  [ "$v" = 10.9.9.9 ] || { echo "qubesdb-read /qubes-ip in the VM gave '$v'"; return 1; }
  v=$(in_dom 1 "$QDB/client/qubesdb-cmd" -c read /name)
  [ "$v" = vm1 ] || { echo "qubesdb-read /name in the VM gave '$v'"; return 1; }
  "$sb" qubesdb --dir "$dir" 1 write /from-dom0 yes || { echo "splitbed qubesdb write failed"; return 1; }
  for _ in $(seq 50); do
    v=$(in_dom 1 "$QDB/client/qubesdb-cmd" -c read /from-dom0 2>/dev/null) && [ "$v" = yes ] && break
    sleep 0.1
  done
  [ "$v" = yes ] || { echo "the VM never saw dom0's /from-dom0 (got '$v')"; return 1; }
  in_dom 1 "$QDB/client/qubesdb-cmd" -c write /from-vm hi || { echo "qubesdb-write in the VM failed"; return 1; }
  for _ in $(seq 50); do
    v=$("$sb" qubesdb --dir "$dir" 1 read /from-vm 2>/dev/null) && [ "$v" = hi ] && break
    sleep 0.1
  done
  [ "$v" = hi ] || { echo "dom0 never saw the VM's /from-vm (got '$v')"; return 1; }
}

qdb_theirs_both() {
  in_dom 1 true
  in_dom 0 "$QDB/daemon/qubesdb-daemon" 1 vm1 || { echo "qubesdb-daemon 1 vm1 did not start"; return 1; }
  in_dom 0 "$QDB/client/qubesdb-cmd" -c write -d vm1 /qubes-ip 10.5.5.5 || return 1
  in_dom 1 "$QDB/daemon/qubesdb-daemon" 0 || { echo "Qubes' VM qubesdb-daemon did not start"; return 1; }
  local v
  v=$(in_dom 1 "$QDB/client/qubesdb-cmd" -c read /qubes-ip)
  [ "$v" = 10.5.5.5 ] || { echo "qubesdb-read /qubes-ip in the VM gave '$v'"; return 1; }
}

# Our agent as the VM, Qubes' daemon and client in dom0.
qrexec_theirs_dom0() {
  fifo vm
  in_dom 1 "$apps/qrexec-vm" >"$dir/vm" 2>"$dir/vm.err" &
  exec 3<"$dir/vm"
  seen=""
  await_line serving || { echo "qrexec-vm did not serve: $seen"; return 1; }
  in_dom 0 "$QRX/daemon/qrexec-daemon" -u "$uuid" -D 1 vm1 root >"$dir/qd.log" 2>&1 &
  await_line connected || { echo "Qubes' qrexec-daemon never said HELLO: $(tail -3 "$dir/qd.log")"; return 1; }
  local r rc
  r=$(printf ping | in_dom 0 "$QRX/daemon/qrexec-client" -d vm1 "root:QUBESRPC splitbed.Echo+a dom0")
  rc=$?
  [ $rc = 0 ] && [ "$r" = "$(printf 'a\nping')" ] ||
    { echo "qrexec-client splitbed.Echo+a gave '$r', exit $rc"; return 1; }
  r=$(in_dom 0 "$QRX/daemon/qrexec-client" -d vm1 "root:QUBESRPC qubes.WaitForSession+ dom0" </dev/null)
  rc=$?
  [ $rc = 0 ] || { echo "qubes.WaitForSession exited $rc"; return 1; }
  # a command line that is not a service: this agent has no shell
  in_dom 0 "$QRX/daemon/qrexec-client" -d vm1 "root:true" </dev/null 2>/dev/null
  rc=$?
  [ $rc = 127 ] || { echo "a shell command gave exit $rc, not 127"; return 1; }
}

# Qubes' agent as the VM, our daemon and `splitbed qrexec` in dom0.
qrexec_ours_dom0() {
  printf '#!/bin/sh\necho "arg=$1"\ncat\n' >/run/qubes-rpc/test.Echo
  printf '#!/bin/sh\ncat >/dev/null\nexit 3\n' >/run/qubes-rpc/test.Fail
  chmod +x /run/qubes-rpc/test.Echo /run/qubes-rpc/test.Fail
  in_dom 1 "$QRX/agent/qrexec-agent" >"$dir/agent.log" 2>&1 &
  "$sb" qrexec --dir "$dir" 1 start || { echo "splitbed qrexec 1 start failed"; return 1; }
  local r rc
  r=$(printf ping | "$sb" qrexec --dir "$dir" 1 test.Echo+x --user root)
  rc=$?
  [ $rc = 0 ] && [ "$r" = "$(printf 'arg=x\nping')" ] ||
    { echo "splitbed qrexec test.Echo+x gave '$r', exit $rc ($(tail -2 "$dir/agent.log"))"; return 1; }
  printf data | "$sb" qrexec --dir "$dir" 1 test.Fail --user root
  rc=$?
  [ $rc = 3 ] || { echo "splitbed qrexec test.Fail gave exit $rc, not 3"; return 1; }
}

# Qubes' agent as the VM calling dom0 (qrexec-client-vm): our daemon's
# allow list lets test.Up through to a dom0 program and refuses test.No.
qrexec_ours_dom0_vm_calls() {
  mkdir -p "$dir/rpc"
  printf '#!/bin/sh\necho "from $QREXEC_REMOTE_DOMAIN"\ntr a-z A-Z\nexit 4\n' >"$dir/rpc/test.Up"
  chmod +x "$dir/rpc/test.Up"
  in_dom 1 "$QRX/agent/qrexec-agent" >"$dir/agent.log" 2>&1 &
  "$sb" qrexec --dir "$dir" 1 start --allow test.Up@dom0 --services "$dir/rpc" ||
    { echo "splitbed qrexec 1 start failed"; return 1; }
  local r rc
  for _ in $(seq 50); do
    [ -S /run/qubes/qrexec-agent ] && grep -q "connected" "$dir/qrexec.1.log" 2>/dev/null && break
    sleep 0.1
  done
  r=$(printf ping | in_dom 1 "$QRX/agent/qrexec-client-vm" dom0 test.Up)
  rc=$?
  # the first line names the calling VM as dom0 knows it
  local ok=no
  case "$r" in "from "?*$'\n'PING) ok=yes ;; esac
  [ $rc = 4 ] && [ $ok = yes ] ||
    { echo "qrexec-client-vm dom0 test.Up gave '$r', exit $rc ($(tail -2 "$dir/qrexec.1.log"))"; return 1; }
  in_dom 1 "$QRX/agent/qrexec-client-vm" dom0 test.No </dev/null 2>/dev/null
  rc=$?
  [ $rc = 126 ] || { echo "qrexec-client-vm dom0 test.No gave exit $rc, not 126"; return 1; }
  grep -q "test.No: not allowed" "$dir/qrexec.1.log" ||
    { echo "no refusal line in the daemon's log: $(tail -2 "$dir/qrexec.1.log")"; return 1; }
}

qrexec_theirs_both() {
  printf '#!/bin/sh\ncat\n' >/run/qubes-rpc/test.Cat
  chmod +x /run/qubes-rpc/test.Cat
  in_dom 1 "$QRX/agent/qrexec-agent" >"$dir/agent.log" 2>&1 &
  in_dom 0 "$QRX/daemon/qrexec-daemon" -u "$uuid" 1 vm1 root >"$dir/qd.log" 2>&1 ||
    { echo "qrexec-daemon did not connect: $(tail -2 "$dir/qd.log")"; return 1; }
  local r rc
  r=$(printf pong | in_dom 0 "$QRX/daemon/qrexec-client" -d vm1 "root:QUBESRPC test.Cat+ dom0")
  rc=$?
  [ $rc = 0 ] && [ "$r" = pong ] || { echo "qrexec-client test.Cat gave '$r', exit $rc"; return 1; }
}
