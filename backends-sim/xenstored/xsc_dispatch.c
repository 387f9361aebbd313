/* The dispatch of xs_wire messages: argument checks, privileges,
 * transactions, and replies with Xen's error strings. */
#include "backends-sim/xenstored/xsc_internal.h"
#include "backends-sim/xenstored/xsc_path.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reply(struct xsc_conn *conn, const struct xsd_sockmsg *req, uint32_t type,
                  const void *body, size_t len)
{
    struct xsd_sockmsg hdr = { type, req->req_id, req->tx_id, (uint32_t)len };
    conn->send(conn->ctx, &hdr, body);
}

static void reply_err(struct xsc_conn *conn, const struct xsd_sockmsg *req, int err)
{
    const char *s = xsc_errname(err);
    reply(conn, req, XS_ERROR, s, strlen(s) + 1);
}

static void reply_str(struct xsc_conn *conn, const struct xsd_sockmsg *req, const char *s)
{
    reply(conn, req, req->type, s, strlen(s) + 1);
}

/*
 * Arguments are read as C xenstored reads them, so odd ones get its
 * answers: count_strings() counts the NULs, get_strings() takes up to max
 * NUL-terminated strings from the front and counts them all (an
 * unterminated tail is not one), onearg() wants exactly one string
 * filling the body, and numbers go through atoi().
 */
static unsigned count_strings(const char *body, size_t len)
{
    unsigned n = 0;
    for (size_t i = 0; i < len; i++)
        n += body[i] == '\0';
    return n;
}

static unsigned get_strings(const char *body, size_t len, const char **v, unsigned max)
{
    size_t off = 0;
    unsigned n = 0;

    while (off < len) {
        size_t l = strnlen(body + off, len - off);
        if (l == len - off)
            break;
        if (n < max)
            v[n] = body + off;
        n++;
        off += l + 1;
    }
    return n;
}

static const char *onearg(const char *body, size_t len)
{
    return len && strnlen(body, len) + 1 == len ? body : NULL;
}

/* atoi() as glibc has it: strtol() cut to int; domids are then unsigned. */
static int c_atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

static int resolve(struct xsc_conn *conn, const char *in, bool special, char *out, bool *rel)
{
    int err = xsc_path_resolve(conn->domid, in, special, conn->core->quota.path, out, rel);

    if (err)
        xsc_trace(conn->core, "dom%u: bad path \"%.80s\"", conn->domid, in);
    return err;
}

/* The answer C xenstored gives to a missing argument: it looks the
 * absent path up with errno left at ENOENT by its previous lookup, and
 * MKDIR and RM then fail for want of the canonical name. */
static int missing_arg(uint32_t type)
{
    return type == XS_MKDIR || type == XS_RM ? ENOMEM : ENOENT;
}

static void do_get(struct xsc_conn *conn, struct xsc_opctx *x, const struct xsd_sockmsg *h,
                   const char *body)
{
    char path[XSC_PATH_BUF], buf[XENSTORE_PAYLOAD_MAX + 64];
    const char *arg;
    unsigned off = 0;
    const struct xsc_node *n;
    bool rel;
    int err;

    if (h->type == XS_DIRECTORY_PART) {
        if (count_strings(body, h->len) != 2) {
            reply_err(conn, h, EINVAL);
            return;
        }
        arg = body;
        off = (unsigned)c_atoi(body + strlen(body) + 1);
    } else if (!(arg = onearg(body, h->len))) {
        reply_err(conn, h, missing_arg(h->type));
        return;
    }
    if ((err = resolve(conn, arg, false, path, &rel))) {
        reply_err(conn, h, err);
        return;
    }
    n = xsc_op_get(x, path, XSP_READ, &err);
    if (!n) {
        reply_err(conn, h, err);
        return;
    }
    switch (h->type) {
    case XS_READ: reply(conn, h, h->type, n->value, n->vlen); return;
    case XS_GET_PERMS: {
        size_t l = xsc_perms_format(n->perms, n->nperms, buf, sizeof(buf));
        if (!l || l > XENSTORE_PAYLOAD_MAX)
            reply_err(conn, h, E2BIG);
        else
            reply(conn, h, h->type, buf, l);
        return;
    }
    case XS_DIRECTORY: {
        size_t l = 0;
        if (xsc_node_children_size(n) > XENSTORE_PAYLOAD_MAX) {
            reply_err(conn, h, E2BIG);
            return;
        }
        for (unsigned i = 0; i < n->nkids; i++) {
            size_t k = strlen(n->kids[i]->name) + 1;
            memcpy(buf + l, n->kids[i]->name, k);
            l += k;
        }
        reply(conn, h, h->type, buf, l);
        return;
    }
    default: { /* XS_DIRECTORY_PART */
        /* The generation, then the child list from byte off (which may
         * fall inside a name), as many names as fit; an empty string
         * closes the list once it is complete. */
        size_t gl = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n->gen) + 1;
        size_t total = xsc_node_children_size(n), max = XENSTORE_PAYLOAD_MAX - gl - 1, len = 0;
        char *all;
        if (off >= total) {
            buf[gl] = '\0';
            reply(conn, h, h->type, buf, gl + 1);
            return;
        }
        if (!(all = malloc(total))) {
            reply_err(conn, h, ENOMEM);
            return;
        }
        for (unsigned i = 0, pos = 0; i < n->nkids; i++) {
            size_t k = strlen(n->kids[i]->name) + 1;
            memcpy(all + pos, n->kids[i]->name, k);
            pos += (unsigned)k;
        }
        while (len + strlen(all + off + len) < max) {
            len += strlen(all + off + len) + 1;
            if (off + len == total)
                break;
        }
        memcpy(buf + gl, all + off, len);
        free(all);
        if (off + len == total)
            buf[gl + len++] = '\0';
        reply(conn, h, h->type, buf, gl + len);
        return;
    }
    }
}

/* An owner must be a domain that exists; every id below
 * DOMID_FIRST_RESERVED is taken as one (see xsc_core.h). */
static bool domain_exists(unsigned domid)
{
    return domid < DOMID_FIRST_RESERVED;
}

static int set_perms(struct xsc_conn *conn, struct xsc_opctx *x, const struct xsd_sockmsg *h,
                     const char *body, char *path)
{
    unsigned num = count_strings(body, h->len), np;
    const char *data = body + strlen(body) + 1;
    struct xsc_perm *p;
    bool rel;
    int err;

    if (num < 2)
        return EINVAL;
    if (conn->domid != 0 && num - 1 > conn->core->quota.perms) {
        xsc_trace(conn->core, "dom%u: permission quota (%u) reached", conn->domid,
                  conn->core->quota.perms);
        return ENOSPC;
    }
    if ((err = xsc_perms_parse(data, num - 1, &p, &np)))
        return err;
    if (!domain_exists(p[0].domid)) {
        free(p);
        return ENOENT;
    }
    if (body[0] == '@') {
        struct xsc_special *s = xsc_special_find(conn->core, body);
        if (!s) {
            free(p);
            return EINVAL;
        }
        if (conn->domid != 0 && (xsc_perms_access(s->perms, s->nperms, conn->domid, x->target) &
                                 (XSP_WRITE | XSP_OWNER)) != (XSP_WRITE | XSP_OWNER)) {
            free(p);
            return EACCES;
        }
        free(s->perms);
        s->perms = p;
        s->nperms = np;
        path[0] = '\0'; /* nothing to log in a transaction */
        return 0;
    }
    if ((err = resolve(conn, body, false, path, &rel))) {
        free(p);
        return err;
    }
    return xsc_op_set_perms(x, path, p, np);
}

/* WRITE, MKDIR, RM, SET_PERMS: applied, or logged in the transaction. */
static void do_change(struct xsc_conn *conn, struct xsc_opctx *x, struct xsc_txn *t,
                      const struct xsd_sockmsg *h, const char *body)
{
    char path[XSC_PATH_BUF];
    const char *arg = body, *data = "";
    size_t dlen = 0;
    bool rel;
    int err;

    if (h->type == XS_SET_PERMS) {
        err = set_perms(conn, x, h, body, path);
        if (!err && path[0]) {
            data = body + strlen(body) + 1;
            dlen = h->len - strlen(body) - 1;
        }
    } else {
        if (h->type == XS_WRITE) {
            if (strnlen(body, h->len) == h->len) {
                reply_err(conn, h, EINVAL); /* no NUL after the path */
                return;
            }
            data = body + strlen(body) + 1;
            dlen = h->len - strlen(body) - 1;
        } else if (!(arg = onearg(body, h->len))) {
            reply_err(conn, h, missing_arg(h->type));
            return;
        }
        if ((err = resolve(conn, arg, false, path, &rel))) {
            reply_err(conn, h, err);
            return;
        }
        switch (h->type) {
        case XS_WRITE: err = xsc_op_write(x, path, data, dlen); break;
        case XS_MKDIR: err = xsc_op_mkdir(x, path); break;
        default: err = xsc_op_rm(x, path); break;
        }
    }
    if (!err && t && path[0]) {
        unsigned nacc;
        xsc_tree_accesses(t->tree, &nacc);
        if (conn->domid != 0 && nacc > conn->core->quota.tx_nodes) {
            xsc_trace(conn->core, "dom%u: transaction node quota (%u) reached", conn->domid,
                      conn->core->quota.tx_nodes);
            err = ENOSPC;
        } else {
            err = xsc_txn_log(t, h->type, path, data, dlen);
        }
    }
    if (err == ENOMEM && t)
        t->fail = true;
    if (err)
        reply_err(conn, h, err);
    else
        reply_str(conn, h, "OK");
}

static void do_watch(struct xsc_conn *conn, const struct xsd_sockmsg *h, const char *body)
{
    char path[XSC_PATH_BUF];
    const char *v[2];
    bool rel;
    int err;

    if (get_strings(body, h->len, v, 2) != 2) {
        reply_err(conn, h, EINVAL);
        return;
    }
    if (h->type == XS_UNWATCH) {
        /* resolved, not checked: a path no watch has is just ENOENT */
        xsc_path_canonical(conn->domid, v[0], path);
        err = xsc_watch_del(conn, path, v[1]);
    } else if ((err = resolve(conn, v[0], true, path, &rel)) == 0) {
        err = xsc_watch_add(conn, path, v[1], rel ? xsc_path_home_len(conn->domid) : 0);
    }
    if (err) {
        reply_err(conn, h, err);
        return;
    }
    reply_str(conn, h, "OK");
    if (h->type == XS_WATCH)
        xsc_event_queue(conn, v[0], v[1]);
}

static void do_control(struct xsc_conn *conn, const struct xsd_sockmsg *h, const char *body)
{
    char out[2048];
    int err = xsc_control(conn, body, h->len, out, sizeof(out));

    if (err)
        reply_err(conn, h, err);
    else
        reply_str(conn, h, out);
}

/* A domain RELEASE, RESUME and SET_TARGET may name: introduced (dom0
 * always is), ENOENT otherwise. */
static struct xsc_domain *introduced(struct xsc_core *c, unsigned domid, int *err)
{
    struct xsc_domain *d = xsc_domain_find(c, domid);

    *err = d && d->introduced ? 0 : ENOENT;
    return *err ? NULL : d;
}

static int domain_request(struct xsc_conn *conn, const struct xsd_sockmsg *h, const char *body,
                          char *out, size_t size)
{
    struct xsc_core *c = conn->core;
    const char *arg = onearg(body, h->len), *v[3];
    struct xsc_domain *d, *t;
    unsigned domid;
    int err;

    switch (h->type) {
    case XS_GET_DOMAIN_PATH:
        if (!arg)
            return EINVAL;
        snprintf(out, size, "/local/domain/%u", (unsigned)c_atoi(arg));
        return 0;
    case XS_IS_DOMAIN_INTRODUCED:
        if (!arg)
            return EINVAL;
        domid = (unsigned)c_atoi(arg);
        snprintf(out, size, "%s",
                 domid == DOMID_SELF || xsc_core_is_introduced(c, domid) ? "T" : "F");
        return 0;
    case XS_INTRODUCE: {
        unsigned port;
        /* domid, gfn (unused, as in C xenstored), port; more are ignored */
        if (get_strings(body, h->len, v, 3) < 3)
            return EINVAL;
        domid = (unsigned)c_atoi(v[0]);
        port = (unsigned)c_atoi(v[2]);
        if (port == 0)
            return EINVAL;
        if (!domain_exists(domid))
            return EINVAL; /* C xenstored: ESRCH, which the wire calls EINVAL */
        if ((err = xsc_domain_introduce(c, domid)))
            return err;
        snprintf(out, size, "OK");
        return 0;
    }
    case XS_SET_TARGET:
        if (get_strings(body, h->len, v, 2) < 2)
            return EINVAL;
        if (!(d = introduced(c, (unsigned)c_atoi(v[0]), &err)) ||
            !(t = introduced(c, (unsigned)c_atoi(v[1]), &err)))
            return err;
        d->target = t->domid;
        snprintf(out, size, "OK");
        return 0;
    default: /* XS_RELEASE, XS_RESUME */
        if (!arg || (domid = (unsigned)c_atoi(arg)) == 0)
            return EINVAL;
        if (!introduced(c, domid, &err))
            return err;
        if (h->type == XS_RELEASE && (err = xsc_domain_release(c, domid)))
            return err;
        snprintf(out, size, "OK");
        return 0;
    }
}

static void do_domain(struct xsc_conn *conn, const struct xsd_sockmsg *h, const char *body)
{
    char out[64];
    int err = domain_request(conn, h, body, out, sizeof(out));

    if (err)
        reply_err(conn, h, err);
    else
        reply_str(conn, h, out);
}

static bool privileged_only(uint32_t type)
{
    switch (type) {
    case XS_CONTROL:
    case XS_INTRODUCE:
    case XS_RELEASE:
    case XS_IS_DOMAIN_INTRODUCED:
    case XS_RESUME:
    case XS_SET_TARGET: return true;
    default: return false;
    }
}

int xsc_core_handle(struct xsc_conn *conn, const struct xsd_sockmsg *h, const char *body)
{
    struct xsc_core *c = conn->core;
    struct xsc_domain *d;
    struct xsc_txn *t = NULL;
    struct xsc_opctx x;
    const char *arg;

    if (conn->dead)
        return -1;
    if (h->len > XENSTORE_PAYLOAD_MAX) {
        xsc_trace(c, "dom%u: message of %u bytes, over %u: disconnected", conn->domid, h->len,
                  XENSTORE_PAYLOAD_MAX);
        return -1;
    }
    /* In C xenstored's order: the type, the privilege, the transaction. */
    if (h->type >= XS_TYPE_COUNT || h->type == XS_WATCH_EVENT || h->type == XS_ERROR ||
        h->type == XS_RESET_WATCHES - 1) {
        xsc_trace(c, "dom%u: unknown message type %u", conn->domid, h->type);
        reply_err(conn, h, ENOSYS);
        goto out;
    }
    if (privileged_only(h->type) && conn->domid != 0) {
        xsc_trace(c, "dom%u: privileged message type %u refused", conn->domid, h->type);
        reply_err(conn, h, EACCES);
        goto out;
    }
    d = xsc_domain_find(c, conn->domid);
    x = (struct xsc_opctx){ c,    c->tree, conn->domid,     d ? d->target : XSC_NO_TARGET,
                            true, true,    conn->domid == 0 };
    /* WATCH and UNWATCH ignore tx_id, as Xen's do */
    if (h->tx_id && h->type != XS_WATCH && h->type != XS_UNWATCH) {
        t = xsc_txn_find(conn, h->tx_id);
        if (!t) {
            reply_err(conn, h, ENOENT);
            goto out;
        }
        x.t = t->tree;
        x.fire = false;
    }
    switch (h->type) {
    case XS_READ:
    case XS_DIRECTORY:
    case XS_DIRECTORY_PART:
    case XS_GET_PERMS: do_get(conn, &x, h, body); break;
    case XS_WRITE:
    case XS_MKDIR:
    case XS_RM:
    case XS_SET_PERMS: do_change(conn, &x, t, h, body); break;
    case XS_WATCH:
    case XS_UNWATCH: do_watch(conn, h, body); break;
    case XS_RESET_WATCHES:
        xsc_watch_drop_all(conn);
        xsc_txn_drop_all(conn);
        reply_str(conn, h, "OK");
        break;
    case XS_TRANSACTION_START: {
        /* The payload is not looked at. */
        uint32_t id;
        char buf[16];
        int err;
        if (t) {
            reply_err(conn, h, EBUSY);
            break;
        }
        if ((err = xsc_txn_start(conn, &id))) {
            reply_err(conn, h, err);
            break;
        }
        snprintf(buf, sizeof(buf), "%u", id);
        reply_str(conn, h, buf);
        break;
    }
    case XS_TRANSACTION_END: {
        int err;
        arg = onearg(body, h->len);
        if (!arg || (strcmp(arg, "T") && strcmp(arg, "F"))) {
            reply_err(conn, h, EINVAL);
            break;
        }
        if (!t) {
            reply_err(conn, h, ENOENT);
            break;
        }
        err = arg[0] == 'T' ? xsc_txn_commit(conn, t) : 0;
        xsc_txn_end(conn, t);
        if (err)
            reply_err(conn, h, err);
        else
            reply_str(conn, h, "OK");
        break;
    }
    case XS_CONTROL: do_control(conn, h, body); break;
    default: do_domain(conn, h, body); break;
    }
out:
    xsc_events_flush(c);
    return 0;
}
