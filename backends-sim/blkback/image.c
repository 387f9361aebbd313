/*
 * image.c — raw image file or block device behind a vbd.
 */
#include "backends-sim/blkback/image.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

struct bb_image {
    int fd;
    bool readonly;
    bool blockdev;
    uint64_t bytes;
};

static int image_size(int fd, bool blockdev, uint64_t *bytes)
{
    if (blockdev) {
        uint64_t b;
        if (ioctl(fd, BLKGETSIZE64, &b) < 0)
            return -errno;
        *bytes = b;
        return 0;
    }
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    *bytes = (uint64_t)st.st_size;
    return 0;
}

int bb_image_open(const char *path, bool readonly, struct bb_image **out)
{
    int fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int e = -errno;
        close(fd);
        return e;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        close(fd);
        return -EINVAL;
    }
    struct bb_image *img = calloc(1, sizeof(*img));
    if (!img) {
        close(fd);
        return -ENOMEM;
    }
    img->fd = fd;
    img->readonly = readonly;
    img->blockdev = S_ISBLK(st.st_mode);
    int rc = image_size(fd, img->blockdev, &img->bytes);
    if (rc < 0) {
        bb_image_close(img);
        return rc;
    }
    *out = img;
    return 0;
}

void bb_image_close(struct bb_image *img)
{
    if (!img)
        return;
    close(img->fd);
    free(img);
}

uint64_t bb_image_bytes(const struct bb_image *img)
{
    return img->bytes;
}
bool bb_image_readonly(const struct bb_image *img)
{
    return img->readonly;
}

int bb_image_refresh(struct bb_image *img)
{
    uint64_t b;
    int rc = image_size(img->fd, img->blockdev, &b);
    if (rc < 0)
        return rc;
    if (b == img->bytes)
        return 0;
    img->bytes = b;
    return 1;
}

/* Advances an iovec array past n bytes, in place. */
static void iov_advance(struct iovec **iov, int *cnt, size_t n)
{
    while (n > 0 && *cnt > 0) {
        if (n < (*iov)->iov_len) {
            (*iov)->iov_base = (char *)(*iov)->iov_base + n;
            (*iov)->iov_len -= n;
            return;
        }
        n -= (*iov)->iov_len;
        (*iov)++;
        (*cnt)--;
    }
}

static int transfer(struct bb_image *img, const struct iovec *iov_in, int iovcnt, uint64_t off,
                    bool write)
{
    /* preadv/pwritev may stop short; work on a copy we can advance. */
    struct iovec stackv[16], *copy = stackv;
    if (iovcnt > (int)(sizeof(stackv) / sizeof(stackv[0]))) {
        copy = malloc(sizeof(*copy) * (size_t)iovcnt);
        if (!copy)
            return -ENOMEM;
    }
    memcpy(copy, iov_in, sizeof(*copy) * (size_t)iovcnt);
    struct iovec *iov = copy;
    int cnt = iovcnt, rc = 0;
    while (cnt > 0) {
        int n = cnt > IOV_MAX ? IOV_MAX : cnt;
        ssize_t done =
            write ? pwritev(img->fd, iov, n, (off_t)off) : preadv(img->fd, iov, n, (off_t)off);
        if (done < 0) {
            if (errno == EINTR)
                continue;
            rc = -errno;
            break;
        }
        if (done == 0) {
            rc = -EIO;
            break;
        }
        off += (uint64_t)done;
        iov_advance(&iov, &cnt, (size_t)done);
        while (cnt > 0 && iov->iov_len == 0) {
            iov++;
            cnt--;
        }
    }
    if (copy != stackv)
        free(copy);
    return rc;
}

int bb_image_readv(struct bb_image *img, const struct iovec *iov, int iovcnt, uint64_t off)
{
    return transfer(img, iov, iovcnt, off, false);
}

int bb_image_writev(struct bb_image *img, const struct iovec *iov, int iovcnt, uint64_t off)
{
    if (img->readonly)
        return -EROFS;
    return transfer(img, iov, iovcnt, off, true);
}

int bb_image_flush(struct bb_image *img)
{
    if (img->readonly)
        return 0;
    return fdatasync(img->fd) < 0 ? -errno : 0;
}

int bb_image_discard(struct bb_image *img, uint64_t off, uint64_t len)
{
    if (img->readonly)
        return -EROFS;
    if (len == 0)
        return 0;
    if (img->blockdev) {
        uint64_t range[2] = { off, len };
        return ioctl(img->fd, BLKDISCARD, range) < 0 ? -errno : 0;
    }
    if (fallocate(img->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len) < 0)
        return -errno;
    return 0;
}
