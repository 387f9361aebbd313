#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_qubesdb_daemon: a VM's sessions with
dom0's QubesDB on vchan port 111, in the [op][n][n bytes] records the
target reads (op 0: the VM's bytes, 1: dom0 writes PATH=VALUE, 2: dom0
removes PATH, 3: the VM reconnects; +4: the VM does not read).

usage: gen_fuzz_qubesdb_daemon.py OUTDIR"""
import os
import struct
import sys

T = dict(READ=0, WRITE=1, MULTIREAD=2, LIST=3, RM=4, WATCH=5, UNWATCH=6,
         OK=7, ERROR_NOENT=8, ERROR=9, RESP_READ=10, RESP_MULTIREAD=11,
         RESP_LIST=12, RESP_WATCH=13)


def msg(kind, path=b"", value=b"", data_len=None):
    t = T[kind] if isinstance(kind, str) else kind
    n = len(value) if data_len is None else data_len
    p = path if isinstance(path, bytes) else path.encode()
    return struct.pack("<B64s3xI", t, p, n) + value


def vm(data, op=0, chunk=255):
    out = b""
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        out += bytes([op, len(part)]) + part
    return out


def rec(op, data):
    return bytes([op, len(data)]) + data


SYNC = vm(msg("MULTIREAD"))
SEEDS = {
    "sync": SYNC,
    "sync-prefix": vm(msg("MULTIREAD", "/qubes-")),
    "write-read-back": SYNC + vm(msg("WRITE", "/qubes-iptables-error", b"ok"))
    + vm(msg("RM", "/qubes-iptables-error")),
    "rm-subtree": SYNC + vm(msg("RM", "/qubes-service/")),
    "rm-missing": SYNC + vm(msg("RM", "/nothing-here")),
    "dom0-changes": SYNC + rec(1, b"/qubes-ip=10.137.0.9")
    + rec(2, b"/qubes-ip") + vm(msg("OK", "/qubes-ip"))
    + vm(msg("ERROR", "/qubes-ip")),
    "dom0-before-sync": rec(1, b"/a=b") + SYNC + rec(2, b"/a"),
    "second-dump": SYNC + SYNC,
    "reconnect": SYNC + rec(3, b"") + SYNC,
    "not-reading": vm(msg("MULTIREAD"), op=4)
    + vm(msg("WRITE", "/x", b"y") * 3, op=4),
    "value-split": SYNC + vm(msg("WRITE", "/big", b"v" * 600)),
    "lying-length": SYNC + vm(msg("WRITE", "/k", b"abc", data_len=10)),
    "huge-length": vm(msg("WRITE", "/k", b"", data_len=0xffffffff)),
    "value-with-nul": SYNC + vm(msg("WRITE", "/k", b"a\0b")),
    "write-not-a-key": vm(msg("WRITE", "/k/", b"v")),
    "bad-path-chars": vm(msg("RM", "/k ey")),
    "path-no-nul": vm(struct.pack("<B", 1) + b"/" * 64 + b"\0\0\0"
                      + struct.pack("<I", 0)),
    "dom0-only-read": vm(msg("READ", "/name")),
    "dom0-only-list": vm(msg("LIST", "/")),
    "watch": vm(msg("WATCH", "/name")),
    "unwatch": vm(msg("UNWATCH", "/name")),
    "resp-multiread": vm(msg("RESP_MULTIREAD", "/name", b"x")),
    "rm-with-value": vm(msg("RM", "/name", b"x")),
    "unknown-type": vm(msg(0x42, "/name")),
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
