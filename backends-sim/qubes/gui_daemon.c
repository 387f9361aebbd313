/*
 * splitbed-guid — a stand-in for dom0's GUI daemon (Qubes' guid) for one
 * VM: the handshake, then a log of what the VM sends.
 *
 *   splitbed-guid --domain N [--screen WIDTHxHEIGHTxDEPTH] [--ready-fd FD]
 *
 * Connects to the VM's GUI channel (vchan port 6000, the VM serves),
 * reads the VM's protocol version (major must be 1), answers with the
 * negotiated version when it is 1.4 or later, then sends the screen
 * configuration (width rounded up to 8, height, depth, w·h·4/1024+1) as
 * guid does.  From then on every message the VM sends — a 12-byte header
 * (type, window, length) and a body — is logged by name.  A VM with
 * another major version, an unknown message type or a body over 1 MiB
 * gets one line and the channel is dropped; the daemon waits for the VM
 * to serve again.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends-sim/qubes/dom0_daemon.h"
#include "frontends/os/linux/os_linux.h"
#include "frontends/vchan.h"

#define PROG "splitbed-guid"
#define GUI_PORT 6000u
#define MAX_BODY (1u << 20)

static const char *const names[] = {
    "KEYPRESS",        "BUTTON",         "MOTION",   "CROSSING",      "FOCUS",
    "RESIZE",          "CREATE",         "DESTROY",  "MAP",           "UNMAP",
    "CONFIGURE",       "MFNDUMP",        "SHMIMAGE", "CLOSE",         "EXECUTE",
    "CLIPBOARD_REQ",   "CLIPBOARD_DATA", "WMNAME",   "KEYMAP_NOTIFY", "DOCK",
    "WINDOW_HINTS",    "WINDOW_FLAGS",   "WMCLASS",  "WINDOW_DUMP",   "CURSOR",
    "WINDOW_DUMP_ACK",
};
#define FIRST_TYPE 0x7cu

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v, p[1] = (uint8_t)(v >> 8), p[2] = (uint8_t)(v >> 16),
    p[3] = (uint8_t)(v >> 24);
}
static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

enum phase { WAIT_VERSION, RUNNING };

struct guid {
    struct os *os;
    domid_t dom;
    char base[96];
    struct vchan *v;
    enum phase phase;
    uint32_t w, h, depth;
    uint8_t hdr[12];
    size_t hlen;
    uint32_t body_left;
};

static int open_channel(struct guid *g)
{
    g->phase = WAIT_VERSION;
    g->hlen = 0;
    g->body_left = 0;
    return vchan_client_open(g->os, g->dom, g->base, &g->v);
}

static void drop(struct guid *g)
{
    vchan_close(g->v);
    g->v = NULL;
}

/* false: the VM broke the protocol (said) or left */
static bool step(struct guid *g)
{
    int st = vchan_poll(g->v);
    if (st < 0 || st == VCHAN_CLOSED)
        return false;
    if (st != VCHAN_CONNECTED)
        return true;
    if (g->phase == WAIT_VERSION) {
        uint8_t v[4];
        long n = vchan_recv(g->v, v, 4);
        if (n <= 0)
            return n == 0;
        uint32_t ver = get32(v), major = ver >> 16, minor = ver & 0xffff;
        if (major != 1) {
            fprintf(stderr,
                    PROG ": d%u: the VM offers GUI protocol %u.%u, not 1.x; cutting it off\n",
                    (unsigned)g->dom, major, minor);
            return false;
        }
        uint32_t use = minor < 8 ? minor : 8;
        uint8_t out[20];
        size_t k = 0;
        if (use >= 4) {
            put32(out, 0x10000u | use);
            k = 4;
        }
        uint32_t w = (g->w + 7) & ~7u;
        put32(out + k, w);
        put32(out + k + 4, g->h);
        put32(out + k + 8, g->depth);
        put32(out + k + 12, w * g->h * 4 / 1024 + 1);
        if (vchan_send(g->v, out, k + 16) <= 0)
            return false;
        fprintf(stderr,
                PROG ": d%u: the VM speaks GUI protocol 1.%u; sent a %ux%u screen, depth %u\n",
                (unsigned)g->dom, use, w, g->h, g->depth);
        g->phase = RUNNING;
    }
    for (;;) {
        if (g->body_left) {
            uint8_t junk[4096];
            long n =
                vchan_read(g->v, junk, g->body_left < sizeof junk ? g->body_left : sizeof junk);
            if (n <= 0)
                return n == 0;
            g->body_left -= (uint32_t)n;
            continue;
        }
        long n = vchan_read(g->v, g->hdr + g->hlen, sizeof g->hdr - g->hlen);
        if (n <= 0)
            return n == 0;
        g->hlen += (size_t)n;
        if (g->hlen < sizeof g->hdr)
            continue;
        g->hlen = 0;
        uint32_t type = get32(g->hdr), win = get32(g->hdr + 4), len = get32(g->hdr + 8);
        if (type < FIRST_TYPE || type >= FIRST_TYPE + sizeof names / sizeof names[0] ||
            len > MAX_BODY) {
            fprintf(stderr,
                    PROG ": d%u: the VM sent message type 0x%x with %u bytes, which guid refuses; "
                         "cutting it off\n",
                    (unsigned)g->dom, type, len);
            return false;
        }
        fprintf(stderr, PROG ": d%u: VM sent %s for window 0x%x (%u bytes)\n", (unsigned)g->dom,
                names[type - FIRST_TYPE], win, len);
        g->body_left = len;
    }
}

static int screen_option(void *ctx, const char *opt, const char *val)
{
    struct guid *g = ctx;
    if (!val || strcmp(opt, "--screen"))
        return 0;
    if (sscanf(val, "%ux%ux%u", &g->w, &g->h, &g->depth) != 3 || !g->w || !g->h || g->w > 16384 ||
        g->h > 16384 || !g->depth || g->depth > 32) {
        fprintf(stderr, PROG ": --screen %s: expected WIDTHxHEIGHTxDEPTH\n", val);
        return 2;
    }
    return 1;
}

int main(int argc, char **argv)
{
    struct guid g = { .w = 1920, .h = 1080, .depth = 24 };
    struct dom0_daemon_args args = {
        .prog = PROG, .usage = "--domain N [--screen WxHxD]", .extra = screen_option, .ctx = &g
    };
    if (dom0_daemon_parse(&args, argc, argv))
        return 2;
    struct os_linux_opts oo = { .quiet = args.quiet };
    int ready_fd = args.ready_fd;
    g.dom = args.dom;
    g.os = os_linux_open(&oo);
    if (!g.os)
        return 1;
    vchan_qubes_path(g.base, sizeof g.base, g.dom, os_domid(g.os), GUI_PORT);
    if (open_channel(&g) < 0)
        return 1;
    dom0_daemon_catch_stop();
    dom0_daemon_ready(ready_fd);
    while (!dom0_daemon_stop) {
        if (!step(&g)) {
            drop(&g);
            if (open_channel(&g) < 0)
                break;
        }
        struct pollfd p[4];
        int n = os_linux_poll_fds(g.os, p, 4);
        char wp[256], wt[64];
        while (os_xs_next_watch(g.os, wp, sizeof wp, wt, sizeof wt) > 0)
            ;
        /* a client channel without a watch looks again every 100 ms */
        if (poll(p, (nfds_t)n, vchan_state(g.v) == VCHAN_WAITING ? 100 : -1) < 0 && errno != EINTR)
            break;
    }
    drop(&g);
    os_linux_close(g.os);
    return 0;
}
