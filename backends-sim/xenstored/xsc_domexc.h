/*
 * xsc_domexc.h — how splitbed-xenstored learns that domains died or shut
 * down, as C xenstored does on Xen: it binds VIRQ_DOM_EXC (through the
 * libxenevtchn API, on the simulator's splitbed-hvd) and, at each event,
 * asks the hypervisor which domains live.  An introduced domain that is
 * gone is released (its connections closed, what it owned removed) and a
 * domain newly shut down is noted; either fires @releaseDomain, which
 * toolstacks watch.
 */
#ifndef SPLITBED_XSC_DOMEXC_H
#define SPLITBED_XSC_DOMEXC_H

struct xsc_core;
struct xsc_domexc;

/* Binds VIRQ_DOM_EXC on the splitbed-hvd of simulator directory simdir.
 * NULL (with one line on stderr) when that fails. */
struct xsc_domexc *xsc_domexc_open(const char *simdir);
/* Readable when the VIRQ fired. */
int xsc_domexc_fd(const struct xsc_domexc *d);
/* Takes the event and acts on what changed. */
void xsc_domexc_handle(struct xsc_domexc *d, struct xsc_core *core);
void xsc_domexc_close(struct xsc_domexc *d);

#endif
