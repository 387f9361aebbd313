/*
 * grants.c — sharing pages with another domain through xengntshr.
 *
 * A Linux process cannot grant arbitrary memory of its own: only pages
 * the grant-sharing device allocated can be shared.  So os_grant_access()
 * accepts exactly the first byte of a page that os_share_pages() returned
 * (and hands back that page's existing ref); anything else is refused with
 * one line naming the domain, the buffer and the rule — the same refusal a
 * hypervisor gives a driver that grants a buffer that is not a whole page.
 *
 * A grant's access is fixed when its page is shared, and gntalloc grants
 * each page it allocates once.  So a read-only grant of a page shared
 * writable cannot be the page itself: handing out the writable grant would
 * widen what the driver asked for (a peer could then map writable what
 * Xen would have refused it).  Such a grant is instead a read-only copy:
 * the region gets a twin of the same size, shared with writable=0 on first
 * need, and os_grant_access() copies the page into its twin and returns
 * the twin's ref.  The peer sees the page as it was when granted, which is
 * all a read-only grant promises while the driver leaves the page alone.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "os_linux.h"

struct os_share {
    struct os_share *next;
    uint8_t *va;
    unsigned npages;
    domid_t peer;
    bool writable;
    uint8_t *ro_va; /* read-only twin of a writable region, or NULL */
    grant_ref_t *ro_refs;
    grant_ref_t refs[];
};

/* Shares npages with peer through xengntshr; the refs go to r. */
static void *share(struct os *os, xengntshr_handle *gs, domid_t peer, unsigned npages,
                   bool writable, grant_ref_t *r)
{
    uint32_t *r32 = calloc(npages, sizeof(*r32));
    if (!r32) {
        errno = OS_ENOMEM;
        return NULL;
    }
    void *p = xengntshr_share_pages(gs, peer, (int)npages, r32, writable ? 1 : 0);
    if (!p) {
        int e = errno ? errno : OS_ENOMEM;
        os_log(os, OS_LOG_ERROR, "[os] d%u: sharing %u page(s)%s with d%u failed: %s", os->domid,
               npages, writable ? "" : " read-only", peer, strerror(e));
        free(r32);
        errno = e;
        return NULL;
    }
    /* XSA-403: whatever the device hands out, the peer sees zeroes only. */
    memset(p, 0, (size_t)npages * OS_PAGE_SIZE);
    for (unsigned i = 0; i < npages; i++)
        r[i] = r32[i];
    free(r32);
    return p;
}

/* The read-only twin of writable region sh, shared on first use. */
static int ensure_twin(struct os *os, struct os_share *sh)
{
    if (sh->ro_va)
        return 0;
    sh->ro_refs = calloc(sh->npages, sizeof(*sh->ro_refs));
    if (!sh->ro_refs)
        return -OS_ENOMEM;
    sh->ro_va = share(os, os->gs, sh->peer, sh->npages, false, sh->ro_refs);
    if (!sh->ro_va) {
        int e = errno;
        free(sh->ro_refs);
        sh->ro_refs = NULL;
        return -e;
    }
    return 0;
}

/* Ends region sh's sharings (the twin first); 0 or -errno. */
static int unshare_region(struct os *os, struct os_share *sh)
{
    if (sh->ro_va) {
        if (xengntshr_unshare(os->gs, sh->ro_va, sh->npages) < 0)
            return -(errno ? errno : OS_EBUSY);
        sh->ro_va = NULL;
        free(sh->ro_refs);
        sh->ro_refs = NULL;
    }
    if (xengntshr_unshare(os->gs, sh->va, sh->npages) < 0)
        return -(errno ? errno : OS_EBUSY);
    return 0;
}

int os_share_pages(struct os *os, domid_t peer, unsigned npages, bool writable, void **va,
                   grant_ref_t *refs)
{
    if (!npages || !va || !refs)
        return -OS_EINVAL;
    xengntshr_handle *gs = os_linux_gntshr(os);
    if (!gs)
        return -OS_ENODEV;
    struct os_share *sh = calloc(1, sizeof(*sh) + npages * sizeof(grant_ref_t));
    if (!sh)
        return -OS_ENOMEM;
    void *p = share(os, gs, peer, npages, writable, sh->refs);
    if (!p) {
        int e = errno;
        free(sh);
        return -e;
    }
    sh->va = p;
    sh->npages = npages;
    sh->peer = peer;
    sh->writable = writable;
    for (unsigned i = 0; i < npages; i++)
        refs[i] = sh->refs[i];
    sh->next = os->shares;
    os->shares = sh;
    *va = p;
    return 0;
}

int os_share_page_notify(struct os *os, domid_t peer, bool writable, uint32_t notify_offset,
                         evtchn_port_t port, void **va, grant_ref_t *ref)
{
    if (!va || !ref || notify_offset >= OS_PAGE_SIZE)
        return -OS_EINVAL;
    xengntshr_handle *gs = os_linux_gntshr(os);
    if (!gs)
        return -OS_ENODEV;
    struct os_share *sh = calloc(1, sizeof(*sh) + sizeof(grant_ref_t));
    if (!sh)
        return -OS_ENOMEM;
    uint32_t r32;
    errno = 0;
    void *p = xengntshr_share_page_notify(gs, peer, &r32, writable ? 1 : 0, notify_offset, port);
    if (!p) {
        int e = errno ? errno : OS_ENOMEM;
        os_log(os, OS_LOG_ERROR, "[os] d%u: sharing a page with d%u failed: %s", os->domid, peer,
               strerror(e));
        free(sh);
        return -e;
    }
    memset(p, 0, OS_PAGE_SIZE); /* XSA-403 */
    sh->refs[0] = r32;
    sh->va = p;
    sh->npages = 1;
    sh->peer = peer;
    sh->writable = writable;
    sh->next = os->shares;
    os->shares = sh;
    *ref = r32;
    *va = p;
    return 0;
}

int os_unshare_pages(struct os *os, void *va, unsigned npages)
{
    for (struct os_share **pp = &os->shares; *pp; pp = &(*pp)->next) {
        struct os_share *sh = *pp;
        if (sh->va != va)
            continue;
        if (sh->npages != npages) {
            os_log(os, OS_LOG_ERROR,
                   "[os] d%u: unshare of %p with %u page(s) refused: it was shared with %u",
                   os->domid, va, npages, sh->npages);
            return -OS_EINVAL;
        }
        int r = unshare_region(os, sh);
        if (r < 0)
            return r;
        *pp = sh->next;
        free(sh);
        return 0;
    }
    os_log(os, OS_LOG_ERROR, "[os] d%u: unshare of %p refused: not a region from os_share_pages",
           os->domid, va);
    return -OS_EINVAL;
}

void os_linux_unshare_all(struct os *os)
{
    while (os->shares) {
        struct os_share *sh = os->shares;
        os->shares = sh->next;
        (void)unshare_region(os, sh);
        free(sh->ro_refs);
        free(sh);
    }
}

int os_grant_access(struct os *os, domid_t peer, const void *page, bool readonly, grant_ref_t *ref)
{
    uintptr_t a = (uintptr_t)page;
    if (a & (OS_PAGE_SIZE - 1)) {
        os_log(
            os, OS_LOG_ERROR,
            "[os] d%u: grant of buffer 0x%lx refused: not the start of a whole page (offset 0x%lx)",
            os->domid, (unsigned long)a, (unsigned long)(a & (OS_PAGE_SIZE - 1)));
        return -OS_EINVAL;
    }
    for (struct os_share *sh = os->shares; sh; sh = sh->next) {
        uintptr_t lo = (uintptr_t)sh->va;
        if (a < lo || a >= lo + (uintptr_t)sh->npages * OS_PAGE_SIZE)
            continue;
        if (sh->peer != peer) {
            os_log(os, OS_LOG_ERROR,
                   "[os] d%u: grant of buffer 0x%lx to d%u refused: the page is shared with d%u",
                   os->domid, (unsigned long)a, peer, sh->peer);
            return -OS_EPERM;
        }
        if (!readonly && !sh->writable) {
            os_log(os, OS_LOG_ERROR,
                   "[os] d%u: writable grant of buffer 0x%lx refused: the page is shared read-only",
                   os->domid, (unsigned long)a);
            return -OS_EPERM;
        }
        size_t i = (a - lo) / OS_PAGE_SIZE;
        if (readonly && sh->writable) {
            /* Never widen: the read-only copy, not the writable page. */
            int r = ensure_twin(os, sh);
            if (r < 0)
                return r;
            memcpy(sh->ro_va + i * OS_PAGE_SIZE, page, OS_PAGE_SIZE);
            *ref = sh->ro_refs[i];
            return 0;
        }
        *ref = sh->refs[i];
        return 0;
    }
    os_log(os, OS_LOG_ERROR,
           "[os] d%u: grant of buffer 0x%lx refused: a Linux process can only grant pages it got "
           "from os_share_pages",
           os->domid, (unsigned long)a);
    return -OS_EINVAL;
}

int os_end_access(struct os *os, grant_ref_t ref)
{
    /* The grant belongs to its os_share_pages region and ends with it. */
    for (struct os_share *sh = os->shares; sh; sh = sh->next)
        for (unsigned i = 0; i < sh->npages; i++)
            if (sh->refs[i] == ref || (sh->ro_refs && sh->ro_refs[i] == ref))
                return 0;
    return -OS_EINVAL;
}
