/*
 * hvhost.h — the hypervisor core hosted for the seeded world.
 *
 * Like the in-process host (backends-sim/hv/core/inproc.h) but each
 * domain's memory is a memfd: a backend's mapping of a grant is then a
 * second mapping of the very page the frontend wrote (as gntdev gives a
 * dom0 process), at an address of the backend's own, read-only when the
 * mapping is — a write through it faults, as it would in dom0.
 *
 * Everything the core reports (notify, port closed, trace) goes to the
 * callbacks, synchronously; the world queues notifications as events in
 * flight and checks trace lines as invariant breaks.
 */
#ifndef SPLITBED_WORLD_HVHOST_H
#define SPLITBED_WORLD_HVHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "backends-sim/hv/core/hv.h"

/* What the core tells the world, passed on with the ctx given to
 * hvhost_new(); any may be NULL. */
struct hvhost_ops {
    void (*notify)(void *ctx, domid_t d, evtchn_port_t port);
    void (*port_closed)(void *ctx, domid_t d, evtchn_port_t port);
    void (*trace)(void *ctx, domid_t d, const char *line);
};

struct hvhost;

struct hvhost *hvhost_new(const struct hvhost_ops *ops, void *ctx);
void hvhost_free(struct hvhost *h);
hv_t *hvhost_hv(struct hvhost *h);

/* Creates domain d with `frames` zeroed pages of memfd-backed memory
 * (0 for none).  0 or -errno. */
int hvhost_domain_create(struct hvhost *h, domid_t d, uint64_t frames);
/* d's memory as this process sees it, and its frame count; NULL if none. */
uint8_t *hvhost_memory(struct hvhost *h, domid_t d, uint64_t *frames);
/* The memfd behind d's memory, -1 if none. */
int hvhost_memfd(struct hvhost *h, domid_t d);

#endif
