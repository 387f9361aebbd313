/*
 * test_hv_harness.h — a private splitbed-hvd and Xen programs in its
 * domains, for the hv integration tests.  Programs are hv-peer
 * (test_hv_peer.c): linked with Debian's real libxengnttab/libxenevtchn,
 * run with LD_LIBRARY_PATH at our drop-in libraries and
 * SPLITBED_HV_SOCKET at their domain's socket.  They answer one line per
 * command.  Everything started here dies with the test process.
 */
#ifndef SPLITBED_TEST_HV_HARNESS_H
#define SPLITBED_TEST_HV_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct hv_counts_line {
    int grants, mappings, ports;
};

struct peer {
    pid_t pid;
    int in, out; /* its stdin (we write), stdout (we read) */
    char buf[8192];
    size_t len;
};

/* Unchecked fixture (runs in the test runner, not in the forked test):
 * the scratch tree (tests/lib/scratch.h) the tests' own directories live
 * in, removed with whatever runs from it by hvt_suite_teardown even when
 * a test failed and could not clean up, or when the binary is killed
 * (the daemons and peers a test started also die with it through
 * PR_SET_PDEATHSIG). */
void hvt_suite_setup(void);
void hvt_suite_teardown(void);
/* Starts splitbed-hvd in a fresh folder of the scratch tree; returns it. */
const char *hvt_start(void);
/* SIGTERM; asserts a clean exit and that the sockets are gone. */
void hvt_stop(void);
/* Creates domain d if needed and starts a peer in it. */
void hvt_peer(struct peer *p, unsigned d);
/* Same with the environment left without SPLITBED_HV_SOCKET. */
void hvt_peer_noenv(struct peer *p);
/* Sends one command, returns its answer line (static buffer per peer). */
const char *hvt_cmd(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Same, asserting the answer starts with "ok"; returns what follows. */
const char *hvt_ok(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The two halves of hvt_cmd, for commands that run concurrently. */
void hvt_send(struct peer *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *hvt_reply(struct peer *p);
/* Ends the peer: exit command, or a signal; waits for it. */
void hvt_end(struct peer *p);
void hvt_kill(struct peer *p, int sig);
/* Counts of domain d (-1 for totals) from hvctl_status. */
struct hv_counts_line hvt_counts(int d);
/* True when DIR/trace has a line containing needle. */
bool hvt_trace_has(const char *needle);
const char *hvt_dir(void);
/* $SPLITBED_BUILD/rel as an absolute path. */
const char *hvt_build(const char *rel);

#endif
