/*
 * blkfront_priv.h — blkfront's insides, shared by its own files only.
 */
#ifndef SPLITBED_BLKFRONT_PRIV_H
#define SPLITBED_BLKFRONT_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"

#include <xen/io/blkif.h>
#include <xen/io/protocols.h>
#include <xen/io/ring.h>

#include "blkfront.h"
#include "xenbus.h"

#define BF_MAX_RING_ORDER 4 /* XENBUS_MAX_RING_GRANT_ORDER */
#define BF_SEGS_PER_IPAGE (OS_PAGE_SIZE / sizeof(struct blkif_request_segment))
/* Segments per indirect request we ever use: Linux blkback's maximum; it
 * keeps a request's segment list small enough for the stack. */
#define BF_MAX_INDIRECT 256u
#define BF_DEFAULT_TIMEOUT (30ull * 1000000000ull)
#define BF_STORM 1000u /* events without a response before we say so */

/* One ring slot (the request id is its index). */
struct bf_slot {
    struct blkfront_io *io; /* NULL when free */
    uint8_t operation;      /* what the ring request said */
    bool bounced;
    /* Grant entries os_grant_access() took for this request's zero-copy
     * pages (it returned 1): each is given back with os_end_access() once
     * the request is answered or abandoned.  A region's own refs are not
     * kept here: they end with the region. */
    grant_ref_t *zc_refs;
    unsigned zc_n, zc_cap;
    void *bounce; /* pages shared with the backend */
    grant_ref_t *bounce_refs;
    unsigned bounce_pages;
    void *indirect; /* indirect segment pages (backend reads) */
    grant_ref_t indirect_refs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    unsigned indirect_pages;
    uint32_t next_free;
};

/* A region from blkfront_buffer_alloc(). */
struct bf_region {
    struct bf_region *next;
    uint8_t *va;
    unsigned npages;
};

struct blkfront {
    struct os *os;
    struct xenbus_dev *xd;
    struct blkfront_opts opts;
    struct blkfront_info info;
    char name[16];
    bool ever_connected;
    bool connected;

    /* transport of the current handshake round */
    blkif_front_ring_t ring;
    void *ring_va;
    unsigned ring_pages;
    grant_ref_t ring_refs[1u << BF_MAX_RING_ORDER];
    evtchn_port_t port;
    bool have_port;

    struct bf_slot *slots; /* max_slots entries */
    unsigned max_slots;
    uint32_t free_head; /* UINT32_MAX = none */
    unsigned in_flight; /* on the ring */

    struct blkfront_io *pending, *pending_tail; /* not on the ring yet */
    unsigned queued;                            /* pending + in flight */
    uint64_t next_seq;
    unsigned completions; /* since the last blkfront_poll() */
    unsigned spurious;    /* our events in a row that brought nothing */
    bool storm_logged;
    bool zc_busy_logged; /* zero-copy grants kept by the backend, said once */

    struct bf_region *regions;
};

void bf_log(struct blkfront *bf, enum os_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* blkfront_ring.c */
void bf_ring_reset_slots(struct blkfront *bf);
void bf_ring_requeue_in_flight(struct blkfront *bf);
void bf_ring_fail_all(struct blkfront *bf, int err);
void bf_ring_kick(struct blkfront *bf);
void bf_ring_consume(struct blkfront *bf);
void bf_ring_free_slots(struct blkfront *bf);
bool bf_in_region(struct blkfront *bf, const void *buf, size_t len);

#endif
