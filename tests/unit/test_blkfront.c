/*
 * test_blkfront.c — blkfront's decision table and ring handling, against
 * a scripted backend in the same address space (test_blkfront_host.c).
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkfront.h"
#include "test_blkfront_host.h"

struct fx {
    struct os *os;
    struct fake_be be;
    struct blkfront *bf;
};

static void fx_init(struct fx *f, uint64_t sectors)
{
    f->os = th_new();
    th_toolstack(f->os);
    fake_be_init(&f->be, f->os, sectors);
    th_on_wait(f->os, fake_be_step_cb, &f->be);
    f->bf = NULL;
}

static void fx_open(struct fx *f, const struct blkfront_opts *o)
{
    struct blkfront_opts d;
    blkfront_default_opts(&d);
    if (!o)
        o = &d;
    struct blkfront_opts oo = *o;
    oo.timeout_ns = 2000000000ull;
    int r = blkfront_open_sync_opts(f->os, "xvda", &oo, &f->bf);
    ck_assert_msg(r == 0, "open: %d; backend: %s; log:\n%s", r, f->be.error, th_log(f->os));
}

static void fx_fini(struct fx *f)
{
    if (f->bf)
        blkfront_close(f->bf);
    fake_be_fini(&f->be);
    th_free(f->os);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + seed + (i >> 9));
}

START_TEST(vdev_names)
{
    uint32_t v;
    ck_assert_int_eq(blkfront_parse_vdev("xvda", &v), 0);
    ck_assert_uint_eq(v, 51712);
    ck_assert_int_eq(blkfront_parse_vdev("xvdb", &v), 0);
    ck_assert_uint_eq(v, 51728);
    ck_assert_int_eq(blkfront_parse_vdev("xvda1", &v), 0);
    ck_assert_uint_eq(v, 51713);
    ck_assert_int_eq(blkfront_parse_vdev("xvdq", &v), 0);
    ck_assert_uint_eq(v, (1u << 28) | (16u << 8));
    ck_assert_int_eq(blkfront_parse_vdev("xvdaa", &v), 0);
    ck_assert_uint_eq(v, (1u << 28) | (26u << 8));
    ck_assert_int_eq(blkfront_parse_vdev("51712", &v), 0);
    ck_assert_uint_eq(v, 51712);
    ck_assert_int_lt(blkfront_parse_vdev("", &v), 0);
    ck_assert_int_lt(blkfront_parse_vdev("xvd", &v), 0);
    ck_assert_int_lt(blkfront_parse_vdev("sda", &v), 0);
    ck_assert_int_lt(blkfront_parse_vdev("xvda0", &v), 0);
    ck_assert_int_lt(blkfront_parse_vdev("xvdA", &v), 0);
    ck_assert_int_lt(blkfront_parse_vdev("0", &v), 0);
}
END_TEST

/* Ring order offered 0..4 x frontend maximum 0..4: the order taken, the
 * keys written, the log line, and data through the ring. */
START_TEST(ring_order_matrix)
{
    unsigned offered = (unsigned)_i / 5, femax = (unsigned)_i % 5;
    struct fx f;
    fx_init(&f, 2048);
    f.be.max_order = offered;
    struct blkfront_opts o;
    blkfront_default_opts(&o);
    o.max_ring_order = femax;
    fx_open(&f, &o);
    unsigned want = offered < femax ? offered : femax;
    const struct blkfront_info *in = blkfront_get_info(f.bf);
    ck_assert_uint_eq(in->ring_order, want);
    ck_assert_uint_eq(f.be.order, want);
    ck_assert_uint_eq(in->backend_max_ring_order, offered);
    if (want == 0) {
        ck_assert_ptr_nonnull(th_read(f.os, FE_DIR "/ring-ref"));
        ck_assert_ptr_null(th_read(f.os, FE_DIR "/ring-page-order"));
        ck_assert_ptr_null(th_read(f.os, FE_DIR "/ring-ref0"));
    } else {
        ck_assert_ptr_null(th_read(f.os, FE_DIR "/ring-ref"));
        ck_assert_uint_eq(strtoul(th_read(f.os, FE_DIR "/ring-page-order"), NULL, 10), want);
        char k[64];
        snprintf(k, sizeof(k), FE_DIR "/ring-ref%u", (1u << want) - 1);
        ck_assert_ptr_nonnull(th_read(f.os, k));
    }
    if (offered > 0) {
        char line[96];
        snprintf(line, sizeof(line),
                 "backend advertises multi-page ring (order %u), using order %u", offered, want);
        ck_assert_msg(strstr(th_log(f.os), line), "no '%s' in:\n%s", line, th_log(f.os));
    }
    ck_assert_str_eq(th_read(f.os, FE_DIR "/state"), "4");
    uint8_t w[8192], r[8192];
    fill(w, sizeof(w), (unsigned)_i);
    ck_assert_int_eq(blkfront_write_sync(f.bf, 100, w, sizeof(w)), 0);
    ck_assert_mem_eq(f.be.disk + 100 * 512, w, sizeof(w));
    ck_assert_int_eq(blkfront_read_sync(f.bf, 100, r, sizeof(r)), 0);
    ck_assert_mem_eq(r, w, sizeof(w));
    fx_fini(&f);
}
END_TEST

START_TEST(features_only_at_connected)
{
    struct fx f;
    fx_init(&f, 4096);
    f.be.features_late = true;
    f.be.persistent = true;
    fx_open(&f, NULL);
    const struct blkfront_info *in = blkfront_get_info(f.bf);
    ck_assert_uint_eq(in->sectors, 4096);
    ck_assert(in->flush);
    ck_assert(in->persistent);
    ck_assert_int_eq(blkfront_flush_sync(f.bf), 0);
    ck_assert_uint_eq(f.be.flushes, 1);
    fx_fini(&f);
}
END_TEST

START_TEST(backend_never_in_initwait)
{
    struct fx f;
    fx_init(&f, 64);
    f.be.never_initwait = true;
    fx_open(&f, NULL);
    ck_assert_uint_eq(f.be.order, 0);
    ck_assert_msg(strstr(th_log(f.os), "writing the ring without InitWait"), "%s", th_log(f.os));
    uint8_t b[512] = { 1, 2, 3 };
    ck_assert_int_eq(blkfront_write_sync(f.bf, 63, b, sizeof(b)), 0);
    ck_assert_mem_eq(f.be.disk + 63 * 512, b, sizeof(b));
    fx_fini(&f);
}
END_TEST

START_TEST(frontend_skips_initialised)
{
    struct fx f;
    fx_init(&f, 64);
    struct blkfront_opts o;
    blkfront_default_opts(&o);
    o.skip_initialised = true;
    fx_open(&f, &o);
    ck_assert(f.be.connected);
    ck_assert_msg(strstr(th_log(f.os), "skipping Initialised"), "%s", th_log(f.os));
    fx_fini(&f);
}
END_TEST

START_TEST(transaction_conflicts_are_redone)
{
    struct fx f;
    fx_init(&f, 64);
    th_tx_conflicts(f.os, 3);
    fx_open(&f, NULL);
    ck_assert(f.be.connected);
    /* Each conflict was answered by another try, and one committed. */
    ck_assert_uint_ge(th_tx_commits(f.os), 1);
    fx_fini(&f);
}
END_TEST

START_TEST(any_buffer_address_is_copied)
{
    struct fx f;
    fx_init(&f, 2048);
    fx_open(&f, NULL);
    uint8_t *mem = malloc(200000), *rd = malloc(200000);
    static const size_t offs[] = { 1, 3, 511, 4095 };
    static const size_t lens[] = { 512, 1536, 45056, 45056 + 512, 131072 + 512 };
    for (unsigned i = 0; i < 4; i++)
        for (unsigned j = 0; j < 5; j++) {
            fill(mem + offs[i], lens[j], i * 5 + j);
            ck_assert_int_eq(blkfront_write_sync(f.bf, 7, mem + offs[i], lens[j]), 0);
            ck_assert_mem_eq(f.be.disk + 7 * 512, mem + offs[i], lens[j]);
            memset(rd, 0, 200000);
            ck_assert_int_eq(blkfront_read_sync(f.bf, 7, rd + offs[(i + 1) % 4], lens[j]), 0);
            ck_assert_mem_eq(rd + offs[(i + 1) % 4], mem + offs[i], lens[j]);
        }
    /* Nothing but a zero-copy request asked the host to grant a buffer. */
    ck_assert_ptr_null(strstr(th_log(f.os), "refused"));
    free(mem);
    free(rd);
    fx_fini(&f);
}
END_TEST

START_TEST(zero_copy_of_unaligned_buffer_is_refused)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    uint8_t *p = aligned_alloc(4096, 8192);
    int r = blkfront_read_zero_copy_sync(f.bf, 0, p + 512, 4096);
    ck_assert_int_eq(r, -OS_EINVAL);
    char want[96];
    snprintf(want, sizeof(want), "d1: grant of buffer 0x%lx refused: not the start of a whole page",
             (unsigned long)(uintptr_t)(p + 512));
    ck_assert_msg(strstr(th_log(f.os), want), "no '%s' in:\n%s", want, th_log(f.os));
    /* The device is still usable afterwards. */
    ck_assert_int_eq(blkfront_read_sync(f.bf, 0, p + 512, 4096), 0);
    free(p);
    fx_fini(&f);
}
END_TEST

/* XSA-403: a page the backend sees holds the request's bytes and zeroes,
 * never what an earlier request left in it. */
START_TEST(bounce_pages_leak_nothing)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    uint8_t full[4096], part[512];
    memset(full, 0xff, sizeof(full));
    memset(part, 0x5a, sizeof(part));
    ck_assert_int_eq(blkfront_write_sync(f.bf, 0, full, sizeof(full)), 0);
    grant_ref_t first = f.be.last_gref;
    ck_assert_int_eq(blkfront_write_sync(f.bf, 8, part, sizeof(part)), 0);
    ck_assert_uint_eq(f.be.last_gref, first); /* the same bounce page again */
    const uint8_t *page = th_gref(f.os, f.be.last_gref);
    ck_assert_ptr_nonnull(page);
    ck_assert_mem_eq(page, part, sizeof(part));
    for (size_t i = sizeof(part); i < 4096; i++)
        ck_assert_msg(page[i] == 0, "byte %zu of the shared page is 0x%02x", i, page[i]);
    fx_fini(&f);
}
END_TEST

/* Linux blkback maps persistent data pages writable even for a write:
 * with persistent grants a write's pages must be granted read-write,
 * without them read-only (found on a real Xen 4.17). */
START_TEST(write_grants_follow_persistent_negotiation)
{
    for (int persistent = 0; persistent <= 1; persistent++) {
        struct fx f;
        fx_init(&f, 2048);
        f.be.persistent = persistent;
        fx_open(&f, NULL);
        ck_assert_int_eq(blkfront_get_info(f.bf)->persistent, persistent);
        uint8_t *b = blkfront_buffer_alloc(f.bf, 2);
        ck_assert_ptr_nonnull(b);
        fill(b, 8192, 5);
        unsigned before = th_readonly_grants(f.os);
        ck_assert_int_eq(blkfront_write_zero_copy_sync(f.bf, 8, b, 8192), 0);
        ck_assert_mem_eq(f.be.disk + 8 * 512, b, 8192);
        if (persistent)
            ck_assert_uint_eq(th_readonly_grants(f.os), before);
        else
            ck_assert_uint_gt(th_readonly_grants(f.os), before);
        blkfront_buffer_free(f.bf, b, 2);
        fx_fini(&f);
    }
}
END_TEST

START_TEST(zero_copy_of_own_buffers)
{
    struct fx f;
    fx_init(&f, 2048);
    fx_open(&f, NULL);
    uint8_t *b = blkfront_buffer_alloc(f.bf, 4);
    ck_assert_ptr_nonnull(b);
    fill(b, 16384, 9);
    ck_assert_int_eq(blkfront_write_zero_copy_sync(f.bf, 32, b, 16384), 0);
    ck_assert_mem_eq(f.be.disk + 32 * 512, b, 16384);
    fill(b, 8192, 11);
    ck_assert_int_eq(blkfront_write_sync(f.bf, 3, b + 512, 8192), 0);
    ck_assert_mem_eq(f.be.disk + 3 * 512, b + 512, 8192);
    blkfront_buffer_free(f.bf, b, 4);
    fx_fini(&f);
}
END_TEST

/* Every grant os_grant_access() gave for a zero-copy request is given
 * back once it is answered: on the unikernel each is a grant entry of
 * a table of about 2000, which streaming a tar member used up. */
/* A buffer inside blkfront's own region but not on a sector boundary
 * cannot be granted with sector offsets: it is copied, and the bytes land
 * where they belong. */
START_TEST(unaligned_buffer_in_region_is_copied)
{
    static const size_t offs[] = { 1, 100, 511, 513, 4095 };
    struct fx f;
    fx_init(&f, 2048);
    fx_open(&f, NULL);
    uint8_t *b = blkfront_buffer_alloc(f.bf, 4);
    ck_assert_ptr_nonnull(b);
    uint8_t want[8192];
    for (unsigned i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
        fill(b + offs[i], 8192, 20 + i);
        memcpy(want, b + offs[i], sizeof(want));
        ck_assert_int_eq(blkfront_write_sync(f.bf, 16, b + offs[i], 8192), 0);
        ck_assert_mem_eq(f.be.disk + 16 * 512, want, sizeof(want));
        memset(b, 0, 4 * 4096);
        ck_assert_int_eq(blkfront_read_sync(f.bf, 16, b + offs[(i + 1) % 5], 8192), 0);
        ck_assert_mem_eq(b + offs[(i + 1) % 5], want, sizeof(want));
    }
    blkfront_buffer_free(f.bf, b, 4);
    fx_fini(&f);
}
END_TEST

START_TEST(zero_copy_grants_are_ended)
{
    struct fx f;
    fx_init(&f, 4096);
    fx_open(&f, NULL);
    uint8_t *b = blkfront_buffer_alloc(f.bf, 16);
    ck_assert_ptr_nonnull(b);
    fill(b, 65536, 3);
    for (int i = 0; i < 20; i++) {
        ck_assert_int_eq(blkfront_write_zero_copy_sync(f.bf, (uint64_t)i * 128, b, 65536), 0);
        ck_assert_int_eq(blkfront_read_zero_copy_sync(f.bf, (uint64_t)i * 128, b, 65536), 0);
        ck_assert_int_eq(blkfront_read_sync(f.bf, 1, b + 512, 4096), 0);
    }
    ck_assert_uint_eq(th_grants_not_ended(f.os), 0);
    ck_assert_mem_eq(f.be.disk + 19 * 128 * 512 + 512, b + 512, 4096);
    blkfront_buffer_free(f.bf, b, 16);
    fx_fini(&f);
}
END_TEST

START_TEST(indirect_requests)
{
    struct fx f;
    fx_init(&f, 4096);
    f.be.max_indirect = 64;
    fx_open(&f, NULL);
    const struct blkfront_info *in = blkfront_get_info(f.bf);
    ck_assert_uint_eq(in->backend_max_indirect, 64);
    ck_assert_uint_eq(in->max_indirect, 32);
    ck_assert_uint_eq(blkfront_max_io(f.bf), 32 * 4096);
    size_t n = 300 * 1024;
    uint8_t *w = malloc(n + 1), *r = malloc(n);
    fill(w + 1, n, 5);
    ck_assert_int_eq(blkfront_write_sync(f.bf, 10, w + 1, n), 0);
    ck_assert_uint_gt(f.be.indirect_requests, 0);
    ck_assert_int_eq(blkfront_read_sync(f.bf, 10, r, n), 0);
    ck_assert_mem_eq(r, w + 1, n);
    free(w);
    free(r);
    fx_fini(&f);
}
END_TEST

START_TEST(logical_block_size_4096)
{
    struct fx f;
    fx_init(&f, 4096);
    f.be.sector_size = 4096;
    fx_open(&f, NULL);
    ck_assert_uint_eq(blkfront_get_info(f.bf)->sector_size, 4096);
    uint8_t b[8192];
    fill(b, sizeof(b), 3);
    ck_assert_int_eq(blkfront_write_sync(f.bf, 1, b, 4096), -OS_EINVAL);
    ck_assert_int_eq(blkfront_write_sync(f.bf, 8, b, 512), -OS_EINVAL);
    ck_assert_int_eq(blkfront_write_sync(f.bf, 8, b, 8192), 0);
    ck_assert_mem_eq(f.be.disk + 8 * 512, b, 8192);
    /* Reads of 512-byte sectors inside the 4096-byte blocks. */
    uint8_t rd[3 * 512 + 1];
    ck_assert_int_eq(blkfront_read_sync(f.bf, 9, rd + 1, 512), 0);
    ck_assert_mem_eq(rd + 1, b + 512, 512);
    ck_assert_int_eq(blkfront_read_sync(f.bf, 15, rd + 1, 3 * 512), 0);
    ck_assert_mem_eq(rd + 1, b + 7 * 512, 3 * 512);
    fx_fini(&f);
}
END_TEST

START_TEST(out_of_range_and_bad_lengths)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    uint8_t b[1024];
    ck_assert_int_eq(blkfront_read_sync(f.bf, 63, b, 1024), -OS_ERANGE);
    ck_assert_int_eq(blkfront_read_sync(f.bf, 0, b, 100), -OS_EINVAL);
    ck_assert_int_eq(blkfront_read_sync(f.bf, 63, b, 512), 0);
    fx_fini(&f);
}
END_TEST

START_TEST(discard_needs_the_feature)
{
    struct fx f;
    fx_init(&f, 256);
    fx_open(&f, NULL);
    ck_assert_int_eq(blkfront_discard_sync(f.bf, 0, 8, false), -OS_EOPNOTSUPP);
    ck_assert_msg(strstr(th_log(f.os), "offers no discard"), "%s", th_log(f.os));
    fx_fini(&f);
}
END_TEST

/* ---- a backend that lies ------------------------------------------------ */

struct one {
    struct blkfront_io io;
    int status;
    bool done;
};

static void one_done(struct blkfront_io *io, int status)
{
    struct one *o = (struct one *)io;
    o->status = status;
    o->done = true;
}

static void submit_read(struct fx *f, struct one *o, void *buf)
{
    memset(o, 0, sizeof(*o));
    o->io = (struct blkfront_io){
        .op = BLKFRONT_READ, .sector = 0, .buf = buf, .len = 512, .done = one_done
    };
    ck_assert_int_eq(blkfront_submit(f->bf, &o->io), 0);
    ck_assert_int_eq(blkfront_poll(f->bf), 0);
    ck_assert(!o->done);
}

static void push_raw(struct fx *f, uint64_t id, uint8_t op, RING_IDX count)
{
    blkif_back_ring_t *r = &f->be.ring;
    for (RING_IDX k = 0; k < count; k++) {
        blkif_response_t *rsp = RING_GET_RESPONSE(r, r->rsp_prod_pvt);
        rsp->id = id;
        rsp->operation = op;
        rsp->status = 0;
        r->rsp_prod_pvt++;
    }
    r->sring->rsp_prod = r->rsp_prod_pvt;
    th_raise(f->os, f->be.port);
}

static void expect_cut_off(struct fx *f, struct one *o, const char *why)
{
    int r = blkfront_poll(f->bf);
    ck_assert_int_lt(r, 0);
    ck_assert(o->done);
    ck_assert_int_eq(o->status, -OS_EPROTO);
    ck_assert_int_lt(blkfront_error(f->bf), 0);
    ck_assert_msg(strstr(blkfront_diagnosis(f->bf), why), "diagnosis '%s' lacks '%s'",
                  blkfront_diagnosis(f->bf), why);
    ck_assert_str_eq(th_read(f->os, FE_DIR "/state"), "5");
    uint8_t b[512];
    ck_assert_int_lt(blkfront_read_sync(f->bf, 0, b, 512), 0);
}

/* The ring holds as many requests as it has slots: with a backend that
 * does not answer, ring_slots reads all go on the ring at once, and the
 * next one waits until an answer frees a slot. */
START_TEST(queue_depth_is_the_ring_size)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    f.be.serve = false;
    unsigned slots = blkfront_get_info(f.bf)->ring_slots;
    ck_assert_uint_eq(slots, RING_SIZE(&f.be.ring));
    struct one *o = calloc(slots + 1, sizeof(*o));
    uint8_t(*b)[512] = calloc(slots + 1, 512);
    for (unsigned i = 0; i <= slots; i++)
        submit_read(&f, &o[i], b[i]);
    ck_assert_uint_eq(f.be.ring.sring->req_prod - f.be.ring.req_cons, slots);
    f.be.serve = true;
    ck_assert_int_eq(blkfront_drain_sync(f.bf), 0);
    for (unsigned i = 0; i <= slots; i++) {
        ck_assert(o[i].done);
        ck_assert_int_eq(o[i].status, 0);
    }
    ck_assert_uint_eq(f.be.requests, slots + 1);
    free(o);
    free(b);
    fx_fini(&f);
}
END_TEST

START_TEST(malicious_rsp_prod_overflow)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    f.be.serve = false;
    uint8_t b[512];
    struct one o;
    submit_read(&f, &o, b);
    f.be.ring.sring->rsp_prod = f.be.ring.rsp_prod_pvt + blkfront_get_info(f.bf)->ring_slots + 1;
    th_raise(f.os, f.be.port);
    expect_cut_off(&f, &o, "responses with");
    fx_fini(&f);
}
END_TEST

START_TEST(malicious_id_out_of_range)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    f.be.serve = false;
    uint8_t b[512];
    struct one o;
    submit_read(&f, &o, b);
    push_raw(&f, 0xffffffffffull, BLKIF_OP_READ, 1);
    expect_cut_off(&f, &o, "out of range");
    fx_fini(&f);
}
END_TEST

/* The first id past the slot array, not only an absurd one. */
START_TEST(malicious_id_equal_to_ring_size)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    f.be.serve = false;
    uint8_t b[512];
    struct one o;
    submit_read(&f, &o, b);
    push_raw(&f, blkfront_get_info(f.bf)->ring_slots, BLKIF_OP_READ, 1);
    expect_cut_off(&f, &o, "out of range");
    fx_fini(&f);
}
END_TEST

START_TEST(malicious_duplicate_id)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    f.be.serve = false;
    uint8_t b1[512], b2[512];
    struct one first, second;
    submit_read(&f, &first, b1);
    submit_read(&f, &second, b2);
    uint64_t id = RING_GET_REQUEST(&f.be.ring, f.be.ring.req_cons)->id;
    /* The first request answered twice: the second answer names an id
     * that is no longer outstanding. */
    push_raw(&f, id, BLKIF_OP_READ, 2);
    expect_cut_off(&f, &second, "not outstanding");
    ck_assert(first.done);
    ck_assert_int_eq(first.status, 0);
    fx_fini(&f);
}
END_TEST

START_TEST(malicious_wrong_operation)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    f.be.serve = false;
    uint8_t b[512];
    struct one o;
    submit_read(&f, &o, b);
    uint64_t id = RING_GET_REQUEST(&f.be.ring, f.be.ring.req_cons)->id;
    push_raw(&f, id, BLKIF_OP_WRITE, 1);
    expect_cut_off(&f, &o, "operation");
    fx_fini(&f);
}
END_TEST

/* XSA-391: an event storm with nothing on the ring is noticed, not fatal. */
START_TEST(event_storm)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    for (int i = 0; i < 1500; i++) {
        th_raise(f.os, f.be.port);
        ck_assert_int_eq(blkfront_poll(f.bf), 0);
    }
    ck_assert_msg(strstr(th_log(f.os), "events in a row without a response"), "%s", th_log(f.os));
    uint8_t b[512] = { 9 };
    ck_assert_int_eq(blkfront_write_sync(f.bf, 2, b, 512), 0);
    ck_assert_int_eq(f.be.disk[1024], 9);
    fx_fini(&f);
}
END_TEST

START_TEST(bad_backend_state)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    th_write(f.os, BE_DIR "/state", "banana");
    ck_assert_int_lt(blkfront_poll(f.bf), 0);
    ck_assert_msg(strstr(blkfront_diagnosis(f.bf), "not a XenbusState"), "%s",
                  blkfront_diagnosis(f.bf));
    fx_fini(&f);
    /* A number one past the last state (Reconfigured, 8) is not one either. */
    fx_init(&f, 64);
    fx_open(&f, NULL);
    th_write(f.os, BE_DIR "/state", "9");
    ck_assert_int_lt(blkfront_poll(f.bf), 0);
    ck_assert_msg(strstr(blkfront_diagnosis(f.bf), "not a XenbusState"), "%s",
                  blkfront_diagnosis(f.bf));
    fx_fini(&f);
}
END_TEST

/* ---- lifecycle ---------------------------------------------------------- */

START_TEST(backend_restart_reissues_in_flight)
{
    struct fx f;
    fx_init(&f, 256);
    f.be.max_order = 2;
    fx_open(&f, NULL);
    f.be.serve = false;
    uint8_t w[4096];
    fill(w, sizeof(w), 77);
    struct one o;
    memset(&o, 0, sizeof(o));
    o.io = (struct blkfront_io){
        .op = BLKFRONT_WRITE, .sector = 40, .buf = w, .len = sizeof(w), .done = one_done
    };
    ck_assert_int_eq(blkfront_submit(f.bf, &o.io), 0);
    ck_assert_int_eq(blkfront_poll(f.bf), 0);
    /* The backend dies with the write unanswered; a new one starts. */
    f.be.connected = false;
    f.be.serve = true;
    f.be.max_order = 1;
    th_write(f.os, BE_DIR "/max-ring-page-order", "1");
    th_write(f.os, BE_DIR "/state", "2");
    ck_assert_int_eq(blkfront_drain_sync(f.bf), 0);
    ck_assert(o.done);
    ck_assert_int_eq(o.status, 0);
    ck_assert_mem_eq(f.be.disk + 40 * 512, w, sizeof(w));
    const struct blkfront_info *in = blkfront_get_info(f.bf);
    ck_assert_uint_eq(in->reconnects, 1);
    ck_assert_uint_eq(in->ring_order, 1);
    ck_assert_uint_eq(f.be.order, 1);
    ck_assert_msg(strstr(th_log(f.os), "issued again"), "%s", th_log(f.os));
    fx_fini(&f);
}
END_TEST

/* A backend that restarts after reading our ring but before connecting
 * gets a fresh one. */
START_TEST(backend_restart_before_connecting)
{
    struct fx f;
    fx_init(&f, 64);
    struct blkfront *bf;
    ck_assert_int_eq(blkfront_open(f.os, "xvda", NULL, &bf), 0);
    f.bf = bf;
    fake_be_step(&f.be);                    /* InitWait */
    ck_assert_int_eq(blkfront_poll(bf), 0); /* ring written, Initialised */
    ck_assert_str_eq(th_read(f.os, FE_DIR "/state"), "3");
    const char *ref = th_read(f.os, FE_DIR "/ring-ref");
    ck_assert_ptr_nonnull(ref);
    char old_ref[16];
    snprintf(old_ref, sizeof old_ref, "%s", ref);
    th_write(f.os, BE_DIR "/state", "3"); /* it took the ring... */
    ck_assert_int_eq(blkfront_poll(bf), 0);
    th_write(f.os, BE_DIR "/state", "2"); /* ...and died; a new one waits */
    ck_assert_int_eq(blkfront_poll(bf), 0);
    ck_assert_msg(strstr(th_log(f.os), "before connecting; starting over"), "%s", th_log(f.os));
    ck_assert_str_eq(th_read(f.os, FE_DIR "/state"), "3");
    ck_assert_str_ne(th_read(f.os, FE_DIR "/ring-ref"), old_ref);
    uint8_t b[512] = { 7 };
    ck_assert_int_eq(blkfront_write_sync(bf, 1, b, 512), 0);
    ck_assert_int_eq(f.be.disk[512], 7);
    fx_fini(&f);
}
END_TEST

/* The first wait restarts the backend without indirect requests, with a
 * 128 KiB write in flight. */
static void restart_smaller(void *arg)
{
    struct fx *f = arg;
    static bool done;
    if (!done && f->be.connected) {
        done = true;
        f->be.connected = false;
        f->be.max_indirect = 0;
        th_rm(f->os, BE_DIR "/feature-max-indirect-segments");
        th_write(f->os, BE_DIR "/state", "2");
        return;
    }
    fake_be_step(&f->be);
}

START_TEST(backend_restart_with_smaller_requests)
{
    struct fx f;
    fx_init(&f, 1024);
    f.be.max_indirect = 64;
    fx_open(&f, NULL);
    ck_assert_uint_eq(blkfront_get_info(f.bf)->max_indirect, 32);
    th_on_wait(f.os, restart_smaller, &f);
    static uint8_t w[131072];
    fill(w, sizeof(w), 21);
    ck_assert_int_eq(blkfront_write_sync(f.bf, 16, w, sizeof(w)), 0);
    ck_assert_mem_eq(f.be.disk + 16 * 512, w, sizeof(w));
    ck_assert_uint_eq(blkfront_get_info(f.bf)->max_indirect, 0);
    ck_assert_msg(strstr(th_log(f.os), "in smaller pieces"), "%s", th_log(f.os));
    fx_fini(&f);
}
END_TEST

START_TEST(resize_while_connected)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    th_write(f.os, BE_DIR "/sectors", "128");
    th_write(f.os, BE_DIR "/state", "4");
    ck_assert_int_ge(blkfront_poll(f.bf), 0);
    ck_assert_uint_eq(blkfront_get_info(f.bf)->sectors, 128);
    ck_assert_msg(strstr(th_log(f.os), "capacity changed from 64 to 128"), "%s", th_log(f.os));
    fx_fini(&f);
}
END_TEST

START_TEST(close_and_reopen)
{
    struct fx f;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    blkfront_close(f.bf);
    f.bf = NULL;
    /* The backend still maps the ring until it answers Closing: the ring
     * is given back after that, never before. */
    ck_assert_int_eq(th_ring_shared_at_closing(f.os), 1);
    ck_assert_str_eq(th_read(f.os, FE_DIR "/state"), "6");
    ck_assert_str_eq(th_read(f.os, BE_DIR "/state"), "5"); /* it closes next */
    fx_open(&f, NULL);
    uint8_t b[512] = { 42 };
    ck_assert_int_eq(blkfront_write_sync(f.bf, 1, b, 512), 0);
    ck_assert_int_eq(f.be.disk[512], 42);
    fx_fini(&f);
}
END_TEST

static void count_wait(void *arg)
{
    (*(unsigned *)arg)++;
}

/* The close of a caller that never waits: blkfront itself never calls
 * os_wait(); the caller moves the backend on and polls until it let go,
 * then frees, and the device opens again. */
START_TEST(close_without_waiting)
{
    struct fx f;
    unsigned waits = 0, steps = 0;
    fx_init(&f, 64);
    fx_open(&f, NULL);
    th_on_wait(f.os, count_wait, &waits);
    blkfront_close_start(f.bf);
    ck_assert_str_eq(th_read(f.os, FE_DIR "/state"), "5");
    ck_assert(!blkfront_close_poll(f.bf)); /* the backend has not answered */
    while (!blkfront_close_poll(f.bf)) {
        ck_assert_uint_lt(++steps, 100);
        fake_be_step(&f.be);
    }
    ck_assert_uint_eq(waits, 0);
    ck_assert_uint_gt(steps, 0);
    ck_assert_int_eq(th_ring_shared_at_closing(f.os), 1);
    ck_assert_str_eq(th_read(f.os, FE_DIR "/state"), "6");
    blkfront_free(f.bf);
    f.bf = NULL;
    th_on_wait(f.os, fake_be_step_cb, &f.be);
    fx_open(&f, NULL);
    uint8_t b[512] = { 7 };
    ck_assert_int_eq(blkfront_write_sync(f.bf, 2, b, 512), 0);
    ck_assert_int_eq(f.be.disk[1024], 7);
    fx_fini(&f);
}
END_TEST

START_TEST(no_device)
{
    struct os *os = th_new();
    struct blkfront *bf;
    ck_assert_int_lt(blkfront_open(os, "xvda", NULL, &bf), 0);
    ck_assert_msg(strstr(th_log(os), "no vbd device 51712"), "%s", th_log(os));
    ck_assert_int_eq(blkfront_open(os, "sda", NULL, &bf), -OS_EINVAL);
    th_free(os);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("blkfront");
    TCase *t = tcase_create("negotiation");
    tcase_add_test(t, vdev_names);
    tcase_add_loop_test(t, ring_order_matrix, 0, 25);
    tcase_add_test(t, features_only_at_connected);
    tcase_add_test(t, backend_never_in_initwait);
    tcase_add_test(t, frontend_skips_initialised);
    tcase_add_test(t, transaction_conflicts_are_redone);
    tcase_add_test(t, no_device);
    suite_add_tcase(s, t);
    t = tcase_create("io");
    tcase_add_test(t, any_buffer_address_is_copied);
    tcase_add_test(t, zero_copy_of_unaligned_buffer_is_refused);
    tcase_add_test(t, zero_copy_of_own_buffers);
    tcase_add_test(t, zero_copy_grants_are_ended);
    tcase_add_test(t, unaligned_buffer_in_region_is_copied);
    tcase_add_test(t, queue_depth_is_the_ring_size);
    tcase_add_test(t, write_grants_follow_persistent_negotiation);
    tcase_add_test(t, bounce_pages_leak_nothing);
    tcase_add_test(t, indirect_requests);
    tcase_add_test(t, logical_block_size_4096);
    tcase_add_test(t, out_of_range_and_bad_lengths);
    tcase_add_test(t, discard_needs_the_feature);
    suite_add_tcase(s, t);
    t = tcase_create("malicious backend");
    tcase_add_test(t, malicious_rsp_prod_overflow);
    tcase_add_test(t, malicious_id_out_of_range);
    tcase_add_test(t, malicious_id_equal_to_ring_size);
    tcase_add_test(t, malicious_duplicate_id);
    tcase_add_test(t, malicious_wrong_operation);
    tcase_add_test(t, bad_backend_state);
    tcase_add_test(t, event_storm);
    suite_add_tcase(s, t);
    t = tcase_create("lifecycle");
    tcase_add_test(t, backend_restart_reissues_in_flight);
    tcase_add_test(t, resize_while_connected);
    tcase_add_test(t, backend_restart_before_connecting);
    tcase_add_test(t, backend_restart_with_smaller_requests);
    tcase_add_test(t, close_and_reopen);
    tcase_add_test(t, close_without_waiting);
    suite_add_tcase(s, t);
    return check_main(s);
}
