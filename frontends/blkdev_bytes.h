/*
 * blkdev_bytes.h — reads of any byte offset and length over a device that
 * only moves whole sectors into whole, grantable pages.
 *
 * A block frontend's zero-copy path grants the caller's memory to the
 * backend page by page, so the memory must start on a page boundary and
 * the length must be whole sectors.  Byte-oriented readers (tarfs) must
 * never have to know that.  This adapter keeps a small cache of pages
 * obtained from the device itself, reads whole sectors into it, and copies
 * the bytes asked for; the caller's buffer is never handed to the device.
 *
 * Compile-time switch BLKDEV_BYTES_SEED_BUG (test builds only): read into
 * the cache at a sector offset inside its first page instead of its start,
 * which is what the tar reader of the original Qubes report did.  A
 * faithful device refuses that buffer; tests use the switch to prove the
 * refusal and its diagnosis.
 *
 * Portable: includes only os.h.
 */
#ifndef SPLITBED_BLKDEV_BYTES_H
#define SPLITBED_BLKDEV_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "os.h"

struct blkdev_sectors {
    void *ctx;
    uint64_t sectors;     /* capacity in 512-byte units */
    uint32_t sector_size; /* logical block size: reads are whole ones */
    size_t max_io;        /* most bytes one read may move (whole pages) */
    /* Reads len bytes (a multiple of sector_size) starting at 512-byte
     * sector `sector` into buf, which comes from alloc_pages (plus the
     * offset the seed-bug build adds).  0 or negative OS_E*. */
    int (*read)(void *ctx, uint64_t sector, void *buf, size_t len);
    /* Page-aligned memory the device can use without copying. */
    void *(*alloc_pages)(void *ctx, unsigned npages);
    void (*free_pages)(void *ctx, void *va, unsigned npages);
};

struct blkdev_bytes;

/* NULL when out of memory or when the geometry makes no sense (sector
 * size not a power of two between 512 and a page, max_io below a page). */
struct blkdev_bytes *blkdev_bytes_open(struct os *os, const struct blkdev_sectors *dev);
void blkdev_bytes_close(struct blkdev_bytes *b);

uint64_t blkdev_bytes_size(const struct blkdev_bytes *b);

/* Reads len bytes at byte offset `offset` into buf (any alignment).
 * The signature matches struct tarfs_dev's read: pass the blkdev_bytes as
 * its ctx.  0, -OS_EINVAL past the end, or the device's error. */
int blkdev_bytes_read(void *b, uint64_t offset, void *buf, size_t len);

/* Lends the bytes at `offset` without copying them: *p points at up to
 * len of them inside the cache (the return value says how many, at least
 * one when len > 0), valid until the next call on `b`.  0 for len 0,
 * -OS_EINVAL past the end, or the device's error. */
long blkdev_bytes_peek(struct blkdev_bytes *b, uint64_t offset, size_t len, const void **p);

/* Device reads issued so far (for tests and benchmarks). */
uint64_t blkdev_bytes_device_reads(const struct blkdev_bytes *b);

#endif
