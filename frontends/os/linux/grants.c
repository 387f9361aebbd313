/*
 * grants.c — sharing pages with another domain through xengntshr.
 *
 * A Linux process cannot grant arbitrary memory of its own: only pages
 * the grant-sharing device allocated can be shared.  So os_grant_access()
 * accepts exactly the first byte of a page that os_share_pages() returned
 * (and hands back that page's existing ref); anything else is refused with
 * one line naming the domain, the buffer and the rule — the same refusal a
 * hypervisor gives a driver that grants a buffer that is not a whole page.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "os_linux.h"

struct os_share {
    struct os_share *next;
    uint8_t         *va;
    unsigned         npages;
    domid_t          peer;
    bool             writable;
    grant_ref_t      refs[];
};

int os_share_pages(struct os *os, domid_t peer, unsigned npages, bool writable,
                   void **va, grant_ref_t *refs)
{
    if (!npages || !va || !refs)
        return -OS_EINVAL;
    xengntshr_handle *gs = os_linux_gntshr(os);
    if (!gs)
        return -OS_ENODEV;
    struct os_share *sh = calloc(1, sizeof(*sh) + npages * sizeof(grant_ref_t));
    if (!sh)
        return -OS_ENOMEM;
    uint32_t *r = calloc(npages, sizeof(*r));
    if (!r) {
        free(sh);
        return -OS_ENOMEM;
    }
    void *p = xengntshr_share_pages(gs, peer, (int)npages, r, writable ? 1 : 0);
    if (!p) {
        int e = errno ? errno : OS_ENOMEM;
        os_log(os, OS_LOG_ERROR, "[os] d%u: sharing %u page(s) with d%u failed: %s",
               os->domid, npages, peer, strerror(e));
        free(r);
        free(sh);
        return -e;
    }
    /* XSA-403: whatever the device hands out, the peer sees zeroes only. */
    memset(p, 0, (size_t)npages * OS_PAGE_SIZE);
    sh->va = p;
    sh->npages = npages;
    sh->peer = peer;
    sh->writable = writable;
    for (unsigned i = 0; i < npages; i++)
        sh->refs[i] = refs[i] = r[i];
    free(r);
    sh->next = os->shares;
    os->shares = sh;
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
            os_log(os, OS_LOG_ERROR, "[os] d%u: unshare of %p with %u page(s) refused: it was shared with %u",
                   os->domid, va, npages, sh->npages);
            return -OS_EINVAL;
        }
        if (xengntshr_unshare(os->gs, va, npages) < 0) {
            int e = errno ? errno : OS_EBUSY;
            return -e;
        }
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
        (void)xengntshr_unshare(os->gs, sh->va, sh->npages);
        free(sh);
    }
}

int os_grant_access(struct os *os, domid_t peer, const void *page, bool readonly,
                    grant_ref_t *ref)
{
    uintptr_t a = (uintptr_t)page;
    if (a & (OS_PAGE_SIZE - 1)) {
        os_log(os, OS_LOG_ERROR,
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
        *ref = sh->refs[(a - lo) / OS_PAGE_SIZE];
        return 0;
    }
    os_log(os, OS_LOG_ERROR,
           "[os] d%u: grant of buffer 0x%lx refused: a Linux process can only grant pages it got from os_share_pages",
           os->domid, (unsigned long)a);
    return -OS_EINVAL;
}

int os_end_access(struct os *os, grant_ref_t ref)
{
    /* The grant belongs to its os_share_pages region and ends with it. */
    for (struct os_share *sh = os->shares; sh; sh = sh->next)
        for (unsigned i = 0; i < sh->npages; i++)
            if (sh->refs[i] == ref)
                return 0;
    return -OS_EINVAL;
}
