/*
 * blkfront_ring.c — requests onto the ring, responses off it.
 *
 * The backend is not trusted (Linux 2021 hardening): responses are copied
 * out of the shared page once (RING_COPY_RESPONSE), rsp_prod is checked
 * against what can be outstanding, and a response must name an id that is
 * in flight with the operation it was sent with.  Anything else puts the
 * device in the error state.  Pages the backend sees are zeroed before it
 * sees them and hold nothing but the request's data (XSA-403).
 */
#include "blkfront_priv.h"

#define NO_SLOT UINT32_MAX

/* ---- slots -------------------------------------------------------------- */

void bf_ring_reset_slots(struct blkfront *bf)
{
    bf->free_head = NO_SLOT;
    for (uint32_t i = bf->info.ring_slots; i-- > 0;) {
        bf->slots[i].io = NULL;
        bf->slots[i].next_free = bf->free_head;
        bf->free_head = i;
    }
    bf->in_flight = 0;
}

static uint32_t take_slot(struct blkfront *bf)
{
    uint32_t id = bf->free_head;
    if (id != NO_SLOT)
        bf->free_head = bf->slots[id].next_free;
    return id;
}

static void put_slot(struct blkfront *bf, uint32_t id)
{
    bf->slots[id].io = NULL;
    bf->slots[id].next_free = bf->free_head;
    bf->free_head = id;
}

static void unshare_or_leak(struct blkfront *bf, void **va, unsigned npages)
{
    if (*va && os_unshare_pages(bf->os, *va, npages) < 0)
        bf_log(bf, OS_LOG_WARN, "%u page(s) still mapped by the backend; leaking them", npages);
    *va = NULL;
}

/* Gives back the grant entries os_grant_access() took for slot s's
 * zero-copy pages (none where the pages' regions own their grants); one
 * the backend still maps (kept as persistent) stays, as Xen would not end
 * it either. */
static void end_zero_copy(struct blkfront *bf, struct bf_slot *s)
{
    unsigned busy = 0;
    for (unsigned i = 0; i < s->zc_n; i++)
        if (os_end_access(bf->os, s->zc_refs[i]) == -OS_EBUSY)
            busy++;
    s->zc_n = 0;
    if (busy && !bf->zc_busy_logged) {
        bf->zc_busy_logged = true;
        bf_log(bf, OS_LOG_WARN,
               "%u zero-copy grant(s) still mapped by the backend after the "
               "answer (kept as persistent grants); their pages stay granted",
               busy);
    }
}

void bf_ring_free_slots(struct blkfront *bf)
{
    for (unsigned i = 0; i < bf->max_slots; i++) {
        struct bf_slot *s = &bf->slots[i];
        if (!s->zc_n && !s->zc_refs && !s->bounce && !s->bounce_refs && !s->indirect)
            continue; /* never used: nothing to give back */
        end_zero_copy(bf, s);
        os_free(bf->os, s->zc_refs);
        s->zc_refs = NULL;
        s->zc_cap = 0;
        unshare_or_leak(bf, &s->bounce, s->bounce_pages);
        os_free(bf->os, s->bounce_refs);
        s->bounce_refs = NULL;
        unshare_or_leak(bf, &s->indirect, s->indirect_pages);
    }
}

/* ---- the pending queue -------------------------------------------------- */

static void complete(struct blkfront *bf, struct blkfront_io *io, int status)
{
    bf->queued--;
    bf->completions++;
    if (io->done)
        io->done(io, status);
}

static void push_tail(struct blkfront *bf, struct blkfront_io *io)
{
    io->next = NULL;
    if (bf->pending_tail)
        bf->pending_tail->next = io;
    else
        bf->pending = io;
    bf->pending_tail = io;
}

/* Inserts by submission order, so replayed I/O keeps its place. */
static void insert_ordered(struct blkfront *bf, struct blkfront_io *io)
{
    struct blkfront_io **pp = &bf->pending;
    while (*pp && (*pp)->seq < io->seq)
        pp = &(*pp)->next;
    io->next = *pp;
    *pp = io;
    if (!io->next)
        bf->pending_tail = io;
}

void bf_ring_requeue_in_flight(struct blkfront *bf)
{
    unsigned n = 0;
    for (unsigned i = 0; i < bf->max_slots; i++) {
        struct bf_slot *s = &bf->slots[i];
        if (!s->io)
            continue;
        insert_ordered(bf, s->io);
        end_zero_copy(bf, s); /* granted again when issued again */
        s->io = NULL;
        n++;
    }
    bf->in_flight = 0;
    bf->free_head = NO_SLOT;
    if (n)
        bf_log(bf, OS_LOG_INFO, "%u request(s) in flight will be issued again after reconnecting",
               n);
}

void bf_ring_fail_all(struct blkfront *bf, int err)
{
    for (unsigned i = 0; i < bf->max_slots; i++) {
        struct bf_slot *s = &bf->slots[i];
        if (!s->io)
            continue;
        struct blkfront_io *io = s->io;
        s->io = NULL;
        end_zero_copy(bf, s);
        complete(bf, io, err);
    }
    bf->in_flight = 0;
    bf->free_head = NO_SLOT;
    while (bf->pending) {
        struct blkfront_io *io = bf->pending;
        bf->pending = io->next;
        complete(bf, io, err);
    }
    bf->pending_tail = NULL;
}

/* ---- submit ------------------------------------------------------------- */

static int check_discard(struct blkfront *bf, const struct blkfront_io *io)
{
    const struct blkfront_info *in = &bf->info;
    if (!bf->ever_connected || !in->discard || (io->secure && !in->discard_secure)) {
        bf_log(bf, OS_LOG_ERROR, "the backend offers no %sdiscard", io->secure ? "secure " : "");
        return -OS_EOPNOTSUPP;
    }
    if (in->readonly) {
        bf_log(bf, OS_LOG_ERROR, "discard on a read-only disk");
        return -OS_EROFS;
    }
    uint64_t bs = in->sector_size, off = io->sector * 512, g = in->discard_granularity;
    if (!io->len || io->len % bs || off % bs) {
        bf_log(bf, OS_LOG_ERROR,
               "discard at sector %llu of %zu bytes is not whole %llu-byte blocks",
               (unsigned long long)io->sector, io->len, (unsigned long long)bs);
        return -OS_EINVAL;
    }
    /* The backend may refuse a range off its granularity (blkif.h). */
    if (g > 512 && ((off + g - in->discard_alignment % g) % g || io->len % g)) {
        bf_log(bf, OS_LOG_ERROR,
               "discard at sector %llu of %zu bytes is not aligned to discard-granularity %llu",
               (unsigned long long)io->sector, io->len, (unsigned long long)g);
        return -OS_EINVAL;
    }
    if (io->sector > in->sectors || io->len / 512 > in->sectors - io->sector) {
        bf_log(bf, OS_LOG_ERROR,
               "discard at sector %llu of %zu bytes is beyond the disk's %llu sectors",
               (unsigned long long)io->sector, io->len, (unsigned long long)in->sectors);
        return -OS_ERANGE;
    }
    return 0;
}

int blkfront_submit(struct blkfront *bf, struct blkfront_io *io)
{
    const struct blkfront_info *in = &bf->info;
    int err = xenbus_error(bf->xd);
    if (err < 0)
        return err;
    if (io->op == BLKFRONT_DISCARD) {
        int r = check_discard(bf, io);
        if (r < 0)
            return r;
    } else if (io->op != BLKFRONT_FLUSH) {
        uint64_t bs = bf->ever_connected ? in->sector_size : 512;
        if (io->op != BLKFRONT_READ && io->op != BLKFRONT_WRITE) {
            bf_log(bf, OS_LOG_ERROR, "unknown operation %d", (int)io->op);
            return -OS_EINVAL;
        }
        if (!io->len || io->len % bs || (io->sector * 512) % bs || !io->buf) {
            bf_log(bf, OS_LOG_ERROR,
                   "I/O at sector %llu of %zu bytes is not whole %llu-byte blocks",
                   (unsigned long long)io->sector, io->len, (unsigned long long)bs);
            return -OS_EINVAL;
        }
        if (io->len > blkfront_max_io(bf)) {
            bf_log(bf, OS_LOG_ERROR, "I/O of %zu bytes exceeds the %zu bytes of one request",
                   io->len, blkfront_max_io(bf));
            return -OS_E2BIG;
        }
        if (bf->ever_connected &&
            (io->sector > in->sectors || io->len / 512 > in->sectors - io->sector)) {
            bf_log(bf, OS_LOG_ERROR,
                   "I/O at sector %llu of %zu bytes is beyond the disk's %llu sectors",
                   (unsigned long long)io->sector, io->len, (unsigned long long)in->sectors);
            return -OS_ERANGE;
        }
        if (io->op == BLKFRONT_WRITE && bf->ever_connected && in->readonly) {
            bf_log(bf, OS_LOG_ERROR, "write to a read-only disk");
            return -OS_EROFS;
        }
        if (io->zero_copy && ((uintptr_t)io->buf & (OS_PAGE_SIZE - 1))) {
            /* Let the host refuse it, with its own diagnosis line. */
            grant_ref_t ref;
            int r = os_grant_access(bf->os, bf->info.backend_id, io->buf, io->op == BLKFRONT_WRITE,
                                    &ref);
            if (r < 0)
                return r;
            if (r == 1)
                (void)os_end_access(bf->os, ref);
        }
    }
    io->seq = bf->next_seq++;
    bf->queued++;
    /* The next blkfront_poll() puts it on the ring: I/O submitted together
     * goes out with one notification. */
    push_tail(bf, io);
    return 0;
}

/* ---- building requests -------------------------------------------------- */

static int ensure_bounce(struct blkfront *bf, struct bf_slot *s, unsigned npages)
{
    if (s->bounce && s->bounce_pages >= npages)
        return 0;
    unsigned want = bf->info.max_segments > npages ? bf->info.max_segments : npages;
    unshare_or_leak(bf, &s->bounce, s->bounce_pages);
    os_free(bf->os, s->bounce_refs);
    s->bounce_pages = 0;
    s->bounce_refs = os_calloc(bf->os, want, sizeof(grant_ref_t));
    if (!s->bounce_refs)
        return -OS_ENOMEM;
    int r = os_share_pages(bf->os, bf->info.backend_id, want, true, &s->bounce, s->bounce_refs);
    if (r < 0) {
        s->bounce = NULL;
        return r;
    }
    s->bounce_pages = want;
    return 0;
}

static int ensure_indirect(struct blkfront *bf, struct bf_slot *s, unsigned npages)
{
    if (s->indirect && s->indirect_pages >= npages)
        return 0;
    unshare_or_leak(bf, &s->indirect, s->indirect_pages);
    s->indirect_pages = 0;
    unsigned want = (bf->info.max_segments + BF_SEGS_PER_IPAGE - 1) / BF_SEGS_PER_IPAGE;
    if (want < npages)
        want = npages;
    /* Writable, as Linux blkfront grants them: a backend that keeps
     * persistent grants maps every page of its pool for writing. */
    int r = os_share_pages(bf->os, bf->info.backend_id, want, true, &s->indirect, s->indirect_refs);
    if (r < 0) {
        s->indirect = NULL;
        return r;
    }
    s->indirect_pages = want;
    return 0;
}

/* Fills segs[] for io; returns the segment count or a negative error. */
static int map_segments(struct blkfront *bf, struct bf_slot *s, struct blkfront_io *io,
                        struct blkif_request_segment *segs, unsigned max)
{
    domid_t peer = bf->info.backend_id;
    /* With persistent grants Linux blkback maps every data page writable
     * whatever the operation (it keeps them for later reads), so a
     * read-only grant of a write's page would make its map fail: grant
     * read-write then, as Linux blkfront does. */
    bool ro = io->op == BLKFRONT_WRITE && !bf->info.persistent;
    uint8_t *p = io->buf;
    size_t left = io->len;
    unsigned n = 0;
    s->bounced = false;
    if (io->zero_copy || (((uintptr_t)p & 511) == 0 && bf_in_region(bf, p, left))) {
        /* Zero copy: the caller's own pages.  An explicit zero-copy I/O
         * grants its buffer exactly as given (the host refuses a buffer
         * that is not a whole page); a buffer from blkfront_buffer_alloc()
         * is granted page by page with sector offsets. */
        if (s->zc_cap < max) {
            grant_ref_t *refs = os_calloc(bf->os, max, sizeof(*refs));
            if (!refs)
                return -OS_ENOMEM;
            os_free(bf->os, s->zc_refs);
            s->zc_refs = refs;
            s->zc_cap = max;
        }
        s->zc_n = 0;
        while (left) {
            size_t off = io->zero_copy ? 0 : ((uintptr_t)p & (OS_PAGE_SIZE - 1));
            size_t chunk = OS_PAGE_SIZE - off < left ? OS_PAGE_SIZE - off : left;
            if (n == max) {
                end_zero_copy(bf, s);
                return -OS_E2BIG;
            }
            int r = os_grant_access(bf->os, peer, p - off, ro, &segs[n].gref);
            if (r < 0) {
                end_zero_copy(bf, s);
                return r;
            }
            if (r == 1) /* an entry of its own: given back when answered */
                s->zc_refs[s->zc_n++] = segs[n].gref;
            segs[n].first_sect = (uint8_t)(off / 512);
            segs[n].last_sect = (uint8_t)((off + chunk) / 512 - 1);
            n++;
            p += chunk;
            left -= chunk;
        }
        return (int)n;
    }
    unsigned npages = (unsigned)((left + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE);
    if (npages > max)
        return -OS_E2BIG;
    int r = ensure_bounce(bf, s, npages);
    if (r < 0)
        return r;
    s->bounced = true;
    uint8_t *b = s->bounce;
    for (unsigned i = 0; i < npages; i++) {
        size_t chunk = left < OS_PAGE_SIZE ? left : OS_PAGE_SIZE;
        if (io->op == BLKFRONT_WRITE) {
            os_memcpy(b + (size_t)i * OS_PAGE_SIZE, p, chunk);
            /* Nothing but this request's bytes in what the backend may read. */
            if (chunk < OS_PAGE_SIZE)
                os_memset(b + (size_t)i * OS_PAGE_SIZE + chunk, 0, OS_PAGE_SIZE - chunk);
        }
        segs[i].gref = s->bounce_refs[i];
        segs[i].first_sect = 0;
        segs[i].last_sect = (uint8_t)(chunk / 512 - 1);
        p += chunk;
        left -= chunk;
    }
    return (int)npages;
}

/* Puts io on the ring in slot id; a negative return fails only this io. */
static int issue(struct blkfront *bf, uint32_t id, struct blkfront_io *io)
{
    struct bf_slot *s = &bf->slots[id];
    union {
        blkif_request_t rw;
        blkif_request_indirect_t ind;
    } u;
    os_memset(&u, 0, sizeof(u));
    struct blkif_request_segment segs[BF_MAX_INDIRECT];
    uint8_t op;
    int n = 0;
    if (io->op == BLKFRONT_DISCARD) {
        blkif_request_discard_t d = {
            .operation = BLKIF_OP_DISCARD,
            .flag = io->secure ? BLKIF_DISCARD_SECURE : 0,
            .handle = (blkif_vdev_t)bf->info.vdev,
            .id = id,
            .sector_number = io->sector,
            .nr_sectors = io->len / 512,
        };
        os_memcpy(&u.rw, &d, sizeof(d));
        os_memcpy(RING_GET_REQUEST(&bf->ring, bf->ring.req_prod_pvt), &u.rw, sizeof(u.rw));
        bf->ring.req_prod_pvt++;
        s->operation = BLKIF_OP_DISCARD;
        s->bounced = false;
        s->io = io;
        bf->in_flight++;
        return 0;
    }
    if (io->op == BLKFRONT_FLUSH) {
        op = bf->info.flush ? BLKIF_OP_FLUSH_DISKCACHE : BLKIF_OP_WRITE_BARRIER;
    } else {
        op = io->op == BLKFRONT_WRITE ? BLKIF_OP_WRITE : BLKIF_OP_READ;
        n = map_segments(bf, s, io, segs, bf->info.max_segments);
        if (n < 0)
            return n;
    }
    if (n <= BLKIF_MAX_SEGMENTS_PER_REQUEST) {
        u.rw.operation = op;
        u.rw.nr_segments = (uint8_t)n;
        u.rw.handle = (blkif_vdev_t)bf->info.vdev;
        u.rw.id = id;
        u.rw.sector_number = io->sector;
        for (int i = 0; i < n; i++)
            u.rw.seg[i] = segs[i];
        s->operation = op;
    } else {
        unsigned ipages = ((unsigned)n + BF_SEGS_PER_IPAGE - 1) / BF_SEGS_PER_IPAGE;
        int r = ensure_indirect(bf, s, ipages);
        if (r < 0)
            return r;
        os_memcpy(s->indirect, segs, (size_t)n * sizeof(segs[0]));
        u.ind.operation = BLKIF_OP_INDIRECT;
        u.ind.indirect_op = op;
        u.ind.nr_segments = (uint16_t)n;
        u.ind.id = id;
        u.ind.sector_number = io->sector;
        u.ind.handle = (blkif_vdev_t)bf->info.vdev;
        for (unsigned i = 0; i < ipages; i++)
            u.ind.indirect_grefs[i] = s->indirect_refs[i];
        /* Backends answer an indirect request with its inner operation
         * (Linux blkback does; Linux blkfront checks for it). */
        s->operation = op;
    }
    os_memcpy(RING_GET_REQUEST(&bf->ring, bf->ring.req_prod_pvt), &u.rw, sizeof(u.rw));
    bf->ring.req_prod_pvt++;
    s->io = io;
    bf->in_flight++;
    return 0;
}

void bf_ring_kick(struct blkfront *bf)
{
    if (!bf->connected)
        return;
    bool queued = false;
    while (bf->pending && !RING_FULL(&bf->ring)) {
        struct blkfront_io *io = bf->pending;
        if (io->op == BLKFRONT_FLUSH && !bf->info.flush && !bf->info.barrier) {
            /* No cache to flush that the backend admits to: writes it
             * acknowledged are already durable. */
            bf->pending = io->next;
            if (!bf->pending)
                bf->pending_tail = NULL;
            complete(bf, io, 0);
            continue;
        }
        uint32_t id = take_slot(bf);
        if (id == NO_SLOT)
            break;
        bf->pending = io->next;
        if (!bf->pending)
            bf->pending_tail = NULL;
        int r = issue(bf, id, io);
        if (r < 0) {
            end_zero_copy(bf, &bf->slots[id]);
            put_slot(bf, id);
            complete(bf, io, r);
            continue;
        }
        queued = true;
    }
    if (!queued)
        return;
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&bf->ring, notify);
    if (notify)
        (void)os_evtchn_notify(bf->os, bf->port);
}

/* ---- responses ---------------------------------------------------------- */

static int status_to_err(int16_t st)
{
    switch (st) {
    case BLKIF_RSP_OKAY: return 0;
    case BLKIF_RSP_EOPNOTSUPP: return -OS_EOPNOTSUPP;
    default: return -OS_EIO;
    }
}

void bf_ring_consume(struct blkfront *bf)
{
    int more;
    do {
        RING_IDX rp = bf->ring.sring->rsp_prod;
        xen_rmb(); /* responses are read after the index that covers them */
        if (RING_RESPONSE_PROD_OVERFLOW(&bf->ring, rp)) {
            xenbus_fail(bf->xd, -OS_EPROTO,
                        "backend claims %u responses with %u slots in the ring (rsp_prod %u, "
                        "rsp_cons %u); cutting it off",
                        rp - bf->ring.rsp_cons, (unsigned)RING_SIZE(&bf->ring), rp,
                        bf->ring.rsp_cons);
            return;
        }
        for (RING_IDX i = bf->ring.rsp_cons; i != rp; i++) {
            blkif_response_t rsp;
            RING_COPY_RESPONSE(&bf->ring, i, &rsp);
#ifndef SPLITBED_BUG_BLKFRONT_RSP_ID
            if (rsp.id >= bf->info.ring_slots) {
                xenbus_fail(bf->xd, -OS_EPROTO,
                            "backend response id %llu is out of range (ring of %u); cutting it off",
                            (unsigned long long)rsp.id, bf->info.ring_slots);
                return;
            }
#endif
            struct bf_slot *s = &bf->slots[rsp.id];
#ifndef SPLITBED_BUG_BLKFRONT_RSP_DUP
            if (!s->io) {
                xenbus_fail(bf->xd, -OS_EPROTO,
                            "backend response id %llu is not outstanding (duplicate or invented); "
                            "cutting it off",
                            (unsigned long long)rsp.id);
                return;
            }
#endif
            if (rsp.operation != s->operation) {
                xenbus_fail(
                    bf->xd, -OS_EPROTO,
                    "backend response id %llu has operation %u, the request had %u; cutting it off",
                    (unsigned long long)rsp.id, rsp.operation, s->operation);
                return;
            }
            struct blkfront_io *io = s->io;
            int st = status_to_err(rsp.status);
            if (st == 0 && io->op == BLKFRONT_READ && s->bounced)
                os_memcpy(io->buf, s->bounce, io->len);
            if (st == -OS_EOPNOTSUPP && io->op == BLKFRONT_FLUSH) {
                bf_log(bf, OS_LOG_WARN, "backend refused %s; not asking again",
                       bf->info.flush ? "flush" : "barrier");
                if (bf->info.flush)
                    bf->info.flush = false;
                else
                    bf->info.barrier = false;
            }
            if (st == -OS_EIO)
                bf_log(bf, OS_LOG_ERROR, "backend failed %s at sector %llu (status %d)",
                       io->op == BLKFRONT_READ    ? "read"
                       : io->op == BLKFRONT_WRITE ? "write"
                       : io->op == BLKFRONT_FLUSH ? "flush"
                                                  : "discard",
                       (unsigned long long)io->sector, rsp.status);
            bf->in_flight--;
            end_zero_copy(bf, s);
            put_slot(bf, (uint32_t)rsp.id);
            bf->ring.rsp_cons = i + 1;
            complete(bf, io, st);
        }
        bf->ring.rsp_cons = rp;
        RING_FINAL_CHECK_FOR_RESPONSES(&bf->ring, more);
    } while (more);
}

#ifdef SPLITBED_FUZZ
int blkfront_rewind(struct blkfront *bf)
{
    if (!bf->ever_connected || !bf->ring_va || !bf->have_port || xenbus_rewind(bf->xd) < 0)
        return -OS_EPROTO;
    bf->connected = true;
    bf_ring_fail_all(bf, -OS_ESHUTDOWN);
    bf_ring_free_slots(bf);
    for (unsigned i = 0; i < bf->max_slots; i++) {
        struct bf_slot *s = &bf->slots[i];
        s->operation = 0;
        s->bounced = false;
        s->bounce_pages = 0;
        s->indirect_pages = 0;
    }
    os_memset(bf->ring_va, 0, (size_t)bf->ring_pages * OS_PAGE_SIZE);
    blkif_sring_t *sring = bf->ring_va;
    sring->req_event = sring->rsp_event = 1;
    FRONT_RING_INIT(&bf->ring, sring, (size_t)OS_PAGE_SIZE * bf->ring_pages);
    bf_ring_reset_slots(bf);
    bf->queued = 0;
    bf->next_seq = 0;
    bf->completions = 0;
    bf->spurious = 0;
    bf->storm_logged = false;
    bf->zc_busy_logged = false;
    return 0;
}
#endif
