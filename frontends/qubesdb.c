/* qubesdb.c — the VM's QubesDB client (qubesdb.h). */
#include "qubesdb.h"

#include "qubesdb_link.h"
#include "qubesdb_store.h"
#include "vchan.h"

#define MAX_WATCHES 32

struct watch {
    char path[QDB_PATH_SIZE];
    void (*fn)(void *ctx, const char *path);
    void *ctx;
};

struct qubesdb {
    struct os *os;
    domid_t server;
    struct vchan *v;
    struct qdb_link link;
    struct qdb_store *store;
    enum qubesdb_phase phase;
    int error;
    struct watch watches[MAX_WATCHES];
    unsigned nwatches;
};

static const char tag[] = "[qubes.db]";

int qubesdb_open(struct os *os, domid_t server, struct qubesdb **out)
{
    struct qubesdb *db = os_calloc(os, 1, sizeof *db);
    if (!db)
        return -OS_ENOMEM;
    db->os = os;
    db->server = server;
    db->store = qdb_store_new(os);
    char base[96];
    int r = db->store ? vchan_qubes_path(base, sizeof base, server, os_domid(os), QDB_VCHAN_PORT)
                      : -OS_ENOMEM;
    if (r == 0)
        r = vchan_client_open(os, server, base, &db->v);
    if (r < 0) {
        qdb_store_free(db->store);
        os_free(os, db);
        return r;
    }
    qdb_link_init(&db->link, os, db->v, tag);
    db->phase = QUBESDB_CONNECTING;
    *out = db;
    return 0;
}

static void fire(struct qubesdb *db, const char *path)
{
    for (unsigned i = 0; i < db->nwatches; i++) {
        const char *w = db->watches[i].path;
        size_t n = os_strlen(w);
        bool hit = (n && w[n - 1] == '/') ? qdb_has_prefix(path, w) : !os_strcmp(path, w);
        /* removing a subtree "/a/" concerns watches under it too */
        size_t pn = os_strlen(path);
        if (!hit && pn && path[pn - 1] == '/')
            hit = qdb_has_prefix(w, path);
        if (hit)
            db->watches[i].fn(db->watches[i].ctx, path);
    }
}

static int fail(struct qubesdb *db, int err, const char *what)
{
    if (what)
        os_log(db->os, OS_LOG_ERROR, "%s dom0 %s; cutting it off", tag, what);
    db->error = err;
    vchan_close(db->v);
    db->v = NULL;
    db->link.v = NULL;
    return err;
}

static int handle(struct qubesdb *db, const struct qdb_hdr *h, const char *value)
{
    switch (h->type) {
    case QDB_RESP_MULTIREAD:
        if (db->phase != QUBESDB_SYNCING)
            return fail(db, -OS_EPROTO, "sent database entries nobody asked for");
        if (!h->path[0]) {
            db->phase = QUBESDB_SYNCED;
            return 0;
        }
        if (!qdb_path_ok(h->path, true) || !qdb_value_ok(value, h->data_len))
            return fail(db, -OS_EPROTO, "sent an entry that is not a key and value");
        if (qdb_store_write(db->store, h->path, value, h->data_len) < 0)
            return fail(db, -OS_ENOMEM, "sent more entries than we keep");
        fire(db, h->path);
        return 0;
    case QDB_CMD_WRITE: {
        int r = qdb_value_ok(value, h->data_len) ? 0 : -OS_EINVAL;
        if (r == 0)
            r = qdb_store_write(db->store, h->path, value, h->data_len);
        r = qdb_link_send(&db->link, r == 0 ? QDB_RESP_OK : QDB_RESP_ERROR, h->path, NULL, 0);
        if (r < 0)
            return fail(db, r, NULL);
        fire(db, h->path);
        return 0;
    }
    case QDB_CMD_RM:
        (void)qdb_store_rm(db->store, h->path);
        if (qdb_link_send(&db->link, QDB_RESP_OK, h->path, NULL, 0) < 0)
            return fail(db, -OS_EIO, NULL);
        fire(db, h->path);
        return 0;
    case QDB_RESP_OK: return 0;
    case QDB_RESP_ERROR:
        os_log(db->os, OS_LOG_WARN, "%s dom0 refused our change of %s", tag, h->path);
        return 0;
    default: return fail(db, -OS_EPROTO, "sent a request a VM does not answer");
    }
}

int qubesdb_poll(struct qubesdb *db)
{
    if (db->error)
        return db->error;
    if (!db->v)
        return (int)db->phase;
    int st = vchan_poll(db->v);
    if (st < 0)
        return fail(db, st, NULL);
    if (db->phase == QUBESDB_CONNECTING && st == VCHAN_CONNECTED) {
        db->phase = QUBESDB_SYNCING;
        if (qdb_link_send(&db->link, QDB_CMD_MULTIREAD, "", NULL, 0) < 0)
            return fail(db, -OS_EIO, NULL);
    }
    if (db->phase == QUBESDB_CONNECTING)
        return (int)db->phase;
    int r = qdb_link_flush(&db->link);
    for (;;) {
        struct qdb_hdr h;
        const char *value;
        r = qdb_link_next(&db->link, &h, &value);
        if (r <= 0)
            break;
        r = handle(db, &h, value);
        if (r < 0)
            return r;
    }
    if (r == -OS_ESHUTDOWN || (r == 0 && vchan_state(db->v) == VCHAN_CLOSED)) {
        os_log(db->os, OS_LOG_INFO, "%s dom0 closed the connection", tag);
        db->phase = QUBESDB_CLOSED;
        vchan_close(db->v);
        db->v = NULL;
        return (int)db->phase;
    }
    if (r < 0)
        return fail(db, r, NULL);
    return (int)db->phase;
}

enum qubesdb_phase qubesdb_phase(const struct qubesdb *db)
{
    return db->phase;
}

int qubesdb_open_sync(struct os *os, domid_t server, uint64_t deadline_ns, struct qubesdb **out)
{
    os_log(os, OS_LOG_INFO, "%s connecting to server...", tag);
    struct qubesdb *db;
    int r = qubesdb_open(os, server, &db);
    if (r < 0)
        return r;
    bool said = false;
    for (;;) {
        r = qubesdb_poll(db);
        if (r >= QUBESDB_SYNCING && !said) {
            os_log(os, OS_LOG_INFO, "%s connected", tag);
            said = true;
        }
        if (r < 0 || r == QUBESDB_SYNCED || r == QUBESDB_CLOSED)
            break;
        if (deadline_ns && os_now_ns(os) >= deadline_ns) {
            r = -OS_ETIMEDOUT;
            break;
        }
        /* the vchan client looks for dom0's keys on every wake-up */
        uint64_t d = os_now_ns(os) + 100000000ull;
        if (deadline_ns && deadline_ns < d)
            d = deadline_ns;
        int w = os_wait(os, d);
        if (w < 0) {
            r = w;
            break;
        }
    }
    if (r != QUBESDB_SYNCED) {
        if (r == -OS_ETIMEDOUT)
            os_log(os, OS_LOG_ERROR, "%s no QubesDB server answered in time", tag);
        qubesdb_close(db);
        return r < 0 ? r : -OS_ECONNRESET;
    }
    *out = db;
    return 0;
}

void qubesdb_close(struct qubesdb *db)
{
    if (!db)
        return;
    vchan_close(db->v);
    qdb_link_reset(&db->link);
    qdb_store_free(db->store);
    os_free(db->os, db);
}

const char *qubesdb_read(struct qubesdb *db, const char *path)
{
    return qdb_store_read(db->store, path, NULL);
}

size_t qubesdb_multiread(struct qubesdb *db, const char *prefix,
                         void (*fn)(void *ctx, const char *path, const char *value), void *ctx)
{
    size_t n = 0;
    for (size_t i = qdb_store_lower_bound(db->store, prefix); i < qdb_store_count(db->store); i++) {
        const char *p = qdb_store_path(db->store, i);
        if (!qdb_has_prefix(p, prefix))
            break;
        if (fn)
            fn(ctx, p, qdb_store_value(db->store, i, NULL));
        n++;
    }
    return n;
}

int qubesdb_write(struct qubesdb *db, const char *path, const char *value)
{
    size_t len = os_strlen(value);
    if (!qdb_path_ok(path, true) || !qdb_value_ok(value, len))
        return -OS_EINVAL;
    int r = qdb_store_write(db->store, path, value, len);
    if (r < 0)
        return r;
    if (db->v && db->phase == QUBESDB_SYNCED &&
        (r = qdb_link_send(&db->link, QDB_CMD_WRITE, path, value, len)) < 0)
        return r;
    fire(db, path);
    return 0;
}

int qubesdb_rm(struct qubesdb *db, const char *path)
{
    if (!qdb_path_ok(path, false) || !path[0])
        return -OS_EINVAL;
    /* dom0 treats removing an absent key as fatal: never send one */
    if (qdb_store_rm(db->store, path) == 0)
        return -OS_ENOENT;
    int r;
    if (db->v && db->phase == QUBESDB_SYNCED &&
        (r = qdb_link_send(&db->link, QDB_CMD_RM, path, NULL, 0)) < 0)
        return r;
    fire(db, path);
    return 0;
}

int qubesdb_watch(struct qubesdb *db, const char *path, void (*fn)(void *ctx, const char *path),
                  void *ctx)
{
    if (!fn || !qdb_path_ok(path, false) || db->nwatches >= MAX_WATCHES)
        return -OS_EINVAL;
    struct watch *w = &db->watches[db->nwatches++];
    os_memcpy(w->path, path, os_strlen(path) + 1);
    w->fn = fn;
    w->ctx = ctx;
    return 0;
}
