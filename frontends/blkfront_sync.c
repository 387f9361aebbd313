/*
 * blkfront_sync.c — synchronous helpers: loops of submit, poll, os_wait.
 *
 * A large transfer is cut into requests of at most blkfront_max_io()
 * bytes, up to SYNC_DEPTH of them on the ring at once.  If nothing at all
 * completes for opts.timeout_ns, the device is failed rather than left
 * holding I/O that points into the caller's stack.
 */
#include "blkfront_priv.h"

#define SYNC_DEPTH 32

struct sync_io {
    struct blkfront_io io; /* first: the completion finds us from it */
    bool busy;
    int *status;
    unsigned *busy_count;
};

static void sync_done(struct blkfront_io *io, int status)
{
    struct sync_io *s = (struct sync_io *)io;
    s->busy = false;
    (*s->busy_count)--;
    if (status < 0 && *s->status == 0)
        *s->status = status;
}

typedef bool (*sync_cond)(struct blkfront *bf, const void *arg);

/* Polls until cond holds; fails the device after a timeout without
 * progress. */
static int wait_until(struct blkfront *bf, sync_cond cond, const void *arg)
{
    uint64_t last = os_now_ns(bf->os);
    for (;;) {
        int r = blkfront_poll(bf);
        if (cond(bf, arg))
            return r < 0 ? r : 0;
        if (r < 0)
            return r;
        uint64_t now = os_now_ns(bf->os);
        if (r > 0)
            last = now;
        uint64_t deadline = last + bf->opts.timeout_ns;
        if (now >= deadline) {
            xenbus_fail(bf->xd, -OS_ETIMEDOUT,
                        "no progress for %llu ms (backend %s, %u I/O outstanding); giving up",
                        (unsigned long long)(bf->opts.timeout_ns / 1000000),
                        xenbus_state_name(xenbus_backend_state(bf->xd)), bf->queued);
            bf->connected = false;
            bf_ring_fail_all(bf, -OS_ETIMEDOUT);
            return -OS_ETIMEDOUT;
        }
        r = os_wait(bf->os, deadline);
        if (r < 0) {
            bf_log(bf, OS_LOG_ERROR, "waiting for the backend failed (error %d)", -r);
            return r;
        }
    }
}

static bool is_connected(struct blkfront *bf, const void *arg)
{
    return bf->connected || xenbus_error(bf->xd) < 0;
}

int blkfront_open_sync_opts(struct os *os, const char *vdev, const struct blkfront_opts *opts,
                            struct blkfront **out)
{
    struct blkfront *bf;
    int r = blkfront_open(os, vdev, opts, &bf);
    if (r < 0)
        return r;
    r = wait_until(bf, is_connected, NULL);
    if (r == 0 && xenbus_error(bf->xd) < 0)
        r = xenbus_error(bf->xd);
    if (r < 0) {
        blkfront_close(bf);
        return r;
    }
    *out = bf;
    return 0;
}

int blkfront_open_sync(struct os *os, const char *vdev, struct blkfront **out)
{
    return blkfront_open_sync_opts(os, vdev, NULL, out);
}

struct count_arg {
    const unsigned *count;
    unsigned limit;
};

static bool count_below(struct blkfront *bf, const void *arg)
{
    const struct count_arg *a = arg;
    return *a->count < a->limit;
}

static int rw_sync_once(struct blkfront *bf, enum blkfront_op op, uint64_t sector, const void *buf,
                        size_t len, bool zero_copy)
{
    if (!bf->connected && xenbus_error(bf->xd) == 0) {
        int r = wait_until(bf, is_connected, NULL);
        if (r < 0)
            return r;
    }
    int err = xenbus_error(bf->xd);
    if (err < 0) {
        bf_log(bf, OS_LOG_ERROR, "device failed earlier: %s", xenbus_diagnosis(bf->xd));
        return err;
    }
    size_t ss = bf->info.sector_size;
    size_t chunk = blkfront_max_io(bf);
    if (!zero_copy && ((uintptr_t)buf & (OS_PAGE_SIZE - 1)))
        chunk -= OS_PAGE_SIZE; /* an offset buffer may span one page more */
    chunk -= chunk % ss;
    if (!chunk) {
        bf_log(bf, OS_LOG_ERROR, "a %zu-byte block does not fit one request", ss);
        return -OS_EINVAL;
    }
    if (len % ss || (sector * 512) % ss) {
        bf_log(bf, OS_LOG_ERROR, "I/O at sector %llu of %zu bytes is not whole %zu-byte blocks",
               (unsigned long long)sector, len, ss);
        return -OS_EINVAL;
    }

    struct sync_io ios[SYNC_DEPTH];
    int status = 0;
    unsigned busy = 0;
    os_memset(ios, 0, sizeof(ios));
    size_t off = 0;
    while ((off < len && status == 0) || busy) {
        for (unsigned i = 0; i < SYNC_DEPTH && off < len && status == 0; i++) {
            if (ios[i].busy)
                continue;
            struct sync_io *s = &ios[i];
            size_t n = len - off < chunk ? len - off : chunk;
            s->io = (struct blkfront_io){
                .op = op,
                .sector = sector + off / 512,
                .buf = (uint8_t *)buf + off,
                .len = n,
                .zero_copy = zero_copy,
                .done = sync_done,
            };
            s->status = &status;
            s->busy_count = &busy;
            s->busy = true;
            busy++;
            int r = blkfront_submit(bf, &s->io);
            if (r < 0) {
                s->busy = false;
                busy--;
                status = r;
                break;
            }
            off += n;
        }
        if (!busy)
            break;
        struct count_arg a = { &busy, (off < len && status == 0) ? SYNC_DEPTH : 1 };
        int r = wait_until(bf, count_below, &a);
        if (r < 0 && status == 0)
            status = r; /* a failed device has completed everything */
    }
    return status;
}

static int rw_sync(struct blkfront *bf, enum blkfront_op op, uint64_t sector, const void *buf,
                   size_t len, bool zero_copy)
{
    unsigned before = bf->info.reconnects;
    int r = rw_sync_once(bf, op, sector, buf, len, zero_copy);
    if (r == -OS_E2BIG && bf->info.reconnects != before && xenbus_error(bf->xd) == 0) {
        /* A backend restarted with smaller requests than its predecessor:
         * what was cut for the old one does not fit.  Cut again. */
        bf_log(bf, OS_LOG_INFO,
               "requests are smaller after reconnecting; doing this I/O again in smaller pieces");
        r = rw_sync_once(bf, op, sector, buf, len, zero_copy);
    }
    return r;
}

/* A read off the logical block size (512-byte sectors of a 4096-byte-block
 * disk) reads the whole blocks around it and keeps the part asked for. */
static int read_unaligned(struct blkfront *bf, uint64_t sector, uint8_t *buf, size_t len)
{
    uint64_t ss = bf->info.sector_size, start = sector * 512, end = start + len;
    uint64_t astart = start - start % ss, aend = (end + ss - 1) / ss * ss;
    size_t step = 256 * 1024;
    if (step % ss)
        step = (size_t)ss;
    uint8_t *tmp = os_malloc(bf->os, step);
    if (!tmp)
        return -OS_ENOMEM;
    int r = 0;
    for (uint64_t pos = astart; pos < aend && r == 0; pos += step) {
        size_t n = aend - pos < step ? (size_t)(aend - pos) : step;
        r = rw_sync(bf, BLKFRONT_READ, pos / 512, tmp, n, false);
        if (r < 0)
            break;
        uint64_t lo = pos > start ? pos : start, hi = pos + n < end ? pos + n : end;
        if (lo < hi)
            os_memcpy(buf + (lo - start), tmp + (lo - pos), (size_t)(hi - lo));
    }
    os_free(bf->os, tmp);
    return r;
}

int blkfront_read_sync(struct blkfront *bf, uint64_t sector, void *buf, size_t len)
{
    if (bf->ever_connected && len && len % 512 == 0 &&
        (len % bf->info.sector_size || (sector * 512) % bf->info.sector_size))
        return read_unaligned(bf, sector, buf, len);
    return rw_sync(bf, BLKFRONT_READ, sector, buf, len, false);
}

int blkfront_write_sync(struct blkfront *bf, uint64_t sector, const void *buf, size_t len)
{
    return rw_sync(bf, BLKFRONT_WRITE, sector, buf, len, false);
}

int blkfront_read_zero_copy_sync(struct blkfront *bf, uint64_t sector, void *buf, size_t len)
{
    return rw_sync(bf, BLKFRONT_READ, sector, buf, len, true);
}

int blkfront_write_zero_copy_sync(struct blkfront *bf, uint64_t sector, const void *buf, size_t len)
{
    return rw_sync(bf, BLKFRONT_WRITE, sector, buf, len, true);
}

int blkfront_flush_sync(struct blkfront *bf)
{
    struct sync_io s;
    int status = 0;
    unsigned busy = 1;
    os_memset(&s, 0, sizeof(s));
    s.io.op = BLKFRONT_FLUSH;
    s.io.done = sync_done;
    s.status = &status;
    s.busy_count = &busy;
    s.busy = true;
    int r = blkfront_submit(bf, &s.io);
    if (r < 0)
        return r;
    struct count_arg a = { &busy, 1 };
    r = wait_until(bf, count_below, &a);
    return status < 0 ? status : r;
}

int blkfront_discard_sync(struct blkfront *bf, uint64_t sector, uint64_t nsectors, bool secure)
{
    struct sync_io s;
    int status = 0;
    unsigned busy = 1;
    os_memset(&s, 0, sizeof(s));
    s.io.op = BLKFRONT_DISCARD;
    s.io.sector = sector;
    s.io.len = (size_t)(nsectors * 512);
    s.io.secure = secure;
    s.io.done = sync_done;
    s.status = &status;
    s.busy_count = &busy;
    s.busy = true;
    if (nsectors > ((size_t)-1) / 512)
        return -OS_EINVAL;
    int r = blkfront_submit(bf, &s.io);
    if (r < 0)
        return r;
    struct count_arg a = { &busy, 1 };
    r = wait_until(bf, count_below, &a);
    return status < 0 ? status : r;
}

static bool drained(struct blkfront *bf, const void *arg)
{
    return bf->queued == 0;
}

int blkfront_drain_sync(struct blkfront *bf)
{
    return wait_until(bf, drained, NULL);
}

void blkfront_close(struct blkfront *bf)
{
    if (!bf)
        return;
    if (xenbus_error(bf->xd) == 0) {
        blkfront_close_start(bf);
        uint64_t deadline = os_now_ns(bf->os) + 5ull * 1000000000ull;
        bool closed;
        while (!(closed = blkfront_close_poll(bf)) && os_now_ns(bf->os) < deadline)
            if (os_wait(bf->os, deadline) < 0)
                break;
        if (!closed)
            bf_log(bf, OS_LOG_WARN, "backend did not close within 5 s; closing anyway");
    }
    blkfront_free(bf);
}
