/*
 * test_blkfront_host.h — an in-memory os.h for blkfront's unit tests and
 * fuzz targets, plus a scripted block backend living in the same memory.
 *
 * Only for unit tests of blkfront's decision table and ring handling:
 * end-to-end tests run the real daemons and splitbed-blkback, and the
 * in-process world (backends-sim/world/) runs blkfront against the real
 * blkback.  This backend is hand-written because tests script it as a
 * peer the real one never is: the deviations of other backends (features
 * only at Connected, no InitWait, any ring order) and hostile responses
 * written straight into its ring (a producer index past the ring, ids out
 * of range or repeated, the wrong operation, event storms).
 */
#ifndef TEST_BLKFRONT_HOST_H
#define TEST_BLKFRONT_HOST_H

#include <stdbool.h>
#include <stdint.h>

#include "os.h"
#include <xen/io/blkif.h>
#include <xen/io/ring.h>
#include <xen/io/xenbus.h>

#define FE_DIR "/local/domain/1/device/vbd/51712"
#define BE_DIR "/local/domain/0/backend/vbd/1/51712"

struct os *th_new(void);
void th_free(struct os *os);
/* Everything logged, newline separated. */
const char *th_log(struct os *os);
void th_clear_log(struct os *os);
/* Xenstore as seen by dom0 (writes fire watches). */
void th_write(struct os *os, const char *path, const char *val);
void th_rm(struct os *os, const char *path);
/* Value or NULL. */
const char *th_read(struct os *os, const char *path);
/* Address behind a grant ref, NULL if not granted. */
void *th_gref(struct os *os, grant_ref_t ref);
/* Fails the next n os_xs_tx_end with -EAGAIN. */
void th_tx_conflicts(struct os *os, unsigned n);
/* os_xs_tx_end calls that committed (the writes of a conflicting one
 * would be lost on a real xenstore, so it must be done again). */
unsigned th_tx_commits(struct os *os);
unsigned th_notifies(struct os *os);
/* How many os_grant_access() calls asked for a read-only grant. */
unsigned th_readonly_grants(struct os *os);
/* os_grant_access() grants not (yet) given back with os_end_access(). */
unsigned th_grants_not_ended(struct os *os);
/* 1 if the ring was still shared when the frontend wrote Closing, 0 if
 * not, -1 if it never did. */
int th_ring_shared_at_closing(struct os *os);
/* Makes the given port look pending. */
void th_raise(struct os *os, evtchn_port_t port);
/* Called from os_wait(), to let a backend run. */
void th_on_wait(struct os *os, void (*fn)(void *), void *arg);
/* Gives the host a clock of its own, for a run that must replay exactly:
 * os_now_ns() reads it, and each os_wait() moves it on by step_ns (to the
 * deadline at most), as if the wait slept that long.  Without it the host
 * reads CLOCK_MONOTONIC. */
void th_clock(struct os *os, uint64_t step_ns);
/* Writes the nodes libxl writes for vbd 51712 of domain 1. */
void th_toolstack(struct os *os);

/* Where the host stands: grants, shares, ports, queued watch events and
 * counters.  th_rewind() forgets every grant and share made since the
 * mark (their pages go back to the host), every pending port, the queued
 * watch events and the log, and restores the counters, so that the host
 * answers the next calls exactly as it did after th_mark().  Xenstore is
 * left as it is.  For fuzz targets that keep one host between inputs. */
struct th_mark {
    grant_ref_t next_ref;
    size_t ngrave;
    evtchn_port_t next_port;
    unsigned evh, evt;
    unsigned notifies, conflicts, commits, ro_grants, granted, ended;
};
void th_mark(struct os *os, struct th_mark *m);
void th_rewind(struct os *os, const struct th_mark *m);

/* A scripted backend. */
struct fake_be {
    struct os *os;
    unsigned max_order;    /* published max-ring-page-order (0 = none) */
    unsigned max_indirect; /* 0 = not published */
    bool features_late;    /* features only at Connected (D1) */
    bool never_initwait;   /* Mirage-style (D8) */
    bool persistent, flush;
    bool discard;                 /* feature-discard, with the granularity below */
    unsigned discard_granularity; /* 0: not published */
    unsigned info;                /* VDISK_* flags published in "info" */
    unsigned sector_size;
    uint64_t sectors;
    uint8_t *disk; /* sectors * 512 bytes */
    bool serve;    /* answer requests in step */
    /* what it saw */
    bool connected;
    unsigned order; /* ring order it mapped */
    evtchn_port_t port;
    blkif_back_ring_t ring;
    unsigned requests, indirect_requests, flushes;
    grant_ref_t last_gref; /* of the last segment served */
    char error[160];
};
void fake_be_init(struct fake_be *be, struct os *os, uint64_t sectors);
void fake_be_fini(struct fake_be *be);
/* One round: follow the frontend's state, serve the ring. */
void fake_be_step(struct fake_be *be);
void fake_be_step_cb(void *be);

#endif
