/*
 * ring.h — the request-processing core of blkback: one connected blkif
 * ring, from a request on the shared page to a response on it.
 *
 * Each request is copied out of the ring once (RING_COPY_REQUEST, the
 * XSA-155 rule) and validated before anything else reads it: operation,
 * segment count (≤ 11 direct, ≤ the negotiated indirect maximum),
 * indirect page count, first_sect/last_sect inside the page, sector range
 * inside the image, alignment to the logical sector size, writes to a
 * read-only device.  Responses are built in a zeroed struct (XSA-216).  A
 * grant that fails to map fails that request only (XSA-361..365).
 *
 * Rule breaks that only a buggy or hostile frontend commits (a producer
 * index more than a ring ahead, a bad segment, an unknown operation …)
 * get an error response and, when `strict`, cut the ring off: it serves
 * nothing more and bb_ring_serve() returns -EPROTO.  The caller moves the
 * device to Closing.  Every such event is one diagnosis line naming the
 * frontend domain, the device, the offending value and the rule.
 *
 * Data moves either through mappings of the frontend's pages (persistent
 * or per request) or, with grant_copy, by grant copy through a buffer of
 * the backend's own, as QEMU's backend does.  Grant copy keeps nothing
 * mapped, so persistent grants never apply to it; each copy is checked
 * as Xen checks it: out of a read-only grant (a write's data, indirect
 * pages) is allowed, into one (a read's data) fails with
 * GNTST_general_error.
 *
 * No daemon is needed: the ring pages and data grants come through a
 * struct bb_mapper, the disk through struct bb_image.
 */
#ifndef SPLITBED_BLKBACK_RING_H
#define SPLITBED_BLKBACK_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "backends-sim/blkback/image.h"
#include "backends-sim/blkback/log.h"
#include "backends-sim/blkback/mapper.h"

#define BB_MAX_RING_PAGES 16u /* order 4, XENBUS_MAX_RING_GRANT_ORDER */

/* How data and indirect pages are mapped once persistent grants are in
 * use (without them a page is mapped as its operation needs: writable
 * only for the data of a read). */
enum bb_persistent_map {
    /* Every page writable whatever the operation, since a page kept
     * mapped may serve a later read: Linux blkback (xen_blkbk_map adds
     * GNTMAP_readonly only without persistent grants).  A frontend that
     * grants a write's pages read-only gets an error for that request. */
    BB_PMAP_RW = 0,
    /* As the operation needs: a write's data and indirect pages are
     * mapped read-only for that request only; pages a read fills are
     * mapped writable and kept.  Tolerates read-only grants of a write. */
    BB_PMAP_OP,
};

struct bb_ring_config;
struct blkif_request;
struct blkif_request_segment;

/* Sees each request the core took, once it was answered: the copy the
 * core served from (never the ring slot) and, for an indirect request,
 * the segments read from its pages (nind of them; 0 when they were not
 * read).  record.h keeps them as fuzz corpus entries. */
typedef void bb_record_fn(void *ctx, const struct bb_ring_config *cfg,
                          const struct blkif_request *req, const struct blkif_request_segment *ind,
                          unsigned nind);

struct bb_ring_config {
    domid_t frontend;
    const char *device;     /* "vbd 51712", for diagnoses */
    unsigned nr_ring_pages; /* 1, 2, 4, 8 or 16 */
    grant_ref_t ring_refs[BB_MAX_RING_PAGES];
    unsigned max_indirect_segments; /* 0: BLKIF_OP_INDIRECT not offered */
    bool persistent;                /* both ends agreed feature-persistent */
    enum bb_persistent_map persistent_map;
    bool grant_copy; /* copy data with grant copy, map nothing but the ring */
    unsigned max_persistent_grants;
    bool flush, barrier, discard, discard_secure;
    uint32_t discard_granularity; /* bytes; 0 = any */
    uint32_t discard_alignment;   /* bytes */
    uint32_t sector_size;         /* logical: 512 or 4096 */
    bool readonly;
    bool strict;          /* cut off on protocol violations */
    bb_record_fn *record; /* NULL: nothing recorded */
    void *record_ctx;
};

struct bb_ring_stats {
    uint64_t requests, errors, unsupported;
    uint64_t persistent_hits, persistent_mapped;
};

struct bb_ring;

/* Maps the ring and attaches to it where the frontend's responses stop
 * (rsp_prod), so requests already queued (by a frontend that outlived a
 * previous backend) are served and nothing is re-initialised (D12).
 * Returns 0 or -errno (with a log line saying which ref failed). */
int bb_ring_open(const struct bb_ring_config *cfg, struct bb_mapper *mapper, struct bb_image *img,
                 const struct bb_logger *log, struct bb_ring **out);
/* Unmaps everything, persistent grants included. */
void bb_ring_close(struct bb_ring *r);

/* Serves at most `budget` requests.  Returns 1 if requests remain, 0 if
 * the ring is drained (and the frontend asked to be told), -EPROTO once
 * cut off.  *notify says whether the frontend must be sent an event. */
int bb_ring_serve(struct bb_ring *r, unsigned budget, bool *notify);
/* As bb_ring_serve, for a caller that polls the ring's memory: a drained
 * ring is left as it was, without asking the frontend for an event, so
 * that the frontend need not send one (RING_PUSH_REQUESTS_AND_CHECK_NOTIFY)
 * while the caller keeps looking (bb_ring_has_requests).  Before it
 * sleeps the caller must call bb_ring_arm. */
int bb_ring_serve_polled(struct bb_ring *r, unsigned budget, bool *notify);
/* Whether the frontend produced requests not served yet; reads the ring
 * and changes nothing (no event asked for).  False once cut off. */
bool bb_ring_has_requests(const struct bb_ring *r);
/* The final check before sleeping (RING_FINAL_CHECK_FOR_REQUESTS): asks
 * the frontend for an event at its next request, then looks again.
 * Returns true when requests arrived meanwhile (serve them instead of
 * sleeping); false means the next request comes with an event. */
bool bb_ring_arm(struct bb_ring *r);

bool bb_ring_broken(const struct bb_ring *r);
void bb_ring_stats(const struct bb_ring *r, struct bb_ring_stats *st);

#endif
