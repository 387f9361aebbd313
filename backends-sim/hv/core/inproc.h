/*
 * inproc.h — the hypervisor core hosted inside one program, no daemon:
 * each domain's guest memory is one page-aligned buffer, frame n being the
 * n-th page of it.  For unit tests and fuzz targets.
 *
 * The host records what the core tells it — every trace line and every
 * event (notify, port closed) — in order, so a test can assert exactly
 * what happened; optional callbacks forward them as well.
 */
#ifndef SPLITBED_HV_INPROC_H
#define SPLITBED_HV_INPROC_H

#include "backends-sim/hv/core/hv.h"

struct inproc;

struct inproc *inproc_new(void);
void inproc_free(struct inproc *ip);
hv_t *inproc_hv(struct inproc *ip);

/* Creates domain d with nr_pages zeroed pages of memory (frames
 * 0..nr_pages-1) and default limits.  Errors as hv_domain_create. */
int inproc_domain_create(struct inproc *ip, domid_t d, uint64_t nr_pages);
/* Same with explicit limits (cfg->nr_frames is the page count). */
int inproc_domain_create_cfg(struct inproc *ip, domid_t d, const struct hv_domain_config *cfg);
/* hv_domain_destroy.  The memory stays until the domid is created again
 * or the host is freed, since peers may still map it. */
int inproc_domain_destroy(struct inproc *ip, domid_t d);

/* d's memory: first byte and length, or NULL. */
void *inproc_memory(struct inproc *ip, domid_t d, size_t *len);
/* Frame gfn of d, or NULL if d has no such frame. */
void *inproc_page(struct inproc *ip, domid_t d, uint64_t gfn);

/* Grants `peer` access to the page of d's memory that starts at addr, as
 * a guest handing a buffer to a backend does: allocates a ref (owner
 * NULL) and writes the entry.  Refuses with -EINVAL and one trace line
 * naming the domain and the address when addr is not in d's memory or is
 * not the first byte of a whole page ("not the start of a whole page") —
 * the mistake behind MirageOS's Buffer_is_not_page_aligned.  Otherwise
 * the errors of hv_gnt_alloc_ref / hv_gnt_grant. */
int inproc_grant_address(struct inproc *ip, domid_t d, domid_t peer, const void *addr,
                         bool readonly, grant_ref_t *ref);

/* ---- what the core reported ---- */
enum inproc_event_kind { INPROC_NOTIFY, INPROC_PORT_CLOSED };
struct inproc_event {
    enum inproc_event_kind kind;
    domid_t dom;
    evtchn_port_t port;
};
size_t inproc_event_count(const struct inproc *ip);
const struct inproc_event *inproc_event(const struct inproc *ip, size_t i);
/* How many NOTIFY events (dom, port) received since the last clear. */
size_t inproc_notify_count(const struct inproc *ip, domid_t d, evtchn_port_t port);

size_t inproc_trace_count(const struct inproc *ip);
const char *inproc_trace_line(const struct inproc *ip, size_t i);
const char *inproc_last_trace(const struct inproc *ip); /* "" if none */

/* Forgets recorded events and trace lines. */
void inproc_clear(struct inproc *ip);

/* Also forward trace lines / events to fn (NULL to stop). */
void inproc_on_trace(struct inproc *ip, void (*fn)(void *arg, domid_t d, const char *line),
                     void *arg);
void inproc_on_event(struct inproc *ip, void (*fn)(void *arg, const struct inproc_event *ev),
                     void *arg);

#endif
