/*
 * domctl.c — XEN_DOMCTL_* for dom0's toolstack (interface 0x15, Debian's
 * Xen 4.17): the domain's information, pause, unpause, destroy, memory
 * limit, its vCPU and its scheduling parameters (credit2's defaults,
 * read only).  Only dom0 may; another domain gets EPERM and a
 * trace line, as Xen's XSM default policy gives.
 */
#include "backends-sim/hv/hvd/hcall.h"

#include <errno.h>
#include <string.h>

/* 4.17 answers getdomaininfo with the first domain at or above the one
 * asked (libxenctrl's xc_domain_getinfo walks domains that way). */
static long getdomaininfo(const struct hctx *x, struct xen_domctl *op)
{
    struct hdom *dom = hc_dom_from(x->h, op->domain);
    if (!dom)
        return -ESRCH;
    hc_dominfo(x->h, dom, &op->u.getdomaininfo);
    op->domain = dom->id;
    return 0;
}

static long getvcpuinfo(const struct hctx *x, struct hdom *dom, struct xen_domctl *op)
{
    if (op->u.getvcpuinfo.vcpu != 0)
        return -EINVAL;
    struct xen_domctl_getdomaininfo info;
    hc_dominfo(x->h, dom, &info);
    op->u.getvcpuinfo.online = 1;
    op->u.getvcpuinfo.blocked = !!(info.flags & XEN_DOMINF_blocked);
    op->u.getvcpuinfo.running = !!(info.flags & XEN_DOMINF_running);
    op->u.getvcpuinfo.cpu_time = info.cpu_time;
    op->u.getvcpuinfo.cpu = 0;
    return 0;
}

/* Every domain runs in Pool-0 under credit2 with its default weight and
 * no cap (sysctl.c); asking another scheduler is EINVAL as in Xen. */
static long scheduler_op(struct xen_domctl *op)
{
    struct xen_domctl_scheduler_op *s = &op->u.scheduler_op;
    if (s->sched_id != XEN_SCHEDULER_CREDIT2 || s->cmd != XEN_DOMCTL_SCHEDOP_getinfo)
        return -EINVAL;
    s->u.credit2.weight = 256;
    s->u.credit2.cap = 0;
    return 0;
}

long hc_domctl(const struct hctx *x, uint64_t arg)
{
    struct xen_domctl op;
    const char *name;
    long r = hc_control_in(x, "domctl", hc_domctl_name, XEN_DOMCTL_INTERFACE_VERSION, &op,
                           sizeof(op), arg, &name);
    if (r)
        return r;
    if (op.cmd == XEN_DOMCTL_getdomaininfo) {
        r = getdomaininfo(x, &op);
        return r ? r : hc_copy_out(x, arg, &op, sizeof(op));
    }
    struct hdom *dom = hvd_dom(x->h, op.domain);
    bool simulated = op.cmd == XEN_DOMCTL_pausedomain || op.cmd == XEN_DOMCTL_unpausedomain ||
                     op.cmd == XEN_DOMCTL_destroydomain || op.cmd == XEN_DOMCTL_max_mem ||
                     op.cmd == XEN_DOMCTL_getvcpuinfo || op.cmd == XEN_DOMCTL_scheduler_op;
    if (!simulated)
        return hc_unsimulated(x, "domctl", op.cmd, name);
    if (!dom || !hv_domain_exists(x->h->hv, op.domain))
        return -ESRCH;
    switch (op.cmd) {
    case XEN_DOMCTL_pausedomain:
        if (op.domain == x->caller)
            return -EINVAL;
        return hvd_dom_pause(x->h, dom);
    case XEN_DOMCTL_unpausedomain:
        if (op.domain == x->caller)
            return -EINVAL;
        return hvd_dom_unpause(x->h, dom);
    case XEN_DOMCTL_destroydomain:
        if (op.domain == x->caller)
            return -EINVAL;
        return -hvd_dom_destroy(x->h, op.domain);
    case XEN_DOMCTL_max_mem:
        dom->max_pages = op.u.max_mem.max_memkb / (HV_PAGE_SIZE / 1024);
        return 0;
    case XEN_DOMCTL_getvcpuinfo:
        r = getvcpuinfo(x, dom, &op);
        return r ? r : hc_copy_out(x, arg, &op, sizeof(op));
    case XEN_DOMCTL_scheduler_op:
        r = scheduler_op(&op);
        return r ? r : hc_copy_out(x, arg, &op, sizeof(op));
    }
    return -ENOSYS;
}
