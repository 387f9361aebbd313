/*
 * xen_host.h — blkback's store and event channels over the real Xen
 * userspace libraries: libxenstore (XENSTORED_PATH selects the daemon's
 * socket) and libxenevtchn.  Only main.c uses this; everything else sees
 * struct bb_store and struct bb_evtchn.
 */
#ifndef SPLITBED_BLKBACK_XEN_HOST_H
#define SPLITBED_BLKBACK_XEN_HOST_H

#include <stddef.h>
#include "backends-sim/blkback/store.h"

struct bb_xs;
struct bb_xs *bb_xs_open(void); /* NULL with errno */
void bb_xs_close(struct bb_xs *x);
struct bb_store *bb_xs_store(struct bb_xs *x);
int bb_xs_fd(struct bb_xs *x);
/* Takes one pending watch event without blocking: 1 (token copied), 0
 * none, -errno when the connection failed. */
int bb_xs_next_watch(struct bb_xs *x, char *token, size_t len);

struct bb_xenevtchn;
struct bb_xenevtchn *bb_xenevtchn_open(void); /* NULL with errno */
void bb_xenevtchn_close(struct bb_xenevtchn *e);
struct bb_evtchn *bb_xenevtchn_base(struct bb_xenevtchn *e);
int bb_xenevtchn_fd(struct bb_xenevtchn *e);
/* After the fd polled readable: the port that fired (unmasked again), or
 * -errno. */
int bb_xenevtchn_pending(struct bb_xenevtchn *e, uint32_t *port);

#endif
