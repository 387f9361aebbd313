/*
 * blk-bench — block I/O figures through blkfront, one "key: value" per
 * line:
 *   seq-read-MiB/s      sequential 1 MiB reads (copy path)
 *   rand-read-4k-iops   4 KiB random reads, queue depth 32
 *   qd1-read-4k-us      mean latency of one 4 KiB read at a time
 *
 *   blk-bench [options] [--seconds N] [--zero-copy] [--qd1-reads N]
 * Each phase runs for N seconds (default 1); --zero-copy reads into
 * blkfront's own shared pages instead of copying.  --qd1-reads N runs
 * only the QD1 phase, for exactly N reads: a fixed amount of work whose
 * system calls can be counted per request.
 */
#include "blk_opts.h"

static const char prog[] = "blk-bench";

#define SEQ_LEN (1024u * 1024u)
#define QD 32u

static void out(struct os *os, const char *key, unsigned long long whole, unsigned frac)
{
    char line[96];
    int n = os_snprintf(line, sizeof(line), "%s: %llu.%02u\n", key, whole, frac);
    os_console_write(os, line, (size_t)n);
}

static void out_ratio(struct os *os, const char *key, uint64_t num, uint64_t den)
{
    if (!den)
        den = 1;
    uint64_t x100 = num * 100 / den;
    out(os, key, x100 / 100, (unsigned)(x100 % 100));
}

struct rnd_io {
    struct blkfront_io io;
    bool busy;
    unsigned *done;
    int *err;
};

static void rnd_done(struct blkfront_io *io, int status)
{
    struct rnd_io *r = (struct rnd_io *)io;
    r->busy = false;
    (*r->done)++;
    if (status < 0 && *r->err == 0)
        *r->err = status;
}

static uint64_t next_rand(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return *s >> 17;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blk_app_opts o;
    blk_opts_init(&o);
    uint64_t seconds = 1, qd1_reads = 0;
    bool zero_copy = false;
    for (int i = 1; i < argc; i++) {
        int r = blk_opts_parse(os, prog, argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        if (os_strcmp(argv[i], "--seconds") == 0) {
            if (blk_opts_number(os, prog, argv[i], i + 1 < argc ? argv[i + 1] : NULL, 600,
                                &seconds) < 0)
                return 2;
            if (!seconds)
                seconds = 1;
            i++;
        } else if (os_strcmp(argv[i], "--qd1-reads") == 0) {
            if (blk_opts_number(os, prog, argv[i], i + 1 < argc ? argv[i + 1] : NULL, 100000000,
                                &qd1_reads) < 0)
                return 2;
            i++;
        } else if (os_strcmp(argv[i], "--zero-copy") == 0) {
            zero_copy = true;
        } else {
            blk_app_error(os, prog,
                          "unknown argument '%s'; usage: blk-bench %s [--seconds N] [--zero-copy] "
                          "[--qd1-reads N]",
                          argv[i], BLK_OPTS_USAGE);
            return 2;
        }
    }
    struct blkfront *bf;
    int e = blkfront_open_sync_opts(os, o.vdev, &o.fe, &bf);
    if (e < 0) {
        /* blkfront said why, in one line */
        return 1;
    }
    const struct blkfront_info *in = blkfront_get_info(bf);
    uint64_t disk = in->sectors * 512;
    int rc = 0;
    uint64_t phase_ns = seconds * 1000000000ull;
    uint8_t *buf =
        zero_copy ? blkfront_buffer_alloc(bf, SEQ_LEN / 4096) : os_pages_alloc(os, SEQ_LEN / 4096);
    if (!buf || disk < SEQ_LEN) {
        blk_app_error(os, prog, buf ? "the disk is smaller than 1 MiB" : "out of memory");
        rc = 1;
        goto out;
    }

    uint64_t seed = 42, blocks = disk / 4096, t0, t;
    if (qd1_reads)
        goto qd1;

    /* Sequential 1 MiB reads, wrapping at the end of the disk. */
    uint64_t bytes = 0, pos = 0;
    t0 = os_now_ns(os);
    do {
        if (pos + SEQ_LEN > disk)
            pos = 0;
        e = blkfront_read_sync(bf, pos / 512, buf, SEQ_LEN);
        if (e < 0)
            break;
        pos += SEQ_LEN;
        bytes += SEQ_LEN;
        t = os_now_ns(os);
    } while (t - t0 < phase_ns);
    if (e < 0) {
        blk_app_error(os, prog, "sequential read failed: error %d", -e);
        rc = 1;
        goto out;
    }
    out_ratio(os, "seq-read-MiB/s", bytes * 1000000000ull / (1024 * 1024), t - t0);

    /* 4 KiB random reads at queue depth 32. */
    struct rnd_io ios[QD];
    unsigned done = 0;
    int err = 0;
    os_memset(ios, 0, sizeof(ios));
    t0 = os_now_ns(os);
    for (;;) {
        t = os_now_ns(os);
        bool more = t - t0 < phase_ns && err == 0;
        unsigned busy = 0;
        for (unsigned i = 0; i < QD; i++) {
            if (!ios[i].busy && more) {
                ios[i].io = (struct blkfront_io){
                    .op = BLKFRONT_READ,
                    .sector = next_rand(&seed) % blocks * 8,
                    .buf = buf + i * 4096,
                    .len = 4096,
                    .done = rnd_done,
                };
                ios[i].done = &done;
                ios[i].err = &err;
                ios[i].busy = true;
                if (blkfront_submit(bf, &ios[i].io) < 0) {
                    ios[i].busy = false;
                    err = -OS_EIO;
                }
            }
            busy += ios[i].busy;
        }
        if (!busy)
            break;
        int r = blkfront_poll(bf);
        if (r < 0) {
            err = r;
            break;
        }
        if (r == 0 && os_wait(os, os_now_ns(os) + 1000000000ull) < 0)
            break;
    }
    t = os_now_ns(os);
    if (err < 0) {
        blk_app_error(os, prog, "random read failed: error %d", -err);
        rc = 1;
        goto out;
    }
    out_ratio(os, "rand-read-4k-iops", (uint64_t)done * 1000000000ull, t - t0);

qd1:
    /* One 4 KiB read at a time, for the phase's time or qd1_reads reads. */
    t0 = os_now_ns(os);
    uint64_t n = 0;
    do {
        e = blkfront_read_sync(bf, next_rand(&seed) % blocks * 8, buf, 4096);
        if (e < 0)
            break;
        n++;
        t = os_now_ns(os);
    } while (qd1_reads ? n < qd1_reads : t - t0 < phase_ns);
    if (e < 0) {
        blk_app_error(os, prog, "read failed: error %d", -e);
        rc = 1;
        goto out;
    }
    out_ratio(os, "qd1-read-4k-us", (t - t0) / 1000, n);
out:
    if (buf && zero_copy)
        blkfront_buffer_free(bf, buf, SEQ_LEN / 4096);
    else if (buf)
        os_pages_free(os, buf, SEQ_LEN / 4096);
    blkfront_close(bf);
    return rc;
}
