/*
 * bench_qubes — vchan and QubesDB on the simulator, each beside a Unix
 * socket doing the same work, in one run.
 *
 *  - vchan throughput: vchan-stream --raw in domains 1 and 2 moving 64 MiB
 *    each way at once (65536-byte rings, 8 KiB writes, reads of up to
 *    64 KiB, no per-byte work), ours against ours and ours against
 *    Debian's libxenvchan (tests/vchan-peer, VCHAN_PEER_RAW=1), timed by
 *    the client from connected to done; beside two processes doing the
 *    same over a Unix socket pair, timed by one of them from its first
 *    write to its last read.  Goal: >= 0.8x.
 *  - QubesDB read round trip: a dom0 client reading /name from
 *    splitbed-qubesdb over its socket (QubesDB's local protocol), one
 *    request at a time; beside a Unix-socket echo that reads the 72
 *    bytes and answers 75 in one write.  Goal: <= 1.5x.
 * Each figure is the best of five rounds; a round runs the figure and its
 * baseline one after the other, so that both see the same load.
 */
#include "tests/bench/bench_result.h"
#include "tests/lib/runproc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STREAM_BYTES (64u << 20)
#define ROUNDS 5
#define READS 20000

static char dir[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_qubes: %s\n", what);
    exit(1);
}

static void sb(const char *const args[])
{
    const char *argv[24];
    int n = 0;
    argv[n++] = build_path("bin/splitbed");
    for (int i = 0; args[i]; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct runproc r;
    runproc(&r, NULL, 0, 60, NULL, (char *const *)argv);
    if (r.status != 0) {
        fprintf(stderr, "%s", r.err);
        die("a splitbed command failed");
    }
}

/* splitbed exec --domain d -- argv…, stdout on a pipe returned in *out. */
static pid_t exec_in(unsigned d, const char *const argv[], int *out)
{
    int p[2];
    if (pipe(p) < 0)
        die("pipe failed");
    char dom[16];
    snprintf(dom, sizeof dom, "%u", d);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        const char *a[24];
        int n = 0;
        a[n++] = build_path("bin/splitbed");
        a[n++] = "exec";
        a[n++] = "--dir";
        a[n++] = dir;
        a[n++] = "--domain";
        a[n++] = dom;
        a[n++] = "--";
        for (int i = 0; argv[i]; i++)
            a[n++] = argv[i];
        a[n] = NULL;
        execv(a[0], (char *const *)a);
        _exit(127);
    }
    close(p[1]);
    *out = p[0];
    return pid;
}

static void read_line(int fd, char *buf, size_t size)
{
    size_t n = 0;
    while (n + 1 < size && read(fd, buf + n, 1) == 1 && buf[n] != '\n')
        n++;
    buf[n] = 0;
}

static int wait_pid(pid_t pid)
{
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Seconds for one vchan round: server in 1, client in 2. */
static double vchan_round(bool libxenvchan_client)
{
    static unsigned round;
    char bytes[32], line[256], path[64];
    snprintf(bytes, sizeof bytes, "%u", STREAM_BYTES);
    /* a channel of its own per round */
    snprintf(path, sizeof path, "/local/domain/1/data/vchan/2/%u", 9 + round++);
    const char *sargv[] = { build_path("libexec/splitbed/vchan-stream"),
                            "server",
                            "2",
                            path,
                            "--bytes",
                            bytes,
                            "--raw",
                            NULL };
    int sout, cout;
    pid_t s = exec_in(1, sargv, &sout);
    read_line(sout, line, sizeof line);
    if (strcmp(line, "ready"))
        die("vchan-stream server did not start");
    const char *ours[] = { build_path("libexec/splitbed/vchan-stream"),
                           "client",
                           "1",
                           path,
                           "--bytes",
                           bytes,
                           "--raw",
                           NULL };
    const char *theirs[] = { build_path("tests/vchan-peer"), "client", "1", path, NULL };
    if (libxenvchan_client) {
        setenv("VCHAN_PEER_BYTES", bytes, 1);
        setenv("VCHAN_PEER_RAW", "1", 1);
    }
    pid_t c = exec_in(2, libxenvchan_client ? theirs : ours, &cout);
    read_line(cout, line, sizeof line);
    unsigned long long s_n, r_n, ns;
    if (sscanf(line, "sent %llu recv %llu ns %llu", &s_n, &r_n, &ns) != 3 || s_n != STREAM_BYTES ||
        r_n != STREAM_BYTES)
        die("the vchan client did not finish");
    double t = (double)ns / 1e9;
    read_line(cout, line, sizeof line);
    if (wait_pid(c) || wait_pid(s))
        die("a vchan end failed");
    close(sout);
    close(cout);
    return t;
}

/* The same work over a Unix socket pair: each side writes STREAM_BYTES
 * in 8 KiB writes and reads as much, at once (nonblocking, poll). */
static double socket_side(int fd)
{
    static char out[8192], in[65536];
    memset(out, 'x', sizeof out);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    size_t sent = 0, got = 0;
    double t0 = now_s();
    while (sent < STREAM_BYTES || got < STREAM_BYTES) {
        struct pollfd p = { .fd = fd,
                            .events = (short)((sent < STREAM_BYTES ? POLLOUT : 0) |
                                              (got < STREAM_BYTES ? POLLIN : 0)) };
        poll(&p, 1, -1);
        if (sent < STREAM_BYTES && (p.revents & POLLOUT)) {
            ssize_t w = write(fd, out, sizeof out);
            if (w > 0)
                sent += (size_t)w;
        }
        if (got < STREAM_BYTES && (p.revents & POLLIN)) {
            ssize_t r = read(fd, in, sizeof in);
            if (r > 0)
                got += (size_t)r;
        }
    }
    return now_s() - t0;
}

static double socket_round(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair failed");
    pid_t a = fork();
    if (a == 0) {
        close(sv[1]);
        socket_side(sv[0]);
        _exit(0);
    }
    close(sv[0]);
    double t = socket_side(sv[1]);
    wait_pid(a);
    close(sv[1]);
    return t;
}

/* Best of ROUNDS for two functions run in turn. */
static void best2(double (*a)(void), double *ba, double (*b)(void), double *bb)
{
    *ba = *bb = 1e9;
    for (int i = 0; i < ROUNDS; i++) {
        double ta = a(), tb = b();
        if (ta < *ba)
            *ba = ta;
        if (tb < *bb)
            *bb = tb;
    }
}
static double ours_round(void)
{
    return vchan_round(false);
}
static double theirs_round(void)
{
    return vchan_round(true);
}

/* ---- QubesDB read round trip ------------------------------------------- */

static int connect_unix(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path)
        die("socket path too long");
    memcpy(a.sun_path, path, strlen(path) + 1);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) < 0)
        die("cannot connect to a socket");
    return fd;
}

static void full(int fd, void *b, size_t n, bool rd)
{
    size_t k = 0;
    while (k < n) {
        ssize_t r = rd ? read(fd, (char *)b + k, n - k) : write(fd, (char *)b + k, n - k);
        if (r <= 0)
            die("a socket closed");
        k += (size_t)r;
    }
}

static double qubesdb_round(void)
{
    char sock[128];
    snprintf(sock, sizeof sock, "%s/qubesdb.1.sock", dir);
    int fd = connect_unix(sock);
    uint8_t req[72] = { 0 }, rsp[72 + 3];
    req[0] = 0; /* CMD_READ */
    memcpy(req + 1, "/name", 5);
    double t0 = now_s();
    for (int i = 0; i < READS; i++) {
        full(fd, req, sizeof req, false);
        full(fd, rsp, sizeof rsp, true);
        if (rsp[0] != 0x0a) /* RESP_READ */
            die("QubesDB did not answer the read");
    }
    double t = (now_s() - t0) / READS;
    close(fd);
    return t;
}

static double echo_round(void)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
        die("socketpair failed");
    pid_t e = fork();
    if (e == 0) {
        close(sv[0]);
        uint8_t b[75] = { 0 };
        for (int i = 0; i < READS; i++) {
            full(sv[1], b, 72, true);
            full(sv[1], b, sizeof b, false);
        }
        _exit(0);
    }
    close(sv[1]);
    uint8_t req[72] = { 0 }, rsp[75];
    double t0 = now_s();
    for (int i = 0; i < READS; i++) {
        full(sv[0], req, sizeof req, false);
        full(sv[0], rsp, sizeof rsp, true);
    }
    double t = (now_s() - t0) / READS;
    wait_pid(e);
    close(sv[0]);
    return t;
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    snprintf(dir, sizeof dir, "/tmp/splitbed-bench-qubes-XXXXXX");
    if (!mkdtemp(dir))
        die("mkdtemp failed");
    const char *start[] = { "hv", "start", "--dir", dir, NULL };
    sb(start);
    int o;
    const char *t[] = { "true", NULL };
    wait_pid(exec_in(2, t, &o));
    close(o);

    double mib = 2.0 * STREAM_BYTES / (1 << 20); /* both directions */
    double sock, sock2, ours, theirs;
    best2(socket_round, &sock, ours_round, &ours);
    best2(socket_round, &sock2, theirs_round, &theirs);
    if (sock2 < sock)
        sock = sock2;
    printf("vchan ours<->ours:        %8.0f MiB/s  (Unix socket pair %8.0f MiB/s)  %.2fx  goal >= "
           "0.8x\n",
           mib / ours, mib / sock, sock / ours);
    printf("vchan ours<->libxenvchan: %8.0f MiB/s  (Unix socket pair %8.0f MiB/s)  %.2fx  goal >= "
           "0.8x\n",
           mib / theirs, mib / sock, sock / theirs);
    struct bench_figure f1 = { "vchan throughput ours<->ours, 64 MiB each way",
                               mib / ours,
                               "MiB/s",
                               "Unix socket pair",
                               mib / sock,
                               "MiB/s",
                               sock / ours,
                               ">= 0.8" };
    struct bench_figure f2 = { "vchan throughput ours<->libxenvchan, 64 MiB each way",
                               mib / theirs,
                               "MiB/s",
                               "Unix socket pair",
                               mib / sock,
                               "MiB/s",
                               sock / theirs,
                               ">= 0.8" };
    bench_result(&f1);
    bench_result(&f2);

    const char *qdb[] = { "qubesdb", "--dir", dir, "1", "start", "--name", "vm1", NULL };
    sb(qdb);
    double rt, echo;
    best2(qubesdb_round, &rt, echo_round, &echo);
    printf("QubesDB read round trip:  %8.1f us     (Unix-socket echo %8.1f us)       %.2fx  goal "
           "<= 1.5x\n",
           rt * 1e6, echo * 1e6, rt / echo);
    struct bench_figure f3 = { "QubesDB read round trip (dom0 socket)",
                               rt * 1e6,
                               "us",
                               "Unix-socket echo",
                               echo * 1e6,
                               "us",
                               rt / echo,
                               "<= 1.5" };
    bench_result(&f3);

    const char *stop[] = { "hv", "stop", "--dir", dir, NULL };
    sb(stop);
    runproc_rmtree(dir);
    return 0;
}
