/*
 * gnttab.c — the xengnttab_* half of the drop-in libxengnttab.so.1:
 * mapping other domains' grants, grant copy.  Semantics of Linux's gntdev
 * as libxengnttab exposes them: a failed map is NULL with errno EINVAL,
 * xengnttab_unmap needs the exact address and count of a mapping.
 */
#include "backends-sim/libxen/gntdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xengnttab.h>

#define PAGE 4096u

xengnttab_handle *xengnttab_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    (void)open_flags;
    return gntdev_open(HVW_KIND_GNTTAB, "gnttab", logger);
}

int xengnttab_close(xengnttab_handle *xgt)
{
    return gntdev_close(xgt);
}

int xengnttab_fd(xengnttab_handle *xgt)
{
    return xgt->cl.sock;
}

int xengnttab_set_max_grants(xengnttab_handle *xgt, uint32_t nr_grants)
{
    pthread_mutex_lock(&xgt->cl.lock);
    int r = (int)gntdev_call(xgt, HVW_GNT_SET_MAX, &nr_grants, sizeof(nr_grants), NULL, 0);
    pthread_mutex_unlock(&xgt->cl.lock);
    return r < 0 ? -1 : 0;
}

static void *map_runs(const uint32_t *pages, uint32_t count, int prot, const int *memfd);

/* A parked range of exactly these pages and protection, made accessible
 * again (gntdev.h), or NULL. */
static void *unpark(xengnttab_handle *h, uint64_t mem, uint32_t page, uint32_t count, int prot)
{
    for (uint32_t i = 0; i < h->npark; i++) {
        struct parked *p = &h->park[i];
        if (p->mem != mem || p->page != page || p->count != count || p->prot != prot)
            continue;
        uint8_t *addr = p->addr;
        *p = h->park[--h->npark];
        if (mprotect(addr, (size_t)count * PAGE, prot) == 0)
            return addr;
        return NULL; /* the program unmapped the range itself */
    }
    return NULL;
}

/* Parks r's range instead of unmapping it, evicting the least recently
 * parked one when full.  False when r cannot be parked. */
static bool park(xengnttab_handle *h, const struct region *r)
{
    if (!r->mem || r->notify || mprotect(r->addr, (size_t)r->count * PAGE, PROT_NONE) < 0)
        return false;
    if (h->npark == GNT_PARKED) {
        uint32_t old = 0;
        for (uint32_t i = 1; i < h->npark; i++)
            if (h->park[i].used < h->park[old].used)
                old = i;
        munmap(h->park[old].addr, (size_t)h->park[old].count * PAGE);
        h->park[old] = h->park[--h->npark];
    }
    h->park[h->npark++] =
        (struct parked){ r->addr, r->mem, ++h->park_clock, r->page, r->count, r->prot };
    return true;
}

/* Maps the pages a GNT_MAP reply names, contiguously; when they are
 * consecutive pages of one sharing, *mem and *page name them. */
static void *map_pages(xengnttab_handle *h, const char *rep, size_t replen, uint32_t count,
                       int prot, uint64_t *one_mem, uint32_t *one_page)
{
    const struct hvw_map_rep *mr = (const void *)rep;
    const struct hvw_mem *mem = (const void *)(rep + sizeof(*mr));
    if (mr->count != count || mr->nmem > count ||
        replen != sizeof(*mr) + mr->nmem * sizeof(*mem) + (size_t)count * 2 * sizeof(uint32_t)) {
        errno = EPROTO;
        return NULL;
    }
    const uint32_t *pages = (const void *)(mem + mr->nmem);
    if (mr->nmem == 0 || mr->nmem > count) {
        errno = EPROTO;
        return NULL;
    }
    bool one_run = true;
    for (uint32_t i = 0; i < count; i++) {
        if (pages[2 * i] >= mr->nmem) {
            errno = EPROTO;
            return NULL;
        }
        one_run = one_run && pages[2 * i] == pages[0] && pages[2 * i + 1] == pages[1] + i;
    }
    *one_mem = 0;
    if (one_run) {
        *one_mem = mem[pages[0]].id;
        *one_page = pages[1];
        void *addr = unpark(h, *one_mem, *one_page, count, prot);
        if (addr)
            return addr;
    }
    int *memfd = malloc(mr->nmem * sizeof(int));
    if (!memfd) {
        errno = ENOMEM;
        return NULL;
    }
    if (gntdev_mem_fds(h, mem, mr->nmem, memfd) < 0) {
        free(memfd);
        return NULL;
    }
    uint8_t *base = map_runs(pages, count, prot, memfd);
    free(memfd);
    return base;
}

/* Maps pages[] (memfd index, page) contiguously: runs of consecutive
 * pages of one memfd with one mmap each. */
static void *map_runs(const uint32_t *pages, uint32_t count, int prot, const int *memfd)
{
    size_t len = (size_t)count * PAGE;
    uint8_t *base;
    uint32_t one_run = 1;
    while (one_run < count && pages[2 * one_run] == pages[0] &&
           pages[2 * one_run + 1] == pages[1] + one_run)
        one_run++;
    if (one_run == count) {
        /* contiguous frames of one domain (the usual case for a set shared
         * together): one mmap, no reservation first */
        base = mmap(NULL, len, prot, MAP_SHARED, memfd[pages[0]], (off_t)pages[1] * PAGE);
        return base == MAP_FAILED ? NULL : base;
    }
    base = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
        return NULL;
    for (uint32_t i = 0; i < count;) {
        uint32_t run = 1;
        while (i + run < count && pages[2 * (i + run)] == pages[2 * i] &&
               pages[2 * (i + run) + 1] == pages[2 * i + 1] + run)
            run++;
        void *p = mmap(base + (size_t)i * PAGE, (size_t)run * PAGE, prot, MAP_SHARED | MAP_FIXED,
                       memfd[pages[2 * i]], (off_t)pages[2 * i + 1] * PAGE);
        if (p == MAP_FAILED) {
            int e = errno;
            munmap(base, len);
            errno = e;
            return NULL;
        }
        i += run;
    }
    return base;
}

static void *map_refs(xengnttab_handle *h, uint32_t count, const uint32_t *domids,
                      uint32_t one_domid, const uint32_t *refs, int prot, uint32_t notify_offset,
                      uint32_t notify_port)
{
    if (count == 0 || count > HVW_MAX_PAGES || !refs) {
        errno = EINVAL;
        return NULL;
    }
    size_t reqlen = sizeof(struct hvw_map) + count * sizeof(struct hvw_map_ent);
    size_t replen =
        sizeof(struct hvw_map_rep) + count * sizeof(struct hvw_mem) + count * 2 * sizeof(uint32_t);
    char *req = malloc(reqlen), *rep = malloc(replen);
    if (!req || !rep) {
        free(req);
        free(rep);
        errno = ENOMEM;
        return NULL;
    }
    struct hvw_map *m = (void *)req;
    *m = (struct hvw_map){ .count = count,
                           .writable = (prot & PROT_WRITE) != 0,
                           .notify_offset = notify_offset,
                           .notify_port = notify_port };
    struct hvw_map_ent *ent = (void *)(req + sizeof(*m));
    for (uint32_t i = 0; i < count; i++)
        ent[i] = (struct hvw_map_ent){ domids ? domids[i] : one_domid, refs[i] };

    void *addr = NULL;
    pthread_mutex_lock(&h->cl.lock);
    gntdev_maybe_reap(h);
    ssize_t n = gntdev_call(h, HVW_GNT_MAP, req, reqlen, rep, replen);
    if (n >= (ssize_t)sizeof(struct hvw_map_rep)) {
        struct region *r = calloc(1, sizeof(*r));
        bool *gone = calloc(count, sizeof(bool));
        errno = 0;
        addr = r && gone ? map_pages(h, rep, (size_t)n, count, prot, &r->mem, &r->page) : NULL;
        int e = errno;
        if (addr) {
            r->addr = addr;
            r->count = count;
            r->id = ((struct hvw_map_rep *)rep)->map_id;
            r->gone = gone;
            r->notify = notify_offset != HVW_NOTIFY_NONE || notify_port != HVW_NOTIFY_NONE;
            r->prot = prot;
            r->next = h->regions;
            h->regions = r;
            h->nregions++;
        } else {
            gntdev_post_unmap(h, ((struct hvw_map_rep *)rep)->map_id);
            free(r);
            free(gone);
            errno = e ? e : ENOMEM;
        }
    } else if (n >= 0)
        errno = EPROTO;
    pthread_mutex_unlock(&h->cl.lock);
    free(req);
    free(rep);
    return addr;
}

void *xengnttab_map_grant_ref(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot)
{
    return map_refs(xgt, 1, NULL, domid, &ref, prot, HVW_NOTIFY_NONE, HVW_NOTIFY_NONE);
}

void *xengnttab_map_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t *domids,
                               uint32_t *refs, int prot)
{
    if (!domids) {
        errno = EINVAL;
        return NULL;
    }
    return map_refs(xgt, count, domids, 0, refs, prot, HVW_NOTIFY_NONE, HVW_NOTIFY_NONE);
}

void *xengnttab_map_domain_grant_refs(xengnttab_handle *xgt, uint32_t count, uint32_t domid,
                                      uint32_t *refs, int prot)
{
    return map_refs(xgt, count, NULL, domid, refs, prot, HVW_NOTIFY_NONE, HVW_NOTIFY_NONE);
}

void *xengnttab_map_grant_ref_notify(xengnttab_handle *xgt, uint32_t domid, uint32_t ref, int prot,
                                     uint32_t notify_offset, evtchn_port_t notify_port)
{
    return map_refs(xgt, 1, NULL, domid, &ref, prot, notify_offset, notify_port);
}

int xengnttab_unmap(xengnttab_handle *xgt, void *start_address, uint32_t count)
{
    pthread_mutex_lock(&xgt->cl.lock);
    struct region **link;
    struct region *r = gntdev_find(xgt, start_address, &link);
    if (!r || r->addr != start_address || r->count != count) {
        pthread_mutex_unlock(&xgt->cl.lock);
        errno = EINVAL;
        return -1;
    }
    *link = r->next;
    if (xgt->nregions)
        xgt->nregions--;
    /* gntdev's order: the range goes first (unmapped, or parked out of
     * reach), then the grants (and their unmap notification). */
    if (!park(xgt, r))
        munmap(r->addr, (size_t)r->count * PAGE);
    int ret = gntdev_end(xgt, r, 0, r->count);
    free(r->gone);
    free(r);
    gntdev_maybe_reap(xgt);
    pthread_mutex_unlock(&xgt->cl.lock);
    return ret < 0 ? -1 : 0;
}

/* ---- grant copy -------------------------------------------------------- */

struct copy_batch {
    char req[HVW_MSG_MAX - 64];
    size_t len;
    uint32_t n;
    xengnttab_grant_copy_segment_t *seg[256];
    int dir[256]; /* 0: read the grant into virt, 1: write it */
};

static int flush(xengnttab_handle *h, struct copy_batch *b)
{
    if (!b->n)
        return 0;
    struct hvw_copy *hd = (void *)b->req;
    hd->count = b->n;
    static __thread char rep[HVW_MSG_MAX];
    ssize_t got = gntdev_call(h, HVW_GNT_COPY, b->req, b->len, rep, sizeof(rep));
    if (got < 0)
        return -1;
    const struct hvw_copy_rep *cr = (const void *)rep;
    if ((size_t)got < sizeof(*cr) + b->n * sizeof(int32_t) || cr->count != b->n) {
        errno = EPROTO;
        return -1;
    }
    const int32_t *status = (const void *)(rep + sizeof(*cr));
    const char *data = (const char *)(status + b->n);
    const char *end = rep + got;
    for (uint32_t i = 0; i < b->n; i++) {
        xengnttab_grant_copy_segment_t *s = b->seg[i];
        s->status = (int16_t)status[i];
        if (b->dir[i] == 0) {
            if (data + s->len > end) {
                errno = EPROTO;
                return -1;
            }
            if (status[i] == GNTST_okay)
                memcpy(s->dest.virt, data, s->len);
            data += s->len;
        }
    }
    b->n = 0;
    b->len = sizeof(struct hvw_copy);
    return 0;
}

static int add(xengnttab_handle *h, struct copy_batch *b, xengnttab_grant_copy_segment_t *s,
               int write)
{
    const union xengnttab_copy_ptr *g = write ? &s->dest : &s->source;
    size_t need = sizeof(struct hvw_copy_ent) + (write ? s->len : 0);
    /* reads come back in the reply: keep both within one packet */
    size_t reply = 0;
    for (uint32_t i = 0; i < b->n; i++)
        reply += b->dir[i] ? 0 : b->seg[i]->len;
    if (b->n == 256 || b->len + need > sizeof(b->req) ||
        reply + (write ? 0 : s->len) + 256 * 4 + 64 > HVW_MSG_MAX - 64)
        if (flush(h, b) < 0)
            return -1;
    struct hvw_copy_ent e = { .domid = g->foreign.domid,
                              .ref = g->foreign.ref,
                              .offset = g->foreign.offset,
                              .len = s->len,
                              .write = (uint32_t)write };
    /* entries first, data after: rebuild the packet in place */
    size_t ents_end = sizeof(struct hvw_copy) + b->n * sizeof(e);
    memmove(b->req + ents_end + sizeof(e), b->req + ents_end, b->len - ents_end);
    memcpy(b->req + ents_end, &e, sizeof(e));
    b->len += sizeof(e);
    if (write) {
        memcpy(b->req + b->len, s->source.virt, s->len);
        b->len += s->len;
    }
    b->seg[b->n] = s;
    b->dir[b->n] = write;
    b->n++;
    return 0;
}

int xengnttab_grant_copy(xengnttab_handle *xgt, uint32_t count,
                         xengnttab_grant_copy_segment_t *segs)
{
    /* gntdev refuses the whole call, before copying anything, for a
     * segment with no grant side (a local memcpy) or whose grant side
     * runs past its page. */
    for (uint32_t i = 0; i < count; i++) {
        const xengnttab_grant_copy_segment_t *s = &segs[i];
        bool src = s->flags & GNTCOPY_source_gref, dst = s->flags & GNTCOPY_dest_gref;
        if (s->len > PAGE || (!src && !dst) ||
            (src && (size_t)s->source.foreign.offset + s->len > PAGE) ||
            (dst && (size_t)s->dest.foreign.offset + s->len > PAGE)) {
            errno = EINVAL;
            return -1;
        }
    }
    struct copy_batch *b = malloc(sizeof(*b));
    if (!b) {
        errno = ENOMEM;
        return -1;
    }
    b->n = 0;
    b->len = sizeof(struct hvw_copy);
    memset(b->req, 0, sizeof(struct hvw_copy));
    int ret = 0;
    pthread_mutex_lock(&xgt->cl.lock);
    for (uint32_t i = 0; i < count && ret == 0; i++) {
        xengnttab_grant_copy_segment_t *s = &segs[i];
        bool src = s->flags & GNTCOPY_source_gref, dst = s->flags & GNTCOPY_dest_gref;
        if (src && dst) {
            /* grant to grant: through a buffer of ours */
            static __thread uint8_t tmp[PAGE];
            xengnttab_grant_copy_segment_t a = *s, w = *s;
            a.dest.virt = tmp;
            w.source.virt = tmp;
            ret = add(xgt, b, &a, 0);
            if (!ret)
                ret = flush(xgt, b);
            if (!ret && a.status != GNTST_okay)
                s->status = a.status;
            else if (!ret) {
                ret = add(xgt, b, &w, 1);
                if (!ret)
                    ret = flush(xgt, b);
                s->status = w.status;
            }
        } else
            ret = add(xgt, b, s, dst);
    }
    if (ret == 0)
        ret = flush(xgt, b);
    pthread_mutex_unlock(&xgt->cl.lock);
    free(b);
    return ret;
}

/* ---- dma-buf: no such thing in the simulator ---------------------------- */

int xengnttab_dmabuf_exp_from_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t flags,
                                   uint32_t count, const uint32_t *refs, uint32_t *fd)
{
    errno = EOPNOTSUPP;
    return -1;
}

int xengnttab_dmabuf_exp_wait_released(xengnttab_handle *xgt, uint32_t fd, uint32_t wait_to_ms)
{
    errno = EOPNOTSUPP;
    return -1;
}

int xengnttab_dmabuf_imp_to_refs(xengnttab_handle *xgt, uint32_t domid, uint32_t fd, uint32_t count,
                                 uint32_t *refs)
{
    errno = EOPNOTSUPP;
    return -1;
}

int xengnttab_dmabuf_imp_release(xengnttab_handle *xgt, uint32_t fd)
{
    errno = EOPNOTSUPP;
    return -1;
}
