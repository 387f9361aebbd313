/*
 * tar-cat [--sum] PATH — writes one member of the tar archive on a virtual
 * disk to standard output, byte for byte.  As in tar extraction, the last
 * member of that name wins and hard links are followed.  With --sum it
 * writes one line instead, "PATH: N bytes, fnv1a64 HHHHHHHHHHHHHHHH": a
 * large member checked inside a guest whose console is slow.
 */
#include "tar_disk.h"

static const char prog[] = "tar-cat";

#define ZEROS (64u * 1024u)

/* Streams the member from blkdev_bytes' cache pages to the console: no
 * copy on the way, zeros for the holes of sparse members. */
static int cat(struct tar_disk *d, struct tarfs_file *f, const char *path, bool sum)
{
    uint64_t size = tarfs_file_size(f), off = 0;
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a 64 offset basis */
    uint8_t *zeros = NULL;
    int status = 0;
    while (off < size && status == 0) {
        uint64_t dev;
        uint64_t run = tarfs_file_extent(f, off, &dev);
        const void *p;
        long n;
        if (dev == TARFS_HOLE) {
            if (!zeros && !(zeros = os_calloc(d->os, 1, ZEROS))) {
                blk_app_error(d->os, prog, "out of memory");
                return 1;
            }
            n = (long)(run < ZEROS ? run : ZEROS);
            p = zeros;
        } else {
            n = blkdev_bytes_peek(d->bytes, dev, run < ZEROS * 16 ? (size_t)run : ZEROS * 16, &p);
            if (n <= 0) {
                blk_app_error(d->os, prog, "%s: reading the member at byte %llu failed (error %ld)",
                              d->vdev, (unsigned long long)off, -n);
                status = 1;
                break;
            }
        }
        if (sum) {
            const uint8_t *b = p;
            for (long i = 0; i < n; i++)
                h = (h ^ b[i]) * 0x100000001b3ull;
        } else {
            int w = tar_disk_write(d->os, p, (size_t)n);
            if (w < 0) {
                blk_app_error(d->os, prog, "cannot write to standard output (error %d)", -w);
                status = 1;
            }
        }
        off += (uint64_t)n;
    }
    os_free(d->os, zeros);
    if (sum && status == 0) {
        char line[512];
        int len = os_snprintf(line, sizeof line, "%s: %llu bytes, fnv1a64 %016llx\n", path,
                              (unsigned long long)size, (unsigned long long)h);
        int w = tar_disk_write(d->os, line, len < (int)sizeof line ? (size_t)len : sizeof line - 1);
        if (w < 0) {
            blk_app_error(d->os, prog, "cannot write to standard output (error %d)", -w);
            status = 1;
        }
    }
    return status;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blk_app_opts opts;
    const char *path = NULL;
    bool sum = false;
    blk_opts_init(&opts);
    for (int i = 1; i < argc; i++) {
        if (!path && !os_strcmp(argv[i], "--sum")) {
            sum = true;
            continue;
        }
        int r = blk_opts_parse(os, prog, argc, argv, &i, &opts);
        if (r < 0)
            return 2;
        if (r == 1)
            continue;
        if (path || (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2])) {
            blk_app_error(os, prog, "unexpected argument '%s'; usage: tar-cat %s [--sum] PATH",
                          argv[i], BLK_OPTS_USAGE);
            return 2;
        }
        path = argv[i];
    }
    if (!path || !path[0]) {
        blk_app_error(os, prog, "no member named; usage: tar-cat %s [--sum] PATH", BLK_OPTS_USAGE);
        return 2;
    }
    struct tar_disk d;
    int status = tar_disk_open(os, prog, &opts, &d);
    if (status)
        return status;

    struct tarfs_file *f = NULL;
    int rc = tarfs_lookup(d.tar, path, &f);
    if (f)
        status = cat(&d, f, path, sum); /* found before any damage: tar writes it too */
    if (rc == -OS_ENOENT) {
        blk_app_error(os, prog, "%s: no member named '%s' in the archive", d.vdev, path);
        status = 2;
    } else if (rc == -OS_EISDIR) {
        blk_app_error(os, prog, "%s: '%s' is a directory", d.vdev, path);
        status = 2;
    } else if (rc == -OS_EINVAL && !tarfs_error(d.tar)[0]) {
        blk_app_error(os, prog, "%s: '%s' is a link, device or fifo, not file data", d.vdev, path);
        status = 2;
    } else if (rc < 0) {
        int s = tar_disk_report(&d, rc);
        if (!status)
            status = s;
    }
    tarfs_file_close(f);
    tar_disk_close(&d);
    return status;
}
