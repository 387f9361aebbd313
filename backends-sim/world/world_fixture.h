/*
 * world_fixture.h — how unit tests and fuzz targets take their peers from
 * the in-process world rather than writing their own.
 *
 * Two peers, each made only when asked for, so that a program links the
 * libraries of the peers it uses and no others:
 *
 *   - the hypervisor core (backends-sim/world/hvhost.h), keeping a record
 *     of every event and trace line it reported, so a test can assert
 *     exactly what happened: on heap memory, or on memfds where a backend
 *     must map a frontend's pages for real; or telling the test's own
 *     callbacks as it happens;
 *   - the xenstore core (backends-sim/xenstored/xsc_core.h) with a dom0
 *     connection, the toolstack's view.
 *
 * What a test observes goes through the real cores, not a stand-in: how
 * often a node was written is the count of watch events on it, as a
 * driver sees it; a port the frontend never allocated is refused by the
 * hypervisor core itself.
 *
 * The world's scheduler and blkfront/blkback pair stay in world.h, and
 * blkback's environment over these peers is bbenv.h; this header gives
 * the pieces a test drives by hand.
 */
#ifndef SPLITBED_WORLD_FIXTURE_H
#define SPLITBED_WORLD_FIXTURE_H

#include <string.h>

#include "backends-sim/world/hvhost.h"
#include "backends-sim/xenstored/xsc_client.h"
#include "backends-sim/xenstored/xsc_core.h"

/* The hypervisor core on heap memory, recording, with no domain yet;
 * NULL when out of memory.  Free with hvhost_free(). */
static inline struct hvhost *wf_hv_open(void)
{
    return hvhost_new_recording();
}

/* The same on memfd memory: a mapping of a grant is a second mapping of
 * the page the frontend wrote. */
static inline struct hvhost *wf_hv_open_mapped(void)
{
    const struct hvhost_config cfg = { .memory = HVHOST_MEMFD, .record = true };
    return hvhost_new(&cfg);
}

/* On heap memory, not recording, telling ops (with ctx) what the core
 * reports as it happens: for a test that drives homes of os.h, which
 * learn of events through it. */
static inline struct hvhost *wf_hv_open_ops(const struct hvhost_ops *ops, void *ctx)
{
    const struct hvhost_config cfg = { .memory = HVHOST_HEAP, .ops = ops, .ctx = ctx };
    return hvhost_new(&cfg);
}

struct wf_xenstore {
    struct xsc_core *core;
    struct xsc_client *dom0;
};

/* A fresh xenstore core and a dom0 connection to it.  0 or -1 when out
 * of memory (nothing then needs closing). */
static inline int wf_xenstore_open(struct wf_xenstore *x)
{
    x->core = xsc_core_new(NULL, NULL);
    if (!x->core)
        return -1;
    x->dom0 = xsc_client_open(x->core, 0);
    if (!x->dom0) {
        xsc_core_free(x->core);
        x->core = NULL;
        return -1;
    }
    return 0;
}

/* Closes dom0's connection and frees the core.  Returns how many node
 * records are unaccounted for, 0 when all is well: with every connection
 * (and so every transaction) gone, each live node must be one of the
 * tree's, and none may outlive the core — a node the core forgot to free
 * shows here, not only under a leak checker.  Close every other
 * connection first. */
static inline unsigned long wf_xenstore_close(struct wf_xenstore *x)
{
    xsc_client_close(x->dom0);
    unsigned long live = xsc_core_live_nodes(), tree = xsc_core_nodes(x->core);
    unsigned long stray = live > tree ? live - tree : tree - live;
    xsc_core_free(x->core);
    stray += xsc_core_live_nodes();
    x->core = NULL;
    x->dom0 = NULL;
    return stray;
}

/* Drains the watch events queued on dom0's connection and returns how
 * many name exactly `path`.  With a watch set on a node that has no
 * children, that is how many times it was written (or removed) since the
 * last call: xenstore fires on every write, changed value or not. */
static inline unsigned wf_xenstore_events_at(struct wf_xenstore *x, const char *path)
{
    char p[XENSTORE_ABS_PATH_MAX + 1], token[XENSTORE_ABS_PATH_MAX + 1];
    unsigned n = 0;

    while (xsc_client_event(x->dom0, p, sizeof(p), token, sizeof(token)))
        n += strcmp(p, path) == 0;
    return n;
}

#endif
