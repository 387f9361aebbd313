/*
 * loop.c — splitbed-hvd's event loop: sets the daemon up, waits on its
 * domain sockets, client connections and signals, and tears it down.
 */
#include "backends-sim/hv/hvd/hvd.h"
#include "backends-sim/hv/hvd/memory.h"
#include "backends-sim/hv/wire/packet.h"
#include "backends-sim/hv/hvd/server.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void hvd_trace(struct hvd *h, domid_t d, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof(line) - 2)
        n = sizeof(line) - 2;
    line[n++] = '\n';
    (void)d;
    (void)!write(STDERR_FILENO, line, (size_t)n);
    if (h->trace_fd >= 0)
        (void)!write(h->trace_fd, line, (size_t)n);
}

static void core_trace(void *host, domid_t d, const char *line)
{
    hvd_trace(host, d, "%s", line);
}

static void *core_frame_ptr(void *host, domid_t d, uint64_t gfn)
{
    struct hdom *dom = hvd_dom(host, d);
    return dom ? dmem_ptr(dom->mem, gfn) : NULL;
}

/* Adds fd to the main loop's epoll set (closing fd removes it). */
int hvd_watch_fd(struct hvd *h, int fd)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    return epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void hvd_listen_pause(struct hvd *h)
{
    if (!h->paused)
        for (struct hdom *d = h->doms; d; d = d->next)
            epoll_ctl(h->epfd, EPOLL_CTL_DEL, d->listen_fd, NULL);
    h->paused = true;
    h->resume_at = now_ms() + HVD_ACCEPT_PAUSE_MS;
}

static void listen_resume(struct hvd *h)
{
    for (struct hdom *d = h->doms; d; d = d->next)
        hvd_watch_fd(h, d->listen_fd);
    h->paused = false;
}

int hvd_run(const char *dir, const int *ready_fds, unsigned nready)
{
    static struct hvd hs;
    struct hvd *h = &hs;
    h->dir = dir;
    h->trace_fd = -1;
    if (asprintf(&h->hvdir, "%s/hv", dir) < 0)
        return 1;
    if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "splitbed-hvd: cannot create %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (mkdir(h->hvdir, 0700) < 0 && errno != EEXIST) {
        fprintf(stderr, "splitbed-hvd: cannot create %s: %s\n", h->hvdir, strerror(errno));
        return 1;
    }
    char *tpath;
    if (asprintf(&tpath, "%s/trace", dir) < 0)
        return 1;
    h->trace_fd = open(tpath, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (h->trace_fd < 0)
        fprintf(stderr, "splitbed-hvd: cannot open %s: %s\n", tpath, strerror(errno));
    free(tpath);

    static const struct hv_host_ops ops = {
        .frame_ptr = core_frame_ptr,
        .notify = evt_core_notify,
        .port_closed = evt_core_port_closed,
        .trace = core_trace,
    };
    h->hv = hv_new(&ops, h);
    h->out = malloc(HVW_MSG_MAX);
    h->drain = malloc(HVW_MSG_MAX);
    h->in = malloc(HVW_MSG_MAX);
    if (!h->hv || !h->out || !h->drain || !h->in)
        return 1;
    char *dom0;
    if (asprintf(&dom0, "%s/dom0", h->hvdir) < 0)
        return 1;
    int r, probe = hvw_connect(dom0);
    free(dom0);
    if (probe >= 0) {
        close(probe);
        fprintf(stderr, "splitbed-hvd: another splitbed-hvd serves %s\n", dir);
        return 1;
    }
    /* Descriptors are what clients cost: take all the system allows. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    r = procdom_sim_init(&h->sim, dir);
    if (r < 0) {
        fprintf(stderr, "splitbed-hvd: %s: %s\n", dir, strerror(-r));
        return 1;
    }
    h->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (h->epfd < 0)
        return 1;
    r = hvd_dom_create(h, 0);
    if (r < 0) {
        fprintf(stderr, "splitbed-hvd: cannot listen in %s: %s\n", h->hvdir, strerror(-r));
        return 1;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC);
    if (sfd < 0 || hvd_watch_fd(h, sfd) < 0)
        return 1;

    /* Clients wait for every reply they need, so waking the daemon need
     * not preempt them: a posted unmap is then served together with the
     * request that follows it, in one switch. */
    struct sched_param sp = { .sched_priority = 0 };
    sched_setscheduler(0, SCHED_BATCH, &sp);

    for (unsigned i = 0; i < nready; i++) {
        (void)!write(ready_fds[i], "ready\n", 6);
        close(ready_fds[i]);
    }

    /* Events name descriptors, looked up again when handled: a handler
     * may close and free connections or domains whose events are still
     * in the batch. */
    struct epoll_event *evs = NULL;
    size_t cap = 0;
    for (;;) {
        size_t n = 1;
        for (struct hdom *d = h->doms; d; d = d->next)
            n++;
        for (struct conn *c = h->conns; c; c = c->next)
            n++;
        if (n > cap) {
            cap = n * 2;
            evs = realloc(evs, cap * sizeof(*evs));
            if (!evs)
                return 1;
        }
        int timeout = -1;
        if (h->paused) {
            long long left = h->resume_at - now_ms();
            if (left <= 0) {
                listen_resume(h);
                continue;
            }
            timeout = (int)left;
        }
        int k = epoll_wait(h->epfd, evs, (int)cap, timeout);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            return 1;
        }
        bool stop = false;
        for (int i = 0; i < k; i++)
            stop |= evs[i].data.fd == sfd;
        if (stop)
            break;
        /* Hang-ups first, so that whoever asks after a client died (a
         * status request after waitpid) sees it released.  Then requests.
         * Domain sockets last. */
        for (int pass = 0; pass < 2; pass++)
            for (int i = 0; i < k; i++) {
                uint32_t ev = evs[i].events;
                bool hup = ev & (EPOLLHUP | EPOLLERR);
                if ((pass == 0) != hup)
                    continue;
                struct conn *c = hvd_conn_by_fd(h, evs[i].data.fd);
                if (!c) {
                    /* a doorbell: a request in a call page */
                    c = hup ? NULL : hvd_conn_by_bell(h, evs[i].data.fd);
                    if (c)
                        hvd_serve_call(h, c, h->in);
                    continue;
                }
                if (hup)
                    hvd_conn_hangup(h, c);
                else /* posted packets, then one request: its client
                         * now waits for the reply, so a further read would
                         * most likely find nothing */
                    for (int j = 0; j < 8 && hvd_conn_live(h, c); j++)
                        if (hvd_serve(h, c, h->in) != SERVED_POSTED)
                            break;
            }
        for (int i = 0; i < k; i++)
            for (struct hdom *d = h->doms; d; d = d->next)
                if (d->listen_fd == evs[i].data.fd) {
                    hvd_accept(h, d);
                    break;
                }
    }

    /* Clean exit: every socket goes. */
    hvd_conns_free(h);
    hvd_doms_free(h);
    rmdir(h->hvdir);
    hv_free(h->hv);
    free(h->hvdir);
    free(h->out);
    free(h->drain);
    free(h->in);
    free(evs);
    close(h->epfd);
    if (h->trace_fd >= 0)
        close(h->trace_fd);
    return 0;
}
