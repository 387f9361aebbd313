/*
 * blkfront.h — a portable Xen block frontend (<xen/io/blkif.h>).
 *
 * Event-driven: blkfront_submit() queues an I/O, blkfront_poll() drives the
 * xenbus handshake, consumes responses and calls completions; it never
 * blocks.  The *_sync helpers are thin loops on top that wait with
 * os_wait().
 *
 * Units: every sector number and count in this API is in 512-byte units,
 * like every field of the ring (D10, docs/deviations.md).  `sector_size` is only the
 * disk's logical block size: I/O offsets and lengths must be multiples of
 * it, except that blkfront_read_sync() reads any whole 512-byte sectors
 * (through the blocks around them).
 *
 * Buffers: any address and any whole number of sectors.  A buffer that
 * cannot be granted as is (anything not obtained from
 * blkfront_buffer_alloc()) is copied through blkfront's own zeroed,
 * page-aligned pages shared with the backend.  The zero-copy calls grant
 * the caller's pages exactly as given, through os_grant_access(), and fail
 * with the host's diagnosis if they are not whole pages.
 *
 * A backend that breaks the protocol (responses beyond what was asked,
 * ids not outstanding, a bad state) puts the device in the error state:
 * every I/O fails with the diagnosis logged once; nothing crashes.
 * A backend that restarts is reconnected to and in-flight I/O re-issued.
 */
#ifndef SPLITBED_BLKFRONT_H
#define SPLITBED_BLKFRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"

struct blkfront;

struct blkfront_opts {
    unsigned max_ring_order; /* largest ring we take: 1 << order pages; default 2 */
    unsigned max_indirect;   /* segments per indirect request; 0 = never; default 32 */
    bool persistent;         /* ask for persistent grants; default true */
    bool skip_initialised;   /* write Connected directly (D2, as Mini-OS/Mirage) */
    bool early_transport;    /* write the ring without waiting for the backend (D3) */
    bool explicit_order0;    /* one page as ring-page-order=0 + ring-ref0 (D4) */
    uint64_t timeout_ns; /* sync helpers give up after this long without progress; default 30 s */
};
void blkfront_default_opts(struct blkfront_opts *opts);

struct blkfront_info {
    uint64_t sectors;     /* capacity, 512-byte units */
    uint32_t sector_size; /* logical block size, bytes */
    uint32_t physical_sector_size;
    bool readonly, cdrom, removable;
    unsigned ring_order; /* negotiated */
    unsigned ring_slots; /* requests the ring holds */
    unsigned backend_max_ring_order;
    unsigned max_indirect; /* segments per indirect request in use; 0 = none */
    unsigned backend_max_indirect;
    unsigned max_segments; /* per request (11 direct or max_indirect) */
    bool flush, barrier, persistent;
    bool discard, discard_secure;
    uint32_t discard_granularity, discard_alignment;
    uint32_t vdev; /* virtual device number, 51712 for xvda */
    domid_t backend_id;
    unsigned reconnects; /* handshakes after the first */
};

/* BLKFRONT_DISCARD tells the backend the range's data is no longer
 * needed (len bytes from sector, no buffer); only if info.discard. */
enum blkfront_op { BLKFRONT_READ, BLKFRONT_WRITE, BLKFRONT_FLUSH, BLKFRONT_DISCARD };

struct blkfront_io {
    enum blkfront_op op;
    uint64_t sector; /* 512-byte units */
    void *buf;
    size_t len;     /* bytes, <= blkfront_max_io() */
    bool zero_copy; /* grant buf's pages as given */
    bool secure;    /* BLKFRONT_DISCARD: secure erase (discard-secure) */
    void (*done)(struct blkfront_io *io, int status); /* 0 or -OS_E* */
    void *ctx;
    /* blkfront's own */
    struct blkfront_io *next;
    uint64_t seq;
};

/* Parses "xvda", "xvdb3", "xvdaa", or a number ("51712"). */
int blkfront_parse_vdev(const char *vdev, uint32_t *out);

/* Starts connecting to device vdev; blkfront_poll() completes it. */
int blkfront_open(struct os *os, const char *vdev, const struct blkfront_opts *opts,
                  struct blkfront **out);
/* Drives the device: >= 0 completions made, or the (negative) error of a
 * device in the error state. */
int blkfront_poll(struct blkfront *bf);
bool blkfront_connected(const struct blkfront *bf);
int blkfront_error(const struct blkfront *bf);
const char *blkfront_diagnosis(const struct blkfront *bf);
const struct blkfront_info *blkfront_get_info(struct blkfront *bf);
/* Largest len one blkfront_io may have (whole pages, zero-copy or not). */
size_t blkfront_max_io(const struct blkfront *bf);
/* Queues io; the next blkfront_poll() puts what is queued on the ring
 * and notifies the backend once.  Errors in the arguments are returned at
 * once (and logged); anything later is reported through io->done. */
int blkfront_submit(struct blkfront *bf, struct blkfront_io *io);
/* I/Os submitted and not yet completed. */
unsigned blkfront_in_flight(const struct blkfront *bf);

/* Pages shared with the backend that I/O can use without a copy. */
void *blkfront_buffer_alloc(struct blkfront *bf, unsigned npages);
void blkfront_buffer_free(struct blkfront *bf, void *buf, unsigned npages);

/* Synchronous helpers: 0 or a negative error (logged). */
int blkfront_open_sync(struct os *os, const char *vdev, struct blkfront **out);
int blkfront_open_sync_opts(struct os *os, const char *vdev, const struct blkfront_opts *opts,
                            struct blkfront **out);
int blkfront_read_sync(struct blkfront *bf, uint64_t sector, void *buf, size_t len);
int blkfront_write_sync(struct blkfront *bf, uint64_t sector, const void *buf, size_t len);
int blkfront_flush_sync(struct blkfront *bf);
/* Discards nsectors (512-byte units) from sector; -OS_EOPNOTSUPP if the
 * backend offers no discard. */
int blkfront_discard_sync(struct blkfront *bf, uint64_t sector, uint64_t nsectors, bool secure);
/* Zero copy: buf must be whole pages this host can grant. */
int blkfront_read_zero_copy_sync(struct blkfront *bf, uint64_t sector, void *buf, size_t len);
int blkfront_write_zero_copy_sync(struct blkfront *bf, uint64_t sector, const void *buf,
                                  size_t len);
/* Polls until every submitted I/O completed (or the device failed). */
int blkfront_drain_sync(struct blkfront *bf);
/* Orderly close (Closing/Closed with the backend, the wait bounded to
 * 5 s), then blkfront_free(). */
void blkfront_close(struct blkfront *bf);

/* The same close for a caller that never waits: blkfront_close_start()
 * says Closing to the backend (nothing once the device failed);
 * blkfront_close_poll() moves the handshake on and is true once the
 * backend let go (call it again after an event until then); then
 * blkfront_free().  blkfront_free() may be called at any point: it fails
 * pending I/O with -OS_ESHUTDOWN, ends every grant and frees everything,
 * whatever the backend still holds. */
void blkfront_close_start(struct blkfront *bf);
bool blkfront_close_poll(struct blkfront *bf);
void blkfront_free(struct blkfront *bf);

#ifdef SPLITBED_FUZZ
/* For fuzz targets that keep one connected device between inputs: puts a
 * device that connected, and that its backend's responses may since have
 * put in the error state, back where it stood when it connected (with
 * xenbus_rewind: the state node says Connected again).  Every I/O
 * still queued or on the ring fails with -OS_ESHUTDOWN, every slot's
 * bounce and indirect pages are unshared, the ring's pages are zeroed and
 * its indices start again, and the connection's counters restart.  The
 * backend must forget the ring's old indices too.  -OS_EPROTO, changing
 * nothing, when the device never connected, its transport is gone or its
 * backend is no longer Connected. */
int blkfront_rewind(struct blkfront *bf);
#endif

#endif
