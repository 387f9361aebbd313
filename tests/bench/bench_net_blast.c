/*
 * bench_net_blast — frames/s and Gbit/s of `net-blast` through
 * netfront -> splitbed-netback -> a TAP device, each beside an AF_PACKET
 * blast of the same frames over a veth pair, both in one network
 * namespace made for the run:
 *   - frames of 1514 and of 64 bytes (a syscall per frame on both sides);
 *   - UDP datagrams of 1514 bytes whose checksums the guest leaves blank
 *     (checksum offload: the TAP's host completes them, or netback);
 *   - TCP GSO frames of 65000 bytes (MSS 1448): one write to the TAP
 *     with a virtio-net header each, against AF_PACKET with
 *     PACKET_VNET_HDR sending the same GSO frames over the veth.
 * Each runs three times; the median counts.
 *
 *   bench_net_blast                      the benchmark (root: makes a netns)
 *   bench_net_blast --packet-blast IF N SIZE [udp|gso]   the baselines' sender
 */
#include "tests/bench/bench_result.h"
#include "tests/lib/runproc.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 3
#define TIMEOUT 120
#define GSO_MSS 1448

/* One kind of frame: net-blast's arguments and the baseline's mode. */
static const struct kind {
    const char *what;   /* printed */
    const char *figure; /* results.json name */
    const char *size;   /* bytes per frame */
    const char *frames; /* per round */
    const char *extra;  /* net-blast's option, or NULL */
    const char *mode;   /* --packet-blast's mode, or NULL */
    const char *baseline;
} kinds[] = {
    { "net-blast via netfront->netback->TAP", "net frames of 1514 bytes netfront->netback->TAP",
      "1514", "200000", NULL, NULL, "AF_PACKET over a veth pair" },
    { "net-blast --udp, checksums offloaded",
      "UDP frames of 1514 bytes, checksum offloaded, to a TAP", "1514", "200000", "--udp", "udp",
      "AF_PACKET of the UDP over a veth pair" },
    { "net-blast of 64-byte frames", "net frames of 64 bytes netfront->netback->TAP", "64",
      "200000", NULL, NULL, "AF_PACKET over a veth pair" },
    { "net-blast --gso 1448, TCP GSO frames",
      "net TCP GSO frames of 65000 bytes (MSS 1448) to a TAP", "65000", "20000", "--gso", "gso",
      "AF_PACKET with virtio-net GSO headers over a veth pair" },
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

static char dir[64], ns[32];
static struct runproc r;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint16_t fold(uint32_t s)
{
    while (s >> 16)
        s = (s & 0xffff) + (s >> 16);
    return (uint16_t)s;
}

static uint32_t sum(uint32_t s, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        s += (uint32_t)(p[i] << 8 | p[i + 1]);
    if (n & 1)
        s += (uint32_t)p[n - 1] << 8;
    return s;
}

/* net-blast --udp's datagram, its checksums computed here (no offload). */
static void udp_frame(uint8_t *f, long size)
{
    uint8_t *ip = f + 14, *u = ip + 20;
    size_t ulen = (size_t)size - 34;
    f[12] = 0x08;
    f[13] = 0x00;
    memset(ip, 0, 20);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((size - 14) >> 8);
    ip[3] = (uint8_t)(size - 14);
    ip[8] = 64;
    ip[9] = 17;
    memset(ip + 16, 0xff, 4);
    uint16_t h = (uint16_t)~fold(sum(0, ip, 20));
    ip[10] = (uint8_t)(h >> 8);
    ip[11] = (uint8_t)h;
    u[0] = u[2] = 0;
    u[1] = u[3] = 9;
    u[4] = (uint8_t)(ulen >> 8);
    u[5] = (uint8_t)ulen;
    u[6] = u[7] = 0;
    uint16_t c = (uint16_t)~fold(sum(sum(17 + (uint32_t)ulen, ip + 12, 8), u, ulen));
    u[6] = (uint8_t)(c >> 8);
    u[7] = (uint8_t)c;
}

/* net-blast --gso's frame: IPv4 TCP, its checksum field the pseudo
 * header's sum over the whole length, as a stack leaves it for TSO. */
static void tcp_frame(uint8_t *f, long size)
{
    uint8_t *ip = f + 14, *t = ip + 20;
    size_t tlen = (size_t)size - 34;
    f[12] = 0x08;
    f[13] = 0x00;
    memset(ip, 0, 40);
    ip[0] = 0x45;
    ip[2] = (uint8_t)((size - 14) >> 8);
    ip[3] = (uint8_t)(size - 14);
    ip[6] = 0x40;
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, "\x0a\x63\x00\x02\x0a\x63\x00\x01", 8);
    uint16_t h = (uint16_t)~fold(sum(0, ip, 20));
    ip[10] = (uint8_t)(h >> 8);
    ip[11] = (uint8_t)h;
    t[1] = t[3] = 9;
    t[12] = 5 << 4;
    t[13] = 0x18;
    t[14] = t[15] = 0xff;
    uint16_t ps = fold(sum(6 + (uint32_t)tlen, ip + 12, 8));
    t[16] = (uint8_t)(ps >> 8);
    t[17] = (uint8_t)ps;
}

/* The baseline's sender, run inside the namespace: frames/s on stdout.
 * mode: NULL, "udp" (checksums complete) or "gso" (virtio-net headers). */
static int packet_blast(const char *ifname, long frames, long size, const char *mode)
{
    bool udp = mode && !strcmp(mode, "udp"), gso = mode && !strcmp(mode, "gso");
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("bench_net_blast: AF_PACKET socket");
        return 1;
    }
    int on = 1;
    if (gso && setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &on, sizeof on) < 0) {
        perror("bench_net_blast: PACKET_VNET_HDR");
        return 1;
    }
    struct sockaddr_ll a = { .sll_family = AF_PACKET,
                             .sll_protocol = htons(ETH_P_ALL),
                             .sll_ifindex = (int)if_nametoindex(ifname) };
    if (!a.sll_ifindex || bind(fd, (struct sockaddr *)&a, sizeof a) < 0) {
        perror("bench_net_blast: bind");
        return 1;
    }
    static uint8_t f[65536];
    memset(f, 0xff, 6);
    memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6);
    f[12] = 0x88;
    f[13] = 0xb6;
    for (long i = 14; i < size; i++)
        f[i] = (uint8_t)i;
    if (udp)
        udp_frame(f, size);
    if (gso)
        tcp_frame(f, size);
    struct virtio_net_hdr vh = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
                                 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
                                 .hdr_len = 54,
                                 .gso_size = GSO_MSS,
                                 .csum_start = 34,
                                 .csum_offset = 16 };
    struct iovec iov[2] = { { &vh, sizeof vh }, { f, (size_t)size } };
    struct msghdr mh = { .msg_iov = gso ? iov : iov + 1, .msg_iovlen = gso ? 2 : 1 };
    ssize_t want = (ssize_t)size + (gso ? (ssize_t)sizeof vh : 0);
    double t0 = now_s();
    for (long i = 0; i < frames; i++)
        if (sendmsg(fd, &mh, 0) != want) {
            perror("bench_net_blast: send");
            return 1;
        }
    double t = now_s() - t0;
    printf("%.0f\n", (double)frames / t);
    return 0;
}

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st;
    (void)f;
    (void)w;
    remove(p);
    return 0;
}

static void cleanup(void)
{
    char *del[] = { "ip", "netns", "del", ns, NULL };
    runproc(&r, NULL, 0, TIMEOUT, NULL, del);
    char *stop[] = { (char *)build_path("bin/splitbed"), "hv", "stop", "--dir", dir, NULL };
    runproc(&r, NULL, 0, TIMEOUT, NULL, stop);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "bench_net_blast: %s: %s\n", what, detail);
    cleanup();
    exit(1);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v)
{
    qsort(v, ROUNDS, sizeof v[0], cmp_double);
    return v[ROUNDS / 2];
}

int main(int argc, char **argv)
{
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "--packet-blast"))
        return packet_blast(argv[2], atol(argv[3]), atol(argv[4]), argc == 6 ? argv[5] : NULL);
    if (argc != 1) {
        fprintf(stderr, "usage: bench_net_blast\n");
        return 2;
    }
    snprintf(dir, sizeof dir, "/tmp/sbnetbench-XXXXXX");
    if (!mkdtemp(dir)) {
        perror("bench_net_blast: mkdtemp");
        return 1;
    }
    snprintf(ns, sizeof ns, "sbbench%d", (int)getpid());
    char *start[] = { (char *)build_path("bin/splitbed"), "hv", "start", "--dir", dir, NULL };
    runproc(&r, NULL, 0, TIMEOUT, NULL, start);
    if (r.status != 0)
        fail("hv start", r.err);
    char *add[] = { "ip", "netns", "add", ns, NULL };
    runproc(&r, NULL, 0, TIMEOUT, NULL, add);
    if (r.status != 0)
        fail("ip netns add (root needed)", r.err);
    char *links[] = {
        "ip",
        "netns",
        "exec",
        ns,
        "sh",
        "-c",
        "ip link set lo up && ip tuntap add dev sbtap mode tap && ip link set sbtap up && "
        "ip link add sbva type veth peer name sbvb && ip link set sbva up && ip link set sbvb up",
        NULL
    };
    runproc(&r, NULL, 0, TIMEOUT, NULL, links);
    if (r.status != 0)
        fail("links", r.err);

    double blast[NKINDS][ROUNDS], packet[NKINDS][ROUNDS];
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        fail("readlink", "/proc/self/exe");
    self[n] = '\0';
    char mss[16];
    snprintf(mss, sizeof mss, "%d", GSO_MSS);
    for (int i = 0; i < ROUNDS; i++) {
        for (size_t k = 0; k < NKINDS; k++) {
            const struct kind *c = &kinds[k];
            char *nb[24] = { "ip",
                             "netns",
                             "exec",
                             ns,
                             (char *)build_path("bin/splitbed"),
                             "run",
                             "--dir",
                             dir,
                             "-q",
                             "--vif",
                             "backing=tap:sbtap",
                             "--",
                             "net-blast",
                             "--frames",
                             (char *)c->frames,
                             "--size",
                             (char *)c->size };
            int a = 17;
            if (c->extra) {
                nb[a++] = (char *)c->extra;
                if (!strcmp(c->extra, "--gso"))
                    nb[a++] = mss;
            }
            nb[a] = NULL;
            runproc(&r, NULL, 0, TIMEOUT, NULL, nb);
            const char *p = strstr(r.out, " s: ");
            if (r.status != 0 || !p)
                fail(c->what, r.err);
            blast[k][i] = atof(p + 4);
            char *pb[] = { "ip",
                           "netns",
                           "exec",
                           ns,
                           self,
                           "--packet-blast",
                           "sbva",
                           (char *)c->frames,
                           (char *)c->size,
                           (char *)c->mode,
                           NULL };
            runproc(&r, NULL, 0, TIMEOUT, NULL, pb);
            if (r.status != 0)
                fail(c->baseline, r.err);
            packet[k][i] = atof(r.out);
        }
    }
    cleanup();
    for (size_t k = 0; k < NKINDS; k++) {
        const struct kind *c = &kinds[k];
        double b = median(blast[k]), pk = median(packet[k]);
        double bits = atof(c->size) * 8 / 1e9;
        printf("%s: %.0f frames/s, %.2f Gbit/s (%s frames of %s bytes, median of %d)\n", c->what, b,
               b * bits, c->frames, c->size, ROUNDS);
        printf("%s (baseline): %.0f frames/s, %.2f Gbit/s\n", c->baseline, pk, pk * bits);
        printf("ratio: %.2fx the baseline (goal >= 0.5x)\n", pk > 0 ? b / pk : 0.0);
        bench_result(&(struct bench_figure){ c->figure, b, "frames/s", c->baseline, pk, "frames/s",
                                             pk > 0 ? b / pk : 0.0, ">= 0.5" });
    }
    return 0;
}
