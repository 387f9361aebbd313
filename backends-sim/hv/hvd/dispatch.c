/*
 * dispatch.c — splitbed-hvd's requests: reading a client's packet, checking
 * it, handing it to its handler and sending the reply; unmap rings and
 * posted packets are served first.
 */
#include "backends-sim/hv/hvd/hvd.h"
#include "backends-sim/hv/wire/packet.h"

#include <xen/sched.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

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

static int hello(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_hello req;
    if (n != sizeof(req))
        return -1;
    memcpy(&req, p, sizeof(req));
    if (req.kind < HVW_KIND_GNTTAB || req.kind > HVW_KIND_XENCALL)
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
    if (c->kind == HVW_KIND_XENCALL) {
        int r = hcall_open(h, c);
        if (r)
            return r;
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
        int r = hvd_call_open(h, c);
        if (r) {
            hvd_call_close(h, c);
            return r;
        }
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
        struct hvw_dom_created *rep = hvd_out(h, sizeof(*rep));
        rep->existed = (uint32_t)r;
        memcpy(rep->handle, hvd_dom(h, (domid_t)d)->handle, sizeof(rep->handle));
        return 0;
    case HVW_CTL_DOMAIN_STATE: {
        struct hvw_dom_state st;
        if (n != sizeof(st))
            return -1;
        memcpy(&st, p, sizeof(st));
        struct hdom *dom = st.domid < DOMID_FIRST_RESERVED ? hvd_dom(h, (domid_t)st.domid) : NULL;
        if (!dom)
            return ESRCH;
        if (st.domid == 0)
            return EINVAL; /* as Xen refuses to pause or shut down the caller */
        switch (st.action) {
        case HVW_DOM_PAUSE: return -hvd_dom_pause(h, dom);
        case HVW_DOM_UNPAUSE: return -hvd_dom_unpause(h, dom);
        case HVW_DOM_SHUTDOWN:
            if (st.reason > SHUTDOWN_MAX)
                return EINVAL;
            hvd_dom_shutdown(h, dom, st.reason);
            return 0;
        }
        return EINVAL;
    }
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
    case HVW_KIND_CTL:
        return (op >= HVW_CTL_PING && op <= HVW_CTL_STATUS) || op == HVW_CTL_DOMAIN_STATE;
    case HVW_KIND_XENCALL: return op == HVW_CALL;
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
    case HVW_CALL: return hcall(h, c, p, n);
    }
    return ctl(h, c, op, p, n);
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
        hvd_cut_off(h, c, why);
        return false;
    }
    while (c->ucons != prod) {
        uint32_t id = __atomic_load_n(&r->map_id[c->ucons % HVW_UNMAP_RING], __ATOMIC_RELAXED);
        c->ucons++;
        struct hvw_handles req = { .map_id = id };
        if (gnt_unmap(h, c, &req, sizeof(req)) != 0) {
            char why[64];
            snprintf(why, sizeof(why), "unmap ring names mapping %u, which it does not hold", id);
            hvd_cut_off(h, c, why);
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
        hvd_reap_dying(h); /* an unmap may have freed a deferred handle */
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
            if (!(pfd[i].revents & POLLIN) || !hvd_conn_live(h, who[i]))
                continue;
            struct hvw_req hd;
            ssize_t got = recv(who[i]->fd, &hd, sizeof(hd), MSG_PEEK | MSG_DONTWAIT);
            if (got == (ssize_t)sizeof(hd) && hd.op == HVW_GNT_UNMAP) {
                hvd_serve(h, who[i], h->drain);
                again = true;
            }
        }
    }
}

/* Serves one packet of c.  Returns SERVED_NONE when there was none to
 * read (or c is gone), SERVED_POSTED for a posted packet, SERVED_REPLIED
 * for a request answered. */
enum hvd_served hvd_serve(struct hvd *h, struct conn *c, char *buf)
{
    unsigned nfds = 0;
    int fds[1];
    ssize_t n = hvw_recv(c->fd, buf, HVW_MSG_MAX, fds, &nfds);
    if (n == 0 || n == -ECONNRESET) {
        hvd_conn_hangup(h, c);
        return SERVED_NONE;
    }
    if (n == -EAGAIN || n == -EINTR)
        return SERVED_NONE;
    if (n < 0) {
        hvd_cut_off(h, c,
                    n == -EMSGSIZE ? "packet too large or carries descriptors" : "receive failed");
        return SERVED_NONE;
    }
    for (unsigned i = 0; i < nfds; i++)
        close(fds[i]);
    return hvd_serve_packet(h, c, buf, (size_t)n, nfds);
}

enum hvd_served hvd_serve_packet(struct hvd *h, struct conn *c, char *buf, size_t n, unsigned nfds)
{
    if (nfds) {
        hvd_cut_off(h, c, "request carries descriptors");
        return SERVED_NONE;
    }
    return hvd_serve_request(h, c, buf, n, false);
}

enum hvd_served hvd_serve_request(struct hvd *h, struct conn *c, char *buf, size_t n, bool page)
{
    struct hvw_req req;
    if (n < sizeof(req)) {
        hvd_cut_off(h, c, "packet shorter than a header");
        return SERVED_NONE;
    }
    memcpy(&req, buf, sizeof(req));
    if (req.len != n - sizeof(req)) {
        char why[96];
        snprintf(why, sizeof(why), "header says %u payload bytes, packet has %zu", req.len,
                 n - sizeof(req));
        hvd_cut_off(h, c, why);
        return SERVED_NONE;
    }
    if (req.op == 0 || req.op >= HVW_OP_MAX) {
        char why[64];
        snprintf(why, sizeof(why), "unknown op %u", req.op);
        hvd_cut_off(h, c, why);
        return SERVED_NONE;
    }
    if (page && !hvw_call_op_ok(req.op)) {
        char why[64];
        snprintf(why, sizeof(why), "op %u through the call page", req.op);
        hvd_cut_off(h, c, why);
        return SERVED_NONE;
    }
    drain_rings(h);
    if (!hvd_conn_live(h, c))
        return SERVED_NONE;
    if (req.op == HVW_GNT_UNMAP) {
        /* posted: no reply */
        if (!c->kind || !op_allowed(c->kind, req.op) ||
            dispatch(h, c, req.op, buf + sizeof(req), req.len) < 0)
            hvd_cut_off(h, c, "malformed or out-of-place unmap");
        else
            hvd_reap_dying(h);
        return SERVED_POSTED;
    }
    /* c's own posted packets were read before a packet of c; a request in
     * c's call page is served before them (wire.h). */
    drain_posted(h, c);
    if (!hvd_conn_live(h, c))
        return SERVED_NONE;
    h->outlen = sizeof(struct hvw_rep);
    h->noutfds = 0;
    int err = dispatch(h, c, req.op, buf + sizeof(req), req.len);
    if (err < 0) {
        char why[64];
        snprintf(why, sizeof(why), "malformed or out-of-place request (op %u, %u bytes)", req.op,
                 req.len);
        hvd_cut_off(h, c, why);
        return SERVED_NONE;
    }
    struct hvw_rep rep = { .err = err, .len = err ? 0 : (uint32_t)(h->outlen - sizeof(rep)) };
    if (err)
        h->noutfds = 0;
    memcpy(h->out, &rep, sizeof(rep));
    int r;
    if (page) /* the ops allowed there answer without descriptors */
        r = h->noutfds ? -EPROTO : hvd_call_answer(h, c, h->out, sizeof(rep) + rep.len);
    else
        r = hvw_send(c->fd, h->out, sizeof(rep) + rep.len, NULL, 0, h->outfds, h->noutfds);
    if (c->refused) /* it has its EPERM; nothing else it sends is served */
        hvd_conn_hangup(h, c);
    else if (r == -EAGAIN)
        hvd_cut_off(h, c, "does not read its replies");
    else if (r < 0)
        hvd_conn_hangup(h, c);
    else
        hvd_reap_dying(h); /* an unmap may have freed a deferred handle */
    return r == 0 ? SERVED_REPLIED : SERVED_NONE;
}
