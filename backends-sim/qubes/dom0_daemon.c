/* The dom0-side scaffolding the Qubes daemons share; see dom0_daemon.h. */
#include "dom0_daemon.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

volatile sig_atomic_t dom0_daemon_stop;

static void on_signal(int sig)
{
    dom0_daemon_stop = sig;
}

int dom0_daemon_listen(const char *prog, const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof a.sun_path) {
        fprintf(stderr, "%s: --socket %s: path too long\n", prog, path);
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    unlink(path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) < 0 || listen(fd, 8) < 0) {
        fprintf(stderr, "%s: --socket %s: %s\n", prog, path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

void dom0_daemon_catch_stop(void)
{
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
}

void dom0_daemon_ready(int ready_fd)
{
    if (ready_fd < 0)
        return;
    (void)!write(ready_fd, "1", 1);
    close(ready_fd);
}

/* A whole decimal number up to max, or -1. */
static long number(const char *s, long max)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    return *s && !*end && !errno && v >= 0 && v <= max ? v : -1;
}

int dom0_daemon_parse(struct dom0_daemon_args *a, int argc, char **argv)
{
    const char *dom = NULL;
    a->socket = NULL;
    a->ready_fd = -1;
    a->quiet = false;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
        int took = 0;
        if (!strcmp(o, "--quiet") || !strcmp(o, "-q")) {
            a->quiet = true;
            continue;
        }
        if (val && !strcmp(o, "--domain"))
            dom = val, took = 1;
        else if (val && a->need_socket && !strcmp(o, "--socket"))
            a->socket = val, took = 1;
        else if (val && !strcmp(o, "--ready-fd")) {
            long fd = number(val, 1 << 20);
            if (fd < 0) {
                fprintf(stderr, "%s: --ready-fd %s: expected a descriptor number\n", a->prog, val);
                return 2;
            }
            a->ready_fd = (int)fd;
            took = 1;
        } else if (a->extra && (took = a->extra(a->ctx, o, val)) == 2)
            return 2;
        if (!took) {
            fprintf(stderr, "%s: unexpected argument '%s'; usage: %s %s\n", a->prog, o, a->prog,
                    a->usage);
            return 2;
        }
        i++;
    }
    long d = dom ? number(dom, DOMID_FIRST_RESERVED - 1) : -1;
    if (d <= 0 || (a->need_socket && !a->socket)) {
        fprintf(stderr, "%s: --domain N (a guest, not 0)%s required\n", a->prog,
                a->need_socket ? " and --socket PATH are" : " is");
        return 2;
    }
    a->dom = (domid_t)d;
    return 0;
}
