/*
 * fuzz_blkfront_rsp — blkfront's response handling against a backend that
 * writes anything into the response ring: ids, operations, statuses and
 * rsp_prod come from the input.  blkfront must complete or fail every I/O
 * and never touch memory it should not.
 *
 * Input: byte 0 = I/O count and shapes; then records of 12 bytes:
 *   id (4, little endian), operation, status, flags, 5 bytes of rsp_prod
 *   skew (used when flags & 1: rsp_prod = rsp_prod_pvt + skew).
 *
 * The device connects once per backend shape (byte 0's low three bits)
 * and is kept: after an input it is rewound to where it stood when it
 * connected (blkfront_rewind, th_rewind, the backend's ring indices), or
 * built again when the input broke it.  fuzz_world_fresh(1) builds a
 * fresh one for every input instead; fuzz_world_digest() sums up what an
 * input did, so that both ways can be compared (corpus_main's
 * -reset-check).
 */
#include <stdlib.h>
#include <string.h>

#include "blkfront.h"
#include "fuzz_world.h"
#include "../unit/test_blkfront_host.h"

struct fio {
    struct blkfront_io io;
    int done;
    int status; /* of the first completion */
};

static void fio_done(struct blkfront_io *io, int status)
{
    struct fio *f = (struct fio *)io;
    if (!f->done++)
        f->status = status;
}

static void closer(void *arg)
{
    struct os *os = arg;
    th_write(os, BE_DIR "/state", "6");
}

/* One connected device and its host, per backend shape. */
struct world {
    struct os *os;
    struct fake_be be;
    struct blkfront *bf;
    struct th_mark mark;
    bool flush, barrier; /* as connected */
    unsigned nr_ents;    /* of the backend's ring */
};
static struct world worlds[8];
static bool fresh_each;
static uint64_t digest;

void fuzz_world_fresh(int on)
{
    fresh_each = on;
}

uint64_t fuzz_world_digest(void)
{
    return digest;
}

static void build(struct world *w, unsigned shape)
{
    w->os = th_new();
    th_toolstack(w->os);
    fake_be_init(&w->be, w->os, 256);
    w->be.max_order = shape & 3;
    w->be.max_indirect = (shape & 4) ? 64 : 0;
    th_on_wait(w->os, fake_be_step_cb, &w->be);
    struct blkfront_opts o;
    blkfront_default_opts(&o);
    o.timeout_ns = 1000000000ull;
    if (blkfront_open_sync_opts(w->os, "xvda", &o, &w->bf) < 0)
        abort(); /* the scripted backend always connects */
    w->be.serve = false;
    (void)blkfront_poll(w->bf);
    const struct blkfront_info *in = blkfront_get_info(w->bf);
    w->flush = in->flush;
    w->barrier = in->barrier;
    w->nr_ents = w->be.ring.nr_ents;
    th_mark(w->os, &w->mark);
    th_clear_log(w->os);
}

static void destroy(struct world *w)
{
    th_on_wait(w->os, closer, w->os);
    blkfront_close(w->bf);
    fake_be_fini(&w->be);
    th_free(w->os);
    w->os = NULL;
}

/* Back to the state build() left, or gone when the input broke it. */
static void rewind_or_destroy(struct world *w)
{
    const struct blkfront_info *in = blkfront_get_info(w->bf);
    if (fresh_each || in->flush != w->flush || in->barrier != w->barrier ||
        blkfront_rewind(w->bf) < 0) {
        destroy(w);
        return;
    }
    th_rewind(w->os, &w->mark);
    w->be.ring.req_cons = 0;
    w->be.ring.rsp_prod_pvt = 0;
    w->be.ring.nr_ents = w->nr_ents;
    w->be.requests = w->be.indirect_requests = w->be.flushes = 0;
    w->be.last_gref = 0;
}

static void mix(const void *p, size_t n)
{
    fuzz_world_mix(&digest, p, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct world *w = &worlds[data[0] & 7];
    if (!w->os)
        build(w, data[0] & 7);
    struct os *os = w->os;
    struct blkfront *bf = w->bf;

    static uint8_t buf[8][65536 + 1];
    struct fio ios[8];
    unsigned n = (unsigned)(data[0] >> 5) + 1;
    for (unsigned i = 0; i < n; i++) {
        size_t len = (size_t)512 << ((data[0] + i) % 8);
        ios[i] = (struct fio){ .io = { .op = (i & 1) ? BLKFRONT_WRITE : BLKFRONT_READ,
                                       .sector = i * 8,
                                       .buf = buf[i] + (i & 1),
                                       .len = len,
                                       .done = fio_done } };
        if (blkfront_submit(bf, &ios[i].io) < 0)
            ios[i].done = 1;
    }
    (void)blkfront_poll(bf);

    blkif_back_ring_t *r = &w->be.ring;
    for (size_t off = 1; off + 12 <= size; off += 12) {
        const uint8_t *p = data + off;
        blkif_response_t *rsp = RING_GET_RESPONSE(r, r->rsp_prod_pvt);
        rsp->id =
            (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24;
        rsp->operation = p[4];
        rsp->status = (int8_t)p[5];
        r->rsp_prod_pvt++;
        if (p[6] & 1) {
            uint32_t skew =
                (uint32_t)p[7] | (uint32_t)p[8] << 8 | (uint32_t)p[9] << 16 | (uint32_t)p[10] << 24;
            r->sring->rsp_prod = r->rsp_prod_pvt + skew;
        } else {
            r->sring->rsp_prod = r->rsp_prod_pvt;
        }
        th_raise(os, w->be.port);
        if (blkfront_poll(bf) < 0)
            break;
    }

    /* What the input did, before the I/O left over is failed. */
    digest = 14695981039346656037ull;
    for (unsigned i = 0; i < n; i++) {
        mix(&ios[i].done, sizeof(ios[i].done));
        mix(&ios[i].status, sizeof(ios[i].status));
    }
    int err = blkfront_error(bf);
    mix(&err, sizeof(err));
    unsigned host[2] = { th_notifies(os), th_grants_not_ended(os) };
    mix(host, sizeof(host));
    mix(th_log(os), strlen(th_log(os)));

    rewind_or_destroy(w);
    for (unsigned i = 0; i < n; i++)
        if (ios[i].done != 1)
            abort(); /* every I/O completes exactly once */
    return 0;
}
