/*
 * grants.c — sharing frames of the domain's memory through the
 * hypervisor core's grant table.
 *
 * As in a Linux process (frontends/os/linux/grants.c), only pages from
 * os_share_pages() can be granted, and os_grant_access() hands back the
 * ref such a page already has; anything else is refused with one line
 * naming the domain, the buffer and the rule.
 *
 * Unsharing a region the peer still maps succeeds, as Linux's gntalloc
 * lets a process unshare: each grant is ended and freed by the peer's
 * last unmap, and the frames come back to the allocator only then.
 */
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/home/os_world_priv.h"

enum { FRAME_FREE = 0, FRAME_USED = 1, FRAME_HELD = 2 };

struct os_share {
    struct os_share *next;
    uint64_t first; /* first frame */
    unsigned npages;
    domid_t peer;
    bool writable;
    grant_ref_t refs[];
};

/* Frames of unshared regions whose grants the peer has let go of are
 * free again. */
static void reclaim(struct os *os)
{
    for (struct os_share **pp = &os->held; *pp;) {
        struct os_share *sh = *pp;
        bool gone = true;
        for (unsigned i = 0; i < sh->npages && gone; i++) {
            grant_entry_v1_t e;
            if (hv_gnt_read_entry(os->h.hv, os->h.domid, sh->refs[i], &e) == 0 &&
                (e.flags & GTF_permit_access) && e.frame == sh->first + i)
                gone = false;
        }
        if (!gone) {
            pp = &sh->next;
            continue;
        }
        memset(os->frame_used + sh->first, FRAME_FREE, sh->npages);
        *pp = sh->next;
        free(sh);
    }
}

/* First fit, so that a run picks the same frames every time. */
static int64_t alloc_frames(struct os *os, unsigned n)
{
    reclaim(os);
    uint64_t run = 0;
    for (uint64_t f = 0; f < os->h.nr_frames; f++) {
        run = os->frame_used[f] == FRAME_FREE ? run + 1 : 0;
        if (run == n) {
            uint64_t first = f + 1 - n;
            memset(os->frame_used + first, FRAME_USED, n);
            return (int64_t)first;
        }
    }
    return -1;
}

static uint8_t *frame_va(struct os *os, uint64_t f)
{
    return os->h.mem + f * OS_PAGE_SIZE;
}

int os_share_pages(struct os *os, domid_t peer, unsigned npages, bool writable, void **va,
                   grant_ref_t *refs)
{
    if (!npages || !va || !refs)
        return -OS_EINVAL;
    struct os_share *sh = calloc(1, sizeof(*sh) + npages * sizeof(grant_ref_t));
    if (!sh)
        return -OS_ENOMEM;
    int64_t first = alloc_frames(os, npages);
    if (first < 0) {
        os_log(os, OS_LOG_ERROR,
               "[os] d%u: sharing %u page(s) with d%u failed: out of guest frames", os->h.domid,
               npages, peer);
        free(sh);
        return -OS_ENOMEM;
    }
    bool ro = !writable || (os->h.bug_readonly_data && os->nshares > 0);
    /* XSA-403: the peer sees zeroes until we write. */
    memset(frame_va(os, (uint64_t)first), 0, (size_t)npages * OS_PAGE_SIZE);
    for (unsigned i = 0; i < npages; i++) {
        int rc = hv_gnt_alloc_ref(os->h.hv, os->h.domid, os, &sh->refs[i]);
        if (rc == 0) {
            rc =
                hv_gnt_grant(os->h.hv, os->h.domid, sh->refs[i], peer, (uint64_t)first + i, ro, os);
            if (rc < 0)
                (void)hv_gnt_release_ref(os->h.hv, os->h.domid, sh->refs[i]);
        }
        if (rc < 0) {
            while (i--)
                (void)hv_gnt_release_ref(os->h.hv, os->h.domid, sh->refs[i]);
            memset(os->frame_used + first, FRAME_FREE, npages);
            free(sh);
            return rc;
        }
        refs[i] = sh->refs[i];
    }
    sh->first = (uint64_t)first;
    sh->npages = npages;
    sh->peer = peer;
    sh->writable = writable;
    sh->next = os->shares;
    os->shares = sh;
    os->nshares++;
    *va = frame_va(os, sh->first);
    return 0;
}

int os_unshare_pages(struct os *os, void *va, unsigned npages)
{
    for (struct os_share **pp = &os->shares; *pp; pp = &(*pp)->next) {
        struct os_share *sh = *pp;
        if (frame_va(os, sh->first) != va)
            continue;
        if (sh->npages != npages) {
            os_log(
                os, OS_LOG_ERROR,
                "[os] d%u: unshare of frame 0x%llx with %u page(s) refused: it was shared with %u",
                os->h.domid, (unsigned long long)sh->first, npages, sh->npages);
            return -OS_EINVAL;
        }
        bool busy = false;
        for (unsigned i = 0; i < npages; i++) {
            /* 1: still mapped; the last unmap ends and frees the ref. */
            if (hv_gnt_release_ref(os->h.hv, os->h.domid, sh->refs[i]) == 1)
                busy = true;
        }
        *pp = sh->next;
        os_world_forget_goodbye(os, va);
        if (!busy) {
            memset(os->frame_used + sh->first, FRAME_FREE, npages);
            free(sh);
            return 0;
        }
        os_log(os, OS_LOG_DEBUG,
               "[os] d%u: frames 0x%llx..+%u unshared while d%u maps them; free at its last unmap",
               os->h.domid, (unsigned long long)sh->first, npages, sh->peer);
        memset(os->frame_used + sh->first, FRAME_HELD, npages);
        sh->next = os->held;
        os->held = sh;
        return 0;
    }
    os_log(os, OS_LOG_ERROR,
           "[os] d%u: unshare of a region that os_share_pages did not make refused", os->h.domid);
    return -OS_EINVAL;
}

void os_world_free_shares(struct os *os)
{
    struct os_share *lists[2] = { os->shares, os->held };
    for (int i = 0; i < 2; i++)
        while (lists[i]) {
            struct os_share *sh = lists[i];
            lists[i] = sh->next;
            free(sh);
        }
    os->shares = os->held = NULL;
}

unsigned os_world_held_frames(struct os *os)
{
    reclaim(os);
    unsigned n = 0;
    for (struct os_share *sh = os->held; sh; sh = sh->next)
        n += sh->npages;
    return n;
}

int os_grant_access(struct os *os, domid_t peer, const void *page, bool readonly, grant_ref_t *ref)
{
    const uint8_t *p = page;
    uintptr_t a = (uintptr_t)page;
    if (a & (OS_PAGE_SIZE - 1)) {
        os_log(os, OS_LOG_ERROR,
               "[os] d%u: grant of a buffer to d%u refused: not the start of a whole page (offset "
               "0x%lx)",
               os->h.domid, peer, (unsigned long)(a & (OS_PAGE_SIZE - 1)));
        return -OS_EINVAL;
    }
    for (struct os_share *sh = os->shares; sh; sh = sh->next) {
        const uint8_t *lo = frame_va(os, sh->first);
        if (p < lo || p >= lo + (size_t)sh->npages * OS_PAGE_SIZE)
            continue;
        if (sh->peer != peer) {
            os_log(os, OS_LOG_ERROR,
                   "[os] d%u: grant of frame 0x%llx to d%u refused: the page is shared with d%u",
                   os->h.domid, (unsigned long long)(sh->first + (uint64_t)(p - lo) / OS_PAGE_SIZE),
                   peer, sh->peer);
            return -OS_EPERM;
        }
        if (!readonly && !sh->writable) {
            os_log(os, OS_LOG_ERROR,
                   "[os] d%u: writable grant of frame 0x%llx refused: the page is shared read-only",
                   os->h.domid,
                   (unsigned long long)(sh->first + (uint64_t)(p - lo) / OS_PAGE_SIZE));
            return -OS_EPERM;
        }
        *ref = sh->refs[(size_t)(p - lo) / OS_PAGE_SIZE];
        return 0;
    }
    os_log(
        os, OS_LOG_ERROR,
        "[os] d%u: grant of a buffer to d%u refused: only pages from os_share_pages can be granted",
        os->h.domid, peer);
    return -OS_EINVAL;
}

int os_end_access(struct os *os, grant_ref_t ref)
{
    /* A grant belongs to its os_share_pages region and ends with it. */
    for (struct os_share *sh = os->shares; sh; sh = sh->next)
        for (unsigned i = 0; i < sh->npages; i++)
            if (sh->refs[i] == ref)
                return 0;
    return -OS_EINVAL;
}
