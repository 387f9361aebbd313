/*
 * vchan-peer — one end of a libxenvchan channel, built against Debian's
 * real libxenvchan (and through it the real libxengnttab, libxenevtchn
 * and libxenstore).  Moves BYTES each way at once, then prints the
 * checksums of what it sent and received:
 *   vchan-peer server CLIENT_DOMID PATH   prints "ready", later "sent S recv R"
 *   vchan-peer client SERVER_DOMID PATH   prints "sent S recv R", then
 *                                         "closed" once the server closes
 *   vchan-peer crash CLIENT_DOMID PATH    a server that exits without
 *                                         closing, as if it crashed
 * VCHAN_PEER_RAW=1 moves bytes only (8 KiB writes of a constant buffer,
 * reads of up to 64 KiB, no checksum), as vchan-stream --raw, and prints
 * "sent S recv R ns T" with T the nanoseconds from connected to done.
 */
#include <errno.h>
#include <libxenvchan.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* 4 MiB unless VCHAN_PEER_BYTES says otherwise (the benchmark's 64 MiB) */
static uint32_t BYTES = 4u << 20;
#define GUARD_MS 20000

/* The byte at position i of the stream a side sends (seeded per side). */
static uint8_t stream_byte(uint32_t seed, uint32_t i)
{
    uint32_t x = (i + 1) * 2654435761u ^ seed;
    x ^= x >> 15;
    x *= 2246822519u;
    return (uint8_t)(x >> 13);
}

static void fnv(uint64_t *h, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        *h = (*h ^ p[i]) * 1099511628211ull;
}

static int wait_event(struct libxenvchan *c)
{
    struct pollfd p = { .fd = libxenvchan_fd_for_select(c), .events = POLLIN };
    if (poll(&p, 1, GUARD_MS) != 1) {
        fprintf(stderr, "vchan-peer: no event for %d ms\n", GUARD_MS);
        return -1;
    }
    return libxenvchan_wait(c);
}

int main(int argc, char **argv)
{
    if (argc != 4 ||
        (strcmp(argv[1], "server") && strcmp(argv[1], "client") && strcmp(argv[1], "crash"))) {
        fprintf(stderr, "usage: vchan-peer server|client|crash DOMID PATH\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *nb = getenv("VCHAN_PEER_BYTES");
    if (nb && *nb)
        BYTES = (uint32_t)strtoul(nb, NULL, 10);
    const char *rw = getenv("VCHAN_PEER_RAW");
    int raw = rw && !strcmp(rw, "1");
    int crash = !strcmp(argv[1], "crash");
    int server = crash || !strcmp(argv[1], "server");
    int domid = atoi(argv[2]);
    struct libxenvchan *c = server ? libxenvchan_server_init(NULL, domid, argv[3], 65536, 65536)
                                   : libxenvchan_client_init(NULL, domid, argv[3]);
    if (!c) {
        fprintf(stderr, "vchan-peer: %s init failed: %s\n", argv[1], strerror(errno));
        return 1;
    }
    if (server)
        printf("ready\n");
    uint32_t seed = server ? 0x5e5e5e5eu : 0xc1c1c1c1u;
    static uint8_t out[8192], in[65536];
    uint64_t hs = 1469598103934665603ull, hr = hs;
    uint32_t sent = 0, recvd = 0, in_len = raw ? (uint32_t)sizeof(in) : (uint32_t)sizeof(out);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (sent < BYTES || recvd < BYTES) {
        int progress = 0;
        if (sent < BYTES) {
            uint32_t n = BYTES - sent < sizeof(out) ? BYTES - sent : (uint32_t)sizeof(out);
            for (uint32_t i = 0; !raw && i < n; i++)
                out[i] = stream_byte(seed, sent + i);
            int w = libxenvchan_write(c, out, n);
            if (w < 0) {
                fprintf(stderr, "vchan-peer: write failed\n");
                return 1;
            }
            if (!raw)
                fnv(&hs, out, (size_t)w);
            sent += (uint32_t)w;
            progress |= w > 0;
        }
        if (recvd < BYTES) {
            uint32_t n = BYTES - recvd < in_len ? BYTES - recvd : in_len;
            int r = libxenvchan_read(c, in, n);
            if (r < 0) {
                fprintf(stderr, "vchan-peer: read failed\n");
                return 1;
            }
            if (!raw)
                fnv(&hr, in, (size_t)r);
            recvd += (uint32_t)r;
            progress |= r > 0;
        }
        if (!progress && wait_event(c) < 0)
            return 1;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (raw)
        printf("sent %u recv %u ns %lld\n", sent, recvd,
               (long long)(t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec));
    else
        printf("sent %016llx recv %016llx\n", (unsigned long long)hs, (unsigned long long)hr);
    if (crash)
        _exit(0); /* no libxenvchan_close: the simulator must notice */
    if (server) {
        /* wait until the client has everything, then close first */
        while (libxenvchan_is_open(c) == 1 && libxenvchan_data_ready(c) == 0 &&
               libxenvchan_buffer_space(c) < 65536 - 1)
            if (wait_event(c) < 0)
                return 1;
        libxenvchan_close(c);
        return 0;
    }
    while (libxenvchan_is_open(c))
        if (wait_event(c) < 0)
            return 1;
    printf("closed\n");
    libxenvchan_close(c);
    return 0;
}
