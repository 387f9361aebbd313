/*
 * nb_xen.c — see nb_xen.h.
 */
#include "backends-sim/netback/nb_xen.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <xenevtchn.h>
#include <xengnttab.h>
#include <xenstore.h>

struct nb_xen {
    struct xs_handle *xs;
    xengnttab_handle *xgt;
    xenevtchn_handle *xce;
    bool no_copy; /* grant copy unsupported: map and memcpy */
    struct nb_env env;
};

static int x_read(void *ctx, const char *path, char *buf, size_t size)
{
    struct nb_xen *x = ctx;
    unsigned len;
    char *v = xs_read(x->xs, XBT_NULL, path, &len);
    if (!v)
        return -(errno ? errno : EIO);
    int r;
    if ((size_t)len + 1 > size) {
        r = -E2BIG;
    } else {
        memcpy(buf, v, len);
        buf[len] = '\0';
        r = (int)len;
    }
    free(v);
    return r;
}

static int x_write(void *ctx, const char *path, const char *value)
{
    struct nb_xen *x = ctx;
    return xs_write(x->xs, XBT_NULL, path, value, (unsigned)strlen(value)) ? 0
                                                                           : -(errno ? errno : EIO);
}

static int x_watch(void *ctx, const char *path, const char *token)
{
    struct nb_xen *x = ctx;
    return xs_watch(x->xs, path, token) ? 0 : -(errno ? errno : EIO);
}

static int x_unwatch(void *ctx, const char *path, const char *token)
{
    struct nb_xen *x = ctx;
    return xs_unwatch(x->xs, path, token) ? 0 : -(errno ? errno : EIO);
}

static void *x_map(void *ctx, domid_t dom, grant_ref_t ref, int *err)
{
    struct nb_xen *x = ctx;
    void *p = xengnttab_map_grant_ref(x->xgt, dom, ref, PROT_READ | PROT_WRITE);
    if (!p)
        *err = -(errno ? errno : EIO);
    return p;
}

static void x_unmap(void *ctx, void *page)
{
    struct nb_xen *x = ctx;
    xengnttab_unmap(x->xgt, page, 1);
}

/* Without GNTTABOP_copy: map each page for the one copy. */
static void copy_by_map(struct nb_xen *x, domid_t dom, struct nb_copy *op)
{
    uint8_t *p = xengnttab_map_grant_ref(x->xgt, dom, op->ref,
                                         op->to_guest ? PROT_READ | PROT_WRITE : PROT_READ);
    if (!p) {
        op->status = GNTST_bad_gntref;
        return;
    }
    if (op->to_guest)
        memcpy(p + op->offset, op->local, op->len);
    else
        memcpy(op->local, p + op->offset, op->len);
    xengnttab_unmap(x->xgt, p, 1);
    op->status = GNTST_okay;
}

#define COPY_BATCH 64
static int x_copy(void *ctx, domid_t dom, struct nb_copy *ops, unsigned n)
{
    struct nb_xen *x = ctx;
    xengnttab_grant_copy_segment_t seg[COPY_BATCH];
    for (unsigned base = 0; base < n; base += COPY_BATCH) {
        unsigned m = n - base < COPY_BATCH ? n - base : COPY_BATCH;
        if (x->no_copy) {
            for (unsigned i = 0; i < m; i++)
                copy_by_map(x, dom, &ops[base + i]);
            continue;
        }
        for (unsigned i = 0; i < m; i++) {
            struct nb_copy *o = &ops[base + i];
            memset(&seg[i], 0, sizeof seg[i]);
            if (o->to_guest) {
                seg[i].source.virt = o->local;
                seg[i].dest.foreign.ref = o->ref;
                seg[i].dest.foreign.offset = o->offset;
                seg[i].dest.foreign.domid = dom;
                seg[i].flags = GNTCOPY_dest_gref;
            } else {
                seg[i].source.foreign.ref = o->ref;
                seg[i].source.foreign.offset = o->offset;
                seg[i].source.foreign.domid = dom;
                seg[i].dest.virt = o->local;
                seg[i].flags = GNTCOPY_source_gref;
            }
            seg[i].len = o->len;
        }
        if (xengnttab_grant_copy(x->xgt, m, seg) != 0) {
            if (errno == ENOSYS || errno == EOPNOTSUPP || errno == ENOTTY) {
                x->no_copy = true;
                base -= COPY_BATCH; /* redo this batch by mapping */
                continue;
            }
            return -(errno ? errno : EIO);
        }
        for (unsigned i = 0; i < m; i++)
            ops[base + i].status = seg[i].status;
    }
    return 0;
}

static int x_bind(void *ctx, domid_t dom, evtchn_port_t remote, evtchn_port_t *local)
{
    struct nb_xen *x = ctx;
    xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(x->xce, dom, remote);
    if (p < 0)
        return -(errno ? errno : EIO);
    *local = (evtchn_port_t)p;
    return 0;
}

static void x_unbind(void *ctx, evtchn_port_t local)
{
    struct nb_xen *x = ctx;
    xenevtchn_unbind(x->xce, local);
}

static void x_notify(void *ctx, evtchn_port_t local)
{
    struct nb_xen *x = ctx;
    xenevtchn_notify(x->xce, local);
}

int nb_xen_open(struct nb_xen **out, char *err, size_t errsize)
{
    struct nb_xen *x = calloc(1, sizeof *x);
    if (!x) {
        snprintf(err, errsize, "out of memory");
        return -ENOMEM;
    }
    if (!(x->xs = xs_open(0))) {
        snprintf(err, errsize, "cannot connect to xenstore: %s", strerror(errno));
        goto fail;
    }
    if (!(x->xgt = xengnttab_open(NULL, 0))) {
        snprintf(err, errsize, "cannot open the grant table device: %s", strerror(errno));
        goto fail;
    }
    if (!(x->xce = xenevtchn_open(NULL, 0))) {
        snprintf(err, errsize, "cannot open the event channel device: %s", strerror(errno));
        goto fail;
    }
    static const struct nb_env_ops ops = {
        .xs_read = x_read,
        .xs_write = x_write,
        .xs_watch = x_watch,
        .xs_unwatch = x_unwatch,
        .map = x_map,
        .unmap = x_unmap,
        .copy = x_copy,
        .bind = x_bind,
        .unbind = x_unbind,
        .notify = x_notify,
    };
    x->env = (struct nb_env){ .ops = &ops, .ctx = x };
    *out = x;
    return 0;
fail:
    nb_xen_close(x);
    return -EIO;
}

void nb_xen_close(struct nb_xen *x)
{
    if (!x)
        return;
    if (x->xce)
        xenevtchn_close(x->xce);
    if (x->xgt)
        xengnttab_close(x->xgt);
    if (x->xs)
        xs_close(x->xs);
    free(x);
}

const struct nb_env *nb_xen_env(struct nb_xen *x)
{
    return &x->env;
}
int nb_xen_xs_fd(struct nb_xen *x)
{
    return xs_fileno(x->xs);
}
int nb_xen_evtchn_fd(struct nb_xen *x)
{
    return xenevtchn_fd(x->xce);
}

domid_t nb_xen_domid(struct nb_xen *x)
{
    char buf[16];
    if (x_read(x, "domid", buf, sizeof buf) > 0)
        return (domid_t)strtoul(buf, NULL, 10);
    return 0;
}

char **nb_xen_directory(struct nb_xen *x, const char *path, unsigned *n)
{
    return xs_directory(x->xs, XBT_NULL, path, n);
}

int nb_xen_next_watch(struct nb_xen *x, char *token, size_t size)
{
    char **vec = xs_check_watch(x->xs);
    if (!vec)
        return errno == EAGAIN ? 0 : -(errno ? errno : EIO);
    snprintf(token, size, "%s", vec[XS_WATCH_TOKEN]);
    free(vec);
    return 1;
}

int nb_xen_next_event(struct nb_xen *x, evtchn_port_t *port)
{
    struct pollfd pfd = { .fd = xenevtchn_fd(x->xce), .events = POLLIN };
    if (poll(&pfd, 1, 0) <= 0 || !(pfd.revents & POLLIN))
        return 0;
    xenevtchn_port_or_error_t p = xenevtchn_pending(x->xce);
    if (p < 0)
        return -(errno ? errno : EIO);
    xenevtchn_unmask(x->xce, (evtchn_port_t)p);
    *port = (evtchn_port_t)p;
    return 1;
}
