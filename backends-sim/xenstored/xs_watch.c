/* Watches: registration per connection, and who is told about a change.
 * A watcher hears of a node only if it may read it or its parent
 * (XSA-115); the first event after registering is always sent. */
#include "backends-sim/xenstored/xs_internal.h"
#include "backends-sim/xenstored/xs_path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int xs_watch_add(struct xs_conn *conn, const char *path, const char *token, size_t strip)
{
    struct xs_core *c = conn->core;
    struct xs_domain *d = xs_domain_get(c, conn->domid);
    struct xs_watch *w;

    for (w = conn->watches; w; w = w->next)
        if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0)
            return EEXIST;
    if (!d)
        return ENOMEM;
    if (conn->domid != 0 && d->watches >= c->quota.watches) {
        xs_trace(c, "dom%u: watch quota (%u) reached", conn->domid, c->quota.watches);
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

static void watch_free(struct xs_conn *conn, struct xs_watch *w)
{
    struct xs_domain *d = xs_domain_find(conn->core, conn->domid);

    if (d && d->watches)
        d->watches--;
    free(w->path);
    free(w->token);
    free(w);
}

int xs_watch_del(struct xs_conn *conn, const char *path, const char *token)
{
    for (struct xs_watch **pw = &conn->watches; *pw; pw = &(*pw)->next) {
        struct xs_watch *w = *pw;
        if (strcmp(w->path, path) == 0 && strcmp(w->token, token) == 0) {
            *pw = w->next;
            watch_free(conn, w);
            return 0;
        }
    }
    return ENOENT;
}

void xs_watch_drop_all(struct xs_conn *conn)
{
    while (conn->watches) {
        struct xs_watch *w = conn->watches;
        conn->watches = w->next;
        watch_free(conn, w);
    }
}

static unsigned target_of(struct xs_core *c, unsigned domid)
{
    struct xs_domain *d = xs_domain_find(c, domid);
    return d ? d->target : XS_NO_TARGET;
}

static bool may_see(struct xs_core *c, unsigned domid, const struct xs_node *n,
                    const struct xs_node *parent)
{
    unsigned t;

    if (domid == 0)
        return true;
    t = target_of(c, domid);
    if (n && (xs_perms_access(n->perms, n->nperms, domid, t) & XSP_READ))
        return true;
    if (parent && (xs_perms_access(parent->perms, parent->nperms, domid, t) & XSP_READ))
        return true;
    return false;
}

void xs_watch_fire(struct xs_core *c, const char *path, const struct xs_node *n,
                   const struct xs_node *parent, bool exact)
{
    for (struct xs_conn *conn = c->conns; conn; conn = conn->next) {
        if (conn->dead || !conn->watches)
            continue;
        if (!may_see(c, conn->domid, n, parent))
            continue;
        for (struct xs_watch *w = conn->watches; w; w = w->next) {
            bool hit = exact ? strcmp(w->path, path) == 0 : xs_path_is_prefix(w->path, path);
            if (!hit)
                continue;
            if (w->strip && strlen(path) >= w->strip)
                xs_event_queue(conn, path + w->strip, w->token);
            else
                xs_event_queue(conn, path, w->token);
        }
    }
}

void xs_watch_fire_special(struct xs_core *c, const char *name)
{
    struct xs_special *s = xs_special_find(c, name);

    for (struct xs_conn *conn = c->conns; conn; conn = conn->next) {
        if (conn->dead)
            continue;
        if (conn->domid != 0 &&
            !(s && (xs_perms_access(s->perms, s->nperms, conn->domid, target_of(c, conn->domid)) &
                    XSP_READ)))
            continue;
        for (struct xs_watch *w = conn->watches; w; w = w->next)
            if (strcmp(w->path, name) == 0)
                xs_event_queue(conn, name, w->token);
    }
}

void xs_event_queue(struct xs_conn *conn, const char *path, const char *token)
{
    struct xs_core *c = conn->core;
    size_t pl = strlen(path) + 1, tl = strlen(token) + 1;
    char *body;

    /* An event that cannot be one message is dropped, as Xen does since
	 * XSA-324, rather than sent truncated. */
    if (pl + tl > XENSTORE_PAYLOAD_MAX) {
        xs_trace(c, "dom%u: watch event for %.64s... over %u bytes dropped", conn->domid, path,
                 XENSTORE_PAYLOAD_MAX);
        return;
    }
    if (c->nevents == c->capevents) {
        size_t cap = c->capevents ? c->capevents * 2 : 16;
        struct xs_event *v = realloc(c->events, cap * sizeof(*v));
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
    c->events[c->nevents++] = (struct xs_event){ conn, body, pl + tl };
}

void xs_events_flush(struct xs_core *c)
{
    /* Sending may make a host drop a connection; it then calls
	 * xs_core_disconnect, which forgets that connection's events. */
    for (size_t i = 0; i < c->nevents; i++) {
        struct xs_event *e = &c->events[i];
        struct xsd_sockmsg hdr = { XS_WATCH_EVENT, 0, 0, (uint32_t)e->len };

        if (e->conn && !e->conn->dead)
            e->conn->send(e->conn->ctx, &hdr, e->body);
        free(e->body);
        e->body = NULL;
    }
    c->nevents = 0;
}

void xs_events_forget(struct xs_core *c, const struct xs_conn *conn)
{
    for (size_t i = 0; i < c->nevents; i++)
        if (c->events[i].conn == conn)
            c->events[i].conn = NULL;
}
