/*
 * image.h — the disk a vbd serves: a raw image file or a block device.
 *
 * Offsets and lengths are bytes.  The size is read at open and again only
 * when bb_image_refresh() is called, so a request is checked against the
 * size the frontend was told (`sectors`), never a moving target.
 */
#ifndef SPLITBED_BLKBACK_IMAGE_H
#define SPLITBED_BLKBACK_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct bb_image;

/* Opens path read-only or read-write.  Returns 0 or -errno. */
int bb_image_open(const char *path, bool readonly, struct bb_image **out);
void bb_image_close(struct bb_image *img);

uint64_t bb_image_bytes(const struct bb_image *img);
bool bb_image_readonly(const struct bb_image *img);
/* Re-reads the size; returns 1 if it changed, 0 if not, -errno. */
int bb_image_refresh(struct bb_image *img);

/* Whole-length transfers: a short transfer is retried, an error or an
 * unexpected end of file is -errno (-EIO for EOF). */
int bb_image_readv(struct bb_image *img, const struct iovec *iov, int iovcnt, uint64_t off);
int bb_image_writev(struct bb_image *img, const struct iovec *iov, int iovcnt, uint64_t off);
/* Makes every completed write durable (fdatasync). */
int bb_image_flush(struct bb_image *img);
/* Deallocates a range so that it reads back as zeros. */
int bb_image_discard(struct bb_image *img, uint64_t off, uint64_t len);

#endif
