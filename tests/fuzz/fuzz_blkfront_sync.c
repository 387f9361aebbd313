/*
 * fuzz_blkfront_sync — blkfront's synchronous helpers (blkfront_sync.c)
 * and the request paths under them, driven with any sequence of calls
 * an application may make: reads and writes of any length at any sector,
 * from buffers at any offset, by copy or zero-copy, flushes, discards,
 * drains, I/O left in flight, close and reopen; against a scripted
 * backend of any shape (ring order, indirect segments, persistent
 * grants, features late, no InitWait, 4096-byte sectors) that may stall.
 *
 * blkfront must never crash and never hand the backend a segment it
 * refuses; a write that returns 0 is on the disk, a read that returns 0
 * holds the disk's bytes; a stalled backend fails the call after the
 * timeout (the host's clock moves only when blkfront waits, so every run
 * replays exactly) and leaves the device failed.
 *
 * Input: byte 0, the backend: bits 0-1 max-ring-page-order, bits 2-3
 * indirect segments (none, 8, 32, 256), bit 4 features only at
 * Connected, bit 5 no InitWait, bit 6 persistent grants, bit 7 4096-byte
 * sectors.  Byte 1, blkfront's options: bits 0-1 max_ring_order, bits 2-3
 * max_indirect (0, 8, 32, 64), bit 4 persistent, bit 5 skip Initialised,
 * bit 6 early transport, bit 7 explicit order 0.  Byte 2, more of the
 * backend: bit 0 feature-discard, bits 1-2 its granularity (none, 4096,
 * 65536, 512), bit 3 a read-only disk.  Then records of five
 * bytes: operation, sector (two bytes, little endian), length in
 * 512-byte sectors, buffer offset.  Operations (byte % 10): read, write,
 * zero-copy read, zero-copy write, flush, discard, drain, backend stalls
 * or resumes, a read left in flight, close and reopen (the buffer offset
 * byte then picks the name the device is opened by, good or bad).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blkfront.h"
#include "../unit/test_blkfront_host.h"

#define DISK_SECTORS 2048u
#define BUF_BYTES (256u * 1024u + 4096u)
#define STEP_NS 1000000ull    /* what one wait lasts */
#define TIMEOUT_NS 5000000ull /* blkfront gives up after five waits */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_blkfront_sync: %s\n", what);
    abort();
}

static uint8_t buf[BUF_BYTES] __attribute__((aligned(4096)));
static uint8_t flight_buf[4][4096] __attribute__((aligned(4096))); /* for I/O left in flight */

struct fio {
    struct blkfront_io io;
    bool done;
};

static void fio_done(struct blkfront_io *io, int status)
{
    (void)status;
    ((struct fio *)io)->done = true;
}

/* Names a device may be opened by: the first two are this device's. */
static const char *const vdevs[] = { "xvda",       "51712",     "xvdb",      "xvdq",
                                     "xvdaa1",     "xvdzzz255", "xvdzzzz",   "xvda0",
                                     "xvda16",     "sda",       "",          "0",
                                     "4294967296", "xvd",       "xvdabc300", "xvda1x" };

static int open_device(struct os *os, const struct blkfront_opts *o, const char *vdev,
                       struct blkfront **bf)
{
    *bf = NULL;
    int r = blkfront_open_sync_opts(os, vdev, o, bf);
    if (r < 0)
        *bf = NULL;
    return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned be_ind[] = { 0, 8, 32, 256 }, fe_ind[] = { 0, 8, 32, 64 };
    static const unsigned granularity[] = { 0, 4096, 65536, 512 };
    if (size < 3)
        return 0;
    struct os *os = th_new();
    th_clock(os, STEP_NS);
    th_toolstack(os);
    struct fake_be be;
    fake_be_init(&be, os, DISK_SECTORS);
    be.max_order = data[0] & 3;
    be.max_indirect = be_ind[data[0] >> 2 & 3];
    be.features_late = data[0] & 16;
    be.never_initwait = data[0] & 32;
    be.persistent = data[0] & 64;
    be.sector_size = (data[0] & 128) ? 4096 : 512;
    be.discard = data[2] & 1;
    be.discard_granularity = granularity[data[2] >> 1 & 3];
    be.info = (data[2] & 8) ? VDISK_READONLY : 0;
    th_on_wait(os, fake_be_step_cb, &be);

    struct blkfront_opts o;
    blkfront_default_opts(&o);
    o.max_ring_order = data[1] & 3;
    o.max_indirect = fe_ind[data[1] >> 2 & 3];
    o.persistent = data[1] & 16;
    o.skip_initialised = data[1] & 32;
    o.early_transport = data[1] & 64;
    o.explicit_order0 = data[1] & 128;
    o.timeout_ns = TIMEOUT_NS;

    struct blkfront *bf;
    struct fio inflight[4];
    unsigned ninflight = 0;
    memset(inflight, 0, sizeof inflight);
    (void)open_device(os, &o, vdevs[0], &bf);
    for (size_t i = 3; i + 5 <= size; i += 5) {
        const uint8_t *r = data + i;
        uint64_t sector = (uint64_t)(r[1] | r[2] << 8) % (DISK_SECTORS + 64);
        size_t len = (size_t)r[3] * 512;
        size_t off = r[4];
        uint8_t *b = buf + off;
        int rc = 0;
        bool checked = false;
        switch (r[0] % 10) {
        case 0:
        case 2:
            if (!bf)
                break;
            memset(b, 0xee, len);
            rc = r[0] % 10 ? blkfront_read_zero_copy_sync(bf, sector, b, len)
                           : blkfront_read_sync(bf, sector, b, len);
            checked = true;
            break;
        case 1:
        case 3:
            if (!bf)
                break;
            for (size_t k = 0; k < len; k++)
                b[k] = (uint8_t)(i + k / 512);
            rc = r[0] % 10 == 3 ? blkfront_write_zero_copy_sync(bf, sector, b, len)
                                : blkfront_write_sync(bf, sector, b, len);
            checked = true;
            break;
        case 4:
            if (bf)
                rc = blkfront_flush_sync(bf);
            break;
        case 5:
            if (bf)
                rc = blkfront_discard_sync(bf, sector, r[3], r[4] & 1);
            break;
        case 6:
            if (bf)
                rc = blkfront_drain_sync(bf);
            break;
        case 7: be.serve = !be.serve; break;
        case 8:
            if (bf && ninflight < 4) {
                struct fio *f = &inflight[ninflight];
                f->io = (struct blkfront_io){ .op = BLKFRONT_READ,
                                              .sector = sector % DISK_SECTORS,
                                              .buf = flight_buf[ninflight],
                                              .len = 4096,
                                              .done = fio_done };
                if (blkfront_submit(bf, &f->io) == 0)
                    ninflight++;
            }
            break;
        case 9:
            blkfront_close(bf);
            for (unsigned k = 0; k < ninflight; k++)
                if (!inflight[k].done)
                    die("closing left an I/O without its completion");
            ninflight = 0;
            be.serve = true;
            (void)open_device(os, &o, vdevs[r[4] % (sizeof vdevs / sizeof vdevs[0])], &bf);
            break;
        }
        /* The scripted backend's other complaints are about handshakes
         * it does not know (ring-ref0 for one page): blkfront times out. */
        if (!strncmp(be.error, "bad segment", 11) || !strncmp(be.error, "beyond", 6)) {
            fprintf(stderr, "fuzz_blkfront_sync: the backend refused a request: %s\n", be.error);
            abort();
        }
        if (rc > 0)
            die("a synchronous call returned more than 0");
        if (bf && blkfront_in_flight(bf) > ninflight)
            die("a synchronous call returned with its I/O still in flight");
        if (bf && rc < 0 && !blkfront_diagnosis(bf))
            die("no diagnosis");
        if (checked && rc == 0 && len) {
            if (sector * 512 + len > (uint64_t)DISK_SECTORS * 512)
                die("an I/O past the end of the disk succeeded");
            if (memcmp(b, be.disk + sector * 512, len) != 0)
                die("a successful I/O left the buffer and the disk different");
        }
    }
    blkfront_close(bf);
    for (unsigned k = 0; k < ninflight; k++)
        if (!inflight[k].done)
            die("closing left an I/O without its completion");
    fake_be_fini(&be);
    th_free(os);
    return 0;
}
