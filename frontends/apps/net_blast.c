/*
 * net-blast — sends frames as fast as the ring takes them and prints the
 * rate once the backend has answered the last one.
 *
 *   net-blast [--frames N] [--size BYTES] [--udp | --gso MSS] [common options]
 *
 * Output: "net-blast: N frames of S bytes in T s: F frames/s, G Gbit/s".
 * Frames go to the broadcast address with EtherType 0x88B6 (local
 * experimental), so a host stack drops them without answering.  --udp
 * sends IPv4 UDP datagrams to port 9 (discard) instead, their checksums
 * left blank for the backend to complete, as Linux offloads them.  --gso
 * sends IPv4 TCP frames of up to 64 KiB as GSO frames (to be cut into
 * segments of MSS payload bytes further on), checksums blank, as Linux
 * netfront sends TSO frames.
 */
#include "net_app.h"

#include <xen/io/netif.h>

static const char prog[] = "net-blast";

static void put16(uint8_t *p, unsigned v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* An IPv4 UDP datagram from 0.0.0.0 to 255.255.255.255 port 9 filling
 * the frame; its checksum field holds the pseudo-header's sum only, which
 * is what a stack offloading the checksum leaves there. */
static void udp_frame(uint8_t *f, size_t size)
{
    uint8_t *ip = f + 14, *u = ip + 20;
    size_t iplen = size - 14, ulen = iplen - 20;
    f[12] = 0x08;
    f[13] = 0x00;
    os_memset(ip, 0, 20);
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)iplen);
    ip[8] = 64;
    ip[9] = 17;
    os_memset(ip + 16, 0xff, 4);
    uint32_t s = 0, h = 0;
    for (int i = 12; i < 20; i += 2)
        s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    for (int i = 0; i < 20; i += 2)
        h += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (h >> 16)
        h = (h & 0xffff) + (h >> 16);
    put16(ip + 10, ~h & 0xffff);
    put16(u, 9);
    put16(u + 2, 9);
    put16(u + 4, (unsigned)ulen);
    s += 17 + (uint32_t)ulen;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    put16(u + 6, s);
}

/* An IPv4 TCP frame from 10.99.0.2:9 to 10.99.0.1:9 filling the frame,
 * its checksum field holding the pseudo-header's sum over the whole
 * length, as a stack leaves it for TSO. */
static void tcp_frame(uint8_t *f, size_t size)
{
    uint8_t *ip = f + 14, *t = ip + 20;
    size_t iplen = size - 14, tlen = iplen - 20;
    static const uint8_t src[4] = { 10, 99, 0, 2 }, dst[4] = { 10, 99, 0, 1 };
    f[12] = 0x08;
    f[13] = 0x00;
    os_memset(ip, 0, 40);
    ip[0] = 0x45;
    put16(ip + 2, (unsigned)iplen);
    put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 6;
    os_memcpy(ip + 12, src, 4);
    os_memcpy(ip + 16, dst, 4);
    uint32_t s = 0, h = 0;
    for (int i = 0; i < 20; i += 2)
        h += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    while (h >> 16)
        h = (h & 0xffff) + (h >> 16);
    put16(ip + 10, ~h & 0xffff);
    put16(t, 9);
    put16(t + 2, 9);
    t[12] = 5 << 4; /* 20-byte header */
    t[13] = 0x18;   /* PSH, ACK */
    put16(t + 14, 65535);
    for (int i = 12; i < 20; i += 2)
        s += (uint32_t)(ip[i] << 8 | ip[i + 1]);
    s += 6 + (uint32_t)tlen;
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    put16(t + 16, s);
}

int app_main(struct os *os, int argc, char **argv)
{
    struct net_app_opts o;
    uint64_t frames = 1000000, size = 1514, mss = 0;
    bool udp = false;
    net_app_opts_init(&o);
    for (int i = 1; i < argc; i++) {
        int r = net_app_parse(os, prog, argc, argv, &i, &o);
        if (r < 0)
            return 2;
        if (r == 1)
            continue;
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!os_strcmp(argv[i], "--frames")) {
            if (net_app_uint(os, prog, "--frames", v, 1000000000000ull, &frames) < 0)
                return 2;
            i++;
        } else if (!os_strcmp(argv[i], "--udp")) {
            udp = true;
        } else if (!os_strcmp(argv[i], "--gso")) {
            if (net_app_uint(os, prog, "--gso", v, 65535, &mss) < 0)
                return 2;
            i++;
        } else if (!os_strcmp(argv[i], "--size")) {
            if (net_app_uint(os, prog, "--size", v, NETFRONT_MAX_FRAME, &size) < 0)
                return 2;
            if (size < 60) {
                net_app_error(os, prog, "--size %s: frames are at least 60 bytes", v);
                return 2;
            }
            i++;
        } else {
            net_app_error(os, prog,
                          "unknown argument '%s'; usage: net-blast [--frames N] [--size BYTES] "
                          "[--udp | --gso MSS] %s",
                          argv[i], NET_APP_USAGE);
            return 2;
        }
    }
    if (udp && mss) {
        net_app_error(os, prog, "--udp and --gso: one kind of frame at a time");
        return 2;
    }
    if (mss && (size < 14 + 40 + 1 || mss >= size - 54)) {
        net_app_error(os, prog,
                      "--gso %llu: a GSO frame needs a payload longer than one segment "
                      "(--size %llu)",
                      (unsigned long long)mss, (unsigned long long)size);
        return 2;
    }
    struct netfront *nf;
    if (net_app_connect(os, prog, &o, &nf))
        return 1;
    static uint8_t f[NETFRONT_MAX_FRAME];
    netfront_mac(nf, f + 6);
    os_memset(f, 0xff, 6);
    f[12] = 0x88;
    f[13] = 0xb6;
    for (size_t i = 14; i < size; i++)
        f[i] = (uint8_t)i;
    if (udp)
        udp_frame(f, (size_t)size);
    if (mss)
        tcp_frame(f, (size_t)size);
    if (mss && !netfront_gso(nf)) {
        net_app_error(os, prog, "--gso: the backend does not take GSO frames");
        net_app_close(os, nf);
        return 1;
    }
    int status = 0;
    uint64_t t0 = os_now_ns(os), sent = 0;
    while (sent < frames) {
        struct netfront_meta m = { .queue = (unsigned)(sent % netfront_num_queues(nf)),
                                   .csum_blank = udp || mss,
                                   .gso_size = (uint16_t)mss,
                                   .gso_type =
                                       mss ? XEN_NETIF_GSO_TYPE_TCPV4 : XEN_NETIF_GSO_TYPE_NONE };
        int r = netfront_send(nf, f, (size_t)size, &m);
        if (r == 0) {
            sent++;
            continue;
        }
        if (r != -OS_EAGAIN) {
            net_app_error(os, prog, "send failed after %llu frames (error %d, device %s)",
                          (unsigned long long)sent, -r, netfront_state_name(netfront_state(nf)));
            status = 1;
            goto out;
        }
        if (netfront_poll(nf) == 0)
            os_wait(os, os_now_ns(os) + 100000000);
    }
    while (netfront_tx_pending(nf)) {
        if (netfront_state(nf) != NETFRONT_CONNECTED) {
            net_app_error(os, prog, "device %s before the last frame was answered",
                          netfront_state_name(netfront_state(nf)));
            status = 1;
            goto out;
        }
        if (netfront_poll(nf) == 0)
            os_wait(os, os_now_ns(os) + 100000000);
    }
    uint64_t ns = os_now_ns(os) - t0;
    if (ns == 0)
        ns = 1;
    uint64_t fps = sent * 1000000000ull / ns;
    uint64_t mbit = sent * size * 8 * 1000ull / ns; /* Mbit/s */
    char line[200];
    int n = os_snprintf(line, sizeof line,
                        "net-blast: %llu frames of %llu bytes in %llu.%03llu s: %llu frames/s, "
                        "%llu.%03llu Gbit/s\n",
                        (unsigned long long)sent, (unsigned long long)size,
                        (unsigned long long)(ns / 1000000000u),
                        (unsigned long long)(ns / 1000000u % 1000u), (unsigned long long)fps,
                        (unsigned long long)(mbit / 1000u), (unsigned long long)(mbit % 1000u));
    net_app_write_all(os, line, (size_t)n);
out:
    net_app_close(os, nf);
    return status;
}
