/*
 * evt.c — event-channel requests of xenevtchn handles.  The core keeps the
 * bindings and their rules; delivery goes through each handle's event page
 * (evpage.h), so the core's own pending bits are cleared right after each
 * send the daemon makes.  Errors are those of Linux's /dev/xen/evtchn:
 * ENOTCONN for a port the handle did not bind, EACCES when restricted.
 */
#include "backends-sim/hv/hvd/hvd.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static struct conn *port_owner(struct hvd *h, domid_t d, evtchn_port_t port)
{
    struct hv_evtchn_info info;
    if (hv_evtchn_info(h->hv, d, port, &info) < 0 || info.state < HV_EVTCHN_UNBOUND)
        return NULL;
    for (struct conn *c = h->conns; c; c = c->next)
        if (c == info.owner && c->kind == HVW_KIND_EVTCHN && c->page)
            return c;
    return NULL;
}

static void bump_gen(struct conn *c, evtchn_port_t port)
{
    if (c && c->page && port < EVP_NPORTS)
        __atomic_fetch_add(&c->page->gen[port], 1, __ATOMIC_SEQ_CST);
}

void evt_core_notify(void *host, domid_t d, evtchn_port_t port)
{
    struct conn *c = port_owner(host, d, port);
    if (c && port < EVP_NPORTS && evp_raise(c->page, port))
        evp_kick(c->efd);
}

void evt_core_port_closed(void *host, domid_t d, evtchn_port_t port)
{
    bump_gen(port_owner(host, d, port), port);
}

int evt_open(struct hvd *h, struct conn *c)
{
    /* The counter is a pipe (evpage.h): the owner reads its own read end,
     * blocking or not as the program set it; the write end, shared with
     * the daemon and the notifying peers, is non-blocking, so that nobody
     * ever waits on a counter its owner filled. */
    int p[2];
    if (pipe2(p, O_CLOEXEC) < 0)
        return errno;
    c->rfd = p[0];
    c->efd = p[1];
    if (fcntl(c->efd, F_SETFL, O_NONBLOCK) < 0)
        return errno;
    c->pagefd = memfd_create("splitbed-evtchn", MFD_CLOEXEC);
    if (c->pagefd < 0 || ftruncate(c->pagefd, EVP_BYTES) < 0)
        return errno;
    void *pg = mmap(NULL, EVP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, c->pagefd, 0);
    if (pg == MAP_FAILED)
        return errno;
    c->page = pg;
    hvd_out_fd(h, c->rfd);
    hvd_out_fd(h, c->efd);
    hvd_out_fd(h, c->pagefd);
    return 0;
}

void evt_release(struct hvd *h, struct conn *c)
{
    (void)h;
    if (c->page)
        munmap(c->page, EVP_BYTES);
    c->page = NULL;
    if (c->rfd >= 0)
        close(c->rfd);
    if (c->efd >= 0)
        close(c->efd);
    if (c->pagefd >= 0)
        close(c->pagefd);
    c->rfd = c->efd = c->pagefd = -1;
}

/* The route a notifier of (c, port) may take without the daemon. */
static void route(struct hvd *h, struct conn *c, evtchn_port_t port, int with_fds,
                  struct hvw_evt_rep *rep)
{
    rep->port = port;
    rep->fd_base = -1;
    rep->gen = __atomic_load_n(&c->page->gen[port], __ATOMIC_SEQ_CST);
    rep->nports = EVP_NPORTS;
    struct hv_evtchn_info info;
    if (hv_evtchn_info(h->hv, c->dom->id, port, &info) < 0 || info.state != HV_EVTCHN_INTERDOMAIN)
        return;
    struct conn *peer = port_owner(h, info.remote_dom, info.remote_port);
    if (!peer || peer->dying)
        return;
    rep->peer_conn = peer->id;
    rep->peer_port = info.remote_port;
    if (with_fds) {
        /* the write end, the page, and the read end, which the notifier
         * only holds: a pipe whose every read end is closed would kill a
         * writer with SIGPIPE, and the owner may be gone before a
         * notifier learns its route changed */
        rep->fd_base = hvd_out_fd(h, peer->efd);
        hvd_out_fd(h, peer->pagefd);
        hvd_out_fd(h, peer->rfd);
    }
}

static int read_evt(const void *p, size_t n, struct hvw_evt *req)
{
    if (n != sizeof(*req))
        return -1;
    memcpy(req, p, sizeof(*req));
    return 0;
}

static int bound(struct hvd *h, struct conn *c, evtchn_port_t port, int with_fds)
{
    if (port >= EVP_NPORTS) {
        /* Never happens with the limit the daemon gives domains. */
        hv_evtchn_close(h->hv, c->dom->id, port);
        return ENOSPC;
    }
    evp_reset(c->page, port);
    bump_gen(c, port);
    /* Xen marks a freshly bound interdomain port pending (events sent to
     * the unbound end were lost); the handle sees it as Linux's would. */
    if (hv_evtchn_is_pending(h->hv, c->dom->id, port) == 1) {
        hv_evtchn_clear_pending(h->hv, c->dom->id, port);
        if (evp_raise(c->page, port))
            evp_kick(c->efd);
    }
    struct hvw_evt_rep *rep = hvd_out(h, sizeof(*rep));
    route(h, c, port, with_fds, rep);
    return 0;
}

int evt_bind_unbound(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_evt req;
    if (read_evt(p, n, &req) < 0)
        return -1;
    if (c->restrict_dom >= 0)
        return EACCES;
    if (req.domid >= DOMID_FIRST_RESERVED)
        return EINVAL;
    evtchn_port_t port;
    int r = hv_evtchn_alloc_unbound(h->hv, c->dom->id, DOMID_SELF, (domid_t)req.domid, c, &port);
    if (r < 0)
        return -r;
    return bound(h, c, port, 0);
}

int evt_bind_interdomain(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_evt req;
    if (read_evt(p, n, &req) < 0)
        return -1;
    if (c->restrict_dom >= 0 && (uint32_t)c->restrict_dom != req.domid)
        return EACCES;
    if (req.domid >= DOMID_FIRST_RESERVED && req.domid != DOMID_SELF)
        return EINVAL;
    evtchn_port_t port;
    int r = hv_evtchn_bind_interdomain(h->hv, c->dom->id, (domid_t)req.domid, req.port, c, &port);
    if (r < 0)
        return -r;
    struct hv_evtchn_info info;
    if (hv_evtchn_info(h->hv, c->dom->id, port, &info) == 0 && info.state == HV_EVTCHN_INTERDOMAIN)
        bump_gen(port_owner(h, info.remote_dom, info.remote_port), info.remote_port);
    return bound(h, c, port, 1);
}

int evt_bind_virq(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_evt req;
    if (read_evt(p, n, &req) < 0)
        return -1;
    if (c->restrict_dom >= 0)
        return EACCES;
    evtchn_port_t port;
    int r = hv_evtchn_bind_virq(h->hv, c->dom->id, req.port, c, &port);
    if (r < 0)
        return -r;
    return bound(h, c, port, 0);
}

/* The handle must have bound the port, as /dev/xen/evtchn requires. */
static int own_port(struct hvd *h, struct conn *c, evtchn_port_t port, const char *what)
{
    struct hv_evtchn_info info;
    if (port == 0 || port >= EVP_NPORTS || hv_evtchn_info(h->hv, c->dom->id, port, &info) < 0 ||
        info.state < HV_EVTCHN_UNBOUND) {
        hvd_trace(h, c->dom->id, "d%u: %s port %u refused: port is not bound", c->dom->id, what,
                  port);
        return ENOTCONN;
    }
    if (info.owner != c) {
        hvd_trace(h, c->dom->id, "d%u: %s port %u refused: port was bound by another handle",
                  c->dom->id, what, port);
        return ENOTCONN;
    }
    return 0;
}

int evt_unbind(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_evt req;
    if (read_evt(p, n, &req) < 0)
        return -1;
    int r = own_port(h, c, req.port, "unbind of");
    if (r)
        return r;
    hv_evtchn_close(h->hv, c->dom->id, req.port);
    evp_reset(c->page, req.port); /* an event queued still reaches pending */
    bump_gen(c, req.port);
    return 0;
}

void evt_send_as(struct hvd *h, domid_t d, evtchn_port_t port)
{
    struct hv_evtchn_info info;
    int r = hv_evtchn_info(h->hv, d, port, &info);
    hv_evtchn_send(h->hv, d, port);
    if (r == 0 && info.state == HV_EVTCHN_INTERDOMAIN)
        hv_evtchn_clear_pending(h->hv, info.remote_dom, info.remote_port);
}

int evt_notify(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_evt req;
    if (read_evt(p, n, &req) < 0)
        return -1;
    int r = own_port(h, c, req.port, "notify on");
    if (r)
        return r;
    evt_send_as(h, c->dom->id, req.port);
    struct hvw_evt_rep *rep = hvd_out(h, sizeof(*rep));
    route(h, c, req.port, 0, rep);
    return 0;
}

int evt_peer(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_evt req;
    if (read_evt(p, n, &req) < 0)
        return -1;
    struct hv_evtchn_info info;
    if (req.port == 0 || req.port >= EVP_NPORTS ||
        hv_evtchn_info(h->hv, c->dom->id, req.port, &info) < 0 || info.owner != c)
        return ENOTCONN;
    struct hvw_evt_rep *rep = hvd_out(h, sizeof(*rep));
    route(h, c, req.port, 1, rep);
    return 0;
}

int evt_restrict(struct hvd *h, struct conn *c, const void *p, size_t n)
{
    struct hvw_evt req;
    if (read_evt(p, n, &req) < 0)
        return -1;
    if (c->restrict_dom >= 0)
        return EACCES;
    if (req.domid == 0 || req.domid >= DOMID_FIRST_RESERVED)
        return EINVAL;
    c->restrict_dom = (int32_t)req.domid;
    return 0;
}
