/* The core's life cycle and connections; the wire names of errors. */
#include "backends-sim/xenstored/xs_internal.h"
#include "backends-sim/xenstored/xs_path.h"

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

const char *xs_errname(int err)
{
    size_t n;
    const struct xsd_errors *e = errtab(&n);

    for (size_t i = 0; i < n; i++)
        if (e[i].errnum == err)
            return e[i].errstring;
    return "EINVAL";
}

int xs_errnum(const char *name)
{
    size_t n;
    const struct xsd_errors *e = errtab(&n);

    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].errstring, name) == 0)
            return e[i].errnum;
    return 0;
}

void xs_trace(struct xs_core *c, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    if (!c->hooks.trace)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    c->hooks.trace(c->hooks.ctx, line);
}

struct xs_special *xs_special_find(struct xs_core *c, const char *name)
{
    for (size_t i = 0; i < 2; i++)
        if (strcmp(c->special[i].name, name) == 0)
            return &c->special[i];
    return NULL;
}

static int seed(struct xs_core *c, const char *path, const char *v)
{
    struct xs_opctx x = { c, c->tree, 0, XS_NO_TARGET, false, false, true };
    return xs_op_write(&x, path, v, strlen(v));
}

struct xs_core *xs_core_new(const struct xs_core_hooks *hooks)
{
    static const struct xs_quota xen = { 1000, 2048, 128, 10, 5, 2048, 1024 };
    struct xs_core *c = calloc(1, sizeof(*c));

    if (!c)
        return NULL;
    if (hooks)
        c->hooks = *hooks;
    c->quota = xen;
    c->next_txid = 1;
    c->special[0].name = "@introduceDomain";
    c->special[1].name = "@releaseDomain";
    for (size_t i = 0; i < 2; i++) {
        c->special[i].perms = calloc(1, sizeof(struct xs_perm));
        c->special[i].nperms = 1;
    }
    c->tree = xs_tree_new(&c->gen);
    if (!c->tree || !c->special[0].perms || !c->special[1].perms || !xs_domain_get(c, 0) ||
        seed(c, "/tool/xenstored", "") || seed(c, "/local/domain/0/domid", "0") ||
        seed(c, "/local/domain/0/name", "Domain-0")) {
        xs_core_free(c);
        return NULL;
    }
    xs_domain_find(c, 0)->introduced = true;
    return c;
}
void xs_core_free(struct xs_core *c)
{
    if (!c)
        return;
    while (c->conns)
        xs_core_disconnect(c->conns);
    while (c->domains) {
        struct xs_domain *d = c->domains;
        c->domains = d->next;
        free(d);
    }
    for (size_t i = 0; i < c->nevents; i++)
        free(c->events[i].body);
    free(c->events);
    free(c->special[0].perms);
    free(c->special[1].perms);
    xs_tree_free(c->tree);
    free(c);
}

struct xs_quota *xs_core_quota(struct xs_core *c)
{
    return &c->quota;
}

struct xs_conn *xs_core_connect(struct xs_core *c, unsigned domid, xs_send_fn *send, void *ctx)
{
    struct xs_conn *conn;

    if (!xs_domain_get(c, domid))
        return NULL;
    conn = calloc(1, sizeof(*conn));
    if (!conn)
        return NULL;
    conn->core = c;
    conn->domid = domid;
    conn->send = send;
    conn->ctx = ctx;
    conn->next = c->conns;
    if (c->conns)
        c->conns->prev = conn;
    c->conns = conn;
    return conn;
}

void xs_core_disconnect(struct xs_conn *conn)
{
    struct xs_core *c;

    if (!conn)
        return;
    c = conn->core;
    xs_watch_drop_all(conn);
    xs_txn_drop_all(conn);
    xs_events_forget(c, conn);
    if (conn->prev)
        conn->prev->next = conn->next;
    else
        c->conns = conn->next;
    if (conn->next)
        conn->next->prev = conn->prev;
    free(conn);
}

bool xs_core_conn_dead(const struct xs_conn *conn)
{
    return conn->dead;
}

unsigned xs_core_conn_domid(const struct xs_conn *conn)
{
    return conn->domid;
}

bool xs_core_is_introduced(const struct xs_core *c, unsigned domid)
{
    for (const struct xs_domain *d = c->domains; d; d = d->next)
        if (d->domid == domid)
            return d->introduced;
    return false;
}

unsigned xs_core_nodes(const struct xs_core *c)
{
    return xs_tree_count(c->tree);
}

unsigned xs_core_nodes_owned(const struct xs_core *c, unsigned domid)
{
    return xs_tree_owned(c->tree, domid);
}
