/*
 * xsc_domexc.c — see xsc_domexc.h.
 */
#include "backends-sim/xenstored/xsc_domexc.h"
#include "backends-sim/xenstored/xsc_core.h"
#include "backends-sim/hv/hvctl.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenevtchn.h>
#include <xen/xen.h>

#define MAX_DOMS 0x7ff0u

struct xsc_domexc {
    char *simdir;
    xenevtchn_handle *xce;
    evtchn_port_t port;
    bool shut_seen[MAX_DOMS]; /* shutdown already announced */
};

struct xsc_domexc *xsc_domexc_open(const char *simdir)
{
    struct xsc_domexc *d = calloc(1, sizeof(*d));
    char sock[4200];
    if (!d || !(d->simdir = strdup(simdir))) {
        free(d);
        return NULL;
    }
    snprintf(sock, sizeof sock, "%s/hv/dom0", simdir);
    setenv("SPLITBED_HV_SOCKET", sock, 1);
    d->xce = xenevtchn_open(NULL, 0);
    int port = d->xce ? xenevtchn_bind_virq(d->xce, VIRQ_DOM_EXC) : -1;
    if (port < 0) {
        fprintf(stderr, "splitbed-xenstored: cannot bind VIRQ_DOM_EXC on %s: %s\n", sock,
                strerror(errno));
        xsc_domexc_close(d);
        return NULL;
    }
    d->port = (evtchn_port_t)port;
    return d;
}

int xsc_domexc_fd(const struct xsc_domexc *d)
{
    return xenevtchn_fd(d->xce);
}

/* The domains splitbed-hvd hosts, from its status text: live[id] and,
 * for those shut down, shut[id]. */
static bool read_domains(struct xsc_domexc *d, bool *live, bool *shut)
{
    static char buf[65536];
    if (hvctl_status(d->simdir, buf, sizeof buf) < 0)
        return false;
    for (char *l = buf; *l;) {
        char *nl = strchr(l, '\n');
        unsigned id;
        if (sscanf(l, "dom%u ", &id) == 1 && id < MAX_DOMS) {
            live[id] = true;
            shut[id] =
                strstr(l, " state shutdown") != NULL && (!nl || strstr(l, " state shutdown") < nl);
        }
        if (!nl)
            break;
        l = nl + 1;
    }
    return true;
}

void xsc_domexc_handle(struct xsc_domexc *d, struct xsc_core *core)
{
    int port = xenevtchn_pending(d->xce);
    if (port < 0)
        return;
    xenevtchn_unmask(d->xce, (evtchn_port_t)port);
    static bool live[MAX_DOMS], shut[MAX_DOMS];
    memset(live, 0, sizeof live);
    memset(shut, 0, sizeof shut);
    if (!read_domains(d, live, shut))
        return;
    for (unsigned id = 1; id < MAX_DOMS; id++)
        if (!live[id])
            d->shut_seen[id] = false;
    /* Only the domains xenstored knows: a check costs what runs. */
    static unsigned ids[MAX_DOMS];
    unsigned n = xsc_core_introduced(core, ids, MAX_DOMS);
    bool fire = false;
    for (unsigned i = 0; i < n && i < MAX_DOMS; i++) {
        unsigned id = ids[i];
        if (id == 0 || id >= MAX_DOMS)
            continue;
        if (!live[id])
            xsc_core_release_domain(core, id); /* fires @releaseDomain */
        else if (shut[id] && !d->shut_seen[id]) {
            d->shut_seen[id] = true;
            fire = true;
        }
    }
    if (fire)
        xsc_core_fire_release(core);
}

void xsc_domexc_close(struct xsc_domexc *d)
{
    if (!d)
        return;
    if (d->xce)
        xenevtchn_close(d->xce);
    free(d->simdir);
    free(d);
}
