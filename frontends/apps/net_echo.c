/*
 * net-echo — answers ARP requests and ICMP echo requests for its IPv4
 * address, so that `ping` from the host side of the link gets replies;
 * with --ping it also pings another address itself (two guests on one
 * link).
 *
 *   net-echo --ip A.B.C.D [--count N] [--ping A.B.C.D] [common options]
 *
 * Runs until the backend closes the device (exit 0), or until it has
 * answered N echo requests (exit 0) with --count.  With --ping it exits 0
 * once N (default 3) replies came back, 1 if they did not within
 * --timeout seconds.
 */
#include "net_app.h"

static const char prog[] = "net-echo";

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

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
    os_memcpy(f, a + 8, 6); /* to the asker */
    os_memcpy(f + 6, mac, 6);
    put16(a + 6, 2);
    os_memcpy(a + 18, a + 8, 10); /* target = sender (MAC + IP) */
    os_memcpy(a + 8, mac, 6);
    os_memcpy(a + 14, ip, 4);
    if (len < 60)
        os_memset(f + len, 0, 60 - len); /* Ethernet padding, not old data */
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

/* Our own pings: ARP for the target, then one echo request at a time. */
struct pinger {
    bool on, have_mac;
    uint8_t ip[4], mac[6];
    uint16_t seq;
    uint64_t replies, next_ns, deadline_ns;
};

#define PING_ID 0x5342

static size_t arp_request(uint8_t *f, const uint8_t mac[6], const uint8_t ip[4],
                          const uint8_t target[4])
{
    os_memset(f, 0, 60);
    os_memset(f, 0xff, 6);
    os_memcpy(f + 6, mac, 6);
    put16(f + 12, 0x0806);
    uint8_t *a = f + 14;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6;
    a[5] = 4;
    put16(a + 6, 1);
    os_memcpy(a + 8, mac, 6);
    os_memcpy(a + 14, ip, 4);
    os_memcpy(a + 24, target, 4);
    return 60;
}

static size_t echo_request(uint8_t *f, const uint8_t mac[6], const uint8_t ip[4],
                           const struct pinger *pg)
{
    size_t payload = 32, icmp_len = 8 + payload, tot = 20 + icmp_len;
    os_memcpy(f, pg->mac, 6);
    os_memcpy(f + 6, mac, 6);
    put16(f + 12, 0x0800);
    uint8_t *h = f + 14;
    os_memset(h, 0, tot);
    h[0] = 0x45;
    put16(h + 2, (uint16_t)tot);
    put16(h + 4, pg->seq);
    h[8] = 64;
    h[9] = 1;
    os_memcpy(h + 12, ip, 4);
    os_memcpy(h + 16, pg->ip, 4);
    put16(h + 10, csum(h, 20));
    uint8_t *icmp = h + 20;
    icmp[0] = 8;
    put16(icmp + 4, PING_ID);
    put16(icmp + 6, pg->seq);
    for (size_t i = 0; i < payload; i++)
        icmp[8 + i] = (uint8_t)i;
    put16(icmp + 2, csum(icmp, icmp_len));
    return 14 + tot;
}

/* Notes an ARP reply from, or an echo reply of ours by, the target. */
static void ping_saw(struct pinger *pg, const uint8_t *f, size_t len, const uint8_t ip[4],
                     uint64_t now)
{
    if (len >= 42 && get16(f + 12) == 0x0806 && get16(f + 20) == 2 &&
        os_memcmp(f + 28, pg->ip, 4) == 0 && !pg->have_mac) {
        os_memcpy(pg->mac, f + 22, 6);
        pg->have_mac = true;
        pg->next_ns = now;
        return;
    }
    if (len < 14 + 20 + 8 || get16(f + 12) != 0x0800)
        return;
    const uint8_t *h = f + 14;
    size_t ihl = (size_t)(h[0] & 15) * 4;
    if ((h[0] >> 4) != 4 || ihl < 20 || 14 + ihl + 8 > len || h[9] != 1 ||
        os_memcmp(h + 12, pg->ip, 4) != 0 || os_memcmp(h + 16, ip, 4) != 0)
        return;
    const uint8_t *icmp = h + ihl;
    if (icmp[0] == 0 && get16(icmp + 4) == PING_ID && get16(icmp + 6) == pg->seq) {
        pg->replies++;
        pg->seq++;
        pg->next_ns = now;
    }
}

static int send_frame(struct os *os, struct netfront *nf, const uint8_t *f, size_t len)
{
    int r;
    while ((r = netfront_send(nf, f, len, NULL)) == -OS_EAGAIN)
        if (netfront_poll(nf) == 0)
            os_wait(os, os_now_ns(os) + 1000000);
    return r == -OS_ESHUTDOWN ? 0 : r;
}

int app_main(struct os *os, int argc, char **argv)
{
    struct pinger pg;
    os_memset(&pg, 0, sizeof pg);
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
        } else if (!os_strcmp(argv[i], "--ping") && i + 1 < argc) {
            if (parse_ip(argv[++i], pg.ip) < 0) {
                net_app_error(os, prog, "--ping %s: not an IPv4 address", argv[i]);
                return 2;
            }
            pg.on = true;
        } else if (!os_strcmp(argv[i], "--count")) {
            if (net_app_uint(os, prog, "--count", i + 1 < argc ? argv[i + 1] : NULL, 1000000000,
                             &count) < 0)
                return 2;
            i++;
        } else {
            net_app_error(os, prog,
                          "unknown argument '%s'; usage: net-echo --ip A.B.C.D [--count N] [--ping "
                          "A.B.C.D] %s",
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
    if (pg.on) {
        if (!count)
            count = 3;
        pg.next_ns = os_now_ns(os);
        pg.deadline_ns = pg.next_ns + (uint64_t)o.timeout_s * 1000000000u;
    }
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
            if (pg.on) {
                ping_saw(&pg, f, len, ip, os_now_ns(os));
                if (pg.replies >= count)
                    goto drain;
            }
            if (len >= 14 && get16(f + 12) == 0x0806)
                out = arp_reply(f, len, mac, ip);
            else if (len >= 14 && get16(f + 12) == 0x0800)
                echo = (out = icmp_reply(f, len, mac, ip)) != 0;
            if (!out)
                continue;
            int r = send_frame(os, nf, f, out);
            if (r < 0) {
                net_app_error(os, prog, "cannot send a reply (error %d)", -r);
                status = 1;
                goto out;
            }
            if (echo && count && !pg.on && ++answered == count)
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
        if (pg.on) {
            uint64_t now = os_now_ns(os);
            if (now >= pg.deadline_ns) {
                net_app_error(os, prog, "%llu of %llu ping replies within %u s",
                              (unsigned long long)pg.replies, (unsigned long long)count,
                              o.timeout_s);
                status = 1;
                goto out;
            }
            if (now >= pg.next_ns) {
                size_t len =
                    pg.have_mac ? echo_request(f, mac, ip, &pg) : arp_request(f, mac, ip, pg.ip);
                int r = send_frame(os, nf, f, len);
                if (r < 0) {
                    net_app_error(os, prog, "cannot send a ping (error %d)", -r);
                    status = 1;
                    goto out;
                }
                pg.next_ns = now + 200000000u; /* resend if unanswered */
            }
            if (p == 0)
                os_wait(os, pg.next_ns < pg.deadline_ns ? pg.next_ns : pg.deadline_ns);
            continue;
        }
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
