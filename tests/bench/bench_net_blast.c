/*
 * bench_net_blast — frames/s and Gbit/s of `net-blast` through
 * netfront -> splitbed-netback -> a TAP device, beside an AF_PACKET blast
 * of the same frames over a veth pair, both in one network namespace made
 * for the run; and `net-blast --udp`, UDP datagrams whose checksums the
 * guest leaves blank for netback to complete (checksum offload on).  Each
 * runs three times; the median counts.
 *
 *   bench_net_blast                      the benchmark (root: makes a netns)
 *   bench_net_blast --packet-blast IF N SIZE [udp]   the baselines' sender
 */
#include "tests/bench/bench_result.h"
#include "tests/lib/runproc.h"

#include <arpa/inet.h>
#include <ftw.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FRAMES "200000"
#define SIZE 1514
#define ROUNDS 3
#define TIMEOUT 120

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

/* The baseline's sender, run inside the namespace: frames/s on stdout. */
static int packet_blast(const char *ifname, long frames, long size, bool udp)
{
    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    if (fd < 0) {
        perror("bench_net_blast: AF_PACKET socket");
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
    double t0 = now_s();
    for (long i = 0; i < frames; i++)
        if (send(fd, f, (size_t)size, 0) != size) {
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

int main(int argc, char **argv)
{
    if ((argc == 5 || argc == 6) && !strcmp(argv[1], "--packet-blast"))
        return packet_blast(argv[2], atol(argv[3]), atol(argv[4]), argc == 6);
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

    double blast[ROUNDS], packet[ROUNDS], udp[ROUNDS], packet_udp[ROUNDS];
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        fail("readlink", "/proc/self/exe");
    self[n] = '\0';
    char size[16];
    snprintf(size, sizeof size, "%d", SIZE);
    for (int i = 0; i < ROUNDS; i++) {
        char *nb[] = { "ip",
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
                       FRAMES,
                       "--size",
                       size,
                       NULL };
        runproc(&r, NULL, 0, TIMEOUT, NULL, nb);
        const char *p = strstr(r.out, " s: ");
        if (r.status != 0 || !p)
            fail("net-blast", r.err);
        blast[i] = atof(p + 4);
        char *nbu[20];
        memcpy(nbu, nb, sizeof(char *) * 17);
        nbu[17] = "--udp";
        nbu[18] = NULL;
        runproc(&r, NULL, 0, TIMEOUT, NULL, nbu);
        p = strstr(r.out, " s: ");
        if (r.status != 0 || !p)
            fail("net-blast --udp", r.err);
        udp[i] = atof(p + 4);
        char *pb[] = {
            "ip", "netns", "exec", ns, self, "--packet-blast", "sbva", FRAMES, size, NULL
        };
        runproc(&r, NULL, 0, TIMEOUT, NULL, pb);
        if (r.status != 0)
            fail("AF_PACKET blast", r.err);
        packet[i] = atof(r.out);
        char *pbu[] = { "ip",   "netns", "exec", ns,    self, "--packet-blast",
                        "sbva", FRAMES,  size,   "udp", NULL };
        runproc(&r, NULL, 0, TIMEOUT, NULL, pbu);
        if (r.status != 0)
            fail("AF_PACKET blast of UDP", r.err);
        packet_udp[i] = atof(r.out);
    }
    cleanup();
    qsort(blast, ROUNDS, sizeof blast[0], cmp_double);
    qsort(packet, ROUNDS, sizeof packet[0], cmp_double);
    qsort(udp, ROUNDS, sizeof udp[0], cmp_double);
    qsort(packet_udp, ROUNDS, sizeof packet_udp[0], cmp_double);
    double b = blast[ROUNDS / 2], pk = packet[ROUNDS / 2];
    double gb = b * SIZE * 8 / 1e9, gp = pk * SIZE * 8 / 1e9;
    printf("net-blast via netfront->netback->TAP: %.0f frames/s, %.2f Gbit/s (%s frames of %d "
           "bytes, median of %d)\n",
           b, gb, FRAMES, SIZE, ROUNDS);
    printf("AF_PACKET over a veth pair (baseline): %.0f frames/s, %.2f Gbit/s\n", pk, gp);
    printf("ratio: %.2fx the baseline (goal >= 0.5x)\n", pk > 0 ? b / pk : 0.0);
    double u = udp[ROUNDS / 2], pu = packet_udp[ROUNDS / 2];
    printf("net-blast --udp, checksums offloaded to netback: %.0f frames/s, %.2f Gbit/s\n", u,
           u * SIZE * 8 / 1e9);
    printf("AF_PACKET of the same UDP over a veth pair (baseline): %.0f frames/s, %.2f Gbit/s\n",
           pu, pu * SIZE * 8 / 1e9);
    printf("ratio: %.2fx the baseline (goal >= 0.5x)\n", pu > 0 ? u / pu : 0.0);
    char name[96];
    snprintf(name, sizeof name, "net frames of %d bytes netfront->netback->TAP", SIZE);
    bench_result(&(struct bench_figure){ name, b, "frames/s", "AF_PACKET over a veth pair", pk,
                                         "frames/s", pk > 0 ? b / pk : 0.0, ">= 0.5" });
    snprintf(name, sizeof name, "UDP frames of %d bytes, checksum offloaded, to a TAP", SIZE);
    bench_result(&(struct bench_figure){ name, u, "frames/s",
                                         "AF_PACKET of the UDP over a veth pair", pu, "frames/s",
                                         pu > 0 ? u / pu : 0.0, ">= 0.5" });
    return 0;
}
