#include "backends-sim/libxen/gntdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Handles closed while still mapped: see gntdev.h. */
static pthread_mutex_t lingering_lock = PTHREAD_MUTEX_INITIALIZER;
static struct xengntdev_handle *lingering;

/* Sharing memfds kept for mapping again; more only while one reply
 * names more. */
#define MEM_CACHE 64u

static struct memfd_ent *mem_find(struct xengntdev_handle *h, uint64_t id, uint32_t ro)
{
    for (size_t i = 0; i < h->nmem; i++)
        if (h->mem[i].id == id && (h->mem[i].ro == ro || !h->mem[i].ro))
            return &h->mem[i];
    return NULL;
}

/* A slot for a new entry: a fresh one while under MEM_CACHE, else the
 * least recently used one not in use by the current call. */
static struct memfd_ent *mem_slot(struct xengntdev_handle *h)
{
    struct memfd_ent *old = NULL;
    if (h->nmem >= MEM_CACHE)
        for (size_t i = 0; i < h->nmem; i++)
            if (h->mem[i].used != h->mem_clock && (!old || h->mem[i].used < old->used))
                old = &h->mem[i];
    if (old) {
        close(old->fd);
        return old;
    }
    struct memfd_ent *n = realloc(h->mem, (h->nmem + 1) * sizeof(*n));
    if (!n)
        return NULL;
    h->mem = n;
    return &h->mem[h->nmem++];
}

/* Asks the daemon for count memfds and caches them. */
static int mem_fetch(struct xengntdev_handle *h, const uint64_t *ids, uint32_t count, uint32_t ro)
{
    struct {
        struct hvw_mem_req hd;
        uint64_t id[HVW_MEM_MAX];
    } req;
    req.hd = (struct hvw_mem_req){ .count = count, .readonly = ro };
    memcpy(req.id, ids, count * sizeof(uint64_t));
    int fds[HVW_MAX_FDS];
    unsigned nfds = HVW_MAX_FDS;
    ssize_t n = hvclient_call(&h->cl, HVW_GNT_MEM, &req, sizeof(req.hd) + count * sizeof(uint64_t),
                              NULL, 0, fds, &nfds);
    if (n < 0)
        return -1;
    int err = nfds == count ? 0 : EPROTO;
    for (unsigned i = 0; i < nfds; i++) {
        struct memfd_ent *e = err ? NULL : mem_slot(h);
        if (!e) {
            close(fds[i]);
            err = err ? err : ENOMEM;
            continue;
        }
        *e = (struct memfd_ent){ .id = ids[i], .used = h->mem_clock, .ro = ro, .fd = fds[i] };
    }
    if (err) {
        errno = err;
        return -1;
    }
    return 0;
}

int gntdev_mem_fds(struct xengntdev_handle *h, const struct hvw_mem *mem, uint32_t nmem, int *fd)
{
    h->mem_clock++;
    uint64_t want[HVW_MEM_MAX];
    uint32_t nwant = 0;
    for (uint32_t i = 0; i <= nmem; i++) {
        if (i < nmem) {
            struct memfd_ent *e = mem_find(h, mem[i].id, mem[i].readonly != 0);
            if (e) {
                e->used = h->mem_clock;
                continue;
            }
            want[nwant++] = mem[i].id;
        }
        if (nwant && (nwant == HVW_MEM_MAX || i == nmem)) {
            if (mem_fetch(h, want, nwant, mem[0].readonly != 0) < 0)
                return -1;
            nwant = 0;
        }
    }
    for (uint32_t i = 0; i < nmem; i++) {
        struct memfd_ent *e = mem_find(h, mem[i].id, mem[i].readonly != 0);
        if (!e) {
            errno = EPROTO;
            return -1;
        }
        fd[i] = e->fd;
    }
    return 0;
}

static bool page_mapped(const uint8_t *p)
{
    unsigned char v;
    return mincore((void *)p, 4096, &v) == 0 || errno != ENOMEM;
}

/* mincore(2) fills one byte per page: probe in bounded steps. */
static bool range_mapped(const uint8_t *p, uint32_t pages)
{
    unsigned char vec[256];
    for (uint32_t done = 0; done < pages;) {
        uint32_t n = pages - done < 256 ? pages - done : 256;
        if (mincore((void *)(p + (size_t)done * 4096), (size_t)n * 4096, vec) < 0 &&
            errno == ENOMEM)
            return false;
        done += n;
    }
    return true;
}

struct region *gntdev_find(struct xengntdev_handle *h, const void *addr, struct region ***link)
{
    for (struct region **pp = &h->regions; *pp; pp = &(*pp)->next) {
        struct region *r = *pp;
        const uint8_t *a = addr;
        if (a >= r->addr && a < r->addr + (size_t)r->count * 4096) {
            if (link)
                *link = pp;
            return r;
        }
    }
    return NULL;
}

int gntdev_end(struct xengntdev_handle *h, struct region *r, uint32_t first, uint32_t count)
{
    if (h->kind == HVW_KIND_GNTTAB) {
        /* Through the ring when it has room: the daemon reads it before
         * anything it serves next.  A notification must reach its peer
         * now, so that unmap wakes the daemon through the socket. */
        struct hvw_unmap_ring *u = h->uring;
        if (u && !r->notify &&
            h->uprod - __atomic_load_n(&u->cons, __ATOMIC_ACQUIRE) < HVW_UNMAP_RING) {
            u->map_id[h->uprod % HVW_UNMAP_RING] = r->id;
            __atomic_store_n(&u->prod, ++h->uprod, __ATOMIC_RELEASE);
            return 0;
        }
        return gntdev_post_unmap(h, r->id);
    }
    struct hvw_refs req = { .share_id = r->id, .first = first, .count = count };
    int ret = (int)hvclient_call(&h->cl, HVW_GNT_UNSHARE, &req, sizeof(req), NULL, 0, NULL, NULL);
    for (uint32_t i = first; i < first + count; i++)
        r->gone[i] = true;
    return ret;
}

static void region_free(struct region *r)
{
    free(r->gone);
    free(r);
}

void gntdev_reap(struct xengntdev_handle *h)
{
    h->nregions = 0;
    h->since_probe = 0;
    for (struct region **pp = &h->regions; *pp;) {
        struct region *r = *pp;
        if (range_mapped(r->addr, r->count)) {
            h->nregions++;
            pp = &r->next;
            continue;
        }
        /* Look page by page: a sharing ends page by page, a mapping when
         * its last page goes. */
        uint32_t alive = 0;
        for (uint32_t i = 0; i < r->count; i++) {
            if (r->gone[i])
                continue;
            if (page_mapped(r->addr + (size_t)i * 4096))
                alive++;
            else if (h->kind == HVW_KIND_GNTSHR)
                gntdev_end(h, r, i, 1);
        }
        if (alive == 0) {
            if (h->kind == HVW_KIND_GNTTAB)
                gntdev_end(h, r, 0, r->count);
            *pp = r->next;
            region_free(r);
        } else {
            h->nregions++;
            pp = &r->next;
        }
    }
}

void gntdev_maybe_reap(struct xengntdev_handle *h)
{
    if (++h->since_probe >= h->nregions)
        gntdev_reap(h);
}

static void reap_lingering(void)
{
    pthread_mutex_lock(&lingering_lock);
    for (struct xengntdev_handle **pp = &lingering; *pp;) {
        struct xengntdev_handle *h = *pp;
        gntdev_reap(h);
        if (h->regions) {
            pp = &h->next_lingering;
            continue;
        }
        *pp = h->next_lingering;
        hvclient_close(&h->cl);
        for (size_t i = 0; i < h->nmem; i++)
            close(h->mem[i].fd);
        free(h->mem);
        if (h->uring)
            munmap(h->uring, sizeof(*h->uring));
        free(h);
    }
    pthread_mutex_unlock(&lingering_lock);
}

struct xengntdev_handle *gntdev_open(unsigned kind, const char *lib, struct xentoollog_logger *log)
{
    reap_lingering();
    struct xengntdev_handle *h = calloc(1, sizeof(*h));
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    h->kind = kind;
    h->bell = h->answer = -1;
    struct hvw_hello_rep rep;
    int fd[4] = { -1, -1, -1, -1 };
    unsigned nfds = 4;
    if (hvclient_open(&h->cl, kind, lib, log, &rep, fd, &nfds) < 0) {
        int e = errno;
        free(h);
        errno = e;
        return NULL;
    }
    if (nfds >= 1 && kind == HVW_KIND_GNTTAB) {
        /* without it, unmaps go through the socket */
        void *p = mmap(NULL, sizeof(*h->uring), PROT_READ | PROT_WRITE, MAP_SHARED, fd[0], 0);
        if (p != MAP_FAILED) {
            h->uring = p;
            h->uprod = __atomic_load_n(&h->uring->prod, __ATOMIC_RELAXED);
        }
    }
    if (nfds == 4 && kind == HVW_KIND_GNTTAB) {
        /* without it, requests go through the socket */
        void *p = mmap(NULL, sizeof(*h->call), PROT_READ | PROT_WRITE, MAP_SHARED, fd[1], 0);
        if (p != MAP_FAILED) {
            h->call = p;
            h->call_seq = __atomic_load_n(&h->call->seq, __ATOMIC_RELAXED);
            h->bell = fd[2];
            h->answer = fd[3];
            fd[2] = fd[3] = -1;
        }
    }
    for (unsigned i = 0; i < nfds; i++)
        if (fd[i] >= 0)
            close(fd[i]);
    return h;
}

int gntdev_close(struct xengntdev_handle *h)
{
    if (!h)
        return 0;
    pthread_mutex_lock(&h->cl.lock);
    gntdev_reap(h);
    pthread_mutex_unlock(&h->cl.lock);
    if (h->regions) {
        pthread_mutex_lock(&lingering_lock);
        h->next_lingering = lingering;
        lingering = h;
        pthread_mutex_unlock(&lingering_lock);
        return 0;
    }
    hvclient_close(&h->cl);
    for (size_t i = 0; i < h->nmem; i++)
        close(h->mem[i].fd);
    free(h->mem);
    if (h->uring)
        munmap(h->uring, sizeof(*h->uring));
    for (uint32_t i = 0; i < h->npark; i++)
        munmap(h->park[i].addr, (size_t)h->park[i].count * 4096);
    if (h->call) {
        munmap(h->call, sizeof(*h->call));
        close(h->bell);
        close(h->answer);
    }
    free(h);
    reap_lingering();
    return 0;
}

ssize_t gntdev_call(struct xengntdev_handle *h, unsigned op, const void *body, size_t blen,
                    void *rep, size_t repmax)
{
    struct hvw_call_page *pg = h->call;
    struct hvw_req req = { .op = op, .len = (uint32_t)blen };
    if (!pg || h->posted || !hvw_call_op_ok(op) || blen > sizeof(pg->req) - sizeof(req)) {
        h->posted = false;
        return hvclient_call(&h->cl, op, body, blen, rep, repmax, NULL, NULL);
    }
    memcpy(pg->req, &req, sizeof(req));
    if (blen)
        memcpy(pg->req + sizeof(req), body, blen);
    uint32_t seq = ++h->call_seq;
    __atomic_store_n(&pg->seq, seq, __ATOMIC_RELEASE);
    const uint64_t one = 1;
    ssize_t n;
    do
        n = write(h->bell, &one, sizeof(one));
    while (n < 0 && errno == EINTR);
    /* one byte per answer; the page says which request it answers */
    for (;;) {
        char b;
        if (n >= 0)
            n = read(h->answer, &b, 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            int e = n == 0 ? ECONNRESET : errno;
            hvclient_log(h->cl.log, h->cl.lib, e, "lost splitbed-hvd");
            errno = e;
            return -1;
        }
        if (__atomic_load_n(&pg->done, __ATOMIC_ACQUIRE) == seq)
            break;
    }
    struct hvw_rep r;
    memcpy(&r, pg->rep, sizeof(r));
    if (r.err < 0 || r.len > sizeof(pg->rep) - sizeof(r) || (!r.err && r.len > repmax)) {
        errno = r.err < 0 || r.len > sizeof(pg->rep) - sizeof(r) ? EPROTO : EMSGSIZE;
        return -1;
    }
    if (r.err) {
        errno = r.err;
        return -1;
    }
    if (r.len)
        memcpy(rep, pg->rep + sizeof(r), r.len);
    return r.len;
}

int gntdev_post_unmap(struct xengntdev_handle *h, uint32_t map_id)
{
    struct hvw_handles req = { .map_id = map_id };
    h->posted = true;
    return hvclient_post(&h->cl, HVW_GNT_UNMAP, &req, sizeof(req));
}
