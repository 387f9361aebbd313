/*
 * fuzz_blkback_race.c — libFuzzer target: blkback's request core against
 * a frontend that rewrites the shared ring while the backend works.  A
 * guest can write its ring at any moment; here it does so at one chosen
 * grant map (the backend is then in the hypervisor), which is when a
 * backend that reads a request twice would see two different requests
 * (XSA-155).  The core must serve what it copied and nothing else: one
 * response per request taken, no map left behind, no memory error.
 *
 * Layout: [0] bits 0..1 requests ahead of the backend (1..4), bit 2
 *         persistent grants, bit 3 strict;
 *         [1] the map at which the frontend acts (0 is the ring's own);
 *         [2] how many edits it makes (at most 16), then per edit 3 bytes:
 *             request slot, byte within it, value;
 *         then the ring slots, then the pages indirect requests point at.
 */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends-sim/blkback/blkif_proto.h"
#include "backends-sim/blkback/mapper_memfd.h"
#include "backends-sim/blkback/ring.h"

#define FRONT_PAGES 32u /* the ring, then data and indirect pages */
#define MAX_EDITS 16u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct race {
    blkif_sring_t *sring;
    unsigned at, nedits;
    const uint8_t *edits;
};

static void on_map(void *ctx, unsigned nth)
{
    struct race *rc = ctx;
    if (nth != rc->at)
        return;
    blkif_back_ring_t br;
    BACK_RING_INIT(&br, rc->sring, 4096);
    for (unsigned i = 0; i < rc->nedits; i++) {
        const uint8_t *e = rc->edits + 3 * i;
        uint8_t *slot = (uint8_t *)RING_GET_REQUEST(&br, e[0] % RING_SIZE(&br));
        slot[e[1] % sizeof(blkif_request_t)] = e[2];
    }
}

static struct bb_memfd_mapper *mapper(void)
{
    static struct bb_memfd_mapper *mm;
    if (!mm)
        mm = bb_memfd_mapper_new(1, FRONT_PAGES, FRONT_PAGES);
    else if (bb_memfd_mapper_reset(mm) < 0)
        abort(); /* a map outlived the last input */
    if (!mm)
        abort();
    return mm;
}

/* A 1 MiB disk in memory, emptied before each input. */
static struct bb_image *image(void)
{
    static struct bb_image *img;
    static int fd = -1;
    if (!img) {
        char path[64];
        fd = memfd_create("fuzz_blkback_race", 0);
        snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
        if (fd < 0 || ftruncate(fd, 1 << 20) < 0 || bb_image_open(path, false, &img) < 0)
            abort();
    } else if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1 << 20) < 0) {
        abort();
    }
    return img;
}

static void quiet(void *ctx, bool diagnosis, const char *text)
{
    (void)ctx;
    (void)diagnosis;
    (void)text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    unsigned ahead = (data[0] & 3u) + 1;
    unsigned nedits = data[2] < MAX_EDITS ? data[2] : MAX_EDITS;
    size_t head = 3 + 3 * (size_t)nedits;
    if (size < head)
        return 0;
    struct bb_memfd_mapper *mm = mapper();
    struct bb_image *img = image();
    for (unsigned i = 0; i < FRONT_PAGES; i++)
        bb_memfd_grant(mm, i, i, false);

    blkif_sring_t *s = bb_memfd_frontend_page(mm, 0);
    SHARED_RING_INIT(s);
    size_t ring_bytes = 4096 - offsetof(blkif_sring_t, ring);
    size_t n = size - head < ring_bytes ? size - head : ring_bytes;
    memcpy((uint8_t *)s + offsetof(blkif_sring_t, ring), data + head, n);
    size_t rest = size - head - n;
    if (rest > (FRONT_PAGES - 1) * 4096u)
        rest = (FRONT_PAGES - 1) * 4096u;
    memcpy(bb_memfd_frontend_page(mm, 1), data + head + n, rest);
    s->req_prod = ahead;

    struct race race = { .sring = s, .at = data[1], .nedits = nedits, .edits = data + 3 };
    bb_memfd_on_map(mm, on_map, &race);

    struct bb_ring_config cfg = {
        .frontend = 1,
        .device = "vbd 51712",
        .nr_ring_pages = 1,
        .max_indirect_segments = 256,
        .persistent = (data[0] & 4) != 0,
        .max_persistent_grants = 8,
        .persistent_map = BB_PMAP_RW,
        .flush = true,
        .barrier = true,
        .discard = true,
        .sector_size = 512,
        .strict = (data[0] & 8) != 0,
    };
    cfg.ring_refs[0] = 0;
    struct bb_logger log = { .line = quiet };
    struct bb_ring *r;
    if (bb_ring_open(&cfg, bb_memfd_mapper_base(mm), img, &log, &r) == 0) {
        bool notify;
        for (int k = 0; k < 16 && bb_ring_serve(r, 16, &notify) == 1; k++)
            ;
        /* The frontend's edits may move req_prod too; every request the
         * backend took is answered once. */
        struct bb_ring_stats st;
        bb_ring_stats(r, &st);
        if (s->rsp_prod != st.requests)
            abort();
        bb_ring_close(r);
    }
    bb_memfd_on_map(mm, NULL, NULL);
    if (bb_memfd_mapped_pages(mm) != 0)
        abort();
    return 0;
}
