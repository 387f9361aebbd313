/*
 * vchan-stream — one end of a vchan that sends a seeded byte stream and
 * reads the peer's at the same time, then prints the FNV-1a 64 of both:
 *
 *   vchan-stream server PEER PATH [--bytes N] [--ring N]
 *        prints "ready" once published, later "sent S recv R", then
 *        waits until the client has read everything and closes first
 *   vchan-stream client PEER PATH [--bytes N]
 *        prints "sent S recv R", then "closed" once the server closes
 *   vchan-stream crash PEER PATH      a server that stops without closing
 *
 * --raw moves bytes only, as a throughput benchmark's socket baseline
 * does: a constant buffer out in 8 KiB writes, reads of up to 64 KiB
 * thrown away, no checksum.  The line is then "sent S recv R ns T", the
 * byte counts and the nanoseconds from connected to done.
 *
 * PEER is the other domain, PATH the xenstore directory of the channel.
 * The streams and checksums are those of tests/integration/
 * test_hv_vchan_peer.c (Debian's libxenvchan), so either end can face
 * either library.  Exit 0 on success, 1 when the channel fails (one line
 * names why), 2 on bad usage.
 */
#include "os.h"
#include "vchan.h"

static const char prog[] = "vchan-stream";

/* The channel a "crash" server leaves up when it exits: held here so that
 * it stays reachable, as a crashed process's memory would, and a leak
 * checker at exit does not take the deliberate non-close for a leak. */
static struct vchan *left_up;
#define WAIT_NS (30ull * 1000000000ull)

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

static void say(struct os *os, const char *line)
{
    (void)os_console_write(os, line, os_strlen(line));
}

static int fail(struct os *os, struct vchan *v, const char *what)
{
    const char *d = v ? vchan_diagnosis(v) : "";
    if (!d[0])
        os_log(os, OS_LOG_ERROR, "%s: %s", prog, what);
    vchan_close(v);
    return 1;
}

/* Waits for the next event; false after WAIT_NS without one. */
static bool wait_some(struct os *os)
{
    return os_wait(os, os_now_ns(os) + WAIT_NS) > 0;
}

int app_main(struct os *os, int argc, char **argv)
{
    const char *role = NULL, *path = NULL;
    uint64_t peer = 0, bytes = 4u << 20, ring = 65536;
    bool raw = false;
    int pos = 0;
    for (int i = 1; i < argc; i++) {
        if (!os_strcmp(argv[i], "--raw"))
            raw = true;
        else if ((!os_strcmp(argv[i], "--bytes") || !os_strcmp(argv[i], "--ring")) &&
                 i + 1 < argc) {
            uint64_t *dst = argv[i][2] == 'b' ? &bytes : &ring;
            if (os_parse_u64(argv[i + 1], dst) < 0 || *dst > 0xffffffffu ||
                (dst == &ring && (*dst == 0 || *dst > VCHAN_MAX_RING))) {
                os_log(os, OS_LOG_ERROR, "%s: %s '%s' is not a valid size", prog, argv[i],
                       argv[i + 1]);
                return 2;
            }
            i++;
        } else if (pos == 0)
            role = argv[i], pos++;
        else if (pos == 1) {
            if (os_parse_u64(argv[i], &peer) < 0 || peer >= DOMID_FIRST_RESERVED) {
                os_log(os, OS_LOG_ERROR, "%s: '%s' is not a domain id", prog, argv[i]);
                return 2;
            }
            pos++;
        } else if (pos == 2)
            path = argv[i], pos++;
        else
            pos++;
    }
    bool crash = role && !os_strcmp(role, "crash");
    bool server = crash || (role && !os_strcmp(role, "server"));
    if (pos != 3 || (!server && os_strcmp(role, "client"))) {
        os_log(
            os, OS_LOG_ERROR,
            "%s: usage: vchan-stream server|client|crash PEER PATH [--bytes N] [--ring N] [--raw]",
            prog);
        return 2;
    }
    struct vchan *v;
    int r = server ? vchan_server_open(os, (domid_t)peer, path, ring, ring, &v)
                   : vchan_client_open(os, (domid_t)peer, path, &v);
    if (r < 0) {
        os_log(os, OS_LOG_ERROR, "%s: cannot open %s (error %d)", prog, path, -r);
        return 1;
    }
    if (server)
        say(os, "ready\n");
    r = vchan_wait_connected(v, os_now_ns(os) + WAIT_NS);
    if (r != VCHAN_CONNECTED)
        return fail(os, v, r == -OS_ETIMEDOUT ? "no peer within 30 s" : "the peer went away");

    uint32_t seed = server ? 0x5e5e5e5eu : 0xc1c1c1c1u;
    static uint8_t out[8192], in[65536];
    uint64_t hs = 1469598103934665603ull, hr = hs;
    uint64_t sent = 0, recvd = 0, t0 = os_now_ns(os);
    size_t in_len = raw ? sizeof in : sizeof out;
    while (sent < bytes || recvd < bytes) {
        bool progress = false;
        if (sent < bytes) {
            uint32_t n = bytes - sent < sizeof out ? (uint32_t)(bytes - sent) : sizeof out;
            for (uint32_t i = 0; !raw && i < n; i++)
                out[i] = stream_byte(seed, (uint32_t)sent + i);
            long w = vchan_write(v, out, n);
            if (w < 0)
                return fail(os, v, "write failed: the peer closed");
            if (!raw)
                fnv(&hs, out, (size_t)w);
            sent += (uint64_t)w;
            progress |= w > 0;
        }
        if (recvd < bytes) {
            uint32_t n = bytes - recvd < in_len ? (uint32_t)(bytes - recvd) : (uint32_t)in_len;
            long got = vchan_read(v, in, n);
            if (got < 0)
                return fail(os, v, "read failed: the peer closed early");
            if (!raw)
                fnv(&hr, in, (size_t)got);
            recvd += (uint64_t)got;
            progress |= got > 0;
        }
        if (!progress) {
            if (vchan_poll(v) < 0)
                return fail(os, v, "the channel broke");
            if (!wait_some(os))
                return fail(os, v, "no event for 30 s");
        }
    }
    char line[80];
    if (raw)
        os_snprintf(line, sizeof line, "sent %llu recv %llu ns %llu\n", (unsigned long long)sent,
                    (unsigned long long)recvd, (unsigned long long)(os_now_ns(os) - t0));
    else
        os_snprintf(line, sizeof line, "sent %016llx recv %016llx\n", (unsigned long long)hs,
                    (unsigned long long)hr);
    say(os, line);
    if (crash) {
        left_up = v;
        return 0; /* the host exits with the channel still up */
    }
    if (server) {
        /* the client has read everything when our ring is empty */
        while (vchan_state(v) == VCHAN_CONNECTED && vchan_buffer_space(v) < vchan_write_size(v)) {
            if (vchan_poll(v) < 0 || !wait_some(os))
                return fail(os, v, "the client stopped reading");
        }
        vchan_close(v);
        return 0;
    }
    while (vchan_poll(v) == VCHAN_CONNECTED)
        if (!wait_some(os))
            return fail(os, v, "the server never closed");
    if (vchan_state(v) != VCHAN_CLOSED)
        return fail(os, v, "the channel broke");
    say(os, "closed\n");
    vchan_close(v);
    return 0;
}
