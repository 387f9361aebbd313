/*
 * fuzz_blkfront_rsp — blkfront's response handling against a backend that
 * writes anything into the response ring: ids, operations, statuses and
 * rsp_prod come from the input.  blkfront must complete or fail every I/O
 * and never touch memory it should not.
 *
 * Input: byte 0 = I/O count and shapes; then records of 12 bytes:
 *   id (4, little endian), operation, status, flags, 5 bytes of rsp_prod
 *   skew (used when flags & 1: rsp_prod = rsp_prod_pvt + skew).
 */
#include <stdlib.h>
#include <string.h>

#include "blkfront.h"
#include "../unit/test_blkfront_host.h"

struct fio {
    struct blkfront_io io;
    int done;
};

static void fio_done(struct blkfront_io *io, int status)
{
    ((struct fio *)io)->done++;
}

static void closer(void *arg)
{
    struct os *os = arg;
    th_write(os, BE_DIR "/state", "6");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    struct os *os = th_new();
    struct fake_be be;
    th_toolstack(os);
    fake_be_init(&be, os, 256);
    be.max_order = data[0] & 3;
    be.max_indirect = (data[0] & 4) ? 64 : 0;
    th_on_wait(os, fake_be_step_cb, &be);
    struct blkfront_opts o;
    blkfront_default_opts(&o);
    o.timeout_ns = 1000000000ull;
    struct blkfront *bf;
    if (blkfront_open_sync_opts(os, "xvda", &o, &bf) < 0)
        abort(); /* the scripted backend always connects */
    be.serve = false;

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

    blkif_back_ring_t *r = &be.ring;
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
        th_raise(os, be.port);
        if (blkfront_poll(bf) < 0)
            break;
    }
    th_on_wait(os, closer, os);
    blkfront_close(bf);
    for (unsigned i = 0; i < n; i++)
        if (ios[i].done != 1)
            abort(); /* every I/O completes exactly once */
    fake_be_fini(&be);
    th_free(os);
    return 0;
}
