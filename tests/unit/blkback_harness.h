/*
 * blkback_harness.h — a frontend in plain memory for blkback's core tests:
 * an image file in a private temp dir, a memfd "frontend" with a shared
 * ring at pages 0..nr_ring_pages-1, and helpers to queue requests and
 * collect responses the way a frontend would.
 */
#ifndef SPLITBED_TEST_BLKBACK_HARNESS_H
#define SPLITBED_TEST_BLKBACK_HARNESS_H

#include <stdbool.h>
#include <stdint.h>

#include "backends-sim/blkback/mapper_memfd.h"
#include "backends-sim/blkback/ring.h"
#include "backends-sim/blkback/blkif_proto.h"

#define H_DOM 1
#define H_PAGES 1200         /* frontend pages */
#define H_DATA0 16           /* first data page (after ring pages) */
#define H_IMAGE_SECTORS 8192 /* 4 MiB image */

struct harness {
    char dir[96], image_path[128];
    struct bb_memfd_mapper *mm;
    struct bb_image *img;
    struct bb_ring *ring;
    struct bb_ring_config cfg;
    blkif_front_ring_t front;
    char diag[16][400];
    unsigned ndiag;
    struct bb_logger log;
};

/* Check unchecked fixture: the parent's directory for every test's files. */
void h_base_setup(void);
void h_base_teardown(void);
/* Builds everything but the ring (so a test can change h->cfg first). */
void h_setup(struct harness *h, unsigned nr_ring_pages, bool readonly_image);
/* Opens the ring with h->cfg; returns bb_ring_open's result. */
int h_open(struct harness *h);
void h_teardown(struct harness *h);

/* Queues one whole ring slot (a blkif_request_t), not yet pushed. */
void h_queue(struct harness *h, const void *req);
/* Pushes queued requests, serves with a generous budget, returns
 * bb_ring_serve's result. */
int h_push_serve(struct harness *h);
/* Takes the next response; false if none. */
bool h_response(struct harness *h, blkif_response_t *rsp);

/* A read/write request over data pages p0, p0+1 … with whole pages. */
void h_rw(struct harness *h, uint8_t op, uint64_t id, uint64_t sector, unsigned nsegs, unsigned p0);
void *h_page(struct harness *h, unsigned page);
void h_image_read(struct harness *h, uint64_t off, void *buf, size_t len);
void h_image_write(struct harness *h, uint64_t off, const void *buf, size_t len);
bool h_diag_has(const struct harness *h, const char *needle);

#endif
