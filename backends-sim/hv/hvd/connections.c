/*
 * connections.c — splitbed-hvd's client connections: accepting them, and
 * releasing them when they hang up or are cut off.
 */
#include "backends-sim/hv/hvd/hvd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

struct conn *hvd_conn_by_id(struct hvd *h, uint32_t id)
{
    for (struct conn *c = h->conns; c; c = c->next)
        if (c->id == id && !c->dying)
            return c;
    return NULL;
}

void hvd_conn_unlink(struct hvd *h, struct conn *c)
{
    for (struct conn **pp = &h->conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            return;
        }
}

void hvd_conn_release(struct hvd *h, struct conn *c)
{
    c->dom->nconns--;
    c->dom->conn_limit_traced = false;
    if (c->kind == HVW_KIND_GNTTAB || c->kind == HVW_KIND_GNTSHR)
        gnt_release(h, c);
    if (c->kind == HVW_KIND_EVTCHN)
        evt_release(h, c);
    if (c->kind == HVW_KIND_XENCALL)
        hcall_release(h, c);
    hv_release_owner(h->hv, c->dom->id, c);
    if (c->fd >= 0)
        close(c->fd);
    if (c->uring)
        munmap(c->uring, sizeof(*c->uring));
    if (c->uring_fd >= 0)
        close(c->uring_fd);
    hvd_call_close(h, c);
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
void hvd_reap_dying(struct hvd *h)
{
    for (bool again = true; again;) {
        again = false;
        for (struct conn *x = h->conns; x; x = x->next)
            if (x->dying && !must_defer(h, x)) {
                hvd_conn_unlink(h, x);
                hvd_conn_release(h, x);
                again = true;
                break;
            }
    }
}

void hvd_conn_hangup(struct hvd *h, struct conn *c)
{
    close(c->fd);
    c->fd = -1;
    c->dying = true;
    hvd_call_close(h, c); /* nothing it rings for is served any more */
    hvd_reap_dying(h);
}

void hvd_cut_off(struct hvd *h, struct conn *c, const char *why)
{
    hvd_trace(h, c->dom->id, "d%u: client connection %u (pid %d) cut off: %s", c->dom->id, c->id,
              (int)c->pid, why);
    hvd_conn_hangup(h, c);
}

void hvd_accept(struct hvd *h, struct hdom *dom)
{
    int fd = accept4(dom->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            if (!h->pause_traced)
                hvd_trace(h, dom->id,
                          "hvd: out of descriptors (accept on d%u's socket: %s): not accepting "
                          "connections for %d ms at a time",
                          dom->id, strerror(errno), HVD_ACCEPT_PAUSE_MS);
            h->pause_traced = true;
            hvd_listen_pause(h);
        }
        return;
    }
    h->pause_traced = false;
    if (dom->id != 0 && dom->nconns >= HVD_HANDLES_PER_DOMAIN) {
        if (!dom->conn_limit_traced)
            hvd_trace(h, dom->id,
                      "hvd: d%u: %u handles open, the most a domain may hold: further "
                      "connections refused",
                      dom->id, dom->nconns);
        dom->conn_limit_traced = true;
        close(fd);
        return;
    }
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
    c->rfd = -1;
    c->efd = -1;
    c->pagefd = -1;
    c->uring_fd = -1;
    c->call_fd = c->bell_fd = c->answer_rfd = c->answer_wfd = -1;
    c->arena_fd = -1;
    c->restrict_dom = -1;
    if (hvd_watch_fd(h, fd) < 0) {
        close(fd);
        free(c);
        return;
    }
    c->next = h->conns;
    h->conns = c;
    dom->nconns++;
}

bool hvd_conn_live(const struct hvd *h, const struct conn *c)
{
    for (const struct conn *x = h->conns; x; x = x->next)
        if (x == c && !x->dying)
            return true;
    return false;
}

struct conn *hvd_conn_by_fd(struct hvd *h, int fd)
{
    for (struct conn *x = h->conns; x; x = x->next)
        if (x->fd == fd && !x->dying)
            return x;
    return NULL;
}

void hvd_conns_free(struct hvd *h)
{
    while (h->conns) {
        struct conn *c = h->conns;
        h->conns = c->next;
        hvd_conn_release(h, c);
    }
}
