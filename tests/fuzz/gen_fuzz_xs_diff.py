#!/usr/bin/env python3
"""Writes the seed corpus of fuzz_xs_diff: request sequences in its record
form [type][tx][len][len >> 8][body] (tx 1: the last transaction)."""
import os
import struct
import sys

XS = dict(DIRECTORY=1, READ=2, GET_PERMS=3, WATCH=4, UNWATCH=5, TRANSACTION_START=6,
          TRANSACTION_END=7, INTRODUCE=8, RELEASE=9, GET_DOMAIN_PATH=10, WRITE=11,
          MKDIR=12, RM=13, SET_PERMS=14, IS_DOMAIN_INTRODUCED=17, RESUME=18,
          SET_TARGET=19, RESET_WATCHES=21, DIRECTORY_PART=22)


def rec(t, body, tx=0):
    return struct.pack('<BBH', XS[t], tx, len(body)) + body


SEEDS = {
    'rw': [rec('WRITE', b'/a\0x'), rec('READ', b'/a\0'), rec('DIRECTORY', b'/\0'),
           rec('RM', b'/a\0')],
    'perms': [rec('WRITE', b'/p\0x'), rec('SET_PERMS', b'/p\0n0\0r5\0'),
              rec('GET_PERMS', b'/p\0')],
    'txn': [rec('TRANSACTION_START', b'\0'), rec('WRITE', b'/t\0v', 1),
            rec('READ', b'/t\0', 1), rec('TRANSACTION_END', b'T\0', 1)],
    'watch': [rec('WATCH', b'/w\0tok\0'), rec('WRITE', b'/w/x\0v'), rec('RM', b'/w\0'),
              rec('UNWATCH', b'/w\0tok\0')],
    'domain': [rec('INTRODUCE', b'5\0001\0003\0'), rec('IS_DOMAIN_INTRODUCED', b'5\0'),
               rec('GET_DOMAIN_PATH', b'5\0'), rec('SET_TARGET', b'5\0000\0'),
               rec('RESUME', b'5\0'), rec('RELEASE', b'5\0')],
    'dirpart': [rec('WRITE', b'/d/a\0x'), rec('WRITE', b'/d/bb\0x'),
                rec('DIRECTORY_PART', b'/d\0' b'0\0'), rec('DIRECTORY_PART', b'/d\0' b'2\0')],
}

out = sys.argv[1] if len(sys.argv) > 1 else 'fixtures/corpora/fuzz_xs_diff'
os.makedirs(out, exist_ok=True)
for name, recs in SEEDS.items():
    with open(os.path.join(out, name), 'wb') as f:
        f.write(b''.join(recs))
