/* Domains: introduction, release, and what a release leaves behind. */
#include "backends-sim/xenstored/xsc_internal.h"
#include "backends-sim/xenstored/xsc_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct xsc_domain *xsc_domain_find(struct xsc_core *c, unsigned domid)
{
    for (struct xsc_domain *d = c->domains; d; d = d->next)
        if (d->domid == domid)
            return d;
    return NULL;
}

struct xsc_domain *xsc_domain_get(struct xsc_core *c, unsigned domid)
{
    struct xsc_domain *d = xsc_domain_find(c, domid);

    if (d)
        return d;
    d = calloc(1, sizeof(*d));
    if (!d)
        return NULL;
    d->domid = domid;
    d->target = XSC_NO_TARGET;
    d->next = c->domains;
    c->domains = d;
    return d;
}

int xsc_domain_introduce(struct xsc_core *c, unsigned domid)
{
    struct xsc_domain *d = xsc_domain_get(c, domid);
    int err;

    if (!d)
        return ENOMEM;
    /* Again: C xenstored only rebinds the event channel (the gfn is not
     * looked at), so it is OK and fires nothing. */
    if (d->introduced)
        return 0;
    if (c->ops->introduced && (err = c->ops->introduced(c->ctx, domid)))
        return err;
    d->introduced = true;
    xsc_watch_fire_special(c, "@introduceDomain");
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
static bool find_owned(void *ctx, struct xsc_node *n)
{
    struct owned *o = ctx;
    char path[XSC_PATH_BUF];

    if (n->parent && n->perms[0].domid == o->domid) {
        if (o->n == o->cap) {
            size_t cap = o->cap ? o->cap * 2 : 8;
            char **p = realloc(o->paths, cap * sizeof(*p));
            if (!p)
                return false;
            o->paths = p;
            o->cap = cap;
        }
        if (xsc_node_path(n, path, sizeof(path)) && (o->paths[o->n] = strdup(path)))
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

int xsc_domain_release(struct xsc_core *c, unsigned domid)
{
    struct xsc_opctx x = { c, c->tree, 0, XSC_NO_TARGET, false, true, true };
    struct owned o = { 0 };
    struct xsc_domain *d;

    if (domid == 0)
        return EINVAL;
    d = xsc_domain_find(c, domid);
    if (!d || !d->introduced)
        return ENOENT;
    d->introduced = false;
    d->target = XSC_NO_TARGET;
    for (struct xsc_domain *e = c->domains; e; e = e->next)
        if (e->target == domid)
            e->target = XSC_NO_TARGET;
    for (struct xsc_conn *k = c->conns; k; k = k->next) {
        if (k->domid != domid)
            continue;
        xsc_watch_drop_all(k);
        xsc_txn_drop_all(k);
        xsc_events_forget(c, k);
        k->dead = true;
    }
    if (c->ops->released)
        c->ops->released(c->ctx, domid);
    o.domid = domid;
    xsc_tree_walk(c->tree, find_owned, &o);
    for (size_t i = 0; i < o.n; i++) {
        xsc_op_rm(&x, o.paths[i]);
        free(o.paths[i]);
    }
    free(o.paths);
    for (size_t i = 0; i < 2; i++) {
        struct xsc_special *s = &c->special[i];
        for (unsigned j = 1; j < s->nperms;)
            if (s->perms[j].domid == domid)
                memmove(s->perms + j, s->perms + j + 1, (--s->nperms - j) * sizeof(*s->perms));
            else
                j++;
    }
    xsc_watch_fire_special(c, "@releaseDomain");
    return 0;
}

int xsc_core_release_domain(struct xsc_core *c, unsigned domid)
{
    int r = xsc_domain_release(c, domid);
    xsc_events_flush(c);
    return r;
}

void xsc_core_fire_release(struct xsc_core *c)
{
    xsc_watch_fire_special(c, "@releaseDomain");
    xsc_events_flush(c);
}
