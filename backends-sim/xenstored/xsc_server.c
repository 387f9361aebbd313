#include "backends-sim/xenstored/xsc_server.h"
#include "backends-sim/xenstored/xsc_core.h"
#include "backends-sim/xenstored/xsc_frame.h"
#include "backends-sim/procdom/procdom.h"
#include "backends-sim/xenstored/xsc_domexc.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Requests handled from one client per loop turn, so a busy client does
 * not starve the others. */
#define BURST 64

/* What an epoll event is about: the first member of each. */
enum source { SRC_STOP, SRC_DOMEXC, SRC_LISTENER, SRC_CLIENT };

struct listener {
    enum source src;
    int fd;
    unsigned domid;
    char *path;
    bool gone;
};

struct client {
    enum source src;
    int fd;
    unsigned domid;
    struct xsc_conn *conn;
    struct xsc_frame in;
    char raw[16384]; /* read ahead: several requests per read(2) */
    size_t rawlen, rawoff;
    char *out;
    size_t outlen, outoff, outcap;
    bool closing;
    bool ready;        /* epoll said readable (or hung up) this turn */
    uint32_t interest; /* the events epoll watches for it */
    struct xsc_server *srv;
};

struct xsc_server {
    char *dir;
    FILE *trace;
    FILE *own_trace; /* opened by XS_CONTROL logfile */
    struct xsc_core *core;
    struct listener **ls; /* each its own allocation: epoll points at it */
    size_t nls, capls;
    int epfd;       /* every listener and client, so a turn costs what is ready */
    bool listening; /* listeners in epoll's interest (not paused) */
    struct client **cs;
    size_t ncs, capcs;
    struct procdom_sim sim; /* the simulator's directory, D/.. */
    bool have_sim;
    struct xsc_domexc *domexc; /* NULL: nobody tells of domain deaths */
    bool paused, pause_traced; /* out of descriptors: listeners unpolled until resume_at */
    long long resume_at;       /* CLOCK_MONOTONIC ms */
    bool limit_traced;         /* a domain's connection limit, once until one closes */
};

static void trace(void *ctx, const char *line)
{
    struct xsc_server *s = ctx;

    fprintf(stderr, "splitbed-xenstored: %s\n", line);
    if (s->trace) {
        fprintf(s->trace, "xenstored: %s\n", line);
        fflush(s->trace);
    }
}

/* XS_CONTROL logfile FILE: the trace goes to FILE from now on.  As C
 * xenstored, the request succeeds even if FILE cannot be opened (the
 * trace then stays where it was, with a line saying why). */
static int logfile(void *ctx, const char *path)
{
    struct xsc_server *s = ctx;
    FILE *f = fopen(path, "a");

    if (!f) {
        char line[300];
        snprintf(line, sizeof(line), "logfile %.200s: %s", path, strerror(errno));
        trace(s, line);
        return 0;
    }
    if (s->own_trace)
        fclose(s->own_trace);
    s->trace = s->own_trace = f;
    return 0;
}

static int listen_at(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd;

    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 64)) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static int add_listener(struct xsc_server *s, unsigned domid)
{
    char path[4096];
    int fd;

    if (domid)
        snprintf(path, sizeof(path), "%s/dom%u", s->dir, domid);
    else
        snprintf(path, sizeof(path), "%s/socket", s->dir);
    if (s->nls == s->capls) {
        size_t cap = s->capls ? s->capls * 2 : 8;
        struct listener **v = realloc(s->ls, cap * sizeof(*v));
        if (!v)
            return ENOMEM;
        s->ls = v;
        s->capls = cap;
    }
    fd = listen_at(path);
    if (fd < 0) {
        int e = errno;
        fprintf(stderr, "splitbed-xenstored: %s: cannot listen: %s\n", path, strerror(e));
        return EIO;
    }
    struct listener *l = malloc(sizeof(*l));
    if (l)
        *l = (struct listener){ SRC_LISTENER, fd, domid, strdup(path), false };
    struct epoll_event ev = { .events = s->listening ? EPOLLIN : 0, .data.ptr = l };
    if (!l || !l->path || epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
        if (l)
            free(l->path);
        free(l);
        close(fd);
        unlink(path);
        return ENOMEM;
    }
    s->ls[s->nls++] = l;
    return 0;
}

static int introduced(void *ctx, unsigned domid)
{
    return add_listener(ctx, domid);
}

static void released(void *ctx, unsigned domid)
{
    struct xsc_server *s = ctx;

    /* The socket goes now, before dom0 hears OK; the arrays are only
	 * compacted between loop turns. */
    for (size_t i = 0; i < s->nls; i++)
        if (s->ls[i]->domid == domid && !s->ls[i]->gone) {
            unlink(s->ls[i]->path);
            s->ls[i]->gone = true;
        }
    for (size_t i = 0; i < s->ncs; i++)
        if (s->cs[i]->domid == domid) {
            shutdown(s->cs[i]->fd, SHUT_RDWR);
            s->cs[i]->closing = true;
        }
}

static void send_msg(void *ctx, const struct xsd_sockmsg *hdr, const void *body)
{
    struct client *c = ctx;
    size_t need = sizeof(*hdr) + hdr->len;
    size_t limit = c->domid ? XSC_SERVER_LIMIT_GUEST : XSC_SERVER_LIMIT_DOM0;

    if (c->closing)
        return;
    if (c->outlen - c->outoff + need > limit) {
        char line[128];
        snprintf(line, sizeof(line),
                 "dom%u: %zu bytes of replies and "
                 "events unread: disconnected",
                 c->domid, c->outlen - c->outoff);
        trace(c->srv, line);
        c->closing = true;
        return;
    }
    if (c->outoff && c->outoff == c->outlen)
        c->outoff = c->outlen = 0;
    if (c->outlen + need > c->outcap) {
        size_t cap = c->outcap ? c->outcap : 4096;
        char *v;
        if (c->outoff) { /* reclaim what was sent before growing */
            memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
            c->outlen -= c->outoff;
            c->outoff = 0;
        }
        while (cap < c->outlen + need)
            cap *= 2;
        if (cap != c->outcap) {
            v = realloc(c->out, cap);
            if (!v) {
                c->closing = true;
                return;
            }
            c->out = v;
            c->outcap = cap;
        }
    }
    memcpy(c->out + c->outlen, hdr, sizeof(*hdr));
    memcpy(c->out + c->outlen + sizeof(*hdr), body, hdr->len);
    c->outlen += need;
}

struct xsc_server *xsc_server_new(const char *dir, FILE *tracef)
{
    struct xsc_server *s = calloc(1, sizeof(*s));
    static const struct xsc_core_ops ops = { introduced, released, trace, logfile };

    if (!s)
        return NULL;
    s->trace = tracef;
    s->listening = true;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        fprintf(stderr, "splitbed-xenstored: epoll: %s\n", strerror(errno));
        free(s);
        return NULL;
    }
    s->dir = strdup(dir);
    if (!s->dir || (mkdir(dir, 0755) && errno != EEXIST)) {
        fprintf(stderr, "splitbed-xenstored: %s: cannot create: %s\n", dir, strerror(errno));
        goto fail;
    }
    s->core = xsc_core_new(&ops, s);
    if (!s->core) {
        fprintf(stderr, "splitbed-xenstored: out of memory\n");
        goto fail;
    }
    if (add_listener(s, 0))
        goto fail;
    /* D is the simulator's DIR/xenstored: processes name DIR. */
    char real[PATH_MAX], parent[PATH_MAX + 4];
    if (realpath(dir, real)) {
        snprintf(parent, sizeof parent, "%s/..", real);
        s->have_sim = procdom_sim_init(&s->sim, parent) == 0;
    }
    return s;
fail:
    xsc_server_free(s);
    return NULL;
}

static void client_free(struct xsc_server *s, struct client *c)
{
    s->limit_traced = false;
    xsc_core_disconnect(c->conn);
    close(c->fd);
    free(c->out);
    free(c);
    (void)s;
}

/* A process started in a domain may use only that domain's socket; a
 * host process (the toolstack, backends, tests) may use any. */
static bool refused(struct xsc_server *s, const struct listener *l, int fd)
{
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (!s->have_sim || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0)
        return false;
    int dom = procdom_of(&s->sim, cred.pid);
    if (dom < 0 || (unsigned)dom == l->domid)
        return false;
    char line[128];
    snprintf(line, sizeof line, "pid %d of d%d connected to d%u's socket: refused", (int)cred.pid,
             dom, l->domid);
    trace(s, line);
    return true;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static size_t conns_of(const struct xsc_server *s, unsigned domid)
{
    size_t n = 0;
    for (size_t i = 0; i < s->ncs; i++)
        n += s->cs[i]->domid == domid && !s->cs[i]->closing;
    return n;
}

static void accept_on(struct xsc_server *s, struct listener *l)
{
    for (;;) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        struct client *c;

        if (fd < 0) {
            /* Out of descriptors, the listening socket stays readable and
             * accept keeps failing: stop polling it for a while. */
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                if (!s->pause_traced) {
                    char line[160];
                    snprintf(line, sizeof line,
                             "out of descriptors (accept on %s: %s): not accepting connections "
                             "for %d ms at a time",
                             l->path, strerror(errno), XSC_SERVER_ACCEPT_PAUSE_MS);
                    trace(s, line);
                }
                s->pause_traced = s->paused = true;
                s->resume_at = now_ms() + XSC_SERVER_ACCEPT_PAUSE_MS;
            }
            return; /* EAGAIN, or a client that already left */
        }
        s->pause_traced = false;
        if (refused(s, l, fd)) {
            close(fd);
            continue;
        }
        if (l->domid != 0 && conns_of(s, l->domid) >= XSC_SERVER_CONNS_PER_DOMAIN) {
            if (!s->limit_traced) {
                char line[160];
                snprintf(line, sizeof line,
                         "dom%u: %u connections open, the most a domain may hold "
                         "(Xen gives it one ring): further connections refused",
                         l->domid, XSC_SERVER_CONNS_PER_DOMAIN);
                trace(s, line);
            }
            s->limit_traced = true;
            close(fd);
            continue;
        }
        c = calloc(1, sizeof(*c));
        if (c && s->ncs == s->capcs) {
            size_t cap = s->capcs ? s->capcs * 2 : 16;
            struct client **v = realloc(s->cs, cap * sizeof(*v));
            if (v) {
                s->cs = v;
                s->capcs = cap;
            }
        }
        if (!c || s->ncs == s->capcs) {
            free(c);
            close(fd);
            return;
        }
        c->src = SRC_CLIENT;
        c->fd = fd;
        c->domid = l->domid;
        c->srv = s;
        c->interest = EPOLLIN;
        xsc_frame_reset(&c->in);
        struct epoll_event ev = { .events = c->interest, .data.ptr = c };
        c->conn = epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) == 0
                      ? xsc_core_connect(s->core, l->domid, send_msg, c)
                      : NULL;
        if (!c->conn) {
            free(c);
            close(fd); /* leaves epoll with it */
            return;
        }
        s->cs[s->ncs++] = c;
    }
}

static void flush_out(struct client *c)
{
    while (c->outoff < c->outlen) {
        ssize_t n =
            send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                c->closing = true;
            return;
        }
        c->outoff += (size_t)n;
    }
    c->outoff = c->outlen = 0;
}

static size_t pending(const struct client *c)
{
    return c->outlen - c->outoff;
}

/* Bytes read but not yet handled (a burst or backpressure stopped us). */
static bool has_input(const struct client *c)
{
    return c->rawoff < c->rawlen && !c->closing && c->outlen - c->outoff < XSC_SERVER_BACKLOG;
}

static void read_from(struct xsc_server *s, struct client *c)
{
    for (int handled = 0; handled < BURST && !c->closing && pending(c) < XSC_SERVER_BACKLOG;) {
        enum xsc_frame_state st;
        size_t used;

        if (c->rawoff == c->rawlen) {
            ssize_t n = read(c->fd, c->raw, sizeof(c->raw));
            if (n == 0) {
                c->closing = true; /* the client left, maybe mid-message */
                return;
            }
            if (n < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                    c->closing = true;
                return;
            }
            c->rawoff = 0;
            c->rawlen = (size_t)n;
        }
        st = xsc_frame_feed(&c->in, c->raw + c->rawoff, c->rawlen - c->rawoff, &used);
        c->rawoff += used;
        if (st == XSC_FRAME_MORE)
            continue;
        if (st == XSC_FRAME_BAD) {
            char line[128];
            snprintf(line, sizeof(line),
                     "dom%u: message of %u bytes, "
                     "over %u: disconnected",
                     c->domid, c->in.hdr.len, XENSTORE_PAYLOAD_MAX);
            trace(s, line);
            c->closing = true;
            return;
        }
        if (xsc_core_handle(c->conn, &c->in.hdr, c->in.body))
            c->closing = true;
        xsc_frame_reset(&c->in);
        handled++;
    }
}

static void reap(struct xsc_server *s)
{
    size_t j = 0;

    for (size_t i = 0; i < s->ncs; i++) {
        struct client *c = s->cs[i];
        if (c->closing)
            client_free(s, c);
        else
            s->cs[j++] = c;
    }
    s->ncs = j;
    j = 0;
    for (size_t i = 0; i < s->nls; i++) {
        struct listener *l = s->ls[i];
        if (l->gone) {
            close(l->fd);
            free(l->path);
            free(l);
        } else {
            s->ls[j++] = l;
        }
    }
    s->nls = j;
}

int xsc_server_watch_domains(struct xsc_server *s, const char *simdir)
{
    s->domexc = xsc_domexc_open(simdir);
    return s->domexc ? 0 : -1;
}

/* Listeners leave epoll's interest while accepting is paused. */
static void set_listening(struct xsc_server *s, bool on)
{
    if (s->listening == on)
        return;
    s->listening = on;
    for (size_t i = 0; i < s->nls; i++) {
        struct epoll_event ev = { .events = on ? EPOLLIN : 0, .data.ptr = s->ls[i] };
        epoll_ctl(s->epfd, EPOLL_CTL_MOD, s->ls[i]->fd, &ev);
    }
}

/* Readable while its replies are under the backlog, writable while some
 * wait to be sent. */
static void set_interest(struct xsc_server *s, struct client *c)
{
    uint32_t want = (pending(c) < XSC_SERVER_BACKLOG ? EPOLLIN : 0) | (pending(c) ? EPOLLOUT : 0);
    if (want == c->interest || c->closing)
        return;
    struct epoll_event ev = { .events = want, .data.ptr = c };
    if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev) == 0)
        c->interest = want;
    else
        c->closing = true;
}

int xsc_server_run(struct xsc_server *s, int stop_fd)
{
    static enum source stop = SRC_STOP, domexc = SRC_DOMEXC;
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &stop };
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, stop_fd, &ev) != 0)
        return -1;
    ev.data.ptr = &domexc;
    if (s->domexc && epoll_ctl(s->epfd, EPOLL_CTL_ADD, xsc_domexc_fd(s->domexc), &ev) != 0)
        return -1;

    for (;;) {
        struct epoll_event evs[64];
        bool busy = false, dom_exc = false;

        for (size_t i = 0; i < s->ncs; i++)
            flush_out(s->cs[i]);
        reap(s);
        for (size_t i = 0; i < s->ncs; i++) {
            set_interest(s, s->cs[i]);
            busy = busy || has_input(s->cs[i]);
        }
        int timeout = -1;
        if (s->paused) {
            long long left = s->resume_at - now_ms();
            if (left <= 0)
                s->paused = false;
            else
                timeout = (int)left;
        }
        set_listening(s, !s->paused);
        int n = epoll_wait(s->epfd, evs, (int)(sizeof evs / sizeof evs[0]), busy ? 0 : timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        for (int i = 0; i < n; i++) {
            enum source *src = evs[i].data.ptr;
            switch (*src) {
            case SRC_STOP: return 0;
            case SRC_DOMEXC: dom_exc = true; break;
            case SRC_LISTENER: {
                struct listener *l = evs[i].data.ptr;
                if (!l->gone)
                    accept_on(s, l);
                break;
            }
            case SRC_CLIENT: {
                struct client *c = evs[i].data.ptr;
                c->ready = (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0;
                break;
            }
            }
        }
        /* Clients in the order they connected, as before; those with
         * requests already read ahead go on without an event. */
        size_t ncs = s->ncs;
        for (size_t i = 0; i < ncs; i++) {
            struct client *c = s->cs[i];
            bool go = c->ready || has_input(c);
            c->ready = false;
            if (go && !c->closing)
                read_from(s, c);
        }
        if (dom_exc)
            xsc_domexc_handle(s->domexc, s->core);
    }
}

void xsc_server_free(struct xsc_server *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->ncs; i++)
        client_free(s, s->cs[i]);
    free(s->cs);
    for (size_t i = 0; i < s->nls; i++) {
        close(s->ls[i]->fd);
        if (!s->ls[i]->gone)
            unlink(s->ls[i]->path);
        free(s->ls[i]->path);
        free(s->ls[i]);
    }
    free(s->ls);
    xsc_domexc_close(s->domexc);
    xsc_core_free(s->core);
    if (s->epfd >= 0)
        close(s->epfd);
    if (s->own_trace)
        fclose(s->own_trace);
    free(s->dir);
    free(s);
}
