/* qubesdb_vm.c — dom0's QubesDB toward one VM (qubesdb_vm.h). */
#include "backends-sim/qubes/qubesdb_vm.h"

#include <stdio.h>
#include <stdlib.h>

#include "frontends/qubesdb_link.h"
#include "frontends/qubesdb_proto.h"
#include "frontends/vchan.h"

#define PROG "splitbed-qubesdb"

struct qdb_vm {
    struct os *os;
    domid_t dom;
    char base[96];
    struct qdb_store *store;
    struct vchan *v;
    struct qdb_link link;
    bool synced;
    char tag[48];
};

static int serve(struct qdb_vm *d)
{
    d->synced = false;
    int r = vchan_server_open(d->os, d->dom, d->base, 4096, 4096, &d->v);
    if (r < 0) {
        os_log(d->os, OS_LOG_ERROR, PROG ": d%u: cannot serve QubesDB at %s (error %d)",
               (unsigned)d->dom, d->base, -r);
        d->v = NULL;
        return r;
    }
    qdb_link_init(&d->link, d->os, d->v, d->tag);
    return 0;
}

static void unserve(struct qdb_vm *d)
{
    vchan_close(d->v);
    d->v = NULL;
    qdb_link_reset(&d->link);
    d->synced = false;
}

int qdb_vm_open(struct os *os, domid_t dom, struct qdb_store *store, struct qdb_vm **out)
{
    struct qdb_vm *d = calloc(1, sizeof *d);
    if (!d)
        return -OS_ENOMEM;
    d->os = os;
    d->dom = dom;
    d->store = store;
    vchan_qubes_path(d->base, sizeof d->base, os_domid(os), dom, QDB_VCHAN_PORT);
    snprintf(d->tag, sizeof d->tag, PROG ": d%u:", (unsigned)dom);
    int r = serve(d);
    if (r < 0) {
        free(d);
        return r;
    }
    *out = d;
    return 0;
}

void qdb_vm_close(struct qdb_vm *d)
{
    if (!d)
        return;
    unserve(d);
    free(d);
}

bool qdb_vm_serving(const struct qdb_vm *d)
{
    return d->v != NULL;
}

const char *qdb_vm_base(const struct qdb_vm *d)
{
    return d->base;
}

static int dump(struct qdb_vm *d, const char *prefix)
{
    /* everything in descending order, as Qubes' daemon answers "" */
    for (size_t i = qdb_store_count(d->store); i-- > 0;) {
        const char *p = qdb_store_path(d->store, i);
        if (!qdb_has_prefix(p, prefix))
            continue;
        size_t len;
        const char *v = qdb_store_value(d->store, i, &len);
        int r = qdb_link_send(&d->link, QDB_RESP_MULTIREAD, p, v, len);
        if (r < 0)
            return r;
    }
    return qdb_link_send(&d->link, QDB_RESP_MULTIREAD, "", NULL, 0);
}

/* A VM message; negative: the VM broke the protocol (already named). */
static int from_vm(struct qdb_vm *d, const struct qdb_hdr *h, const char *value)
{
    switch (h->type) {
    case QDB_CMD_MULTIREAD:
        if (d->synced) {
            os_log(d->os, OS_LOG_ERROR,
                   PROG ": d%u asked for the whole database twice; cutting it off",
                   (unsigned)d->dom);
            return -OS_EPROTO;
        }
        d->synced = true;
        return dump(d, h->path);
    case QDB_CMD_WRITE:
        if (
#ifndef SPLITBED_BUG_QDB_VALUE_NUL
            !qdb_value_ok(value, h->data_len) ||
#endif
            qdb_store_write(d->store, h->path, value, h->data_len) < 0)
            return qdb_link_send(&d->link, QDB_RESP_ERROR, h->path, NULL, 0);
        return qdb_link_send(&d->link, QDB_RESP_OK, h->path, NULL, 0);
    case QDB_CMD_RM:
        return qdb_link_send(&d->link,
                             qdb_store_rm(d->store, h->path) ? QDB_RESP_OK : QDB_RESP_ERROR,
                             h->path, NULL, 0);
    case QDB_RESP_OK: return 0;
    case QDB_RESP_ERROR:
        os_log(d->os, OS_LOG_WARN, PROG ": d%u refused our change of %s", (unsigned)d->dom,
               h->path);
        return 0;
    default:
        os_log(d->os, OS_LOG_ERROR, PROG ": d%u sent %s, which only dom0 sends; cutting it off",
               (unsigned)d->dom, qdb_type_name(h->type));
        return -OS_EPROTO;
    }
}

void qdb_vm_step(struct qdb_vm *d)
{
    if (!d->v && serve(d) < 0)
        return;
    int st = vchan_poll(d->v);
    int r = st < 0 ? st : qdb_link_flush(&d->link);
    while (r >= 0) {
        struct qdb_hdr h;
        const char *value;
        r = qdb_link_next(&d->link, &h, &value);
        if (r <= 0)
            break;
        r = from_vm(d, &h, value);
    }
    if (r == 0 && vchan_state(d->v) != VCHAN_CLOSED)
        return;
    /* closed, vanished or cut off: a fresh channel for the VM's next try */
    if (r == -OS_ESHUTDOWN || vchan_state(d->v) == VCHAN_CLOSED)
        os_log(d->os, OS_LOG_WARN, PROG ": d%u closed QubesDB; serving it again", (unsigned)d->dom);
    else if (r == -OS_ENOMEM)
        os_log(d->os, OS_LOG_ERROR, PROG ": d%u left over 1 MiB of replies unread; cutting it off",
               (unsigned)d->dom);
    unserve(d);
    (void)serve(d);
}

bool qdb_vm_changed(struct qdb_vm *d, uint8_t type, const char *path, const char *value, size_t len)
{
    if (!d->v || !d->synced || vchan_state(d->v) != VCHAN_CONNECTED)
        return false;
    (void)qdb_link_send(&d->link, type, path, value, len);
    return true;
}
