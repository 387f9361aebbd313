/* Transactions: a snapshot of the tree that logs what it was asked
 * about, the changes made in it, and their replay at commit. */
#include "backends-sim/xenstored/xs_internal.h"
#include "backends-sim/xenstored/xs_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void xs_txn_free(struct xs_conn *conn, struct xs_txn *t)
{
    struct xs_domain *d = xs_domain_find(conn->core, conn->domid);

    if (d && d->transactions)
        d->transactions--;
    while (t->ops) {
        struct xs_op *o = t->ops;
        t->ops = o->next;
        free(o->path);
        free(o->data);
        free(o);
    }
    xs_tree_free(t->tree);
    free(t);
}

void xs_txn_drop_all(struct xs_conn *conn)
{
    while (conn->txns) {
        struct xs_txn *t = conn->txns;
        conn->txns = t->next;
        xs_txn_free(conn, t);
    }
}

struct xs_txn *xs_txn_find(struct xs_conn *conn, uint32_t id)
{
    for (struct xs_txn *t = conn->txns; t; t = t->next)
        if (t->id == id)
            return t;
    return NULL;
}

int xs_txn_log(struct xs_txn *t, uint32_t type, const char *path, const char *data, size_t len)
{
    struct xs_op *o = calloc(1, sizeof(*o));

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

int xs_txn_start(struct xs_conn *conn, uint32_t *id)
{
    struct xs_core *c = conn->core;
    struct xs_domain *d = xs_domain_get(c, conn->domid);
    struct xs_txn *t;

    if (!d)
        return ENOMEM;
    if (conn->domid != 0 && d->transactions >= c->quota.transactions) {
        xs_trace(c, "dom%u: transaction quota (%u) reached", conn->domid, c->quota.transactions);
        return ENOSPC;
    }
    t = calloc(1, sizeof(*t));
    if (!t)
        return ENOMEM;
    t->tree = xs_tree_clone(c->tree, true);
    if (!t->tree) {
        free(t);
        return ENOMEM;
    }
    do {
        t->id = c->next_txid++;
    } while (t->id == 0 || xs_txn_find(conn, t->id));
    t->tail = &t->ops;
    t->next = conn->txns;
    conn->txns = t;
    d->transactions++;
    *id = t->id;
    return 0;
}

/* Commits t: EAGAIN if anything it looked at changed meanwhile. */
int xs_txn_commit(struct xs_conn *conn, struct xs_txn *t)
{
    struct xs_core *c = conn->core;
    struct xs_domain *d = xs_domain_find(c, conn->domid);
    struct xs_opctx x = { c,     c->tree, conn->domid,     d ? d->target : XS_NO_TARGET,
                          false, true,    conn->domid == 0 };
    const struct xs_access *acc;
    unsigned nacc;

    if (t->fail)
        return ENOMEM;
    acc = xs_tree_accesses(t->tree, &nacc);
    for (unsigned i = 0; i < nacc; i++) {
        struct xs_node *n = xs_tree_get(c->tree, acc[i].path);
        if ((n ? n->gen : 0) != acc[i].gen)
            return EAGAIN;
    }
    for (struct xs_op *o = t->ops; o; o = o->next) {
        struct xs_perm *p;
        unsigned np;

        switch (o->type) {
        case XS_WRITE: xs_op_write(&x, o->path, o->data, o->len); break;
        case XS_MKDIR: xs_op_mkdir(&x, o->path); break;
        case XS_RM: xs_op_rm(&x, o->path); break;
        case XS_SET_PERMS:
            if (!xs_perms_parse(o->data, o->len, &p, &np))
                xs_op_set_perms(&x, o->path, p, np);
            break;
        }
    }
    return 0;
}

void xs_txn_end(struct xs_conn *conn, struct xs_txn *t)
{
    for (struct xs_txn **pt = &conn->txns; *pt; pt = &(*pt)->next)
        if (*pt == t) {
            *pt = t->next;
            break;
        }
    xs_txn_free(conn, t);
}
