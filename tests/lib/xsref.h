/*
 * xsref.h — Debian's C xenstored 4.17, the reference splitbed-xenstored is
 * compared with, run as a plain process on a Unix socket of its own under
 * tests/xsref/xsref_shim.c (no hypervisor needed: see that file for what
 * is faked).  Every client of its socket is dom0.
 */
#ifndef SPLITBED_XSREF_H
#define SPLITBED_XSREF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define XSREF_DAEMON "/usr/lib/xen-4.17/bin/xenstored"

struct xsref {
    pid_t pid;
    char dir[80];  /* private scratch dir under $TMPDIR (mkdtemp) */
    char sock[96]; /* dir/socket */
};

/* False, with one line in why, when the reference daemon is not installed
 * (xen-utils-4.17) or the shim is missing. */
bool xsref_available(const char *shim, char *why, size_t size);
/* Starts the daemon with LD_PRELOAD=shim and returns once it listens:
 * 0, or -1 with one line in why.  The daemon dies with the caller. */
int xsref_start(struct xsref *r, const char *shim, char *why, size_t size);
/* False once the daemon has died (C xenstored 4.17 aborts on some
 * request sequences: an assertion in consider_message()). */
bool xsref_alive(struct xsref *r);
/* Kills the daemon and removes its dir; safe to call twice. */
void xsref_stop(struct xsref *r);

#endif
