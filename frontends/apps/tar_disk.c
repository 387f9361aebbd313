/*
 * tar_disk.c — a tar archive on a virtual disk (see tar_disk.h).
 *
 * blkdev_bytes reads whole sectors into pages blkfront shares with the
 * backend and hands them out by the byte, so every device read is a
 * zero-copy read of whole, page-aligned pages.
 */
#include "tar_disk.h"

/* The most one device read of blkdev_bytes asks for.  blkfront cuts it
 * into requests of blkfront_max_io() and keeps them all on the ring at
 * once, so a member streamed out costs one round trip per this many bytes
 * rather than one per request. */
#define TAR_DISK_READ_BYTES (1024u * 1024u)

static int read_sectors(void *ctx, uint64_t sector, void *buf, size_t len)
{
    return blkfront_read_zero_copy_sync(ctx, sector, buf, len);
}

static void *alloc_pages(void *ctx, unsigned npages)
{
    return blkfront_buffer_alloc(ctx, npages);
}

static void free_pages(void *ctx, void *va, unsigned npages)
{
    blkfront_buffer_free(ctx, va, npages);
}

int tar_disk_open(struct os *os, const char *prog, const struct blk_app_opts *o, struct tar_disk *d)
{
    os_memset(d, 0, sizeof *d);
    d->os = os;
    d->prog = prog;
    d->vdev = o->vdev;
    int rc = blkfront_open_sync_opts(os, o->vdev, &o->fe, &d->bf);
    if (rc < 0) {
        blk_app_error(os, prog, "%s: cannot connect (error %d)", o->vdev, -rc);
        return 1;
    }
    const struct blkfront_info *in = blkfront_get_info(d->bf);
    struct blkdev_sectors s = {
        .ctx = d->bf,
        .sectors = in->sectors,
        .sector_size = in->sector_size,
        .max_io = TAR_DISK_READ_BYTES,
        .read = read_sectors,
        .alloc_pages = alloc_pages,
        .free_pages = free_pages,
    };
    d->bytes = blkdev_bytes_open(os, &s);
    if (!d->bytes) {
        blk_app_error(os, prog, "%s: cannot read a disk of %llu sectors of %u bytes", o->vdev,
                      (unsigned long long)in->sectors, in->sector_size);
        tar_disk_close(d);
        return 1;
    }
    struct tarfs_dev dev = {
        .ctx = d->bytes,
        .size_bytes = blkdev_bytes_size(d->bytes),
        .read = blkdev_bytes_read,
    };
    d->tar = tarfs_open(os, &dev);
    if (!d->tar) {
        blk_app_error(os, prog, "out of memory");
        tar_disk_close(d);
        return 1;
    }
    return 0;
}

void tar_disk_close(struct tar_disk *d)
{
    tarfs_close(d->tar);
    blkdev_bytes_close(d->bytes);
    if (d->bf)
        blkfront_close(d->bf);
    d->tar = NULL;
    d->bytes = NULL;
    d->bf = NULL;
}

int tar_disk_report(struct tar_disk *d, int rc)
{
    if (tarfs_error(d->tar)[0])
        blk_app_error(d->os, d->prog, "%s: %s", d->vdev, tarfs_error(d->tar));
    else
        blk_app_error(d->os, d->prog, "%s: reading the archive failed (error %d)", d->vdev, -rc);
    /* Damage in the archive is bad input; anything else is the disk. */
    return rc == -OS_EBADMSG || rc == -OS_E2BIG || rc == -OS_EOPNOTSUPP ? 2 : 1;
}

int tar_disk_write(struct os *os, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    while (len) {
        long n = os_console_write(os, p, len);
        if (n <= 0)
            return n < 0 ? (int)n : -OS_EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}
