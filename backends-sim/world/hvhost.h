/*
 * hvhost.h — the hypervisor core hosted inside one program, no daemon: the
 * world's hypervisor, and the one unit tests and fuzz targets use.
 *
 * Guest memory is pluggable.  HVHOST_HEAP gives each domain one
 * page-aligned heap buffer, frame n being its n-th page: cheap to make and
 * free, for unit tests, fuzzing and replay.  HVHOST_MEMFD backs each
 * domain with a memfd, so a backend's mapping of a grant can be a second
 * mapping of the very page the frontend wrote (as gntdev gives a dom0
 * process), read-only when the mapping is — a write through it faults, as
 * it would in dom0.
 *
 * What the core reports (notify, port closed, trace) goes to the ops,
 * synchronously; with `record` set the host also keeps it, in order, so a
 * test can assert exactly what happened.
 */
#ifndef SPLITBED_WORLD_HVHOST_H
#define SPLITBED_WORLD_HVHOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/hv/core/hv.h"

enum hvhost_memory { HVHOST_HEAP, HVHOST_MEMFD };

/* What the core tells the host's user, with cfg->ctx; any may be NULL. */
struct hvhost_ops {
    void (*notify)(void *ctx, domid_t d, evtchn_port_t port);
    void (*port_closed)(void *ctx, domid_t d, evtchn_port_t port);
    void (*trace)(void *ctx, domid_t d, const char *line);
};

struct hvhost_config {
    enum hvhost_memory memory;
    bool record;                  /* keep events and trace lines (see below) */
    const struct hvhost_ops *ops; /* NULL for none */
    void *ctx;
};

struct hvhost;

struct hvhost *hvhost_new(const struct hvhost_config *cfg);
/* A recording host on heap memory, without ops: what a unit test wants. */
struct hvhost *hvhost_new_recording(void);
void hvhost_free(struct hvhost *h);
hv_t *hvhost_hv(struct hvhost *h);

/* Creates domain d with `frames` zeroed pages of memory (frames
 * 0..frames-1, 0 for none) and default limits.  Errors as
 * hv_domain_create, or -errno when the memory cannot be had. */
int hvhost_domain_create(struct hvhost *h, domid_t d, uint64_t frames);
/* Same with explicit limits (cfg->nr_frames is the page count). */
int hvhost_domain_create_cfg(struct hvhost *h, domid_t d, const struct hv_domain_config *cfg);
/* hv_domain_destroy.  The memory stays until the domid is created again
 * or the host is freed, since peers may still map it. */
int hvhost_domain_destroy(struct hvhost *h, domid_t d);

/* d's memory as this process sees it, and its frame count; NULL if none. */
uint8_t *hvhost_memory(struct hvhost *h, domid_t d, uint64_t *frames);
/* Frame gfn of d, or NULL if d has no such frame. */
void *hvhost_page(struct hvhost *h, domid_t d, uint64_t gfn);
/* The memfd behind d's memory; -1 if none or on heap memory. */
int hvhost_memfd(struct hvhost *h, domid_t d);

/* Grants `peer` access to the page of d's memory that starts at addr, as
 * a guest handing a buffer to a backend does: allocates a ref (owner
 * NULL) and writes the entry.  Refuses with -EINVAL and one trace line
 * naming the domain and the address when addr is not in d's memory or is
 * not the first byte of a whole page ("not the start of a whole page") —
 * the mistake behind MirageOS's Buffer_is_not_page_aligned.  Otherwise
 * the errors of hv_gnt_alloc_ref / hv_gnt_grant. */
int hvhost_grant_address(struct hvhost *h, domid_t d, domid_t peer, const void *addr, bool readonly,
                         grant_ref_t *ref);

/* ---- what the core reported, when recording ---- */
enum hvhost_event_kind { HVHOST_NOTIFY, HVHOST_PORT_CLOSED };
struct hvhost_event {
    enum hvhost_event_kind kind;
    domid_t dom;
    evtchn_port_t port;
};
size_t hvhost_event_count(const struct hvhost *h);
const struct hvhost_event *hvhost_event(const struct hvhost *h, size_t i);
/* How many NOTIFY events (dom, port) received since the last clear. */
size_t hvhost_notify_count(const struct hvhost *h, domid_t d, evtchn_port_t port);

size_t hvhost_trace_count(const struct hvhost *h);
const char *hvhost_trace_line(const struct hvhost *h, size_t i);
const char *hvhost_last_trace(const struct hvhost *h); /* "" if none */

/* Forgets recorded events and trace lines. */
void hvhost_clear(struct hvhost *h);

#endif
