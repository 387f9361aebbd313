/*
 * test_tarfs_host.h — what the tar reader's tests and fuzzer need around
 * it: the few os.h functions tarfs and blkdev_bytes call, implemented over
 * libc, and in-memory devices.
 */
#ifndef SPLITBED_TEST_TARFS_HOST_H
#define SPLITBED_TEST_TARFS_HOST_H

#include <stddef.h>
#include <stdint.h>

#include "tarfs.h"
#include "blkdev_bytes.h"

/* An archive in memory, read through a struct tarfs_dev. */
struct memdev {
    const uint8_t *data;
    size_t size;
    uint64_t reads;
};
void memdev_init(struct memdev *m, const void *data, size_t size, struct tarfs_dev *dev);

/* A whole-sector device over memory that enforces what a zero-copy grant
 * path enforces: the buffer starts a page, the length is whole sectors
 * and at most max_io.  Breaking a rule fails the read with -OS_EINVAL and
 * records one line in `diagnosis`. */
struct sectordev {
    const uint8_t *data; /* sectors * 512 bytes */
    uint64_t sectors;
    uint32_t sector_size;
    size_t max_io;
    uint64_t reads, refused, bytes;
    char diagnosis[160];
};
void sectordev_init(struct sectordev *s, const void *data, uint64_t sectors, uint32_t sector_size,
                    struct blkdev_sectors *out);

/* Reads a whole file; aborts the test program if it cannot. */
uint8_t *read_file(const char *path, size_t *size);

/* The source tree (fixtures live under it). */
const char *source_dir(void);

#endif
