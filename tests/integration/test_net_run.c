/*
 * The network path as a user runs it: `splitbed run --vif …` with the real
 * daemons, splitbed-netback and the guest apps — pvcat over stdio (short,
 * empty and 10 MiB inputs, across the negotiation matrix), net-echo
 * answering ping through a TAP device in a network namespace with a pcap
 * capture read back by tshark, a TCP stream between two namespaces
 * through a guest bridging two TAPs (GSO on and off, compared byte for
 * byte), and netback's own usage errors.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"
#include "tests/lib/skip.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 60

static char dir[64];
static struct runproc r;

static void run(const char *input, size_t len, char *const args[])
{
    char *argv[40];
    int i = 0;
    for (; args[i] && i < 38; i++)
        argv[i] = args[i];
    argv[i] = NULL;
    runproc(&r, input, len, TIMEOUT, NULL, argv);
}
static size_t len_of(const char *s)
{
    return s ? strlen(s) : 0;
}
#define RUN(in, ...) run((in), len_of(in), (char *[]){ __VA_ARGS__, NULL })
#define SB (char *)build_path("bin/splitbed")
#define NETBACK (char *)build_path("libexec/splitbed/splitbed-netback")

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    /* 4 queues of 256-slot rings share more pages than Linux's default
     * xen_gntalloc.limit (1024) lets a domain hold: as on a real domU,
     * the limit must be raised. */
    setenv("SPLITBED_GNTALLOC_LIMIT", "4096", 1);
    RUN(NULL, SB, "hv", "start", "--dir", dir);
    ck_assert_msg(r.status == 0, "hv start: %s", r.err);
}

static void teardown(void)
{
    RUN(NULL, SB, "hv", "stop", "--dir", dir);
    runproc_rmtree(dir);
}

/* Neither end broke a rule the simulated hypervisor enforces. */
static void assert_clean_trace(void)
{
    char path[128], line[512] = "";
    snprintf(path, sizeof path, "%s/trace", dir);
    /* splitbed-hvd creates it when it starts: a missing one means the
     * run used another simulator than the one looked at here. */
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "no trace file %s", path);
    char *got = fgets(line, sizeof line, f);
    fclose(f);
    ck_assert_msg(got == NULL, "trace: %s", line);
}

START_TEST(pvcat_prints_stdin_and_exits_0)
{
    RUN("hello\n", SB, "run", "--dir", dir, "-q", "--vif", "stdio", "--", "pvcat");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "hello\n");
    assert_clean_trace();
}
END_TEST

START_TEST(pvcat_empty_input_exits_0)
{
    RUN("", SB, "run", "--dir", dir, "-q", "--vif", "backing=stdio", "--", "pvcat");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_uint_eq(r.out_len, 0);
}
END_TEST

/* The capture form the netback README shows, inside --vif: xl splits the
 * spec at its comma, and capture= still reaches the backing. */
START_TEST(pvcat_vif_capture_key)
{
    char pcap[128], vif[200];
    snprintf(pcap, sizeof pcap, "%s/vif.pcap", dir);
    snprintf(vif, sizeof vif, "mac=00:16:3e:00:00:09,backing=stdio,capture=%s", pcap);
    RUN("captured words\n", SB, "run", "--dir", dir, "-q", "--vif", vif, "--", "pvcat");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "captured words\n");
    RUN(NULL, "tshark", "-n", "-r", pcap, "-T", "fields", "-e", "eth.dst");
    ck_assert_msg(r.status == 0, "tshark: %s", r.err);
    ck_assert_msg(strstr(r.out, "00:16:3e:00:00:09"), "no frame to the guest in %s: %s", pcap,
                  r.out);
}
END_TEST

static int count_lines(const char *s);

/* Checksum offload as a user sees it: net-blast --udp leaves its UDP
 * checksums blank (NETTXF_csum_blank) and the capture has them right. */
START_TEST(udp_checksums_offloaded_to_netback)
{
    char pcap[128], vif[200];
    snprintf(pcap, sizeof pcap, "%s/udp.pcap", dir);
    snprintf(vif, sizeof vif, "backing=pcap:%s", pcap);
    RUN(NULL, SB, "run", "--dir", dir, "-q", "--vif", vif, "--", "net-blast", "--frames", "5",
        "--size", "300", "--udp");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    RUN(NULL, "tshark", "-n", "-r", pcap, "-o", "udp.check_checksum:TRUE", "-Y",
        "udp.dstport == 9 && udp.checksum.status == 1", "-T", "fields", "-e", "udp.length");
    ck_assert_msg(r.status == 0, "tshark: %s", r.err);
    ck_assert_int_eq(count_lines(r.out), 5);
}
END_TEST

/* bit 0: 4 queues offered and asked; bit 1: split channels off; bit 2: sg/gso off */
START_TEST(pvcat_negotiation_matrix)
{
    char in[5000];
    for (size_t i = 0; i < sizeof in - 1; i++)
        in[i] = (char)('a' + i % 26);
    in[sizeof in - 1] = '\0';
    char *args[40] = { SB, "run", "--dir", dir, "--vif", "backing=stdio" };
    int n = 6;
    if (_i & 1) {
        args[n++] = "--netback-opt";
        args[n++] = "max-queues=4";
    }
    if (_i & 2) {
        args[n++] = "--netback-opt";
        args[n++] = "split=0";
    }
    if (_i & 4) {
        args[n++] = "--netback-opt";
        args[n++] = "sg=0";
        args[n++] = "--netback-opt";
        args[n++] = "gso=0";
    }
    args[n++] = "--";
    args[n++] = "pvcat";
    if (_i & 1) {
        args[n++] = "--queues";
        args[n++] = "4";
    }
    args[n] = NULL;
    run(in, strlen(in), args);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, in);
    /* What netfront negotiated: each knob in effect, not only data through. */
    char want[128];
    snprintf(want, sizeof want, "device/vif/0: %s, %s, %s", _i & 1 ? "4 queues" : "1 queue",
             _i & 2 ? "shared event channel" : "split event channels",
             _i & 4 ? "sg off, gso off" : "sg on, gso on");
    ck_assert_msg(strstr(r.err, want), "no '%s' in:\n%s", want, r.err);
    assert_clean_trace();
}
END_TEST

START_TEST(pvcat_10_mib_byte_for_byte)
{
    char in[128], out[128], cmd[1024];
    snprintf(in, sizeof in, "%s/in.bin", dir);
    snprintf(out, sizeof out, "%s/out.bin", dir);
    FILE *f = fopen(in, "wb");
    ck_assert_ptr_nonnull(f);
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; i < (10u << 20) / 8; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        fwrite(&x, 8, 1, f);
    }
    ck_assert_int_eq(fclose(f), 0);
    snprintf(cmd, sizeof cmd, "exec '%s' run --dir %s -q --vif backing=stdio -- pvcat < %s > %s",
             build_path("bin/splitbed"), dir, in, out);
    RUN(NULL, "sh", "-c", cmd);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    RUN(NULL, "cmp", in, out);
    ck_assert_msg(r.status == 0, "output differs: %s", r.out);
    assert_clean_trace();
}
END_TEST

START_TEST(netback_usage_errors)
{
    struct {
        const char *a, *b, *c;
        const char *say;
    } cases[] = {
        { "--vif", "1/0=bogus", NULL, "unknown backing 'bogus'" },
        { "--vif", "1/0=fd:x", NULL, "fd:N needs a descriptor number" },
        { "--vif", "1/0=fd:977", NULL, "fd:977: not an open descriptor" },
        { "--vif", "1/0=tap:", NULL, "tap:NAME needs an interface name" },
        { "--vif", "1/0=stdio,capture", NULL, "is not capture=FILE" },
        { "--vif", "x/y=stdio", NULL, "PATH is not a backend directory" },
        { "--vif", "nopath", NULL, "expected PATH=SPEC" },
        { "--opt", "sg=2", NULL, "expected 0 or 1" },
        { "--opt", "colour=red", NULL, "unknown key" },
        { "--max-queues", "99", NULL, "expected 1..8" },
        { "--frobnicate", NULL, NULL, "unknown argument" },
        { NULL, NULL, NULL, "no --vif given" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *argv[5] = { NETBACK, (char *)cases[i].a, (char *)cases[i].b, NULL, NULL };
        runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
        ck_assert_msg(r.status == 2, "case %zu: status %d", i, r.status);
        ck_assert_msg(strstr(r.err, cases[i].say), "case %zu: '%s' lacks '%s'", i, r.err,
                      cases[i].say);
        if (cases[i].a)
            ck_assert_msg(runproc_lines(r.err) == 1, "case %zu: %s", i, r.err);
    }
    /* Without a simulator: a runtime failure, one line. */
    char *env[] = { "XENSTORED_PATH=/nonexistent/socket", NULL };
    char *argv[] = { NETBACK, "--vif", "1/0=stdio", NULL };
    runproc(&r, NULL, 0, TIMEOUT, env, argv);
    ck_assert_int_eq(r.status, 1);
    ck_assert_int_eq(runproc_lines(r.err), 1);
}
END_TEST

/* ---- ping through a TAP device in a namespace of our own ---- */

static char ns[32];

/* Network namespaces and TAP devices need root: elsewhere the tests of
 * this case are reported as skipped (ns stays empty). */
static void ns_setup(void)
{
    setup();
    ns[0] = '\0';
    if (geteuid() != 0)
        return;
    snprintf(ns, sizeof ns, "sbnet%d", (int)getpid());
    RUN(NULL, "ip", "netns", "add", ns);
    ck_assert_msg(r.status == 0, "ip netns add: %s", r.err);
}

static char ns2[32]; /* a second namespace, when a test made one */

static void ns_teardown(void)
{
    if (ns[0])
        RUN(NULL, "ip", "netns", "del", ns); /* takes the TAP device with it */
    if (ns2[0])
        RUN(NULL, "ip", "netns", "del", ns2);
    ns2[0] = '\0';
    teardown();
}

#define NEED_NETNS()                                                   \
    do {                                                               \
        if (!ns[0]) {                                                  \
            test_skip("network namespaces and TAP devices need root"); \
            return;                                                    \
        }                                                              \
    } while (0)

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

START_TEST(ping_net_echo_through_tap_with_capture)
{
    NEED_NETNS();
    RUN(NULL, "ip", "netns", "exec", ns, "sh", "-c",
        "ip tuntap add dev sbtap0 mode tap && ip link set lo up && ip link set sbtap0 up && "
        "ip addr add 10.99.0.1/24 dev sbtap0");
    ck_assert_msg(r.status == 0, "tap setup: %s", r.err);
    char pcap[128], opt[160], log[128];
    snprintf(pcap, sizeof pcap, "%s/run.pcap", dir);
    snprintf(opt, sizeof opt, "capture=%s", pcap);
    snprintf(log, sizeof log, "%s/run.log", dir);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execlp("ip", "ip", "netns", "exec", ns, build_path("bin/splitbed"), "run", "--dir", dir,
               "--vif", "mac=00:16:3e:00:00:42,backing=tap:sbtap0", "--netback-opt", opt, "--",
               "net-echo", "--ip", "10.99.0.2", "--count", "3", (char *)NULL);
        _exit(127);
    }
    /* -w: keep asking until three replies came (the guest may still be
     * connecting when the first request leaves). */
    RUN(NULL, "ip", "netns", "exec", ns, "ping", "-n", "-c", "3", "-i", "0.2", "-w", "30",
        "10.99.0.2");
    int ping_status = r.status;
    static char ping_out[sizeof r.out];
    memcpy(ping_out, r.out, sizeof ping_out);
    int run_status = runproc_wait(pid, TIMEOUT * 1000);
    ck_assert_msg(ping_status == 0, "ping: %s", ping_out);
    ck_assert_ptr_nonnull(strstr(ping_out, "3 received"));
    ck_assert_msg(run_status == 0, "splitbed run exited %d", run_status);
    assert_clean_trace();

    RUN(NULL, "tshark", "-n", "-r", pcap, "-Y", "icmp.type == 0 && ip.src == 10.99.0.2", "-T",
        "fields", "-e", "icmp.seq");
    ck_assert_msg(r.status == 0, "tshark: %s", r.err);
    ck_assert_int_ge(count_lines(r.out), 3);
    RUN(NULL, "tshark", "-n", "-r", pcap, "-Y", "icmp.type == 8 && ip.dst == 10.99.0.2", "-T",
        "fields", "-e", "icmp.seq");
    ck_assert_int_ge(count_lines(r.out), 3);
    RUN(NULL, "tshark", "-n", "-r", pcap, "-Y",
        "arp.opcode == 2 && eth.src == 00:16:3e:00:00:42 && !_ws.malformed", "-T", "fields", "-e",
        "arp.src.proto_ipv4");
    ck_assert_msg(strstr(r.out, "10.99.0.2"), "no ARP reply from the guest: %s", r.out);
}
END_TEST

/* Puts this process in the named namespace (sockets made after it live
 * there; those made before stay where they were). */
static void enter_netns(const char *name)
{
    char path[96];
    snprintf(path, sizeof path, "/run/netns/%s", name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ck_assert_int_eq(setns(fd, CLONE_NEWNET), 0);
    close(fd);
}

/* The stream's byte i: a sequence nothing along the way could make up. */
static uint8_t stream_byte(uint64_t i)
{
    uint64_t x = (i >> 3) * 0x9e3779b97f4a7c15ull;
    x ^= x >> 29;
    return (uint8_t)(x >> (8 * (i & 7)));
}

static long read_counter(const char *netns, const char *dev, const char *what)
{
    char path[128];
    snprintf(path, sizeof path, "/sys/class/net/%s/statistics/%s", dev, what);
    RUN(NULL, "ip", "netns", "exec", (char *)netns, "cat", path);
    ck_assert_msg(r.status == 0, "%s: %s", path, r.err);
    return atol(r.out);
}

#define STREAM_BYTES (16l << 20)

/* A guest bridges two TAPs, one in each of two namespaces; a TCP stream
 * crosses it from one namespace to the other and arrives byte for byte.
 * With GSO (the default) the sending kernel's TSO frames cross whole,
 * with their virtio-net header, the ring's GSO extra info and the guest's
 * netfront both ways, so the receiving TAP sees far fewer frames than
 * segments; with it off (netback gso=0, the guest --no-gso) every frame
 * is one segment.  Over IPv4, and over IPv6 (TCPv6 GSO, IPv6 checksum
 * offload). */
static void tcp_stream_through_bridge(bool gso, bool v6)
{
    NEED_NETNS();
    snprintf(ns2, sizeof ns2, "sbnet%db", (int)getpid());
    RUN(NULL, "ip", "netns", "add", ns2);
    ck_assert_msg(r.status == 0, "ip netns add: %s", r.err);
    RUN(NULL, "ip", "netns", "exec", ns, "sh", "-c",
        "ip link set lo up && ip tuntap add dev sbbra mode tap && "
        "ip tuntap add dev sbbrb mode tap");
    ck_assert_msg(r.status == 0, "tap setup: %s", r.err);
    int out[2];
    ck_assert_int_eq(pipe(out), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(out[1], 1);
        close(out[0]);
        char *argv[] = { "ip",
                         "netns",
                         "exec",
                         ns,
                         (char *)build_path("bin/splitbed"),
                         "run",
                         "--dir",
                         dir,
                         "-q",
                         "--vif",
                         "mac=00:16:3e:00:00:0a,backing=tap:sbbra",
                         "--vif",
                         "mac=00:16:3e:00:00:0b,backing=tap:sbbrb",
                         "--netback-opt",
                         gso ? "gso=1" : "gso=0",
                         "--",
                         "net-bridge",
                         gso ? NULL : "--no-gso",
                         NULL };
        execvp("ip", argv);
        _exit(127);
    }
    close(out[1]);
    /* Both TAPs are attached once the guest bridges them: then one moves
     * to the other namespace, its descriptor still netback's. */
    char line[256] = "";
    size_t got = 0;
    while (!strstr(line, "bridging") && got < sizeof line - 1) {
        struct pollfd p = { .fd = out[0], .events = POLLIN };
        ck_assert_msg(poll(&p, 1, TIMEOUT * 1000) == 1, "net-bridge never said it was bridging");
        ssize_t n = read(out[0], line + got, sizeof line - 1 - got);
        ck_assert_msg(n > 0, "splitbed run ended before bridging");
        got += (size_t)n;
        line[got] = '\0';
    }
    RUN(NULL, "ip", "netns", "exec", ns, "sh", "-c",
        v6 ? "ip link set sbbra up && ip -6 addr add fd98::1/64 dev sbbra nodad"
           : "ip link set sbbra up && ip addr add 10.98.0.1/24 dev sbbra");
    ck_assert_msg(r.status == 0, "side a: %s", r.err);
    RUN(NULL, "ip", "netns", "exec", ns, "ip", "link", "set", "sbbrb", "netns", ns2);
    ck_assert_msg(r.status == 0, "moving the TAP: %s", r.err);
    RUN(NULL, "ip", "netns", "exec", ns2, "sh", "-c",
        v6 ? "ip link set lo up && ip link set sbbrb up && "
             "ip -6 addr add fd98::2/64 dev sbbrb nodad"
           : "ip link set lo up && ip link set sbbrb up && ip addr add 10.98.0.2/24 dev sbbrb");
    ck_assert_msg(r.status == 0, "side b: %s", r.err);

    int home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(home, 0);
    enter_netns(ns2);
    int family = v6 ? AF_INET6 : AF_INET;
    struct sockaddr_storage a;
    memset(&a, 0, sizeof a);
    socklen_t alen;
    if (v6) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&a;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(5001);
        inet_pton(AF_INET6, "fd98::2", &a6->sin6_addr);
        alen = sizeof *a6;
    } else {
        struct sockaddr_in *a4 = (struct sockaddr_in *)&a;
        a4->sin_family = AF_INET;
        a4->sin_port = htons(5001);
        inet_pton(AF_INET, "10.98.0.2", &a4->sin_addr);
        alen = sizeof *a4;
    }
    int ls = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(ls, (struct sockaddr *)&a, alen), 0);
    ck_assert_int_eq(listen(ls, 1), 0);
    enter_netns(ns);
    int cs = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(cs, 0);
    ck_assert_int_eq(setns(home, CLONE_NEWNET), 0);
    close(home);
    struct timeval tv = { .tv_sec = TIMEOUT };
    setsockopt(cs, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    ck_assert_msg(connect(cs, (struct sockaddr *)&a, alen) == 0, "connect: %s", strerror(errno));
    int ss = accept(ls, NULL, NULL);
    ck_assert_int_ge(ss, 0);
    setsockopt(ss, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    long rx0 = read_counter(ns2, "sbbrb", "rx_packets");
    pid_t sender = fork();
    ck_assert_int_ge(sender, 0);
    if (sender == 0) {
        static uint8_t buf[65536];
        for (long off = 0; off < STREAM_BYTES;) {
            size_t n =
                STREAM_BYTES - off < (long)sizeof buf ? (size_t)(STREAM_BYTES - off) : sizeof buf;
            for (size_t i = 0; i < n; i++)
                buf[i] = stream_byte((uint64_t)off + i);
            ssize_t w = write(cs, buf, n);
            if (w <= 0)
                _exit(1);
            off += w;
        }
        _exit(shutdown(cs, SHUT_WR) == 0 ? 0 : 1);
    }
    close(cs);
    static uint8_t buf[65536];
    long total = 0;
    for (;;) {
        ssize_t n = read(ss, buf, sizeof buf);
        ck_assert_msg(n >= 0, "after %ld bytes: %s", total, strerror(errno));
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++)
            if (buf[i] != stream_byte((uint64_t)total + (uint64_t)i))
                ck_abort_msg("byte %ld differs", total + (long)i);
        total += n;
    }
    ck_assert_int_eq(runproc_wait(sender, TIMEOUT * 1000), 0);
    ck_assert_int_eq(total, STREAM_BYTES);
    long frames = read_counter(ns2, "sbbrb", "rx_packets") - rx0;
    long segments = STREAM_BYTES / 1448;
    if (gso)
        ck_assert_msg(frames < segments / 4, "%ld frames for %ld segments: no GSO", frames,
                      segments);
    else
        ck_assert_msg(frames >= segments, "%ld frames for %ld segments", frames, segments);
    close(ss);
    close(ls);
    /* Looked at before the guest is killed: its grants then end under
     * netback's feet, as they would on a real host. */
    assert_clean_trace();
    kill(pid, SIGTERM);
    runproc_wait(pid, TIMEOUT * 1000);
    close(out[0]);
}

START_TEST(tcp_stream_through_a_bridging_guest_with_gso)
{
    tcp_stream_through_bridge(true, false);
}
END_TEST

START_TEST(tcp6_stream_through_a_bridging_guest_with_gso)
{
    tcp_stream_through_bridge(true, true);
}
END_TEST

START_TEST(tcp_stream_through_a_bridging_guest_without_gso)
{
    tcp_stream_through_bridge(false, false);
}
END_TEST

/* A TAP whose link is down refuses every frame (EIO), like a pulled
 * cable: the guest's frames are dropped with one line for the whole
 * outage, not one per frame, and the run ends as the app decides. */
START_TEST(tap_link_down_drops_with_one_line)
{
    NEED_NETNS();
    RUN(NULL, "ip", "netns", "exec", ns, "ip", "tuntap", "add", "dev", "sbtap1", "mode", "tap");
    ck_assert_msg(r.status == 0, "tap setup: %s", r.err);
    RUN(NULL, "ip", "netns", "exec", ns, SB, "run", "--dir", dir, "--vif", "backing=tap:sbtap1",
        "--", "net-echo", "--ip", "10.99.1.2", "--ping", "10.99.1.1", "--count", "3", "--timeout",
        "2");
    ck_assert_msg(r.status == 1, "net-echo with nobody to answer exited %d: %s", r.status, r.err);
    const char *first = strstr(r.err, "refused a ");
    ck_assert_msg(first, "no refusal line: %s", r.err);
    ck_assert_msg(strstr(first, "Input/output error (dropping until it takes frames again)"),
                  "refusal line: %s", r.err);
    ck_assert_msg(!strstr(first + 1, "refused a "), "more than one refusal line: %s", r.err);
    assert_clean_trace();
}
END_TEST

/* The guest apps' bad usage: exit 2 and one line, before any device. */
START_TEST(app_usage_errors)
{
    static const struct {
        const char *app, *a, *b, *say;
    } c[] = {
        { "pvcat", "--bogus", NULL, "unknown argument '--bogus'" },
        { "pvcat", "--queues", "99", "--queues 99: expected a number from 1 to 8" },
        { "net-echo", NULL, NULL, "--ip A.B.C.D is required" },
        { "net-echo", "--ip", "1.2.3", "--ip 1.2.3: not an IPv4 address" },
        { "net-echo", "--ping", "300.1.1.1", "--ping 300.1.1.1: not an IPv4 address" },
        { "net-blast", "--size", "10", "--size 10: frames are at least 60 bytes" },
        { "net-blast", "--frames", "x", "--frames x: expected a number" },
        { "net-blast", "--timeout", "0", "--timeout 0: expected a number" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *argv[12] = { SB,
                           "exec",
                           "--dir",
                           dir,
                           "--domain",
                           "1",
                           "--",
                           (char *)build_path(c[i].app[0] == 'p'   ? "libexec/splitbed/pvcat"
                                              : c[i].app[4] == 'e' ? "libexec/splitbed/net-echo"
                                                                   : "libexec/splitbed/net-blast"),
                           (char *)c[i].a,
                           (char *)c[i].b,
                           NULL };
        runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
        ck_assert_msg(r.status == 2, "case %zu: status %d: %s", i, r.status, r.err);
        ck_assert_msg(strstr(r.err, c[i].say), "case %zu: '%s' lacks '%s'", i, r.err, c[i].say);
        ck_assert_msg(runproc_lines(r.err) == 1, "case %zu: %s", i, r.err);
    }
}
END_TEST

/* Two guests on one wire: each has its own netback, linked by socket:PATH;
 * guest 2 pings guest 1. */
START_TEST(two_guests_on_a_socket_link)
{
    char link[128], spec_a[160], spec_b[180], log[128];
    snprintf(link, sizeof link, "%s/link", dir);
    snprintf(spec_a, sizeof spec_a, "backing=socket:%s", link);
    snprintf(spec_b, sizeof spec_b, "devid=1,backing=socket:%s", link);
    snprintf(log, sizeof log, "%s/a.log", dir);
    pid_t a = fork();
    ck_assert_int_ge(a, 0);
    if (a == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(build_path("bin/splitbed"), "splitbed", "run", "--dir", dir, "-q", "--domain", "1",
              "--vif", spec_a, "--", "net-echo", "--ip", "10.7.0.1", (char *)NULL);
        _exit(127);
    }
    RUN(NULL, SB, "run", "--dir", dir, "-q", "--domain", "2", "--vif", spec_b, "--", "net-echo",
        "--device", "device/vif/1", "--ip", "10.7.0.2", "--ping", "10.7.0.1", "--count", "3",
        "--timeout", "30");
    int b_status = r.status;
    static char b_err[sizeof r.err];
    memcpy(b_err, r.err, sizeof b_err);
    /* Guest 2 leaving ends the link, so guest 1's backend closes too. */
    int a_status = runproc_wait(a, TIMEOUT * 1000);
    ck_assert_msg(b_status == 0, "pinging guest: %d %s", b_status, b_err);
    ck_assert_msg(a_status == 0, "answering guest exited %d", a_status);
    assert_clean_trace();
}
END_TEST

static Suite *suite(void)
{
    scratch_prefix = "sbnet";
    Suite *s = suite_create("net_run");
    TCase *tc = tcase_create("stdio");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, pvcat_prints_stdin_and_exits_0);
    tcase_add_test(tc, pvcat_empty_input_exits_0);
    tcase_add_test(tc, pvcat_vif_capture_key);
    tcase_add_test(tc, udp_checksums_offloaded_to_netback);
    tcase_add_loop_test(tc, pvcat_negotiation_matrix, 0, 8);
    tcase_add_test(tc, pvcat_10_mib_byte_for_byte);
    tcase_add_test(tc, two_guests_on_a_socket_link);
    tcase_add_test(tc, app_usage_errors);
    suite_add_tcase(s, tc);
    TCase *usage = tcase_create("usage");
    tcase_add_test(usage, netback_usage_errors);
    suite_add_tcase(s, usage);
    TCase *tap = tcase_create("tap");
    tcase_add_unchecked_fixture(tap, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tap, ns_setup, ns_teardown);
    tcase_set_timeout(tap, 120);
    tcase_add_test(tap, ping_net_echo_through_tap_with_capture);
    tcase_add_test(tap, tap_link_down_drops_with_one_line);
    tcase_add_test(tap, tcp_stream_through_a_bridging_guest_with_gso);
    tcase_add_test(tap, tcp_stream_through_a_bridging_guest_without_gso);
    tcase_add_test(tap, tcp6_stream_through_a_bridging_guest_with_gso);
    suite_add_tcase(s, tap);
    return s;
}

int main(void)
{
    return check_main(suite());
}
