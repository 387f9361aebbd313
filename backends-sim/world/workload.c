/*
 * workload.c — what the guest does: write a pattern over the disk in
 * extents of random size and order (some left unwritten), flush, read the
 * disk back in other extents and compare, then close.  Up to `depth`
 * requests are in flight; each completion is counted, so a request that
 * completes twice, never, or with an error breaks an invariant.  In some
 * runs some requests use pages from blkfront_buffer_alloc() at a sector
 * offset (granted as they are, no bounce), the rest a buffer of ours.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends-sim/world/world_priv.h"

#define MAX_EXTENT 16u /* sectors */

static uint8_t pattern(uint64_t salt, uint64_t off)
{
    uint64_t z = salt ^ (off * 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 29)) * 0xbf58476d1ce4e5b9ull;
    return (uint8_t)(z >> 32);
}

static const char *op_name(enum blkfront_op op)
{
    return op == BLKFRONT_READ ? "read" : op == BLKFRONT_WRITE ? "write" : "flush";
}

static void io_done(struct blkfront_io *bio, int status)
{
    struct w_io *io = (struct w_io *)bio;
    struct world *w = io->w;
    struct workload *wl = &w->wl;
    unsigned idx = (unsigned)(io - wl->ios);
    io->done_count++;
    io->status = status;
    w_trace(w, "workload: request %u (%s sector %llu, %zu bytes) completed with status %d", idx,
            op_name(bio->op), (unsigned long long)bio->sector, bio->len, status);
    if (io->done_count > 1) {
        w_fail(w, "every request completes exactly once",
               "request %u (%s sector %llu) completed %u times", idx, op_name(bio->op),
               (unsigned long long)bio->sector, io->done_count);
        return;
    }
    wl->outstanding--;
    if (io->slot >= 0) {
        wl->zc_busy[io->slot] = false;
        io->slot = -1;
    }
    if (status != 0) {
        /* A teardown fails what is left with ESHUTDOWN; that is not news. */
        if (!w->sched.stop)
            w_fail(w, "every request succeeds", "request %u (%s sector %llu) failed with error %d",
                   idx, op_name(bio->op), (unsigned long long)bio->sector, -status);
        return;
    }
    if (bio->op == BLKFRONT_READ) {
        const uint8_t *want = wl->model + bio->sector * 512, *got = bio->buf;
        for (size_t i = 0; i < bio->len; i++)
            if (got[i] != want[i]) {
                w_fail(w, "data read equals data written",
                       "request %u read sector %llu: byte %zu is 0x%02x, 0x%02x was written", idx,
                       (unsigned long long)(bio->sector + i / 512), i % 512, got[i], want[i]);
                return;
            }
    }
}

/* Splits [0, sectors) into extents of 1..MAX_EXTENT sectors, appended to
 * ios[] in a shuffled order; with `skip`, about a quarter are left out. */
static unsigned extents(struct world *w, struct choice *ch, enum blkfront_op op, bool skip,
                        unsigned at)
{
    struct workload *wl = &w->wl;
    unsigned sectors = w->cfg.disk_sectors, n = 0;
    for (unsigned s = 0; s < sectors;) {
        unsigned len = 1 + choice_pick(ch, MAX_EXTENT);
        if (len > sectors - s)
            len = sectors - s;
        if (!skip || !choice_chance(ch, 1, 4)) {
            struct w_io *io = &wl->ios[at + n++];
            io->io.op = op;
            io->io.sector = s;
            io->io.len = (size_t)len * 512;
        }
        s += len;
    }
    for (unsigned i = n; i > 1; i--) {
        unsigned j = choice_pick(ch, i);
        struct w_io t = wl->ios[at + i - 1];
        wl->ios[at + i - 1] = wl->ios[at + j];
        wl->ios[at + j] = t;
    }
    return n;
}

int wl_init(struct world *w)
{
    struct workload *wl = &w->wl;
    size_t bytes = (size_t)w->cfg.disk_sectors * 512;
    wl->model = calloc(1, bytes);
    /* At most one extent per sector, twice, and a flush. */
    wl->ios = calloc(2 * (size_t)w->cfg.disk_sectors + 1, sizeof(*wl->ios));
    if (!wl->model || !wl->ios)
        return -ENOMEM;
    /* Eight bytes of the schedule seed the workload's shape and data, so
     * that the bytes after them all steer the interleaving. */
    uint64_t salt = 0;
    for (int i = 0; i < 8; i++)
        salt = salt << 8 | choice_byte(&w->ch);
    struct choice shape;
    choice_from_seed(&shape, salt);
    wl->nwrites = extents(w, &shape, BLKFRONT_WRITE, true, 0);
    unsigned at = wl->nwrites;
    if (w->cfg.flush) {
        wl->ios[at].io.op = BLKFRONT_FLUSH;
        at++;
    }
    wl->nreads = extents(w, &shape, BLKFRONT_READ, false, at);
    wl->nios = at + wl->nreads;
    wl->zero_copy = choice_chance(&shape, 1, 3);
    for (unsigned i = 0; i < wl->nios; i++) {
        struct w_io *io = &wl->ios[i];
        io->w = w;
        io->io.done = io_done;
        io->slot = -1;
        if (!io->io.len)
            continue;
        io->zero_copy = wl->zero_copy && choice_chance(&shape, 1, 2);
        io->zc_offset = choice_pick(&shape, 8) * 512;
        io->buf = malloc(io->io.len);
        if (!io->buf)
            return -ENOMEM;
        io->io.buf = io->buf;
        uint64_t off = io->io.sector * 512;
        for (size_t k = 0; k < io->io.len; k++) {
            uint8_t v = io->io.op == BLKFRONT_WRITE ? pattern(salt, off + k) : 0xa5;
            io->buf[k] = v;
            if (io->io.op == BLKFRONT_WRITE)
                wl->model[off + k] = v;
        }
    }
    w_trace(w, "workload: %u writes%s, %u reads, %u in flight at most%s", wl->nwrites,
            w->cfg.flush ? ", a flush" : "", wl->nreads, w->cfg.depth,
            wl->zero_copy ? ", some through blkfront's own pages" : "");
    return 0;
}

void wl_free(struct world *w)
{
    struct workload *wl = &w->wl;
    for (unsigned i = 0; wl->ios && i < wl->nios; i++)
        free(wl->ios[i].buf);
    free(wl->ios);
    free(wl->model);
    wl->ios = NULL;
    wl->model = NULL;
}

/* The end of the current phase's requests in ios[]. */
static unsigned phase_end(const struct world *w)
{
    const struct workload *wl = &w->wl;
    switch (wl->phase) {
    case WL_WRITE: return wl->nwrites;
    case WL_FLUSH: return wl->nwrites + (w->cfg.flush ? 1 : 0);
    case WL_READ: return wl->nios;
    default: return wl->next;
    }
}

bool wl_ready(struct world *w)
{
    const struct workload *wl = &w->wl;
    if (wl->phase == WL_DONE || !w->bf)
        return false;
    if (wl->next < phase_end(w))
        return wl->outstanding < w->cfg.depth;
    return wl->outstanding == 0; /* on to the next phase */
}

bool wl_done(const struct world *w)
{
    return w->wl.phase == WL_DONE;
}

void wl_observe(struct world *w)
{
    struct workload *wl = &w->wl;
    if (wl->order_checked || !w->bf || !blkfront_connected(w->bf))
        return;
    wl->order_checked = true;
    const struct blkfront_info *in = blkfront_get_info(w->bf);
    unsigned want =
        (unsigned)w->cfg.be_order < w->cfg.fe_order ? (unsigned)w->cfg.be_order : w->cfg.fe_order;
    /* Writing the ring before the backend published its limit, a
     * frontend can only take one page (D3). */
    if (w->cfg.early_transport && in->ring_order == 0)
        return;
    if (in->ring_order != want)
        w_fail(w, "ring order is the smaller offer",
               "backend offers order %d, frontend takes up to %u, connected with order %u",
               w->cfg.be_order, w->cfg.fe_order, in->ring_order);
}

/* Puts io's data in a region of blkfront's pages, at its offset. */
static void use_blkfront_pages(struct world *w, struct w_io *io)
{
    struct workload *wl = &w->wl;
    unsigned k = 0;
    while (k < W_MAX_DEPTH && wl->zc_busy[k])
        k++;
    if (k == W_MAX_DEPTH)
        return;
    if (!wl->zc[k])
        wl->zc[k] = blkfront_buffer_alloc(w->bf, W_ZC_PAGES);
    if (!wl->zc[k]) {
        w_trace(w, "workload: blkfront_buffer_alloc failed; using a buffer of ours");
        return;
    }
    uint8_t *p = wl->zc[k] + io->zc_offset;
    if (io->io.op == BLKFRONT_WRITE)
        memcpy(p, io->buf, io->io.len);
    io->io.buf = p;
    io->slot = (int)k;
    wl->zc_busy[k] = true;
}

void wl_step(struct world *w)
{
    struct workload *wl = &w->wl;
    wl_observe(w);
    while (wl->next >= phase_end(w)) {
        if (wl->phase == WL_READ) {
            wl->phase = WL_CLOSE;
            w_trace(w, "workload: close");
            blkfront_close(w->bf); /* frees its buffers too */
            w->bf = NULL;
            memset(wl->zc, 0, sizeof(wl->zc));
            wl->phase = WL_DONE;
            return;
        }
        wl->phase = wl->phase == WL_WRITE ? WL_FLUSH : WL_READ;
    }
    struct w_io *io = &wl->ios[wl->next];
    if (io->zero_copy)
        use_blkfront_pages(w, io);
    w_trace(w, "workload: submit request %u: %s sector %llu, %zu bytes%s", wl->next,
            op_name(io->io.op), (unsigned long long)io->io.sector, io->io.len,
            io->slot >= 0 ? " (blkfront's pages)" : "");
    int r = blkfront_submit(w->bf, &io->io);
    if (r < 0) {
        w_fail(w, "requests are accepted",
               "blkfront_submit refused request %u (%s sector %llu) with error %d", wl->next,
               op_name(io->io.op), (unsigned long long)io->io.sector, -r);
        return;
    }
    wl->next++;
    wl->outstanding++;
    w->fe_kick = true;
}

/* After the close and the backend's last turn: nothing may be left. */
void wl_final_checks(struct world *w)
{
    struct workload *wl = &w->wl;
    for (unsigned i = 0; i < wl->nios; i++)
        if (wl->ios[i].done_count != 1) {
            w_fail(w, "every request completes exactly once",
                   "request %u (%s sector %llu) completed %u times", i, op_name(wl->ios[i].io.op),
                   (unsigned long long)wl->ios[i].io.sector, wl->ios[i].done_count);
            return;
        }
    size_t bytes = (size_t)w->cfg.disk_sectors * 512;
    uint8_t *disk = malloc(bytes);
    if (disk && pread(w->disk_fd, disk, bytes, 0) == (ssize_t)bytes &&
        memcmp(disk, wl->model, bytes)) {
        size_t i = 0;
        while (disk[i] == wl->model[i])
            i++;
        w_fail(w, "the disk holds what was written",
               "sector %zu byte %zu is 0x%02x, 0x%02x was written", i / 512, i % 512, disk[i],
               wl->model[i]);
    }
    free(disk);
    char st[16];
    static const char *const nodes[] = { "/local/domain/1/device/vbd/51712/state",
                                         "/local/domain/0/backend/vbd/1/51712/state" };
    for (int i = 0; i < 2; i++)
        if (xsc_client_read(w->toolstack, 0, nodes[i], st, sizeof st) || strcmp(st, "6"))
            w_fail(w, "both ends close", "%s is %s after the close, not 6 (Closed)", nodes[i], st);
    struct hv_counts fe, be;
    hv_domain_counts(hvhost_hv(w->hv), W_FRONT, &fe);
    hv_domain_counts(hvhost_hv(w->hv), 0, &be);
    if (fe.grants || fe.mappings || fe.ports || be.mappings || be.ports)
        w_fail(
            w, "nothing left after the close",
            "d1 holds %u grant(s), %u mapping(s), %u port(s); d0 holds %u mapping(s), %u port(s)",
            fe.grants, fe.mappings, fe.ports, be.mappings, be.ports);
    if (w->benv && bbenv_mapped(w->benv))
        w_fail(w, "nothing left after the close", "the backend still maps %u page(s)",
               bbenv_mapped(w->benv));
    if (os_world_held_frames(w->os))
        w_fail(w, "nothing left after the close",
               "%u frame(s) the frontend unshared are still mapped by the backend",
               os_world_held_frames(w->os));
    w->res->requests = wl->nios;
}
