#include "backends-sim/xenstored/xsc_client.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct event {
    struct event *next;
    size_t len;
    char body[];
};

struct xsc_client {
    struct xsc_conn *conn;
    struct xsc_reply *pending; /* where the next reply goes */
    bool replied;
    uint32_t next_req;
    struct event *head, **tail;
    unsigned nevents;
};

static void deliver(void *ctx, const struct xsd_sockmsg *hdr, const void *body)
{
    struct xsc_client *cl = ctx;

    if (hdr->type == XS_WATCH_EVENT) {
        struct event *e = malloc(sizeof(*e) + hdr->len + 1);
        if (!e)
            return;
        e->next = NULL;
        e->len = hdr->len;
        memcpy(e->body, body, hdr->len);
        e->body[hdr->len] = '\0';
        *cl->tail = e;
        cl->tail = &e->next;
        cl->nevents++;
        return;
    }
    if (cl->pending && hdr->len <= XENSTORE_PAYLOAD_MAX) {
        cl->pending->hdr = *hdr;
        memcpy(cl->pending->body, body, hdr->len);
        cl->pending->body[hdr->len] = '\0';
    }
    cl->replied = true;
}

struct xsc_client *xsc_client_open(struct xsc_core *c, unsigned domid)
{
    struct xsc_client *cl = calloc(1, sizeof(*cl));

    if (!cl)
        return NULL;
    cl->tail = &cl->head;
    cl->next_req = 1;
    cl->conn = xsc_core_connect(c, domid, deliver, cl);
    if (!cl->conn) {
        free(cl);
        return NULL;
    }
    return cl;
}

void xsc_client_close(struct xsc_client *cl)
{
    if (!cl)
        return;
    xsc_core_disconnect(cl->conn);
    while (cl->head) {
        struct event *e = cl->head;
        cl->head = e->next;
        free(e);
    }
    free(cl);
}

int xsc_client_raw(struct xsc_client *cl, const struct xsd_sockmsg *hdr, const void *body,
                   struct xsc_reply *out)
{
    /* The core wants a NUL after the body, as the socket framer gives. */
    char *copy = malloc((size_t)hdr->len + 1);
    struct xsc_reply scratch;
    int rc;

    if (!copy)
        return -1;
    if (hdr->len)
        memcpy(copy, body, hdr->len);
    copy[hdr->len] = '\0';
    cl->pending = out ? out : &scratch;
    cl->replied = false;
    rc = xsc_core_handle(cl->conn, hdr, copy);
    cl->pending = NULL;
    free(copy);
    return rc == 0 && cl->replied ? 0 : -1;
}

int xsc_client_strs(struct xsc_client *cl, uint32_t type, uint32_t tx, struct xsc_reply *out, ...)
{
    char body[XENSTORE_PAYLOAD_MAX * 2];
    size_t len = 0;
    struct xsc_reply r;
    struct xsd_sockmsg hdr;
    const char *s;
    va_list ap;

    va_start(ap, out);
    while ((s = va_arg(ap, const char *))) {
        size_t l = strlen(s) + 1;
        if (len + l > sizeof(body))
            break;
        memcpy(body + len, s, l);
        len += l;
    }
    va_end(ap);
    hdr = (struct xsd_sockmsg){ type, cl->next_req++, tx, (uint32_t)len };
    if (!out)
        out = &r;
    if (xsc_client_raw(cl, &hdr, body, out))
        return EPIPE;
    if (out->hdr.type == XS_ERROR) {
        int e = xsc_errnum(out->body);
        return e ? e : EIO;
    }
    return 0;
}

int xsc_client_write(struct xsc_client *cl, uint32_t tx, const char *path, const char *value)
{
    char body[XENSTORE_PAYLOAD_MAX * 2];
    size_t pl = strlen(path) + 1, vl = strlen(value);
    struct xsd_sockmsg hdr = { XS_WRITE, cl->next_req++, tx, (uint32_t)(pl + vl) };
    struct xsc_reply r;

    if (pl + vl > sizeof(body))
        return E2BIG;
    memcpy(body, path, pl);
    memcpy(body + pl, value, vl);
    if (xsc_client_raw(cl, &hdr, body, &r))
        return EPIPE;
    return r.hdr.type == XS_ERROR ? xsc_errnum(r.body) : 0;
}

int xsc_client_read(struct xsc_client *cl, uint32_t tx, const char *path, char *buf, size_t size)
{
    struct xsc_reply r;
    int err = xsc_client_strs(cl, XS_READ, tx, &r, path, NULL);

    if (!err && size)
        snprintf(buf, size, "%s", r.body);
    return err;
}

int xsc_client_tx_start(struct xsc_client *cl, uint32_t *tx)
{
    struct xsc_reply r;
    int err = xsc_client_strs(cl, XS_TRANSACTION_START, 0, &r, "", NULL);

    if (!err)
        *tx = (uint32_t)strtoul(r.body, NULL, 10);
    return err;
}

int xsc_client_tx_end(struct xsc_client *cl, uint32_t tx, bool commit)
{
    return xsc_client_strs(cl, XS_TRANSACTION_END, tx, NULL, commit ? "T" : "F", NULL);
}

bool xsc_client_event(struct xsc_client *cl, char *path, size_t psize, char *token, size_t tsize)
{
    struct event *e = cl->head;
    size_t pl;

    if (!e)
        return false;
    cl->head = e->next;
    if (!cl->head)
        cl->tail = &cl->head;
    cl->nevents--;
    pl = strnlen(e->body, e->len);
    snprintf(path, psize, "%s", e->body);
    snprintf(token, tsize, "%s", pl < e->len ? e->body + pl + 1 : "");
    free(e);
    return true;
}

unsigned xsc_client_events(const struct xsc_client *cl)
{
    return cl->nevents;
}

unsigned xsc_client_watches(const struct xsc_client *cl)
{
    return xsc_core_conn_watches(cl->conn);
}
