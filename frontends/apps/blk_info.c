/*
 * blk-info — connects to a virtual disk and prints what was negotiated,
 * one "key: value" per line.
 */
#include "blk_opts.h"

static const char prog[] = "blk-info";

static void out(struct os *os, const char *key, unsigned long long v)
{
    char line[96];
    int n = os_snprintf(line, sizeof(line), "%s: %llu\n", key, v);
    os_console_write(os, line, (size_t)n);
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blk_app_opts o;
    blk_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        int r = blk_opts_parse(os, prog, argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r == 0) {
            blk_app_error(os, prog, "unknown argument '%s'; usage: blk-info %s", argv[i], BLK_OPTS_USAGE);
            return 2;
        }
    }
    struct blkfront *bf;
    int r = blkfront_open_sync_opts(os, o.vdev, &o.fe, &bf);
    if (r < 0) {
        blk_app_error(os, prog, "cannot connect to %s (error %d)", o.vdev, -r);
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
    blkfront_close(bf);
    return 0;
}
