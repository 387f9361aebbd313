/*
 * gntmap.c — mapping pages other domains granted us, through xengnttab.
 *
 * The handle is opened on first use: most apps only share pages and never
 * map any.  The library maps a whole batch or nothing.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "os_linux.h"

static xengnttab_handle *gnttab(struct os *os)
{
    if (!os->gt && !os->gt_failed) {
        os->gt = xengnttab_open(NULL, 0);
        if (!os->gt) {
            os->gt_failed = true;
            os_log(os, OS_LOG_ERROR, "[os] d%u: cannot open the grant-mapping device: %s",
                   os->domid, strerror(errno));
        }
    }
    return os->gt;
}

int os_map_grants(struct os *os, domid_t peer, unsigned npages, const grant_ref_t *refs,
                  bool writable, void **va)
{
    if (!npages || !refs || !va)
        return -OS_EINVAL;
    xengnttab_handle *gt = gnttab(os);
    if (!gt)
        return -OS_ENODEV;
    uint32_t *r32 = calloc(npages, sizeof(*r32));
    if (!r32)
        return -OS_ENOMEM;
    for (unsigned i = 0; i < npages; i++)
        r32[i] = refs[i];
    errno = 0;
    void *p = xengnttab_map_domain_grant_refs(gt, npages, peer, r32,
                                              PROT_READ | (writable ? PROT_WRITE : 0));
    int e = errno ? errno : OS_EIO;
    free(r32);
    if (!p) {
        os_log(os, OS_LOG_DEBUG, "[os] d%u: mapping %u page(s)%s granted by d%u failed: %s",
               os->domid, npages, writable ? "" : " read-only", peer, strerror(e));
        return -e;
    }
    *va = p;
    return 0;
}

int os_map_grant_notify(struct os *os, domid_t peer, grant_ref_t ref, bool writable,
                        uint32_t notify_offset, evtchn_port_t port, void **va)
{
    if (!va || notify_offset >= OS_PAGE_SIZE)
        return -OS_EINVAL;
    xengnttab_handle *gt = gnttab(os);
    if (!gt)
        return -OS_ENODEV;
    errno = 0;
    void *p = xengnttab_map_grant_ref_notify(gt, peer, ref, PROT_READ | (writable ? PROT_WRITE : 0),
                                             notify_offset, port);
    if (!p) {
        int e = errno ? errno : OS_EIO;
        os_log(os, OS_LOG_DEBUG, "[os] d%u: mapping grant %u of d%u failed: %s", os->domid,
               (unsigned)ref, peer, strerror(e));
        return -e;
    }
    *va = p;
    return 0;
}

int os_unmap_grants(struct os *os, void *va, unsigned npages)
{
    if (!os->gt || !va)
        return -OS_EINVAL;
    return xengnttab_unmap(os->gt, va, npages) < 0 ? -(errno ? errno : OS_EIO) : 0;
}
