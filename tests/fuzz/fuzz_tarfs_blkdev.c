/*
 * fuzz_tarfs_blkdev.c — libFuzzer target: the tar reader over the
 * byte-to-sector adapter (blkdev_bytes) over a whole-sector device that
 * enforces what blkfront's zero-copy grant path enforces (the buffer
 * starts a page, whole sectors, at most one request).  The archive sits
 * at an awkward offset on the disk, so headers and member data fall
 * across sector and page boundaries.
 *
 * Input: [0] bits 0..2 choose the archive's offset on the disk, bit 3 a
 * 4096-byte sector; the rest is the archive.  The adapter must never
 * hand the device a read it refuses: a refusal is a crash naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/test_tarfs_host.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct window {
    struct blkdev_bytes *bb;
    uint64_t base;
};

static int window_read(void *ctx, uint64_t offset, void *buf, size_t len)
{
    struct window *w = ctx;
    return blkdev_bytes_read(w->bb, w->base + offset, buf, len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const uint64_t bases[] = { 0, 1, 511, 512, 513, 4095, 4097, 8191 };
    static uint8_t disk[1 << 20], buf[4096];
    if (size < 1 || size - 1 > sizeof disk - 8192 - 4096)
        return 0;
    uint64_t base = bases[data[0] & 7];
    uint32_t ss = (data[0] & 8) ? 4096 : 512;
    size_t archive = size - 1;
    uint64_t total = (base + archive + ss - 1) / ss * ss;
    if (total == 0)
        total = ss;
    memset(disk, 0x5a, base);
    memcpy(disk + base, data + 1, archive);
    memset(disk + base + archive, 0, total - base - archive);

    struct sectordev sd;
    struct blkdev_sectors bs;
    sectordev_init(&sd, disk, total / 512, ss, &bs);
    struct window w = { .bb = blkdev_bytes_open(NULL, &bs), .base = base };
    if (!w.bb)
        abort();
    struct tarfs_dev dev = { .ctx = &w, .size_bytes = archive, .read = window_read };
    struct tarfs *t = tarfs_open(NULL, &dev);
    if (t) {
        struct tarfs_entry e;
        int members = 0;
        while (tarfs_next(t, &e) == 1 && members++ < 1000) {
            if (e.type != TARFS_FILE)
                continue;
            struct tarfs_file *f;
            if (tarfs_file_from_entry(t, &e, &f) != 0)
                continue;
            tarfs_file_read(f, 0, buf, sizeof buf);
            if (e.size > 3)
                tarfs_file_read(f, e.size - 3, buf, sizeof buf);
            tarfs_file_close(f);
        }
        tarfs_close(t);
    }
    blkdev_bytes_close(w.bb);
    if (sd.refused) {
        fprintf(stderr, "fuzz_tarfs_blkdev: the device refused %llu of %llu reads: %s\n",
                (unsigned long long)sd.refused, (unsigned long long)sd.reads, sd.diagnosis);
        abort();
    }
    return 0;
}
