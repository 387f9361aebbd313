#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_xs_wire: short sessions of xs_wire
messages from dom0 (slot 0) and guests 1 and 2 (slots 1, 2), in the
[slot][n][n bytes] records the target reads.

usage: gen_fuzz_xs_wire.py OUTDIR"""
import os
import struct
import sys

T = dict(CONTROL=0, DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5,
         TX_START=6, TX_END=7, INTRODUCE=8, RELEASE=9, GET_DOMAIN_PATH=10,
         WRITE=11, MKDIR=12, RM=13, SET_PERMS=14, IS_INTRODUCED=17,
         RESUME=18, SET_TARGET=19, RESET_WATCHES=21, DIRECTORY_PART=22)


def msg(kind, *args, req=1, tx=0, raw=None):
    body = raw if raw is not None else b"".join(a.encode() + b"\0" for a in args)
    return struct.pack("<IIII", T[kind] if isinstance(kind, str) else kind,
                       req, tx, len(body)) + body


def records(slot, data, chunk=255):
    out = b""
    for i in range(0, len(data), chunk):
        part = data[i:i + chunk]
        out += bytes([slot, len(part)]) + part
    return out


SEEDS = {
    "rw": records(0, msg("WRITE", raw=b"/a/b\0hello") + msg("READ", "/a/b")
                  + msg("DIRECTORY", "/a") + msg("RM", "/a")),
    "guest": records(1, msg("WRITE", raw=b"data/k\0v") + msg("READ", "domid")
                     + msg("READ", "/local/domain/0/name")
                     + msg("GET_PERMS", "data/k")
                     + msg("SET_PERMS", "data/k", "n1", "r2")),
    "watch": records(2, msg("WATCH", "data", "tok"))
             + records(0, msg("WRITE", raw=b"/local/domain/2/data/x\0y"))
             + records(2, msg("UNWATCH", "data", "tok")
                       + msg("RESET_WATCHES", "")),
    "tx": records(0, msg("TX_START", "") + msg("WRITE", tx=1, raw=b"/t/a\0x")
                  + msg("READ", "/t/a", tx=1) + msg("TX_END", "T", tx=1)),
    "domains": records(0, msg("INTRODUCE", "3", "1", "1")
                       + msg("IS_INTRODUCED", "3") + msg("SET_TARGET", "1", "2")
                       + msg("RESUME", "3") + msg("RELEASE", "1")
                       + msg("GET_DOMAIN_PATH", "5") + msg("CONTROL", "check"))
               + records(1, msg("READ", "domid")),
    "dirpart": records(0, b"".join(msg("MKDIR", "/d/child%03d" % i)
                                   for i in range(40))
                       + msg("DIRECTORY_PART", "/d", "0")),
    "bad": records(1, msg(99, "/") + msg("READ", raw=b"/nonul")
                   + msg("WRITE", "//bad", "x") + struct.pack("<IIII", 2, 1, 0, 5000)),
    "split": b"".join(bytes([0, 1, b]) for b in msg("READ", "/tool")),
}


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__ + "\n")
        sys.exit(2)
    os.makedirs(sys.argv[1], exist_ok=True)
    for name, data in SEEDS.items():
        with open(os.path.join(sys.argv[1], name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
