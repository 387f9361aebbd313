/*
 * test_blkback_ring.c — blkback's request core against a frontend in
 * plain memory: real image files, real second mappings of the frontend's
 * pages, every validation rule and every feature path.
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "blkback_harness.h"

static void fill(void *p, size_t n, unsigned seed)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(seed * 31u + i * 7u + (i >> 9));
}

static int16_t one_status(struct harness *h, uint64_t want_id)
{
    blkif_response_t rsp;
    ck_assert(h_response(h, &rsp));
    ck_assert_uint_eq(rsp.id, want_id);
    return rsp.status;
}

START_TEST(write_then_read_back)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 3 * 4096, 1);
    h_rw(&h, BLKIF_OP_WRITE, 7, 16, 3, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 7), BLKIF_RSP_OKAY);

    char on_disk[3 * 4096];
    h_image_read(&h, 16 * 512, on_disk, sizeof(on_disk));
    ck_assert_mem_eq(on_disk, h_page(&h, H_DATA0), sizeof(on_disk));

    h_rw(&h, BLKIF_OP_READ, 8, 16, 3, H_DATA0 + 10);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 8), BLKIF_RSP_OKAY);
    ck_assert_mem_eq(h_page(&h, H_DATA0 + 10), on_disk, sizeof(on_disk));
    h_teardown(&h);
}
END_TEST

START_TEST(partial_sectors_within_pages)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    char pat[4096];
    fill(pat, sizeof(pat), 9);
    h_image_write(&h, 100 * 512, pat, 3 * 512);
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = BLKIF_OP_READ;
    req.nr_segments = 2;
    req.id = 3;
    req.sector_number = 100;
    req.seg[0] = (struct blkif_request_segment){ .gref = H_DATA0, .first_sect = 5, .last_sect = 6 };
    req.seg[1] =
        (struct blkif_request_segment){ .gref = H_DATA0 + 1, .first_sect = 7, .last_sect = 7 };
    h_queue(&h, &req);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_OKAY);
    ck_assert_mem_eq((char *)h_page(&h, H_DATA0) + 5 * 512, pat, 1024);
    ck_assert_mem_eq((char *)h_page(&h, H_DATA0 + 1) + 7 * 512, pat + 1024, 512);
    h_teardown(&h);
}
END_TEST

/* Orders 0..4: more requests than a single page holds, all served. */
START_TEST(multi_page_ring)
{
    unsigned pages = 1u << _i;
    struct harness h;
    h_setup(&h, pages, false);
    ck_assert_int_eq(h_open(&h), 0);
    unsigned size = RING_SIZE(&h.front), total = 0;
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < size; i++)
            h_rw(&h, BLKIF_OP_WRITE, total + i, (total + i) % 512 * 8, 1, H_DATA0 + i % 64);
        ck_assert_int_eq(h_push_serve(&h), 0);
        blkif_response_t rsp;
        for (unsigned i = 0; i < size; i++) {
            ck_assert(h_response(&h, &rsp));
            ck_assert_uint_eq(rsp.id, total + i);
            ck_assert_int_eq(rsp.status, BLKIF_RSP_OKAY);
        }
        ck_assert(!h_response(&h, &rsp));
        total += size;
    }
    ck_assert_uint_eq(size, 32u * pages);
    h_teardown(&h);
}
END_TEST

static void queue_indirect(struct harness *h, uint8_t op, uint64_t id, uint64_t sector,
                           unsigned nsegs, unsigned ind_page, unsigned data0)
{
    struct blkif_request_segment *segs = h_page(h, ind_page);
    for (unsigned i = 0; i < nsegs; i++)
        segs[i] =
            (struct blkif_request_segment){ .gref = data0 + i, .first_sect = 0, .last_sect = 7 };
    /* A whole ring slot: the indirect layout is shorter than a slot. */
    blkif_request_t slot;
    memset(&slot, 0, sizeof(slot));
    blkif_request_indirect_t *req = (blkif_request_indirect_t *)&slot;
    req->operation = BLKIF_OP_INDIRECT;
    req->indirect_op = op;
    req->nr_segments = (uint16_t)nsegs;
    req->id = id;
    req->sector_number = sector;
    unsigned npages = (nsegs + 511) / 512;
    for (unsigned i = 0; i < npages && i < BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST; i++)
        req->indirect_grefs[i] = ind_page + i;
    h_queue(h, &slot);
}

START_TEST(indirect_one_mebibyte)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, 100), 256 * 4096, 4);
    queue_indirect(&h, BLKIF_OP_WRITE, 1, 2048, 256, H_DATA0, 100);
    ck_assert_int_eq(h_push_serve(&h), 0);
    blkif_response_t rsp;
    ck_assert(h_response(&h, &rsp));
    ck_assert_int_eq(rsp.status, BLKIF_RSP_OKAY);
    ck_assert_uint_eq(rsp.operation, BLKIF_OP_WRITE);
    char *disk = malloc(256 * 4096);
    h_image_read(&h, 2048 * 512, disk, 256 * 4096);
    ck_assert_mem_eq(disk, h_page(&h, 100), 256 * 4096);

    queue_indirect(&h, BLKIF_OP_READ, 2, 2048, 256, H_DATA0 + 1, 400);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_OKAY);
    ck_assert_mem_eq(h_page(&h, 400), disk, 256 * 4096);
    free(disk);
    h_teardown(&h);
}
END_TEST

START_TEST(indirect_two_pages_of_segments)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.max_indirect_segments = 1024;
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, 100), 600 * 4096, 5);
    queue_indirect(&h, BLKIF_OP_WRITE, 1, 0, 600, H_DATA0, 100);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    char *disk = malloc(600 * 4096);
    h_image_read(&h, 0, disk, 600 * 4096);
    ck_assert_mem_eq(disk, h_page(&h, 100), 600 * 4096);
    free(disk);
    h_teardown(&h);
}
END_TEST

START_TEST(indirect_too_many_segments_cuts_off)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    queue_indirect(&h, BLKIF_OP_READ, 1, 0, 257, H_DATA0, 100);
    h_rw(&h, BLKIF_OP_READ, 2, 0, 1, 100);
    ck_assert_int_eq(h_push_serve(&h), -EPROTO);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_ERROR);
    blkif_response_t rsp;
    ck_assert(!h_response(&h, &rsp)); /* nothing served after the cut */
    ck_assert(h_diag_has(&h, "dom1 vbd 51712"));
    ck_assert(h_diag_has(&h, "nr_segments 257"));
    ck_assert(h_diag_has(&h, "cut off"));
    h_teardown(&h);
}
END_TEST

START_TEST(indirect_not_offered_cuts_off)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.max_indirect_segments = 0;
    ck_assert_int_eq(h_open(&h), 0);
    queue_indirect(&h, BLKIF_OP_READ, 1, 0, 16, H_DATA0, 100);
    ck_assert_int_eq(h_push_serve(&h), -EPROTO);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_ERROR);
    ck_assert(h_diag_has(&h, "feature-max-indirect-segments not offered"));
    h_teardown(&h);
}
END_TEST

START_TEST(indirect_bad_inner_op_cuts_off)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    queue_indirect(&h, BLKIF_OP_DISCARD, 1, 0, 16, H_DATA0, 100);
    ck_assert_int_eq(h_push_serve(&h), -EPROTO);
    ck_assert(h_diag_has(&h, "indirect_op 5"));
    h_teardown(&h);
}
END_TEST

START_TEST(indirect_segment_leaving_page_names_ref)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    queue_indirect(&h, BLKIF_OP_READ, 1, 0, 20, H_DATA0, 100);
    struct blkif_request_segment *segs = h_page(&h, H_DATA0);
    segs[13].last_sect = 8;
    ck_assert_int_eq(h_push_serve(&h), -EPROTO);
    ck_assert(h_diag_has(&h, "segment 13 ref 113: first_sect 0 last_sect 8 leave the page"));
    h_teardown(&h);
}
END_TEST

/* Each malformed direct segment: error response and a diagnosis; strict
 * cuts the frontend off, lenient keeps serving (Linux's behaviour). */
static const struct blkif_request_segment bad_segs[] = {
    { .gref = H_DATA0, .first_sect = 0, .last_sect = 8 },
    { .gref = H_DATA0, .first_sect = 5, .last_sect = 4 },
    { .gref = H_DATA0, .first_sect = 200, .last_sect = 255 },
};

START_TEST(bad_segment_strict_cuts_off)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = BLKIF_OP_READ;
    req.nr_segments = 1;
    req.id = 44;
    req.seg[0] = bad_segs[_i];
    h_queue(&h, &req);
    h_rw(&h, BLKIF_OP_READ, 45, 0, 1, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), -EPROTO);
    ck_assert_int_eq(one_status(&h, 44), BLKIF_RSP_ERROR);
    blkif_response_t rsp;
    ck_assert(!h_response(&h, &rsp));
    ck_assert(h_diag_has(&h, "ref 16"));
    ck_assert(h_diag_has(&h, "leave the page"));
    /* Once cut off, later kicks serve nothing. */
    ck_assert_int_eq(h_push_serve(&h), -EPROTO);
    ck_assert(bb_ring_broken(h.ring));
    h_teardown(&h);
}
END_TEST

START_TEST(bad_segment_lenient_keeps_serving)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.strict = false;
    ck_assert_int_eq(h_open(&h), 0);
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = BLKIF_OP_WRITE;
    req.nr_segments = 1;
    req.id = 44;
    req.seg[0] = bad_segs[0];
    h_queue(&h, &req);
    h_rw(&h, BLKIF_OP_READ, 45, 0, 1, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 44), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 45), BLKIF_RSP_OKAY);
    ck_assert(!h_diag_has(&h, "cut off"));
    h_teardown(&h);
}
END_TEST

START_TEST(too_many_direct_segments)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    h_rw(&h, BLKIF_OP_READ, 1, 0, 12, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), -EPROTO);
    ck_assert(h_diag_has(&h, "nr_segments 12"));
    h_teardown(&h);
}
END_TEST

START_TEST(zero_segment_read)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    h_rw(&h, BLKIF_OP_READ, 1, 0, 0, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), -EPROTO);
    ck_assert(h_diag_has(&h, "nr_segments 0"));
    h_teardown(&h);
}
END_TEST

START_TEST(unknown_operation)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.strict = (_i == 0);
    ck_assert_int_eq(h_open(&h), 0);
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = 77;
    req.id = 5;
    h_queue(&h, &req);
    ck_assert_int_eq(h_push_serve(&h), _i == 0 ? -EPROTO : 0);
    ck_assert_int_eq(one_status(&h, 5), _i == 0 ? BLKIF_RSP_ERROR : BLKIF_RSP_EOPNOTSUPP);
    ck_assert(h_diag_has(&h, "operation 77"));
    h_teardown(&h);
}
END_TEST

START_TEST(producer_overflow_cuts_off)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    h.front.sring->req_prod = 33; /* one more than the 32-slot ring */
    bool notify;
    ck_assert_int_eq(bb_ring_serve(h.ring, 100, &notify), -EPROTO);
    ck_assert(h_diag_has(&h, "req_prod 33 is 33 ahead of rsp_prod 0"));
    ck_assert(h_diag_has(&h, "cut off"));
    blkif_response_t rsp;
    ck_assert(!h_response(&h, &rsp));
    h_teardown(&h);
}
END_TEST

START_TEST(readonly_device_refuses_writes)
{
    struct harness h;
    h_setup(&h, 1, true);
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 4096, 2);
    h_rw(&h, BLKIF_OP_WRITE, 1, 0, 1, H_DATA0);
    h_rw(&h, BLKIF_OP_READ, 2, 0, 1, H_DATA0 + 1);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_OKAY);
    char zero[4096] = { 0 }, disk[4096];
    h_image_read(&h, 0, disk, sizeof(disk));
    ck_assert_mem_eq(disk, zero, sizeof(disk));
    ck_assert(h_diag_has(&h, "write to a read-only device"));
    ck_assert(!h_diag_has(&h, "cut off"));
    h_teardown(&h);
}
END_TEST

/* Every operation that carries data to the disk is a write: a
 * write-barrier or a flush with segments is refused on a read-only
 * device as a plain write is (the image would refuse it too, later and
 * with a worse reason), and a flush without data is not a write. */
START_TEST(readonly_device_refuses_barrier_and_flush_with_data)
{
    struct harness h;
    h_setup(&h, 1, true);
    h.cfg.flush = true;
    h.cfg.barrier = true;
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 4096, 3);
    h_rw(&h, BLKIF_OP_WRITE_BARRIER, 1, 0, 1, H_DATA0);
    h_rw(&h, BLKIF_OP_FLUSH_DISKCACHE, 2, 8, 1, H_DATA0);
    h_rw(&h, BLKIF_OP_FLUSH_DISKCACHE, 3, UINT64_MAX, 0, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_OKAY);
    ck_assert(h_diag_has(&h, "write-barrier to a read-only device"));
    ck_assert(h_diag_has(&h, "flush to a read-only device"));
    char zero[8192] = { 0 }, disk[8192];
    h_image_read(&h, 0, disk, sizeof(disk));
    ck_assert_mem_eq(disk, zero, sizeof(disk));
    h_teardown(&h);
}
END_TEST

START_TEST(range_beyond_end)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    h_rw(&h, BLKIF_OP_READ, 1, H_IMAGE_SECTORS - 8, 1, H_DATA0); /* last page: fine */
    h_rw(&h, BLKIF_OP_READ, 2, H_IMAGE_SECTORS - 7, 1, H_DATA0); /* one sector past */
    h_rw(&h, BLKIF_OP_WRITE, 3, UINT64_MAX - 3, 1, H_DATA0);     /* wraps */
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_ERROR);
    /* Each refused for its range, not for what reading past the end did. */
    ck_assert(h_diag_has(&h, "sectors 8185..+8 beyond the end of the device (8192 sectors)"));
    ck_assert(h_diag_has(&h, "sectors 18446744073709551612..+8 beyond the end"));
    h_teardown(&h);
}
END_TEST

START_TEST(sector_size_4096_alignment)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.sector_size = 4096;
    ck_assert_int_eq(h_open(&h), 0);
    h_rw(&h, BLKIF_OP_WRITE, 1, 8, 1, H_DATA0); /* 4 KiB at 4 KiB: fine */
    h_rw(&h, BLKIF_OP_WRITE, 2, 3, 1, H_DATA0); /* misaligned start */
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = BLKIF_OP_READ;
    req.nr_segments = 1;
    req.id = 3;
    req.sector_number = 8;
    req.seg[0] = (struct blkif_request_segment){ .gref = H_DATA0, .first_sect = 0, .last_sect = 3 };
    h_queue(&h, &req); /* 2 KiB: not a whole sector */
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_ERROR);
    ck_assert(h_diag_has(&h, "not aligned to the 4096-byte sector size"));
    h_teardown(&h);
}
END_TEST

START_TEST(map_failure_fails_request_only)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    bb_memfd_fail_ref(h.mm, H_DATA0 + 1, true);
    bb_memfd_revoke(h.mm, H_DATA0 + 5);
    h_rw(&h, BLKIF_OP_READ, 1, 0, 2, H_DATA0);
    h_rw(&h, BLKIF_OP_WRITE, 2, 0, 1, H_DATA0 + 5);
    h_rw(&h, BLKIF_OP_READ, 3, 0, 1, H_DATA0 + 2);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_OKAY);
    ck_assert(h_diag_has(&h, "first ref 16) failed"));
    ck_assert(!bb_ring_broken(h.ring));
    h_teardown(&h);
}
END_TEST

START_TEST(read_into_readonly_grant_fails)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    bb_memfd_grant(h.mm, H_DATA0, H_DATA0, true);
    fill(h_page(&h, H_DATA0), 4096, 3);
    h_rw(&h, BLKIF_OP_WRITE, 1, 0, 1, H_DATA0); /* backend only reads it: fine */
    h_rw(&h, BLKIF_OP_READ, 2, 0, 1, H_DATA0);  /* backend would write it */
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_ERROR);
    h_teardown(&h);
}
END_TEST

START_TEST(responses_never_leak_padding)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.strict = false;
    ck_assert_int_eq(h_open(&h), 0);
    for (unsigned i = 0; i < 8; i++) {
        blkif_request_t req;
        memset(&req, 0xee, sizeof(req));
        req.operation = i % 2 ? BLKIF_OP_READ : 77;
        req.nr_segments = 1;
        req.id = i;
        req.sector_number = 0;
        req.seg[0] =
            (struct blkif_request_segment){ .gref = H_DATA0, .first_sect = 0, .last_sect = 7 };
        h_queue(&h, &req);
    }
    ck_assert_int_eq(h_push_serve(&h), 0);
    for (unsigned i = 0; i < 8; i++) {
        unsigned char *slot = (unsigned char *)RING_GET_RESPONSE(&h.front, i);
        ck_assert_uint_eq(slot[9], 0);
        for (unsigned b = 12; b < sizeof(blkif_response_t); b++)
            ck_assert_uint_eq(slot[b], 0);
    }
    h_teardown(&h);
}
END_TEST

START_TEST(flush_and_barrier)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.flush = (_i & 1) != 0;
    h.cfg.barrier = (_i & 2) != 0;
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 4096, 6);
    h_rw(&h, BLKIF_OP_FLUSH_DISKCACHE, 1, UINT64_MAX, 0, H_DATA0); /* pure flush: no range */
    h_rw(&h, BLKIF_OP_FLUSH_DISKCACHE, 2, 8, 1, H_DATA0);          /* write + flush */
    h_rw(&h, BLKIF_OP_WRITE_BARRIER, 3, 16, 1, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    int16_t f = h.cfg.flush ? BLKIF_RSP_OKAY : BLKIF_RSP_EOPNOTSUPP;
    int16_t b = h.cfg.barrier ? BLKIF_RSP_OKAY : BLKIF_RSP_EOPNOTSUPP;
    ck_assert_int_eq(one_status(&h, 1), f);
    ck_assert_int_eq(one_status(&h, 2), f);
    ck_assert_int_eq(one_status(&h, 3), b);
    char disk[4096];
    h_image_read(&h, 8 * 512, disk, sizeof(disk));
    ck_assert_int_eq(memcmp(disk, h_page(&h, H_DATA0), 4096) == 0, h.cfg.flush);
    h_image_read(&h, 16 * 512, disk, sizeof(disk));
    ck_assert_int_eq(memcmp(disk, h_page(&h, H_DATA0), 4096) == 0, h.cfg.barrier);
    ck_assert(!bb_ring_broken(h.ring));
    h_teardown(&h);
}
END_TEST

static void queue_discard(struct harness *h, uint64_t id, uint64_t sector, uint64_t n, uint8_t flag)
{
    blkif_request_t slot;
    memset(&slot, 0, sizeof(slot));
    blkif_request_discard_t *d = (blkif_request_discard_t *)&slot;
    d->operation = BLKIF_OP_DISCARD;
    d->flag = flag;
    d->id = id;
    d->sector_number = sector;
    d->nr_sectors = n;
    h_queue(h, &slot);
}

/* A discard changes the disk: refused on a read-only device, for that
 * reason (not because punching a hole in a read-only file fails). */
START_TEST(discard_on_readonly_device_refused)
{
    struct harness h;
    h_setup(&h, 1, true);
    ck_assert_int_eq(h_open(&h), 0);
    queue_discard(&h, 1, 0, 8, 0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_ERROR);
    ck_assert(h_diag_has(&h, "discard on a read-only device"));
    ck_assert(!bb_ring_broken(h.ring));
    h_teardown(&h);
}
END_TEST

START_TEST(discard_zeroes_range)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.discard_granularity = 4096;
    ck_assert_int_eq(h_open(&h), 0);
    char pat[16384], disk[16384], zero[8192] = { 0 };
    fill(pat, sizeof(pat), 8);
    h_image_write(&h, 0, pat, sizeof(pat));
    queue_discard(&h, 1, 8, 16, 0);                   /* bytes 4096..12287 */
    queue_discard(&h, 2, 9, 8, 0);                    /* misaligned */
    queue_discard(&h, 3, 0, 8, BLKIF_DISCARD_SECURE); /* secure not offered */
    queue_discard(&h, 4, H_IMAGE_SECTORS, 8, 0);      /* beyond end */
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_EOPNOTSUPP);
    ck_assert_int_eq(one_status(&h, 4), BLKIF_RSP_ERROR);
    h_image_read(&h, 0, disk, sizeof(disk));
    ck_assert_mem_eq(disk, pat, 4096);
    ck_assert_mem_eq(disk + 4096, zero, 8192);
    ck_assert_mem_eq(disk + 12288, pat + 12288, 4096);
    h_teardown(&h);
}
END_TEST

START_TEST(discard_not_offered)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.discard = false;
    ck_assert_int_eq(h_open(&h), 0);
    queue_discard(&h, 1, 0, 8, 0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_EOPNOTSUPP);
    h_teardown(&h);
}
END_TEST

START_TEST(persistent_grants_mapped_once)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.persistent = true;
    h.cfg.max_persistent_grants = 4;
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 6 * 4096, 7);
    h_rw(&h, BLKIF_OP_WRITE, 1, 0, 3, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    struct bb_ring_stats st;
    bb_ring_stats(h.ring, &st);
    ck_assert_uint_eq(st.persistent_mapped, 3);
    ck_assert_uint_eq(bb_memfd_mapped_pages(h.mm), 1 + 3); /* ring + cache */
    /* Same refs again: hits.  Then 3 new refs: one fits, two go through
     * ordinary maps that are ended after the request. */
    h_rw(&h, BLKIF_OP_READ, 2, 0, 3, H_DATA0);
    h_rw(&h, BLKIF_OP_READ, 3, 0, 3, H_DATA0 + 3);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_OKAY);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_OKAY);
    ck_assert_mem_eq(h_page(&h, H_DATA0 + 3), h_page(&h, H_DATA0), 3 * 4096);
    bb_ring_stats(h.ring, &st);
    ck_assert_uint_eq(st.persistent_hits, 3);
    ck_assert_uint_eq(st.persistent_mapped, 4);
    ck_assert_uint_eq(bb_memfd_mapped_pages(h.mm), 1 + 4);
    h_teardown(&h); /* asserts every persistent map was ended */
}
END_TEST

/* XSA-155: a frontend rewriting requests (operation, nr_segments, the
 * indirect count and segment list) while the backend reads them.  The
 * backend copies each request and each indirect page once, so whatever it
 * sees is one consistent value: it answers every request exactly once and
 * never reaches outside what it mapped (AddressSanitizer in test-san). */
struct mutator {
    struct harness *h;
    volatile bool stop;
};

static void *mutate(void *arg)
{
    struct mutator *m = arg;
    uint64_t x = 88172645463325252ull;
    unsigned char *ring = (unsigned char *)m->h->front.sring;
    unsigned char *ind = h_page(m->h, H_DATA0);
    while (!m->stop) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned slot = (unsigned)(x % 32);
        unsigned char *req = ring + 64 + slot * sizeof(blkif_request_t);
        switch ((x >> 8) & 3) {
        case 0: __atomic_store_n(&req[0], (unsigned char)(x >> 16) % 8, __ATOMIC_RELAXED); break;
        case 1: __atomic_store_n(&req[1], (unsigned char)(x >> 16), __ATOMIC_RELAXED); break;
        case 2: __atomic_store_n(&req[2], (unsigned char)(x >> 16), __ATOMIC_RELAXED); break;
        default:
            __atomic_store_n(&ind[(x >> 16) % 4096], (unsigned char)(x >> 32), __ATOMIC_RELAXED);
            break;
        }
    }
    return NULL;
}

START_TEST(mutating_frontend_cannot_double_fetch)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.strict = false; /* keep serving through the garbage */
    h.cfg.max_indirect_segments = 4096;
    ck_assert_int_eq(h_open(&h), 0);
    struct mutator m = { .h = &h };
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, mutate, &m), 0);
    unsigned answered = 0;
    for (unsigned round = 0; round < 200; round++) {
        for (unsigned i = 0; i < 16; i++) {
            if (i % 2)
                queue_indirect(&h, BLKIF_OP_READ, round * 16 + i, 0, 40, H_DATA0, 100);
            else
                h_rw(&h, BLKIF_OP_READ, round * 16 + i, 0, 11, 100);
        }
        int rc = h_push_serve(&h);
        ck_assert(rc == 0 || rc == -EPROTO);
        blkif_response_t rsp;
        while (h_response(&h, &rsp))
            answered++;
    }
    m.stop = true;
    pthread_join(th, NULL);
    ck_assert_uint_eq(answered, 200 * 16); /* one response per request */
    h_teardown(&h);
}
END_TEST

/* grant-copy: data moves by grant copy through the backend's buffer; only
 * the ring stays mapped; bad grants fail their request only. */
START_TEST(grant_copy_moves_data)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.grant_copy = true;
    h.cfg.persistent = true; /* ignored: nothing is kept mapped */
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 3 * 4096, 11);
    h_rw(&h, BLKIF_OP_WRITE, 1, 16, 3, H_DATA0);
    h_rw(&h, BLKIF_OP_READ, 2, 16, 3, H_DATA0 + 10);
    fill(h_page(&h, 100), 40 * 4096, 12);
    queue_indirect(&h, BLKIF_OP_WRITE, 3, 2048, 40, H_DATA0 + 20, 100);
    queue_indirect(&h, BLKIF_OP_READ, 4, 2048, 40, H_DATA0 + 21, 200);
    ck_assert_int_eq(h_push_serve(&h), 0);
    for (unsigned id = 1; id <= 4; id++)
        ck_assert_int_eq(one_status(&h, id), BLKIF_RSP_OKAY);
    ck_assert_mem_eq(h_page(&h, H_DATA0 + 10), h_page(&h, H_DATA0), 3 * 4096);
    ck_assert_mem_eq(h_page(&h, 200), h_page(&h, 100), 40 * 4096);
    char disk[4096];
    h_image_read(&h, 16 * 512, disk, sizeof(disk));
    ck_assert_mem_eq(disk, h_page(&h, H_DATA0), 4096);
    ck_assert_uint_eq(bb_memfd_mapped_pages(h.mm), 1); /* the ring only */
    ck_assert_uint_ge(bb_memfd_copied_bytes(h.mm), 2 * (3 + 40) * 4096);

    bb_memfd_grant(h.mm, H_DATA0 + 30, H_DATA0 + 30, true);
    bb_memfd_fail_ref(h.mm, H_DATA0 + 31, true);
    h_rw(&h, BLKIF_OP_READ, 5, 0, 1, H_DATA0 + 30);  /* read into a read-only grant */
    h_rw(&h, BLKIF_OP_WRITE, 6, 0, 1, H_DATA0 + 31); /* a grant that fails */
    h_rw(&h, BLKIF_OP_WRITE, 7, 0, 1, H_DATA0 + 30); /* reading it is fine */
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 5), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 6), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 7), BLKIF_RSP_OKAY);
    /* Xen refuses the write-pin of a read-only entry: GNTST_general_error. */
    ck_assert(h_diag_has(&h, "grant copy of read data, segment 0 ref 46: status -1"));
    ck_assert(!bb_ring_broken(h.ring));
    h_teardown(&h);
}
END_TEST

/* Indirect pages are persistent grants too, as in Linux. */
START_TEST(persistent_indirect_pages)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.persistent = true;
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, 100), 20 * 4096, 3);
    queue_indirect(&h, BLKIF_OP_WRITE, 1, 0, 20, H_DATA0, 100);
    queue_indirect(&h, BLKIF_OP_READ, 2, 0, 20, H_DATA0, 100);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_OKAY);
    struct bb_ring_stats st;
    bb_ring_stats(h.ring, &st);
    ck_assert_uint_eq(st.persistent_mapped, 21); /* 20 data pages + the indirect page */
    ck_assert_uint_eq(st.persistent_hits, 21);
    ck_assert_uint_eq(bb_memfd_mapped_pages(h.mm), 1 + 21);
    h_teardown(&h);
}
END_TEST

/* Linux blkback with persistent grants maps every page writable, the
 * pages of a write and indirect pages included (xen_blkbk_map adds
 * GNTMAP_readonly only without them): a frontend that grants them
 * read-only gets an error for that request, with a line saying why, and
 * keeps being served.  This is what a real Xen showed. */
START_TEST(persistent_maps_a_write_writable)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.persistent = true;
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 4096, 4);
    bb_memfd_grant(h.mm, H_DATA0, H_DATA0, true);
    h_rw(&h, BLKIF_OP_WRITE, 1, 8, 1, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_ERROR);
    ck_assert(h_diag_has(&h, "request id 0x1: writable map of 1 data grant (first ref 16) failed"));
    ck_assert(h_diag_has(&h, "with persistent grants every page is mapped writable, as Linux "
                             "blkback does, so it must be granted read-write"));
    char zero[4096] = { 0 }, disk[4096];
    h_image_read(&h, 8 * 512, disk, sizeof(disk));
    ck_assert_mem_eq(disk, zero, sizeof(disk));

    /* An indirect page granted read-only: the same. */
    fill(h_page(&h, 100), 4 * 4096, 5);
    bb_memfd_grant(h.mm, H_DATA0 + 1, H_DATA0 + 1, true);
    queue_indirect(&h, BLKIF_OP_WRITE, 2, 0, 4, H_DATA0 + 1, 100);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_ERROR);
    ck_assert(
        h_diag_has(&h, "request id 0x2: writable map of 1 indirect page (first ref 17) failed"));

    /* With the cache full the pages are mapped per request, still
     * writable: the write of a read-only grant fails the same way. */
    h_teardown(&h);
    h_setup(&h, 1, false);
    h.cfg.persistent = true;
    h.cfg.max_persistent_grants = 0;
    ck_assert_int_eq(h_open(&h), 0);
    bb_memfd_grant(h.mm, H_DATA0, H_DATA0, true);
    h_rw(&h, BLKIF_OP_WRITE, 3, 8, 1, H_DATA0);
    h_rw(&h, BLKIF_OP_WRITE, 4, 8, 1, H_DATA0 + 1); /* granted read-write */
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_ERROR);
    ck_assert_int_eq(one_status(&h, 4), BLKIF_RSP_OKAY);
    ck_assert(h_diag_has(&h, "request id 0x3: writable map of 1 data grant (first ref 16) failed"));
    ck_assert(!bb_ring_broken(h.ring));
    ck_assert_uint_eq(bb_memfd_mapped_pages(h.mm), 1); /* nothing left mapped */

    /* Without persistent grants a write's pages are mapped read-only, so
     * the same grant works. */
    h_teardown(&h);
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 4096, 6);
    bb_memfd_grant(h.mm, H_DATA0, H_DATA0, true);
    h_rw(&h, BLKIF_OP_WRITE, 5, 8, 1, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 5), BLKIF_RSP_OKAY);
    h_image_read(&h, 8 * 512, disk, sizeof(disk));
    ck_assert_mem_eq(disk, h_page(&h, H_DATA0), sizeof(disk));
    h_teardown(&h);
}
END_TEST

/* persistent-map=op: a write's data and indirect pages are mapped
 * read-only for that request only, so read-only grants of a write work;
 * pages a read fills are mapped writable and kept, and a later write
 * through such a page reuses the kept mapping. */
START_TEST(persistent_map_op_maps_a_write_read_only)
{
    struct harness h;
    h_setup(&h, 1, false);
    h.cfg.persistent = true;
    h.cfg.persistent_map = BB_PMAP_OP;
    ck_assert_int_eq(h_open(&h), 0);
    fill(h_page(&h, H_DATA0), 2 * 4096, 7);
    bb_memfd_grant(h.mm, H_DATA0, H_DATA0, true);
    bb_memfd_grant(h.mm, H_DATA0 + 1, H_DATA0 + 1, true);
    h_rw(&h, BLKIF_OP_WRITE, 1, 16, 2, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    char disk[2 * 4096];
    h_image_read(&h, 16 * 512, disk, sizeof(disk));
    ck_assert_mem_eq(disk, h_page(&h, H_DATA0), sizeof(disk));
    struct bb_ring_stats st;
    bb_ring_stats(h.ring, &st);
    ck_assert_uint_eq(st.persistent_mapped, 0);
    ck_assert_uint_eq(bb_memfd_mapped_pages(h.mm), 1); /* the ring only */

    /* An indirect write whose indirect page is read-only. */
    fill(h_page(&h, 100), 4 * 4096, 8);
    bb_memfd_grant(h.mm, H_DATA0 + 2, H_DATA0 + 2, true);
    queue_indirect(&h, BLKIF_OP_WRITE, 2, 64, 4, H_DATA0 + 2, 100);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_OKAY);
    char disk4[4 * 4096];
    h_image_read(&h, 64 * 512, disk4, sizeof(disk4));
    ck_assert_mem_eq(disk4, h_page(&h, 100), sizeof(disk4));

    /* A read keeps its (writable) pages; a write through them hits. */
    h_rw(&h, BLKIF_OP_READ, 3, 16, 2, H_DATA0 + 10);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_OKAY);
    ck_assert_mem_eq(h_page(&h, H_DATA0 + 10), disk, sizeof(disk));
    h_rw(&h, BLKIF_OP_WRITE, 4, 32, 2, H_DATA0 + 10);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 4), BLKIF_RSP_OKAY);
    bb_ring_stats(h.ring, &st);
    ck_assert_uint_eq(st.persistent_mapped, 2);
    ck_assert_uint_eq(st.persistent_hits, 2);
    ck_assert_uint_eq(bb_memfd_mapped_pages(h.mm), 1 + 2);
    /* A read into a read-only grant still fails. */
    h_rw(&h, BLKIF_OP_READ, 5, 16, 1, H_DATA0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 5), BLKIF_RSP_ERROR);
    h_teardown(&h);
}
END_TEST

/* A frontend that outlived an earlier backend left requests queued: the
 * new backend attaches at rsp_prod and serves just those (D12). */
START_TEST(attach_serves_queued_requests)
{
    struct harness h;
    h_setup(&h, 1, false);
    for (unsigned i = 0; i < 7; i++)
        h_rw(&h, BLKIF_OP_READ, 100 + i, 0, 1, H_DATA0);
    RING_PUSH_REQUESTS(&h.front);
    h.front.sring->rsp_prod = 5; /* five answered by the old backend */
    h.front.rsp_cons = 5;
    ck_assert_int_eq(h_open(&h), 0);
    ck_assert_int_eq(h_push_serve(&h), 0);
    ck_assert_int_eq(one_status(&h, 105), BLKIF_RSP_OKAY);
    ck_assert_int_eq(one_status(&h, 106), BLKIF_RSP_OKAY);
    blkif_response_t rsp;
    ck_assert(!h_response(&h, &rsp));
    h_teardown(&h);
}
END_TEST

START_TEST(budget_limits_one_pass)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    for (unsigned i = 0; i < 10; i++)
        h_rw(&h, BLKIF_OP_READ, i, 0, 1, H_DATA0);
    RING_PUSH_REQUESTS(&h.front);
    bool notify;
    ck_assert_int_eq(bb_ring_serve(h.ring, 4, &notify), 1);
    ck_assert(notify);
    ck_assert_int_eq(bb_ring_serve(h.ring, 4, &notify), 1);
    ck_assert_int_eq(bb_ring_serve(h.ring, 4, &notify), 0);
    for (unsigned i = 0; i < 10; i++)
        ck_assert_int_eq(one_status(&h, i), BLKIF_RSP_OKAY);
    h_teardown(&h);
}
END_TEST

/* A backend that polls the ring's memory serves without asking for an
 * event, so a frontend's request needs none while it looks; its final
 * check before sleeping asks for one, and a request that raced with it
 * is found there instead of being slept through. */
START_TEST(polled_ring_asks_for_an_event_only_when_armed)
{
    struct harness h;
    h_setup(&h, 1, false);
    ck_assert_int_eq(h_open(&h), 0);
    bool notify;
    int fe_notify;
    ck_assert(!bb_ring_has_requests(h.ring));
    h_rw(&h, BLKIF_OP_READ, 1, 0, 1, H_DATA0);
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&h.front, fe_notify);
    ck_assert(fe_notify); /* the ring starts armed (req_event 1) */
    ck_assert(bb_ring_has_requests(h.ring));
    ck_assert(bb_ring_has_requests(h.ring)); /* looking takes nothing */
    ck_assert_int_eq(bb_ring_serve_polled(h.ring, 16, &notify), 0);
    ck_assert(!bb_ring_has_requests(h.ring));
    ck_assert_int_eq(one_status(&h, 1), BLKIF_RSP_OKAY);
    /* Not armed: the next request needs no event, and is seen. */
    h_rw(&h, BLKIF_OP_READ, 2, 8, 1, H_DATA0);
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&h.front, fe_notify);
    ck_assert(!fe_notify);
    ck_assert(bb_ring_has_requests(h.ring));
    /* A request that came before the final check: no sleep. */
    ck_assert(bb_ring_arm(h.ring));
    ck_assert_int_eq(bb_ring_serve_polled(h.ring, 16, &notify), 0);
    ck_assert_int_eq(one_status(&h, 2), BLKIF_RSP_OKAY);
    /* Nothing came: armed, so the next request comes with an event. */
    ck_assert(!bb_ring_arm(h.ring));
    h_rw(&h, BLKIF_OP_READ, 3, 16, 1, H_DATA0);
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&h.front, fe_notify);
    ck_assert(fe_notify);
    ck_assert(bb_ring_has_requests(h.ring));
    ck_assert_int_eq(bb_ring_serve_polled(h.ring, 16, &notify), 0);
    ck_assert_int_eq(one_status(&h, 3), BLKIF_RSP_OKAY);
    /* A cut-off ring has nothing to serve and never wakes anyone. */
    h.front.sring->req_prod += 1000;
    ck_assert(bb_ring_has_requests(h.ring));
    ck_assert_int_eq(bb_ring_serve_polled(h.ring, 16, &notify), -EPROTO);
    ck_assert(!bb_ring_has_requests(h.ring));
    ck_assert(!bb_ring_arm(h.ring));
    h_teardown(&h);
}
END_TEST

START_TEST(unmappable_ring_is_an_error)
{
    struct harness h;
    h_setup(&h, 2, false);
    bb_memfd_revoke(h.mm, 1);
    ck_assert_int_eq(h_open(&h), -EINVAL);
    ck_assert(h_diag_has(&h, "cannot map ring (2 pages, first ref 0)"));
    h.cfg.nr_ring_pages = 3;
    ck_assert_int_eq(h_open(&h), -EINVAL);
    h_teardown(&h);
}
END_TEST

/* A fuzz target keeps one mapper and resets it per input: after a reset it
 * must answer every call as a mapper just made does. */
START_TEST(reset_mapper_behaves_as_fresh)
{
    struct bb_memfd_mapper *fresh = bb_memfd_mapper_new(H_DOM, 4, 8);
    struct bb_memfd_mapper *used = bb_memfd_mapper_new(H_DOM, 4, 8);
    ck_assert(fresh && used);
    struct bb_mapper *ub = bb_memfd_mapper_base(used);
    ck_assert_int_eq(bb_memfd_grant(used, 1, 1, false), 0);
    ck_assert_int_eq(bb_memfd_grant(used, 2, 2, true), 0);
    bb_memfd_fail_ref(used, 3, true);
    fill(bb_memfd_frontend_page(used, 1), 4096, 5);
    grant_ref_t ref = 1;
    void *va = ub->ops->map(ub, H_DOM, 1, &ref, true);
    ck_assert_ptr_nonnull(va);
    ck_assert_int_eq(bb_memfd_mapper_reset(used), -EBUSY); /* a map still out */
    ck_assert_int_eq(ub->ops->unmap(ub, va, 1), 0);
    ck_assert_int_eq(bb_memfd_mapper_reset(used), 0);

    struct bb_memfd_mapper *both[2] = { fresh, used };
    for (int k = 0; k < 2; k++) {
        struct bb_memfd_mapper *m = both[k];
        struct bb_mapper *b = bb_memfd_mapper_base(m);
        static const uint8_t zero[4096];
        for (unsigned p = 0; p < 4; p++)
            ck_assert_int_eq(memcmp(bb_memfd_frontend_page(m, p), zero, sizeof(zero)), 0);
        ck_assert_uint_eq(bb_memfd_mapped_pages(m), 0);
        ck_assert_uint_eq(bb_memfd_copied_bytes(m), 0);
        for (grant_ref_t r = 0; r < 8; r++) /* nothing granted */
            ck_assert_ptr_null(b->ops->map(b, H_DOM, 1, &r, false));
        ck_assert_int_eq(bb_memfd_grant(m, 3, 3, false), 0); /* and no ref failing */
        ref = 3;
        va = b->ops->map(b, H_DOM, 1, &ref, true);
        ck_assert_ptr_nonnull(va);
        ck_assert_int_eq(b->ops->unmap(b, va, 1), 0);
    }
    bb_memfd_mapper_free(fresh);
    bb_memfd_mapper_free(used);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("blkback_ring");
    TCase *t = tcase_create("core");
    tcase_add_unchecked_fixture(t, h_base_setup, h_base_teardown);
    tcase_add_test(t, write_then_read_back);
    tcase_add_test(t, partial_sectors_within_pages);
    tcase_add_loop_test(t, multi_page_ring, 0, 5);
    tcase_add_test(t, indirect_one_mebibyte);
    tcase_add_test(t, indirect_two_pages_of_segments);
    tcase_add_test(t, indirect_too_many_segments_cuts_off);
    tcase_add_test(t, indirect_not_offered_cuts_off);
    tcase_add_test(t, indirect_bad_inner_op_cuts_off);
    tcase_add_test(t, indirect_segment_leaving_page_names_ref);
    tcase_add_loop_test(t, bad_segment_strict_cuts_off, 0, 3);
    tcase_add_test(t, bad_segment_lenient_keeps_serving);
    tcase_add_test(t, too_many_direct_segments);
    tcase_add_test(t, zero_segment_read);
    tcase_add_loop_test(t, unknown_operation, 0, 2);
    tcase_add_test(t, producer_overflow_cuts_off);
    tcase_add_test(t, readonly_device_refuses_writes);
    tcase_add_test(t, readonly_device_refuses_barrier_and_flush_with_data);
    tcase_add_test(t, range_beyond_end);
    tcase_add_test(t, sector_size_4096_alignment);
    tcase_add_test(t, map_failure_fails_request_only);
    tcase_add_test(t, read_into_readonly_grant_fails);
    tcase_add_test(t, responses_never_leak_padding);
    tcase_add_loop_test(t, flush_and_barrier, 0, 4);
    tcase_add_test(t, discard_zeroes_range);
    tcase_add_test(t, discard_on_readonly_device_refused);
    tcase_add_test(t, discard_not_offered);
    tcase_add_test(t, persistent_grants_mapped_once);
    tcase_add_test(t, persistent_indirect_pages);
    tcase_add_test(t, persistent_maps_a_write_writable);
    tcase_add_test(t, persistent_map_op_maps_a_write_read_only);
    tcase_add_test(t, grant_copy_moves_data);
    tcase_add_test(t, attach_serves_queued_requests);
    tcase_add_test(t, budget_limits_one_pass);
    tcase_add_test(t, polled_ring_asks_for_an_event_only_when_armed);
    tcase_add_test(t, unmappable_ring_is_an_error);
    tcase_add_test(t, reset_mapper_behaves_as_fresh);
    suite_add_tcase(s, t);
    /* A case of its own: 3200 requests against a thread that keeps
     * rewriting them take about a second of CPU, which Check's default
     * four-second limit does not cover on a loaded machine. */
    t = tcase_create("double_fetch");
    tcase_add_unchecked_fixture(t, h_base_setup, h_base_teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, mutating_frontend_cannot_double_fetch);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return check_main(suite());
}
