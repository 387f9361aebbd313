/*
 * blkback_harness.c — see blkback_harness.h.
 */
#include "blkback_harness.h"

#include <check.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void capture(void *ctx, bool diagnosis, const char *text)
{
    struct harness *h = ctx;
    if (diagnosis && h->ndiag < 16)
        snprintf(h->diag[h->ndiag++], sizeof(h->diag[0]), "%s", text);
}

/* Each test's files live under one directory that the parent process
 * (Check's unchecked fixture) creates and removes, so a test that fails
 * half-way, ending its forked process, leaves nothing behind. */
static char base[64];

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st;
    (void)f;
    (void)w;
    remove(p);
    return 0;
}

void h_base_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(base, sizeof(base), "%s/blkback-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(base));
}

void h_base_teardown(void)
{
    if (base[0])
        nftw(base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

void h_setup(struct harness *h, unsigned nr_ring_pages, bool readonly_image)
{
    memset(h, 0, sizeof(*h));
    snprintf(h->dir, sizeof(h->dir), "%s/t.XXXXXX", base[0] ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(h->dir));
    snprintf(h->image_path, sizeof(h->image_path), "%s/disk.img", h->dir);
    int fd = open(h->image_path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)H_IMAGE_SECTORS * 512), 0);
    close(fd);
    ck_assert_int_eq(bb_image_open(h->image_path, readonly_image, &h->img), 0);

    h->mm = bb_memfd_mapper_new(H_DOM, H_PAGES, H_PAGES);
    ck_assert_ptr_nonnull(h->mm);
    /* Ref i grants page i, writable, as a frontend sharing its pages. */
    for (unsigned i = 0; i < H_PAGES; i++)
        ck_assert_int_eq(bb_memfd_grant(h->mm, i, i, false), 0);

    blkif_sring_t *s = bb_memfd_frontend_page(h->mm, 0);
    SHARED_RING_INIT(s);
    FRONT_RING_INIT(&h->front, s, 4096 * nr_ring_pages);

    h->log.line = capture;
    h->log.ctx = h;
    h->cfg = (struct bb_ring_config){
        .frontend = H_DOM,
        .device = "vbd 51712",
        .nr_ring_pages = nr_ring_pages,
        .max_indirect_segments = 256,
        .persistent = false,
        .max_persistent_grants = 1056,
        .flush = true,
        .barrier = true,
        .discard = true,
        .discard_secure = false,
        .discard_granularity = 0,
        .sector_size = 512,
        .readonly = readonly_image,
        .strict = true,
    };
    for (unsigned i = 0; i < nr_ring_pages; i++)
        h->cfg.ring_refs[i] = i;
}

int h_open(struct harness *h)
{
    return bb_ring_open(&h->cfg, bb_memfd_mapper_base(h->mm), h->img, &h->log, &h->ring);
}

void h_teardown(struct harness *h)
{
    bb_ring_close(h->ring);
    h->ring = NULL;
    ck_assert_uint_eq(bb_memfd_mapped_pages(h->mm), 0); /* nothing leaked */
    bb_memfd_mapper_free(h->mm);
    bb_image_close(h->img);
    unlink(h->image_path);
    rmdir(h->dir);
}

void h_queue(struct harness *h, const void *req)
{
    memcpy(RING_GET_REQUEST(&h->front, h->front.req_prod_pvt), req, sizeof(blkif_request_t));
    h->front.req_prod_pvt++;
}

int h_push_serve(struct harness *h)
{
    RING_PUSH_REQUESTS(&h->front);
    bool notify;
    int rc;
    do
        rc = bb_ring_serve(h->ring, 10000, &notify);
    while (rc == 1);
    return rc;
}

bool h_response(struct harness *h, blkif_response_t *rsp)
{
    if (!RING_HAS_UNCONSUMED_RESPONSES(&h->front))
        return false;
    RING_COPY_RESPONSE(&h->front, h->front.rsp_cons, rsp);
    h->front.rsp_cons++;
    return true;
}

void h_rw(struct harness *h, uint8_t op, uint64_t id, uint64_t sector, unsigned nsegs, unsigned p0)
{
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = op;
    req.nr_segments = (uint8_t)nsegs;
    req.handle = 51712;
    req.id = id;
    req.sector_number = sector;
    for (unsigned i = 0; i < nsegs && i < BLKIF_MAX_SEGMENTS_PER_REQUEST; i++)
        req.seg[i] =
            (struct blkif_request_segment){ .gref = p0 + i, .first_sect = 0, .last_sect = 7 };
    h_queue(h, &req);
}

void *h_page(struct harness *h, unsigned page)
{
    return bb_memfd_frontend_page(h->mm, page);
}

void h_image_read(struct harness *h, uint64_t off, void *buf, size_t len)
{
    int fd = open(h->image_path, O_RDONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

void h_image_write(struct harness *h, uint64_t off, const void *buf, size_t len)
{
    int fd = open(h->image_path, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
    close(fd);
}

bool h_diag_has(const struct harness *h, const char *needle)
{
    for (unsigned i = 0; i < h->ndiag; i++)
        if (strstr(h->diag[i], needle))
            return true;
    return false;
}
