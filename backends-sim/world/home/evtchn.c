/* evtchn.c — event channels through the hypervisor core. */
#include "backends-sim/world/home/os_world_priv.h"

int os_evtchn_alloc_unbound(struct os *os, domid_t peer, evtchn_port_t *port)
{
    return hv_evtchn_alloc_unbound(os->h.hv, os->h.domid, DOMID_SELF, peer, os, port);
}

int os_evtchn_bind_interdomain(struct os *os, domid_t peer, evtchn_port_t remote,
                               evtchn_port_t *local)
{
    return hv_evtchn_bind_interdomain(os->h.hv, os->h.domid, peer, remote, os, local);
}

int os_evtchn_notify(struct os *os, evtchn_port_t port)
{
    return hv_evtchn_send(os->h.hv, os->h.domid, port);
}

static void forget(struct os *os, evtchn_port_t port)
{
    for (unsigned i = 0; i < os->nports; i++)
        if (os->ports[i] == port) {
            for (unsigned k = i + 1; k < os->nports; k++)
                os->ports[k - 1] = os->ports[k];
            os->nports--;
            return;
        }
}

int os_evtchn_close(struct os *os, evtchn_port_t port)
{
    forget(os, port);
    return hv_evtchn_close(os->h.hv, os->h.domid, port);
}

int os_evtchn_next_pending(struct os *os, evtchn_port_t *port)
{
    if (!os->nports)
        return 0;
    evtchn_port_t p = os->ports[0];
    forget(os, p);
    /* Re-arm before the driver looks, so an event raised while it works
     * is delivered again rather than lost. */
    (void)hv_evtchn_clear_pending(os->h.hv, os->h.domid, p);
    *port = p;
    return (int)p;
}
