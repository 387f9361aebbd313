#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_qrexec_daemon: a VM agent's sessions
with dom0's qrexec, in the [op][n][n bytes] records the target reads
(op 0: control channel bytes, 1 + 8*slot: data slot bytes, 2: dom0
calls, +8 with no stdin, +16 with the command as stdin, 3 + 8*slot: the VM connects to data port 513+slot, 4 + 8*slot:
the VM serves it, 5: closes it, 6: the agent starts again, 7: time).

usage: gen_fuzz_qrexec_daemon.py OUTDIR"""
import os
import struct
import sys

T = dict(EXEC_CMDLINE=0x200, JUST_EXEC=0x201, SERVICE_CONNECT=0x202,
         SERVICE_REFUSED=0x203, TRIGGER_SERVICE=0x210,
         CONNECTION_TERMINATED=0x211, TRIGGER_SERVICE3=0x212,
         TRIGGER_SERVICE4=0x213, HELLO=0x300, STDIN=0x190, STDOUT=0x191,
         STDERR=0x192, EXIT_CODE=0x193)


def msg(kind, body=b"", length=None):
    t = T[kind] if isinstance(kind, str) else kind
    n = len(body) if length is None else length
    return struct.pack("<II", t, n) + body


def u32(v):
    return struct.pack("<I", v)


def rec(op, data=b""):
    out = b""
    for i in range(0, max(len(data), 1), 255):
        part = data[i:i + 255]
        out += bytes([op, len(part)]) + part
    return out


def ctl(data):
    return rec(0, data)


def dat(slot, data):
    return rec(1 + 8 * slot, data)


def trigger3(service, target=b"dom0", rid=b"SOCKET7"):
    return target.ljust(64, b"\0") + rid.ljust(32, b"\0") + service


def trigger4(service, target=b"dom0", rid=b"SOCKET7"):
    return b"vm1".ljust(64, b"\0") + trigger3(service, target, rid)


UP3 = rec(7) + ctl(msg("HELLO", u32(3)))
UP4 = rec(7) + ctl(msg("HELLO", u32(4)))
CALL = rec(2, b"user:QUBESRPC splitbed.Echo+ dom0")
ECHO_DONE = (dat(0, msg("STDOUT", b"hi")) + dat(0, msg("STDOUT"))
             + dat(0, msg("STDERR")) + dat(0, msg("EXIT_CODE", u32(0)))
             + ctl(msg("CONNECTION_TERMINATED", u32(1) + u32(513))))

SEEDS = {
    "hello-v3": UP3,
    "hello-v2": rec(7) + ctl(msg("HELLO", u32(2))),
    "hello-v1": rec(7) + ctl(msg("HELLO", u32(1))),
    "hello-short": rec(7) + ctl(msg("HELLO", b"\3\0")),
    "no-hello": rec(7) + ctl(msg("CONNECTION_TERMINATED", u32(1) + u32(513))),
    "dom0-call": UP3 + CALL + rec(3) + dat(0, msg("HELLO", u32(3))) + ECHO_DONE,
    "dom0-call-before-agent": CALL + UP3 + rec(3)
    + dat(0, msg("HELLO", u32(3))) + ECHO_DONE,
    "dom0-call-no-stdin": UP3 + rec(2 + 8, b"user:true") + rec(3)
    + dat(0, msg("HELLO", u32(3))) + dat(0, msg("EXIT_CODE", u32(3))),
    "dom0-call-with-stdin": UP3 + rec(2 + 16, b"user:QUBESRPC splitbed.Echo+ dom0")
    + rec(3) + dat(0, msg("HELLO", u32(3))) + rec(7) + ECHO_DONE,
    "dom0-call-exit-first": UP3 + CALL + rec(3) + dat(0, msg("HELLO", u32(3)))
    + dat(0, msg("EXIT_CODE", u32(1))) + dat(0, msg("STDOUT", b"late")),
    "dom0-call-short-exit": UP3 + CALL + rec(3) + dat(0, msg("HELLO", u32(3)))
    + dat(0, msg("EXIT_CODE", b"\1")),
    "dom0-call-vm-closes": UP3 + CALL + rec(3) + dat(0, msg("HELLO", u32(3)))
    + dat(0, msg("STDOUT", b"x")) + rec(5),
    "dom0-call-bad-hello": UP3 + CALL + rec(3) + dat(0, msg("STDOUT", b"x")),
    "dom0-call-wrong-type": UP3 + CALL + rec(3) + dat(0, msg("HELLO", u32(3)))
    + dat(0, msg("TRIGGER_SERVICE3", b"x")),
    "dom0-call-stdin-from-vm": UP3 + CALL + rec(3)
    + dat(0, msg("HELLO", u32(3))) + dat(0, msg("STDIN", b"x")),
    "dom0-call-oversize": UP3 + CALL + rec(3) + dat(0, msg("HELLO", u32(3)))
    + dat(0, msg("STDOUT", length=0x20000)),
    "agent-restarts": UP3 + CALL + rec(6) + UP3,
    "many-calls": UP3 + CALL * 9,
    "trigger3-allowed": UP3 + rec(4)
    + ctl(msg("TRIGGER_SERVICE3", trigger3(b"splitbed.Echo\0")))
    + rec(7) + dat(0, msg("HELLO", u32(3))) + dat(0, msg("STDIN", b"in"))
    + dat(0, msg("STDIN")) + rec(7),
    "trigger4-allowed": UP4 + rec(4)
    + ctl(msg("TRIGGER_SERVICE4", trigger4(b"qubes.Filecopy+only\0")))
    + rec(7) + dat(0, msg("HELLO", u32(4))) + dat(0, msg("STDIN")) + rec(7),
    "trigger3-not-allowed": UP3
    + ctl(msg("TRIGGER_SERVICE3", trigger3(b"qubes.Other\0"))),
    "trigger3-other-vm": UP3
    + ctl(msg("TRIGGER_SERVICE3", trigger3(b"splitbed.Echo\0", b"work"))),
    "trigger3-at-v4": UP4
    + ctl(msg("TRIGGER_SERVICE3", trigger3(b"splitbed.Echo\0"))),
    "trigger-v2": rec(7) + ctl(msg("HELLO", u32(2)))
    + ctl(msg("TRIGGER_SERVICE", trigger3(b"splitbed.Echo\0"))),
    "trigger3-unterminated": UP3
    + ctl(msg("TRIGGER_SERVICE3", trigger3(b"splitbed.Echo"))),
    "trigger3-no-name": UP3 + ctl(msg("TRIGGER_SERVICE3", trigger3(b""))),
    "trigger3-bad-id": UP3 + ctl(msg("TRIGGER_SERVICE3",
                                     trigger3(b"splitbed.Echo\0", rid=b"a/b"))),
    "trigger3-plus-first": UP3
    + ctl(msg("TRIGGER_SERVICE3", trigger3(b"+arg\0"))),
    "trigger3-lying-length": UP3 + ctl(msg("TRIGGER_SERVICE3",
                                           trigger3(b"splitbed.Echo\0"),
                                           length=400)),
    "trigger3-huge": UP3 + ctl(msg("TRIGGER_SERVICE3", length=0x10000000)),
    "terminated-bad-port": UP3
    + ctl(msg("CONNECTION_TERMINATED", u32(0) + u32(77))),
    "terminated-short": UP3 + ctl(msg("CONNECTION_TERMINATED", u32(0))),
    "dom0-type-on-ctl": UP3 + ctl(msg("EXEC_CMDLINE", u32(0) + u32(513) + b"x\0")),
    "service-vm-bad-hello": UP3 + rec(4)
    + ctl(msg("TRIGGER_SERVICE3", trigger3(b"splitbed.Echo\0")))
    + rec(7) + dat(0, msg("STDOUT", b"x")),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
