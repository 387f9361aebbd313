/* Domains: introduction, release, and what a release leaves behind. */
#include "backends-sim/xenstored/xs_internal.h"
#include "backends-sim/xenstored/xs_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xs_domain *xs_domain_find(struct xs_core *c, unsigned domid)
{
    for (struct xs_domain *d = c->domains; d; d = d->next)
        if (d->domid == domid)
            return d;
    return NULL;
}

struct xs_domain *xs_domain_get(struct xs_core *c, unsigned domid)
{
    struct xs_domain *d = xs_domain_find(c, domid);

    if (d)
        return d;
    d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->domid = domid;
    d->target = XS_NO_TARGET;
    d->next = c->domains;
    c->domains = d;
    return d;
}

int xs_domain_introduce(struct xs_core *c, unsigned domid, unsigned long mfn)
{
    struct xs_domain *d = xs_domain_get(c, domid);
    int err;

    if (!d)
        return ENOMEM;
    if (d->introduced)
        return d->mfn == mfn ? 0 : EINVAL;
    if (c->hooks.introduced && (err = c->hooks.introduced(c->hooks.ctx, domid)))
        return err;
    d->introduced = true;
    d->mfn = mfn;
    xs_watch_fire_special(c, "@introduceDomain");
    return 0;
}

struct owned {
    unsigned domid;
    char **paths;
    size_t n, cap;
};

/* Collects the topmost nodes the domain owns; strips it from the
 * permissions of the others so a later domain with its id gains
 * nothing (XSA-322). */
static bool find_owned(void *ctx, struct xs_node *n)
{
    struct owned *o = ctx;
    char path[XS_PATH_BUF];

    if (n->parent && n->perms[0].domid == o->domid) {
        if (o->n == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 8;
            char **p = realloc(o->paths, cap * sizeof(*p));
            if (!p)
                return false;
            o->paths = p;
            o->cap = cap;
        }
        if (xs_node_path(n, path, sizeof(path)) && (o->paths[o->n] = strdup(path)))
            o->n++;
        return false;
    }
    for (unsigned i = 1; i < n->nperms;) {
        if (n->perms[i].domid == o->domid) {
            memmove(n->perms + i, n->perms + i + 1, (n->nperms - i - 1) * sizeof(*n->perms));
            n->nperms--;
        } else {
            i++;
        }
    }
    return true;
}

int xs_domain_release(struct xs_core *c, unsigned domid)
{
    struct xs_opctx x = { c, c->tree, 0, XS_NO_TARGET, false, true, true };
    struct owned o = { 0 };
    struct xs_domain *d;

    if (domid == 0)
        return EINVAL;
    d = xs_domain_find(c, domid);
    if (!d || !d->introduced)
        return ENOENT;
    d->introduced = false;
    d->mfn = 0;
    d->target = XS_NO_TARGET;
    for (struct xs_domain *e = c->domains; e; e = e->next)
        if (e->target == domid)
            e->target = XS_NO_TARGET;
    for (struct xs_conn *k = c->conns; k; k = k->next) {
        if (k->domid != domid)
            continue;
        xs_watch_drop_all(k);
        xs_txn_drop_all(k);
        xs_events_forget(c, k);
        k->dead = true;
    }
    if (c->hooks.released)
        c->hooks.released(c->hooks.ctx, domid);
    o.domid = domid;
    xs_tree_walk(c->tree, find_owned, &o);
    for (size_t i = 0; i < o.n; i++) {
        xs_op_rm(&x, o.paths[i]);
        free(o.paths[i]);
    }
    free(o.paths);
    for (size_t i = 0; i < 2; i++) {
        struct xs_special *s = &c->special[i];
        for (unsigned j = 1; j < s->nperms;)
            if (s->perms[j].domid == domid)
                memmove(s->perms + j, s->perms + j + 1, (--s->nperms - j) * sizeof(*s->perms));
            else
                j++;
    }
    xs_watch_fire_special(c, "@releaseDomain");
    return 0;
}
