/*
 * test_net_host.c — see test_net_host.h.  Plain tables, no threads.
 */
#include "tests/unit/test_net_host.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tests/lib/xs_path.h"
#include "tests/unit/page_pool.h"

#define MAX_NODES 512
#define MAX_WATCHES 32
#define MAX_FIRED 256
#define MAX_REFS 8192
#define MAX_PORTS 64

struct kv {
    uint32_t hash; /* of path: lookups compare it first */
    char *path, *val;
};
struct watch {
    char path[256];
    char token[200];
    bool be;
};
struct fired {
    char path[256];
    char token[200];
};
struct gref {
    void *page;
    bool used, readonly;
};
struct port {
    bool used, fe;
    int peer;
    bool pending;
};

struct os {
    struct kv kv[MAX_NODES];
    unsigned nkv;
    struct watch w[MAX_WATCHES];
    unsigned nw;
    struct fired fe_q[MAX_FIRED], be_q[MAX_FIRED];
    unsigned fe_n, be_n;
    struct gref g[MAX_REFS];
    grant_ref_t next_ref;
    grant_ref_t poison;
    unsigned maps;
    struct port p[MAX_PORTS];
    struct nb_env env;
    char log[16384];
    size_t log_len;
    struct {
        grant_ref_t next_ref;
        unsigned maps, fe_n, be_n;
        struct port p[MAX_PORTS];
        size_t log_len;
    } mark;
};

/* ---- xenstore ---- */
static void queue(struct os *os, const struct watch *w, const char *path)
{
    struct fired *q = w->be ? os->be_q : os->fe_q;
    unsigned *n = w->be ? &os->be_n : &os->fe_n;
    if (*n == MAX_FIRED)
        return;
    snprintf(q[*n].path, sizeof q[*n].path, "%s", path);
    snprintf(q[*n].token, sizeof q[*n].token, "%s", w->token);
    (*n)++;
}

static void fire(struct os *os, const char *path)
{
    for (unsigned i = 0; i < os->nw; i++)
        if (xs_path_under(path, os->w[i].path) || xs_path_under(os->w[i].path, path))
            queue(os, &os->w[i], path);
}

static const char *abs_path(const char *path, char *buf, size_t size)
{
    if (path[0] == '/')
        return path;
    snprintf(buf, size, "/local/domain/1/%s", path);
    return buf;
}

void tnh_write(struct os *os, const char *path, const char *val)
{
    uint32_t h = xs_path_hash(path);
    for (unsigned i = 0; i < os->nkv; i++)
        if (os->kv[i].hash == h && strcmp(os->kv[i].path, path) == 0) {
            free(os->kv[i].val);
            os->kv[i].val = strdup(val);
            fire(os, path);
            return;
        }
    if (os->nkv == MAX_NODES)
        abort();
    os->kv[os->nkv].hash = h;
    os->kv[os->nkv].path = strdup(path);
    os->kv[os->nkv].val = strdup(val);
    os->nkv++;
    fire(os, path);
}

void tnh_rm(struct os *os, const char *path)
{
    for (unsigned i = 0; i < os->nkv;) {
        if (xs_path_under(os->kv[i].path, path)) {
            free(os->kv[i].path);
            free(os->kv[i].val);
            os->kv[i] = os->kv[--os->nkv];
        } else {
            i++;
        }
    }
    fire(os, path);
}

const char *tnh_read(struct os *os, const char *path)
{
    uint32_t h = xs_path_hash(path);
    for (unsigned i = 0; i < os->nkv; i++)
        if (os->kv[i].hash == h && strcmp(os->kv[i].path, path) == 0)
            return os->kv[i].val;
    /* A directory with children reads as "". */
    for (unsigned i = 0; i < os->nkv; i++)
        if (xs_path_under(os->kv[i].path, path))
            return "";
    return NULL;
}

static int add_watch(struct os *os, const char *path, const char *token, bool be)
{
    if (os->nw == MAX_WATCHES)
        return -ENOSPC;
    struct watch *w = &os->w[os->nw++];
    snprintf(w->path, sizeof w->path, "%s", path);
    snprintf(w->token, sizeof w->token, "%s", token);
    w->be = be;
    queue(os, w, path);
    return 0;
}

static int del_watch(struct os *os, const char *path, const char *token, bool be)
{
    for (unsigned i = 0; i < os->nw; i++)
        if (os->w[i].be == be && !strcmp(os->w[i].path, path) && !strcmp(os->w[i].token, token)) {
            os->w[i] = os->w[--os->nw];
            return 0;
        }
    return -ENOENT;
}

void tnh_toolstack(struct os *os)
{
    tnh_write(os, TNH_BE "/frontend", TNH_FE);
    tnh_write(os, TNH_BE "/frontend-id", "1");
    tnh_write(os, TNH_BE "/online", "1");
    tnh_write(os, TNH_BE "/mac", TNH_MAC);
    tnh_write(os, TNH_BE "/handle", "0");
    tnh_write(os, TNH_BE "/type", "vif");
    tnh_write(os, TNH_BE "/state", "1");
    tnh_write(os, TNH_FE "/backend", TNH_BE);
    tnh_write(os, TNH_FE "/backend-id", "0");
    tnh_write(os, TNH_FE "/handle", "0");
    tnh_write(os, TNH_FE "/mac", TNH_MAC);
    tnh_write(os, TNH_FE "/state", "1");
}

/* ---- the guest's os.h ---- */
struct os *tnh_new(void);
const struct nb_env *tnh_env(struct os *os)
{
    return &os->env;
}
const char *tnh_log(struct os *os)
{
    return os->log;
}
void tnh_poison_ref(struct os *os, grant_ref_t ref)
{
    os->poison = ref;
}
unsigned tnh_maps(struct os *os)
{
    return os->maps;
}
void tnh_mark(struct os *os)
{
    os->mark.next_ref = os->next_ref;
    os->mark.maps = os->maps;
    os->mark.fe_n = os->fe_n;
    os->mark.be_n = os->be_n;
    memcpy(os->mark.p, os->p, sizeof os->p);
    os->mark.log_len = os->log_len;
}
void tnh_rewind(struct os *os)
{
    /* The pages behind them stay with whoever shared them. */
    for (grant_ref_t r = os->mark.next_ref; r < os->next_ref && r < MAX_REFS; r++)
        os->g[r].used = false;
    os->next_ref = os->mark.next_ref;
    os->maps = os->mark.maps;
    os->fe_n = os->mark.fe_n;
    os->be_n = os->mark.be_n;
    memcpy(os->p, os->mark.p, sizeof os->p);
    os->log_len = os->mark.log_len;
    os->log[os->log_len] = '\0';
}
void *tnh_gref(struct os *os, grant_ref_t ref)
{
    return ref < MAX_REFS && os->g[ref].used ? os->g[ref].page : NULL;
}

void os_log(struct os *os, enum os_log_level level, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(os->log + os->log_len, sizeof os->log - os->log_len, fmt, ap);
    va_end(ap);
    if (n > 0 && os->log_len + (size_t)n + 2 < sizeof os->log) {
        os->log_len += (size_t)n;
        os->log[os->log_len++] = '\n';
        os->log[os->log_len] = '\0';
    }
}

/* Not hosted/pages.c: the pool of page_pool.h. */
void *os_pages_alloc(struct os *os, unsigned npages)
{
    return page_pool_take(npages);
}
void os_pages_free(struct os *os, void *va, unsigned npages)
{
    page_pool_give(va, npages);
}

int os_share_pages(struct os *os, domid_t peer, unsigned npages, bool writable, void **va,
                   grant_ref_t *refs)
{
    if (os->next_ref + npages >= MAX_REFS)
        return -OS_ENOSPC;
    uint8_t *p = os_pages_alloc(os, npages);
    if (!p)
        return -OS_ENOMEM;
    for (unsigned i = 0; i < npages; i++) {
        grant_ref_t r = os->next_ref++;
        os->g[r] = (struct gref){ .page = p + (size_t)i * OS_PAGE_SIZE,
                                  .used = true,
                                  .readonly = !writable };
        refs[i] = r;
    }
    *va = p;
    return 0;
}

int os_unshare_pages(struct os *os, void *va, unsigned npages)
{
    for (grant_ref_t r = 0; r < os->next_ref && r < MAX_REFS; r++)
        if (os->g[r].used && (uint8_t *)os->g[r].page >= (uint8_t *)va &&
            (uint8_t *)os->g[r].page < (uint8_t *)va + (size_t)npages * OS_PAGE_SIZE)
            os->g[r].used = false;
    page_pool_give(va, npages);
    return 0;
}
int os_grant_access(struct os *os, domid_t peer, const void *page, bool ro, grant_ref_t *ref)
{
    return -OS_EINVAL;
}
int os_end_access(struct os *os, grant_ref_t ref)
{
    return 0;
}

static int port_alloc(struct os *os, bool fe)
{
    for (int i = 1; i < MAX_PORTS; i++)
        if (!os->p[i].used) {
            os->p[i] = (struct port){ .used = true, .fe = fe, .peer = 0 };
            return i;
        }
    return -ENOSPC;
}
int os_evtchn_alloc_unbound(struct os *os, domid_t peer, evtchn_port_t *port)
{
    int p = port_alloc(os, true);
    if (p < 0)
        return p;
    *port = (evtchn_port_t)p;
    return 0;
}
static void raise_peer(struct os *os, evtchn_port_t port)
{
    if (port < MAX_PORTS && os->p[port].used && os->p[port].peer)
        os->p[os->p[port].peer].pending = true;
}
int os_evtchn_notify(struct os *os, evtchn_port_t port)
{
    raise_peer(os, port);
    return 0;
}
int os_evtchn_close(struct os *os, evtchn_port_t port)
{
    if (port < MAX_PORTS) {
        if (os->p[port].peer)
            os->p[os->p[port].peer].peer = 0;
        os->p[port].used = false;
    }
    return 0;
}
static int next_pending(struct os *os, bool fe, evtchn_port_t *port)
{
    for (int i = 1; i < MAX_PORTS; i++)
        if (os->p[i].used && os->p[i].fe == fe && os->p[i].pending) {
            os->p[i].pending = false;
            *port = (evtchn_port_t)i;
            return 1;
        }
    return 0;
}
int os_evtchn_next_pending(struct os *os, evtchn_port_t *port)
{
    return next_pending(os, true, port);
}

int os_xs_read(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    char a[256];
    const char *v = tnh_read(os, abs_path(path, a, sizeof a));
    if (!v)
        return -OS_ENOENT;
    if (strlen(v) + 1 > size)
        return -OS_E2BIG;
    strcpy(buf, v);
    return (int)strlen(v);
}
int os_xs_write(struct os *os, os_xs_tx tx, const char *path, const char *value)
{
    char a[256];
    tnh_write(os, abs_path(path, a, sizeof a), value);
    return 0;
}
int os_xs_mkdir(struct os *os, os_xs_tx tx, const char *path)
{
    return 0;
}
int os_xs_rm(struct os *os, os_xs_tx tx, const char *path)
{
    char a[256];
    tnh_rm(os, abs_path(path, a, sizeof a));
    return 0;
}
int os_xs_directory(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    return 0;
}
int os_xs_tx_start(struct os *os, os_xs_tx *tx)
{
    *tx = 1;
    return 0;
}
int os_xs_tx_end(struct os *os, os_xs_tx tx, bool abort)
{
    return 0;
}
int os_xs_watch(struct os *os, const char *path, const char *token)
{
    char a[256];
    return add_watch(os, abs_path(path, a, sizeof a), token, false);
}
int os_xs_unwatch(struct os *os, const char *path, const char *token)
{
    char a[256];
    return del_watch(os, abs_path(path, a, sizeof a), token, false);
}
int os_xs_next_watch(struct os *os, char *path, size_t ps, char *token, size_t ts)
{
    if (!os->fe_n)
        return 0;
    snprintf(path, ps, "%s", os->fe_q[0].path);
    snprintf(token, ts, "%s", os->fe_q[0].token);
    memmove(os->fe_q, os->fe_q + 1, --os->fe_n * sizeof os->fe_q[0]);
    return 1;
}
domid_t os_domid(struct os *os)
{
    return 1;
}
uint64_t os_now_ns(struct os *os)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
int os_wait(struct os *os, uint64_t deadline_ns)
{
    return 1;
}
long os_console_write(struct os *os, const void *buf, size_t len)
{
    return (long)len;
}

/* ---- the backend's nb_env ---- */
static int be_read(void *ctx, const char *path, char *buf, size_t size)
{
    const char *v = tnh_read(ctx, path);
    if (!v)
        return -ENOENT;
    if (strlen(v) + 1 > size)
        return -E2BIG;
    strcpy(buf, v);
    return (int)strlen(v);
}
static int be_write(void *ctx, const char *path, const char *val)
{
    tnh_write(ctx, path, val);
    return 0;
}
static int be_watch(void *ctx, const char *path, const char *token)
{
    return add_watch(ctx, path, token, true);
}
static int be_unwatch(void *ctx, const char *path, const char *token)
{
    return del_watch(ctx, path, token, true);
}
static void *be_map(void *ctx, domid_t dom, grant_ref_t ref, int *err)
{
    struct os *os = ctx;
    if (dom != 1 || ref >= MAX_REFS || !os->g[ref].used || os->g[ref].readonly) {
        *err = -EINVAL;
        return NULL;
    }
    os->maps++;
    return os->g[ref].page;
}
static void be_unmap(void *ctx, void *page)
{
    ((struct os *)ctx)->maps--;
}
static int be_copy(void *ctx, domid_t dom, struct nb_copy *ops, unsigned n)
{
    struct os *os = ctx;
    for (unsigned i = 0; i < n; i++) {
        struct nb_copy *c = &ops[i];
        if (dom != 1 || c->ref >= MAX_REFS || !os->g[c->ref].used || c->ref == os->poison ||
            (c->to_guest && os->g[c->ref].readonly)) {
            c->status = GNTST_bad_gntref;
            continue;
        }
        if ((uint32_t)c->offset + c->len > OS_PAGE_SIZE) {
            c->status = GNTST_bad_copy_arg;
            continue;
        }
        uint8_t *page = (uint8_t *)os->g[c->ref].page + c->offset;
        if (c->to_guest)
            memcpy(page, c->local, c->len);
        else
            memcpy(c->local, page, c->len);
        c->status = GNTST_okay;
    }
    return 0;
}
static int be_bind(void *ctx, domid_t dom, evtchn_port_t remote, evtchn_port_t *local)
{
    struct os *os = ctx;
    if (dom != 1 || remote >= MAX_PORTS || !os->p[remote].used || !os->p[remote].fe ||
        os->p[remote].peer)
        return -EINVAL;
    int p = port_alloc(os, false);
    if (p < 0)
        return p;
    os->p[p].peer = (int)remote;
    os->p[remote].peer = p;
    *local = (evtchn_port_t)p;
    return 0;
}
static void be_unbind(void *ctx, evtchn_port_t local)
{
    os_evtchn_close(ctx, local);
}
static void be_notify(void *ctx, evtchn_port_t local)
{
    raise_peer(ctx, local);
}

int tnh_be_next_watch(struct os *os, char *token, size_t size)
{
    if (!os->be_n)
        return 0;
    snprintf(token, size, "%s", os->be_q[0].token);
    memmove(os->be_q, os->be_q + 1, --os->be_n * sizeof os->be_q[0]);
    return 1;
}
int tnh_be_next_event(struct os *os, evtchn_port_t *port)
{
    return next_pending(os, false, port);
}

#ifdef SPLITBED_FUZZ
/* The last host freed, kept for the next tnh_new (fuzz targets build one
 * per input): clearing the parts of it that were used costs less than
 * faulting in a fresh one of several hundred KiB. */
static struct os *spare;

static void clear_used(struct os *os)
{
    memset(os->kv, 0, os->nkv * sizeof(os->kv[0]));
    memset(os->w, 0, os->nw * sizeof(os->w[0]));
    memset(os->fe_q, 0, os->fe_n * sizeof(os->fe_q[0]));
    memset(os->be_q, 0, os->be_n * sizeof(os->be_q[0]));
    memset(os->g, 0, (os->next_ref < MAX_REFS ? os->next_ref : MAX_REFS) * sizeof(os->g[0]));
    os->nkv = os->nw = os->fe_n = os->be_n = 0;
    os->next_ref = os->poison = 0;
    os->maps = 0;
    memset(os->p, 0, sizeof(os->p));
    memset(&os->env, 0, sizeof(os->env));
    os->log[0] = '\0';
    os->log_len = 0;
    memset(&os->mark, 0, sizeof(os->mark));
}
#endif

struct os *tnh_new(void)
{
    struct os *os = NULL;
#ifdef SPLITBED_FUZZ
    os = spare;
    spare = NULL;
    if (os)
        clear_used(os);
#endif
    if (!os)
        os = calloc(1, sizeof *os);
    if (!os)
        abort();
    os->next_ref = 8; /* refs 0-7 are never handed out, as in Xen */
    static const struct nb_env_ops ops = {
        .xs_read = be_read,
        .xs_write = be_write,
        .xs_watch = be_watch,
        .xs_unwatch = be_unwatch,
        .map = be_map,
        .unmap = be_unmap,
        .copy = be_copy,
        .bind = be_bind,
        .unbind = be_unbind,
        .notify = be_notify,
    };
    os->env = (struct nb_env){ .ops = &ops, .ctx = os };
    return os;
}

void tnh_free(struct os *os)
{
    for (unsigned i = 0; i < os->nkv; i++) {
        free(os->kv[i].path);
        free(os->kv[i].val);
    }
#ifdef SPLITBED_FUZZ
    if (!spare) {
        spare = os;
        return;
    }
#endif
    free(os);
}
