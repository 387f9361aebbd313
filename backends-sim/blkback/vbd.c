/*
 * vbd.c — one virtual block device's xenbus state machine (see vbd.h).
 */
#include "backends-sim/blkback/vbd.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/blkback/blkif_proto.h"
#include "backends-sim/blkback/image.h"
#include "backends-sim/blkback/ring.h"
#include <xen/io/protocols.h>
#include <xen/io/xenbus.h>

#define PATH_MAX_LEN 256

struct bb_vbd {
    uint64_t served; /* requests served over every connection */
    const struct bb_env *env;
    char be[PATH_MAX_LEN]; /* our directory */
    char fe[PATH_MAX_LEN]; /* the frontend's, from "frontend" */
    char fe_state[PATH_MAX_LEN + 8];
    char token[64];
    uint32_t frontid, devid;
    char name[32]; /* "vbd 51712" */
    bool probed, watching;
    struct bb_image *img;
    bool readonly;
    bool discard; /* knob and toolstack's discard-enable */
    int state;    /* what we last wrote */
    struct bb_ring *ring;
    uint32_t port;
    char ring_sig[512]; /* ring details we connected with */
    bool stale;         /* ring details left from an earlier backend */
    char stale_sig[512];
    uint64_t size_seen_ns;     /* when resize-on-io last looked at the image */
    struct bb_logger ring_log; /* the ring's lines, through ring_line() */
};

/* ---- small helpers ------------------------------------------------------ */

static struct bb_store *S(const struct bb_vbd *v)
{
    return v->env->store;
}

static char *rd(const struct bb_vbd *v, uint32_t tx, const char *dir, const char *key)
{
    char path[PATH_MAX_LEN + 64];
    snprintf(path, sizeof(path), "%s/%s", dir, key);
    return S(v)->ops->read(S(v), tx, path);
}

__attribute__((format(printf, 4, 5))) static int wr(const struct bb_vbd *v, uint32_t tx,
                                                    const char *key, const char *fmt, ...)
{
    char path[PATH_MAX_LEN + 64], val[64];
    snprintf(path, sizeof(path), "%s/%s", v->be, key);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof(val), fmt, ap);
    va_end(ap);
    return S(v)->ops->write(S(v), tx, path, val);
}

/* Reads dir/key as an unsigned number.  1 found, 0 absent, -1 malformed. */
static int rd_uint_tx(const struct bb_vbd *v, uint32_t tx, const char *dir, const char *key,
                      unsigned long *out)
{
    char *s = rd(v, tx, dir, key);
    if (!s)
        return 0;
    char *end;
    errno = 0;
    unsigned long x = strtoul(s, &end, 10);
    int rc = (!*s || *end || errno || *s == '-') ? -1 : 1;
    free(s);
    if (rc == 1)
        *out = x;
    return rc;
}

static int rd_uint(const struct bb_vbd *v, const char *dir, const char *key, unsigned long *out)
{
    return rd_uint_tx(v, 0, dir, key, out);
}

static void set_state(struct bb_vbd *v, uint32_t tx, int state)
{
    wr(v, tx, "state", "%d", state);
    if (tx == 0)
        v->state = state;
}

/* A frontend whose directory is gone had its domain destroyed (the
 * toolstack removes the directory first): a request of it that then
 * fails, a grant it can no longer map, breaks no rule. */
static bool frontend_gone(const struct bb_vbd *v)
{
    char *st = S(v)->ops->read(S(v), 0, v->fe_state);
    if (st) {
        free(st);
        return false;
    }
    return errno == ENOENT;
}

/* The ring's lines: a diagnosis about a frontend that is gone is told
 * as information, so the trace keeps only rules a live peer broke. */
static void ring_line(void *ctx, bool diagnosis, const char *text)
{
    const struct bb_vbd *v = ctx;
    if (diagnosis && frontend_gone(v)) {
        char line[512];
        snprintf(line, sizeof(line), "%s (its domain is gone)", text);
        v->env->log.line(v->env->log.ctx, false, line);
        return;
    }
    v->env->log.line(v->env->log.ctx, diagnosis, text);
}

/* Like xenbus_dev_fatal: say why under error/<nodename>, go to Closing. */
__attribute__((format(printf, 2, 3))) static void fatal(struct bb_vbd *v, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    bb_diag(&v->env->log, "blkback: dom%u %s: %s; device closing", v->frontid, v->name, msg);
    /* /local/domain/0/backend/vbd/1/51712 -> /local/domain/0/error/backend/vbd/1/51712/error */
    const char *rel = strstr(v->be, "/backend/");
    char path[PATH_MAX_LEN * 2];
    if (rel) {
        snprintf(path, sizeof(path), "%.*s/error%s/error", (int)(rel - v->be), v->be, rel);
        S(v)->ops->write(S(v), 0, path, msg);
    }
    set_state(v, 0, XenbusStateClosing);
}

static int frontend_state(const struct bb_vbd *v)
{
    unsigned long st;
    int rc = rd_uint(v, v->fe, "state", &st);
    if (rc <= 0 || st > XenbusStateReconfigured)
        return XenbusStateUnknown;
    return (int)st;
}

/* sectors, always in 512-byte units, rounded down to whole logical sectors */
static uint64_t disk_sectors(const struct bb_vbd *v)
{
    uint64_t ss = v->env->params->sector_size;
    return bb_image_bytes(v->img) / ss * (ss / 512);
}

/* ---- publishing ----------------------------------------------------------- */

static void publish_probe_nodes(struct bb_vbd *v, uint32_t tx)
{
    const struct bb_params *p = v->env->params;
    if (p->max_indirect_segments)
        wr(v, tx, "feature-max-indirect-segments", "%u", p->max_indirect_segments);
    if (p->max_queues)
        wr(v, tx, "multi-queue-max-queues", "%u", p->max_queues);
    if (p->max_ring_page_order >= 0)
        wr(v, tx, "max-ring-page-order", "%d", p->max_ring_page_order);
}

static void publish_disk_and_features(struct bb_vbd *v, uint32_t tx)
{
    const struct bb_params *p = v->env->params;
    wr(v, tx, "feature-flush-cache", "%d", p->flush);
    wr(v, tx, "feature-barrier", "%d", p->barrier);
    /* Grant copy keeps nothing mapped, so it cannot offer persistence. */
    wr(v, tx, "feature-persistent", "%d", p->persistent && !p->grant_copy);
    wr(v, tx, "feature-discard", "%d", v->discard);
    if (v->discard) {
        uint32_t pss = p->physical_sector_size ? p->physical_sector_size : p->sector_size;
        wr(v, tx, "discard-granularity", "%u",
           p->discard_granularity ? p->discard_granularity : pss);
        wr(v, tx, "discard-alignment", "%u", p->discard_alignment);
        wr(v, tx, "discard-secure", "%d", p->discard_secure);
    }
    wr(v, tx, "sectors", "%llu", (unsigned long long)disk_sectors(v));
    wr(v, tx, "info", "%u",
       (v->readonly ? VDISK_READONLY : 0) | (p->cdrom ? VDISK_CDROM : 0) |
           (p->removable ? VDISK_REMOVABLE : 0));
    wr(v, tx, "sector-size", "%u", p->sector_size);
    wr(v, tx, "physical-sector-size", "%u",
       p->physical_sector_size ? p->physical_sector_size : p->sector_size);
}

static void publish_everything(struct bb_vbd *v, uint32_t tx)
{
    publish_probe_nodes(v, tx);
    publish_disk_and_features(v, tx);
}

/* Runs fn inside a transaction, redoing it when the commit conflicts.
 * `state` >= 0 is written in the same transaction. */
static int in_transaction(struct bb_vbd *v, void (*fn)(struct bb_vbd *, uint32_t), int state)
{
    for (int attempt = 0; attempt < 100; attempt++) {
        uint32_t tx;
        int rc = S(v)->ops->tx_start(S(v), &tx);
        if (rc < 0)
            return rc;
        if (fn)
            fn(v, tx);
        if (state >= 0)
            wr(v, tx, "state", "%d", state);
        rc = S(v)->ops->tx_end(S(v), tx, false);
        if (rc == -EAGAIN)
            continue;
        if (rc == 0 && state >= 0)
            v->state = state;
        return rc;
    }
    return -EAGAIN;
}

/* The frontend's ring nodes as they stand, unvalidated: enough to tell
 * whether it has published a new ring since we last looked. */
static void raw_ring_signature(const struct bb_vbd *v, char *sig, size_t len)
{
    static const char *const keys[] = { "ring-page-order", "num-ring-pages", "ring-ref",
                                        "ring-ref0",       "ring-ref1",      "event-channel" };
    size_t n = 0;
    sig[0] = '\0';
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && n < len; i++) {
        char *val = rd(v, 0, v->fe, keys[i]);
        int w = snprintf(sig + n, len - n, "%s=%s;", keys[i], val ? val : "");
        free(val);
        if (w > 0)
            n += (size_t)w;
    }
}

/* ---- probe ---------------------------------------------------------------- */

/* The image file named by params.  Under backend/vbd params is the path
 * itself.  Under backend/qdisk, libxl writes FORMAT:PATH, as QEMU's disk
 * backend reads it: only raw images are served ("aio" is QEMU's old name
 * for raw); another format goes to Closing with the reason.  NULL after
 * fatal(). */
static const char *image_target(struct bb_vbd *v, const char *params)
{
    if (!strstr(v->be, "/backend/qdisk/") || params[0] == '/')
        return params;
    const char *colon = strchr(params, ':');
    if (!colon) {
        fatal(v, "params '%.64s' is not FORMAT:PATH", params);
        return NULL;
    }
    size_t n = (size_t)(colon - params);
    if (!((n == 3 && !strncmp(params, "raw", 3)) || (n == 3 && !strncmp(params, "aio", 3)))) {
        fatal(v, "params '%.64s': format '%.*s' is not served (only raw images are)", params,
              (int)(n > 16 ? 16 : n), params);
        return NULL;
    }
    return colon + 1;
}

static void probe(struct bb_vbd *v)
{
    const struct bb_params *p = v->env->params;
    char *fe = rd(v, 0, v->be, "frontend");
    char *params = rd(v, 0, v->be, "params");
    char *mode = rd(v, 0, v->be, "mode");
    if (!fe || !params) {
        /* The toolstack writes these in one transaction; until then this
         * is not a device yet. */
        free(fe);
        free(params);
        free(mode);
        return;
    }
    v->probed = true;
    if (strlen(fe) >= sizeof(v->fe) || fe[0] != '/') {
        fatal(v, "frontend path '%.64s%s' is not an absolute path under %zu bytes", fe,
              strlen(fe) > 64 ? "..." : "", sizeof(v->fe));
        free(fe);
        free(params);
        free(mode);
        return;
    }
    snprintf(v->fe, sizeof(v->fe), "%s", fe);
    snprintf(v->fe_state, sizeof(v->fe_state), "%s/state", fe);
    free(fe);

    /* A backend state past Initialising means an earlier backend process
     * served this device and died or stopped.  Whatever ring the frontend
     * still has may hold responses that process wrote but never published
     * over the requests they answer: never attach to it.  Say Closing, so
     * that the frontend drops that ring and starts over: a frontend that
     * saw the earlier backend only at InitWait (or never read its
     * Connected) would see no change in another InitWait and wait for
     * ever. */
    unsigned long prev;
    int fs0 = frontend_state(v);
    bool have_prev = rd_uint(v, v->be, "state", &prev) == 1;
    if (have_prev && prev > XenbusStateInitialising &&
        (fs0 == XenbusStateInitialised || fs0 == XenbusStateConnected)) {
        v->stale = true;
        raw_ring_signature(v, v->stale_sig, sizeof(v->stale_sig));
        bb_log(&v->env->log,
               "blkback: dom%u %s: an earlier backend left state %lu; closing the "
               "frontend's old connection so that it starts again",
               v->frontid, v->name, prev);
    }

    unsigned long fid;
    if (rd_uint(v, v->be, "frontend-id", &fid) == 1 && fid != v->frontid) {
        fatal(v, "frontend-id %lu does not match the directory's %u", fid, v->frontid);
        free(params);
        free(mode);
        return;
    }
    v->readonly = p->readonly || (mode && mode[0] != 'w');
    unsigned long de;
    v->discard =
        p->discard && !v->readonly && !(rd_uint(v, v->be, "discard-enable", &de) == 1 && de == 0);
    const char *target = image_target(v, params);
    if (!target) {
        free(params);
        free(mode);
        return;
    }
    int rc = bb_image_open(target, v->readonly, &v->img);
    if (rc < 0) {
        fatal(v, "cannot open params %s (%s mode): %s", params, v->readonly ? "r" : "w",
              strerror(-rc));
        free(params);
        free(mode);
        return;
    }
    bb_log(&v->env->log, "blkback: dom%u %s: serving %s (%s, %llu sectors of %u bytes)", v->frontid,
           v->name, params, v->readonly ? "read-only" : "read-write",
           (unsigned long long)disk_sectors(v) / (p->sector_size / 512), p->sector_size);
    free(params);
    free(mode);

    if (p->hotplug_status)
        wr(v, 0, "hotplug-status", "connected");
    /* Linux: only the transport limits before InitWait, the rest at
     * Connected (D1).  Mirage (skip-initwait): disk info up front, no
     * InitWait at all (D8). */
    bool early = p->features_at == BB_FEATURES_AT_PROBE || p->skip_initwait;
    if (v->stale) {
        in_transaction(v, early ? publish_everything : publish_probe_nodes, XenbusStateClosing);
    } else if (p->skip_initwait) {
        /* Initialising is the toolstack's word, left as it is; a state
         * an earlier backend process left (Closed after a crash in the
         * close handshake) would hold the frontend waiting for ever. */
        bool reset = have_prev && prev != XenbusStateInitialising;
        in_transaction(v, publish_everything, reset ? XenbusStateInitialising : -1);
        v->state = XenbusStateInitialising;
    } else {
        in_transaction(v, early ? publish_everything : publish_probe_nodes, XenbusStateInitWait);
    }

    snprintf(v->token, sizeof(v->token), "blkback-fe-%u-%u", v->frontid, v->devid);
    if (S(v)->ops->watch(S(v), v->fe_state, v->token) == 0)
        v->watching = true;
}

/* ---- connect / disconnect --------------------------------------------- */

static void disconnect(struct bb_vbd *v)
{
    if (v->ring) {
        bb_ring_close(v->ring);
        v->ring = NULL;
    }
    if (v->port) {
        v->env->evtchn->ops->unbind(v->env->evtchn, v->port);
        v->port = 0;
    }
    v->ring_sig[0] = '\0';
}

/* Reads the frontend's ring details into cfg and a signature string.
 * Returns 0, or -1 after fatal(). */
static int read_ring_details_tx(struct bb_vbd *v, uint32_t tx, struct bb_ring_config *cfg,
                                uint32_t *evtchn, char *sig, size_t siglen)
{
    const struct bb_params *p = v->env->params;
    unsigned long order = 0, x;
    int rc = rd_uint_tx(v, tx, v->fe, "ring-page-order", &order);
    if (rc < 0) {
        fatal(v, "frontend ring-page-order is not a number");
        return -1;
    }
    if (rc == 0) {
        /* Older frontends: num-ring-pages instead of an order. */
        unsigned long pages;
        int r2 = rd_uint_tx(v, tx, v->fe, "num-ring-pages", &pages);
        if (r2 < 0 ||
            (r2 == 1 && (pages == 0 || pages > BB_MAX_RING_PAGES || (pages & (pages - 1))))) {
            fatal(v, "frontend num-ring-pages is not a power of two up to %u", BB_MAX_RING_PAGES);
            return -1;
        }
        if (r2 == 1)
            while ((1ul << order) < pages)
                order++;
    }
    long max = p->max_ring_page_order;
    if (order > 0 && max < 0) {
        fatal(v, "frontend asked for ring-page-order %lu but multi-page rings are not offered",
              order);
        return -1;
    }
    if ((long)order > (max < 0 ? 0 : max)) {
        fatal(v, "requested ring page order %lu exceeds max-ring-page-order %ld", order, max);
        return -1;
    }
    cfg->nr_ring_pages = 1u << order;
    int n = snprintf(sig, siglen, "order=%lu", order);
    for (unsigned i = 0; i < cfg->nr_ring_pages; i++) {
        char key[32];
        snprintf(key, sizeof(key), "ring-ref%u", i);
        rc = rd_uint_tx(v, tx, v->fe, key, &x);
        /* One page: blkif.h says ring-ref; Linux also takes ring-ref0. */
        if (rc == 0 && cfg->nr_ring_pages == 1) {
            snprintf(key, sizeof(key), "ring-ref");
            rc = rd_uint_tx(v, tx, v->fe, key, &x);
        }
        if (rc <= 0 || x > UINT32_MAX) {
            fatal(v, "frontend %s %s", key, rc == 0 ? "missing" : "is not a grant reference");
            return -1;
        }
        cfg->ring_refs[i] = (grant_ref_t)x;
        n += snprintf(sig + n, siglen - (size_t)n, " %lu", x);
    }
    rc = rd_uint_tx(v, tx, v->fe, "event-channel", &x);
    if (rc <= 0 || x == 0 || x > UINT32_MAX) {
        fatal(v, "frontend event-channel %s", rc == 0 ? "missing" : "is not a port");
        return -1;
    }
    *evtchn = (uint32_t)x;
    snprintf(sig + n, siglen - (size_t)n, " evtchn=%lu", x);

    char *proto = rd(v, tx, v->fe, "protocol");
    if (proto && strcmp(proto, XEN_IO_PROTO_ABI_NATIVE) != 0) {
        fatal(v, "frontend protocol %s not supported (only %s)", proto, XEN_IO_PROTO_ABI_NATIVE);
        free(proto);
        return -1;
    }
    free(proto);
    unsigned long queues;
    rc = rd_uint_tx(v, tx, v->fe, "multi-queue-num-queues", &queues);
    if (rc < 0 || (rc == 1 && (queues == 0 || queues > (p->max_queues ? p->max_queues : 1)))) {
        fatal(v, "frontend multi-queue-num-queues must be 1 (multi-queue-max-queues %u)",
              p->max_queues ? p->max_queues : 1);
        return -1;
    }
    unsigned long fp = 0;
    cfg->persistent = p->persistent && !p->grant_copy &&
                      rd_uint_tx(v, tx, v->fe, "feature-persistent", &fp) == 1 && fp == 1;
    return 0;
}

/* The frontend writes its ring details in one transaction; read them in
 * one too, so a frontend rewriting them is never seen half-way. */
static int read_ring_details(struct bb_vbd *v, struct bb_ring_config *cfg, uint32_t *evtchn,
                             char *sig, size_t siglen)
{
    uint32_t tx = 0;
    if (S(v)->ops->tx_start(S(v), &tx) < 0)
        tx = 0;
    int rc = read_ring_details_tx(v, tx, cfg, evtchn, sig, siglen);
    if (tx)
        S(v)->ops->tx_end(S(v), tx, true);
    return rc;
}

static void connect_ring(struct bb_vbd *v)
{
    const struct bb_params *p = v->env->params;
    struct bb_ring_config cfg = {
        .frontend = (domid_t)v->frontid,
        .device = v->name,
        .max_indirect_segments = p->max_indirect_segments,
        .max_persistent_grants = p->max_persistent_grants,
        .persistent_map = p->persistent_map,
        .grant_copy = p->grant_copy,
        .flush = p->flush,
        .barrier = p->barrier,
        .discard = v->discard,
        .discard_secure = p->discard_secure,
        .discard_granularity = p->discard_granularity,
        .discard_alignment = p->discard_alignment,
        .sector_size = p->sector_size,
        .readonly = v->readonly,
        .strict = p->strict,
        .record = v->env->record,
        .record_ctx = v->env->record_ctx,
    };
    uint32_t remote;
    char sig[sizeof(v->ring_sig)];
    if (read_ring_details(v, &cfg, &remote, sig, sizeof(sig)) < 0)
        return;
    v->ring_log = (struct bb_logger){ .line = ring_line, .ctx = v };
    int rc = bb_ring_open(&cfg, v->env->mapper, v->img, &v->ring_log, &v->ring);
    if (rc < 0) {
        fatal(v, "mapping ring (%u page%s, ref %u): %s", cfg.nr_ring_pages,
              cfg.nr_ring_pages == 1 ? "" : "s", cfg.ring_refs[0], strerror(-rc));
        return;
    }
    rc = v->env->evtchn->ops->bind(v->env->evtchn, v->frontid, remote, &v->port);
    if (rc < 0) {
        v->port = 0;
        disconnect(v);
        fatal(v, "binding event channel %u: %s", remote, strerror(-rc));
        return;
    }
    snprintf(v->ring_sig, sizeof(v->ring_sig), "%s", sig);
    rc = in_transaction(v, publish_disk_and_features, XenbusStateConnected);
    if (rc < 0) {
        disconnect(v);
        fatal(v, "publishing the disk: %s", strerror(-rc));
        return;
    }
    bb_log(&v->env->log,
           "blkback: dom%u %s: connected: ring %u page%s, event channel %u, "
           "persistent grants %s, indirect %u%s",
           v->frontid, v->name, cfg.nr_ring_pages, cfg.nr_ring_pages == 1 ? "" : "s", remote,
           !cfg.persistent                    ? "off"
           : cfg.persistent_map == BB_PMAP_RW ? "on (mapped writable)"
                                              : "on (mapped by operation)",
           p->max_indirect_segments, p->grant_copy ? ", grant copy" : "");
    /* Requests may already be queued (a restarted backend, D12). */
    v->env->evtchn->ops->notify(v->env->evtchn, v->port);
    bb_vbd_serve(v, p->batch);
}

/* ---- the state machine --------------------------------------------------- */

void bb_vbd_step(struct bb_vbd *v)
{
    if (!v->probed) {
        probe(v);
        if (!v->probed)
            return;
    }
    if (!v->img)
        return; /* failed probe: stays Closing */
    int fs = frontend_state(v);
    switch (fs) {
    case XenbusStateInitialising:
        v->stale = false; /* the frontend is starting over */
        if (v->ring) {
            /* The frontend started over without closing (it saw us
             * restart): drop the old ring and wait for its new one. */
            disconnect(v);
            set_state(v, 0,
                      v->env->params->skip_initwait ? XenbusStateInitialising
                                                    : XenbusStateInitWait);
        } else if (v->state == XenbusStateClosed) {
            /* Linux: prepare for reconnect (D7). */
            set_state(v, 0,
                      v->env->params->skip_initwait ? XenbusStateInitialising
                                                    : XenbusStateInitWait);
        }
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        /* Closing: the frontend has not noticed yet (it answers Closed
         * first).  Closed: it did, and has started over so quickly that
         * its Initialising was never seen; connect, as Linux does when
         * two watches fire in close succession. */
        if (v->state == XenbusStateClosing)
            break;
        if (v->stale) {
            char sig[sizeof(v->stale_sig)];
            raw_ring_signature(v, sig, sizeof(sig));
            if (strcmp(sig, v->stale_sig) == 0)
                break;
            v->stale = false;
        }
        if (v->ring) {
            /* New ring details while connected: the frontend restarted
             * its side without closing.  Follow it. */
            struct bb_ring_config cfg;
            uint32_t remote;
            char sig[sizeof(v->ring_sig)];
            memset(&cfg, 0, sizeof(cfg));
            if (read_ring_details(v, &cfg, &remote, sig, sizeof(sig)) < 0) {
                disconnect(v);
                break;
            }
            if (strcmp(sig, v->ring_sig) == 0)
                break;
            bb_log(&v->env->log, "blkback: dom%u %s: frontend published a new ring; reconnecting",
                   v->frontid, v->name);
            disconnect(v);
        }
        connect_ring(v);
        break;
    case XenbusStateClosing:
        disconnect(v);
        if (v->state != XenbusStateClosing && v->state != XenbusStateClosed)
            set_state(v, 0, XenbusStateClosing);
        break;
    case XenbusStateClosed:
    case XenbusStateUnknown:
        disconnect(v);
        if (v->state != XenbusStateClosed)
            set_state(v, 0, XenbusStateClosed);
        break;
    default: /* InitWait, Reconfiguring…: nothing due */ break;
    }
}

/* Looking at the image costs a system call per batch; with a clock, one
 * look per resize-check-ms is enough for a resize to be noticed on I/O. */
static bool size_look_due(struct bb_vbd *v)
{
    uint64_t every = (uint64_t)v->env->params->resize_check_ms * 1000000u;
    if (!v->env->now_ns || !every)
        return true;
    uint64_t now = v->env->now_ns();
    if (v->size_seen_ns && now - v->size_seen_ns < every)
        return false;
    v->size_seen_ns = now;
    return true;
}

int bb_vbd_serve(struct bb_vbd *v, unsigned budget)
{
    if (!v->ring)
        return 0;
    if (v->env->params->resize_on_io && size_look_due(v))
        bb_vbd_check_resize(v);
    bool notify = false;
    struct bb_ring_stats before, after;
    bb_ring_stats(v->ring, &before);
    int rc = v->env->poll_rings ? bb_ring_serve_polled(v->ring, budget, &notify)
                                : bb_ring_serve(v->ring, budget, &notify);
    bb_ring_stats(v->ring, &after);
    v->served += after.requests - before.requests;
    if (notify && v->port)
        v->env->evtchn->ops->notify(v->env->evtchn, v->port);
    if (rc == -EPROTO) {
        disconnect(v);
        bb_diag(&v->env->log,
                "blkback: dom%u %s: frontend cut off after a protocol violation; "
                "device closing",
                v->frontid, v->name);
        set_state(v, 0, XenbusStateClosing);
        return 0;
    }
    return rc == 1;
}

bool bb_vbd_has_requests(const struct bb_vbd *v)
{
    return v->ring && bb_ring_has_requests(v->ring);
}

bool bb_vbd_arm(struct bb_vbd *v)
{
    return v->ring && bb_ring_arm(v->ring);
}

static void publish_sectors(struct bb_vbd *v, uint32_t tx)
{
    wr(v, tx, "sectors", "%llu", (unsigned long long)disk_sectors(v));
}

uint64_t bb_vbd_served(const struct bb_vbd *v)
{
    return v->served;
}

int bb_vbd_check_resize(struct bb_vbd *v)
{
    if (!v->img || !v->ring || v->state != XenbusStateConnected)
        return 0;
    if (bb_image_refresh(v->img) != 1)
        return 0;
    /* Re-writing the current state is what tells the frontend (D6). */
    if (in_transaction(v, publish_sectors, XenbusStateConnected) < 0)
        return 0;
    bb_log(&v->env->log, "blkback: dom%u %s: resized to %llu sectors", v->frontid, v->name,
           (unsigned long long)disk_sectors(v));
    return 1;
}

/* ---- lifetime ------------------------------------------------------------- */

struct bb_vbd *bb_vbd_new(const struct bb_env *env, const char *backend_path, uint32_t frontid,
                          uint32_t devid)
{
    struct bb_vbd *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->env = env;
    snprintf(v->be, sizeof(v->be), "%s", backend_path);
    v->frontid = frontid;
    v->devid = devid;
    snprintf(v->name, sizeof(v->name), "vbd %u", devid);
    v->state = XenbusStateInitialising;
    return v;
}

uint32_t bb_vbd_port(const struct bb_vbd *v)
{
    return v->ring ? v->port : 0;
}
int bb_vbd_state(const struct bb_vbd *v)
{
    return v->state;
}
bool bb_vbd_connected(const struct bb_vbd *v)
{
    return v->ring != NULL;
}
const char *bb_vbd_path(const struct bb_vbd *v)
{
    return v->be;
}

void bb_vbd_free(struct bb_vbd *v, bool closed)
{
    if (!v)
        return;
    disconnect(v);
    /* Not where the toolstack already removed the device: a write would
     * bring back a stray state node under a directory nobody owns. */
    char *st = closed && v->probed ? rd(v, 0, v->be, "state") : NULL;
    if (st)
        set_state(v, 0, XenbusStateClosed);
    free(st);
    if (v->watching)
        S(v)->ops->unwatch(S(v), v->fe_state, v->token);
    bb_image_close(v->img);
    free(v);
}
