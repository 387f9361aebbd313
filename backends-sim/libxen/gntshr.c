/*
 * gntshr.c — the xengntshr_* half of the drop-in libxengnttab.so.1:
 * sharing this domain's pages (Linux's gntalloc).  Pages come zeroed from
 * the domain's memory; xengntshr_unshare, or a plain munmap, ends them.
 */
#include "backends-sim/libxen/gntdev.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xengnttab.h>

#define PAGE 4096u

xengntshr_handle *xengntshr_open(struct xentoollog_logger *logger, unsigned open_flags)
{
    (void)open_flags;
    return gntdev_open(HVW_KIND_GNTSHR, "gntshr", logger);
}

int xengntshr_close(xengntshr_handle *xgs)
{
    return gntdev_close(xgs);
}

int xengntshr_fd(xengntshr_handle *xgs)
{
    return xgs->cl.sock;
}

static void *share(xengntshr_handle *h, uint32_t domid, int count, uint32_t *refs, int writable,
                   uint32_t notify_offset, uint32_t notify_port)
{
    if (count <= 0 || (unsigned)count > HVW_MAX_PAGES || !refs) {
        errno = EINVAL;
        return NULL;
    }
    struct hvw_share req = { .domid = domid,
                             .count = (uint32_t)count,
                             .writable = writable != 0,
                             .notify_offset = notify_offset,
                             .notify_port = notify_port };
    size_t replen = sizeof(struct hvw_share_rep) + (size_t)count * sizeof(uint32_t);
    char *rep = malloc(replen);
    struct region *r = calloc(1, sizeof(*r));
    bool *gone = calloc((size_t)count, sizeof(bool));
    if (!rep || !r || !gone) {
        free(rep);
        free(r);
        free(gone);
        errno = ENOMEM;
        return NULL;
    }
    int fds[1];
    unsigned nfds = 1;
    uint8_t *base = NULL;
    pthread_mutex_lock(&h->cl.lock);
    gntdev_maybe_reap(h);
    ssize_t n = hvclient_call(&h->cl, HVW_GNT_SHARE, &req, sizeof(req), rep, replen, fds, &nfds);
    if (n == (ssize_t)replen && nfds == 1) {
        const struct hvw_share_rep *sr = (const void *)rep;
        const uint32_t *grefs = (const void *)(rep + sizeof(*sr));
        /* The sharing's own memfd, page i = page i of the sharing; the
         * sharer maps its pages writable even for a read-only grant, as
         * gntalloc does.  The mapping keeps the memfd: the fd can go. */
        size_t len = (size_t)count * PAGE;
        base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fds[0], 0);
        close(fds[0]);
        if (base == MAP_FAILED) {
            int e = errno;
            struct hvw_refs u = { .share_id = sr->share_id, .first = 0, .count = (uint32_t)count };
            hvclient_call(&h->cl, HVW_GNT_UNSHARE, &u, sizeof(u), NULL, 0, NULL, NULL);
            errno = e;
            base = NULL;
        } else {
            memcpy(refs, grefs, (size_t)count * sizeof(uint32_t));
            r->addr = base;
            r->count = (uint32_t)count;
            r->id = sr->share_id;
            r->gone = gone;
            r->next = h->regions;
            h->regions = r;
            h->nregions++;
            r = NULL;
            gone = NULL;
        }
    } else if (n >= 0) {
        for (unsigned i = 0; i < nfds; i++)
            close(fds[i]);
        errno = EPROTO;
    }
    pthread_mutex_unlock(&h->cl.lock);
    free(rep);
    free(r);
    free(gone);
    return base;
}

void *xengntshr_share_pages(xengntshr_handle *xgs, uint32_t domid, int count, uint32_t *refs,
                            int writable)
{
    return share(xgs, domid, count, refs, writable, HVW_NOTIFY_NONE, HVW_NOTIFY_NONE);
}

void *xengntshr_share_page_notify(xengntshr_handle *xgs, uint32_t domid, uint32_t *ref,
                                  int writable, uint32_t notify_offset, evtchn_port_t notify_port)
{
    return share(xgs, domid, 1, ref, writable, notify_offset, notify_port);
}

int xengntshr_unshare(xengntshr_handle *xgs, void *start_address, uint32_t count)
{
    uint8_t *a = start_address;
    if (((uintptr_t)a & (PAGE - 1)) || count == 0) {
        errno = EINVAL;
        return -1;
    }
    pthread_mutex_lock(&xgs->cl.lock);
    struct region **link;
    struct region *r = gntdev_find(xgs, a, &link);
    int ret = 0;
    if (!r || (size_t)(a - r->addr) / PAGE + count > r->count) {
        errno = EINVAL;
        ret = -1;
    } else {
        uint32_t first = (uint32_t)((size_t)(a - r->addr) / PAGE);
        /* As gntalloc: the range goes, then the grants. */
        munmap(a, (size_t)count * PAGE);
        ret = gntdev_end(xgs, r, first, count) < 0 ? -1 : 0;
        bool all = true;
        for (uint32_t i = 0; i < r->count; i++)
            all &= r->gone[i];
        if (all) {
            *link = r->next;
            if (xgs->nregions)
                xgs->nregions--;
            free(r->gone);
            free(r);
        }
    }
    gntdev_maybe_reap(xgs);
    pthread_mutex_unlock(&xgs->cl.lock);
    return ret;
}
