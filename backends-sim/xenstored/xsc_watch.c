/* Watches: registration per connection, and who is told about a change.
 * A watcher hears of a node only if it may read it or its parent
 * (XSA-115); the first event after registering is always sent. */
#include "backends-sim/xenstored/xsc_internal.h"
#include "backends-sim/xenstored/xsc_path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int xsc_watch_add(struct xsc_conn *conn, const char *path, const char *token, size_t strip)
{
    struct xsc_core *c = conn->core;
    struct xsc_domain *d = xsc_domain_get(c, conn->domid);
    struct xsc_watch *w;

    for (w = conn->watches; w; w = w->next)
        if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0)
            return EEXIST;
    if (!d)
        return ENOMEM;
    if (conn->domid != 0 && d->watches >= c->quota.watches) {
        xsc_trace(c, "dom%u: watch quota (%u) reached", conn->domid, c->quota.watches);
        return E2BIG;
    }
    w = calloc(1, sizeof(*w));
    if (!w)
        return ENOMEM;
    w->path = strdup(path);
    w->token = strdup(token);
    if (!w->path || !w->token) {
        free(w->path);
        free(w->token);
        free(w);
        return ENOMEM;
    }
    w->strip = strip;
    w->next = conn->watches;
    conn->watches = w;
    d->watches++;
    return 0;
}

static void watch_free(struct xsc_conn *conn, struct xsc_watch *w)
{
    struct xsc_domain *d = xsc_domain_find(conn->core, conn->domid);

    if (d && d->watches)
        d->watches--;
    free(w->path);
    free(w->token);
    free(w);
}

int xsc_watch_del(struct xsc_conn *conn, const char *path, const char *token)
{
    for (struct xsc_watch **pw = &conn->watches; *pw; pw = &(*pw)->next) {
        struct xsc_watch *w = *pw;
        if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0) {
            *pw = w->next;
            watch_free(conn, w);
            return 0;
        }
    }
    return ENOENT;
}

void xsc_watch_drop_all(struct xsc_conn *conn)
{
    while (conn->watches) {
        struct xsc_watch *w = conn->watches;
        conn->watches = w->next;
        watch_free(conn, w);
    }
}

static unsigned target_of(struct xsc_core *c, unsigned domid)
{
    struct xsc_domain *d = xsc_domain_find(c, domid);
    return d ? d->target : XSC_NO_TARGET;
}

static bool may_see(struct xsc_core *c, unsigned domid, const struct xsc_node *n,
                    const struct xsc_node *parent)
{
    unsigned t;

    if (domid == 0)
        return true;
    t = target_of(c, domid);
    if (n && (xsc_perms_access(n->perms, n->nperms, domid, t) & XSP_READ))
        return true;
    if (parent && (xsc_perms_access(parent->perms, parent->nperms, domid, t) & XSP_READ))
        return true;
    return false;
}

void xsc_watch_fire(struct xsc_core *c, const char *path, const struct xsc_node *n,
                    const struct xsc_node *parent, bool exact)
{
    for (struct xsc_conn *conn = c->conns; conn; conn = conn->next) {
        if (conn->dead || !conn->watches)
            continue;
        if (!may_see(c, conn->domid, n, parent))
            continue;
        for (struct xsc_watch *w = conn->watches; w; w = w->next) {
            bool hit = exact ? strcmp(w->path, path) == 0 : xsc_path_is_prefix(w->path, path);
            if (!hit)
                continue;
            if (w->strip && strlen(path) >= w->strip)
                xsc_event_queue(conn, path + w->strip, w->token);
            else
                xsc_event_queue(conn, path, w->token);
        }
    }
}

void xsc_watch_fire_special(struct xsc_core *c, const char *name)
{
    struct xsc_special *s = xsc_special_find(c, name);

    for (struct xsc_conn *conn = c->conns; conn; conn = conn->next) {
        if (conn->dead)
            continue;
        if (conn->domid != 0 &&
            !(s && (xsc_perms_access(s->perms, s->nperms, conn->domid, target_of(c, conn->domid)) &
                    XSP_READ)))
            continue;
        for (struct xsc_watch *w = conn->watches; w; w = w->next)
            if (strcmp(w->path, name) == 0)
                xsc_event_queue(conn, name, w->token);
    }
}

void xsc_event_queue(struct xsc_conn *conn, const char *path, const char *token)
{
    struct xsc_core *c = conn->core;
    size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
    char *body;

    /* An event that cannot be one message is dropped, as Xen does since
	 * XSA-324, rather than sent truncated. */
    if (pl + tl > XENSTORE_PAYLOAD_MAX) {
        xsc_trace(c, "dom%u: watch event for %.64s... over %u bytes dropped", conn->domid, path,
                  XENSTORE_PAYLOAD_MAX);
        return;
    }
    if (c->nevents == c->capevents) {
        size_t cap = c->capevents ? c->capevents * 2 : 16;
        struct xsc_event *v = realloc(c->events, cap * sizeof(*v));
        if (!v)
            return;
        c->events = v;
        c->capevents = cap;
    }
    body = malloc(pl + tl);
    if (!body)
        return;
    memcpy(body, path, pl);
    memcpy(body + pl, token, tl);
    c->events[c->nevents++] = (struct xsc_event){ conn, body, pl + tl };
}

void xsc_events_flush(struct xsc_core *c)
{
    /* Sending may make a host drop a connection; it then calls
	 * xsc_core_disconnect, which forgets that connection's events. */
    for (size_t i = 0; i < c->nevents; i++) {
        struct xsc_event *e = &c->events[i];
        struct xsd_sockmsg hdr = { XS_WATCH_EVENT, 0, 0, (uint32_t)e->len };

        if (e->conn && !e->conn->dead)
            e->conn->send(e->conn->ctx, &hdr, e->body);
        free(e->body);
        e->body = NULL;
    }
    c->nevents = 0;
}

void xsc_events_forget(struct xsc_core *c, const struct xsc_conn *conn)
{
    for (size_t i = 0; i < c->nevents; i++)
        if (c->events[i].conn == conn)
            c->events[i].conn = NULL;
}
