/*
 * net-bridge — joins two vifs of one guest into one link: every frame
 * received on either goes out on the other as it came, GSO and checksum
 * state included (a guest acting as a bridge between two networks).
 *
 *   net-bridge [--to PATH] [common options]
 *
 * The common --device names the first vif (default device/vif/0), --to
 * the second (default device/vif/1); both are opened with the same
 * options.  Once both are connected it prints "net-bridge: bridging A and
 * B" and runs until either backend closes its vif (exit 0); a frame the
 * other side cannot take (GSO or a blank IPv6 checksum it did not
 * negotiate, a frame too long) is dropped and counted in the line printed
 * at the end.
 */
#include "net_app.h"

static const char prog[] = "net-bridge";

/* One direction: a frame read from `from`, waiting for room on `to`. */
struct leg {
    struct netfront *from, *to;
    uint8_t frame[NETFRONT_MAX_FRAME];
    long len; /* 0: none held */
    struct netfront_meta meta;
    uint64_t passed, dropped;
};

/* Moves frames along one leg while both sides allow.  1 if any moved,
 * 0 if not, -1 once a side is not connected. */
static int pump(struct leg *l)
{
    int progress = 0;
    for (int budget = 0; budget < 64; budget++) {
        if (!l->len) {
            long n = netfront_recv(l->from, l->frame, sizeof l->frame, &l->meta);
            if (n == 0)
                break;
            if (n < 0) {
                if (n == -OS_EPROTO)
                    return -1;
                l->dropped++; /* a frame the backend spoiled: counted there */
                continue;
            }
            l->len = n;
        }
        l->meta.queue = 0;
        int r = netfront_send(l->to, l->frame, (size_t)l->len, &l->meta);
        if (r == -OS_EAGAIN)
            break;
        if (r == -OS_ESHUTDOWN || r == -OS_EPROTO)
            return -1;
        if (r < 0)
            l->dropped++;
        else
            l->passed++;
        l->len = 0;
        progress = 1;
    }
    return progress;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct net_app_opts o;
    const char *to = "device/vif/1";
    net_app_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        int r = net_app_parse(os, prog, argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r == 1)
            continue;
        if (!os_strcmp(argv[i], "--to") && i + 1 < argc) {
            to = argv[++i];
            continue;
        }
        net_app_error(os, prog, "unknown argument '%s'; usage: net-bridge [--to PATH] %s", argv[i],
                      NET_APP_USAGE);
        return 2;
    }
    struct netfront *a, *b;
    if (net_app_connect(os, prog, &o, &a))
        return 1;
    struct net_app_opts ob = o;
    ob.device = to;
    if (net_app_connect(os, prog, &ob, &b)) {
        net_app_close(os, a);
        return 1;
    }
    static struct leg ab, ba;
    ab.from = ba.to = a;
    ab.to = ba.from = b;
    char line[200];
    int n = os_snprintf(line, sizeof line, "%s: bridging %s and %s\n", prog, o.device, to);
    net_app_write_all(os, line, (size_t)n);
    int status = 0;
    for (;;) {
        int pa = netfront_poll(a), pb = netfront_poll(b);
        if (pa < 0 || pb < 0) {
            status = 1;
            break;
        }
        if (netfront_state(a) != NETFRONT_CONNECTED || netfront_state(b) != NETFRONT_CONNECTED)
            break;
        int m1 = pump(&ab), m2 = pump(&ba);
        if (m1 < 0 || m2 < 0)
            break;
        if (!pa && !pb && !m1 && !m2)
            os_wait(os, os_now_ns(os) + 1000000000ull);
    }
    n = os_snprintf(line, sizeof line, "%s: %llu and %llu frames passed, %llu dropped\n", prog,
                    (unsigned long long)ab.passed, (unsigned long long)ba.passed,
                    (unsigned long long)(ab.dropped + ba.dropped));
    net_app_write_all(os, line, (size_t)n);
    net_app_close(os, a);
    net_app_close(os, b);
    return status;
}
