/*
 * world_core.h — what every in-process world stands on: the hypervisor
 * core with guest memory in a memfd, dom0 and one guest; the xenstore
 * core; and dom0's connection to it, the toolstack's.
 */
#ifndef SPLITBED_WORLD_WORLD_CORE_H
#define SPLITBED_WORLD_WORLD_CORE_H

#include <stdint.h>

#include "backends-sim/world/hvhost.h"
#include "backends-sim/xenstored/xsc_client.h"
#include "backends-sim/xenstored/xsc_core.h"

struct world_core_spec {
    /* How the parts report to the world; both outlive the cores. */
    const struct hvhost_ops *hv_ops;
    const struct xsc_core_ops *xs_ops;
    void *ctx;
    unsigned guest;        /* the guest's domid */
    uint64_t guest_frames; /* its memory */
};

/* Builds the three into *hv, *xs and *toolstack; returns 0 or a negative
 * errno.  Whatever was built is set even on failure: world_core_free
 * takes it down. */
int world_core_build(const struct world_core_spec *s, struct hvhost **hv, struct xsc_core **xs,
                     struct xsc_client **toolstack);
/* Takes them down, the connection first; NULLs are ignored. */
void world_core_free(struct hvhost *hv, struct xsc_core *xs, struct xsc_client *toolstack);

#endif
