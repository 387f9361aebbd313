/*
 * blkdev_bytes.c — byte reads over whole-sector, whole-page device reads.
 *
 * One cache window of up to CACHE_BYTES (or the device's max_io if less),
 * always filled with a single device read that starts on a sector
 * boundary.  A read that continues
 * where the window ended (a member streamed out) fills the whole window;
 * any other miss (a tar scan jumping from header to header over member
 * data) fills only the page or so it needs, so skipping a large member
 * does not read it.
 */
#include "blkdev_bytes.h"

#define CACHE_BYTES (1024u * 1024u)

struct blkdev_bytes {
    struct os *os;
    struct blkdev_sectors dev;
    uint64_t size;  /* bytes, whole logical sectors */
    uint8_t *pages; /* what alloc_pages gave */
    unsigned npages;
    uint8_t *cache; /* where device reads land */
    size_t cache_cap;
    uint64_t cached_off;
    size_t cached_len;
    uint64_t reads;
};

struct blkdev_bytes *blkdev_bytes_open(struct os *os, const struct blkdev_sectors *dev)
{
    uint32_t ss = dev->sector_size;
    if (ss < 512 || ss > OS_PAGE_SIZE || (ss & (ss - 1)) || dev->max_io < OS_PAGE_SIZE ||
        !dev->read || !dev->alloc_pages || !dev->free_pages)
        return NULL;
    if (dev->sectors > ~(uint64_t)0 / 512)
        return NULL;
    struct blkdev_bytes *b = os_calloc(os, 1, sizeof *b);
    if (!b)
        return NULL;
    b->os = os;
    b->dev = *dev;
    b->size = dev->sectors * 512 / ss * ss;
    b->cache_cap = dev->max_io < CACHE_BYTES ? dev->max_io : CACHE_BYTES;
    b->cache_cap -= b->cache_cap % OS_PAGE_SIZE;
    b->npages = (unsigned)(b->cache_cap / OS_PAGE_SIZE);
#ifdef BLKDEV_BYTES_SEED_BUG
    /* The reader of the Qubes report read into a slice of a page that
     * started one sector in.  Keep the slice the same size. */
    b->npages++;
#endif
    b->pages = dev->alloc_pages(dev->ctx, b->npages);
    if (!b->pages) {
        os_free(os, b);
        return NULL;
    }
#ifdef BLKDEV_BYTES_SEED_BUG
    b->cache = b->pages + 512;
#else
    b->cache = b->pages;
#endif
    return b;
}

void blkdev_bytes_close(struct blkdev_bytes *b)
{
    if (!b)
        return;
    b->dev.free_pages(b->dev.ctx, b->pages, b->npages);
    os_free(b->os, b);
}

uint64_t blkdev_bytes_size(const struct blkdev_bytes *b)
{
    return b->size;
}

uint64_t blkdev_bytes_device_reads(const struct blkdev_bytes *b)
{
    return b->reads;
}

/* Loads a window starting at the sector holding byte `off`, big enough
 * for the `want` bytes from there (or the whole window when reading on
 * sequentially). */
static int fill(struct blkdev_bytes *b, uint64_t off, size_t want)
{
    uint64_t ss = b->dev.sector_size;
    uint64_t start = off - off % ss;
    uint64_t left = b->size - start;
    bool sequential = b->cached_len && off == b->cached_off + b->cached_len;
    uint64_t need = off - start + want;
    need = (need + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE * OS_PAGE_SIZE;
    size_t n = sequential || need > b->cache_cap ? b->cache_cap : (size_t)need;
    if (n > left)
        n = (size_t)left;
    b->cached_len = 0; /* a failed read leaves nothing cached */
    b->reads++;
    int rc = b->dev.read(b->dev.ctx, start / 512, b->cache, n);
    if (rc < 0)
        return rc;
    b->cached_off = start;
    b->cached_len = n;
    return 0;
}

long blkdev_bytes_peek(struct blkdev_bytes *b, uint64_t offset, size_t len, const void **p)
{
    if (offset > b->size || len > b->size - offset)
        return -OS_EINVAL;
    if (!len)
        return 0;
    if (offset < b->cached_off || offset - b->cached_off >= b->cached_len) {
        int rc = fill(b, offset, len);
        if (rc < 0)
            return rc;
    }
    size_t in = (size_t)(offset - b->cached_off);
    size_t n = b->cached_len - in;
    *p = b->cache + in;
    return (long)(n < len ? n : len);
}

int blkdev_bytes_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
    struct blkdev_bytes *b = ctx;
    uint8_t *out = buf;
    if (offset > b->size || len > b->size - offset)
        return -OS_EINVAL;
    while (len) {
        if (offset < b->cached_off || offset - b->cached_off >= b->cached_len) {
            int rc = fill(b, offset, len);
            if (rc < 0)
                return rc;
        }
        size_t in = (size_t)(offset - b->cached_off);
        size_t n = b->cached_len - in;
        if (n > len)
            n = len;
        os_memcpy(out, b->cache + in, n);
        out += n;
        offset += n;
        len -= n;
    }
    return 0;
}
