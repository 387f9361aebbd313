/*
 * lifecycle.c — a hosted domain's state as Xen keeps it: paused by the
 * toolstack (a count, as Xen's controller pause), shut down with a
 * reason.
 */
#include "backends-sim/hv/hvd/hvd.h"

#include <errno.h>

int hvd_dom_pause(struct hvd *h, struct hdom *dom)
{
    if (dom->pause_count == 255)
        return -EUSERS;
    dom->pause_count++;
    return 0;
}

int hvd_dom_unpause(struct hvd *h, struct hdom *dom)
{
    if (dom->pause_count == 0)
        return -EINVAL;
    dom->pause_count--;
    return 0;
}
