/*
 * gntmap.c — a world home mapping another domain's grants (vchan's
 * client), and the unmap notifications vchan's live bytes rely on.
 *
 * A mapping is the core's GNTTABOP_map of each ref; the pages handed back
 * are the granter's own frames in this process, so both ends see each
 * other's writes as two processes sharing a page would.
 */
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/home/os_world_priv.h"

struct os_map {
    struct os_map *next;
    uint8_t *va;
    unsigned npages;
    domid_t peer;
    grant_handle_t handles[];
};

static void unmap_handles(struct os *os, const grant_handle_t *h, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        (void)hv_gnt_unmap(os->h.hv, os->h.domid, h[i]);
}

int os_map_grants(struct os *os, domid_t peer, unsigned npages, const grant_ref_t *refs,
                  bool writable, void **va)
{
    if (!npages || !refs || !va)
        return -OS_EINVAL;
    if (!os->ops->memory) {
        os_log(os, OS_LOG_ERROR, "[os] d%u: mapping d%u's grants: this world maps nothing",
               os->h.domid, peer);
        return -OS_ENOSYS;
    }
    struct os_map *m = calloc(1, sizeof(*m) + npages * sizeof(grant_handle_t));
    if (!m)
        return -OS_ENOMEM;
    uint32_t flags = GNTMAP_host_map | (writable ? 0 : GNTMAP_readonly);
    uint64_t first = 0;
    for (unsigned i = 0; i < npages; i++) {
        uint64_t gfn;
        int st = hv_gnt_map(os->h.hv, os->h.domid, peer, refs[i], flags, os, &m->handles[i], &gfn);
        if (st == GNTST_okay && i && gfn != first + i) {
            os_log(os, OS_LOG_ERROR,
                   "[os] d%u: mapping %u grants of d%u refused here: its frames 0x%llx and "
                   "0x%llx are not one after the other",
                   os->h.domid, npages, peer, (unsigned long long)first, (unsigned long long)gfn);
            unmap_handles(os, m->handles, i + 1);
            free(m);
            return -OS_EINVAL;
        }
        if (st != GNTST_okay) {
            /* the core traced why; all or nothing, as gntdev */
            unmap_handles(os, m->handles, i);
            free(m);
            return st == GNTST_bad_gntref || st == GNTST_bad_page ? -OS_EINVAL : -OS_EPERM;
        }
        if (i == 0)
            first = gfn;
    }
    uint64_t frames = 0;
    uint8_t *mem = os->ops->memory(os->ctx, peer, &frames);
    if (!mem || first + npages > frames) {
        unmap_handles(os, m->handles, npages);
        free(m);
        return -OS_EINVAL;
    }
    m->va = mem + first * OS_PAGE_SIZE;
    m->npages = npages;
    m->peer = peer;
    m->next = os->maps;
    os->maps = m;
    *va = m->va;
    return 0;
}

int os_unmap_grants(struct os *os, void *va, unsigned npages)
{
    for (struct os_map **pp = &os->maps; *pp; pp = &(*pp)->next) {
        struct os_map *m = *pp;
        if (m->va != va || m->npages != npages)
            continue;
        os_world_forget_goodbye(os, va);
        unmap_handles(os, m->handles, npages);
        *pp = m->next;
        free(m);
        return 0;
    }
    os_log(os, OS_LOG_ERROR, "[os] d%u: unmap of a region that os_map_grants did not make refused",
           os->h.domid);
    return -OS_EINVAL;
}

static int arm_goodbye(struct os *os, void *page, uint32_t offset, evtchn_port_t port)
{
    if (offset >= OS_PAGE_SIZE)
        return -OS_EINVAL;
    struct os_goodbye *g = calloc(1, sizeof(*g));
    if (!g)
        return -OS_ENOMEM;
    g->page = page;
    g->offset = offset;
    g->port = port;
    g->next = os->goodbyes;
    os->goodbyes = g;
    return 0;
}

int os_map_grant_notify(struct os *os, domid_t peer, grant_ref_t ref, bool writable,
                        uint32_t notify_offset, evtchn_port_t port, void **va)
{
    if (notify_offset >= OS_PAGE_SIZE || !writable)
        return -OS_EINVAL;
    int r = os_map_grants(os, peer, 1, &ref, writable, va);
    if (r == 0 && (r = arm_goodbye(os, *va, notify_offset, port)) < 0)
        (void)os_unmap_grants(os, *va, 1);
    return r;
}

int os_share_page_notify(struct os *os, domid_t peer, bool writable, uint32_t notify_offset,
                         evtchn_port_t port, void **va, grant_ref_t *ref)
{
    if (notify_offset >= OS_PAGE_SIZE)
        return -OS_EINVAL;
    int r = os_share_pages(os, peer, 1, writable, va, ref);
    if (r == 0 && (r = arm_goodbye(os, *va, notify_offset, port)) < 0)
        (void)os_unshare_pages(os, *va, 1);
    return r;
}

void os_world_forget_goodbye(struct os *os, const void *page)
{
    for (struct os_goodbye **pp = &os->goodbyes; *pp; pp = &(*pp)->next)
        if ((*pp)->page == page) {
            struct os_goodbye *g = *pp;
            *pp = g->next;
            free(g);
            return;
        }
}

void os_world_end_maps(struct os *os)
{
    while (os->goodbyes) {
        struct os_goodbye *g = os->goodbyes;
        os->goodbyes = g->next;
        __atomic_store_n(g->page + g->offset, 0, __ATOMIC_RELEASE);
        (void)hv_evtchn_send(os->h.hv, os->h.domid, g->port);
        free(g);
    }
    while (os->maps) {
        struct os_map *m = os->maps;
        os->maps = m->next;
        unmap_handles(os, m->handles, m->npages);
        free(m);
    }
}
