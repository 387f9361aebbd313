/*
 * tar_disk.h — what tar-ls and tar-cat share: a tar archive read from a
 * virtual disk through blkfront, its zero-copy pages and blkdev_bytes.
 */
#ifndef SPLITBED_TAR_DISK_H
#define SPLITBED_TAR_DISK_H

#include "blk_opts.h"
#include "blkdev_bytes.h"
#include "tarfs.h"

struct tar_disk {
    struct os *os;
    const char *prog, *vdev;
    struct blkfront *bf;
    struct blkdev_bytes *bytes;
    struct tarfs *tar;
};

/* Connects to the disk and opens the archive on it.  Returns 0, or the
 * exit status after printing one line. */
int tar_disk_open(struct os *os, const char *prog, const struct blk_app_opts *o,
                  struct tar_disk *d);
void tar_disk_close(struct tar_disk *d);

/* Prints the reader's error ("prog: vdev: offset N: problem") and returns
 * the exit status it deserves: 2 for a damaged archive, 1 when the disk
 * itself failed. */
int tar_disk_report(struct tar_disk *d, int rc);

/* Writes all of buf to the console; 0 or negative. */
int tar_disk_write(struct os *os, const void *buf, size_t len);

#endif
