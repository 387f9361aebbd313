/*
 * gntmap.c — the hypercall side of grant tables: GNTTABOP_map_grant_ref,
 * unmap_grant_ref and copy, with the checks Xen makes, in Xen's order, and
 * the maptrack handles each mapping domain holds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/hv/core/hv_internal.h"

#define NO_HANDLE UINT32_MAX

/* ---- maptrack ----------------------------------------------------------- */

static int maptrack_grow(struct hv_domain *dom)
{
    if (dom->maptrack_cap >= dom->max_maptrack)
        return -ENOSPC;
    uint32_t cap = dom->maptrack_cap ? dom->maptrack_cap * 2 : 16;
    if (cap > dom->max_maptrack)
        cap = dom->max_maptrack;
    struct hv_mapping *mt = realloc(dom->maptrack, cap * sizeof(*mt));
    if (!mt)
        return -ENOMEM;
    memset(mt + dom->maptrack_cap, 0, (cap - dom->maptrack_cap) * sizeof(*mt));
    /* New slots go on the freelist lowest first. */
    for (uint32_t i = cap; i-- > dom->maptrack_cap;) {
        mt[i].next_free = dom->maptrack_free;
        dom->maptrack_free = i;
    }
    dom->maptrack = mt;
    dom->maptrack_cap = cap;
    return 0;
}

static uint32_t maptrack_get(struct hv_domain *dom)
{
    if (dom->maptrack_free == NO_HANDLE && maptrack_grow(dom) < 0)
        return NO_HANDLE;
    uint32_t h = dom->maptrack_free;
    dom->maptrack_free = dom->maptrack[h].next_free;
    return h;
}

static void maptrack_put(struct hv_domain *dom, uint32_t h)
{
    memset(&dom->maptrack[h], 0, sizeof(dom->maptrack[h]));
    dom->maptrack[h].next_free = dom->maptrack_free;
    dom->maptrack_free = h;
}

/* ---- grant checks shared by map and copy ---------------------------------- */

static uint32_t nr_entries(const struct hv_domain *dom)
{
    return dom->nr_grant_frames * (uint32_t)HV_GRANT_ENTRIES_PER_FRAME;
}

/* Checks that entry `ref` of rd lets `ld` access its frame, writably if
 * asked.  Returns GNTST_okay or the status Xen gives, having traced it. */
static int check_grant(hv_t *hv, const struct hv_domain *ld, const struct hv_domain *rd,
                       grant_ref_t ref, bool writable, const char *what, const char *prep,
                       const grant_entry_v1_t **entry)
{
    domid_t l = ld->id, r = rd->id;
    if (ref >= nr_entries(rd)) {
        hv_trace(hv, l,
                 "d%u: %s gref %u %s d%u refused: ref beyond d%u's "
                 "grant table (%u entries)",
                 l, what, ref, prep, r, r, nr_entries(rd));
        return GNTST_bad_gntref;
    }
    const grant_entry_v1_t *e = hv_gnt_entry(rd, ref, NULL);
    if ((e->flags & (GTF_type_mask | GTF_sub_page)) != GTF_permit_access) {
        hv_trace(hv, l,
                 "d%u: %s gref %u %s d%u refused: entry does not "
                 "permit access (flags 0x%x)",
                 l, what, ref, prep, r, e->flags);
        return GNTST_general_error;
    }
    if (e->domid != l) {
        hv_trace(hv, l,
                 "d%u: %s gref %u %s d%u refused: grant is for d%u, "
                 "not d%u",
                 l, what, ref, prep, r, e->domid, l);
        return GNTST_general_error;
    }
    if (writable && (e->flags & GTF_readonly)) {
        hv_trace(hv, l,
                 "d%u: %s gref %u %s d%u refused: grant is read-only, "
                 "writable %s requested",
                 l, what, ref, prep, r, strcmp(what, "map of") == 0 ? "mapping" : "access");
        return GNTST_general_error;
    }
    if (e->frame >= rd->nr_frames) {
        hv_trace(hv, l,
                 "d%u: %s gref %u %s d%u refused: granted frame 0x%x "
                 "is not a frame of d%u (it has %llu)",
                 l, what, ref, prep, r, e->frame, r, (unsigned long long)rd->nr_frames);
        return GNTST_bad_page;
    }
    *entry = e;
    return GNTST_okay;
}

/* ---- map / unmap ------------------------------------------------------------ */

int hv_gnt_map(hv_t *hv, domid_t mapper, domid_t granter, grant_ref_t ref, uint32_t flags,
               const void *owner, grant_handle_t *handle, uint64_t *gfn)
{
    struct hv_domain *ld = hv_dom_live(hv, mapper);
    if (!ld) {
        hv_trace(hv, mapper,
                 "d%u: map of gref %u from d%u refused: mapping "
                 "domain does not exist",
                 mapper, ref, granter);
        return GNTST_general_error;
    }
    if (!(flags & (GNTMAP_host_map | GNTMAP_device_map))) {
        hv_trace(hv, mapper,
                 "d%u: map of gref %u from d%u refused: neither "
                 "GNTMAP_host_map nor GNTMAP_device_map given",
                 mapper, ref, granter);
        return GNTST_bad_gntref;
    }
    struct hv_domain *rd = hv_dom_live(hv, granter);
    if (!rd) {
        hv_trace(hv, mapper,
                 "d%u: map of gref %u from d%u refused: granting "
                 "domain does not exist",
                 mapper, ref, granter);
        return GNTST_bad_domain;
    }
    uint32_t h = maptrack_get(ld);
    if (h == NO_HANDLE) {
        hv_trace(hv, mapper,
                 "d%u: map of gref %u from d%u refused: all %u "
                 "maptrack handles in use",
                 mapper, ref, granter, ld->max_maptrack);
        return GNTST_no_space;
    }
    bool ro = flags & GNTMAP_readonly;
    const grant_entry_v1_t *e;
    int st = check_grant(hv, ld, rd, ref, !ro, "map of", "from", &e);
    if (st != GNTST_okay) {
        maptrack_put(ld, h);
        return st;
    }

    struct hv_gref *m = NULL;
    grant_entry_v1_t *we = hv_gnt_entry(rd, ref, &m);
    if (ro)
        m->pin_ro++;
    else
        m->pin_rw++;
    we->flags |= (uint16_t)(GTF_reading | (ro ? 0 : GTF_writing));

    struct hv_mapping *mp = &ld->maptrack[h];
    mp->in_use = true;
    mp->readonly = ro;
    mp->granter = granter;
    mp->ref = ref;
    mp->gfn = e->frame;
    mp->owner = owner;
    ld->counts.mappings++;
    *handle = h;
    if (gfn)
        *gfn = e->frame;
    return GNTST_okay;
}

static void unmap_one(hv_t *hv, struct hv_domain *ld, uint32_t h)
{
    struct hv_mapping mp = ld->maptrack[h];
    maptrack_put(ld, h);
    ld->counts.mappings--;
    /* A mapped grant keeps its domain, dying or not, so it is here. */
    struct hv_domain *rd = hv_dom_any(hv, mp.granter);
    struct hv_gref *m = NULL;
    hv_gnt_entry(rd, mp.ref, &m);
    if (mp.readonly)
        m->pin_ro--;
    else
        m->pin_rw--;
    hv_gnt_after_unpin(hv, rd, mp.ref); /* may free rd */
}

int hv_gnt_unmap(hv_t *hv, domid_t mapper, grant_handle_t handle)
{
    struct hv_domain *ld = hv_dom_live(hv, mapper);
    if (!ld) {
        hv_trace(hv, mapper,
                 "d%u: unmap of handle %u refused: mapping domain "
                 "does not exist",
                 mapper, handle);
        return GNTST_general_error;
    }
    if (handle >= ld->maptrack_cap || !ld->maptrack[handle].in_use) {
        hv_trace(hv, mapper,
                 "d%u: unmap of handle %u refused: no mapping "
                 "has this handle",
                 mapper, handle);
        return GNTST_bad_handle;
    }
    unmap_one(hv, ld, handle);
    return GNTST_okay;
}

int hv_gnt_mapping_info(const hv_t *hv, domid_t mapper, grant_handle_t handle,
                        struct hv_mapping_info *out)
{
    const struct hv_domain *ld = hv_dom_live(hv, mapper);
    if (!ld)
        return -ESRCH;
    if (handle >= ld->maptrack_cap || !ld->maptrack[handle].in_use)
        return -EINVAL;
    const struct hv_mapping *mp = &ld->maptrack[handle];
    out->granter = mp->granter;
    out->ref = mp->ref;
    out->gfn = mp->gfn;
    out->readonly = mp->readonly;
    out->owner = mp->owner;
    return 0;
}

void hv_gnt_unmap_all(hv_t *hv, struct hv_domain *dom, bool any_owner, const void *owner)
{
    for (uint32_t h = 0; h < dom->maptrack_cap; h++) {
        const struct hv_mapping *mp = &dom->maptrack[h];
        if (mp->in_use && (any_owner || mp->owner == owner))
            unmap_one(hv, dom, h);
    }
}

/* ---- copy ------------------------------------------------------------------- */

struct copy_side {
    const struct gnttab_copy_ptr *p;
    bool by_gref;
    const char *what; /* "copy from" / "copy to" */
    struct hv_domain *dom;
    uint64_t gfn;
    uint8_t *page;
};

static int lock_side(hv_t *hv, struct hv_domain *ld, struct copy_side *s)
{
    domid_t l = ld->id;
    if (!s->by_gref) {
        /* Xen lets a domain name frames by number only as DOMID_SELF. */
        if (s->p->domid != DOMID_SELF) {
            hv_trace(hv, l,
                     "d%u: %s gmfn 0x%llx of d%u refused: a frame "
                     "may be named only with DOMID_SELF",
                     l, s->what, (unsigned long long)s->p->u.gmfn, s->p->domid);
            return GNTST_permission_denied;
        }
        s->dom = ld;
        return GNTST_okay;
    }
    s->dom = s->p->domid == DOMID_SELF ? ld : hv_dom_live(hv, s->p->domid);
    if (!s->dom) {
        hv_trace(hv, l,
                 "d%u: %s gref %u of d%u refused: domain does not "
                 "exist",
                 l, s->what, s->p->u.ref, s->p->domid);
        return GNTST_bad_domain;
    }
    return GNTST_okay;
}

static int claim_side(hv_t *hv, struct hv_domain *ld, struct copy_side *s, bool writable)
{
    domid_t l = ld->id;
    if (s->by_gref) {
        const grant_entry_v1_t *e;
        int st = check_grant(hv, ld, s->dom, s->p->u.ref, writable, s->what, "of", &e);
        if (st != GNTST_okay)
            return st;
        s->gfn = e->frame;
    } else {
        s->gfn = s->p->u.gmfn;
        if (s->gfn >= ld->nr_frames) {
            hv_trace(hv, l,
                     "d%u: %s gmfn 0x%llx of d%u refused: not a frame "
                     "of d%u (it has %llu)",
                     l, s->what, (unsigned long long)s->gfn, l, l,
                     (unsigned long long)ld->nr_frames);
            return GNTST_bad_page;
        }
    }
    s->page = hv->ops.frame_ptr ? hv->ops.frame_ptr(hv->host, s->dom->id, s->gfn) : NULL;
    if (!s->page) {
        hv_trace(hv, l,
                 "d%u: %s frame 0x%llx of d%u refused: frame has no "
                 "memory behind it",
                 l, s->what, (unsigned long long)s->gfn, s->dom->id);
        return GNTST_bad_page;
    }
    return GNTST_okay;
}

static int copy_one(hv_t *hv, domid_t caller, const gnttab_copy_t *op)
{
    struct hv_domain *ld = hv_dom_live(hv, caller);
    if (!ld) {
        hv_trace(hv, caller,
                 "d%u: copy of %u bytes refused: calling domain "
                 "does not exist",
                 caller, op->len);
        return GNTST_general_error;
    }
    struct copy_side src = {
        .p = &op->source,
        .by_gref = op->flags & GNTCOPY_source_gref,
        .what = "copy from",
    };
    struct copy_side dst = {
        .p = &op->dest,
        .by_gref = op->flags & GNTCOPY_dest_gref,
        .what = "copy to",
    };
    int st;
    if ((st = lock_side(hv, ld, &src)) != GNTST_okay ||
        (st = lock_side(hv, ld, &dst)) != GNTST_okay ||
        (st = claim_side(hv, ld, &src, false)) != GNTST_okay ||
        (st = claim_side(hv, ld, &dst, true)) != GNTST_okay)
        return st;
    const struct copy_side *bad = op->source.offset + (uint32_t)op->len > HV_PAGE_SIZE ? &src
                                  : op->dest.offset + (uint32_t)op->len > HV_PAGE_SIZE ? &dst
                                                                                       : NULL;
    if (bad) {
        hv_trace(hv, caller,
                 "d%u: %s frame 0x%llx of d%u refused: offset %u "
                 "+ length %u leaves the page",
                 caller, bad->what, (unsigned long long)bad->gfn, bad->dom->id, bad->p->offset,
                 op->len);
        return GNTST_bad_copy_arg;
    }
    memmove(dst.page + op->dest.offset, src.page + op->source.offset, op->len);
    return GNTST_okay;
}

int hv_gnt_copy(hv_t *hv, domid_t caller, gnttab_copy_t *op)
{
    op->status = (int16_t)copy_one(hv, caller, op);
    return op->status;
}

int hv_gnt_copy_batch(hv_t *hv, domid_t caller, gnttab_copy_t *ops, size_t n)
{
    int first = GNTST_okay;
    for (size_t i = 0; i < n; i++) {
        int st = hv_gnt_copy(hv, caller, &ops[i]);
        if (st != GNTST_okay && first == GNTST_okay)
            first = st;
    }
    return first;
}
