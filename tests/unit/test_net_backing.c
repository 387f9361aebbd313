/*
 * test_net_backing.c — netback's backings on real descriptors and files:
 * the stream framing over a pipe, two vifs linked by socket:PATH, a pcap
 * sink and a capture read back with libpcap, spec errors, and a TAP in a
 * network namespace of the test's own carrying GSO frames and blank
 * checksums both ways (or segmented, checksummed frames without
 * offloads), seen from an AF_PACKET socket on the host side.
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include "tests/lib/scratch.h"
#include "tests/lib/skip.h"
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "backends-sim/netback/nb_backing.h"
#include "frontends/net_stream.h"

#include <xen/io/netif.h>

static char dir[64];

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st;
    (void)f;
    (void)w;
    remove(p);
    return 0;
}
static void setup(void)
{
    scratch_dir(dir, sizeof dir);
}
static void teardown(void)
{
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static const uint8_t guest[6] = { 0x00, 0x16, 0x3e, 0x00, 0x00, 0x07 };

/* Waits (hang guard only) until fd is readable. */
static void readable(int fd)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, 10000), 1);
}

START_TEST(fd_stream_framing_both_ways)
{
    /* fd:N reads and writes one descriptor: a socketpair's end */
    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    char spec[32], err[200];
    snprintf(spec, sizeof spec, "fd:%d", sp[0]);
    struct nb_backing *b;
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0);
    nb_backing_set_guest_mac(b, guest);
    static uint8_t data[3000], frame[65536];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 13);
    ck_assert_int_eq(write(sp[1], data, sizeof data), (ssize_t)sizeof data);
    size_t got = 0;
    while (got < sizeof data) {
        readable(nb_backing_fd(b));
        long n = nb_backing_read(b, frame, sizeof frame);
        ck_assert_int_gt(n, 0);
        ck_assert_int_le(n, 1514);
        ck_assert(memcmp(frame, guest, 6) == 0);
        size_t plen;
        const uint8_t *p = net_stream_payload(frame, (size_t)n, &plen);
        ck_assert_ptr_nonnull(p);
        ck_assert(memcmp(p, data + got, plen) == 0);
        got += plen;
    }
    /* nothing more written yet: no frame, and no waiting for one */
    ck_assert_int_eq(nb_backing_read(b, frame, sizeof frame), 0);
    /* guest -> stream: only stream frames are written, payload only */
    size_t len = net_stream_frame(frame, guest, guest, 5);
    memcpy(frame + NET_STREAM_HDR, "abcde", 5);
    ck_assert_uint_eq(len, 60);
    ck_assert_int_eq(nb_backing_write(b, frame, len), 0);
    frame[13] = 0x00; /* another EtherType: not part of the stream */
    ck_assert_int_eq(nb_backing_write(b, frame, len), 0);
    char buf[16] = { 0 };
    readable(sp[1]);
    ck_assert_int_eq(read(sp[1], buf, sizeof buf), 5);
    ck_assert_str_eq(buf, "abcde");
    /* end of input */
    close(sp[1]);
    ck_assert_int_eq(nb_backing_read(b, frame, sizeof frame), -EPIPE);
    nb_backing_free(b);
    close(sp[0]);
}
END_TEST

START_TEST(fd_on_a_seqpacket_socket_carries_frames)
{
    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
    char spec[32], err[200];
    snprintf(spec, sizeof spec, "fd:%d", sp[0]);
    struct nb_backing *b;
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0);
    static uint8_t f[9000], g[65536];
    for (size_t i = 0; i < sizeof f; i++)
        f[i] = (uint8_t)(i * 5);
    ck_assert_int_eq(send(sp[1], f, 1514, 0), 1514);
    ck_assert_int_eq(send(sp[1], f, 9000, 0), 9000);
    readable(nb_backing_fd(b));
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), 1514);
    ck_assert(memcmp(f, g, 1514) == 0);
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), 9000);
    ck_assert(memcmp(f, g, 9000) == 0);
    ck_assert_int_eq(nb_backing_write(b, f, 60), 0); /* any EtherType, whole */
    ck_assert_int_eq(recv(sp[1], g, sizeof g, 0), 60);
    close(sp[1]);
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), -EPIPE);
    nb_backing_free(b);
    close(sp[0]);
}
END_TEST

START_TEST(socket_links_two_vifs)
{
    char spec[128], err[200];
    snprintf(spec, sizeof spec, "socket:%s/link", dir);
    struct nb_backing *a, *b;
    ck_assert_int_eq(nb_backing_open(spec, &a, err, sizeof err), 0); /* listens */
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0); /* connects */
    static uint8_t f[2000], g[65536];
    readable(nb_backing_fd(a));
    ck_assert_int_eq(nb_backing_read(a, g, sizeof g), 0); /* accepts */
    for (size_t i = 0; i < sizeof f; i++)
        f[i] = (uint8_t)i;
    ck_assert_int_eq(nb_backing_write(b, f, 1514), 0);
    readable(nb_backing_fd(a));
    ck_assert_int_eq(nb_backing_read(a, g, sizeof g), 1514);
    ck_assert(memcmp(f, g, 1514) == 0);
    ck_assert_int_eq(nb_backing_write(a, f, 60), 0);
    readable(nb_backing_fd(b));
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), 60);
    nb_backing_free(b); /* the peer leaving ends the link */
    readable(nb_backing_fd(a));
    ck_assert_int_eq(nb_backing_read(a, g, sizeof g), -EPIPE);
    nb_backing_free(a);
    /* A socket file nobody listens on is taken over. */
    ck_assert_int_eq(nb_backing_open(spec, &a, err, sizeof err), 0);
    nb_backing_free(a);
}
END_TEST

static int count_frames(const char *file, size_t *first_len)
{
    char e[PCAP_ERRBUF_SIZE];
    pcap_t *p = pcap_open_offline(file, e);
    ck_assert_msg(p != NULL, "%s", e);
    ck_assert_int_eq(pcap_datalink(p), DLT_EN10MB);
    struct pcap_pkthdr *h;
    const u_char *d;
    int n = 0;
    while (pcap_next_ex(p, &h, &d) == 1) {
        if (n == 0 && first_len)
            *first_len = h->caplen;
        n++;
    }
    pcap_close(p);
    return n;
}

START_TEST(pcap_sink_and_capture)
{
    char spec[160], file[128], cap[128], err[200];
    snprintf(file, sizeof file, "%s/sink.pcap", dir);
    snprintf(spec, sizeof spec, "pcap:%s", file);
    struct nb_backing *b;
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0);
    ck_assert_int_eq(nb_backing_fd(b), -1);
    static uint8_t f[1514];
    ck_assert_int_eq(nb_backing_write(b, f, 98), 0);
    ck_assert_int_eq(nb_backing_write(b, f, 1514), 0);
    nb_backing_free(b);
    size_t first = 0;
    ck_assert_int_eq(count_frames(file, &first), 2);
    ck_assert_uint_eq(first, 98);

    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sp), 0);
    snprintf(cap, sizeof cap, "%s/cap.pcap", dir);
    snprintf(spec, sizeof spec, "fd:%d,capture=%s", sp[0], cap);
    ck_assert_int_eq(nb_backing_open(spec, &b, err, sizeof err), 0);
    ck_assert_int_eq(write(sp[1], "xy", 2), 2);
    static uint8_t g[65536];
    readable(sp[0]);
    ck_assert_int_eq(nb_backing_read(b, g, sizeof g), 60);
    ck_assert_int_eq(nb_backing_write(b, g, 60), 0);
    nb_backing_free(b);
    ck_assert_int_eq(count_frames(cap, NULL), 2); /* both directions */
    close(sp[0]);
    close(sp[1]);
}
END_TEST

START_TEST(spec_errors)
{
    static const struct {
        const char *spec;
        int err;
        const char *say;
    } c[] = {
        { "", -EINVAL, "unknown backing ''" },
        { "ethernet:eth0", -EINVAL, "unknown backing 'ethernet'" },
        { "tap", -EINVAL, "tap:NAME needs" },
        { "tap:averyveryverylongname", -EINVAL, "tap:NAME needs" },
        { "stdio:x", -EINVAL, "stdio takes no argument" },
        { "fd:-1", -EINVAL, "fd:N needs a descriptor number" },
        { "fd:12abc", -EINVAL, "fd:N needs a descriptor number" },
        { "pcap:", -EINVAL, "pcap:FILE needs" },
        { "socket:", -EINVAL, "socket:PATH needs" },
        { "stdio,capture=", -EINVAL, "is not capture=FILE" },
        { "stdio,mtu=9000", -EINVAL, "is not capture=FILE" },
        { "pcap:/nonexistent/dir/x.pcap", -EIO, "/nonexistent/dir/x.pcap" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct nb_backing *b = NULL;
        char err[200] = "";
        ck_assert_int_eq(nb_backing_open(c[i].spec, &b, err, sizeof err), c[i].err);
        ck_assert_msg(strstr(err, c[i].say), "%s: '%s' lacks '%s'", c[i].spec, err, c[i].say);
        ck_assert_ptr_null(strchr(err, '\n'));
    }
}
END_TEST

/* ---- a TAP in a namespace of the test's own ------------------------- */

/* Check runs each test in a child of its own: the namespace dies with it. */
static bool own_netns(void)
{
    if (geteuid() != 0 || unshare(CLONE_NEWNET) != 0)
        return false;
    return true;
}

static void link_up(const char *name)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", name);
    ck_assert_int_eq(ioctl(fd, SIOCGIFFLAGS, &ifr), 0);
    ifr.ifr_flags |= IFF_UP;
    ck_assert_int_eq(ioctl(fd, SIOCSIFFLAGS, &ifr), 0);
    close(fd);
}

/* An AF_PACKET socket on the TAP's host side, with virtio-net headers. */
static int host_socket(const char *name)
{
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    ck_assert_int_ge(fd, 0);
    int on = 1;
    ck_assert_int_eq(setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof on), 0);
    struct sockaddr_ll a = { .sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_ALL),
                             .sll_ifindex = (int)if_nametoindex(name) };
    ck_assert_int_ne(a.sll_ifindex, 0);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static uint32_t sum16(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}
static uint16_t fold16(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

/* An IPv4 TCP frame of `len` bytes, payload bytes (seq + i) & 0xff, its
 * checksum field holding the pseudo header's sum (a blank checksum). */
static void tcp_frame(uint8_t *f, size_t len, uint32_t seq)
{
    memset(f, 0, 54);
    memset(f, 0xff, 6);
    memcpy(f + 6, guest, 6);
    f[12] = 0x08;
    uint8_t *ip = f + 14, *t = f + 34;
    ip[0] = 0x45;
    ip[2] = (uint8_t)((len - 14) >> 8);
    ip[3] = (uint8_t)(len - 14);
    ip[6] = 0x40;
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, "\x0a\x63\x00\x02\x0a\x63\x00\x01", 8);
    uint16_t h = (uint16_t)~fold16(sum16(0, ip, 20));
    ip[10] = (uint8_t)(h >> 8);
    ip[11] = (uint8_t)h;
    t[1] = t[3] = 9;
    t[4] = (uint8_t)(seq >> 24);
    t[5] = (uint8_t)(seq >> 16);
    t[6] = (uint8_t)(seq >> 8);
    t[7] = (uint8_t)seq;
    t[12] = 0x50;
    t[13] = 0x18;
    t[14] = t[15] = 0xff;
    for (size_t i = 54; i < len; i++)
        f[i] = (uint8_t)(seq + (i - 54));
    uint16_t ps = fold16(sum16(6 + (uint32_t)(len - 34), ip + 12, 8));
    t[16] = (uint8_t)(ps >> 8);
    t[17] = (uint8_t)ps;
}

/* The kernel says things of its own on a link that came up (IPv6
 * neighbour discovery): only the IPv4 TCP frames are the test's. */
static bool is_tcp4(const uint8_t *f, size_t len)
{
    return len >= 54 && f[12] == 0x08 && f[13] == 0x00 && f[14 + 9] == 6;
}

/* Whether the TCP checksum of an IPv4 frame is right. */
static bool tcp_csum_ok(const uint8_t *f, size_t len)
{
    const uint8_t *ip = f + 14;
    size_t tlen = (size_t)(ip[2] << 8 | ip[3]) - 20;
    return fold16(sum16(sum16(6 + (uint32_t)tlen, ip + 12, 8), f + 34, tlen)) == 0xffff;
}

/* From the guest: one GSO frame of 20000 bytes is one frame on the host,
 * its GSO size and blank checksum intact; the host's own GSO frame to the
 * guest comes out whole with its meta once offloads are on. */
START_TEST(tap_carries_gso_and_blank_checksums_both_ways)
{
    if (!own_netns()) {
        test_skip("a network namespace and a TAP device need root");
        return;
    }
    struct nb_backing *b;
    char err[200];
    ck_assert_int_eq(nb_backing_open("tap:sbgso0", &b, err, sizeof err), 0);
    ck_assert(nb_backing_takes_gso(b));
    ck_assert(nb_backing_takes_blank_csum(b));
    link_up("sbgso0");
    int h = host_socket("sbgso0");
    static uint8_t f[65536], g[65537];
    tcp_frame(f, 20000, 1000);
    struct nb_meta m = { .gso_type = XEN_NETIF_GSO_TYPE_TCPV4,
                         .gso_size = 1000,
                         .csum_blank = true,
                         .csum_start = 34,
                         .csum_offset = 16 };
    ck_assert_int_eq(nb_backing_write_meta(b, f, 20000, &m), 0);
    struct virtio_net_hdr vh;
    struct iovec iov[2] = { { &vh, sizeof vh }, { g, sizeof g } };
    ssize_t n;
    do {
        readable(h);
        n = readv(h, iov, 2);
    } while (n > (ssize_t)sizeof vh && !is_tcp4(g, (size_t)n - sizeof vh));
    ck_assert_int_eq(n, (ssize_t)(sizeof vh + 20000));
    ck_assert_int_eq(memcmp(g, f, 20000), 0);
    ck_assert_uint_eq(vh.gso_type & ~VIRTIO_NET_HDR_GSO_ECN, VIRTIO_NET_HDR_GSO_TCPV4);
    ck_assert_uint_eq(vh.gso_size, 1000);
    ck_assert(vh.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM);
    ck_assert_uint_eq(vh.csum_start, 34);
    ck_assert_uint_eq(vh.csum_offset, 16);

    /* The host's way: only what the guest takes, so offloads first. */
    ck_assert_int_eq(nb_backing_set_offload(b, true, true, true), 0);
    tcp_frame(f, 30000, 7);
    memset(&vh, 0, sizeof vh);
    vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh.csum_start = 34;
    vh.csum_offset = 16;
    vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    vh.gso_size = 1448;
    vh.hdr_len = 54;
    struct iovec out[2] = { { &vh, sizeof vh }, { f, 30000 } };
    ck_assert_int_eq(writev(h, out, 2), (ssize_t)(sizeof vh + 30000));
    struct nb_meta got;
    long len = 0;
    while (len == 0 || (len > 0 && !is_tcp4(g, (size_t)len))) {
        readable(nb_backing_fd(b));
        len = nb_backing_read_meta(b, g, sizeof g, &got);
    }
    ck_assert_int_eq(len, 30000);
    ck_assert_int_eq(memcmp(g, f, 30000), 0);
    ck_assert_uint_eq(got.gso_type, XEN_NETIF_GSO_TYPE_TCPV4);
    ck_assert_uint_eq(got.gso_size, 1448);
    ck_assert(got.csum_blank);
    ck_assert_uint_eq(got.csum_start, 34);
    ck_assert_uint_eq(got.csum_offset, 16);
    close(h);
    nb_backing_free(b);
}
END_TEST

/* Without offloads the host cuts its GSO frame into segments and
 * completes each checksum before the guest sees them. */
START_TEST(tap_without_offloads_gives_checksummed_segments)
{
    if (!own_netns()) {
        test_skip("a network namespace and a TAP device need root");
        return;
    }
    struct nb_backing *b;
    char err[200];
    ck_assert_int_eq(nb_backing_open("tap:sbgso1", &b, err, sizeof err), 0);
    link_up("sbgso1");
    ck_assert_int_eq(nb_backing_set_offload(b, false, false, false), 0);
    int h = host_socket("sbgso1");
    static uint8_t f[65536], g[65537];
    tcp_frame(f, 10054, 0);
    struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                 .csum_start = 34,
                                 .csum_offset = 16,
                                 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                 .gso_size = 1000,
                                 .hdr_len = 54 };
    struct iovec out[2] = { { &vh, sizeof vh }, { f, 10054 } };
    ck_assert_int_eq(writev(h, out, 2), (ssize_t)(sizeof vh + 10054));
    size_t payload = 0;
    unsigned segs = 0;
    while (payload < 10000) {
        struct nb_meta got;
        readable(nb_backing_fd(b));
        long len = nb_backing_read_meta(b, g, sizeof g, &got);
        if (len >= 0 && !is_tcp4(g, (size_t)len))
            continue;
        ck_assert_int_eq(len, 1054);
        ck_assert_uint_eq(got.gso_type, XEN_NETIF_GSO_TYPE_NONE);
        ck_assert(!got.csum_blank);
        ck_assert_msg(tcp_csum_ok(g, (size_t)len), "segment %u: bad TCP checksum", segs);
        ck_assert_int_eq(memcmp(g + 54, f + 54 + payload, 1000), 0);
        payload += 1000;
        segs++;
    }
    ck_assert_uint_eq(segs, 10);
    close(h);
    nb_backing_free(b);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("net_backing");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, fd_stream_framing_both_ways);
    tcase_add_test(tc, fd_on_a_seqpacket_socket_carries_frames);
    tcase_add_test(tc, socket_links_two_vifs);
    tcase_add_test(tc, pcap_sink_and_capture);
    tcase_add_test(tc, spec_errors);
    suite_add_tcase(s, tc);
    TCase *tap = tcase_create("tap");
    tcase_add_test(tap, tap_carries_gso_and_blank_checksums_both_ways);
    tcase_add_test(tap, tap_without_offloads_gives_checksummed_segments);
    suite_add_tcase(s, tap);
    return s;
}

int main(void)
{
    scratch_prefix = "sbnbk";
    return check_main(suite());
}
