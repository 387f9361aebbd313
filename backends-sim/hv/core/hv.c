/*
 * hv.c — the core instance and its domains: creation, destruction (with
 * Xen's zombie rule for grants still mapped by others), counters, and
 * releasing what one owner holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/hv/core/hv_internal.h"

hv_t *hv_new(const struct hv_host_ops *ops, void *host)
{
    hv_t *hv = calloc(1, sizeof(*hv));
    if (!hv)
        return NULL;
    if (ops)
        hv->ops = *ops;
    hv->host = host;
    return hv;
}

static void dom_free(struct hv_domain *dom)
{
    hv_gnt_free_table(dom);
    free(dom->maptrack);
    free(dom->ports);
    free(dom);
}

void hv_free(hv_t *hv)
{
    if (!hv)
        return;
    for (size_t i = 0; i < hv->dom_end; i++)
        if (hv->dom[i])
            dom_free(hv->dom[i]);
    free(hv);
}

struct hv_domain *hv_dom_any(const hv_t *hv, domid_t d)
{
    return d < HV_MAX_DOMAINS ? hv->dom[d] : NULL;
}

struct hv_domain *hv_dom_live(const hv_t *hv, domid_t d)
{
    struct hv_domain *dom = hv_dom_any(hv, d);
    return dom && !dom->dying ? dom : NULL;
}

int hv_domain_create(hv_t *hv, domid_t d, const struct hv_domain_config *cfg)
{
    static const struct hv_domain_config none;
    if (!cfg)
        cfg = &none;
    if (d >= HV_MAX_DOMAINS)
        return -EINVAL;
    if (hv->dom[d])
        return -EEXIST;

    uint32_t gframes = cfg->max_grant_frames ? cfg->max_grant_frames : HV_DEFAULT_MAX_GRANT_FRAMES;
    uint32_t mframes =
        cfg->max_maptrack_frames ? cfg->max_maptrack_frames : HV_DEFAULT_MAX_MAPTRACK_FRAMES;
    uint32_t maxport = cfg->max_evtchn_port ? cfg->max_evtchn_port
                       : d == 0             ? HV_EVTCHN_2L_PORTS - 1
                                            : HV_DEFAULT_MAX_EVTCHN_PORT;
    /* Refs are 32-bit; handles too.  Keep both comfortably inside. */
    if (gframes > (UINT32_MAX / HV_GRANT_ENTRIES_PER_FRAME) / 2 ||
        mframes > (UINT32_MAX / HV_MAPTRACK_PER_FRAME) / 2 || maxport >= HV_EVTCHN_2L_PORTS)
        return -EINVAL;

    struct hv_domain *dom = calloc(1, sizeof(*dom));
    if (!dom)
        return -ENOMEM;
    dom->id = d;
    dom->nr_frames = cfg->nr_frames;
    dom->max_grant_frames = gframes;
    dom->gframes = calloc(gframes, sizeof(*dom->gframes));
    dom->max_maptrack = mframes * HV_MAPTRACK_PER_FRAME;
    dom->maptrack_free = UINT32_MAX;
    dom->max_evtchn_port = maxport;
    if (!dom->gframes || hv_evtchn_init(dom) < 0) {
        dom_free(dom);
        return -ENOMEM;
    }
    hv->dom[d] = dom;
    if ((size_t)d >= hv->dom_end)
        hv->dom_end = (size_t)d + 1;
    return 0;
}

/* A dying domain goes for good once no peer maps any of its grants. */
void hv_dom_maybe_reap(hv_t *hv, struct hv_domain *dom)
{
    if (dom->dying && dom->counts.grants == 0) {
        hv->dom[dom->id] = NULL;
        dom_free(dom);
    }
}

int hv_domain_destroy(hv_t *hv, domid_t d)
{
    struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    hv_gnt_unmap_all(hv, dom, true, NULL);
    hv_evtchn_close_all(hv, dom, true, NULL);
    /* Dying only now: unmapping its own mappings above may unpin its own
     * grants, and a dying domain is reaped by the unpin of its last grant,
     * which must not happen before we are done with it here. */
    dom->dying = true;
    hv_gnt_release_all(hv, dom, true, NULL);
    hv_dom_maybe_reap(hv, dom);
    return 0;
}

bool hv_domain_exists(const hv_t *hv, domid_t d)
{
    return hv_dom_live(hv, d) != NULL;
}

bool hv_domain_is_dying(const hv_t *hv, domid_t d)
{
    const struct hv_domain *dom = hv_dom_any(hv, d);
    return dom && dom->dying;
}

bool hv_domain_is_privileged(const hv_t *hv, domid_t d)
{
    return d == 0 && hv_dom_live(hv, d) != NULL;
}

uint64_t hv_domain_nr_frames(const hv_t *hv, domid_t d)
{
    const struct hv_domain *dom = hv_dom_live(hv, d);
    return dom ? dom->nr_frames : 0;
}

int hv_domain_add_frames(hv_t *hv, domid_t d, uint64_t n, uint64_t *first)
{
    struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    if (n > UINT64_MAX - dom->nr_frames)
        return -EINVAL;
    if (first)
        *first = dom->nr_frames;
    dom->nr_frames += n;
    return 0;
}

size_t hv_domain_list(const hv_t *hv, domid_t *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < hv->dom_end; i++) {
        if (!hv->dom[i] || hv->dom[i]->dying)
            continue;
        if (n < max)
            out[n] = (domid_t)i;
        n++;
    }
    return n;
}

int hv_domain_counts(const hv_t *hv, domid_t d, struct hv_counts *out)
{
    const struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    *out = dom->counts;
    return 0;
}

int hv_domain_audit(const hv_t *hv, domid_t d, struct hv_counts *out, uint32_t *torn)
{
    const struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    uint32_t grants = 0, mappings = 0, ports = 0, torn_seen = 0;
    for (uint32_t f = 0; f < dom->nr_grant_frames; f++) {
        const struct hv_gframe *fr = dom->gframes[f];
        for (uint32_t i = 0; i < HV_GRANT_ENTRIES_PER_FRAME; i++) {
            uint16_t flags = fr->shared[i].flags;
            grants += (flags & GTF_type_mask) == GTF_permit_access;
            torn_seen += (flags & GTF_writing) && !(flags & GTF_reading);
        }
    }
    for (uint32_t h = 0; h < dom->maptrack_cap; h++)
        mappings += dom->maptrack[h].in_use;
    for (uint32_t p = 1; p <= dom->max_evtchn_port; p++)
        ports += dom->ports[p].state != HV_EVTCHN_FREE;
    *out = (struct hv_counts){ .grants = grants, .mappings = mappings, .ports = ports };
    *torn = torn_seen;
    return 0;
}

void hv_total_counts(const hv_t *hv, struct hv_counts *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < hv->dom_end; i++) {
        const struct hv_domain *dom = hv->dom[i];
        if (!dom)
            continue;
        out->grants += dom->counts.grants;
        out->mappings += dom->counts.mappings;
        out->ports += dom->counts.ports;
    }
}

void hv_release_owner(hv_t *hv, domid_t d, const void *owner)
{
    struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return;
    /* Mappings first: they may pin this domain's own grants (a domain
     * mapping itself), which then can be freed at once below. */
    hv_gnt_unmap_all(hv, dom, false, owner);
    hv_evtchn_close_all(hv, dom, false, owner);
    hv_gnt_release_all(hv, dom, false, owner);
}
