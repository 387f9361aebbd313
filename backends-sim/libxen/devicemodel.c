/*
 * devicemodel.c — the drop-in libxendevicemodel.so.1.  libxenctrl opens a
 * handle at xc_interface_open, so opening works; no simulated domain is
 * an HVM guest with emulated devices, so every device-model operation
 * fails with EOPNOTSUPP and one line naming it.
 */
#include "backends-sim/libxen/client.h"

#include <errno.h>
#include <stdlib.h>
#include <xendevicemodel.h>

struct xendevicemodel_handle {
    struct xentoollog_logger *log;
};

xendevicemodel_handle *xendevicemodel_open(struct xentoollog_logger *logger,
                                           unsigned int open_flags)
{
    xendevicemodel_handle *h = calloc(1, sizeof(*h));
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    h->log = logger;
    return h;
}

int xendevicemodel_close(xendevicemodel_handle *h)
{
    free(h);
    return 0;
}

int xendevicemodel_restrict(xendevicemodel_handle *h, domid_t domid)
{
    return 0;
}

static int refuse(xendevicemodel_handle *h, const char *op, domid_t domid)
{
    hvclient_log(h->log, "xendevicemodel", EOPNOTSUPP,
                 "%s for d%u not simulated: no simulated domain has a device model", op, domid);
    errno = EOPNOTSUPP;
    return -1;
}

int xendevicemodel_create_ioreq_server(xendevicemodel_handle *h, domid_t domid, int handle_bufioreq,
                                       ioservid_t *id)
{
    return refuse(h, "create_ioreq_server", domid);
}

int xendevicemodel_get_ioreq_server_info(xendevicemodel_handle *h, domid_t domid, ioservid_t id,
                                         xen_pfn_t *ioreq_gfn, xen_pfn_t *bufioreq_gfn,
                                         evtchn_port_t *bufioreq_port)
{
    return refuse(h, "get_ioreq_server_info", domid);
}

int xendevicemodel_map_io_range_to_ioreq_server(xendevicemodel_handle *h, domid_t domid,
                                                ioservid_t id, int is_mmio, uint64_t start,
                                                uint64_t end)
{
    return refuse(h, "map_io_range_to_ioreq_server", domid);
}

int xendevicemodel_unmap_io_range_from_ioreq_server(xendevicemodel_handle *h, domid_t domid,
                                                    ioservid_t id, int is_mmio, uint64_t start,
                                                    uint64_t end)
{
    return refuse(h, "unmap_io_range_from_ioreq_server", domid);
}

int xendevicemodel_map_mem_type_to_ioreq_server(xendevicemodel_handle *h, domid_t domid,
                                                ioservid_t id, uint16_t type, uint32_t flags)
{
    return refuse(h, "map_mem_type_to_ioreq_server", domid);
}

int xendevicemodel_map_pcidev_to_ioreq_server(xendevicemodel_handle *h, domid_t domid,
                                              ioservid_t id, uint16_t segment, uint8_t bus,
                                              uint8_t device, uint8_t function)
{
    return refuse(h, "map_pcidev_to_ioreq_server", domid);
}

int xendevicemodel_unmap_pcidev_from_ioreq_server(xendevicemodel_handle *h, domid_t domid,
                                                  ioservid_t id, uint16_t segment, uint8_t bus,
                                                  uint8_t device, uint8_t function)
{
    return refuse(h, "unmap_pcidev_from_ioreq_server", domid);
}

int xendevicemodel_destroy_ioreq_server(xendevicemodel_handle *h, domid_t domid, ioservid_t id)
{
    return refuse(h, "destroy_ioreq_server", domid);
}

int xendevicemodel_set_ioreq_server_state(xendevicemodel_handle *h, domid_t domid, ioservid_t id,
                                          int enabled)
{
    return refuse(h, "set_ioreq_server_state", domid);
}

int xendevicemodel_set_pci_intx_level(xendevicemodel_handle *h, domid_t domid, uint16_t segment,
                                      uint8_t bus, uint8_t device, uint8_t intx, unsigned int level)
{
    return refuse(h, "set_pci_intx_level", domid);
}

int xendevicemodel_set_isa_irq_level(xendevicemodel_handle *h, domid_t domid, uint8_t irq,
                                     unsigned int level)
{
    return refuse(h, "set_isa_irq_level", domid);
}

int xendevicemodel_set_irq_level(xendevicemodel_handle *h, domid_t domid, unsigned int irq,
                                 unsigned int level)
{
    return refuse(h, "set_irq_level", domid);
}

int xendevicemodel_set_pci_link_route(xendevicemodel_handle *h, domid_t domid, uint8_t link,
                                      uint8_t irq)
{
    return refuse(h, "set_pci_link_route", domid);
}

int xendevicemodel_inject_msi(xendevicemodel_handle *h, domid_t domid, uint64_t msi_addr,
                              uint32_t msi_data)
{
    return refuse(h, "inject_msi", domid);
}

int xendevicemodel_track_dirty_vram(xendevicemodel_handle *h, domid_t domid, uint64_t first_pfn,
                                    uint32_t nr, unsigned long *dirty_bitmap)
{
    return refuse(h, "track_dirty_vram", domid);
}

int xendevicemodel_modified_memory(xendevicemodel_handle *h, domid_t domid, uint64_t first_pfn,
                                   uint32_t nr)
{
    return refuse(h, "modified_memory", domid);
}

int xendevicemodel_modified_memory_bulk(xendevicemodel_handle *h, domid_t domid,
                                        struct xen_dm_op_modified_memory_extent extents[],
                                        uint32_t nr)
{
    return refuse(h, "modified_memory_bulk", domid);
}

int xendevicemodel_set_mem_type(xendevicemodel_handle *h, domid_t domid, hvmmem_type_t mem_type,
                                uint64_t first_pfn, uint32_t nr)
{
    return refuse(h, "set_mem_type", domid);
}

int xendevicemodel_inject_event(xendevicemodel_handle *h, domid_t domid, int vcpu, uint8_t vector,
                                uint8_t type, uint32_t error_code, uint8_t insn_len, uint64_t extra)
{
    return refuse(h, "inject_event", domid);
}

int xendevicemodel_shutdown(xendevicemodel_handle *h, domid_t domid, unsigned int reason)
{
    return refuse(h, "shutdown", domid);
}

int xendevicemodel_relocate_memory(xendevicemodel_handle *h, domid_t domid, uint32_t size,
                                   uint64_t src_gfn, uint64_t dst_gfn)
{
    return refuse(h, "relocate_memory", domid);
}

int xendevicemodel_pin_memory_cacheattr(xendevicemodel_handle *h, domid_t domid, uint64_t start,
                                        uint64_t end, uint32_t type)
{
    return refuse(h, "pin_memory_cacheattr", domid);
}

int xendevicemodel_nr_vcpus(xendevicemodel_handle *h, domid_t domid, unsigned int *vcpus)
{
    return refuse(h, "nr_vcpus", domid);
}
