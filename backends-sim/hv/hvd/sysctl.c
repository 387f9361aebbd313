/*
 * sysctl.c — XEN_SYSCTL_* for dom0's toolstack (interface 0x15): the
 * host (physinfo) and the list of domains.  Only dom0 may.  The host is
 * the machine the simulator runs on: its online CPUs and its memory.
 */
#include "backends-sim/hv/hvd/hcall.h"

#include <errno.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <unistd.h>

static void physinfo(struct xen_sysctl_physinfo *pi)
{
    memset(pi, 0, sizeof(*pi));
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    pi->threads_per_core = 1;
    pi->cores_per_socket = (uint32_t)cpus;
    pi->nr_cpus = (uint32_t)cpus;
    pi->max_cpu_id = (uint32_t)cpus - 1;
    pi->nr_nodes = 1;
    pi->max_node_id = 0;
    struct sysinfo si;
    if (sysinfo(&si) == 0) {
        uint64_t unit = si.mem_unit ? si.mem_unit : 1;
        pi->total_pages = (uint64_t)si.totalram * unit / HV_PAGE_SIZE;
        pi->free_pages = (uint64_t)si.freeram * unit / HV_PAGE_SIZE;
    }
    pi->max_mfn = pi->total_pages;
}

static long getdomaininfolist(const struct hctx *x, struct xen_sysctl *op)
{
    struct xen_sysctl_getdomaininfolist *l = &op->u.getdomaininfolist;
    uint64_t buf = (uint64_t)(uintptr_t)l->buffer.p;
    uint32_t n = 0;
    for (domid_t d = l->first_domain; n < l->max_domains;) {
        struct hdom *dom = hc_dom_from(x->h, d);
        if (!dom)
            break;
        struct xen_domctl_getdomaininfo info;
        hc_dominfo(x->h, dom, &info);
        long r = hc_copy_out(x, buf + (uint64_t)n * sizeof(info), &info, sizeof(info));
        if (r)
            return r;
        n++;
        if (dom->id >= DOMID_FIRST_RESERVED - 1)
            break;
        d = (domid_t)(dom->id + 1);
    }
    l->num_domains = n;
    return 0;
}

/* XEN_SYSCTL_CPUPOOL_OP_INFO answers with the first pool at or above the
 * one asked; the others (create, destroy, moves) are not simulated. */
static long cpupool_info(const struct hctx *x, struct xen_sysctl *op)
{
    struct xen_sysctl_cpupool_op *c = &op->u.cpupool_op;
    if (c->cpupool_id > 0)
        return -ENOENT;
    uint32_t n_dom = 0;
    for (struct hdom *dom = hc_dom_from(x->h, 0); dom; dom = hc_dom_from(x->h, dom->id + 1)) {
        n_dom++;
        if (dom->id >= DOMID_FIRST_RESERVED - 1)
            break;
    }
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    uint8_t map[128] = { 0 };
    size_t bytes = (c->cpumap.nr_bits + 7) / 8;
    if (bytes > sizeof map)
        bytes = sizeof map;
    for (long i = 0; i < cpus && (size_t)i < bytes * 8; i++)
        map[i / 8] |= (uint8_t)(1u << (i % 8));
    long r = hc_copy_out(x, (uint64_t)(uintptr_t)c->cpumap.bitmap.p, map, bytes);
    if (r)
        return r;
    c->cpupool_id = 0;
    c->sched_id = XEN_SCHEDULER_CREDIT2;
    c->n_dom = n_dom;
    return 0;
}

long hc_sysctl(const struct hctx *x, uint64_t arg)
{
    struct xen_sysctl op;
    const char *name;
    long r = hc_control_in(x, "sysctl", hc_sysctl_name, XEN_SYSCTL_INTERFACE_VERSION, &op,
                           sizeof(op), arg, &name);
    if (r)
        return r;
    switch (op.cmd) {
    case XEN_SYSCTL_physinfo: physinfo(&op.u.physinfo); break;
    case XEN_SYSCTL_getdomaininfolist:
        r = getdomaininfolist(x, &op);
        if (r)
            return r;
        break;
    case XEN_SYSCTL_cpupool_op:
        if (op.u.cpupool_op.op != XEN_SYSCTL_CPUPOOL_OP_INFO)
            return hc_unsimulated(x, "sysctl", op.cmd, name);
        r = cpupool_info(x, &op);
        if (r)
            return r;
        break;
    default: return hc_unsimulated(x, "sysctl", op.cmd, name);
    }
    return hc_copy_out(x, arg, &op, sizeof(op));
}
