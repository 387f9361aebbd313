/*
 * gnttab.c — a domain's own grant table, as its guest kernel sees it:
 * writing entries, ending access (refused while mapped), and the ref
 * allocator Linux's gnttab/gntalloc keep, which never hands out the
 * toolstack's reserved refs 0..7.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/hv/core/hv_internal.h"

/* Bits a guest may set; GTF_reading/GTF_writing belong to Xen. */
#define GUEST_FLAGS ((uint16_t) ~(GTF_reading | GTF_writing))

static bool is_active(const grant_entry_v1_t *e)
{
    return (e->flags & GTF_type_mask) == GTF_permit_access;
}

grant_entry_v1_t *hv_gnt_entry(const struct hv_domain *dom, grant_ref_t ref, struct hv_gref **meta)
{
    uint32_t f = ref / HV_GRANT_ENTRIES_PER_FRAME;
    uint32_t i = ref % HV_GRANT_ENTRIES_PER_FRAME;
    if (f >= dom->nr_grant_frames)
        return NULL;
    if (meta)
        *meta = &dom->gframes[f]->ref[i];
    return &dom->gframes[f]->shared[i];
}

static void mark_used(struct hv_domain *dom, grant_ref_t ref)
{
    uint32_t i = ref % HV_GRANT_ENTRIES_PER_FRAME;
    dom->gframes[ref / HV_GRANT_ENTRIES_PER_FRAME]->used[i / 64] |= 1ull << (i % 64);
}

static uint32_t table_limit(const struct hv_domain *dom)
{
    return dom->max_grant_frames * (uint32_t)HV_GRANT_ENTRIES_PER_FRAME;
}

/* Grows the table to hold `ref`, as a guest does with setup_table. */
static int grow_to(struct hv_domain *dom, grant_ref_t ref)
{
    uint32_t need = ref / HV_GRANT_ENTRIES_PER_FRAME + 1;
    while (dom->nr_grant_frames < need) {
        struct hv_gframe *gf = calloc(1, sizeof(*gf));
        if (!gf)
            return -ENOMEM;
        dom->gframes[dom->nr_grant_frames++] = gf;
    }
    return 0;
}

void hv_gnt_free_table(struct hv_domain *dom)
{
    if (!dom->gframes)
        return;
    for (uint32_t f = 0; f < dom->nr_grant_frames; f++)
        free(dom->gframes[f]);
    free(dom->gframes);
    dom->gframes = NULL;
}

static bool is_pinned(const struct hv_gref *m)
{
    return m->pin_ro || m->pin_rw;
}

static bool ref_is_free(const grant_entry_v1_t *e, const struct hv_gref *m)
{
    return !m->allocated && !m->release_pending && !is_pinned(m) &&
           (e->flags & GTF_type_mask) == GTF_invalid;
}

int hv_gnt_alloc_ref(hv_t *hv, domid_t d, const void *owner, grant_ref_t *ref)
{
    struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    uint32_t limit = table_limit(dom);
    if (limit <= GNTTAB_NR_RESERVED_ENTRIES)
        return -ENOSPC;
    uint32_t span = limit - GNTTAB_NR_RESERVED_ENTRIES;
    uint32_t start = dom->next_alloc_hint;
    if (start < GNTTAB_NR_RESERVED_ENTRIES || start >= limit)
        start = GNTTAB_NR_RESERVED_ENTRIES;

    /* Round-robin from the hint, so a just-freed ref is not reused at
     * once: a peer still holding a stale ref then fails loudly. */
    for (uint32_t k = 0; k < span; k++) {
        grant_ref_t r =
            GNTTAB_NR_RESERVED_ENTRIES + (start - GNTTAB_NR_RESERVED_ENTRIES + k) % span;
        struct hv_gref *m = NULL;
        grant_entry_v1_t *e = hv_gnt_entry(dom, r, &m);
        if (!e) {
            int rc = grow_to(dom, r);
            if (rc < 0)
                return rc;
            e = hv_gnt_entry(dom, r, &m);
        }
        if (ref_is_free(e, m)) {
            m->allocated = true;
            m->owner = owner;
            mark_used(dom, r);
            dom->next_alloc_hint = r + 1;
            dom->gnt_full_traced = false;
            *ref = r;
            return 0;
        }
    }
    if (!dom->gnt_full_traced)
        hv_trace(hv, d,
                 "d%u: no free grant ref: all %u entries of its grant table in use "
                 "(max_grant_frames %u): ENOSPC",
                 d, span, dom->max_grant_frames);
    dom->gnt_full_traced = true;
    return -ENOSPC;
}

/* Finds an entry the guest addresses, growing the table as needed; traces
 * a ref beyond the table limit. */
static grant_entry_v1_t *guest_entry(hv_t *hv, struct hv_domain *dom, const char *op,
                                     grant_ref_t ref, struct hv_gref **meta, int *rc)
{
    if (ref >= table_limit(dom)) {
        hv_trace(hv, dom->id,
                 "d%u: %s gref %u refused: beyond the grant table limit "
                 "(%u frames, %u entries)",
                 dom->id, op, ref, dom->max_grant_frames, table_limit(dom));
        *rc = -EINVAL;
        return NULL;
    }
    *rc = grow_to(dom, ref);
    if (*rc < 0)
        return NULL;
    return hv_gnt_entry(dom, ref, meta);
}

int hv_gnt_write_entry(hv_t *hv, domid_t d, grant_ref_t ref, const grant_entry_v1_t *src,
                       const void *owner)
{
    struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    int rc;
    struct hv_gref *m = NULL;
    grant_entry_v1_t *e = guest_entry(hv, dom, "grant of", ref, &m, &rc);
    if (!e)
        return rc;
    if (is_pinned(m)) {
        hv_trace(hv, d,
                 "d%u: grant of gref %u refused: entry is mapped by "
                 "d%u; its access must end before it is rewritten",
                 d, ref, e->domid);
        return -EBUSY;
    }
    bool was = is_active(e);
    e->domid = src->domid;
    e->frame = src->frame;
    e->flags = src->flags & GUEST_FLAGS;
    bool now = is_active(e);
    if (now)
        mark_used(dom, ref);
    if (now && !was)
        dom->counts.grants++;
    else if (was && !now)
        dom->counts.grants--;
    m->owner = owner;
    return 0;
}

int hv_gnt_grant(hv_t *hv, domid_t d, grant_ref_t ref, domid_t grantee, uint64_t gfn, bool readonly,
                 const void *owner)
{
    if (!hv_dom_live(hv, d))
        return -ESRCH;
    if (gfn > UINT32_MAX) {
        hv_trace(hv, d,
                 "d%u: grant of gref %u refused: frame 0x%llx does not "
                 "fit the 32-bit frame field of a v1 entry",
                 d, ref, (unsigned long long)gfn);
        return -EINVAL;
    }
    grant_entry_v1_t e = {
        .flags = (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
        .domid = grantee,
        .frame = (uint32_t)gfn,
    };
    return hv_gnt_write_entry(hv, d, ref, &e, owner);
}

int hv_gnt_read_entry(const hv_t *hv, domid_t d, grant_ref_t ref, grant_entry_v1_t *out)
{
    const struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    if (ref >= table_limit(dom))
        return -EINVAL;
    const grant_entry_v1_t *e = hv_gnt_entry(dom, ref, NULL);
    if (e)
        *out = *e;
    else
        memset(out, 0, sizeof(*out)); /* a frame not yet set up */
    return 0;
}

static void clear_entry(struct hv_domain *dom, grant_entry_v1_t *e)
{
    if (is_active(e))
        dom->counts.grants--;
    e->flags = 0;
}

int hv_gnt_end_access(hv_t *hv, domid_t d, grant_ref_t ref)
{
    struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    int rc;
    struct hv_gref *m = NULL;
    grant_entry_v1_t *e = guest_entry(hv, dom, "end access of", ref, &m, &rc);
    if (!e)
        return rc;
    if (is_pinned(m)) {
        hv_trace(hv, d,
                 "d%u: end access of gref %u refused: grant is still "
                 "mapped by d%u (%s set)",
                 d, ref, e->domid, m->pin_rw ? "GTF_reading|GTF_writing" : "GTF_reading");
        return -EBUSY;
    }
    clear_entry(dom, e);
    return 0;
}

static void free_ref(struct hv_domain *dom, grant_entry_v1_t *e, struct hv_gref *m)
{
    clear_entry(dom, e);
    m->allocated = false;
    m->release_pending = false;
    m->owner = NULL;
}

/* Ends and frees, or defers both to the last unmap.  1 when deferred. */
static int release(struct hv_domain *dom, grant_entry_v1_t *e, struct hv_gref *m)
{
    if (is_pinned(m)) {
        m->release_pending = true;
        return 1;
    }
    free_ref(dom, e, m);
    return 0;
}

int hv_gnt_release_ref(hv_t *hv, domid_t d, grant_ref_t ref)
{
    struct hv_domain *dom = hv_dom_live(hv, d);
    if (!dom)
        return -ESRCH;
    int rc;
    struct hv_gref *m = NULL;
    grant_entry_v1_t *e = guest_entry(hv, dom, "release of", ref, &m, &rc);
    if (!e)
        return rc;
    return release(dom, e, m);
}

void hv_gnt_after_unpin(hv_t *hv, struct hv_domain *granter, grant_ref_t ref)
{
    struct hv_gref *m = NULL;
    grant_entry_v1_t *e = hv_gnt_entry(granter, ref, &m);
    if (!m->pin_rw)
        e->flags &= (uint16_t)~GTF_writing;
    if (is_pinned(m))
        return;
    e->flags &= (uint16_t)~GTF_reading;
    if (m->release_pending) {
        free_ref(granter, e, m);
        hv_dom_maybe_reap(hv, granter); /* may free granter */
    }
}

void hv_gnt_release_all(hv_t *hv, struct hv_domain *dom, bool any_owner, const void *owner)
{
    (void)hv;
    for (uint32_t f = 0; f < dom->nr_grant_frames; f++) {
        struct hv_gframe *gf = dom->gframes[f];
        for (uint32_t w = 0; w < HV_GRANT_ENTRIES_PER_FRAME / 64; w++) {
            for (uint64_t bits = gf->used[w]; bits; bits &= bits - 1) {
                uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(bits);
                grant_entry_v1_t *e = &gf->shared[i];
                struct hv_gref *m = &gf->ref[i];
                if (!m->allocated && !is_active(e)) {
                    gf->used[w] &= ~(1ull << (i % 64));
                    continue;
                }
                if (!any_owner && m->owner != owner)
                    continue;
                release(dom, e, m);
            }
        }
    }
}
