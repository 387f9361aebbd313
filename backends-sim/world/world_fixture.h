/*
 * world_fixture.h — how unit tests and fuzz targets take their peers from
 * the in-process world rather than writing their own.
 *
 * Two peers, each made only when asked for, so that a program links the
 * libraries of the peers it uses and no others:
 *
 *   - the hypervisor core on heap memory (backends-sim/world/hvhost.h),
 *     keeping a record of every event and trace line it reported, so a
 *     test can assert exactly what happened;
 *   - the xenstore core (backends-sim/xenstored/xsc_core.h) with a dom0
 *     connection, the toolstack's view.
 *
 * The world's scheduler and blkfront/blkback pair stay in world.h; this
 * header gives the pieces a test drives by hand.
 */
#ifndef SPLITBED_WORLD_FIXTURE_H
#define SPLITBED_WORLD_FIXTURE_H

#include "backends-sim/world/hvhost.h"
#include "backends-sim/xenstored/xsc_client.h"
#include "backends-sim/xenstored/xsc_core.h"

/* The hypervisor core on heap memory, recording, with no domain yet;
 * NULL when out of memory.  Free with hvhost_free(). */
static inline struct hvhost *wf_hv_open(void)
{
    return hvhost_new_recording();
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

#endif
