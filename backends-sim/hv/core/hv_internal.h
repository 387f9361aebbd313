/*
 * hv_internal.h — the core's private data, shared by its .c files only.
 * Nothing outside backends-sim/hv/core/ includes this.
 */
#ifndef SPLITBED_HV_INTERNAL_H
#define SPLITBED_HV_INTERNAL_H

#include "backends-sim/hv/core/hv.h"

#define HV_MAX_DOMAINS DOMID_FIRST_RESERVED

/* Per grant entry bookkeeping that Xen keeps in its active entry, plus the
 * guest-kernel side (allocated ref, its owner). */
struct hv_gref {
    uint32_t pin_ro;      /* read-only mappings of this entry */
    uint32_t pin_rw;      /* writable mappings of this entry */
    bool allocated;       /* handed out by hv_gnt_alloc_ref */
    bool release_pending; /* released while mapped: free on last unmap */
    const void *owner;
};

/* One grant-table frame: 512 shared v1 entries and their bookkeeping.
 * Allocated when the guest first writes into it, as a guest grows its
 * table with GNTTABOP_setup_table. */
struct hv_gframe {
    grant_entry_v1_t shared[HV_GRANT_ENTRIES_PER_FRAME];
    struct hv_gref ref[HV_GRANT_ENTRIES_PER_FRAME];
    /* One bit per entry that may be allocated or active: set when it
     * becomes either, cleared by the release walk once it is neither, so
     * that the walk visits only those and not every entry of the frame. */
    uint64_t used[HV_GRANT_ENTRIES_PER_FRAME / 64];
};

struct hv_mapping {
    bool in_use;
    bool readonly;
    domid_t granter;
    grant_ref_t ref;
    uint64_t gfn;
    const void *owner;
    uint32_t next_free; /* freelist link when !in_use */
};

struct hv_port {
    uint8_t state; /* enum hv_evtchn_state */
    bool pending;
    bool masked;
    domid_t remote_dom;
    evtchn_port_t remote_port;
    uint32_t virq; /* HV_EVTCHN_VIRQ */
    const void *owner;
};

struct hv_domain {
    domid_t id;
    bool dying; /* destroyed, kept while peers map its grants */
    uint64_t nr_frames;

    uint32_t max_grant_frames;
    uint32_t nr_grant_frames;   /* frames allocated so far */
    struct hv_gframe **gframes; /* max_grant_frames slots */
    grant_ref_t next_alloc_hint;
    bool gnt_full_traced; /* the table was full; traced once until a ref is freed */

    uint32_t max_maptrack; /* handles */
    struct hv_mapping *maptrack;
    uint32_t maptrack_cap;  /* slots allocated */
    uint32_t maptrack_free; /* head of freelist, UINT32_MAX if empty */

    uint32_t max_evtchn_port;
    struct hv_port *ports; /* max_evtchn_port + 1 */

    struct hv_counts counts;
};

struct hv {
    struct hv_host_ops ops;
    void *host;
    /* One above the highest domid ever created: the walks over all
     * domains stop there instead of at DOMID_FIRST_RESERVED. */
    size_t dom_end;
    struct hv_domain *dom[HV_MAX_DOMAINS];
};

/* hv.c */
struct hv_domain *hv_dom_live(const hv_t *hv, domid_t d);
struct hv_domain *hv_dom_any(const hv_t *hv, domid_t d); /* live or dying */
void hv_dom_maybe_reap(hv_t *hv, struct hv_domain *dom);

/* trace.c — formats one line and hands it to the host. */
void hv_trace(const hv_t *hv, domid_t d, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* gnttab.c */
grant_entry_v1_t *hv_gnt_entry(const struct hv_domain *dom, grant_ref_t ref, struct hv_gref **meta);
void hv_gnt_after_unpin(hv_t *hv, struct hv_domain *granter, grant_ref_t ref);
void hv_gnt_release_all(hv_t *hv, struct hv_domain *dom, bool any_owner, const void *owner);
void hv_gnt_free_table(struct hv_domain *dom);

/* gntmap.c */
void hv_gnt_unmap_all(hv_t *hv, struct hv_domain *dom, bool any_owner, const void *owner);

/* evtchn.c */
int hv_evtchn_init(struct hv_domain *dom);
void hv_evtchn_close_all(hv_t *hv, struct hv_domain *dom, bool any_owner, const void *owner);

#endif
