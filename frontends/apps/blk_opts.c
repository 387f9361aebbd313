/* blk_opts.c — parsing the block apps' shared options. */
#include "blk_opts.h"

void blk_app_error(struct os *os, const char *prog, const char *fmt, ...)
{
    char msg[320];
    va_list ap;
    va_start(ap, fmt);
    os_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    os_log(os, OS_LOG_ERROR, "%s: %s", prog, msg);
}

void blk_opts_init(struct blk_app_opts *o)
{
    o->vdev = "xvda";
    blkfront_default_opts(&o->fe);
}

int blk_opts_number(struct os *os, const char *prog, const char *opt, const char *v, uint64_t max,
                    uint64_t *out)
{
    if (!v) {
        blk_app_error(os, prog, "%s needs a value", opt);
        return -1;
    }
    if (os_parse_u64(v, out) < 0 || *out > max) {
        blk_app_error(os, prog, "%s '%s' is not a number from 0 to %llu", opt, v,
                      (unsigned long long)max);
        return -1;
    }
    return 0;
}

int blk_opts_parse(struct os *os, const char *prog, int argc, char **argv, int *i,
                   struct blk_app_opts *o)
{
    const char *a = argv[*i];
    const char *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    uint64_t n;
    if (os_strcmp(a, "--vdev") == 0) {
        uint32_t id;
        if (!v || blkfront_parse_vdev(v, &id) < 0) {
            blk_app_error(os, prog, "--vdev '%s' is not xvdX or a device number", v ? v : "");
            return -1;
        }
        o->vdev = v;
        (*i)++;
        return 1;
    }
    if (os_strcmp(a, "--max-ring-order") == 0) {
        if (blk_opts_number(os, prog, a, v, 4, &n) < 0)
            return -1;
        o->fe.max_ring_order = (unsigned)n;
        (*i)++;
        return 1;
    }
    if (os_strcmp(a, "--max-indirect") == 0) {
        if (blk_opts_number(os, prog, a, v, 4096, &n) < 0)
            return -1;
        o->fe.max_indirect = (unsigned)n;
        (*i)++;
        return 1;
    }
    if (os_strcmp(a, "--timeout") == 0) {
        if (blk_opts_number(os, prog, a, v, 3600, &n) < 0)
            return -1;
        o->fe.timeout_ns = (n ? n : 1) * 1000000000ull;
        (*i)++;
        return 1;
    }
    if (os_strcmp(a, "--no-persistent") == 0) {
        o->fe.persistent = false;
        return 1;
    }
    if (os_strcmp(a, "--skip-initialised") == 0) {
        o->fe.skip_initialised = true;
        return 1;
    }
    if (os_strcmp(a, "--explicit-order0") == 0) {
        o->fe.explicit_order0 = true;
        return 1;
    }
    if (os_strcmp(a, "--early-transport") == 0) {
        o->fe.early_transport = true;
        return 1;
    }
    return 0;
}
