/*
 * fuzz_blkback_req.c — libFuzzer target for blkback's request core.
 *
 * The input is a hostile frontend: a few header bytes choose the ring
 * size and the negotiated features, where the producer index points and
 * which grants are read-only or fail to map; the rest fills the shared
 * ring slots and the pages that indirect requests point at.  The core
 * must answer or cut off, never crash, never touch memory outside what
 * was mapped, and end every map it made.
 *
 * Layout: [0] flags  [1] req_prod ahead of rsp_prod  [2] rsp_prod start
 *         [3..4] grant faults (top bit: grant copy instead of mapping;
 *                next: persistent grants mapped by operation)
 *         [5..] ring slots, then indirect pages.
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

#define FRONT_PAGES 64u /* 16 ring pages, then data/indirect pages */
#define IND_PAGE0 16u

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void fuzz_target_summary(char *buf, size_t len);

/* Over every input run: requests the core took, and how many of them it
 * answered BLKIF_RSP_OKAY (corpus_main's -summary line). */
static unsigned long long taken, okay;

void fuzz_target_summary(char *buf, size_t len)
{
    snprintf(buf, len, "%llu requests taken, %llu answered okay", taken, okay);
}

/* The disk is a 1 MiB memfd: flushes and discards cost nothing and
 * nothing touches the real disk.  Emptied before each input (a hole
 * punched over what the last one wrote), so each input starts from the
 * same disk and replays alike. */
static int disk_fd = -1;
static struct bb_image *image(void)
{
    static struct bb_image *img;
    if (!img) {
        disk_fd = memfd_create("fuzz_blkback_req", 0);
        char path[64];
        snprintf(path, sizeof(path), "/proc/self/fd/%d", disk_fd);
        if (disk_fd < 0 || ftruncate(disk_fd, 1 << 20) < 0 || bb_image_open(path, false, &img) < 0)
            abort();
    } else if (fallocate(disk_fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 1 << 20) < 0) {
        abort();
    }
    return img;
}

/* Whether any byte was written to the disk in this input: only then can
 * the backend's reads put anything but zeros into a page, the ring's
 * included. */
static bool disk_has_data(void)
{
    return lseek(disk_fd, 0, SEEK_DATA) >= 0;
}

/* Responses [from, to) carry zeros in every byte that is not a field. */
static void check_padding(blkif_sring_t *s, unsigned pages, RING_IDX from, RING_IDX to)
{
    blkif_back_ring_t br;
    BACK_RING_INIT(&br, s, (size_t)pages * 4096);
    for (RING_IDX i = from; i != to; i++) {
        const uint8_t *b = (const uint8_t *)RING_GET_RESPONSE(&br, i);
        static const size_t pad[] = { offsetof(blkif_response_t, operation) + 1, 12, 13, 14, 15 };
        for (size_t k = 0; k < sizeof(pad) / sizeof(pad[0]); k++)
            if (b[pad[k]]) {
                fprintf(stderr,
                        "fuzz_blkback_req: response %u carries byte 0x%02x at offset %zu, "
                        "which is padding (stale data, XSA-216)\n",
                        (unsigned)i, b[pad[k]], pad[k]);
                abort();
            }
    }
}

/* The frontend's pages, set up once and reset per input. */
static struct bb_memfd_mapper *mapper(void)
{
    static struct bb_memfd_mapper *mm;
    if (!mm)
        mm = bb_memfd_mapper_new(1, FRONT_PAGES, FRONT_PAGES + 8);
    else if (bb_memfd_mapper_reset(mm) < 0)
        abort(); /* a map outlived the last input */
    if (!mm)
        abort();
    return mm;
}

static void quiet(void *ctx, bool diagnosis, const char *text)
{
    (void)ctx;
    (void)diagnosis;
    (void)text;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 5)
        return 0;
    uint8_t flags = data[0];
    unsigned order = (flags & 7u) % 5u, pages = 1u << order;
    struct bb_memfd_mapper *mm = mapper();
    struct bb_image *img = image();
    uint16_t faults = (uint16_t)(data[3] | data[4] << 8);
    for (unsigned i = 0; i < FRONT_PAGES; i++) {
        bool ro = i >= IND_PAGE0 && (faults >> (i % 16) & 1) && (i & 1);
        bb_memfd_grant(mm, i, i, ro);
        if (i >= IND_PAGE0 && (faults >> (i % 16) & 1) && !(i & 1))
            bb_memfd_fail_ref(mm, i, true);
    }

    blkif_sring_t *s = bb_memfd_frontend_page(mm, 0);
    SHARED_RING_INIT(s);
    size_t ring_bytes = (size_t)pages * 4096 - offsetof(blkif_sring_t, ring);
    size_t n = size - 5 < ring_bytes ? size - 5 : ring_bytes;
    memcpy((uint8_t *)s + offsetof(blkif_sring_t, ring), data + 5, n);
    size_t rest = size - 5 - n;
    if (rest > (FRONT_PAGES - IND_PAGE0) * 4096u)
        rest = (FRONT_PAGES - IND_PAGE0) * 4096u;
    memcpy(bb_memfd_frontend_page(mm, IND_PAGE0), data + 5 + n, rest);
    s->rsp_prod = data[2];
    s->req_prod = (RING_IDX)data[2] + data[1];

    struct bb_ring_config cfg = {
        .frontend = 1,
        .device = "vbd 51712",
        .nr_ring_pages = pages,
        .max_indirect_segments = (flags & 0x40) ? 0 : 4096,
        .persistent = (flags & 0x10) != 0,
        .max_persistent_grants = 8,
        .persistent_map = (faults & 0x4000) ? BB_PMAP_OP : BB_PMAP_RW,
        .grant_copy = (faults & 0x8000) != 0,
        .flush = true,
        .barrier = true,
        .discard = true,
        .discard_secure = true,
        .discard_granularity = (flags & 0x20) ? 4096 : 0,
        .sector_size = (flags & 0x20) ? 4096 : 512,
        .readonly = (flags & 0x80) != 0,
        .strict = (flags & 0x08) != 0,
    };
    for (unsigned i = 0; i < pages; i++)
        cfg.ring_refs[i] = i;
    struct bb_logger log = { .line = quiet };
    struct bb_ring *r;
    if (bb_ring_open(&cfg, bb_memfd_mapper_base(mm), img, &log, &r) == 0) {
        bool notify;
        for (int k = 0; k < 64 && bb_ring_serve(r, 16, &notify) == 1; k++)
            ;
        /* One published response per request taken.  Not bounded by one
         * ring: the frontend may move req_prod on while it is served, even
         * through the backend's own read into its ring page (of data this
         * input wrote to the image). */
        struct bb_ring_stats st;
        bb_ring_stats(r, &st);
        taken += st.requests;
        okay += st.requests - st.errors - st.unsupported;
        if (s->rsp_prod - (RING_IDX)data[2] != st.requests)
            abort();
        /* No byte of a response but its fields carries anything: not the
         * backend's memory, not the request that was in the slot before
         * (XSA-216).  Unless the backend's own read landed in the ring. */
        if (!disk_has_data())
            check_padding(s, pages, data[2], s->rsp_prod);
        bb_ring_close(r);
    }
    if (bb_memfd_mapped_pages(mm) != 0)
        abort();
    return 0;
}
