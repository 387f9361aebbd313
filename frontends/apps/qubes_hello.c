/*
 * qubes-hello [BLK OPTIONS] [PATH] — what the MirageOS unikernel of the
 * report this project started from did on Qubes: read its configuration
 * from dom0's QubesDB over vchan, list it, then read a file (hello.txt by
 * default) from the tar archive that is its disk, through blkfront, and
 * write it to standard output.
 *
 * Log (stderr): "[qubes.db] connecting to server...", "[qubes.db]
 * connected", blkfront's negotiation, then "[unikernel] QubesDB =" and
 * one tab-indented "PATH = VALUE" line per entry.  Output (stdout): the
 * file.  Exit 0, 1 when QubesDB or the disk fails, 2 on bad usage or a
 * missing member.
 */
#include "qubesdb.h"
#include "tar_disk.h"

static const char prog[] = "qubes-hello";
#define QUBESDB_WAIT_NS (30ull * 1000000000ull)
#define CHUNK 65536u

struct listing {
    struct os *os;
};

static void show(void *ctx, const char *path, const char *value)
{
    struct listing *l = ctx;
    if (value[0])
        os_log(l->os, OS_LOG_INFO, "\t%s = %s", path, value);
    else
        os_log(l->os, OS_LOG_INFO, "\t%s =", path);
}

static int cat(struct tar_disk *d, const char *path)
{
    struct tarfs_file *f = NULL;
    int rc = tarfs_lookup(d->tar, path, &f);
    if (rc == -OS_ENOENT) {
        blk_app_error(d->os, prog, "%s: no member named '%s' in the archive", d->vdev, path);
        return 2;
    }
    if (rc < 0 || !f)
        return rc == -OS_EISDIR || rc == -OS_EINVAL ? 2 : tar_disk_report(d, rc);
    uint8_t *buf = os_malloc(d->os, CHUNK);
    int status = buf ? 0 : 1;
    uint64_t size = tarfs_file_size(f);
    for (uint64_t off = 0; off < size && status == 0;) {
        long n = tarfs_file_read(f, off, buf, CHUNK);
        if (n <= 0) {
            blk_app_error(d->os, prog, "%s: reading '%s' at byte %llu failed (error %ld)", d->vdev,
                          path, (unsigned long long)off, -n);
            status = 1;
            break;
        }
        if (tar_disk_write(d->os, buf, (size_t)n) < 0)
            status = 1;
        off += (uint64_t)n;
    }
    os_free(d->os, buf);
    tarfs_file_close(f);
    return status;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blk_app_opts opts;
    const char *path = NULL;
    blk_opts_init(&opts);
    for (int i = 1; i < argc; i++) {
        int r = blk_opts_parse(os, prog, argc, argv, &i, &opts);
        if (r < 0)
            return 2;
        if (r == 1)
            continue;
        if (path || (argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2])) {
            blk_app_error(os, prog, "unexpected argument '%s'; usage: qubes-hello %s [PATH]",
                          argv[i], BLK_OPTS_USAGE);
            return 2;
        }
        path = argv[i];
    }
    if (!path)
        path = "hello.txt";

    struct qubesdb *db;
    int r = qubesdb_open_sync(os, 0, os_now_ns(os) + QUBESDB_WAIT_NS, &db);
    if (r < 0) {
        blk_app_error(os, prog, "no QubesDB from dom0 (error %d)", -r);
        return 1;
    }
    struct tar_disk d;
    int status = tar_disk_open(os, prog, &opts, &d);
    if (status) {
        qubesdb_close(db);
        return status;
    }
    struct listing l = { .os = os };
    os_log(os, OS_LOG_INFO, "[unikernel] QubesDB =");
    qubesdb_multiread(db, "", show, &l);
    status = cat(&d, path);
    tar_disk_close(&d);
    qubesdb_close(db);
    return status;
}
