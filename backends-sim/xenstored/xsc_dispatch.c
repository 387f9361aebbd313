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

/* Splits body into NUL-terminated strings; returns how many, or -1 if the
 * body does not end with a NUL. */
static int split(const char *body, size_t len, const char **v, int max)
{
    int n = 0;
    size_t i = 0;

    if (len == 0 || body[len - 1] != '\0')
        return -1;
    while (i < len) {
        if (n < max)
            v[n] = body + i;
        n++;
        i += strlen(body + i) + 1;
    }
    return n;
}

/* Exactly one string filling the body. */
static const char *onearg(const char *body, size_t len)
{
    const char *v[1];
    return split(body, len, v, 1) == 1 ? v[0] : NULL;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    unsigned long v;

    if (!*s || *s < '0' || *s > '9')
        return false;
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static bool parse_domid(const char *s, unsigned *domid)
{
    unsigned long v;

    if (!parse_uint(s, DOMID_FIRST_RESERVED - 1, &v))
        return false;
    *domid = (unsigned)v;
    return true;
}

static int resolve(struct xsc_conn *conn, const char *in, bool special, char *out, bool *rel)
{
    size_t max = conn->domid ? conn->core->quota.path : 0;
    int err = xsc_path_resolve(conn->domid, in, special, max, out, rel);

    if (err)
        xsc_trace(conn->core, "dom%u: bad path \"%.80s\"", conn->domid, in);
    return err;
}

static int introduce(struct xsc_conn *conn, const char *body, size_t len)
{
    const char *v[3];
    unsigned domid;
    unsigned long mfn, port;

    if (split(body, len, v, 3) != 3 || !parse_domid(v[0], &domid) || domid == 0 ||
        !parse_uint(v[1], ~0ul, &mfn) || !parse_uint(v[2], 0xffffffffu, &port))
        return EINVAL;
    return xsc_domain_introduce(conn->core, domid, mfn);
}

static int release(struct xsc_conn *conn, const char *body, size_t len)
{
    const char *arg = onearg(body, len);
    unsigned domid;

    if (!arg || !parse_domid(arg, &domid))
        return EINVAL;
    return xsc_domain_release(conn->core, domid);
}

static void do_get(struct xsc_conn *conn, struct xsc_opctx *x, const struct xsd_sockmsg *h,
                   const char *body)
{
    char path[XSC_PATH_BUF], buf[XENSTORE_PAYLOAD_MAX + 64];
    const char *arg = NULL, *v[2];
    unsigned long off = 0;
    const struct xsc_node *n;
    bool rel, special = h->type == XS_GET_PERMS;
    int err;

    if (h->type == XS_DIRECTORY_PART) {
        if (split(body, h->len, v, 2) != 2 || !parse_uint(v[1], 0xffffffffu, &off)) {
            reply_err(conn, h, EINVAL);
            return;
        }
        arg = v[0];
    } else {
        arg = onearg(body, h->len);
    }
    if (!arg || (err = resolve(conn, arg, special, path, &rel))) {
        reply_err(conn, h, EINVAL);
        return;
    }
    if (path[0] == '@') {
        struct xsc_special *s = xsc_special_find(conn->core, path);
        size_t l;
        if (!s) {
            reply_err(conn, h, ENOENT);
            return;
        }
        l = xsc_perms_format(s->perms, s->nperms, buf, sizeof(buf));
        reply(conn, h, h->type, buf, l);
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
    default: { /* XS_DIRECTORY_PART: generation, then names from off */
        size_t l = (size_t)snprintf(buf, sizeof(buf), "%llu", (unsigned long long)n->gen) + 1;
        size_t pos = 0;
        unsigned i = 0;
        for (; i < n->nkids && pos < off; i++)
            pos += strlen(n->kids[i]->name) + 1;
        if (pos != off) {
            reply_err(conn, h, EINVAL);
            return;
        }
        for (; i < n->nkids; i++) {
            size_t k = strlen(n->kids[i]->name) + 1;
            /* keep room for the final empty string */
            if (l + k + 1 > XENSTORE_PAYLOAD_MAX)
                break;
            memcpy(buf + l, n->kids[i]->name, k);
            l += k;
        }
        if (i == n->nkids)
            buf[l++] = '\0';
        reply(conn, h, h->type, buf, l);
        return;
    }
    }
}

/* WRITE, MKDIR, RM, SET_PERMS: applied, or logged in the transaction. */
static void do_change(struct xsc_conn *conn, struct xsc_opctx *x, struct xsc_txn *t,
                      const struct xsd_sockmsg *h, const char *body)
{
    char path[XSC_PATH_BUF];
    const char *arg = body, *data = "";
    size_t dlen = 0, alen;
    bool rel;
    int err;

    alen = strnlen(body, h->len);
    if (alen == h->len) {
        reply_err(conn, h, EINVAL); /* no NUL after the path */
        return;
    }
    if (h->type == XS_WRITE || h->type == XS_SET_PERMS) {
        data = body + alen + 1;
        dlen = h->len - alen - 1;
    } else if (alen + 1 != h->len) {
        reply_err(conn, h, EINVAL);
        return;
    }
    if (resolve(conn, arg, h->type == XS_SET_PERMS, path, &rel)) {
        reply_err(conn, h, EINVAL);
        return;
    }
    switch (h->type) {
    case XS_WRITE: err = xsc_op_write(x, path, data, dlen); break;
    case XS_MKDIR: err = xsc_op_mkdir(x, path); break;
    case XS_RM: err = xsc_op_rm(x, path); break;
    default: {
        struct xsc_perm *p;
        unsigned np;
        if ((err = xsc_perms_parse(data, dlen, &p, &np)))
            break;
        if (path[0] == '@') {
            struct xsc_special *s = xsc_special_find(conn->core, path);
            if (!s) {
                free(p);
                err = ENOENT;
            } else if (conn->domid != 0) {
                free(p);
                err = EACCES;
            } else {
                free(s->perms);
                s->perms = p;
                s->nperms = np;
            }
            break;
        }
        err = xsc_op_set_perms(x, path, p, np);
        break;
    }
    }
    if (!err && t) {
        unsigned nacc;
        xsc_tree_accesses(t->tree, &nacc);
        if (conn->domid != 0 && nacc > conn->core->quota.tx_nodes)
            err = ENOSPC;
        else
            err = xsc_txn_log(t, h->type, path, data, dlen);
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

    if (split(body, h->len, v, 2) != 2 || resolve(conn, v[0], true, path, &rel)) {
        reply_err(conn, h, EINVAL);
        return;
    }
    if (h->type == XS_UNWATCH) {
        err = xsc_watch_del(conn, path, v[1]);
    } else {
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
    struct xsc_core *c = conn->core;
    const char *v[2];
    int n = split(body, h->len, v, 2);
    char buf[512];

    if (n < 1) {
        reply_err(conn, h, EINVAL);
        return;
    }
    if (strcmp(v[0], "check") == 0 && n == 1) {
        reply_str(conn, h, "OK");
    } else if (strcmp(v[0], "print") == 0 && n == 2) {
        xsc_trace(c, "control: %s", v[1]);
        reply_str(conn, h, "OK");
    } else if (strcmp(v[0], "quota") == 0 && n == 1) {
        snprintf(buf, sizeof(buf),
                 "Nodes per domain: %u\nNode size: %u\n"
                 "Watches per domain: %u\nTransactions per domain: %u\n"
                 "Permissions per node: %u\nPath length: %u\n"
                 "Nodes per transaction: %u\n",
                 c->quota.nodes, c->quota.node_size, c->quota.watches, c->quota.transactions,
                 c->quota.perms, c->quota.path, c->quota.tx_nodes);
        reply_str(conn, h, buf);
    } else if (strcmp(v[0], "help") == 0 && n == 1) {
        reply_str(conn, h, "check\nhelp\nprint <string>\nquota\n");
    } else {
        reply_err(conn, h, EINVAL);
    }
}

static void do_domain(struct xsc_conn *conn, const struct xsd_sockmsg *h, const char *body)
{
    struct xsc_core *c = conn->core;
    const char *arg = onearg(body, h->len), *v[2];
    unsigned domid, target;
    struct xsc_domain *d;
    char buf[64];

    switch (h->type) {
    case XS_GET_DOMAIN_PATH:
        if (!arg || !parse_domid(arg, &domid)) {
            reply_err(conn, h, EINVAL);
            return;
        }
        snprintf(buf, sizeof(buf), "/local/domain/%u", domid);
        reply_str(conn, h, buf);
        return;
    case XS_IS_DOMAIN_INTRODUCED:
        if (!arg || !parse_domid(arg, &domid)) {
            reply_err(conn, h, EINVAL);
            return;
        }
        reply_str(conn, h, xsc_core_is_introduced(c, domid) ? "T" : "F");
        return;
    case XS_RESUME:
        if (!arg || !parse_domid(arg, &domid)) {
            reply_err(conn, h, EINVAL);
            return;
        }
        if (!xsc_core_is_introduced(c, domid)) {
            reply_err(conn, h, ENOENT);
            return;
        }
        reply_str(conn, h, "OK");
        return;
    case XS_SET_TARGET:
        if (split(body, h->len, v, 2) != 2 || !parse_domid(v[0], &domid) ||
            !parse_domid(v[1], &target)) {
            reply_err(conn, h, EINVAL);
            return;
        }
        if (!xsc_core_is_introduced(c, domid) || !xsc_core_is_introduced(c, target)) {
            reply_err(conn, h, ENOENT);
            return;
        }
        d = xsc_domain_find(c, domid);
        d->target = target;
        reply_str(conn, h, "OK");
        return;
    case XS_INTRODUCE: {
        int err = introduce(conn, body, h->len);
        if (err)
            reply_err(conn, h, err);
        else
            reply_str(conn, h, "OK");
        return;
    }
    default: { /* XS_RELEASE */
        int err = release(conn, body, h->len);
        if (err)
            reply_err(conn, h, err);
        else
            reply_str(conn, h, "OK");
        return;
    }
    }
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
    d = xsc_domain_find(c, conn->domid);
    x = (struct xsc_opctx){ c,    c->tree, conn->domid,     d ? d->target : XSC_NO_TARGET,
                            true, true,    conn->domid == 0 };
    switch (h->type) {
    case XS_WATCH:
    case XS_UNWATCH:
    case XS_RESET_WATCHES:
    case XS_TRANSACTION_START: break; /* these ignore tx_id, as Xen's do */
    default:
        if (h->tx_id) {
            t = xsc_txn_find(conn, h->tx_id);
            if (!t) {
                reply_err(conn, h, ENOENT);
                goto out;
            }
            x.t = t->tree;
            x.fire = false;
        }
    }
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
        uint32_t id;
        char buf[16];
        int err;
        if (!onearg(body, h->len)) {
            reply_err(conn, h, EINVAL);
            break;
        }
        if (h->tx_id) {
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
        if (!t) {
            reply_err(conn, h, ENOENT);
            break;
        }
        if (!arg || (strcmp(arg, "T") && strcmp(arg, "F"))) {
            reply_err(conn, h, EINVAL);
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
