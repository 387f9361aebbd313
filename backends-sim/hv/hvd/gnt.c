/*
 * gnt.c — grant requests of xengntshr (share, unshare) and xengnttab (map,
 * unmap, copy) handles, played on the core.  Errors reach the client as
 * Linux's gntalloc/gntdev report them: a failed map is EINVAL whatever the
 * GNTST_* code (the core has traced the rule), as gntdev's mmap does.
 */
#include "backends-sim/hv/hvd/hvd.h"
#include "backends-sim/hv/hvd/memory.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

uint32_t hvd_gntalloc_limit = HVD_GNTALLOC_LIMIT;

/* Frames whose grant was ended while a peer still mapped it: they return
 * to their domain when the last mapping goes. */
struct zombie {
    domid_t d;
    uint32_t gen;
    grant_ref_t ref;
    uint64_t gfn;
};
static struct zombie *zombies;
static size_t nzombies;

static void zombie_add(struct hdom *dom, grant_ref_t ref, uint64_t gfn)
{
    struct zombie *z = realloc(zombies, (nzombies + 1) * sizeof(*z));
    if (!z)
        return; /* the frame stays out of use: safe */
    zombies = z;
    zombies[nzombies++] = (struct zombie){ dom->id, dom->gen, ref, gfn };
}

static void zombie_reap(struct hvd *h)
{
    for (size_t i = 0; i < nzombies;) {
        struct zombie *z = &zombies[i];
        struct hdom *dom = hvd_dom(h, z->d);
        grant_entry_v1_t e;
        bool gone = !dom || dom->gen != z->gen;
        if (!gone && hv_gnt_read_entry(h->hv, z->d, z->ref, &e) == 0 &&
            (e.flags & (GTF_reading | GTF_writing)) && e.frame == z->gfn) {
            i++;
            continue;
        }
        if (!gone)
            dmem_release(dom->mem, z->gfn);
        zombies[i] = zombies[--nzombies];
    }
}

static bool uses_port(struct hvd *h, const struct conn *c, uint32_t port, const struct conn *owner)
{
    struct hv_evtchn_info info;
    return port != HVW_NOTIFY_NONE && hv_evtchn_info(h->hv, c->dom->id, port, &info) == 0 &&
           info.owner == owner;
}

bool gnt_notify_uses(struct hvd *h, const struct conn *c, const struct conn *owner)
{
    for (const struct hmap *m = c->maps; m; m = m->next)
        if (uses_port(h, c, m->notify.port, owner))
            return true;
    for (const struct hshare *s = c->shares; s; s = s->next)
        if (uses_port(h, c, s->notify.port, owner))
            return true;
    return false;
}

/* UNMAP_NOTIFY_CLEAR_BYTE then UNMAP_NOTIFY_SEND_EVENT, as gntdev and
 * gntalloc do just before the page goes. */
static void fire_notify(struct hvd *h, domid_t self, struct notify_spec *n, struct hdom *owner,
                        uint64_t gfn)
{
    if (n->offset != HVW_NOTIFY_NONE && owner) {
        uint8_t *p = dmem_ptr(owner->mem, gfn);
        if (p)
            __atomic_store_n(&p[n->offset % HVW_PAGE_SIZE], 0, __ATOMIC_SEQ_CST);
    }
    if (n->port != HVW_NOTIFY_NONE)
        evt_send_as(h, self, n->port);
    n->offset = n->port = HVW_NOTIFY_NONE;
}

/* ---- gntshr ------------------------------------------------------------ */

static void end_page(struct hvd *h, struct conn *c, struct hshare *s, uint32_t i)
{
    if (!s->live[i])
        return;
    if (s->notify.offset != HVW_NOTIFY_NONE || s->notify.port != HVW_NOTIFY_NONE) {
        uint32_t page = s->notify.offset != HVW_NOTIFY_NONE ? s->notify.offset / HVW_PAGE_SIZE : 0;
        if (page == i)
            fire_notify(h, c->dom->id, &s->notify, c->dom, s->gfns[i]);
    }
    s->live[i] = false;
    c->dom->shared--;
    c->dom->share_limit_traced = false;
    int r = hv_gnt_release_ref(h->hv, c->dom->id, s->refs[i]);
    if (r == 0)
        dmem_release(c->dom->mem, s->gfns[i]);
    else if (r == 1)
        zombie_add(c->dom, s->refs[i], s->gfns[i]);
}

static void share_free(struct hshare *s)
{
    free(s->refs);
    free(s->gfns);
    free(s->live);
    free(s);
}

int gnt_share(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_share req;
    if (n != sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    if (req.count == 0 || req.count > HVW_MAX_PAGES)
        return EINVAL;
    if (req.domid >= DOMID_FIRST_RESERVED)
        return EINVAL;
    if (req.notify_offset != HVW_NOTIFY_NONE && req.notify_offset >= req.count * HVW_PAGE_SIZE)
        return EINVAL;
    if (req.count > hvd_gntalloc_limit - c->dom->shared) {
        if (!c->dom->share_limit_traced)
            hvd_trace(h, c->dom->id,
                      "hvd: d%u: gntalloc limit: %u grants shared, %u more asked (pid %d), "
                      "limit %u (xen_gntalloc.limit; SPLITBED_GNTALLOC_LIMIT raises it): ENOSPC",
                      c->dom->id, c->dom->shared, req.count, (int)c->pid, hvd_gntalloc_limit);
        c->dom->share_limit_traced = true;
        return ENOSPC;
    }
    struct hshare *s = calloc(1, sizeof(*s));
    if (!s || !(s->refs = calloc(req.count, sizeof(*s->refs))) ||
        !(s->gfns = calloc(req.count, sizeof(*s->gfns))) ||
        !(s->live = calloc(req.count, sizeof(*s->live)))) {
        if (s)
            share_free(s);
        return ENOMEM;
    }
    s->count = req.count;
    s->notify = (struct notify_spec){ HVW_NOTIFY_NONE, HVW_NOTIFY_NONE };
    domid_t me = c->dom->id;
    int err = 0;
    for (uint32_t i = 0; i < req.count; i++) {
        int r = dmem_alloc(c->dom->mem, &s->gfns[i]);
        if (r < 0) {
            err = -r;
            break;
        }
        r = hv_gnt_alloc_ref(h->hv, me, c, &s->refs[i]);
        if (r < 0) {
            dmem_release(c->dom->mem, s->gfns[i]);
            err = -r;
            break;
        }
        r = hv_gnt_grant(h->hv, me, s->refs[i], (domid_t)req.domid, s->gfns[i], !req.writable, c);
        s->live[i] = true;
        c->dom->shared++;
        if (r < 0) {
            err = -r;
            end_page(h, c, s, i);
            break;
        }
    }
    if (err) {
        for (uint32_t i = 0; i < req.count; i++)
            end_page(h, c, s, i);
        share_free(s);
        /* gntalloc reports an exhausted grant table as ENOSPC */
        return err;
    }
    struct hvw_share_rep *rep = hvd_out(h, sizeof(*rep));
    uint32_t *refs = hvd_out(h, req.count * sizeof(uint32_t));
    int r = dmem_share(c->dom->mem, s->gfns, req.count);
    struct smem *sm = r == 0 ? dmem_backing(c->dom->mem, s->gfns[0], NULL) : NULL;
    if (r == 0 && (!rep || !refs || hvd_out_fd(h, smem_fd(sm, 0)) < 0))
        r = -E2BIG;
    if (r) {
        for (uint32_t i = 0; i < req.count; i++)
            end_page(h, c, s, i);
        share_free(s);
        return -r;
    }
    s->id = ++c->next_obj;
    s->notify.offset = req.notify_offset;
    s->notify.port = req.notify_port;
    rep->share_id = s->id;
    rep->count = req.count;
    for (uint32_t i = 0; i < req.count; i++)
        refs[i] = s->refs[i];
    s->next = c->shares;
    c->shares = s;
    return 0;
}

int gnt_unshare(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_refs req;
    if (n != sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    for (struct hshare **pp = &c->shares; *pp; pp = &(*pp)->next) {
        struct hshare *s = *pp;
        if (s->id != req.share_id)
            continue;
        if (req.first >= s->count || req.count > s->count - req.first)
            return EINVAL;
        for (uint32_t i = req.first; i < req.first + req.count; i++)
            end_page(h, c, s, i);
        bool any = false;
        for (uint32_t i = 0; i < s->count; i++)
            any |= s->live[i];
        if (!any) {
            *pp = s->next;
            share_free(s);
        }
        return 0;
    }
    return EINVAL;
}

/* ---- gnttab ------------------------------------------------------------ */

static void map_free(struct hmap *m)
{
    free(m->handles);
    free(m->granters);
    free(m->gfns);
    free(m->mems);
    free(m);
}

static void map_end(struct hvd *h, struct conn *c, struct hmap *m)
{
    if (m->notify.offset != HVW_NOTIFY_NONE || m->notify.port != HVW_NOTIFY_NONE) {
        uint32_t page = m->notify.offset != HVW_NOTIFY_NONE ? m->notify.offset / HVW_PAGE_SIZE : 0;
        fire_notify(h, c->dom->id, &m->notify, hvd_dom(h, m->granters[page]), m->gfns[page]);
    }
    for (uint32_t i = 0; i < m->count; i++)
        hv_gnt_unmap(h->hv, c->dom->id, m->handles[i]);
    c->nmapped -= m->count;
    zombie_reap(h);
}

int gnt_map(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_map req;
    if (n < sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    if (req.count == 0 || req.count > HVW_MAX_PAGES)
        return EINVAL;
    if (n != sizeof(req) + req.count * sizeof(struct hvw_map_ent))
        return -1;
    if (req.notify_offset != HVW_NOTIFY_NONE &&
        (req.notify_offset >= req.count * HVW_PAGE_SIZE || !req.writable))
        return EINVAL;
    const struct hvw_map_ent *ent = (const void *)((const char *)p + sizeof(req));
    struct hmap *m = calloc(1, sizeof(*m));
    if (!m || !(m->handles = calloc(req.count, sizeof(*m->handles))) ||
        !(m->granters = calloc(req.count, sizeof(*m->granters))) ||
        !(m->gfns = calloc(req.count, sizeof(*m->gfns))) ||
        !(m->mems = calloc(req.count, sizeof(*m->mems)))) {
        if (m)
            map_free(m);
        return ENOMEM;
    }
    m->notify = (struct notify_spec){ HVW_NOTIFY_NONE, HVW_NOTIFY_NONE };
    uint32_t flags = GNTMAP_host_map | (req.writable ? 0 : GNTMAP_readonly);
    uint32_t done = 0;
    int err = 0;
    for (; done < req.count; done++) {
        struct hvw_map_ent e;
        memcpy(&e, &ent[done], sizeof(e));
        if (e.domid >= DOMID_FIRST_RESERVED || e.ref > UINT32_MAX) {
            err = EINVAL;
            break;
        }
        int st = hv_gnt_map(h->hv, c->dom->id, (domid_t)e.domid, e.ref, flags, c, &m->handles[done],
                            &m->gfns[done]);
        if (st != GNTST_okay) {
            err = EINVAL;
            break;
        }
        m->granters[done] = (domid_t)e.domid;
    }
    m->count = done;
    c->nmapped += done;
    /* Each page is named by its sharing's memfd: the reply lists the
     * distinct sharings, then (sharing index, page) per page. */
    struct hvw_map_rep *rep = hvd_out(h, sizeof(*rep));
    uint32_t *idx = NULL, *pg = NULL;
    uint32_t nmem = 0;
    if (!err &&
        (!(idx = calloc(req.count, sizeof(*idx))) || !(pg = calloc(req.count, sizeof(*pg)))))
        err = ENOMEM;
    for (uint32_t i = 0; !err && i < req.count; i++) {
        struct hdom *g = hvd_dom(h, m->granters[i]);
        struct smem *sm = g ? dmem_backing(g->mem, m->gfns[i], &pg[i]) : NULL;
        if (!sm) {
            err = EINVAL;
            break;
        }
        m->mems[i] = smem_id(sm);
    }
    m->writable = req.writable != 0;
    struct hvw_mem *mo = NULL;
    uint32_t *pages = NULL;
    if (!err) {
        /* distinct sharings, in order of first use */
        uint64_t *ids = calloc(req.count, sizeof(*ids));
        if (!ids)
            err = ENOMEM;
        for (uint32_t i = 0; !err && i < req.count; i++) {
            uint32_t k = nmem && ids[nmem - 1] == m->mems[i] ? nmem - 1 : 0;
            while (k < nmem && ids[k] != m->mems[i])
                k++;
            if (k == nmem)
                ids[nmem++] = m->mems[i];
            idx[i] = k;
        }
        if (!err) {
            mo = hvd_out(h, nmem * sizeof(*mo));
            pages = hvd_out(h, req.count * 2 * sizeof(uint32_t));
            if (!rep || !mo || !pages)
                err = E2BIG;
        }
        for (uint32_t k = 0; !err && k < nmem; k++)
            mo[k] = (struct hvw_mem){ .id = ids[k], .readonly = !req.writable };
        free(ids);
    }
    if (err) {
        free(idx);
        free(pg);
        map_end(h, c, m);
        map_free(m);
        return err;
    }
    for (uint32_t i = 0; i < req.count; i++) {
        pages[2 * i] = idx[i];
        pages[2 * i + 1] = pg[i];
    }
    free(idx);
    free(pg);
    m->id = ++c->next_obj;
    m->notify.offset = req.notify_offset;
    m->notify.port = req.notify_port;
    rep->map_id = m->id;
    rep->count = req.count;
    rep->nmem = nmem;
    m->next = c->maps;
    c->maps = m;
    return 0;
}

int gnt_unmap(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_handles req;
    if (n != sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    for (struct hmap **pp = &c->maps; *pp; pp = &(*pp)->next) {
        struct hmap *m = *pp;
        if (m->id == req.map_id) {
            *pp = m->next;
            map_end(h, c, m);
            map_free(m);
            return 0;
        }
    }
    return EINVAL;
}

/* The memfd of sharing `id`, if a mapping of c includes a page of it
 * (and is writable, for a read-write memfd).  The newest mapping is the
 * one a client asks about: searched first. */
static int mem_fd_for(struct hvd *h, struct conn *c, uint64_t id, int ro)
{
    for (struct hmap *m = c->maps; m; m = m->next) {
        if (!ro && !m->writable)
            continue;
        for (uint32_t i = 0; i < m->count; i++) {
            if (m->mems[i] != id)
                continue;
            struct hdom *g = hvd_dom(h, m->granters[i]);
            struct smem *sm = g ? dmem_backing(g->mem, m->gfns[i], NULL) : NULL;
            if (!sm || smem_id(sm) != id)
                continue;
            int fd = smem_fd(sm, ro);
            return fd < 0 ? -EIO : fd;
        }
    }
    return -EACCES;
}

int gnt_mem(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_mem_req req;
    if (n < sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    if (req.count == 0 || req.count > HVW_MEM_MAX ||
        n != sizeof(req) + req.count * sizeof(uint64_t))
        return -1;
    for (uint32_t i = 0; i < req.count; i++) {
        uint64_t id;
        memcpy(&id, (const char *)p + sizeof(req) + i * sizeof(id), sizeof(id));
        int fd = mem_fd_for(h, c, id, req.readonly != 0);
        if (fd < 0)
            return -fd;
        if (hvd_out_fd(h, fd) < 0)
            return E2BIG;
    }
    return 0;
}

int gnt_set_max(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    uint32_t max;
    if (n != sizeof(max))
        return -1;
    memcpy(&max, p, sizeof(max));
    c->max_grants = max;
    return 0;
}

/* Each entry is the foreign side of one copy segment; its data travel in
 * the request (write) or the reply (read), through the caller domain's
 * bounce frame, so the core checks and performs the copy itself. */
int gnt_copy(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_copy req;
    if (n < sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    if (req.count > 256 || n < sizeof(req) + req.count * sizeof(struct hvw_copy_ent))
        return -1;
    const char *ents = (const char *)p + sizeof(req);
    const char *data = ents + req.count * sizeof(struct hvw_copy_ent);
    size_t datalen = n - sizeof(req) - req.count * sizeof(struct hvw_copy_ent);
    size_t used = 0;
    struct hvw_copy_rep *rep = hvd_out(h, sizeof(*rep));
    int32_t *status = hvd_out(h, req.count * sizeof(int32_t));
    if (!rep || !status)
        return -1;
    rep->count = req.count;
    uint8_t *bounce = dmem_ptr(c->dom->mem, c->dom->bounce);
    for (uint32_t i = 0; i < req.count; i++) {
        struct hvw_copy_ent e;
        memcpy(&e, ents + i * sizeof(e), sizeof(e));
        if (e.len > HVW_PAGE_SIZE || e.domid >= DOMID_FIRST_RESERVED)
            return -1;
        gnttab_copy_t op = { .len = e.len };
        if (e.write) {
            if (datalen - used < e.len)
                return -1;
            memcpy(bounce, data + used, e.len);
            used += e.len;
            op.source.u.gmfn = c->dom->bounce;
            op.source.domid = DOMID_SELF;
            op.dest.u.ref = e.ref;
            op.dest.domid = (domid_t)e.domid;
            op.dest.offset = e.offset;
            op.flags = GNTCOPY_dest_gref;
        } else {
            op.source.u.ref = e.ref;
            op.source.domid = (domid_t)e.domid;
            op.source.offset = e.offset;
            op.dest.u.gmfn = c->dom->bounce;
            op.dest.domid = DOMID_SELF;
            op.flags = GNTCOPY_source_gref;
        }
        status[i] = hv_gnt_copy(h->hv, c->dom->id, &op);
        if (!e.write) {
            char *out = hvd_out(h, e.len);
            if (!out)
                return -1;
            if (status[i] == GNTST_okay)
                memcpy(out, bounce, e.len);
        }
    }
    if (used != datalen)
        return -1;
    return 0;
}

void gnt_release(struct hvd *h, struct conn *c)
{
    while (c->maps) {
        struct hmap *m = c->maps;
        c->maps = m->next;
        map_end(h, c, m);
        map_free(m);
    }
    while (c->shares) {
        struct hshare *s = c->shares;
        c->shares = s->next;
        for (uint32_t i = 0; i < s->count; i++)
            end_page(h, c, s, i);
        share_free(s);
    }
}
