/*
 * nb_vif.c — netback's xenbus side.  See nb_vif.h.
 */
#include "backends-sim/netback/nb_vif.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xen/io/xenbus.h>

struct nb_vif {
    const struct nb_env *env;
    struct nb_vif_opts opts;
    char be[160];
    char fe[160];
    char fe_state_path[200];
    domid_t fe_id;
    uint8_t mac[6];
    int state; /* ours, XenbusState */
    bool connected;
    bool want_close;
    bool done;
    char error[256];
    unsigned nq;
    struct {
        void *tx_page, *rx_page;
    } map[NB_MAX_QUEUES];
    struct nb_queue *q[NB_MAX_QUEUES];
};

static void vlog(struct nb_vif *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void vlog(struct nb_vif *v, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (v->opts.log)
        v->opts.log(v->opts.log_arg, line);
    else
        fprintf(stderr, "%s\n", line);
}

static int rd(struct nb_vif *v, const char *dir, const char *key, char *buf, size_t size)
{
    char path[256];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, key) >= sizeof path)
        return -E2BIG;
    return v->env->ops->xs_read(v->env->ctx, path, buf, size);
}

static int wr(struct nb_vif *v, const char *dir, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int wr(struct nb_vif *v, const char *dir, const char *key, const char *fmt, ...)
{
    char path[256], val[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(val, sizeof val, fmt, ap);
    va_end(ap);
    if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, key) >= sizeof path)
        return -E2BIG;
    return v->env->ops->xs_write(v->env->ctx, path, val);
}

/* Unsigned decimal that is the whole string, up to max. */
static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    if (!*s || *s == '-' || *s == '+' || *s == ' ')
        return -EINVAL;
    errno = 0;
    unsigned long n = strtoul(s, &end, 10);
    if (errno || *end || n > max)
        return -EINVAL;
    *out = n;
    return 0;
}

/* Absent = dflt; present but not a number = -EINVAL. */
static int rd_uint(struct nb_vif *v, const char *dir, const char *key, unsigned long max,
                   unsigned long dflt, unsigned long *out)
{
    char buf[32];
    int r = rd(v, dir, key, buf, sizeof buf);
    if (r == -ENOENT) {
        *out = dflt;
        return 0;
    }
    if (r < 0)
        return r;
    return parse_uint(buf, max, out);
}

static void set_state(struct nb_vif *v, int state)
{
    v->state = state;
    wr(v, v->be, "state", "%d", state);
}

static void disconnect(struct nb_vif *v)
{
    for (unsigned i = 0; i < NB_MAX_QUEUES; i++) {
        struct nb_queue *q = v->q[i];
        if (q) {
            if (q->port_rx && q->port_rx != q->port_tx)
                v->env->ops->unbind(v->env->ctx, q->port_rx);
            if (q->port_tx)
                v->env->ops->unbind(v->env->ctx, q->port_tx);
            free(q);
            v->q[i] = NULL;
        }
        if (v->map[i].tx_page)
            v->env->ops->unmap(v->env->ctx, v->map[i].tx_page);
        if (v->map[i].rx_page)
            v->env->ops->unmap(v->env->ctx, v->map[i].rx_page);
        v->map[i].tx_page = v->map[i].rx_page = NULL;
    }
    v->connected = false;
}

/* xenbus_dev_fatal: say why, leave an error node, Closing. */
static void fatal(struct nb_vif *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fatal(struct nb_vif *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v->error, sizeof v->error, fmt, ap);
    va_end(ap);
    vlog(v, "[netback] %s: frontend %u cut off: %s", v->be, (unsigned)v->fe_id, v->error);
    wr(v, v->be, "error", "%s", v->error);
    disconnect(v);
    set_state(v, XenbusStateClosing);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned b[6];
    char tail;
    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5], &tail) !=
            6 ||
        strlen(s) != 17)
        return -EINVAL;
    for (int i = 0; i < 6; i++)
        mac[i] = (uint8_t)b[i];
    return 0;
}

int nb_vif_new(const struct nb_env *env, const char *be_path, const struct nb_vif_opts *opts,
               struct nb_vif **out)
{
    struct nb_vif *v = calloc(1, sizeof *v);
    char buf[256];
    unsigned long id;
    int r;
    if (!v)
        return -ENOMEM;
    v->env = env;
    if (opts)
        v->opts = *opts;
    if (v->opts.max_queues == 0)
        v->opts.max_queues = 1;
    if (v->opts.max_queues > NB_MAX_QUEUES)
        v->opts.max_queues = NB_MAX_QUEUES;
    if ((size_t)snprintf(v->be, sizeof v->be, "%s", be_path) >= sizeof v->be) {
        vlog(v, "[netback] %s: backend path too long", be_path);
        r = -EINVAL;
        goto fail;
    }
    if ((r = rd(v, be_path, "frontend-id", buf, sizeof buf)) < 0 ||
        parse_uint(buf, DOMID_FIRST_RESERVED - 1, &id) < 0) {
        vlog(v, "[netback] %s/frontend-id: missing or not a domain id", be_path);
        r = -EINVAL;
        goto fail;
    }
    v->fe_id = (domid_t)id;
    if ((r = rd(v, be_path, "frontend", v->fe, sizeof v->fe)) < 0) {
        vlog(v, "[netback] %s/frontend: cannot read (error %d)", be_path, r);
        goto fail;
    }
    /* The frontend directory must lie in the frontend's own home. */
    char home[64];
    snprintf(home, sizeof home, "/local/domain/%u/", (unsigned)v->fe_id);
    if (strncmp(v->fe, home, strlen(home)) != 0 || strstr(v->fe, "..")) {
        vlog(v, "[netback] %s/frontend: %s is not under %s", be_path, v->fe, home);
        r = -EINVAL;
        goto fail;
    }
    if ((r = rd(v, be_path, "mac", buf, sizeof buf)) < 0 || parse_mac(buf, v->mac) < 0) {
        vlog(v, "[netback] %s/mac: missing or not a MAC address", be_path);
        r = -EINVAL;
        goto fail;
    }
    snprintf(v->fe_state_path, sizeof v->fe_state_path, "%s/state", v->fe);
    if ((r = wr(v, v->be, "feature-sg", "%d", v->opts.no_sg ? 0 : 1)) < 0 ||
        (r = wr(v, v->be, "feature-gso-tcpv4", "%d", v->opts.no_gso ? 0 : 1)) < 0 ||
        (r = wr(v, v->be, "feature-gso-tcpv6", "%d", v->opts.no_gso ? 0 : 1)) < 0 ||
        (r = wr(v, v->be, "feature-ipv6-csum-offload", "1")) < 0 ||
        (r = wr(v, v->be, "feature-rx-copy", "1")) < 0 ||
        (r = wr(v, v->be, "feature-rx-flip", "0")) < 0 ||
        (r = wr(v, v->be, "feature-split-event-channels", "%d", v->opts.no_split ? 0 : 1)) < 0 ||
        (r = wr(v, v->be, "multi-queue-max-queues", "%u", v->opts.max_queues)) < 0 ||
        (r = wr(v, v->be, "hotplug-status", "connected")) < 0) {
        vlog(v, "[netback] %s: cannot publish features (error %d)", be_path, r);
        goto fail;
    }
    set_state(v, XenbusStateInitWait);
    if ((r = env->ops->xs_watch(env->ctx, v->fe_state_path, v->be)) < 0) {
        vlog(v, "[netback] %s: cannot watch %s (error %d)", be_path, v->fe_state_path, r);
        goto fail;
    }
    *out = v;
    return 0;
fail:
    free(v);
    return r;
}

void nb_vif_free(struct nb_vif *v)
{
    if (!v)
        return;
    disconnect(v);
    v->env->ops->xs_unwatch(v->env->ctx, v->fe_state_path, v->be);
    free(v);
}

static int connect_queue(struct nb_vif *v, unsigned i, const char *dir)
{
    unsigned long tx_ref, rx_ref, ev_tx, ev_rx;
    int r;
    if (rd_uint(v, dir, "tx-ring-ref", UINT32_MAX, ~0ul, &tx_ref) < 0 || tx_ref == ~0ul ||
        rd_uint(v, dir, "rx-ring-ref", UINT32_MAX, ~0ul, &rx_ref) < 0 || rx_ref == ~0ul) {
        fatal(v, "%s: tx-ring-ref/rx-ring-ref missing or not a grant reference", dir);
        return -EINVAL;
    }
    if (rd_uint(v, dir, "event-channel-tx", UINT32_MAX, 0, &ev_tx) < 0 ||
        rd_uint(v, dir, "event-channel-rx", UINT32_MAX, 0, &ev_rx) < 0) {
        fatal(v, "%s: event-channel-tx/rx not a port number", dir);
        return -EINVAL;
    }
    bool split = ev_tx || ev_rx;
    if (split && (v->opts.no_split || !ev_tx || !ev_rx)) {
        fatal(v, "%s: split event channels %s", dir,
              v->opts.no_split ? "were not offered" : "need both event-channel-tx and -rx");
        return -EINVAL;
    }
    if (!split && (rd_uint(v, dir, "event-channel", UINT32_MAX, 0, &ev_tx) < 0 || !ev_tx)) {
        fatal(v, "%s: event-channel missing or not a port number", dir);
        return -EINVAL;
    }
    v->map[i].tx_page = v->env->ops->map(v->env->ctx, v->fe_id, (grant_ref_t)tx_ref, &r);
    if (!v->map[i].tx_page) {
        fatal(v, "%s: cannot map tx-ring-ref %lu (error %d)", dir, tx_ref, r);
        return r;
    }
    v->map[i].rx_page = v->env->ops->map(v->env->ctx, v->fe_id, (grant_ref_t)rx_ref, &r);
    if (!v->map[i].rx_page) {
        fatal(v, "%s: cannot map rx-ring-ref %lu (error %d)", dir, rx_ref, r);
        return r;
    }
    struct nb_queue *q = calloc(1, sizeof *q);
    if (!q) {
        fatal(v, "%s: out of memory", dir);
        return -ENOMEM;
    }
    v->q[i] = q;
    nb_queue_attach(q, v->env, v->fe_id, i, v->map[i].tx_page, v->map[i].rx_page);
    q->record = v->opts.record;
    q->record_ctx = v->opts.record_ctx;
    if ((r = v->env->ops->bind(v->env->ctx, v->fe_id, (evtchn_port_t)ev_tx, &q->port_tx)) < 0) {
        fatal(v, "%s: cannot bind event channel %lu (error %d)", dir, ev_tx, r);
        return r;
    }
    if (!split) {
        q->port_rx = q->port_tx;
    } else if ((r = v->env->ops->bind(v->env->ctx, v->fe_id, (evtchn_port_t)ev_rx, &q->port_rx)) <
               0) {
        fatal(v, "%s: cannot bind event channel %lu (error %d)", dir, ev_rx, r);
        return r;
    }
    return 0;
}

static int do_connect(struct nb_vif *v)
{
    unsigned long nq, rx_copy, rx_notify, sg, gso4, gso6, no_csum, csum6;
    if (rd_uint(v, v->fe, "multi-queue-num-queues", 0xffff, 1, &nq) < 0 || nq == 0 ||
        nq > v->opts.max_queues) {
        fatal(v, "%s/multi-queue-num-queues: must be 1..%u", v->fe, v->opts.max_queues);
        return -EINVAL;
    }
    if (rd_uint(v, v->fe, "request-rx-copy", 1, 0, &rx_copy) < 0 || !rx_copy) {
        fatal(v, "%s: frontend does not request rx-copy, the only receive mode", v->fe);
        return -EINVAL;
    }
    if (rd_uint(v, v->fe, "feature-rx-notify", 1, 0, &rx_notify) < 0 || !rx_notify) {
        fatal(v, "%s: frontend does not offer feature-rx-notify", v->fe);
        return -EINVAL;
    }
    if (rd_uint(v, v->fe, "feature-sg", 1, 0, &sg) < 0 ||
        rd_uint(v, v->fe, "feature-gso-tcpv4", 1, 0, &gso4) < 0 ||
        rd_uint(v, v->fe, "feature-gso-tcpv6", 1, 0, &gso6) < 0) {
        fatal(v, "%s: feature-sg/feature-gso-tcpv4/v6 must be 0 or 1", v->fe);
        return -EINVAL;
    }
    /* As Linux netback: blank IPv4 checksums unless the frontend says it
     * cannot take them, IPv6 only when it says it can. */
    if (rd_uint(v, v->fe, "feature-no-csum-offload", 1, 0, &no_csum) < 0 ||
        rd_uint(v, v->fe, "feature-ipv6-csum-offload", 1, 0, &csum6) < 0) {
        fatal(v, "%s: feature-no-csum-offload/feature-ipv6-csum-offload must be 0 or 1", v->fe);
        return -EINVAL;
    }
    v->nq = (unsigned)nq;
    for (unsigned i = 0; i < v->nq; i++) {
        char dir[200];
        if (nq == 1)
            snprintf(dir, sizeof dir, "%s", v->fe);
        else
            snprintf(dir, sizeof dir, "%s/queue-%u", v->fe, i);
        if (connect_queue(v, i, dir) < 0)
            return -EINVAL;
        v->q[i]->fe_sg = sg;
        v->q[i]->fe_gso4 = gso4 && sg;
        v->q[i]->fe_gso6 = gso6 && sg;
        v->q[i]->fe_csum4 = !no_csum;
        v->q[i]->fe_csum6 = csum6;
        v->q[i]->pass_csum_blank = v->opts.pass_csum_blank;
    }
    v->connected = true;
    /* Requests queued before we bound are seen: the owner serves every
     * connected vif on each pass of its loop, not only on events. */
    set_state(v, XenbusStateConnected);
    return 0;
}

int nb_vif_changed(struct nb_vif *v)
{
    char buf[32];
    unsigned long fe = XenbusStateUnknown;
    int before = v->state;
    int r = v->env->ops->xs_read(v->env->ctx, v->fe_state_path, buf, sizeof buf);
    if (r >= 0 && parse_uint(buf, XenbusStateReconfigured, &fe) < 0)
        fe = XenbusStateUnknown;
    /* Our own directory gone: the toolstack destroyed the device. */
    if (v->env->ops->xs_read(v->env->ctx, v->be, buf, sizeof buf) == -ENOENT &&
        rd(v, v->be, "frontend", buf, sizeof buf) == -ENOENT) {
        disconnect(v);
        v->done = true;
        return 1;
    }
    switch (fe) {
    case XenbusStateInitialising:
        /* Closing without an error of ours: the frontend closed and
         * started again before we read its Closed; that was its goodbye,
         * so this is a reconnect like the one from Closed. */
        if (v->state == XenbusStateClosing && !v->error[0] && !v->want_close) {
            disconnect(v);
            set_state(v, XenbusStateClosed);
        }
        if (v->state == XenbusStateClosed && !v->want_close)
            set_state(v, XenbusStateInitWait); /* reconnect (D7) */
        break;
    case XenbusStateInitialised:
    case XenbusStateConnected:
        if (v->state == XenbusStateInitWait && !v->error[0] && !v->want_close)
            do_connect(v);
        break;
    case XenbusStateClosing:
        disconnect(v);
        if (v->state != XenbusStateClosing)
            set_state(v, XenbusStateClosing);
        break;
    case XenbusStateClosed:
    case XenbusStateUnknown:
        disconnect(v);
        if (v->state != XenbusStateClosed)
            set_state(v, XenbusStateClosed);
        if (fe == XenbusStateClosed || r == -ENOENT)
            v->done = true;
        break;
    default: break; /* InitWait, Reconfiguring/Reconfigured (D14) */
    }
    return v->state != before;
}

void nb_vif_close(struct nb_vif *v)
{
    v->want_close = true;
    if (v->state != XenbusStateClosing && v->state != XenbusStateClosed)
        set_state(v, XenbusStateClosing);
}

int nb_vif_tx(struct nb_vif *v, unsigned budget, nb_deliver_fn deliver, void *arg)
{
    int total = 0;
    if (!v->connected)
        return 0;
    for (unsigned i = 0; i < v->nq; i++) {
        int r = nb_queue_tx(v->q[i], budget, deliver, arg);
        if (r < 0) {
            fatal(v, "queue %u: %s", i, v->q[i] ? v->q[i]->why : "broken");
            return -EPROTO;
        }
        total += r;
    }
    return total;
}

/* Keeps a flow on one queue: IPv4 addresses and ports pick it. */
static unsigned pick_queue(const struct nb_vif *v, const uint8_t *f, size_t len)
{
    if (v->nq == 1 || len < 38 || f[12] != 0x08 || f[13] != 0x00)
        return 0;
    unsigned h = 0;
    for (size_t i = 26; i < 38; i++)
        h = h * 31 + f[i];
    return h % v->nq;
}

int nb_vif_rx(struct nb_vif *v, const uint8_t *frame, size_t len, const struct nb_meta *meta)
{
    if (!v->connected)
        return -ENOTCONN;
    struct nb_queue *q = v->q[pick_queue(v, frame, len)];
    int r = nb_queue_rx(q, frame, len, meta);
    if (r == -EPROTO)
        fatal(v, "queue %u: %s", q->idx, q->why);
    return r;
}

int nb_vif_rx_add(struct nb_vif *v, const uint8_t *frame, size_t len, const struct nb_meta *meta)
{
    if (!v->connected)
        return -ENOTCONN;
    struct nb_queue *q = v->q[pick_queue(v, frame, len)];
    int r = nb_queue_rx_add(q, frame, len, meta);
    if (r == -EPROTO)
        fatal(v, "queue %u: %s", q->idx, q->why);
    return r;
}

void nb_vif_rx_flush(struct nb_vif *v)
{
    if (!v->connected)
        return;
    for (unsigned i = 0; i < v->nq; i++)
        nb_queue_rx_flush(v->q[i]);
}

const char *nb_vif_token(const struct nb_vif *v)
{
    return v->be;
}
const char *nb_vif_path(const struct nb_vif *v)
{
    return v->be;
}
domid_t nb_vif_frontend_id(const struct nb_vif *v)
{
    return v->fe_id;
}
void nb_vif_mac(const struct nb_vif *v, uint8_t mac[6])
{
    memcpy(mac, v->mac, 6);
}
bool nb_vif_connected(const struct nb_vif *v)
{
    return v->connected;
}
bool nb_vif_done(const struct nb_vif *v)
{
    return v->done;
}
const char *nb_vif_error(const struct nb_vif *v)
{
    return v->error[0] ? v->error : NULL;
}
unsigned nb_vif_num_queues(const struct nb_vif *v)
{
    return v->connected ? v->nq : 0;
}
struct nb_queue *nb_vif_queue(struct nb_vif *v, unsigned i)
{
    return i < v->nq ? v->q[i] : NULL;
}

bool nb_vif_has_port(const struct nb_vif *v, evtchn_port_t port)
{
    for (unsigned i = 0; i < NB_MAX_QUEUES; i++)
        if (v->q[i] && (v->q[i]->port_tx == port || v->q[i]->port_rx == port))
            return true;
    return false;
}
