/*
 * server.c — splitbed-hvd's poll loop: domain sockets, client
 * connections, request dispatch, and cleanup when a client goes away.
 */
#include "backends-sim/hv/hvd/server.h"
#include "backends-sim/hv/hvd/hvd.h"
#include "backends-sim/hv/hvd/memory.h"
#include "backends-sim/hv/hvd/packet.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

void *hvd_out(struct hvd *h, size_t n)
{
    if (h->outlen + n > HVW_MSG_MAX - sizeof(struct hvw_rep))
        return NULL;
    void *p = h->out + h->outlen;
    memset(p, 0, n);
    h->outlen += n;
    return p;
}

int hvd_out_fd(struct hvd *h, int fd)
{
    if (h->noutfds >= HVW_MAX_FDS)
        return -1;
    h->outfds[h->noutfds] = fd;
    return (int)h->noutfds++;
}

struct hdom *hvd_dom(struct hvd *h, domid_t d)
{
    for (struct hdom *x = h->doms; x; x = x->next)
        if (x->id == d)
            return x;
    return NULL;
}

struct conn *hvd_conn_by_id(struct hvd *h, uint32_t id)
{
    for (struct conn *c = h->conns; c; c = c->next)
        if (c->id == id && !c->dying)
            return c;
    return NULL;
}

static int listen_on(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(sa.sun_path))
        return -ENAMETOOLONG;
    strcpy(sa.sun_path, path);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s < 0)
        return -errno;
    unlink(path);
    if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 64) < 0) {
        int e = errno;
        close(s);
        return -e;
    }
    return s;
}

static uint32_t dom_gen;

/* Adds fd to the main loop's epoll set (closing fd removes it). */
static int watch_fd(struct hvd *h, int fd)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
    return epoll_ctl(h->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int hvd_dom_create(struct hvd *h, domid_t d)
{
    if (hvd_dom(h, d))
        return 1;
    /* Ports fit the event pages: 1023 as libxl gives a guest. */
    struct hv_domain_config cfg = { .max_evtchn_port = EVP_NPORTS - 1 };
    int r = hv_domain_create(h->hv, d, &cfg);
    if (r < 0)
        return r;
    struct hdom *dom = calloc(1, sizeof(*dom));
    if (!dom || asprintf(&dom->path, "%s/dom%u", h->hvdir, d) < 0) {
        free(dom);
        hv_domain_destroy(h->hv, d);
        return -ENOMEM;
    }
    dom->id = d;
    dom->gen = ++dom_gen;
    dom->mem = dmem_new(h->hv, d);
    r = dom->mem ? dmem_alloc(dom->mem, &dom->bounce) : -ENOMEM;
    if (r == 0) {
        dom->listen_fd = listen_on(dom->path);
        r = dom->listen_fd < 0 ? dom->listen_fd : 0;
    }
    if (r == 0 && watch_fd(h, dom->listen_fd) < 0) {
        r = -errno;
        close(dom->listen_fd);
        unlink(dom->path);
    }
    if (r < 0) {
        dmem_free(dom->mem);
        free(dom->path);
        free(dom);
        hv_domain_destroy(h->hv, d);
        return r;
    }
    dom->next = h->doms;
    h->doms = dom;
    return 0;
}

static void conn_release(struct hvd *h, struct conn *c);

static void unlink_conn(struct hvd *h, struct conn *c)
{
    for (struct conn **pp = &h->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            return;
        }
}

/* Memory of a destroyed domain may still be mapped by others (as Xen keeps
 * a zombie domain); it is freed with the daemon. */
static struct dmem **zombie_mem;
static size_t nzombie_mem;

int hvd_dom_destroy(struct hvd *h, domid_t d)
{
    struct hdom *dom = hvd_dom(h, d);
    if (!dom)
        return ESRCH;
    if (d == 0)
        return EPERM;
    for (struct conn *c = h->conns, *next; c; c = next) {
        next = c->next;
        if (c->dom == dom) {
            unlink_conn(h, c);
            conn_release(h, c);
        }
    }
    hv_domain_destroy(h->hv, d);
    close(dom->listen_fd);
    unlink(dom->path);
    for (struct hdom **pp = &h->doms; *pp; pp = &(*pp)->next)
        if (*pp == dom) {
            *pp = dom->next;
            break;
        }
    struct dmem **z = realloc(zombie_mem, (nzombie_mem + 1) * sizeof(*z));
    if (z) {
        zombie_mem = z;
        zombie_mem[nzombie_mem++] = dom->mem;
    }
    free(dom->path);
    free(dom);
    return 0;
}

static void conn_release(struct hvd *h, struct conn *c)
{
    if (c->kind == HVW_KIND_GNTTAB || c->kind == HVW_KIND_GNTSHR)
        gnt_release(h, c);
    if (c->kind == HVW_KIND_EVTCHN)
        evt_release(h, c);
    hv_release_owner(h->hv, c->dom->id, c);
    if (c->fd >= 0)
        close(c->fd);
    if (c->uring)
        munmap(c->uring, sizeof(*c->uring));
    if (c->uring_fd >= 0)
        close(c->uring_fd);
    free(c);
}

/*
 * An evtchn handle's ports outlive its connection while a grant handle,
 * hung up or not, still has an unmap notification to send on one of
 * them, as Linux's gntdev holds a reference on the notify port.  When a
 * process dies its sockets hang up in any order.
 */
static bool must_defer(struct hvd *h, const struct conn *c)
{
    if (c->kind != HVW_KIND_EVTCHN)
        return false;
    for (const struct conn *o = h->conns; o; o = o->next)
        if (o != c && o->dom == c->dom && gnt_notify_uses(h, o, c))
            return true;
    return false;
}

/* Releases the hung-up connections nothing holds any more. */
static void reap_dying(struct hvd *h)
{
    for (bool again = true; again;) {
        again = false;
        for (struct conn *x = h->conns; x; x = x->next)
            if (x->dying && !must_defer(h, x)) {
                unlink_conn(h, x);
                conn_release(h, x);
                again = true;
                break;
            }
    }
}

static void conn_hangup(struct hvd *h, struct conn *c)
{
    close(c->fd);
    c->fd = -1;
    c->dying = true;
    reap_dying(h);
}

static void cut_off(struct hvd *h, struct conn *c, const char *why)
{
    hvd_trace(h, c->dom->id, "d%u: client connection %u (pid %d) cut off: %s", c->dom->id, c->id,
              (int)c->pid, why);
    conn_hangup(h, c);
}

static void accept_on(struct hvd *h, struct hdom *dom)
{
    int fd = accept4(dom->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0)
        return;
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    struct ucred cred;
    socklen_t len = sizeof(cred);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
        c->pid = cred.pid;
    /* A process started in a domain may use only that domain's socket;
     * a host process (the toolstack, backends, tests) may act as any. */
    c->pid_dom = procdom_of(&h->sim, c->pid);
    if (c->pid_dom >= 0 && c->pid_dom != dom->id) {
        c->refused = true;
        hvd_trace(h, (domid_t)c->pid_dom, "hvd: pid %d of d%d connected to d%u's socket: refused",
                  (int)c->pid, c->pid_dom, dom->id);
    }
    c->fd = fd;
    c->id = ++h->next_conn_id;
    c->dom = dom;
    c->efd = -1;
    c->pagefd = -1;
    c->uring_fd = -1;
    c->restrict_dom = -1;
    if (watch_fd(h, fd) < 0) {
        close(fd);
        free(c);
        return;
    }
    c->next = h->conns;
    h->conns = c;
}

static int hello(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_hello req;
    if (n != sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    if (req.kind < HVW_KIND_GNTTAB || req.kind > HVW_KIND_CTL)
        return -1;
    if (c->refused)
        return EPERM;
    if (req.kind == HVW_KIND_CTL && c->dom->id != 0) {
        hvd_trace(h, c->dom->id, "hvd: pid %d of d%u asked for toolstack control: EPERM",
                  (int)c->pid, c->dom->id);
        return EPERM;
    }
    c->kind = req.kind;
    struct hvw_hello_rep *rep = hvd_out(h, sizeof(*rep));
    rep->domid = c->dom->id;
    rep->conn_id = c->id;
    if (c->kind == HVW_KIND_EVTCHN) {
        int r = evt_open(h, c);
        if (r)
            return r;
        rep->nports = EVP_NPORTS;
    }
    if (c->kind == HVW_KIND_GNTTAB && !c->uring) {
        int fd = memfd_create("splitbed-unmap-ring", MFD_CLOEXEC);
        void *ring = MAP_FAILED;
        if (fd >= 0 && ftruncate(fd, sizeof(*c->uring)) == 0)
            ring = mmap(NULL, sizeof(*c->uring), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (ring == MAP_FAILED) {
            if (fd >= 0)
                close(fd);
            return ENOMEM;
        }
        c->uring = ring;
        c->uring_fd = fd;
        hvd_out_fd(h, fd);
    }
    return 0;
}

static int ctl(struct hvd *h, struct conn *c, unsigned op, const void *p, size_t n)
{
    uint32_t d;
    switch (op) {
    case HVW_CTL_PING: return n == 0 ? 0 : -1;
    case HVW_CTL_DOMAIN_CREATE:
    case HVW_CTL_DOMAIN_DESTROY:
        if (n != sizeof(d))
            return -1;
        memcpy(&d, p, sizeof(d));
        if (d >= DOMID_FIRST_RESERVED)
            return EINVAL;
        if (op == HVW_CTL_DOMAIN_DESTROY)
            return hvd_dom_destroy(h, (domid_t)d);
        int r = hvd_dom_create(h, (domid_t)d);
        if (r < 0)
            return -r;
        uint32_t *existed = hvd_out(h, sizeof(*existed));
        *existed = (uint32_t)r;
        return 0;
    case HVW_CTL_STATUS: {
        if (n != 0)
            return -1;
        char *buf = h->out + h->outlen;
        size_t room = HVW_MSG_MAX - sizeof(struct hvw_rep) - h->outlen;
        int len = ctl_status(h, buf, room);
        h->outlen += (size_t)len;
        return 0;
    }
    }
    return -1;
}

/* Which ops each kind of handle may send. */
static bool op_allowed(uint32_t kind, unsigned op)
{
    switch (kind) {
    case HVW_KIND_GNTTAB:
        return op == HVW_GNT_MAP || op == HVW_GNT_UNMAP || op == HVW_GNT_COPY ||
               op == HVW_GNT_SET_MAX || op == HVW_GNT_MEM;
    case HVW_KIND_GNTSHR: return op == HVW_GNT_SHARE || op == HVW_GNT_UNSHARE;
    case HVW_KIND_EVTCHN: return op >= HVW_EVT_BIND_UNBOUND && op <= HVW_EVT_RESTRICT;
    case HVW_KIND_CTL: return op >= HVW_CTL_PING && op <= HVW_CTL_STATUS;
    }
    return false;
}

static int dispatch(struct hvd *h, struct conn *c, unsigned op, const void *p, size_t n)
{
    if (op == HVW_HELLO)
        return c->kind ? -1 : hello(h, c, p, n);
    if (!c->kind || !op_allowed(c->kind, op))
        return -1;
    switch (op) {
    case HVW_GNT_SHARE: return gnt_share(h, c, p, n);
    case HVW_GNT_UNSHARE: return gnt_unshare(h, c, p, n);
    case HVW_GNT_MAP: return gnt_map(h, c, p, n);
    case HVW_GNT_UNMAP: return gnt_unmap(h, c, p, n);
    case HVW_GNT_MEM: return gnt_mem(h, c, p, n);
    case HVW_GNT_COPY: return gnt_copy(h, c, p, n);
    case HVW_GNT_SET_MAX: return gnt_set_max(h, c, p, n);
    case HVW_EVT_BIND_UNBOUND: return evt_bind_unbound(h, c, p, n);
    case HVW_EVT_BIND_INTERDOMAIN: return evt_bind_interdomain(h, c, p, n);
    case HVW_EVT_BIND_VIRQ: return evt_bind_virq(h, c, p, n);
    case HVW_EVT_UNBIND: return evt_unbind(h, c, p, n);
    case HVW_EVT_NOTIFY: return evt_notify(h, c, p, n);
    case HVW_EVT_PEER: return evt_peer(h, c, p, n);
    case HVW_EVT_RESTRICT: return evt_restrict(h, c, p, n);
    }
    return ctl(h, c, op, p, n);
}

/* What serve() did (below). */
enum served { SERVED_NONE, SERVED_POSTED, SERVED_REPLIED };
static enum served serve(struct hvd *h, struct conn *c, char *buf);

static bool conn_live(const struct hvd *h, const struct conn *c)
{
    for (const struct conn *x = h->conns; x; x = x->next)
        if (x == c && !x->dying)
            return true;
    return false;
}

static struct conn *conn_by_fd(struct hvd *h, int fd)
{
    for (struct conn *x = h->conns; x; x = x->next)
        if (x->fd == fd && !x->dying)
            return x;
    return NULL;
}

/* Reads c's unmap ring (wire.h).  False when c was cut off. */
static bool drain_ring(struct hvd *h, struct conn *c, bool *any)
{
    struct hvw_unmap_ring *r = c->uring;
    uint32_t prod = __atomic_load_n(&r->prod, __ATOMIC_ACQUIRE);
    if (prod == c->ucons)
        return true;
    *any = true;
    if (prod - c->ucons > HVW_UNMAP_RING) {
        char why[96];
        snprintf(why, sizeof(why), "unmap ring producer %u is %u entries past what was read", prod,
                 prod - c->ucons);
        cut_off(h, c, why);
        return false;
    }
    while (c->ucons != prod) {
        uint32_t id = __atomic_load_n(&r->map_id[c->ucons % HVW_UNMAP_RING], __ATOMIC_RELAXED);
        c->ucons++;
        struct hvw_handles req = { .map_id = id };
        if (gnt_unmap(h, c, &req, sizeof(req)) != 0) {
            char why[64];
            snprintf(why, sizeof(why), "unmap ring names mapping %u, which it does not hold", id);
            cut_off(h, c, why);
            return false;
        }
    }
    __atomic_store_n(&r->cons, c->ucons, __ATOMIC_RELEASE);
    return true;
}

/* Reads every client's unmap ring: before any packet is served. */
static void drain_rings(struct hvd *h)
{
    bool any = false;
    for (bool again = true; again;) {
        again = false;
        for (struct conn *x = h->conns; x; x = x->next)
            if (!x->dying && x->uring && !drain_ring(h, x, &any)) {
                again = true; /* the list may have changed */
                break;
            }
    }
    if (any)
        reap_dying(h); /* an unmap may have freed a deferred handle */
}

/* Serves the posted packets at the head of every other client's socket
 * (wire.h), until none is left. */
static void drain_posted(struct hvd *h, struct conn *except)
{
    static struct pollfd *pfd;
    static struct conn **who;
    static size_t cap;
    for (bool again = true; again;) {
        again = false;
        size_t n = 0;
        for (struct conn *x = h->conns; x; x = x->next)
            n++;
        if (n > cap) {
            struct pollfd *np = realloc(pfd, n * 2 * sizeof(*np));
            struct conn **nw = realloc(who, n * 2 * sizeof(*nw));
            if (np)
                pfd = np;
            if (nw)
                who = nw;
            if (!np || !nw)
                return;
            cap = n * 2;
        }
        size_t k = 0;
        for (struct conn *x = h->conns; x; x = x->next)
            if (x != except && !x->dying && x->kind == HVW_KIND_GNTTAB) {
                pfd[k] = (struct pollfd){ .fd = x->fd, .events = POLLIN };
                who[k++] = x;
            }
        if (k == 0 || poll(pfd, k, 0) <= 0)
            return;
        for (size_t i = 0; i < k; i++) {
            if (!(pfd[i].revents & POLLIN) || !conn_live(h, who[i]))
                continue;
            struct hvw_req hd;
            ssize_t got = recv(who[i]->fd, &hd, sizeof(hd), MSG_PEEK | MSG_DONTWAIT);
            if (got == (ssize_t)sizeof(hd) && hd.op == HVW_GNT_UNMAP) {
                serve(h, who[i], h->drain);
                again = true;
            }
        }
    }
}

/* Serves one packet of c.  Returns SERVED_NONE when there was none to
 * read (or c is gone), SERVED_POSTED for a posted packet, SERVED_REPLIED
 * for a request answered. */
static enum served serve(struct hvd *h, struct conn *c, char *buf)
{
    unsigned nfds = 0;
    int fds[1];
    ssize_t n = hvw_recv(c->fd, buf, HVW_MSG_MAX, fds, &nfds);
    if (n == 0 || n == -ECONNRESET) {
        conn_hangup(h, c);
        return SERVED_NONE;
    }
    if (n == -EAGAIN || n == -EINTR)
        return SERVED_NONE;
    if (n < 0) {
        cut_off(h, c,
                n == -EMSGSIZE ? "packet too large or carries descriptors" : "receive failed");
        return SERVED_NONE;
    }
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);
    struct hvw_req req;
    if ((size_t)n < sizeof(req)) {
        cut_off(h, c, "packet shorter than a header");
        return SERVED_NONE;
    }
    memcpy(&req, buf, sizeof(req));
    if (nfds) {
        cut_off(h, c, "request carries descriptors");
        return SERVED_NONE;
    }
    if (req.len != (size_t)n - sizeof(req)) {
        char why[96];
        snprintf(why, sizeof(why), "header says %u payload bytes, packet has %zu", req.len,
                 (size_t)n - sizeof(req));
        cut_off(h, c, why);
        return SERVED_NONE;
    }
    if (req.op == 0 || req.op >= HVW_OP_MAX) {
        char why[64];
        snprintf(why, sizeof(why), "unknown op %u", req.op);
        cut_off(h, c, why);
        return SERVED_NONE;
    }
    drain_rings(h);
    if (!conn_live(h, c))
        return SERVED_NONE;
    if (req.op == HVW_GNT_UNMAP) {
        /* posted: no reply */
        if (!c->kind || !op_allowed(c->kind, req.op) ||
            dispatch(h, c, req.op, buf + sizeof(req), req.len) < 0)
            cut_off(h, c, "malformed or out-of-place unmap");
        else
            reap_dying(h);
        return SERVED_POSTED;
    }
    drain_posted(h, c);
    if (!conn_live(h, c))
        return SERVED_NONE;
    h->outlen = sizeof(struct hvw_rep);
    h->noutfds = 0;
    int err = dispatch(h, c, req.op, buf + sizeof(req), req.len);
    if (err < 0) {
        char why[64];
        snprintf(why, sizeof(why), "malformed or out-of-place request (op %u, %u bytes)", req.op,
                 req.len);
        cut_off(h, c, why);
        return SERVED_NONE;
    }
    struct hvw_rep rep = { .err = err, .len = err ? 0 : (uint32_t)(h->outlen - sizeof(rep)) };
    if (err)
        h->noutfds = 0;
    memcpy(h->out, &rep, sizeof(rep));
    int r = hvw_send(c->fd, h->out, sizeof(rep) + rep.len, NULL, 0, h->outfds, h->noutfds);
    if (c->refused) /* it has its EPERM; nothing else it sends is served */
        conn_hangup(h, c);
    else if (r == -EAGAIN)
        cut_off(h, c, "does not read its replies");
    else if (r < 0)
        conn_hangup(h, c);
    else
        reap_dying(h); /* an unmap may have freed a deferred handle */
    return r == 0 ? SERVED_REPLIED : SERVED_NONE;
}

int hvd_run(const char *dir, int ready_fd)
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
    char *in = malloc(HVW_MSG_MAX);
    if (!h->hv || !h->out || !h->drain || !in)
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
    if (sfd < 0 || watch_fd(h, sfd) < 0)
        return 1;

    /* Clients wait for every reply they need, so waking the daemon need
     * not preempt them: a posted unmap is then served together with the
     * request that follows it, in one switch. */
    struct sched_param sp = { .sched_priority = 0 };
    sched_setscheduler(0, SCHED_BATCH, &sp);

    if (ready_fd >= 0) {
        (void)!write(ready_fd, "ready\n", 6);
        close(ready_fd);
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
        int k = epoll_wait(h->epfd, evs, (int)cap, -1);
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
                struct conn *c = conn_by_fd(h, evs[i].data.fd);
                if (!c)
                    continue;
                if (hup)
                    conn_hangup(h, c);
                else /* posted packets, then one request: its client
                         * now waits for the reply, so a further read would
                         * most likely find nothing */
                    for (int j = 0; j < 8 && conn_live(h, c); j++)
                        if (serve(h, c, in) != SERVED_POSTED)
                            break;
            }
        for (int i = 0; i < k; i++)
            for (struct hdom *d = h->doms; d; d = d->next)
                if (d->listen_fd == evs[i].data.fd) {
                    accept_on(h, d);
                    break;
                }
    }

    /* Clean exit: every socket goes. */
    while (h->conns) {
        struct conn *c = h->conns;
        h->conns = c->next;
        conn_release(h, c);
    }
    for (struct hdom *d = h->doms, *next; d; d = next) {
        next = d->next;
        close(d->listen_fd);
        unlink(d->path);
        dmem_free(d->mem);
        free(d->path);
        free(d);
    }
    h->doms = NULL;
    for (size_t i = 0; i < nzombie_mem; i++)
        dmem_free(zombie_mem[i]);
    free(zombie_mem);
    rmdir(h->hvdir);
    hv_free(h->hv);
    free(h->hvdir);
    free(h->out);
    free(h->drain);
    free(in);
    free(evs);
    close(h->epfd);
    if (h->trace_fd >= 0)
        close(h->trace_fd);
    return 0;
}
