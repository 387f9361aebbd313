/*
 * evtchn.c — interdomain event channels with the 2-level ABI's pending and
 * mask bits: alloc_unbound, bind_interdomain, close, send, as Xen 4.17's
 * event_channel.c and event_2l.c behave.
 */
#include <errno.h>
#include <stdlib.h>

#include "backends-sim/hv/core/hv_internal.h"

int hv_evtchn_init(struct hv_domain *dom)
{
    dom->ports = calloc((size_t)dom->max_evtchn_port + 1, sizeof(*dom->ports));
    if (!dom->ports)
        return -ENOMEM;
    /* Xen reserves port 0 of every domain. */
    dom->ports[0].state = HV_EVTCHN_RESERVED;
    return 0;
}

static struct hv_port *port_of(const struct hv_domain *dom, evtchn_port_t p)
{
    return p <= dom->max_evtchn_port ? &dom->ports[p] : NULL;
}

/* An allocated port a guest may operate on: not 0, not free. */
static struct hv_port *used_port(const struct hv_domain *dom, evtchn_port_t p)
{
    struct hv_port *pt = port_of(dom, p);
    return pt && pt->state != HV_EVTCHN_FREE && pt->state != HV_EVTCHN_RESERVED ? pt : NULL;
}

/* Lowest free port, as Xen's get_free_port picks. */
static int get_free_port(const struct hv_domain *dom, evtchn_port_t *out)
{
    for (evtchn_port_t p = 1; p <= dom->max_evtchn_port; p++) {
        if (dom->ports[p].state == HV_EVTCHN_FREE) {
            *out = p;
            return 0;
        }
    }
    return -ENOSPC;
}

static void take_port(struct hv_domain *dom, evtchn_port_t p, const void *owner)
{
    struct hv_port *pt = &dom->ports[p];
    pt->pending = false;
    pt->masked = false;
    pt->owner = owner;
    dom->counts.ports++;
}

static void set_pending(hv_t *hv, struct hv_domain *dom, evtchn_port_t p)
{
    struct hv_port *pt = &dom->ports[p];
    if (pt->pending)
        return;
    pt->pending = true;
    if (!pt->masked && hv->ops.notify)
        hv->ops.notify(hv->host, dom->id, p);
}

int hv_evtchn_alloc_unbound(hv_t *hv, domid_t caller, domid_t dom, domid_t remote,
                            const void *owner, evtchn_port_t *port)
{
    if (!hv_dom_live(hv, caller))
        return -ESRCH;
    domid_t target = dom == DOMID_SELF ? caller : dom;
    if (target != caller && !hv_domain_is_privileged(hv, caller)) {
        hv_trace(hv, caller,
                 "d%u: alloc unbound port for d%u refused: only a "
                 "privileged domain may allocate for another",
                 caller, target);
        return -EPERM;
    }
    struct hv_domain *td = hv_dom_live(hv, target);
    if (!td) {
        hv_trace(hv, caller,
                 "d%u: alloc unbound port for d%u refused: domain "
                 "does not exist",
                 caller, target);
        return -ESRCH;
    }
    evtchn_port_t p;
    if (get_free_port(td, &p) < 0) {
        hv_trace(hv, caller,
                 "d%u: alloc unbound port for d%u refused: all "
                 "ports of d%u up to %u in use",
                 caller, target, target, td->max_evtchn_port);
        return -ENOSPC;
    }
    take_port(td, p, owner);
    td->ports[p].state = HV_EVTCHN_UNBOUND;
    td->ports[p].remote_dom = remote == DOMID_SELF ? target : remote;
    td->ports[p].remote_port = 0;
    *port = p;
    return 0;
}

int hv_evtchn_bind_interdomain(hv_t *hv, domid_t dom, domid_t remote_dom, evtchn_port_t remote_port,
                               const void *owner, evtchn_port_t *port)
{
    struct hv_domain *ld = hv_dom_live(hv, dom);
    if (!ld)
        return -ESRCH;
    domid_t r = remote_dom == DOMID_SELF ? dom : remote_dom;
    struct hv_domain *rd = hv_dom_live(hv, r);
    if (!rd) {
        hv_trace(hv, dom,
                 "d%u: bind to port %u of d%u refused: domain does "
                 "not exist",
                 dom, remote_port, r);
        return -ESRCH;
    }
    evtchn_port_t lp;
    if (get_free_port(ld, &lp) < 0) {
        hv_trace(hv, dom,
                 "d%u: bind to port %u of d%u refused: all ports of "
                 "d%u up to %u in use",
                 dom, remote_port, r, dom, ld->max_evtchn_port);
        return -ENOSPC;
    }
    struct hv_port *rp = port_of(rd, remote_port);
    const char *why = NULL;
    if (!rp || remote_port == 0)
        why = "no such port";
    else if (rp->state != HV_EVTCHN_UNBOUND)
        why =
            rp->state == HV_EVTCHN_INTERDOMAIN ? "port is already bound" : "port is not allocated";
    if (why) {
        hv_trace(hv, dom, "d%u: bind to port %u of d%u refused: %s", dom, remote_port, r, why);
        return -EINVAL;
    }
    if (rp->remote_dom != dom) {
        hv_trace(hv, dom,
                 "d%u: bind to port %u of d%u refused: port is "
                 "reserved for d%u",
                 dom, remote_port, r, rp->remote_dom);
        return -EINVAL;
    }
    take_port(ld, lp, owner);
    struct hv_port *pt = &ld->ports[lp];
    pt->state = HV_EVTCHN_INTERDOMAIN;
    pt->remote_dom = r;
    pt->remote_port = remote_port;
    rp->state = HV_EVTCHN_INTERDOMAIN;
    rp->remote_dom = dom;
    rp->remote_port = lp;
    *port = lp;
    /* Like Xen: events sent to the unbound end were dropped, so the binder
     * gets one conservatively. */
    set_pending(hv, ld, lp);
    return 0;
}

static void close_port(hv_t *hv, struct hv_domain *dom, evtchn_port_t p)
{
    struct hv_port *pt = &dom->ports[p];
    struct hv_domain *peer = NULL;
    evtchn_port_t pp = 0;
    if (pt->state == HV_EVTCHN_INTERDOMAIN) {
        peer = hv_dom_any(hv, pt->remote_dom);
        pp = pt->remote_port;
        /* The peer's end goes back to waiting for a bind from us. */
        struct hv_port *rp = &peer->ports[pp];
        rp->state = HV_EVTCHN_UNBOUND;
        rp->remote_dom = dom->id;
        rp->remote_port = 0;
    }
    pt->state = HV_EVTCHN_FREE;
    pt->virq = 0;
    pt->pending = false;
    pt->masked = false;
    pt->remote_dom = 0;
    pt->remote_port = 0;
    pt->owner = NULL;
    dom->counts.ports--;
    if (peer && hv->ops.port_closed)
        hv->ops.port_closed(hv->host, peer->id, pp);
}

int hv_evtchn_close(hv_t *hv, domid_t dom, evtchn_port_t port)
{
    struct hv_domain *ld = hv_dom_live(hv, dom);
    if (!ld)
        return -ESRCH;
    if (!used_port(ld, port)) {
        hv_trace(hv, dom, "d%u: close port %u refused: %s", dom, port,
                 port == 0                    ? "port 0 is reserved"
                 : port > ld->max_evtchn_port ? "port beyond the domain's limit"
                                              : "port is not allocated");
        return -EINVAL;
    }
    close_port(hv, ld, port);
    return 0;
}

void hv_evtchn_close_all(hv_t *hv, struct hv_domain *dom, bool any_owner, const void *owner)
{
    for (evtchn_port_t p = 1; p <= dom->max_evtchn_port; p++) {
        const struct hv_port *pt = &dom->ports[p];
        if (pt->state != HV_EVTCHN_FREE && (any_owner || pt->owner == owner))
            close_port(hv, dom, p);
    }
}

int hv_evtchn_send(hv_t *hv, domid_t dom, evtchn_port_t port)
{
    struct hv_domain *ld = hv_dom_live(hv, dom);
    if (!ld)
        return -ESRCH;
    struct hv_port *pt = used_port(ld, port);
    if (!pt) {
        hv_trace(hv, dom,
                 "d%u: notify port %u refused: port is not "
                 "allocated",
                 dom, port);
        return -EINVAL;
    }
    if (pt->state == HV_EVTCHN_VIRQ) {
        hv_trace(hv, dom, "d%u: notify port %u refused: port is a virtual IRQ, event dropped", dom,
                 port);
        return 0;
    }
    if (pt->state == HV_EVTCHN_UNBOUND) {
        hv_trace(hv, dom,
                 "d%u: notify port %u refused: port is unbound, "
                 "event dropped (as Xen does, without error)",
                 dom, port);
        return 0;
    }
    struct hv_domain *peer = hv_dom_any(hv, pt->remote_dom);
    set_pending(hv, peer, pt->remote_port);
    return 0;
}

static struct hv_port *bit_port(const hv_t *hv, domid_t dom, evtchn_port_t port,
                                struct hv_domain **out)
{
    struct hv_domain *d = hv_dom_live(hv, dom);
    if (out)
        *out = d;
    return d ? used_port(d, port) : NULL;
}

int hv_evtchn_mask(hv_t *hv, domid_t dom, evtchn_port_t port)
{
    struct hv_port *pt = bit_port(hv, dom, port, NULL);
    if (!pt)
        return -EINVAL;
    pt->masked = true;
    return 0;
}

int hv_evtchn_unmask(hv_t *hv, domid_t dom, evtchn_port_t port)
{
    struct hv_domain *d;
    struct hv_port *pt = bit_port(hv, dom, port, &d);
    if (!pt)
        return -EINVAL;
    /* 2-level: only a mask that was set and hid a pending event delivers. */
    bool was = pt->masked;
    pt->masked = false;
    if (was && pt->pending && hv->ops.notify)
        hv->ops.notify(hv->host, dom, port);
    return 0;
}

int hv_evtchn_clear_pending(hv_t *hv, domid_t dom, evtchn_port_t port)
{
    struct hv_port *pt = bit_port(hv, dom, port, NULL);
    if (!pt)
        return -EINVAL;
    pt->pending = false;
    return 0;
}

int hv_evtchn_is_pending(const hv_t *hv, domid_t dom, evtchn_port_t port)
{
    const struct hv_port *pt = bit_port(hv, dom, port, NULL);
    return pt ? pt->pending : -EINVAL;
}

int hv_evtchn_is_masked(const hv_t *hv, domid_t dom, evtchn_port_t port)
{
    const struct hv_port *pt = bit_port(hv, dom, port, NULL);
    return pt ? pt->masked : -EINVAL;
}

int hv_evtchn_info(const hv_t *hv, domid_t dom, evtchn_port_t port, struct hv_evtchn_info *out)
{
    const struct hv_domain *d = hv_dom_live(hv, dom);
    if (!d)
        return -ESRCH;
    const struct hv_port *pt = port_of(d, port);
    if (!pt)
        return -EINVAL;
    out->state = (enum hv_evtchn_state)pt->state;
    out->remote_dom = pt->remote_dom;
    out->remote_port = pt->remote_port;
    out->virq = pt->virq;
    out->owner = pt->owner;
    return 0;
}

/* VIRQs Xen delivers to one handler domain, not per vCPU (xen.h). */
static bool virq_is_global(uint32_t virq)
{
    switch (virq) {
    case VIRQ_TIMER:
    case VIRQ_DEBUG:
    case VIRQ_XENOPROF:
    case VIRQ_XENPMU: return false;
    }
    return virq < VIRQ_ARCH_0;
}

static bool virq_bound(const struct hv_domain *dom, uint32_t virq)
{
    for (evtchn_port_t p = 1; p <= dom->max_evtchn_port; p++)
        if (dom->ports[p].state == HV_EVTCHN_VIRQ && dom->ports[p].virq == virq)
            return true;
    return false;
}

int hv_evtchn_bind_virq(hv_t *hv, domid_t dom, uint32_t virq, const void *owner,
                        evtchn_port_t *port)
{
    struct hv_domain *d = hv_dom_live(hv, dom);
    if (!d)
        return -ESRCH;
    if (virq >= NR_VIRQS) {
        hv_trace(hv, dom, "d%u: bind of virq %u refused: beyond NR_VIRQS (%u)", dom, virq,
                 NR_VIRQS);
        return -EINVAL;
    }
    if (virq_is_global(virq) && !hv_domain_is_privileged(hv, dom)) {
        hv_trace(hv, dom, "d%u: bind of virq %u refused: a global virq goes to its handler, d0",
                 dom, virq);
        return -EBUSY;
    }
    if (virq_bound(d, virq)) {
        hv_trace(hv, dom, "d%u: bind of virq %u refused: already bound", dom, virq);
        return -EEXIST;
    }
    evtchn_port_t p;
    if (get_free_port(d, &p) < 0) {
        hv_trace(hv, dom, "d%u: bind of virq %u refused: all ports up to %u in use", dom, virq,
                 d->max_evtchn_port);
        return -ENOSPC;
    }
    take_port(d, p, owner);
    d->ports[p].state = HV_EVTCHN_VIRQ;
    d->ports[p].virq = virq;
    d->ports[p].remote_dom = 0;
    d->ports[p].remote_port = 0;
    *port = p;
    return 0;
}

evtchn_port_t hv_evtchn_raise_global_virq(hv_t *hv, uint32_t virq)
{
    /* The handler of every global VIRQ is the privileged domain, d0. */
    struct hv_domain *d = hv_dom_live(hv, 0);
    if (!d)
        return 0;
    for (evtchn_port_t p = 1; p <= d->max_evtchn_port; p++)
        if (d->ports[p].state == HV_EVTCHN_VIRQ && d->ports[p].virq == virq) {
            set_pending(hv, d, p);
            return p;
        }
    return 0;
}
