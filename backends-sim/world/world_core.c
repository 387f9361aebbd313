/* world_core.c — the hypervisor core, the xenstore core and the
 * toolstack's connection, built and taken down in one order. */
#include "backends-sim/world/world_core.h"

#include <errno.h>

int world_core_build(const struct world_core_spec *s, struct hvhost **hv, struct xsc_core **xs,
                     struct xsc_client **toolstack)
{
    const struct hvhost_config hv_cfg = { .memory = HVHOST_MEMFD, .ops = s->hv_ops, .ctx = s->ctx };
    *hv = hvhost_new(&hv_cfg);
    if (!*hv)
        return -ENOMEM;
    int rc = hvhost_domain_create(*hv, 0, 0);
    if (rc == 0)
        rc = hvhost_domain_create(*hv, s->guest, s->guest_frames);
    if (rc < 0)
        return rc;
    *xs = xsc_core_new(s->xs_ops, s->ctx);
    if (!*xs)
        return -ENOMEM;
    *toolstack = xsc_client_open(*xs, 0);
    return *toolstack ? 0 : -ENOMEM;
}

void world_core_free(struct hvhost *hv, struct xsc_core *xs, struct xsc_client *toolstack)
{
    xsc_client_close(toolstack);
    xsc_core_free(xs);
    hvhost_free(hv);
}
