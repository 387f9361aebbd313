/* Transactions: a snapshot of the tree that logs what it was asked
 * about, the changes made in it, and their replay at commit. */
#include "backends-sim/xenstored/xsc_internal.h"
#include "backends-sim/xenstored/xsc_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xsc_txn_free(struct xsc_conn *conn, struct xsc_txn *t)
{
    struct xsc_domain *d = xsc_domain_find(conn->core, conn->domid);

    if (d && d->transactions)
        d->transactions--;
    while (t->ops) {
        struct xsc_op *o = t->ops;
        t->ops = o->next;
        free(o->path);
        free(o->data);
        free(o);
    }
    xsc_tree_free(t->tree);
    free(t);
}

void xsc_txn_drop_all(struct xsc_conn *conn)
{
    while (conn->txns) {
        struct xsc_txn *t = conn->txns;
        conn->txns = t->next;
        xsc_txn_free(conn, t);
    }
}

struct xsc_txn *xsc_txn_find(struct xsc_conn *conn, uint32_t id)
{
    for (struct xsc_txn *t = conn->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

int xsc_txn_log(struct xsc_txn *t, uint32_t type, const char *path, const char *data, size_t len)
{
    struct xsc_op *o = calloc(1, sizeof(*o));

    if (!o)
        return ENOMEM;
    o->type = type;
    o->path = strdup(path);
    o->data = malloc(len ? len : 1);
    if (!o->path || !o->data) {
        free(o->path);
        free(o->data);
        free(o);
        return ENOMEM;
    }
    memcpy(o->data, data, len);
    o->len = len;
    *t->tail = o;
    t->tail = &o->next;
    return 0;
}

int xsc_txn_start(struct xsc_conn *conn, uint32_t *id)
{
    struct xsc_core *c = conn->core;
    struct xsc_domain *d = xsc_domain_get(c, conn->domid);
    struct xsc_txn *t;

    if (!d)
        return ENOMEM;
    if (conn->domid != 0 && d->transactions >= c->quota.transactions) {
        xsc_trace(c, "dom%u: transaction quota (%u) reached", conn->domid, c->quota.transactions);
        return ENOSPC;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        return ENOMEM;
    t->tree = xsc_tree_snapshot(c->tree);
    if (!t->tree) {
        free(t);
        return ENOMEM;
    }
    do {
        t->id = conn->next_txid++;
    } while (t->id == 0 || xsc_txn_find(conn, t->id));
    t->tail = &t->ops;
    t->next = conn->txns;
    conn->txns = t;
    d->transactions++;
    *id = t->id;
    return 0;
}

static unsigned count_nuls(const char *s, size_t len)
{
    unsigned n = 0;
    for (size_t i = 0; i < len; i++)
        n += s[i] == '\0';
    return n;
}

/* The conflict fault's draw: splitmix64, the same on every host, so a
 * seed gives the same conflicts to the same sequence of commits. */
static bool conflict_drawn(struct xsc_domain *d)
{
    uint64_t z = (d->conflict_rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return (z ^ (z >> 31)) % 1000 < d->conflict_permille;
}

/* Commits t: EAGAIN if anything it looked at changed meanwhile (or the
 * conflict fault strikes). */
int xsc_txn_commit(struct xsc_conn *conn, struct xsc_txn *t)
{
    struct xsc_core *c = conn->core;
    struct xsc_domain *d = xsc_domain_find(c, conn->domid);
    struct xsc_opctx x = { c,     c->tree, conn->domid,     d ? d->target : XSC_NO_TARGET,
                           false, true,    conn->domid == 0 };
    const struct xsc_access *acc;
    unsigned nacc;

    if (t->fail)
        return ENOMEM;
    if (d && d->conflict_permille && conflict_drawn(d)) {
        xsc_trace(c, "fault: d%u's transaction made to conflict (EAGAIN)", conn->domid);
        return EAGAIN;
    }
    acc = xsc_tree_accesses(t->tree, &nacc);
    for (unsigned i = 0; i < nacc; i++) {
        struct xsc_node *n = xsc_tree_get(c->tree, acc[i].path);
        if ((n ? n->gen : 0) != acc[i].gen)
            return EAGAIN;
    }
    for (struct xsc_op *o = t->ops; o; o = o->next) {
        struct xsc_perm *p;
        unsigned np;

        switch (o->type) {
        case XS_WRITE: xsc_op_write(&x, o->path, o->data, o->len); break;
        case XS_MKDIR: xsc_op_mkdir(&x, o->path); break;
        case XS_RM: xsc_op_rm(&x, o->path); break;
        case XS_SET_PERMS:
            if (!xsc_perms_parse(o->data, count_nuls(o->data, o->len), &p, &np))
                xsc_op_set_perms(&x, o->path, p, np);
            break;
        }
    }
    return 0;
}

void xsc_txn_end(struct xsc_conn *conn, struct xsc_txn *t)
{
    for (struct xsc_txn **pt = &conn->txns; *pt; pt = &(*pt)->next)
        if (*pt == t) {
            *pt = t->next;
            break;
        }
    xsc_txn_free(conn, t);
}
