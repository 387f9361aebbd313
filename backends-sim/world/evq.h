/*
 * evq.h — the event-channel notifications a world holds in flight: the
 * hypervisor core reports each one, the scheduler delivers them, per
 * domain in the order they were sent.
 */
#ifndef SPLITBED_WORLD_EVQ_H
#define SPLITBED_WORLD_EVQ_H

#include <stdbool.h>
#include <stddef.h>

#include "backends-sim/hv/core/hv.h"

struct evq_event {
    domid_t dom;
    evtchn_port_t port;
};

/* Zero-initialised is empty. */
struct evq {
    struct evq_event *ev;
    size_t n, cap;
};

/* Queues a notification for domain d; one the host has no memory to
 * queue is lost, as an event the host could not deliver. */
void evq_push(struct evq *q, domid_t d, evtchn_port_t port);
/* Whether a notification for dom is in flight. */
bool evq_has(const struct evq *q, domid_t dom);
/* Takes dom's oldest notification out; evq_has(q, dom) must hold. */
struct evq_event evq_take(struct evq *q, domid_t dom);
/* Drops every notification for dom. */
void evq_drop(struct evq *q, domid_t dom);
void evq_free(struct evq *q);

#endif
