/*
 * evtchn.c — the drop-in libxenevtchn.so.1.  Semantics of Linux's
 * /dev/xen/evtchn: xenevtchn_fd is readable while a port is pending; a
 * port returned by xenevtchn_pending stays masked until xenevtchn_unmask;
 * ENOTCONN for a port this handle did not bind.
 *
 * A notify on a port whose peer is known goes straight to the peer's event
 * page and eventfd (evpage.h), without the daemon; the route is valid
 * while the port's binding generation in our own page is unchanged.
 * Anything else (first notify, peer gone, not our port) asks the daemon,
 * which applies the core's rules and traces violations.
 *
 * The event counter is a pipe (evpage.h).  Its read end is xenevtchn_fd:
 * readable exactly when a count is there, and its O_NONBLOCK flag is the
 * program's own, so xenevtchn_pending's read(2) blocks or fails with
 * EAGAIN as /dev/xen/evtchn's read does.  Its write end is non-blocking
 * and shared with the daemon and the peers, so nobody can be made to wait
 * on it.
 */
#include "backends-sim/libxen/client.h"
#include "backends-sim/hv/wire/evpage.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <xenevtchn.h>

struct peer {
    uint32_t conn;
    int efd; /* the write end of its counter */
    int rfd; /* its read end, held so that a write never meets SIGPIPE */
    struct evpage *page;
    struct peer *next;
};

struct route {
    uint32_t gen;
    uint32_t peer_port;
    struct peer *peer; /* NULL: ask the daemon */
};

struct xenevtchn_handle {
    struct hvclient cl;
    int rfd; /* the counter's read end: what xenevtchn_fd returns */
    int efd; /* its write end */
    struct evpage *page;
    struct route route[EVP_NPORTS];
    struct peer *peers;
};

xenevtchn_handle *xenevtchn_open(struct xentoollog_logger *logger, unsigned int flags)
{
    xenevtchn_handle *h = calloc(1, sizeof(*h));
    if (!h) {
        errno = ENOMEM;
        return NULL;
    }
    struct hvw_hello_rep rep;
    int fds[3];
    unsigned nfds = 3;
    if (hvclient_open(&h->cl, HVW_KIND_EVTCHN, "evtchn", logger, &rep, fds, &nfds) < 0) {
        int e = errno;
        free(h);
        errno = e;
        return NULL;
    }
    if (nfds != 3 || rep.nports != EVP_NPORTS) {
        for (unsigned i = 0; i < nfds; i++)
            close(fds[i]);
        hvclient_close(&h->cl);
        free(h);
        errno = EPROTO;
        return NULL;
    }
    h->rfd = fds[0];
    h->efd = fds[1];
    h->page = mmap(NULL, EVP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fds[2], 0);
    close(fds[2]);
    if (h->page == MAP_FAILED) {
        int e = errno;
        close(h->rfd);
        close(h->efd);
        hvclient_close(&h->cl);
        free(h);
        errno = e;
        return NULL;
    }
    if (flags & XENEVTCHN_NO_CLOEXEC)
        fcntl(h->rfd, F_SETFD, 0);
    return h;
}

xenevtchn_handle *xenevtchn_fdopen(struct xentoollog_logger *logger, int fd, unsigned open_flags)
{
    /* An fd of /dev/xen/evtchn cannot exist here. */
    hvclient_log(logger, "evtchn", EOPNOTSUPP,
                 "xenevtchn_fdopen: no /dev/xen/evtchn in the simulator");
    errno = EOPNOTSUPP;
    return NULL;
}

int xenevtchn_close(xenevtchn_handle *xce)
{
    if (!xce)
        return 0;
    for (struct peer *p = xce->peers, *next; p; p = next) {
        next = p->next;
        close(p->efd);
        close(p->rfd);
        munmap(p->page, EVP_BYTES);
        free(p);
    }
    munmap(xce->page, EVP_BYTES);
    close(xce->rfd);
    close(xce->efd);
    hvclient_close(&xce->cl);
    free(xce);
    return 0;
}

int xenevtchn_fd(xenevtchn_handle *xce)
{
    return xce->rfd;
}

static struct peer *find_peer(xenevtchn_handle *h, uint32_t conn)
{
    for (struct peer *p = h->peers; p; p = p->next)
        if (p->conn == conn)
            return p;
    return NULL;
}

/* Learns the route a daemon reply describes.  fds, when the reply
 * carries them, are the write end of the peer's counter, its page and its
 * read end; kept for a new peer, closed otherwise. */
static void learn(xenevtchn_handle *h, const struct hvw_evt_rep *rep, const int *fds, unsigned nfds)
{
    int keep_efd = -1, keep_rfd = -1;
    if (rep->port > 0 && rep->port < EVP_NPORTS) {
        struct route *rt = &h->route[rep->port];
        struct peer *p = NULL;
        rt->gen = rep->gen;
        rt->peer_port = rep->peer_port;
        if (rep->peer_conn && rep->peer_port < EVP_NPORTS) {
            p = find_peer(h, rep->peer_conn);
            if (!p && rep->fd_base >= 0 && (unsigned)rep->fd_base + 3 <= nfds) {
                void *page = mmap(NULL, EVP_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED,
                                  fds[rep->fd_base + 1], 0);
                p = page == MAP_FAILED ? NULL : calloc(1, sizeof(*p));
                if (p) {
                    p->conn = rep->peer_conn;
                    p->efd = keep_efd = fds[rep->fd_base];
                    p->rfd = keep_rfd = fds[rep->fd_base + 2];
                    p->page = page;
                    p->next = h->peers;
                    h->peers = p;
                } else if (page != MAP_FAILED)
                    munmap(page, EVP_BYTES);
            }
        }
        rt->peer = p;
    }
    for (unsigned i = 0; i < nfds; i++)
        if (fds[i] != keep_efd && fds[i] != keep_rfd)
            close(fds[i]);
}

static xenevtchn_port_or_error_t bind(xenevtchn_handle *h, unsigned op, uint32_t domid,
                                      uint32_t port)
{
    struct hvw_evt req = { .domid = domid, .port = port };
    struct hvw_evt_rep rep;
    int fds[3];
    unsigned nfds = 3;
    pthread_mutex_lock(&h->cl.lock);
    ssize_t n = hvclient_call(&h->cl, op, &req, sizeof(req), &rep, sizeof(rep), fds, &nfds);
    if (n == (ssize_t)sizeof(rep))
        learn(h, &rep, fds, nfds);
    else if (n >= 0) {
        for (unsigned i = 0; i < nfds; i++)
            close(fds[i]);
        errno = EPROTO;
        n = -1;
    }
    pthread_mutex_unlock(&h->cl.lock);
    return n < 0 ? -1 : (xenevtchn_port_or_error_t)rep.port;
}

xenevtchn_port_or_error_t xenevtchn_bind_unbound_port(xenevtchn_handle *xce, uint32_t domid)
{
    return bind(xce, HVW_EVT_BIND_UNBOUND, domid, 0);
}

xenevtchn_port_or_error_t xenevtchn_bind_interdomain(xenevtchn_handle *xce, uint32_t domid,
                                                     evtchn_port_t remote_port)
{
    return bind(xce, HVW_EVT_BIND_INTERDOMAIN, domid, remote_port);
}

xenevtchn_port_or_error_t xenevtchn_bind_virq(xenevtchn_handle *xce, unsigned int virq)
{
    return bind(xce, HVW_EVT_BIND_VIRQ, 0, virq);
}

static int simple(xenevtchn_handle *h, unsigned op, uint32_t domid, uint32_t port)
{
    struct hvw_evt req = { .domid = domid, .port = port };
    pthread_mutex_lock(&h->cl.lock);
    ssize_t n = hvclient_call(&h->cl, op, &req, sizeof(req), NULL, 0, NULL, NULL);
    if (n == 0 && op == HVW_EVT_UNBIND && port < EVP_NPORTS)
        h->route[port].peer = NULL;
    pthread_mutex_unlock(&h->cl.lock);
    return n < 0 ? -1 : 0;
}

int xenevtchn_unbind(xenevtchn_handle *xce, evtchn_port_t port)
{
    return simple(xce, HVW_EVT_UNBIND, 0, port);
}

int xenevtchn_restrict(xenevtchn_handle *xce, domid_t domid)
{
    return simple(xce, HVW_EVT_RESTRICT, domid, 0);
}

int xenevtchn_notify(xenevtchn_handle *xce, evtchn_port_t port)
{
    pthread_mutex_lock(&xce->cl.lock);
    if (port > 0 && port < EVP_NPORTS) {
        struct route *rt = &xce->route[port];
        if (rt->peer && rt->gen == __atomic_load_n(&xce->page->gen[port], __ATOMIC_ACQUIRE)) {
            if (evp_raise(rt->peer->page, rt->peer_port))
                evp_kick(rt->peer->efd);
            pthread_mutex_unlock(&xce->cl.lock);
            return 0;
        }
    }
    struct hvw_evt req = { .port = port };
    struct hvw_evt_rep rep;
    ssize_t n =
        hvclient_call(&xce->cl, HVW_EVT_NOTIFY, &req, sizeof(req), &rep, sizeof(rep), NULL, NULL);
    if (n == (ssize_t)sizeof(rep)) {
        learn(xce, &rep, NULL, 0);
        if (rep.peer_conn && !xce->route[port].peer) {
            /* first notify since the peer bound: fetch its page once */
            int fds[3];
            unsigned nfds = 3;
            struct hvw_evt_rep prep;
            if (hvclient_call(&xce->cl, HVW_EVT_PEER, &req, sizeof(req), &prep, sizeof(prep), fds,
                              &nfds) == (ssize_t)sizeof(prep)) {
                learn(xce, &prep, fds, nfds);
            }
        }
        n = 0;
    } else if (n >= 0) {
        errno = EPROTO;
        n = -1;
    }
    pthread_mutex_unlock(&xce->cl.lock);
    return n < 0 ? -1 : 0;
}

/* One byte of the counter per queued port (evpage.h): a blocking read
 * waits for the next one, a non-blocking one fails with EAGAIN, as the
 * program set xenevtchn_fd.  A byte read while the port's bit is not
 * there yet cannot happen (bits are set before their byte is written); a
 * byte without a port comes only from a peer writing the counter itself:
 * it is consumed and ignored. */
xenevtchn_port_or_error_t xenevtchn_pending(xenevtchn_handle *xce)
{
    for (;;) {
        char b;
        ssize_t n = read(xce->rfd, &b, 1);
        if (n == 1) {
            int port = evp_take(xce->page);
            if (port > 0)
                return port;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            errno = EPIPE; /* cannot happen: the handle holds the write end */
        return -1;
    }
}

int xenevtchn_unmask(xenevtchn_handle *xce, evtchn_port_t port)
{
    if (port == 0 || port >= EVP_NPORTS)
        return 0;
    if (evp_unmask(xce->page, port))
        evp_kick(xce->efd);
    return 0;
}
