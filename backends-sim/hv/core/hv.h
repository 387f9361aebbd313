/*
 * hv.h — the simulated hypervisor core: domains, grant tables (v1) and
 * event channels (2-level ABI), as plain data with functions.
 *
 * The core does no I/O.  It never opens, reads, writes or prints; it knows
 * guest memory only as frame numbers (gfns) and asks its host through
 * hv_host_ops when it must touch a page (grant copy) or tell someone
 * something (an event fired, a peer closed its end, a rule was broken).
 * Its hosts: splitbed-hvd (one process, clients on sockets), the
 * in-process host (backends-sim/world/hvhost.h: memfd guest memory for
 * the seeded world, heap buffers for unit tests and fuzz targets).
 *
 * Strictness.  Every rule Xen enforces is enforced here, and each
 * violation does two things: it returns the code Xen would return (GNTST_*
 * for grant-table operations, -errno for the rest) and it emits exactly one
 * trace line through hv_host_ops.trace, of the form
 *
 *     dN: <operation> <object> refused: <rule>
 *
 * e.g. "d1: map of gref 12 from d2 refused: grant is read-only, writable
 * mapping requested".  N is the domain that broke the rule.  Successful
 * operations are never traced.
 *
 * Return conventions.
 *  - hv_gnt_map / hv_gnt_unmap / hv_gnt_copy play GNTTABOP_* hypercalls:
 *    they return a GNTST_* status (GNTST_okay == 0, errors negative), with
 *    the codes Xen 4.17's grant_table.c uses for each case (listed below).
 *  - Everything else returns 0 or a negative errno (-ESRCH no such domain,
 *    -EINVAL bad argument/state, -ENOSPC out of ports/refs/handles,
 *    -EBUSY still in use, -EPERM not privileged, -EEXIST, -ENOMEM).
 *
 * Threading: none.  One hv_t is used by one thread at a time.  Callbacks
 * run synchronously inside the call that caused them and must not call
 * back into the same hv_t.
 *
 * Ownership.  Every grant ref, mapping and event-channel port carries an
 * opaque owner token (the daemon uses one per client connection; NULL is a
 * valid token of its own).  hv_release_owner() drops everything one owner
 * holds, as Linux's gntdev/gntalloc/evtchn drivers do when a process exits.
 */
#ifndef SPLITBED_HV_H
#define SPLITBED_HV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xen/xen.h>
#include <xen/grant_table.h>
#include <xen/event_channel.h>

#define HV_PAGE_SIZE 4096u

/* Xen 4.17 defaults, used when a field of hv_domain_config is 0. */
/* Xen's gnttab_max_frames default: 64 frames of 512 v1 entries. */
#define HV_DEFAULT_MAX_GRANT_FRAMES 64u
#define HV_GRANT_ENTRIES_PER_FRAME (HV_PAGE_SIZE / sizeof(grant_entry_v1_t))
/* Xen's gnttab_max_maptrack_frames default: 1024 frames; a 16-byte
 * struct grant_mapping gives 256 handles per frame, 262144 in all. */
#define HV_DEFAULT_MAX_MAPTRACK_FRAMES 1024u
#define HV_MAPTRACK_PER_FRAME 256u
/* libxl's default max_event_channels for a guest (ports 1..1023); dom0 is
 * bounded only by the 2-level ABI (4096 ports on 64-bit, 0..4095). */
#define HV_DEFAULT_MAX_EVTCHN_PORT 1023u
#define HV_EVTCHN_2L_PORTS 4096u

typedef struct hv hv_t;

/* What the host provides.  Every member may be NULL except frame_ptr,
 * which grant copy needs. */
struct hv_host_ops {
    /* Address of the 4096 bytes of frame gfn of domain d, or NULL when the
     * host does not back it.  The core calls it only for gfns below the
     * domain's frame count. */
    void *(*frame_ptr)(void *host, domid_t d, uint64_t gfn);
    /* Port `port` of domain d went pending while unmasked: wake d. */
    void (*notify)(void *host, domid_t d, evtchn_port_t port);
    /* The remote end of d's interdomain port `port` was closed (by its
     * owner, a release or a domain destruction); d's port is now unbound. */
    void (*port_closed)(void *host, domid_t d, evtchn_port_t port);
    /* One rule violation by domain d; `line` has no trailing newline and
     * is valid only during the call. */
    void (*trace)(void *host, domid_t d, const char *line);
};

hv_t *hv_new(const struct hv_host_ops *ops, void *host);
/* Frees everything, without callbacks. */
void hv_free(hv_t *hv);

/* ---- domains ---------------------------------------------------------- */

struct hv_domain_config {
    uint64_t nr_frames;           /* guest frames 0..nr_frames-1 */
    uint32_t max_grant_frames;    /* 0: HV_DEFAULT_MAX_GRANT_FRAMES */
    uint32_t max_maptrack_frames; /* 0: HV_DEFAULT_MAX_MAPTRACK_FRAMES */
    uint32_t max_evtchn_port;     /* 0: 1023 for a guest, 4095 for dom0 */
};

/* Creates domain d (d < DOMID_FIRST_RESERVED); dom0 is privileged.
 * cfg may be NULL (no frames, defaults).  -EEXIST if d exists or is still
 * dying, -EINVAL for a reserved domid or a limit above the ABI's. */
int hv_domain_create(hv_t *hv, domid_t d, const struct hv_domain_config *cfg);
/* Destroys d: unmaps d's mappings, closes d's ports (peers see
 * port_closed), ends d's grants.  Grants still mapped by other domains
 * keep d alive as a dying domain (invisible to lookups and new operations)
 * until their last unmap, as Xen keeps a zombie domain.  -ESRCH if none. */
int hv_domain_destroy(hv_t *hv, domid_t d);
bool hv_domain_exists(const hv_t *hv, domid_t d); /* live, not dying */
/* Destroyed, but kept while another domain maps one of its grants. */
bool hv_domain_is_dying(const hv_t *hv, domid_t d);
bool hv_domain_is_privileged(const hv_t *hv, domid_t d);
uint64_t hv_domain_nr_frames(const hv_t *hv, domid_t d); /* 0 if none */
/* Adds n frames to d (the host backs them); *first gets the first new
 * gfn.  Frames are never removed while the domain lives. */
int hv_domain_add_frames(hv_t *hv, domid_t d, uint64_t n, uint64_t *first);
/* Writes up to max live domids in ascending order; returns how many exist. */
size_t hv_domain_list(const hv_t *hv, domid_t *out, size_t max);

/* Objects in use, for `splitbed hv status` and leak tests.  grants: refs
 * whose entry permits access (including ones released while still mapped);
 * mappings: maptrack handles the domain holds; ports: ports not free
 * (port 0, reserved by Xen, is not counted). */
struct hv_counts {
    uint32_t grants;
    uint32_t mappings;
    uint32_t ports;
};
int hv_domain_counts(const hv_t *hv, domid_t d, struct hv_counts *out);
void hv_total_counts(const hv_t *hv, struct hv_counts *out); /* incl. dying */
/* Recounts live domain d's grants, mappings and ports (1 and up) from its
 * tables instead of its counters, in one pass; *torn counts entries that
 * say GTF_writing without GTF_reading.  For checkers that compare the
 * two after every operation.  -ESRCH when d is not live. */
int hv_domain_audit(const hv_t *hv, domid_t d, struct hv_counts *out, uint32_t *torn);

/* Releases everything `owner` holds in domain d: unmaps its mappings, ends
 * and frees its grant refs (a ref still mapped by a peer stays granted
 * until that peer unmaps, then is freed, as Linux's gntalloc does), closes
 * its ports (peers see port_closed).  Never fails; never traces. */
void hv_release_owner(hv_t *hv, domid_t d, const void *owner);

/* ---- grant tables, the granting guest's side --------------------------- */
/* These play what a guest kernel does to its own grant table (Linux's
 * gnttab_* and gntalloc): no hypercall, so errno-style returns. */

/* Hands out a free ref >= GNTTAB_NR_RESERVED_ENTRIES (refs 0..7 are the
 * toolstack's and are never returned), owned by `owner`, round-robin so
 * that a just-freed ref is not handed out again at once.  -ENOSPC (no
 * trace: running out is the guest's own affair) when all
 * max_grant_frames * 512 refs are taken. */
int hv_gnt_alloc_ref(hv_t *hv, domid_t d, const void *owner, grant_ref_t *ref);

/* Writes entry `ref` as a guest does: domid, frame, then flags.  Only the
 * guest-owned bits of flags are taken (GTF_type_mask, GTF_readonly, and
 * the x86 cache/sub-page bits); GTF_reading/GTF_writing stay Xen's.  The
 * ref need not come from hv_gnt_alloc_ref (a guest may manage its own).
 * -EINVAL + trace: ref beyond the table limit; -EBUSY + trace: the entry
 * is mapped (a guest must end access first). */
int hv_gnt_write_entry(hv_t *hv, domid_t d, grant_ref_t ref, const grant_entry_v1_t *e,
                       const void *owner);
/* The usual case: permit `grantee` to access frame gfn of d, read-only or
 * not.  Same errors, plus -EINVAL + trace when gfn does not fit the v1
 * entry's 32-bit frame field. */
int hv_gnt_grant(hv_t *hv, domid_t d, grant_ref_t ref, domid_t grantee, uint64_t gfn, bool readonly,
                 const void *owner);
/* Reads entry `ref` of d as the guest sees it (flags include GTF_reading
 * and GTF_writing while mapped).  -ESRCH / -EINVAL (no trace). */
int hv_gnt_read_entry(const hv_t *hv, domid_t d, grant_ref_t ref, grant_entry_v1_t *out);
/* Like gnttab_end_foreign_access_ref: clears the entry unless it is
 * mapped.  -EBUSY + trace while GTF_reading/GTF_writing is set; -EINVAL +
 * trace for a ref beyond the table limit.  Ending a ref that grants
 * nothing succeeds.  The ref stays allocated. */
int hv_gnt_end_access(hv_t *hv, domid_t d, grant_ref_t ref);
/* Ends access and frees the ref, as gntalloc does on release: returns 0
 * when done now, 1 when the entry is still mapped (it is ended and freed
 * by the last unmap; no trace — this is the permitted way).  -EINVAL +
 * trace for a ref beyond the table limit. */
int hv_gnt_release_ref(hv_t *hv, domid_t d, grant_ref_t ref);

/* ---- grant tables, the mapping domain's side (GNTTABOP_*) -------------- */

/* GNTTABOP_map_grant_ref by `mapper` of ref `ref` of `granter`.
 * flags are GNTMAP_* (GNTMAP_host_map and/or GNTMAP_device_map required;
 * GNTMAP_readonly for a read-only mapping).  On success *handle gets a
 * maptrack handle of the mapper and *gfn (may be NULL) the granter's frame.
 * Codes, as Xen 4.17 returns them (checked in this order):
 *   GNTST_general_error    the mapper itself does not exist (a host bug)
 *   GNTST_bad_gntref       no host/device map flag
 *   GNTST_bad_domain       granter does not exist (or is dying)
 *   GNTST_no_space         mapper's maptrack handles exhausted
 *   GNTST_bad_gntref       ref >= granter's table size (frames in use)
 *   GNTST_general_error    entry does not permit access (or is a
 *                          sub-page/transitive grant), entry.domid is not
 *                          the mapper, writable map of a GTF_readonly grant
 *   GNTST_bad_page         entry.frame is not a frame of the granter
 * Every refusal also emits one trace line. */
int hv_gnt_map(hv_t *hv, domid_t mapper, domid_t granter, grant_ref_t ref, uint32_t flags,
               const void *owner, grant_handle_t *handle, uint64_t *gfn);
/* GNTTABOP_unmap_grant_ref: GNTST_bad_handle for a handle that is out of
 * range or not in use.  Clears GTF_writing when the last writable mapping
 * of the entry goes and GTF_reading when the last mapping goes; a ref
 * released while mapped is then freed. */
int hv_gnt_unmap(hv_t *hv, domid_t mapper, grant_handle_t handle);

struct hv_mapping_info {
    domid_t granter;
    grant_ref_t ref;
    uint64_t gfn; /* granter's frame */
    bool readonly;
    const void *owner;
};
/* -EINVAL if the handle is not in use (no trace: a query, not an op). */
int hv_gnt_mapping_info(const hv_t *hv, domid_t mapper, grant_handle_t handle,
                        struct hv_mapping_info *out);

/* GNTTABOP_copy by `caller`, one op: sets op->status and returns it.
 * A side given by gref (GNTCOPY_source_gref/GNTCOPY_dest_gref) must be
 * granted to the caller (dest: writable); a side given by gmfn must name
 * DOMID_SELF and one of the caller's frames.  Codes:
 *   GNTST_permission_denied  gmfn side with a domid other than DOMID_SELF
 *   GNTST_bad_domain         gref side's domain does not exist
 *   GNTST_bad_gntref         ref >= table size
 *   GNTST_general_error      not granted to caller, or dest read-only
 *   GNTST_bad_page           frame not the domain's, or not backed by host
 *   GNTST_bad_copy_arg       offset+len beyond the page, on either side */
int hv_gnt_copy(hv_t *hv, domid_t caller, gnttab_copy_t *op);
/* n ops in order; returns GNTST_okay if all succeeded, else the first
 * failing status (each op's status is set). */
int hv_gnt_copy_batch(hv_t *hv, domid_t caller, gnttab_copy_t *ops, size_t n);

/* ---- event channels (2-level ABI) -------------------------------------- */

/* EVTCHNOP_alloc_unbound by `caller` for domain `dom` (DOMID_SELF or the
 * caller's id; another domain only if caller is privileged, else -EPERM),
 * accepting a bind from `remote` (DOMID_SELF = dom itself; like Xen, the
 * remote need not exist yet).  Never returns port 0; picks the lowest
 * free port as Xen does.  -ESRCH + trace: no such domain (-ESRCH without
 * trace if the caller itself does not exist); -ENOSPC + trace. */
int hv_evtchn_alloc_unbound(hv_t *hv, domid_t caller, domid_t dom, domid_t remote,
                            const void *owner, evtchn_port_t *port);
/* EVTCHNOP_bind_interdomain: binds a new local port of `dom` to
 * `remote_port` of `remote_dom` (DOMID_SELF allowed).  -ESRCH + trace: no
 * remote domain; -ENOSPC + trace: no free local port; -EINVAL + trace:
 * remote port out of range, not unbound, or reserved for another domain.
 * As Xen does, the new local port starts pending (events sent to the
 * unbound end were dropped), so host notify fires for it. */
int hv_evtchn_bind_interdomain(hv_t *hv, domid_t dom, domid_t remote_dom, evtchn_port_t remote_port,
                               const void *owner, evtchn_port_t *port);
/* EVTCHNOP_close: frees the port (clearing its pending and mask bits); an
 * interdomain peer's port becomes unbound (reserved for dom again) and the
 * host hears port_closed for it.  -EINVAL + trace: port 0, out of range
 * or not allocated. */
int hv_evtchn_close(hv_t *hv, domid_t dom, evtchn_port_t port);
/* EVTCHNOP_send.  Interdomain: sets pending on the peer's port; if it was
 * not already pending and is not masked, host notify(peer, peer_port).
 * Unbound port: Xen drops the event silently and returns 0; we return 0
 * too but trace "dN: notify port P refused: port is unbound, event
 * dropped ..." since it is almost always a driver bug.  -EINVAL + trace:
 * port free, 0 or beyond the limit. */
int hv_evtchn_send(hv_t *hv, domid_t dom, evtchn_port_t port);
/* 2-level bits as the guest manipulates them in shared_info.  unmask with
 * pending set re-delivers (host notify).  -EINVAL (no trace) if the port
 * is out of range or free. */
int hv_evtchn_mask(hv_t *hv, domid_t dom, evtchn_port_t port);
int hv_evtchn_unmask(hv_t *hv, domid_t dom, evtchn_port_t port);
int hv_evtchn_clear_pending(hv_t *hv, domid_t dom, evtchn_port_t port);
/* Returns 1/0, or -EINVAL for a free/invalid port. */
int hv_evtchn_is_pending(const hv_t *hv, domid_t dom, evtchn_port_t port);
int hv_evtchn_is_masked(const hv_t *hv, domid_t dom, evtchn_port_t port);

enum hv_evtchn_state {
    HV_EVTCHN_FREE = 0,
    HV_EVTCHN_RESERVED, /* port 0 */
    HV_EVTCHN_UNBOUND,
    HV_EVTCHN_INTERDOMAIN,
    HV_EVTCHN_VIRQ,
};
struct hv_evtchn_info {
    enum hv_evtchn_state state;
    domid_t remote_dom;        /* UNBOUND: who may bind; INTERDOMAIN: peer */
    evtchn_port_t remote_port; /* INTERDOMAIN only */
    uint32_t virq;             /* VIRQ only */
    const void *owner;
};
/* EVTCHNOP_bind_virq on vCPU 0: a new port of `dom` receives virtual IRQ
 * `virq`.  As Xen 4.17: -EINVAL + trace for virq >= NR_VIRQS; a global
 * VIRQ (VIRQ_DOM_EXC is the one the simulator raises) only for its
 * handler, the privileged domain, else -EBUSY + trace; -EEXIST + trace
 * when dom has it bound already; -ENOSPC + trace.  Other VIRQs may be
 * bound but never fire: nothing in the simulator raises them. */
int hv_evtchn_bind_virq(hv_t *hv, domid_t dom, uint32_t virq, const void *owner,
                        evtchn_port_t *port);
/* Raises global VIRQ virq: pending on the port its handler (d0) bound,
 * host notify as for a send.  Returns that port, 0 when none is bound. */
evtchn_port_t hv_evtchn_raise_global_virq(hv_t *hv, uint32_t virq);

/* -ESRCH / -EINVAL for a port beyond the domain's limit. */
int hv_evtchn_info(const hv_t *hv, domid_t dom, evtchn_port_t port, struct hv_evtchn_info *out);

#endif /* SPLITBED_HV_H */
