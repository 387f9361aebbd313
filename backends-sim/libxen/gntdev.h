/*
 * gntdev.h — what xengnttab and xengntshr handles share: the connection,
 * the sharing memfds kept from earlier mappings (wire.h: a few, most
 * recently used, so that mapping the same sharings again costs no
 * descriptor passing), and the live regions (mappings or sharings) this
 * handle made.
 *
 * A region may end by a plain munmap() of its range, as on Linux where the
 * vma holds the grant.  No kernel event reaches the library then, so the
 * library looks: at close, and every so many calls that change the grant
 * state of the handle (as many calls as it has live regions, so the cost
 * per call stays constant with thousands of persistent mappings), every
 * live region is probed with mincore(2), which fails with ENOMEM once a
 * page of the range is no longer mapped; regions found gone are ended at
 * the daemon (unmap, notify).  Closing a handle
 * while some of its regions are still mapped keeps its connection open
 * (the grants stay, as gntdev's file stays referenced by the vma) until a
 * later call of the library finds them gone, or the process exits.
 * A range munmapped and then mapped again by something else before the
 * next probe looks alive; its grant then stays mapped until process exit.
 */
#ifndef SPLITBED_LIBXEN_GNTDEV_H
#define SPLITBED_LIBXEN_GNTDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/libxen/client.h"

struct memfd_ent {
    uint64_t id;
    uint64_t used;
    uint32_t ro;
    int fd;
};

struct region {
    uint8_t *addr;
    uint32_t count; /* pages */
    uint32_t id;    /* map_id or share_id */
    bool *gone;     /* gntshr: pages already ended */
    bool notify;    /* gnttab: carries an unmap notification */
    /* gnttab: a mapping of consecutive pages of one sharing (one mmap)
     * names them here, so that its range can be parked at unmap */
    uint64_t mem; /* that sharing's memfd id; 0: not such a mapping */
    uint32_t page;
    int prot;
    struct region *next;
};

/*
 * A gnttab range parked at unmap: made inaccessible (PROT_NONE, so that a
 * use after unmap still faults, as after Linux's munmap) but kept, so
 * that the next map of the same pages of the same sharing with the same
 * protection gives access back with one mprotect instead of mmap, page
 * fault and munmap, as persistent grants spare Linux's blkback the maps.
 * The grants themselves are unmapped at the daemon as before; only the
 * daemon's answer to a later map (the same sharing's pages, alive) lets
 * a parked range be used again.  A sharing's page never backs anything
 * else after its grant ended (the daemon punches it out), so a parked
 * range never shows another grant's memory.
 */
#define GNT_PARKED 16u
struct parked {
    uint8_t *addr;
    uint64_t mem, used;
    uint32_t page, count;
    int prot;
};

struct xengntdev_handle {
    struct hvclient cl;
    unsigned kind;
    struct memfd_ent *mem;
    size_t nmem;
    uint64_t mem_clock; /* stamps memfd_ent.used */
    struct region *regions;
    uint32_t nregions;            /* live regions, as of the last probe */
    uint32_t since_probe;         /* calls since then */
    struct hvw_unmap_ring *uring; /* gnttab: unmaps posted without a system call */
    uint32_t uprod;
    struct hvw_call_page *call; /* gnttab: requests without a packet (wire.h) */
    int bell, answer;           /* its doorbell and the read end of its answers */
    uint32_t call_seq;
    bool posted;                    /* a packet posted on the socket since the last request there */
    struct parked park[GNT_PARKED]; /* gnttab: ranges parked at unmap */
    uint32_t npark;
    uint64_t park_clock; /* stamps parked.used */
    struct xengntdev_handle *next_lingering;
};

/* The memfds of the sharings a map reply names, into fd[0..nmem): from
 * the cache, or asked of the daemon.  The fds stay owned by the cache and
 * valid until the next call.  0, or -1 and errno.  Lock held. */
int gntdev_mem_fds(struct xengntdev_handle *h, const struct hvw_mem *mem, uint32_t nmem, int *fd);
/* Ends regions whose range is no longer mapped.  Lock held. */
void gntdev_reap(struct xengntdev_handle *h);
/* The same, once every nregions calls.  Lock held. */
void gntdev_maybe_reap(struct xengntdev_handle *h);
/* Ends the region at index [first, first+count) at the daemon (gntshr) or
 * the whole region (gnttab). */
int gntdev_end(struct xengntdev_handle *h, struct region *r, uint32_t first, uint32_t count);
struct region *gntdev_find(struct xengntdev_handle *h, const void *addr, struct region ***link);
/* One request, as hvclient_call without descriptors: through the call
 * page when the handle has one and the op may use it, else the socket.
 * Lock held. */
ssize_t gntdev_call(struct xengntdev_handle *h, unsigned op, const void *body, size_t blen,
                    void *rep, size_t repmax);
/* Posts an unmap on the socket (wire.h).  The next request then goes
 * there too, behind it: the daemon serves a call page's request before
 * what its own client posted.  Lock held. */
int gntdev_post_unmap(struct xengntdev_handle *h, uint32_t map_id);

struct xengntdev_handle *gntdev_open(unsigned kind, const char *lib, struct xentoollog_logger *log);
int gntdev_close(struct xengntdev_handle *h);

#endif
