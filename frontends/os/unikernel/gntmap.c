/*
 * gntmap.c — mapping pages other domains granted us (PVH).
 *
 * An auto-translated guest maps a grant at a guest frame number: Xen
 * points that frame at the granter's page.  The frames used are heap
 * pages whose own memory is first handed back to Xen
 * (XENMEM_decrease_reservation), so no RAM of ours is shadowed and lost;
 * unmapping repopulates them (XENMEM_populate_physmap) before they return
 * to the heap.
 */
#include "uk.h"
#include <xen/grant_table.h>

struct gmap {
    struct gmap *next;
    uint8_t *va;
    unsigned npages;
    grant_handle_t handles[];
};
static struct gmap *maps;

static long reservation(unsigned op, uint8_t *va, unsigned npages)
{
    xen_pfn_t *gfns = os_malloc(NULL, npages * sizeof(*gfns));
    if (!gfns)
        return -OS_ENOMEM;
    for (unsigned i = 0; i < npages; i++)
        gfns[i] = ((uintptr_t)va >> UK_PAGE_SHIFT) + i;
    struct xen_memory_reservation r = { .nr_extents = npages,
                                        .extent_order = 0,
                                        .domid = DOMID_SELF };
    set_xen_guest_handle(r.extent_start, gfns);
    long rc = uk_hypercall(__HYPERVISOR_memory_op, op, (unsigned long)&r, 0, 0, 0);
    os_free(NULL, gfns);
    return rc == (long)npages ? 0 : rc < 0 ? rc : -OS_ENOMEM;
}

static void unmap_handles(uint8_t *va, const grant_handle_t *h, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        struct gnttab_unmap_grant_ref u = { .host_addr = (uintptr_t)va + i * OS_PAGE_SIZE,
                                            .handle = h[i] };
        uk_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_unmap_grant_ref, (unsigned long)&u, 1, 0,
                     0);
    }
}

int os_map_grants(struct os *os, domid_t peer, unsigned npages, const grant_ref_t *refs,
                  bool writable, void **va)
{
    if (!npages || !refs || !va)
        return -OS_EINVAL;
    struct gmap *m = os_malloc(os, sizeof(*m) + npages * sizeof(grant_handle_t));
    uint8_t *area = uk_pages_alloc(npages);
    if (!m || !area) {
        os_free(os, m);
        if (area)
            uk_pages_free(area, npages);
        return -OS_ENOMEM;
    }
    long rc = reservation(XENMEM_decrease_reservation, area, npages);
    if (rc < 0) {
        uk_pages_free(area, npages);
        os_free(os, m);
        return uk_err(rc);
    }
    unsigned done = 0;
    for (; done < npages; done++) {
        struct gnttab_map_grant_ref op = {
            .host_addr = (uintptr_t)area + done * OS_PAGE_SIZE,
            .flags = GNTMAP_host_map | (writable ? 0 : GNTMAP_readonly),
            .ref = refs[done],
            .dom = peer,
        };
        rc = uk_hypercall(__HYPERVISOR_grant_table_op, GNTTABOP_map_grant_ref, (unsigned long)&op,
                          1, 0, 0);
        if (rc < 0 || op.status != GNTST_okay) {
            rc = rc < 0 ? rc : op.status == GNTST_permission_denied ? -OS_EPERM : -OS_EINVAL;
            break;
        }
        m->handles[done] = op.handle;
    }
    if (done < npages) {
        unmap_handles(area, m->handles, done);
        if (reservation(XENMEM_populate_physmap, area, npages) == 0)
            uk_pages_free(area, npages);
        os_free(os, m);
        return uk_err(rc);
    }
    m->va = area;
    m->npages = npages;
    m->next = maps;
    maps = m;
    *va = area;
    return 0;
}

int os_unmap_grants(struct os *os, void *va, unsigned npages)
{
    for (struct gmap **pp = &maps; *pp; pp = &(*pp)->next) {
        struct gmap *m = *pp;
        if (m->va != va)
            continue;
        if (m->npages != npages)
            return -OS_EINVAL;
        unmap_handles(m->va, m->handles, npages);
        *pp = m->next;
        /* A frame Xen will not give back stays out of the heap. */
        if (reservation(XENMEM_populate_physmap, m->va, npages) == 0)
            uk_pages_free(m->va, npages);
        os_free(os, m);
        return 0;
    }
    return -OS_EINVAL;
}

/* The domain's end is the hypervisor's to report: no goodbye byte. */
int os_map_grant_notify(struct os *os, domid_t peer, grant_ref_t ref, bool writable,
                        uint32_t notify_offset, evtchn_port_t port, void **va)
{
    return os_map_grants(os, peer, 1, &ref, writable, va);
}
