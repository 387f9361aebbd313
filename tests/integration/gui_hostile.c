/*
 * gui-hostile MODE — a VM's GUI channel that breaks the protocol after
 * (or instead of) the handshake, to prove splitbed-guid names it in one
 * line and drops the channel.
 *   type     handshake at 1.1, then a message of type 0x7b (none such)
 *   major    offers protocol 2.0
 *   create   handshake at 1.4, then a CREATE for window 0x1 (logged)
 *            and an unknown type
 * Prints "configured WxH" after the handshake, "cut" once guid closed.
 */
#include "os.h"
#include "vchan.h"
#include "tests/integration/hostile_peer.h"

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}

static bool read_all(struct os *os, struct vchan *v, uint8_t *b, size_t n, uint64_t deadline)
{
    size_t got = 0;
    while (got < n && os_now_ns(os) < deadline) {
        long r = vchan_read(v, b + got, n - got);
        if (r < 0)
            return false;
        got += (size_t)r;
        if (got < n) {
            vchan_poll(v);
            os_wait(os, deadline);
        }
    }
    return got == n;
}

int app_main(struct os *os, int argc, char **argv)
{
    if (argc != 2)
        return 2;
    const char *mode = argv[1];
    char base[96];
    vchan_qubes_path(base, sizeof base, os_domid(os), 0, 6000);
    struct vchan *v;
    uint64_t deadline = os_now_ns(os) + 30000000000ull;
    if (vchan_server_open(os, 0, base, 1024, 1024, &v) < 0 ||
        vchan_wait_connected(v, deadline) != VCHAN_CONNECTED)
        return 1;
    uint8_t b[64];
    bool create = !os_strcmp(mode, "create");
    put32(b, !os_strcmp(mode, "major") ? 0x00020000u : create ? 0x00010004u : 0x00010001u);
    (void)vchan_send(v, b, 4);
    if (os_strcmp(mode, "major")) {
        size_t n = create ? 20 : 16;
        if (!read_all(os, v, b, n, deadline))
            return 1;
        const uint8_t *c = create ? b + 4 : b;
        char line[64];
        os_snprintf(line, sizeof line, "configured %ux%u\n",
                    (unsigned)(c[0] | c[1] << 8 | c[2] << 16),
                    (unsigned)(c[4] | c[5] << 8 | c[6] << 16));
        hp_say(os, line);
        if (create) {
            uint8_t m[12 + 24] = { 0 };
            put32(m, 0x82);
            put32(m + 4, 1);
            put32(m + 8, 24);
            (void)vchan_send(v, m, sizeof m);
        }
        put32(b, 0x7b);
        put32(b + 4, 1);
        put32(b + 8, 0);
        (void)vchan_send(v, b, 12);
    }
    return hp_wait_cut(os, v, deadline);
}
