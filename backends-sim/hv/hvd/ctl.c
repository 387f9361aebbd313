/*
 * ctl.c — what `splitbed hv status` shows: objects in use per domain and
 * in all, as the core counts them, and each domain's state (running,
 * paused, shutdown with Xen's SHUTDOWN_* code).
 */
#include "backends-sim/hv/hvd/hvd.h"

#include <stdio.h>

int ctl_status(struct hvd *h, char *buf, size_t size)
{
    hvd_zombies_sweep(h);
    domid_t ids[256];
    size_t n = hv_domain_list(h->hv, ids, 256);
    size_t len = 0;
    if (n > 256)
        n = 256;
    for (size_t i = 0; i < n; i++) {
        struct hv_counts k;
        if (hv_domain_counts(h->hv, ids[i], &k) < 0)
            continue;
        const struct hdom *dom = hvd_dom(h, ids[i]);
        char state[32] = "running";
        if (dom && dom->shutdown)
            snprintf(state, sizeof state, "shutdown %u", dom->shutdown_code);
        else if (dom && dom->pause_count)
            snprintf(state, sizeof state, "paused");
        int w = snprintf(buf + len, size - len, "dom%u grants %u mappings %u ports %u state %s\n",
                         ids[i], k.grants, k.mappings, k.ports, state);
        if (w < 0 || (size_t)w >= size - len)
            return (int)len;
        len += (size_t)w;
    }
    struct hv_counts t;
    hv_total_counts(h->hv, &t);
    int w = snprintf(buf + len, size - len, "total grants %u mappings %u ports %u\n", t.grants,
                     t.mappings, t.ports);
    if (w > 0 && (size_t)w < size - len)
        len += (size_t)w;
    return (int)len;
}
