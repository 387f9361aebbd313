/* The core's life cycle and connections; the wire names of errors. */
#include "backends-sim/xenstored/xsc_internal.h"
#include "backends-sim/xenstored/xsc_path.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct xsd_errors *errtab(size_t *n)
{
    *n = sizeof(xsd_errors) / sizeof(xsd_errors[0]);
    return xsd_errors;
}

const char *xsc_errname(int err)
{
    size_t n;
    const struct xsd_errors *e = errtab(&n);

    for (size_t i = 0; i < n; i++)
        if (e[i].errnum == err)
            return e[i].errstring;
    return "EINVAL";
}

int xsc_errnum(const char *name)
{
    size_t n;
    const struct xsd_errors *e = errtab(&n);

    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].errstring, name) == 0)
            return e[i].errnum;
    return 0;
}

void xsc_trace(struct xsc_core *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!c->ops->trace)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->ops->trace(c->ctx, line);
}

struct xsc_special *xsc_special_find(struct xsc_core *c, const char *name)
{
    for (size_t i = 0; i < 2; i++)
        if (strcmp(c->special[i].name, name) == 0)
            return &c->special[i];
    return NULL;
}

static int seed(struct xsc_core *c, const char *path, const char *v)
{
    struct xsc_opctx x = { c, c->tree, 0, XSC_NO_TARGET, false, false, true };
    return xsc_op_write(&x, path, v, strlen(v));
}

struct xsc_core *xsc_core_new(const struct xsc_core_ops *ops, void *ctx)
{
    static const struct xsc_quota xen = {
        1000, 2048, 128, 10, 5, 2048, 1024, 20, 2621440, 2097152
    };
    static const struct xsc_core_ops none;
    struct xsc_core *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    c->ops = ops ? ops : &none;
    c->ctx = ctx;
    c->quota = xen;
    c->special[0].name = "@introduceDomain";
    c->special[1].name = "@releaseDomain";
    for (size_t i = 0; i < 2; i++) {
        c->special[i].perms = calloc(1, sizeof(struct xsc_perm));
        c->special[i].nperms = 1;
    }
    c->tree = xsc_tree_new(&c->gen);
    if (!c->tree || !c->special[0].perms || !c->special[1].perms || !xsc_domain_get(c, 0) ||
        seed(c, "/tool/xenstored", "") || seed(c, "/local/domain/0/domid", "0") ||
        seed(c, "/local/domain/0/name", "Domain-0")) {
        xsc_core_free(c);
        return NULL;
    }
    xsc_domain_find(c, 0)->introduced = true;
    return c;
}
struct xsc_core *xsc_core_fork(const struct xsc_core *c)
{
    if (c->conns || c->nevents)
        return NULL;
    struct xsc_core *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->ops = c->ops;
    f->ctx = c->ctx;
    f->quota = c->quota;
    f->gen = c->gen;
    for (size_t i = 0; i < 2; i++) {
        const struct xsc_special *sp = &c->special[i];
        f->special[i].name = sp->name;
        f->special[i].nperms = sp->nperms;
        f->special[i].perms = malloc(sp->nperms * sizeof(*sp->perms));
        if (!f->special[i].perms) {
            xsc_core_free(f);
            return NULL;
        }
        memcpy(f->special[i].perms, sp->perms, sp->nperms * sizeof(*sp->perms));
    }
    /* The same order, so that walks over domains go as they would in c. */
    struct xsc_domain **tail = &f->domains;
    for (const struct xsc_domain *d = c->domains; d; d = d->next) {
        struct xsc_domain *copy = malloc(sizeof(*copy));
        if (!copy) {
            xsc_core_free(f);
            return NULL;
        }
        *copy = *d;
        copy->next = NULL;
        *tail = copy;
        tail = &copy->next;
    }
    f->tree = xsc_tree_copy(c->tree, &f->gen);
    if (!f->tree) {
        xsc_core_free(f);
        return NULL;
    }
    return f;
}

void xsc_core_free(struct xsc_core *c)
{
    if (!c)
        return;
    while (c->conns)
        xsc_core_disconnect(c->conns);
    while (c->domains) {
        struct xsc_domain *d = c->domains;
        c->domains = d->next;
        free(d);
    }
    for (size_t i = 0; i < c->nevents; i++)
        free(c->events[i].body);
    free(c->events);
    free(c->special[0].perms);
    free(c->special[1].perms);
    xsc_tree_free(c->tree);
    free(c);
}

struct xsc_quota *xsc_core_quota(struct xsc_core *c)
{
    return &c->quota;
}

struct xsc_conn *xsc_core_connect(struct xsc_core *c, unsigned domid, xsc_send_fn *send, void *ctx)
{
    struct xsc_conn *conn;

    if (!xsc_domain_get(c, domid))
        return NULL;
    conn = calloc(1, sizeof(*conn));
    if (!conn)
        return NULL;
    conn->core = c;
    conn->domid = domid;
    conn->next_txid = 1;
    conn->send = send;
    conn->ctx = ctx;
    conn->next = c->conns;
    if (c->conns)
        c->conns->prev = conn;
    c->conns = conn;
    return conn;
}

void xsc_core_disconnect(struct xsc_conn *conn)
{
    struct xsc_core *c;

    if (!conn)
        return;
    c = conn->core;
    xsc_watch_drop_all(conn);
    xsc_txn_drop_all(conn);
    xsc_events_forget(c, conn);
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        c->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    free(conn);
}

bool xsc_core_conn_dead(const struct xsc_conn *conn)
{
    return conn->dead;
}

unsigned xsc_core_conn_domid(const struct xsc_conn *conn)
{
    return conn->domid;
}

unsigned xsc_core_conn_watches(const struct xsc_conn *conn)
{
    unsigned n = 0;

    for (const struct xsc_watch *w = conn->watches; w; w = w->next)
        n++;
    return n;
}

bool xsc_core_is_introduced(const struct xsc_core *c, unsigned domid)
{
    for (const struct xsc_domain *d = c->domains; d; d = d->next)
        if (d->domid == domid)
            return d->introduced;
    return false;
}

unsigned xsc_core_introduced(const struct xsc_core *c, unsigned *ids, unsigned max)
{
    unsigned n = 0;
    for (const struct xsc_domain *d = c->domains; d; d = d->next)
        if (d->introduced) {
            if (n < max)
                ids[n] = d->domid;
            n++;
        }
    return n;
}

unsigned long xsc_core_live_nodes(void)
{
    return xsc_tree_live_nodes();
}

unsigned xsc_core_nodes(const struct xsc_core *c)
{
    return xsc_tree_count(c->tree);
}

unsigned xsc_core_nodes_owned(const struct xsc_core *c, unsigned domid)
{
    return xsc_tree_owned(c->tree, domid);
}
