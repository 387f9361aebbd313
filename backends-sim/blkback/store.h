/*
 * store.h — the xenstore operations the xenbus side of blkback uses.
 *
 * The signatures follow libxenstore's (malloc'd values and directory
 * vectors, transactions that end with EAGAIN on conflict).  The daemon
 * passes xen_host.h's implementation over the real libxenstore; the
 * in-process world passes one over its xenstore core
 * (backends-sim/world/bbenv.c), which the xenbus tests also use while
 * they step the state machine themselves.
 */
#ifndef SPLITBED_BLKBACK_STORE_H
#define SPLITBED_BLKBACK_STORE_H

#include <stdbool.h>
#include <stdint.h>

struct bb_store;

struct bb_store_ops {
    /* A malloc'd NUL-terminated value, or NULL with errno (ENOENT …). */
    char *(*read)(struct bb_store *s, uint32_t tx, const char *path);
    int (*write)(struct bb_store *s, uint32_t tx, const char *path, const char *value);
    /* One malloc'd block holding the vector and the names (free() it),
     * as xs_directory returns; NULL with errno. */
    char **(*directory)(struct bb_store *s, uint32_t tx, const char *path, unsigned *num);
    int (*rm)(struct bb_store *s, uint32_t tx, const char *path);
    int (*tx_start)(struct bb_store *s, uint32_t *tx);
    /* -EAGAIN: the transaction conflicted, redo it. */
    int (*tx_end)(struct bb_store *s, uint32_t tx, bool abort);
    int (*watch)(struct bb_store *s, const char *path, const char *token);
    int (*unwatch)(struct bb_store *s, const char *path, const char *token);
};

struct bb_store {
    const struct bb_store_ops *ops;
};

/* Event channels, likewise: libxenevtchn in the daemon, the hypervisor
 * core in the world. */
struct bb_evtchn;

struct bb_evtchn_ops {
    int (*bind)(struct bb_evtchn *e, uint32_t dom, uint32_t remote_port, uint32_t *local_port);
    int (*unbind)(struct bb_evtchn *e, uint32_t local_port);
    int (*notify)(struct bb_evtchn *e, uint32_t local_port);
};

struct bb_evtchn {
    const struct bb_evtchn_ops *ops;
};

#endif
