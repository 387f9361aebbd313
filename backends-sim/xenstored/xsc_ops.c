/* The node operations behind READ, WRITE, MKDIR, RM and SET_PERMS, with
 * Xen's permission rules, quotas and watch firing.  Paths are absolute
 * and valid here; the dispatcher resolved them. */
#include "backends-sim/xenstored/xsc_internal.h"
#include "backends-sim/xenstored/xsc_path.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static unsigned access_of(const struct xsc_opctx *x, const struct xsc_node *n)
{
    if (x->priv)
        return XSP_READ | XSP_WRITE | XSP_OWNER;
    return xsc_perms_access(n->perms, n->nperms, x->domid, x->target);
}

/* The error a missing node gives: ENOENT, unless the caller may not
 * even look where it would be. */
static int missing_err(struct xsc_opctx *x, const char *path, unsigned need)
{
    unsigned missing;
    const struct xsc_node *near = xsc_tree_nearest(x->t, path, &missing);

    if (x->check && (access_of(x, near) & need) != need)
        return EACCES;
    return ENOENT;
}

const struct xsc_node *xsc_op_get(struct xsc_opctx *x, const char *path, unsigned need, int *err)
{
    const struct xsc_node *n = xsc_tree_get(x->t, path);

    if (!n) {
        *err = missing_err(x, path, need);
        return NULL;
    }
    if (x->check && (access_of(x, n) & need) != need) {
        xsc_trace(x->c, "dom%u: %s of %s denied by its permissions", x->domid,
                  need & XSP_WRITE ? "write" : "read", path);
        *err = EACCES;
        return NULL;
    }
    *err = 0;
    return n;
}

static void fire(struct xsc_opctx *x, const char *path, const struct xsc_node *n)
{
    if (x->fire)
        xsc_watch_fire(x->c, path, n, n->parent, false);
}

static int create(struct xsc_opctx *x, const char *path, const char *v, size_t len)
{
    unsigned missing;
    struct xsc_node *near = xsc_tree_nearest(x->t, path, &missing), *n;
    int err;

    if (x->check && !(access_of(x, near) & XSP_WRITE)) {
        xsc_trace(x->c,
                  "dom%u: creating %s denied by the permissions "
                  "of its parent",
                  x->domid, path);
        return EACCES;
    }
    if (x->check && !x->priv) {
        const char *first = path + strlen(path);
        unsigned q = x->c->quota.node_size;

#ifdef SPLITBED_BUG_XS_QUOTA
        if (false) {
#else
        if (xsc_tree_owned(x->t, x->domid) + missing > x->c->quota.nodes) {
#endif
            xsc_trace(x->c, "dom%u: node quota (%u) reached creating %s", x->domid,
                      x->c->quota.nodes, path);
            return ENOSPC;
        }
        if (24 + 8 * (size_t)near->nperms + len >= q) {
            xsc_trace(x->c,
                      "dom%u: node size quota (%u) reached "
                      "writing %s",
                      x->domid, q, path);
            return ENOSPC;
        }
        /* the parent's record grows by the new child's name */
        for (unsigned i = 0; i < missing; i++)
            while (first > path && *--first != '/')
                ;
        if (xsc_node_record_size(near) + strcspn(first + 1, "/") + 1 >= q) {
            xsc_trace(x->c,
                      "dom%u: node size quota (%u) of %.*s reached by its child "
                      "names creating %s",
                      x->domid, q, first > path ? (int)(first - path) : 1, path, path);
            return ENOSPC;
        }
    }
    err = xsc_tree_create(x->t, path, x->priv ? XSC_NO_TARGET : x->domid, &n);
    if (!err && len)
        err = xsc_tree_set_value(x->t, n, v, len);
    if (err)
        return err;
    fire(x, path, n);
    return 0;
}

int xsc_op_write(struct xsc_opctx *x, const char *path, const char *v, size_t len)
{
    struct xsc_node *n = xsc_tree_get(x->t, path);
    int err;

    if (!n)
        return create(x, path, v, len);
    if (x->check && !(access_of(x, n) & XSP_WRITE)) {
        xsc_trace(x->c, "dom%u: write of %s denied by its permissions", x->domid, path);
        return EACCES;
    }
    if (x->check && !x->priv && xsc_node_record_size(n) - n->vlen + len >= x->c->quota.node_size) {
        xsc_trace(x->c, "dom%u: node size quota (%u) reached writing %s", x->domid,
                  x->c->quota.node_size, path);
        return ENOSPC;
    }
    err = xsc_tree_set_value(x->t, n, v, len);
    if (err)
        return err;
    fire(x, path, n);
    return 0;
}

int xsc_op_mkdir(struct xsc_opctx *x, const char *path)
{
    struct xsc_node *n = xsc_tree_get(x->t, path);

    if (!n)
        return create(x, path, "", 0);
    if (x->check && !(access_of(x, n) & XSP_WRITE))
        return EACCES;
    return 0;
}

struct rm_ctx {
    struct xsc_opctx *x;
    const char *top;
};

static void removed(void *ctx, const char *path, const struct xsc_node *n)
{
    struct rm_ctx *r = ctx;

    if (r->x->fire && strcmp(path, r->top) != 0)
        xsc_watch_fire(r->x->c, path, n, n->parent, true);
}

int xsc_op_rm(struct xsc_opctx *x, const char *path)
{
    struct xsc_node *n;
    struct rm_ctx r = { x, path };

    if (strcmp(path, "/") == 0)
        return EINVAL;
    n = xsc_tree_get(x->t, path);
    if (!n) {
        unsigned missing;
        const struct xsc_node *near = xsc_tree_nearest(x->t, path, &missing);
        if (x->check && !(access_of(x, near) & XSP_WRITE))
            return EACCES;
        /* removing what is already gone is fine if its parent exists */
        return missing == 1 ? 0 : ENOENT;
    }
#ifdef SPLITBED_BUG_XS_RM_PERMS
    if (false) {
#else
    if (x->check && !(access_of(x, n) & XSP_WRITE)) {
#endif
        xsc_trace(x->c, "dom%u: removal of %s denied by its permissions", x->domid, path);
        return EACCES;
    }
    if (x->fire)
        xsc_watch_fire(x->c, path, n, n->parent, false);
    xsc_tree_remove(x->t, n, removed, &r);
    return 0;
}

int xsc_op_set_perms(struct xsc_opctx *x, const char *path, struct xsc_perm *perms, unsigned np)
{
    struct xsc_node *n;
    int err = 0;

    if (x->check && !x->priv && np > x->c->quota.perms) {
        xsc_trace(x->c, "dom%u: permissions quota (%u) reached setting %u on %s", x->domid,
                  x->c->quota.perms, np, path);
        err = ENOSPC;
        goto out;
    }
    n = xsc_tree_get(x->t, path);
    if (!n) {
        err = missing_err(x, path, XSP_WRITE);
        goto out;
    }
    if (x->check && !(access_of(x, n) & XSP_OWNER)) {
        xsc_trace(x->c,
                  "dom%u: permissions of %s changed by a domain "
                  "that does not own it",
                  x->domid, path);
        err = EACCES;
        goto out;
    }
    if (x->check && !x->priv && perms[0].domid != n->perms[0].domid) {
        xsc_trace(x->c,
                  "dom%u: owner of %s changed by an unprivileged "
                  "domain",
                  x->domid, path);
        err = EPERM;
        goto out;
    }
    if (x->check && !x->priv &&
        xsc_node_record_size(n) + 8 * ((size_t)np - n->nperms) >= x->c->quota.node_size) {
        xsc_trace(x->c, "dom%u: node size quota (%u) reached setting permissions of %s", x->domid,
                  x->c->quota.node_size, path);
        err = ENOSPC;
        goto out;
    }
    xsc_tree_set_perms(x->t, n, perms, np);
    fire(x, path, n);
    return 0;
out:
    free(perms);
    return err;
}
