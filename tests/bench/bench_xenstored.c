/*
 * bench_xenstored.c — XS_READ round trip to splitbed-xenstored beside a
 * raw Unix-socket echo round trip of the same size, measured in the same
 * run, and the latency of a watch firing (write by one client until the
 * event reaches another).
 */
#include "tests/bench/bench_result.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <stdint.h>
#include <xen/io/xs_wire.h>

#define ROUNDS 20000

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int io_all(int fd, void *buf, size_t len, int writing)
{
    char *p = buf;

    while (len) {
        ssize_t n = writing ? send(fd, p, len, MSG_NOSIGNAL) : read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* One message out, one message in. */
static int roundtrip(int fd, const void *msg, size_t len, char *in)
{
    struct xsd_sockmsg h;

    if (io_all(fd, (void *)msg, len, 1) || io_all(fd, &h, sizeof(h), 0) ||
        h.len > XENSTORE_PAYLOAD_MAX || io_all(fd, in, h.len, 0))
        return -1;
    return (int)h.type;
}

static int recv_msg(int fd, struct xsd_sockmsg *h, char *in)
{
    if (io_all(fd, h, sizeof(*h), 0) || h->len > XENSTORE_PAYLOAD_MAX || io_all(fd, in, h->len, 0))
        return -1;
    return 0;
}

/* The baseline: a process that echoes each framed message back. */
static pid_t echo_server(int *fd)
{
    int sv[2];
    pid_t pid;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
        return -1;
    pid = fork();
    if (pid == 0) {
        struct xsd_sockmsg h;
        char body[XENSTORE_PAYLOAD_MAX];
        close(sv[0]);
        while (io_all(sv[1], &h, sizeof(h), 0) == 0 && h.len <= (uint32_t)sizeof(body) &&
               io_all(sv[1], body, h.len, 0) == 0)
            if (io_all(sv[1], &h, sizeof(h), 1) || io_all(sv[1], body, h.len, 1))
                break;
        _exit(0);
    }
    close(sv[1]);
    *fd = sv[0];
    return pid;
}

static pid_t start_daemon(const char *dir)
{
    char bin[4200], fdarg[16], line[16];
    const char *b = getenv("SPLITBED_BUILD");
    int p[2];
    pid_t pid;
    struct pollfd pf;

    snprintf(bin, sizeof(bin), "%s/bin/splitbed-xenstored", b ? b : "build");
    if (pipe(p))
        return -1;
    pid = fork();
    if (pid == 0) {
        close(p[0]);
        snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
        execl(bin, bin, "--dir", dir, "--ready-fd", fdarg, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    pf = (struct pollfd){ p[0], POLLIN, 0 };
    if (poll(&pf, 1, 10000) != 1 || read(p[0], line, sizeof(line)) <= 0) {
        close(p[0]);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return -1;
    }
    close(p[0]);
    return pid;
}

static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);

    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
        close(fd);
        return -1;
    }
    return fd;
}

static size_t build(char *buf, uint32_t type, const char *body, size_t blen)
{
    struct xsd_sockmsg h = { type, 1, 0, (uint32_t)blen };

    memcpy(buf, &h, sizeof(h));
    memcpy(buf + sizeof(h), body, blen);
    return sizeof(h) + blen;
}

int main(void)
{
    char dir[] = "/tmp/splitbed-bench-XXXXXX", xsdir[64], sock[96];
    char req[256], in[XENSTORE_PAYLOAD_MAX + 1], cmd[128];
    int efd = -1, a = -1, b = -1, rc = 1;
    pid_t echo, xsd;
    size_t len;
    double t0, echo_ns, read_ns, watch_ns;
    struct xsd_sockmsg h;

    if (!mkdtemp(dir)) {
        perror("bench_xenstored: mkdtemp");
        return 1;
    }
    snprintf(xsdir, sizeof(xsdir), "%s/xs", dir);
    snprintf(sock, sizeof(sock), "%s/socket", xsdir);
    echo = echo_server(&efd);
    xsd = start_daemon(xsdir);
    if (echo < 0 || xsd < 0) {
        fprintf(stderr, "bench_xenstored: cannot start the servers\n");
        goto out;
    }
    a = connect_to(sock);
    b = connect_to(sock);
    if (a < 0 || b < 0)
        goto out;
    /* a node to read whose value is as long as the request path */
    len = build(req, XS_WRITE, "/bench/key\0value-of-key", 23);
    if (roundtrip(a, req, len, in) != XS_WRITE)
        goto out;
    len = build(req, XS_READ, "/bench/key", 11);

    t0 = now_ns();
    for (int i = 0; i < ROUNDS; i++)
        if (roundtrip(efd, req, len, in) < 0)
            goto out;
    echo_ns = (now_ns() - t0) / ROUNDS;

    t0 = now_ns();
    for (int i = 0; i < ROUNDS; i++)
        if (roundtrip(a, req, len, in) != XS_READ)
            goto out;
    read_ns = (now_ns() - t0) / ROUNDS;

    /* watch fire: b writes, a waits for the event, then b its reply */
    len = build(req, XS_WATCH, "/bench/w\0tok", 13);
    if (roundtrip(a, req, len, in) != XS_WATCH || recv_msg(a, &h, in) || h.type != XS_WATCH_EVENT)
        goto out;
    len = build(req, XS_WRITE, "/bench/w\0x", 10);
    t0 = now_ns();
    for (int i = 0; i < ROUNDS / 4; i++) {
        if (io_all(b, req, len, 1) || recv_msg(a, &h, in) || h.type != XS_WATCH_EVENT ||
            recv_msg(b, &h, in))
            goto out;
    }
    watch_ns = (now_ns() - t0) / (ROUNDS / 4);

    printf("unix echo round trip   : %8.0f ns (baseline)\n", echo_ns);
    printf("XS_READ round trip     : %8.0f ns (%.2fx echo; goal <= 1.5x)\n", read_ns,
           read_ns / echo_ns);
    printf("watch fire (write->event): %6.0f ns (%.2fx echo)\n", watch_ns, watch_ns / echo_ns);
    bench_result(&(struct bench_figure){ "XS_READ round trip", read_ns, "ns", "Unix-socket echo",
                                         echo_ns, "ns", read_ns / echo_ns, "<= 1.5" });
    bench_result(&(struct bench_figure){ "xenstore watch fire", watch_ns, "ns", "Unix-socket echo",
                                         echo_ns, "ns", watch_ns / echo_ns, NULL });
    rc = 0;
out:
    if (rc)
        fprintf(stderr, "bench_xenstored: a round trip failed\n");
    if (a >= 0)
        close(a);
    if (b >= 0)
        close(b);
    if (xsd > 0) {
        kill(xsd, SIGTERM);
        waitpid(xsd, NULL, 0);
    }
    if (echo > 0) {
        close(efd);
        waitpid(echo, NULL, 0);
    }
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_xenstored: could not remove %s\n", dir);
    return rc;
}
