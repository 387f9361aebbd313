/*
 * tar-ls — lists the tar archive on a virtual disk, one member a line:
 *   TYPE SIZE NAME[ -> TARGET]
 * TYPE is file, dir, symlink, hardlink, chardev, blockdev or fifo; SIZE
 * the bytes a reader of the member sees.  Members before a damaged point
 * are listed, then one line names the offset and the damage (exit 2).
 */
#include "tar_disk.h"

static const char prog[] = "tar-ls";

/* Output is gathered so that a long listing is a few console writes. */
struct out {
    struct os *os;
    char buf[8192];
    size_t len;
    int err;
};

static void put(struct out *o, const char *s, size_t n)
{
    if (o->err)
        return;
    if (o->len + n > sizeof o->buf) {
        o->err = tar_disk_write(o->os, o->buf, o->len);
        o->len = 0;
        if (n > sizeof o->buf) {
            if (!o->err)
                o->err = tar_disk_write(o->os, s, n);
            return;
        }
    }
    os_memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_str(struct out *o, const char *s)
{
    put(o, s, os_strlen(s));
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blk_app_opts opts;
    blk_opts_init(&opts);
    for (int i = 1; i < argc; i++) {
        int r = blk_opts_parse(os, prog, argc, argv, &i, &opts);
        if (r < 0)
            return 2;
        if (r == 0) {
            blk_app_error(os, prog, "unknown argument '%s'; usage: tar-ls %s", argv[i],
                          BLK_OPTS_USAGE);
            return 2;
        }
    }
    struct tar_disk d;
    int status = tar_disk_open(os, prog, &opts, &d);
    if (status)
        return status;

    struct out o = { .os = os };
    struct tarfs_entry e;
    int rc;
    while ((rc = tarfs_next(d.tar, &e)) == 1) {
        char size[32];
        os_snprintf(size, sizeof size, " %llu ", (unsigned long long)e.size);
        put_str(&o, tarfs_type_name(e.type));
        put_str(&o, size);
        put_str(&o, e.name);
        if (e.type == TARFS_SYMLINK || e.type == TARFS_HARDLINK) {
            put_str(&o, " -> ");
            put_str(&o, e.linkname);
        }
        put(&o, "\n", 1);
    }
    if (!o.err && o.len)
        o.err = tar_disk_write(os, o.buf, o.len);
    if (rc < 0)
        status = tar_disk_report(&d, rc);
    else if (o.err) {
        blk_app_error(os, prog, "cannot write the listing (error %d)", -o.err);
        status = 1;
    }
    tar_disk_close(&d);
    return status;
}
