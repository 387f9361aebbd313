/*
 * blk-info — connects to a virtual disk and prints what was negotiated,
 * one "key: value" per line.
 *
 * --wait-resize: then keeps reading sector 0 until the backend announces
 * a new capacity, and prints "resized-sectors: N" (exit 1 if none comes
 * within the timeout).
 */
#include "blk_opts.h"

static const char prog[] = "blk-info";

static void out(struct os *os, const char *key, unsigned long long v)
{
    char line[96];
    int n = os_snprintf(line, sizeof(line), "%s: %llu\n", key, v);
    os_console_write(os, line, (size_t)n);
}

/* I/O is what makes a backend look at its image again. */
static int await_resize(struct os *os, struct blkfront *bf, uint64_t timeout_ns)
{
    const struct blkfront_info *in = blkfront_get_info(bf);
    uint64_t before = in->sectors, deadline = os_now_ns(os) + timeout_ns;
    uint8_t *page = os_pages_alloc(os, 1);
    if (!page)
        return 1;
    while (in->sectors == before && os_now_ns(os) < deadline) {
        if (blkfront_read_sync(bf, 0, page, in->sector_size) < 0)
            break;
        if (blkfront_poll(bf) < 0)
            break;
        if (in->sectors == before)
            (void)os_wait(os, os_now_ns(os) + 20000000ull);
    }
    os_pages_free(os, page, 1);
    if (in->sectors == before) {
        blk_app_error(os, prog, "no new capacity announced");
        return 1;
    }
    out(os, "resized-sectors", in->sectors);
    return 0;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blk_app_opts o;
    blk_opts_init(&o);
    bool wait_resize = false;
    for (int i = 1; i < argc; i++) {
        int r = blk_opts_parse(os, prog, argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r == 0 && os_strcmp(argv[i], "--wait-resize") == 0) {
            wait_resize = true;
            continue;
        }
        if (r == 0) {
            blk_app_error(os, prog, "unknown argument '%s'; usage: blk-info %s", argv[i],
                          BLK_OPTS_USAGE);
            return 2;
        }
    }
    struct blkfront *bf;
    int r = blkfront_open_sync_opts(os, o.vdev, &o.fe, &bf);
    if (r < 0) {
        /* blkfront said why, in one line */
        return 1;
    }
    const struct blkfront_info *in = blkfront_get_info(bf);
    out(os, "vdev", in->vdev);
    out(os, "backend-id", in->backend_id);
    out(os, "sectors", in->sectors);
    out(os, "bytes", in->sectors * 512);
    out(os, "sector-size", in->sector_size);
    out(os, "physical-sector-size", in->physical_sector_size);
    out(os, "readonly", in->readonly);
    out(os, "cdrom", in->cdrom);
    out(os, "removable", in->removable);
    out(os, "ring-order", in->ring_order);
    out(os, "ring-slots", in->ring_slots);
    out(os, "backend-max-ring-order", in->backend_max_ring_order);
    out(os, "max-indirect-segments", in->max_indirect);
    out(os, "backend-max-indirect-segments", in->backend_max_indirect);
    out(os, "max-segments", in->max_segments);
    out(os, "flush", in->flush);
    out(os, "barrier", in->barrier);
    out(os, "persistent", in->persistent);
    out(os, "discard", in->discard);
    out(os, "discard-secure", in->discard_secure);
    out(os, "discard-granularity", in->discard_granularity);
    out(os, "discard-alignment", in->discard_alignment);
    int rc = wait_resize ? await_resize(os, bf, o.fe.timeout_ns) : 0;
    blkfront_close(bf);
    return rc;
}
