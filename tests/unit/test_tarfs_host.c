/*
 * test_tarfs_host.c — libc-backed os.h subset and in-memory devices for
 * the tar reader's tests and fuzzer (see test_tarfs_host.h).
 */
#include "test_tarfs_host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct os {
    int unused;
};

static int memdev_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
    struct memdev *m = ctx;
    if (offset > m->size || len > m->size - offset) {
        /* tarfs promised never to do this: make it loud. */
        fprintf(stderr, "memdev: read of %zu at %llu past %zu\n", len, (unsigned long long)offset,
                m->size);
        abort();
    }
    m->reads++;
    memcpy(buf, m->data + offset, len);
    return 0;
}

void memdev_init(struct memdev *m, const void *data, size_t size, struct tarfs_dev *dev)
{
    m->data = data;
    m->size = size;
    m->reads = 0;
    dev->ctx = m;
    dev->size_bytes = size;
    dev->read = memdev_read;
}

static int sectordev_read(void *ctx, uint64_t sector, void *buf, size_t len)
{
    struct sectordev *s = ctx;
    s->reads++;
    if ((uintptr_t)buf % OS_PAGE_SIZE) {
        snprintf(s->diagnosis, sizeof s->diagnosis, "buffer %p is not the first byte of a page",
                 buf);
        s->refused++;
        return -OS_EINVAL;
    }
    if (len == 0 || len % s->sector_size || len > s->max_io || (sector * 512) % s->sector_size ||
        sector > s->sectors || len / 512 > s->sectors - sector) {
        snprintf(s->diagnosis, sizeof s->diagnosis,
                 "read of %zu bytes at sector %llu breaks the geometry", len,
                 (unsigned long long)sector);
        s->refused++;
        return -OS_EINVAL;
    }
    memcpy(buf, s->data + sector * 512, len);
    s->bytes += len;
    return 0;
}

static void *sectordev_alloc(void *ctx, unsigned npages)
{
    return os_pages_alloc(NULL, npages);
}
static void sectordev_free(void *ctx, void *va, unsigned npages)
{
    os_pages_free(NULL, va, npages);
}

void sectordev_init(struct sectordev *s, const void *data, uint64_t sectors, uint32_t sector_size,
                    struct blkdev_sectors *out)
{
    memset(s, 0, sizeof *s);
    s->data = data;
    s->sectors = sectors;
    s->sector_size = sector_size;
    s->max_io = 11 * OS_PAGE_SIZE; /* one request without indirect segments */
    out->ctx = s;
    out->sectors = sectors;
    out->sector_size = sector_size;
    out->max_io = s->max_io;
    out->read = sectordev_read;
    out->alloc_pages = sectordev_alloc;
    out->free_pages = sectordev_free;
}

uint8_t *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        exit(2);
    }
    size_t cap = 65536, n = 0;
    uint8_t *p = malloc(cap);
    size_t got;
    while (p && (got = fread(p + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap)
            p = realloc(p, cap *= 2);
    }
    fclose(f);
    if (!p) {
        fprintf(stderr, "%s: out of memory\n", path);
        exit(2);
    }
    *size = n;
    return p;
}

#ifndef SPLITBED_SRCDIR_DEFAULT
#define SPLITBED_SRCDIR_DEFAULT "."
#endif

const char *source_dir(void)
{
    const char *d = getenv("SPLITBED_SRCDIR");
    return d && *d ? d : SPLITBED_SRCDIR_DEFAULT;
}
