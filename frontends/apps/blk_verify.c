/*
 * blk-verify — writes patterns to a virtual disk and reads them back,
 * across lengths (one block to several requests), disk positions (start,
 * middle, end) and buffer alignments (page-aligned down to odd bytes),
 * through the copying path, blkfront's own zero-copy buffers and the
 * explicit zero-copy path.  A read-only disk is only read, twice, through
 * differently aligned buffers that must agree.  If the backend offers
 * discard, 64 KiB at its first aligned place are discarded at the end.
 *
 *   blk-verify [options] [--seed N]              the matrix (default)
 *   blk-verify [options] --fill [--seed N] [--bytes N]
 *       writes the pattern over the disk in 1 MiB steps with a flush after
 *       each, printing "flushed: BYTES" once a flush completed
 *   blk-verify [options] --check [--seed N] [--bytes N]
 *       reads the disk and checks the --fill pattern
 *   blk-verify [options] --zero-copy-at OFFSET
 *       one zero-copy read of 4 KiB into a page blkfront shares, at OFFSET
 *       bytes into it: the host must refuse any OFFSET but 0
 *
 * Ends with one summary line; exit 0 all good, 1 a mismatch or I/O error,
 * 2 bad usage.
 */
#include "blk_opts.h"

static const char prog[] = "blk-verify";

#define FILL_STEP (1024u * 1024u)
/* The most a request without indirect segments carries (11 pages). */
#define DIRECT_MAX (11u * 4096u)

/* The pattern byte at disk byte offset pos: depends on the sector, the
 * place in the sector and the seed, so a misplaced block shows. */
static uint8_t pattern(uint64_t seed, uint64_t pos)
{
    uint64_t h = (pos >> 9) * 0x9e3779b97f4a7c15ull ^ seed * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    return (uint8_t)(h >> ((pos & 7) * 8)) ^ (uint8_t)(pos >> 3);
}

static void fill(uint8_t *buf, size_t len, uint64_t seed, uint64_t pos)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = pattern(seed, pos + i);
}

/* Index of the first byte that differs from the pattern, or len. */
static size_t check(const uint8_t *buf, size_t len, uint64_t seed, uint64_t pos)
{
    for (size_t i = 0; i < len; i++)
        if (buf[i] != pattern(seed, pos + i))
            return i;
    return len;
}

static void say(struct os *os, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct os *os, const char *fmt, ...)
{
    char line[320];
    va_list ap;
    va_start(ap, fmt);
    int n = os_vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line) - 1)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    os_console_write(os, line, (size_t)n);
}

struct run {
    struct os *os;
    struct blkfront *bf;
    const struct blkfront_info *in;
    const char *vdev;
    uint64_t seed;
    unsigned cases;
    uint64_t bytes;
};

static int report_io(struct run *r, const char *what, int err, uint64_t sector, size_t len,
                     size_t off)
{
    blk_app_error(r->os, prog,
                  "%s: %s of %zu bytes at sector %llu (buffer offset %zu) failed: error %d",
                  r->vdev, what, len, (unsigned long long)sector, off, -err);
    return 1;
}

/* One write/read-back case: wbuf/rbuf are the buffers to use as is. */
static int one_case(struct run *r, uint64_t sector, size_t len, uint8_t *wbuf, uint8_t *rbuf,
                    size_t woff, size_t roff, bool zero_copy)
{
    uint64_t pos = sector * 512;
    uint64_t seed = r->seed + r->cases;
    int e;
    if (r->in->readonly) {
        e = blkfront_read_sync(r->bf, sector, wbuf, len);
        if (e < 0)
            return report_io(r, "read", e, sector, len, woff);
        os_memset(rbuf, 0xa5, len);
        e = blkfront_read_sync(r->bf, sector, rbuf, len);
        if (e < 0)
            return report_io(r, "read", e, sector, len, roff);
        if (os_memcmp(wbuf, rbuf, len) != 0) {
            blk_app_error(
                r->os, prog,
                "%s: two reads of %zu bytes at sector %llu differ (buffer offsets %zu, %zu)",
                r->vdev, len, (unsigned long long)sector, woff, roff);
            return 1;
        }
    } else {
        fill(wbuf, len, seed, pos);
        e = zero_copy ? blkfront_write_zero_copy_sync(r->bf, sector, wbuf, len)
                      : blkfront_write_sync(r->bf, sector, wbuf, len);
        if (e < 0)
            return report_io(r, "write", e, sector, len, woff);
        os_memset(rbuf, 0xa5, len);
        e = zero_copy ? blkfront_read_zero_copy_sync(r->bf, sector, rbuf, len)
                      : blkfront_read_sync(r->bf, sector, rbuf, len);
        if (e < 0)
            return report_io(r, "read", e, sector, len, roff);
        size_t bad = check(rbuf, len, seed, pos);
        if (bad < len) {
            blk_app_error(r->os, prog,
                          "%s: mismatch at sector %llu byte %zu (write of %zu bytes at sector "
                          "%llu, buffer offsets %zu/%zu%s): wrote 0x%02x, read 0x%02x",
                          r->vdev, (unsigned long long)((pos + bad) / 512),
                          (size_t)((pos + bad) % 512), len, (unsigned long long)sector, woff, roff,
                          zero_copy ? ", zero copy" : "", pattern(seed, pos + bad), rbuf[bad]);
            return 1;
        }
    }
    r->cases++;
    r->bytes += len;
    return 0;
}

static int matrix(struct run *r)
{
    const struct blkfront_info *in = r->in;
    uint64_t ss = in->sector_size;
    uint64_t disk = in->sectors * 512;
    size_t maxio = blkfront_max_io(r->bf);
    size_t lens[] = {
        ss,
        2 * ss,
        3 * ss,
        4096,
        4096 + ss,
        8 * 4096 - ss,
        DIRECT_MAX,
        DIRECT_MAX + ss,
        maxio,
        maxio + ss,
        3 * maxio + 4096 + ss,
    };
    static const size_t offs[] = { 0, 1, 3, 511, 512, 2048, 4095, 4096 - 512 };
    const unsigned noffs = sizeof(offs) / sizeof(offs[0]);
    size_t biggest = 3 * maxio + 4096 + ss;
    unsigned pages = (unsigned)((biggest + 2 * 4096) / 4096);
    uint8_t *wmem = os_pages_alloc(r->os, pages), *rmem = os_pages_alloc(r->os, pages);
    if (!wmem || !rmem) {
        blk_app_error(r->os, prog, "out of memory for %u-page buffers", pages);
        return 1;
    }
    int rc = 0;
    unsigned k = 0;
    for (unsigned li = 0; li < sizeof(lens) / sizeof(lens[0]) && rc == 0; li++) {
        size_t len = lens[li];
        if (len % ss || len > disk)
            continue;
        uint64_t where[3] = { 0, (disk / 2 / ss) * ss / 512, (disk - len) / 512 };
        for (unsigned wi = 0; wi < 3 && rc == 0; wi++, k++) {
            size_t wo = offs[k % noffs], ro = offs[(k + 3) % noffs];
            rc = one_case(r, where[wi], len, wmem + wo, rmem + ro, wo, ro, false);
        }
    }
    os_pages_free(r->os, wmem, pages);
    os_pages_free(r->os, rmem, pages);
    if (rc)
        return rc;

    /* blkfront's own shared buffers: no copy, sector offsets in the page. */
    unsigned zpages = (unsigned)(maxio / 4096) + 1;
    uint8_t *zw = blkfront_buffer_alloc(r->bf, zpages), *zr = blkfront_buffer_alloc(r->bf, zpages);
    if (!zw || !zr) {
        blk_app_error(r->os, prog, "cannot get %u shared pages from blkfront", zpages);
        return 1;
    }
    size_t zlen = maxio - 4096;
    zlen -= zlen % ss;
    if (zlen && zlen <= disk) {
        rc =
            one_case(r, 0, zlen, zw + 512 * (ss == 512), zr + 1024 * (ss == 512), 512, 1024, false);
        if (rc == 0)
            rc = one_case(r, (disk - zlen) / 512, zlen, zw, zr, 0, 0, true);
    }
    blkfront_buffer_free(r->bf, zw, zpages);
    blkfront_buffer_free(r->bf, zr, zpages);
    if (rc)
        return rc;
    if (!in->readonly) {
        int e = blkfront_flush_sync(r->bf);
        if (e < 0)
            return report_io(r, "flush", e, 0, 0, 0);
    }
    char discarded[64] = "";
    if (in->discard && !in->readonly) {
        /* 64 KiB (or one granule) at the first place the backend's
         * granularity and alignment allow. */
        uint64_t g = in->discard_granularity > 512 ? in->discard_granularity : 512;
        uint64_t n = g > 65536 ? g : 65536, at = in->discard_alignment % g;
        if (at % in->sector_size == 0 && at + n <= disk) {
            int e = blkfront_discard_sync(r->bf, at / 512, n / 512, false);
            if (e < 0)
                return report_io(r, "discard", e, at / 512, (size_t)n, 0);
            if (at)
                os_snprintf(discarded, sizeof(discarded), ", %llu KiB at byte %llu discarded",
                            (unsigned long long)(n / 1024), (unsigned long long)at);
            else
                os_snprintf(discarded, sizeof(discarded), ", first %llu KiB discarded",
                            (unsigned long long)(n / 1024));
        }
    }
    say(r->os,
        "blk-verify: %s: %u cases passed, %llu bytes %s (sector-size %u, ring order %u, indirect "
        "%u%s)",
        r->vdev, r->cases, (unsigned long long)r->bytes,
        in->readonly ? "read twice and compared" : "written and read back", in->sector_size,
        in->ring_order, in->max_indirect, discarded);
    return 0;
}

static int zero_copy_at(struct run *r, uint64_t offset)
{
    uint8_t *p = blkfront_buffer_alloc(r->bf, 2);
    if (!p) {
        blk_app_error(r->os, prog, "cannot get 2 shared pages from blkfront");
        return 1;
    }
    int e = blkfront_read_zero_copy_sync(r->bf, 0, p + offset, 4096);
    blkfront_buffer_free(r->bf, p, 2);
    if (e < 0)
        return 1; /* the host said why */
    say(r->os, "blk-verify: %s: zero-copy read into a shared page at offset %llu", r->vdev,
        (unsigned long long)offset);
    return 0;
}

static int fill_disk(struct run *r, uint64_t bytes)
{
    uint8_t *buf = os_pages_alloc(r->os, FILL_STEP / 4096);
    if (!buf) {
        blk_app_error(r->os, prog, "out of memory");
        return 1;
    }
    int rc = 0;
    for (uint64_t pos = 0; pos < bytes && rc == 0; pos += FILL_STEP) {
        size_t n = bytes - pos < FILL_STEP ? (size_t)(bytes - pos) : FILL_STEP;
        fill(buf, n, r->seed, pos);
        int e = blkfront_write_sync(r->bf, pos / 512, buf, n);
        if (e < 0) {
            rc = report_io(r, "write", e, pos / 512, n, 0);
            break;
        }
        e = blkfront_flush_sync(r->bf);
        if (e < 0) {
            rc = report_io(r, "flush", e, 0, 0, 0);
            break;
        }
        say(r->os, "flushed: %llu", (unsigned long long)(pos + n));
    }
    os_pages_free(r->os, buf, FILL_STEP / 4096);
    if (rc == 0)
        say(r->os, "blk-verify: %s: filled %llu bytes with pattern %llu", r->vdev,
            (unsigned long long)bytes, (unsigned long long)r->seed);
    return rc;
}

static int check_disk(struct run *r, uint64_t bytes)
{
    uint8_t *buf = os_pages_alloc(r->os, FILL_STEP / 4096);
    if (!buf) {
        blk_app_error(r->os, prog, "out of memory");
        return 1;
    }
    int rc = 0;
    for (uint64_t pos = 0; pos < bytes && rc == 0; pos += FILL_STEP) {
        size_t n = bytes - pos < FILL_STEP ? (size_t)(bytes - pos) : FILL_STEP;
        int e = blkfront_read_sync(r->bf, pos / 512, buf, n);
        if (e < 0) {
            rc = report_io(r, "read", e, pos / 512, n, 0);
            break;
        }
        size_t bad = check(buf, n, r->seed, pos);
        if (bad < n) {
            blk_app_error(r->os, prog, "%s: byte %llu is 0x%02x, pattern %llu says 0x%02x", r->vdev,
                          (unsigned long long)(pos + bad), buf[bad], (unsigned long long)r->seed,
                          pattern(r->seed, pos + bad));
            rc = 1;
        }
    }
    os_pages_free(r->os, buf, FILL_STEP / 4096);
    if (rc == 0)
        say(r->os, "blk-verify: %s: %llu bytes match pattern %llu", r->vdev,
            (unsigned long long)bytes, (unsigned long long)r->seed);
    return rc;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct blk_app_opts o;
    blk_opts_init(&o);
    uint64_t seed = 1, bytes = 0;
    bool do_fill = false, do_check = false, do_zc = false;
    uint64_t zc_offset = 0;
    for (int i = 1; i < argc; i++) {
        int r = blk_opts_parse(os, prog, argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r > 0)
            continue;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (os_strcmp(argv[i], "--seed") == 0) {
            if (blk_opts_number(os, prog, argv[i], v, UINT32_MAX, &seed) < 0)
                return 2;
            i++;
        } else if (os_strcmp(argv[i], "--bytes") == 0) {
            if (blk_opts_number(os, prog, argv[i], v, UINT64_MAX >> 10, &bytes) < 0)
                return 2;
            i++;
        } else if (os_strcmp(argv[i], "--zero-copy-at") == 0) {
            if (blk_opts_number(os, prog, argv[i], v, 4096, &zc_offset) < 0)
                return 2;
            do_zc = true;
            i++;
        } else if (os_strcmp(argv[i], "--fill") == 0) {
            do_fill = true;
        } else if (os_strcmp(argv[i], "--check") == 0) {
            do_check = true;
        } else {
            blk_app_error(os, prog,
                          "unknown argument '%s'; usage: blk-verify %s [--seed N] [--fill|--check] "
                          "[--bytes N] [--zero-copy-at OFFSET]",
                          argv[i], BLK_OPTS_USAGE);
            return 2;
        }
    }
    if (do_fill && do_check) {
        blk_app_error(os, prog, "--fill and --check are separate runs");
        return 2;
    }
    struct run r = { .os = os, .vdev = o.vdev, .seed = seed };
    int e = blkfront_open_sync_opts(os, o.vdev, &o.fe, &r.bf);
    if (e < 0) {
        /* blkfront said why, in one line */
        return 1;
    }
    r.in = blkfront_get_info(r.bf);
    uint64_t disk = r.in->sectors * 512;
    if (bytes == 0 || bytes > disk)
        bytes = disk;
    bytes -= bytes % r.in->sector_size;
    int rc;
    if ((do_fill || do_check) && (do_fill && r.in->readonly)) {
        blk_app_error(os, prog, "%s is read-only; cannot --fill", o.vdev);
        rc = 1;
    } else if (do_zc) {
        rc = zero_copy_at(&r, zc_offset);
    } else if (do_fill) {
        rc = fill_disk(&r, bytes);
    } else if (do_check) {
        rc = check_disk(&r, bytes);
    } else {
        rc = matrix(&r);
    }
    blkfront_close(r.bf);
    return rc;
}
