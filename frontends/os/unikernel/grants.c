/*
 * grants.c — the grant table (v1) of a PVH guest.
 *
 * An auto-translated guest asks Xen to place the table's frames into its
 * physical address space (XENMEM_add_to_physmap, XENMAPSPACE_grant_table);
 * we give it pages of our own heap as the places.  Refs below
 * GNTTAB_NR_RESERVED_ENTRIES belong to the toolstack (console, xenstore).
 * A grant is written frame-and-domain first, flags last, so the peer never
 * sees a valid entry with stale contents.  Ending a grant the peer still
 * maps fails with -EBUSY and the page is kept forever (XSA-396).
 */
#include "uk.h"
#include <xen/grant_table.h>

#define WANT_FRAMES 4u
#define ENTRIES_PER_FRAME (OS_PAGE_SIZE / sizeof(grant_entry_v1_t))

static grant_entry_v1_t *table;
static unsigned nr_entries;
static grant_ref_t *free_next; /* free list, linked through this array */
static grant_ref_t free_head;
static uint8_t *region_bits; /* refs that belong to an os_share_pages region */
#define REF_NONE 0u          /* ref 0 is reserved, so it can mark the end */

int uk_grants_init(void)
{
    struct gnttab_query_size q = { .dom = DOMID_SELF };
    long rc =
        uk_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_query_size, (unsigned long)&q, 1, 0, 0);
    if (rc < 0 || q.status != GNTST_okay)
        return rc < 0 ? uk_err(rc) : -OS_EIO;
    unsigned frames = q.max_nr_frames < WANT_FRAMES ? q.max_nr_frames : WANT_FRAMES;
    if (!frames)
        return -OS_ENOSPC;
    uint8_t *area = uk_pages_alloc(frames);
    if (!area)
        return -OS_ENOMEM;
    for (unsigned i = 0; i < frames; i++) {
        rc = uk_add_to_physmap(XENMAPSPACE_grant_table, i, ((uintptr_t)area >> UK_PAGE_SHIFT) + i);
        if (rc < 0)
            return uk_err(rc);
    }
    table = (grant_entry_v1_t *)area;
    nr_entries = frames * ENTRIES_PER_FRAME;
    free_next = uk_pages_alloc(
        (unsigned)((nr_entries * sizeof(grant_ref_t) + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE));
    if (!free_next)
        return -OS_ENOMEM;
    region_bits = uk_pages_alloc((unsigned)((nr_entries / 8 + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE));
    if (!region_bits)
        return -OS_ENOMEM;
    free_head = REF_NONE;
    for (grant_ref_t r = nr_entries - 1; r >= GNTTAB_NR_RESERVED_ENTRIES; r--) {
        free_next[r] = free_head;
        free_head = r;
    }
    return 0;
}

static int grant(domid_t peer, uintptr_t page, bool readonly, grant_ref_t *ref)
{
    if (free_head == REF_NONE)
        return -OS_ENOSPC;
    grant_ref_t r = free_head;
    free_head = free_next[r];
    table[r].domid = peer;
    table[r].frame = (uint32_t)(page >> UK_PAGE_SHIFT);
    __atomic_store_n(&table[r].flags, (uint16_t)(GTF_permit_access | (readonly ? GTF_readonly : 0)),
                     __ATOMIC_RELEASE);
    *ref = r;
    return 0;
}

static int end_grant(grant_ref_t r)
{
    uint16_t flags = __atomic_load_n(&table[r].flags, __ATOMIC_ACQUIRE);
    do {
        if (flags & (GTF_reading | GTF_writing))
            return -OS_EBUSY;
    } while (!__atomic_compare_exchange_n(&table[r].flags, &flags, 0, false, __ATOMIC_SEQ_CST,
                                          __ATOMIC_SEQ_CST));
    free_next[r] = free_head;
    free_head = r;
    return 0;
}

/* os_share_pages regions: their refs, so unsharing can end each one. */
struct share {
    struct share *next;
    uint8_t *va;
    unsigned npages;
    domid_t peer;
    bool writable;
    grant_ref_t refs[];
};
static struct share *shares;

/* The ref a region already holds for `page`, if it grants what is asked. */
static bool region_ref(domid_t peer, const void *page, bool readonly, grant_ref_t *ref)
{
    const uint8_t *p = page;
    for (struct share *sh = shares; sh; sh = sh->next) {
        if (p < sh->va || p >= sh->va + (size_t)sh->npages * OS_PAGE_SIZE)
            continue;
        size_t i = (size_t)(p - sh->va) / OS_PAGE_SIZE;
        if (sh->peer != peer || (!readonly && !sh->writable) || (readonly && sh->writable) ||
            sh->refs[i] == REF_NONE)
            return false;
        *ref = sh->refs[i];
        return true;
    }
    return false;
}

static bool is_region_ref(grant_ref_t ref)
{
    return region_bits[ref / 8] & (1u << (ref % 8));
}

static void mark_region_ref(grant_ref_t ref, bool on)
{
    if (on)
        region_bits[ref / 8] |= (uint8_t)(1u << (ref % 8));
    else
        region_bits[ref / 8] &= (uint8_t) ~(1u << (ref % 8));
}

/* A page of an os_share_pages region gets that region's own ref when the
 * access matches (as on every other home), so I/O through the same
 * buffers takes no new entries (0); any other page, or another access, a
 * new entry (1), which os_end_access() frees.  Never a wider access than
 * asked. */
int os_grant_access(struct os *os, domid_t peer, const void *page, bool readonly, grant_ref_t *ref)
{
    uintptr_t a = (uintptr_t)page;
    if (a % OS_PAGE_SIZE || !uk_mem_owned(page, OS_PAGE_SIZE)) {
        os_log(os, OS_LOG_ERROR,
               "[os] d%u: refusing to grant %p to d%u: a grant covers one whole "
               "page of this domain's memory, and this address %s",
               os->domid, page, peer,
               a % OS_PAGE_SIZE ? "is not the start of a page" : "is not memory the guest owns");
        return -OS_EINVAL;
    }
    if (region_ref(peer, page, readonly, ref))
        return 0;
    int rc = grant(peer, a, readonly, ref);
    return rc < 0 ? rc : 1;
}

int os_end_access(struct os *os, grant_ref_t ref)
{
    if (ref < GNTTAB_NR_RESERVED_ENTRIES || ref >= nr_entries ||
        !(table[ref].flags & GTF_permit_access))
        return -OS_EINVAL;
    if (is_region_ref(ref))
        return 0; /* it ends with its region */
    return end_grant(ref);
}

int os_share_pages(struct os *os, domid_t peer, unsigned npages, bool writable, void **va,
                   grant_ref_t *refs)
{
    if (!npages || !va || !refs)
        return -OS_EINVAL;
    struct share *sh = os_malloc(os, sizeof(*sh) + npages * sizeof(grant_ref_t));
    if (!sh)
        return -OS_ENOMEM;
    uint8_t *p = uk_pages_alloc(npages);
    if (!p) {
        os_free(os, sh);
        return -OS_ENOMEM;
    }
    for (unsigned i = 0; i < npages; i++) {
        int rc = grant(peer, (uintptr_t)(p + (size_t)i * OS_PAGE_SIZE), !writable, &sh->refs[i]);
        if (rc < 0) {
            while (i--)
                end_grant(sh->refs[i]); /* never mapped yet: cannot be busy */
            uk_pages_free(p, npages);
            os_free(os, sh);
            return rc;
        }
        refs[i] = sh->refs[i];
    }
    for (unsigned i = 0; i < npages; i++)
        mark_region_ref(sh->refs[i], true);
    sh->va = p;
    sh->npages = npages;
    sh->peer = peer;
    sh->writable = writable;
    sh->next = shares;
    shares = sh;
    *va = p;
    return 0;
}

int os_unshare_pages(struct os *os, void *va, unsigned npages)
{
    struct share **pp = &shares;
    while (*pp && ((*pp)->va != va || (*pp)->npages != npages))
        pp = &(*pp)->next;
    if (!*pp)
        return -OS_EINVAL;
    struct share *sh = *pp;
    bool busy = false;
    for (unsigned i = 0; i < npages; i++) {
        if (sh->refs[i] == REF_NONE)
            continue;
        if (end_grant(sh->refs[i]) < 0) {
            busy = true;
        } else {
            mark_region_ref(sh->refs[i], false);
            sh->refs[i] = REF_NONE;
        }
    }
    if (busy) {
        os_log(os, OS_LOG_WARN,
               "[os] d%u: pages at %p still mapped by the peer; kept, never reused", os->domid, va);
        return -OS_EBUSY;
    }
    *pp = sh->next;
    uk_pages_free(sh->va, npages);
    os_free(os, sh);
    return 0;
}

/* The domain's end is the hypervisor's to report: no goodbye byte. */
int os_share_page_notify(struct os *os, domid_t peer, bool writable, uint32_t notify_offset,
                         evtchn_port_t port, void **va, grant_ref_t *ref)
{
    return os_share_pages(os, peer, 1, writable, va, ref);
}
