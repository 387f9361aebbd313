/*
 * foreignmemory.c — the drop-in libxenforeignmemory.so.1.  libxenctrl
 * opens a handle at xc_interface_open, so opening works; but a simulated
 * domain's memory is the address space of its own processes, which no
 * other process can map by frame number, so every foreign map fails with
 * EOPNOTSUPP and one line saying so.  Memory crosses domains here only
 * through grants (libxengnttab), as on Xen with a disaggregated dom0.
 */
#include "backends-sim/libxen/client.h"

#include <errno.h>
#include <stdlib.h>
#include <xenforeignmemory.h>

struct xenforeignmemory_handle {
    struct xentoollog_logger *log;
};

xenforeignmemory_handle *xenforeignmemory_open(struct xentoollog_logger *logger,
                                               unsigned int open_flags)
{
    xenforeignmemory_handle *h = calloc(1, sizeof(*h));
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    h->log = logger;
    return h;
}

int xenforeignmemory_close(xenforeignmemory_handle *h)
{
    free(h);
    return 0;
}

static void refuse(xenforeignmemory_handle *h, const char *what, unsigned dom)
{
    hvclient_log(h->log, "xenforeignmemory", EOPNOTSUPP,
                 "%s of d%u refused: a simulated domain's memory belongs to its processes and "
                 "is reached only through grants",
                 what, dom);
    errno = EOPNOTSUPP;
}

void *xenforeignmemory_map2(xenforeignmemory_handle *h, uint32_t dom, void *addr, int prot,
                            int flags, size_t pages, const xen_pfn_t arr[], int err[])
{
    refuse(h, "foreign map", dom);
    for (size_t i = 0; err && i < pages; i++)
        err[i] = -EOPNOTSUPP;
    return NULL;
}

void *xenforeignmemory_map(xenforeignmemory_handle *h, uint32_t dom, int prot, size_t pages,
                           const xen_pfn_t arr[], int err[])
{
    return xenforeignmemory_map2(h, dom, NULL, prot, 0, pages, arr, err);
}

int xenforeignmemory_unmap(xenforeignmemory_handle *h, void *addr, size_t pages)
{
    errno = EINVAL; /* nothing was ever mapped */
    return -1;
}

int xenforeignmemory_restrict(xenforeignmemory_handle *h, domid_t domid)
{
    return 0;
}

xenforeignmemory_resource_handle *
xenforeignmemory_map_resource(xenforeignmemory_handle *h, domid_t domid, unsigned int type,
                              unsigned int id, unsigned long frame, unsigned long nr_frames,
                              void **paddr, int prot, int flags)
{
    refuse(h, "resource map", domid);
    return NULL;
}

int xenforeignmemory_unmap_resource(xenforeignmemory_handle *h,
                                    xenforeignmemory_resource_handle *fres)
{
    return 0;
}

int xenforeignmemory_resource_size(xenforeignmemory_handle *h, domid_t domid, unsigned int type,
                                   unsigned int id, size_t *size)
{
    refuse(h, "resource size", domid);
    return -1;
}
