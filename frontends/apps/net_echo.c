/*
 * net-echo — answers ARP requests and ICMP echo requests for its IPv4
 * address, so that `ping` from the host side of the link gets replies.
 *
 *   net-echo --ip A.B.C.D [--count N] [common options]
 *
 * Runs until the backend closes the device (exit 0), or until it has
 * answered N echo requests (exit 0) with --count.
 */
#include "net_app.h"

static const char prog[] = "net-echo";

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }

static uint16_t csum(const uint8_t *p, size_t len)
{
    uint32_t s = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        s += get16(p + i);
    if (len & 1)
        s += (uint32_t)p[len - 1] << 8;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)~s;
}

static int parse_ip(const char *s, uint8_t ip[4])
{
    for (int i = 0; i < 4; i++) {
        unsigned v = 0, digits = 0;
        while (*s >= '0' && *s <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(*s++ - '0');
            digits++;
        }
        if (!digits || v > 255)
            return -1;
        ip[i] = (uint8_t)v;
        if (i < 3 && *s++ != '.')
            return -1;
    }
    return *s ? -1 : 0;
}

/* Turns an ARP request for us into its reply in place; its length or 0. */
static size_t arp_reply(uint8_t *f, size_t len, const uint8_t mac[6], const uint8_t ip[4])
{
    uint8_t *a = f + 14;
    if (len < 42 || get16(a) != 1 || get16(a + 2) != 0x0800 || a[4] != 6 || a[5] != 4 ||
        get16(a + 6) != 1 || os_memcmp(a + 24, ip, 4) != 0)
        return 0;
    os_memcpy(f, a + 8, 6);            /* to the asker */
    os_memcpy(f + 6, mac, 6);
    put16(a + 6, 2);
    os_memcpy(a + 18, a + 8, 10);      /* target = sender (MAC + IP) */
    os_memcpy(a + 8, mac, 6);
    os_memcpy(a + 14, ip, 4);
    if (len < 60)
        os_memset(f + len, 0, 60 - len);   /* Ethernet padding, not old data */
    return len < 60 ? 60 : len;
}

/* Turns an ICMP echo request to us into its reply in place. */
static size_t icmp_reply(uint8_t *f, size_t len, const uint8_t mac[6], const uint8_t ip[4])
{
    uint8_t *h = f + 14;
    if (len < 14 + 20 + 8 || (h[0] >> 4) != 4)
        return 0;
    size_t ihl = (size_t)(h[0] & 15) * 4;
    size_t tot = get16(h + 2);
    if (ihl < 20 || tot < ihl + 8 || 14 + tot > len || h[9] != 1 || os_memcmp(h + 16, ip, 4) != 0 ||
        (get16(h + 6) & 0x3fff) != 0 /* fragments are not answered */)
        return 0;
    uint8_t *icmp = h + ihl;
    if (icmp[0] != 8 || icmp[1] != 0)
        return 0;
    os_memcpy(f, f + 6, 6);
    os_memcpy(f + 6, mac, 6);
    os_memcpy(h + 16, h + 12, 4);
    os_memcpy(h + 12, ip, 4);
    h[8] = 64;
    put16(h + 10, 0);
    put16(h + 10, csum(h, ihl));
    icmp[0] = 0;
    put16(icmp + 2, 0);
    put16(icmp + 2, csum(icmp, tot - ihl));
    return 14 + tot;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct net_app_opts o;
    uint8_t ip[4];
    bool have_ip = false;
    uint64_t count = 0;
    net_app_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        int r = net_app_parse(os, prog, argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r == 1)
            continue;
        if (!os_strcmp(argv[i], "--ip") && i + 1 < argc) {
            if (parse_ip(argv[++i], ip) < 0) {
                net_app_error(os, prog, "--ip %s: not an IPv4 address", argv[i]);
                return 2;
            }
            have_ip = true;
        } else if (!os_strcmp(argv[i], "--count")) {
            if (net_app_uint(os, prog, "--count", i + 1 < argc ? argv[i + 1] : NULL, 1000000000, &count) < 0)
                return 2;
            i++;
        } else {
            net_app_error(os, prog, "unknown argument '%s'; usage: net-echo --ip A.B.C.D [--count N] %s",
                          argv[i], NET_APP_USAGE);
            return 2;
        }
    }
    if (!have_ip) {
        net_app_error(os, prog, "--ip A.B.C.D is required");
        return 2;
    }
    struct netfront *nf;
    if (net_app_connect(os, prog, &o, &nf))
        return 1;
    uint8_t mac[6];
    netfront_mac(nf, mac);
    static uint8_t f[NETFRONT_MAX_FRAME];
    uint64_t answered = 0;
    int status = 0;
    for (;;) {
        int p = netfront_poll(nf);
        long n;
        while ((n = netfront_recv(nf, f, sizeof f, NULL)) != 0) {
            if (n < 0) {
                if (n == -OS_EPROTO)
                    break;
                continue;
            }
            size_t len = (size_t)n, out = 0;
            bool echo = false;
            if (len >= 14 && get16(f + 12) == 0x0806)
                out = arp_reply(f, len, mac, ip);
            else if (len >= 14 && get16(f + 12) == 0x0800)
                echo = (out = icmp_reply(f, len, mac, ip)) != 0;
            if (!out)
                continue;
            int r;
            while ((r = netfront_send(nf, f, out, NULL)) == -OS_EAGAIN)
                if (netfront_poll(nf) == 0)
                    os_wait(os, os_now_ns(os) + 1000000);
            if (r < 0 && r != -OS_ESHUTDOWN) {
                net_app_error(os, prog, "cannot send a reply (error %d)", -r);
                status = 1;
                goto out;
            }
            if (echo && count && ++answered == count)
                goto drain;
        }
        enum netfront_state st = netfront_state(nf);
        if (st == NETFRONT_BROKEN || p < 0) {
            net_app_error(os, prog, "%s: the backend broke the protocol; see above", o.device);
            status = 1;
            goto out;
        }
        if (st == NETFRONT_CLOSING)
            goto out;
        if (p == 0)
            os_wait(os, 0);
    }
drain:
    /* Let the last reply leave before closing. */
    for (uint64_t deadline = os_now_ns(os) + 5000000000ull;
         netfront_tx_pending(nf) && os_now_ns(os) < deadline;)
        if (netfront_poll(nf) == 0)
            os_wait(os, deadline);
out:
    net_app_close(os, nf);
    return status;
}
