/*
 * xen_host.c — struct bb_store over libxenstore, struct bb_evtchn over
 * libxenevtchn.
 */
#include "backends-sim/blkback/xen_host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenevtchn.h>
#include <xenstore.h>

/* ---- xenstore ------------------------------------------------------------ */

struct bb_xs {
    struct bb_store base; /* first: the ops see this */
    struct xs_handle *h;
};

static struct xs_handle *H(struct bb_store *s)
{
    return ((struct bb_xs *)s)->h;
}

static char *xs_op_read(struct bb_store *s, uint32_t tx, const char *path)
{
    unsigned len;
    return xs_read(H(s), tx, path, &len);
}

static int xs_op_write(struct bb_store *s, uint32_t tx, const char *path, const char *value)
{
    return xs_write(H(s), tx, path, value, (unsigned)strlen(value)) ? 0 : -errno;
}

static char **xs_op_directory(struct bb_store *s, uint32_t tx, const char *path, unsigned *num)
{
    return xs_directory(H(s), tx, path, num);
}

static int xs_op_rm(struct bb_store *s, uint32_t tx, const char *path)
{
    return xs_rm(H(s), tx, path) ? 0 : -errno;
}

static int xs_op_tx_start(struct bb_store *s, uint32_t *tx)
{
    xs_transaction_t t = xs_transaction_start(H(s));
    if (t == XBT_NULL)
        return errno ? -errno : -EIO;
    *tx = t;
    return 0;
}

static int xs_op_tx_end(struct bb_store *s, uint32_t tx, bool abort)
{
    return xs_transaction_end(H(s), tx, abort) ? 0 : -errno;
}

static int xs_op_watch(struct bb_store *s, const char *path, const char *token)
{
    return xs_watch(H(s), path, token) ? 0 : -errno;
}

static int xs_op_unwatch(struct bb_store *s, const char *path, const char *token)
{
    return xs_unwatch(H(s), path, token) ? 0 : -errno;
}

static const struct bb_store_ops xs_ops = {
    .read = xs_op_read,
    .write = xs_op_write,
    .directory = xs_op_directory,
    .rm = xs_op_rm,
    .tx_start = xs_op_tx_start,
    .tx_end = xs_op_tx_end,
    .watch = xs_op_watch,
    .unwatch = xs_op_unwatch,
};

struct bb_xs *bb_xs_open(void)
{
    struct bb_xs *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->base.ops = &xs_ops;
    x->h = xs_open(0);
    if (!x->h) {
        int e = errno;
        free(x);
        errno = e;
        return NULL;
    }
    return x;
}

void bb_xs_close(struct bb_xs *x)
{
    if (!x)
        return;
    xs_close(x->h);
    free(x);
}

struct bb_store *bb_xs_store(struct bb_xs *x)
{
    return &x->base;
}
int bb_xs_fd(struct bb_xs *x)
{
    return xs_fileno(x->h);
}

int bb_xs_next_watch(struct bb_xs *x, char *token, size_t len)
{
    char **vec = xs_check_watch(x->h);
    if (!vec)
        return errno == EAGAIN ? 0 : -errno;
    snprintf(token, len, "%s", vec[XS_WATCH_TOKEN]);
    free(vec);
    return 1;
}

/* ---- event channels -------------------------------------------------------- */

struct bb_xenevtchn {
    struct bb_evtchn base; /* first: the ops see this */
    xenevtchn_handle *h;
};

static xenevtchn_handle *E(struct bb_evtchn *e)
{
    return ((struct bb_xenevtchn *)e)->h;
}

static int ev_bind(struct bb_evtchn *e, uint32_t dom, uint32_t remote, uint32_t *local)
{
    xenevtchn_port_or_error_t p = xenevtchn_bind_interdomain(E(e), dom, remote);
    if (p < 0)
        return errno ? -errno : -EINVAL;
    *local = (uint32_t)p;
    return 0;
}

static int ev_unbind(struct bb_evtchn *e, uint32_t local)
{
    return xenevtchn_unbind(E(e), local) < 0 ? -errno : 0;
}

static int ev_notify(struct bb_evtchn *e, uint32_t local)
{
    return xenevtchn_notify(E(e), local) < 0 ? -errno : 0;
}

static const struct bb_evtchn_ops ev_ops = { .bind = ev_bind,
                                             .unbind = ev_unbind,
                                             .notify = ev_notify };

struct bb_xenevtchn *bb_xenevtchn_open(void)
{
    struct bb_xenevtchn *x = calloc(1, sizeof(*x));
    if (!x)
        return NULL;
    x->base.ops = &ev_ops;
    x->h = xenevtchn_open(NULL, 0);
    if (!x->h) {
        int e = errno;
        free(x);
        errno = e;
        return NULL;
    }
    return x;
}

void bb_xenevtchn_close(struct bb_xenevtchn *x)
{
    if (!x)
        return;
    xenevtchn_close(x->h);
    free(x);
}

struct bb_evtchn *bb_xenevtchn_base(struct bb_xenevtchn *x)
{
    return &x->base;
}
int bb_xenevtchn_fd(struct bb_xenevtchn *x)
{
    return xenevtchn_fd(x->h);
}

int bb_xenevtchn_pending(struct bb_xenevtchn *x, uint32_t *port)
{
    xenevtchn_port_or_error_t p = xenevtchn_pending(x->h);
    if (p < 0)
        return errno ? -errno : -EIO;
    /* Unmask before serving, so an event raised while we serve is kept. */
    xenevtchn_unmask(x->h, (evtchn_port_t)p);
    *port = (uint32_t)p;
    return 0;
}
