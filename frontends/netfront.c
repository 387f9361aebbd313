/*
 * netfront.c — portable Xen network frontend.  See netfront.h.
 *
 * Buffers: every queue shares two pools of whole pages once, at connect —
 * one read-only page per tx slot id and one writable page per rx ring
 * slot — and keeps those grants for its lifetime.  So the backend only
 * ever sees pages that hold network data (XSA-403), and a frame costs one
 * copy and no grant operations.
 *
 * Rx slot i of the ring always uses rx buffer (i mod ring size) and carries
 * that number as its id; a response whose id is not its own slot number is
 * a backend bug and breaks the device.
 */
#include "netfront.h"
#include "os.h"

/* <xen/io/ring.h> calls memset; portable code routes it to the OS layer. */
#define memset(d, c, n) os_memset((d), (c), (n))
#include <xen/io/netif.h>
#include <xen/io/xenbus.h>

#define NF_RING __CONST_RING_SIZE(netif_tx, OS_PAGE_SIZE)
#define NF_RX_RING __CONST_RING_SIZE(netif_rx, OS_PAGE_SIZE)
#define NF_MAX_SLOTS XEN_NETIF_NR_SLOTS_MIN

_Static_assert(NF_RING == NF_RX_RING, "tx and rx rings have the same size");

struct nf_queue {
    struct netfront *nf;
    unsigned idx;
    netif_tx_front_ring_t tx;
    netif_rx_front_ring_t rx;
    void *tx_sring, *rx_sring;
    grant_ref_t tx_ring_ref, rx_ring_ref;
    evtchn_port_t port_tx, port_rx; /* equal when not split */
    uint8_t *tx_pages, *rx_pages;
    grant_ref_t tx_refs[NF_RING], rx_refs[NF_RING];
    uint16_t tx_free[NF_RING];
    unsigned tx_nfree;
    bool tx_busy[NF_RING];
    bool event; /* an event arrived since last poll */
};

enum nf_phase {
    PH_WAIT_BACKEND,
    PH_WAIT_CONNECTED,
    PH_CONNECTED,
    PH_CLOSING,
    PH_WAIT_BACKEND_CLOSE,
    PH_CLOSED,
    PH_BROKEN
};

struct netfront {
    struct os *os;
    char node[64];
    char backend[160];
    char token[80];
    char state_path[200];
    domid_t backend_id;
    uint8_t mac[6];
    struct netfront_opts opts;
    enum nf_phase phase;
    bool recheck;
    bool shared; /* queues hold shared pages */
    unsigned nq;
    bool split, sg, gso4, gso6, csum6;
    struct nf_queue q[NETFRONT_MAX_QUEUES];
    unsigned rx_next_q; /* round robin among queues for recv */
    struct netfront_stats st;
};

#define NF_ERR(nf, ...) os_log((nf)->os, OS_LOG_ERROR, __VA_ARGS__)

static void nf_broken(struct netfront *nf, const char *fmt, unsigned a, unsigned b)
{
    char msg[160];
    os_snprintf(msg, sizeof msg, fmt, a, b);
    os_log(nf->os, OS_LOG_ERROR,
           "[netfront] %s: backend %u broke the protocol: %s; device disabled", nf->node,
           (unsigned)nf->backend_id, msg);
    nf->phase = PH_BROKEN;
}

/* ---- xenstore helpers ------------------------------------------------- */

static int xs_read_rel(struct netfront *nf, const char *dir, const char *key, char *buf,
                       size_t size)
{
    char path[256];
    if (os_snprintf(path, sizeof path, "%s/%s", dir, key) >= (int)sizeof path)
        return -OS_E2BIG;
    return os_xs_read(nf->os, 0, path, buf, size);
}

/* Reads an unsigned backend node; absent means `dflt`. */
static unsigned be_uint(struct netfront *nf, const char *key, unsigned dflt)
{
    char v[32];
    uint64_t n;
    if (xs_read_rel(nf, nf->backend, key, v, sizeof v) < 0)
        return dflt;
    if (os_parse_u64(v, &n) < 0 || n > 0xffffffffu)
        return dflt;
    return (unsigned)n;
}

static int backend_state(struct netfront *nf)
{
    char v[16];
    uint64_t n;
    int r = os_xs_read(nf->os, 0, nf->state_path, v, sizeof v);
    if (r < 0)
        return r == -OS_ENOENT ? XenbusStateClosed : r;
    if (os_parse_u64(v, &n) < 0 || n > XenbusStateReconfigured)
        return XenbusStateUnknown;
    return (int)n;
}

/* Whether the backend has published an error (it cut a frontend off). */
static bool backend_has_error(struct netfront *nf)
{
    char v[256];
    return xs_read_rel(nf, nf->backend, "error", v, sizeof v) != -OS_ENOENT;
}

static int write_state(struct netfront *nf, os_xs_tx tx, int state)
{
    char path[128], v[8];
    os_snprintf(path, sizeof path, "%s/state", nf->node);
    os_snprintf(v, sizeof v, "%d", state);
    return os_xs_write(nf->os, tx, path, v);
}

static int xs_printf(struct netfront *nf, os_xs_tx tx, const char *dir, const char *key,
                     unsigned val)
{
    char path[160], v[16];
    if (os_snprintf(path, sizeof path, "%s/%s", dir, key) >= (int)sizeof path)
        return -OS_E2BIG;
    os_snprintf(v, sizeof v, "%u", val);
    return os_xs_write(nf->os, tx, path, v);
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = *s++;
            unsigned d;
            if (c >= '0' && c <= '9')
                d = (unsigned)(c - '0');
            else if (c >= 'a' && c <= 'f')
                d = (unsigned)(c - 'a' + 10);
            else if (c >= 'A' && c <= 'F')
                d = (unsigned)(c - 'A' + 10);
            else
                return -OS_EINVAL;
            v = v * 16 + d;
        }
        mac[i] = (uint8_t)v;
        if (i < 5 && *s++ != ':')
            return -OS_EINVAL;
    }
    return *s ? -OS_EINVAL : 0;
}

/* ---- queues ------------------------------------------------------------ */

static void queue_release(struct netfront *nf, struct nf_queue *q)
{
    struct os *os = nf->os;
    if (q->port_rx && q->port_rx != q->port_tx)
        os_evtchn_close(os, q->port_rx);
    if (q->port_tx)
        os_evtchn_close(os, q->port_tx);
    q->port_tx = q->port_rx = 0;
    /* -EBUSY: the backend still maps the pages; they stay ours forever. */
    if (q->tx_sring)
        os_unshare_pages(os, q->tx_sring, 1);
    if (q->rx_sring)
        os_unshare_pages(os, q->rx_sring, 1);
    if (q->tx_pages)
        os_unshare_pages(os, q->tx_pages, NF_RING);
    if (q->rx_pages)
        os_unshare_pages(os, q->rx_pages, NF_RING);
    q->tx_sring = q->rx_sring = NULL;
    q->tx_pages = q->rx_pages = NULL;
}

static void rx_post(struct nf_queue *q, RING_IDX upto)
{
    while (q->rx.req_prod_pvt < upto) {
        RING_IDX i = q->rx.req_prod_pvt;
        netif_rx_request_t *req = RING_GET_REQUEST(&q->rx, i);
        req->id = (uint16_t)(i & (NF_RING - 1));
        req->pad = 0;
        req->gref = q->rx_refs[i & (NF_RING - 1)];
        q->rx.req_prod_pvt = i + 1;
    }
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->rx, notify);
    /* Only a Connected backend has bound its end (before, a notify is
     * refused; after, it takes no more frames): buffers are still
     * returned, silently, and becoming Connected kicks the backend. */
    if (notify && q->nf->phase == PH_CONNECTED)
        os_evtchn_notify(q->nf->os, q->port_rx);
}

static int queue_setup(struct netfront *nf, struct nf_queue *q, unsigned idx)
{
    struct os *os = nf->os;
    int r;
    q->nf = nf;
    q->idx = idx;
    if ((r = os_share_pages(os, nf->backend_id, 1, true, &q->tx_sring, &q->tx_ring_ref)) < 0 ||
        (r = os_share_pages(os, nf->backend_id, 1, true, &q->rx_sring, &q->rx_ring_ref)) < 0 ||
        (r = os_share_pages(os, nf->backend_id, NF_RING, false, (void **)&q->tx_pages,
                            q->tx_refs)) < 0 ||
        (r = os_share_pages(os, nf->backend_id, NF_RING, true, (void **)&q->rx_pages, q->rx_refs)) <
            0) {
        NF_ERR(nf, "[netfront] %s: cannot share queue %u pages with domain %u (error %d)", nf->node,
               idx, (unsigned)nf->backend_id, r);
        return r;
    }
    SHARED_RING_INIT((netif_tx_sring_t *)q->tx_sring);
    FRONT_RING_INIT(&q->tx, (netif_tx_sring_t *)q->tx_sring, OS_PAGE_SIZE);
    SHARED_RING_INIT((netif_rx_sring_t *)q->rx_sring);
    FRONT_RING_INIT(&q->rx, (netif_rx_sring_t *)q->rx_sring, OS_PAGE_SIZE);
    for (unsigned i = 0; i < NF_RING; i++) {
        q->tx_free[i] = (uint16_t)(NF_RING - 1 - i);
        q->tx_busy[i] = false;
    }
    q->tx_nfree = NF_RING;
    if ((r = os_evtchn_alloc_unbound(os, nf->backend_id, &q->port_tx)) < 0)
        goto evt_fail;
    if (nf->split) {
        if ((r = os_evtchn_alloc_unbound(os, nf->backend_id, &q->port_rx)) < 0)
            goto evt_fail;
    } else {
        q->port_rx = q->port_tx;
    }
    return 0;
evt_fail:
    NF_ERR(nf, "[netfront] %s: cannot allocate an event channel for queue %u (error %d)", nf->node,
           idx, r);
    return r;
}

static int write_queue_keys(struct netfront *nf, os_xs_tx tx, struct nf_queue *q, const char *dir)
{
    int r;
    if ((r = xs_printf(nf, tx, dir, "tx-ring-ref", q->tx_ring_ref)) < 0 ||
        (r = xs_printf(nf, tx, dir, "rx-ring-ref", q->rx_ring_ref)) < 0)
        return r;
    if (nf->split) {
        if ((r = xs_printf(nf, tx, dir, "event-channel-tx", q->port_tx)) < 0 ||
            (r = xs_printf(nf, tx, dir, "event-channel-rx", q->port_rx)) < 0)
            return r;
    } else if ((r = xs_printf(nf, tx, dir, "event-channel", q->port_tx)) < 0) {
        return r;
    }
    return 0;
}

static int write_keys(struct netfront *nf, os_xs_tx tx)
{
    int r;
    const char *d = nf->node;
    if (nf->nq == 1) {
        if ((r = write_queue_keys(nf, tx, &nf->q[0], d)) < 0)
            return r;
    } else {
        if ((r = xs_printf(nf, tx, d, "multi-queue-num-queues", nf->nq)) < 0)
            return r;
        for (unsigned i = 0; i < nf->nq; i++) {
            char qdir[96];
            os_snprintf(qdir, sizeof qdir, "%s/queue-%u", d, i);
            if ((r = write_queue_keys(nf, tx, &nf->q[i], qdir)) < 0)
                return r;
        }
    }
    if ((r = xs_printf(nf, tx, d, "request-rx-copy", 1)) < 0 ||
        (r = xs_printf(nf, tx, d, "feature-rx-notify", 1)) < 0 ||
        (r = xs_printf(nf, tx, d, "feature-sg", nf->opts.no_sg ? 0 : 1)) < 0 ||
        (r = xs_printf(nf, tx, d, "feature-gso-tcpv4", nf->opts.no_gso ? 0 : 1)) < 0 ||
        (r = xs_printf(nf, tx, d, "feature-gso-tcpv6", nf->opts.no_gso ? 0 : 1)) < 0 ||
        (r = xs_printf(nf, tx, d, "feature-ipv6-csum-offload", nf->opts.no_csum_offload ? 0 : 1)) <
            0)
        return r;
    /* Linux netfront leaves the key out: checksum offload is the default. */
    if (nf->opts.no_csum_offload && (r = xs_printf(nf, tx, d, "feature-no-csum-offload", 1)) < 0)
        return r;
    return write_state(nf, tx, XenbusStateConnected);
}

/* The backend reached InitWait (or later): read its offer and connect. */
static int nf_connect(struct netfront *nf)
{
    if (!be_uint(nf, "feature-rx-copy", 0)) {
        NF_ERR(nf, "[netfront] %s: backend %s does not offer feature-rx-copy; cannot receive",
               nf->node, nf->backend);
        return -OS_EOPNOTSUPP;
    }
    unsigned maxq = be_uint(nf, "multi-queue-max-queues", 1);
    unsigned want = nf->opts.max_queues ? nf->opts.max_queues : 1;
    if (want > NETFRONT_MAX_QUEUES)
        want = NETFRONT_MAX_QUEUES;
    nf->nq = want < maxq ? want : maxq;
    if (nf->nq == 0)
        nf->nq = 1;
    nf->split = !nf->opts.no_split_evtchn && be_uint(nf, "feature-split-event-channels", 0);
    nf->sg = !nf->opts.no_sg && be_uint(nf, "feature-sg", 0);
    nf->gso4 = !nf->opts.no_gso && be_uint(nf, "feature-gso-tcpv4", 0);
    nf->gso6 = !nf->opts.no_gso && be_uint(nf, "feature-gso-tcpv6", 0);
    nf->csum6 = be_uint(nf, "feature-ipv6-csum-offload", 0);

    nf->shared = true;
    for (unsigned i = 0; i < nf->nq; i++) {
        int r = queue_setup(nf, &nf->q[i], i);
        if (r < 0)
            return r;
    }
    for (;;) {
        os_xs_tx tx;
        int r = os_xs_tx_start(nf->os, &tx);
        if (r < 0)
            return r;
        r = write_keys(nf, tx);
        if (r < 0) {
            os_xs_tx_end(nf->os, tx, true);
            NF_ERR(nf, "[netfront] %s: cannot write ring details (error %d)", nf->node, r);
            return r;
        }
        r = os_xs_tx_end(nf->os, tx, false);
        if (r == -OS_EAGAIN)
            continue;
        if (r < 0)
            return r;
        break;
    }
    for (unsigned i = 0; i < nf->nq; i++)
        rx_post(&nf->q[i], NF_RING);
    os_log(nf->os, OS_LOG_INFO,
           "[netfront] %s: %u queue%s, %s event channel%s, sg %s, gso %s, checksum offload %s",
           nf->node, nf->nq, nf->nq == 1 ? "" : "s", nf->split ? "split" : "shared",
           nf->split ? "s" : "", nf->sg ? "on" : "off", (nf->gso4 || nf->gso6) ? "on" : "off",
           nf->opts.no_csum_offload ? "tx only"
           : nf->csum6              ? "on (ipv4, ipv6)"
                                    : "on (ipv4)");
    return 0;
}

/* ---- opening ----------------------------------------------------------- */

int netfront_open(struct os *os, const char *node, const struct netfront_opts *opts,
                  struct netfront **out)
{
    struct netfront *nf = os_calloc(os, 1, sizeof *nf);
    char v[32];
    uint64_t id;
    int r;
    if (!nf)
        return -OS_ENOMEM;
    nf->os = os;
    if (opts)
        nf->opts = *opts;
    if (os_snprintf(nf->node, sizeof nf->node, "%s", node) >= (int)sizeof nf->node) {
        os_log(os, OS_LOG_ERROR, "[netfront] %s: device path too long", node);
        r = -OS_EINVAL;
        goto fail;
    }
    if ((r = xs_read_rel(nf, node, "backend", nf->backend, sizeof nf->backend)) < 0) {
        os_log(os, OS_LOG_ERROR, "[netfront] %s/backend: cannot read (error %d)", node, r);
        goto fail;
    }
    if ((r = xs_read_rel(nf, node, "backend-id", v, sizeof v)) < 0 || os_parse_u64(v, &id) < 0 ||
        id >= 0x7ff0) {
        os_log(os, OS_LOG_ERROR, "[netfront] %s/backend-id: missing or not a domain id", node);
        r = -OS_EINVAL;
        goto fail;
    }
    nf->backend_id = (domid_t)id;
    if ((r = xs_read_rel(nf, node, "mac", v, sizeof v)) < 0 || parse_mac(v, nf->mac) < 0) {
        os_log(os, OS_LOG_ERROR, "[netfront] %s/mac: missing or not a MAC address", node);
        r = -OS_EINVAL;
        goto fail;
    }
    os_snprintf(nf->state_path, sizeof nf->state_path, "%s/state", nf->backend);
    os_snprintf(nf->token, sizeof nf->token, "netfront:%s", node);
    if ((r = os_xs_watch(os, nf->state_path, nf->token)) < 0) {
        os_log(os, OS_LOG_ERROR, "[netfront] %s: cannot watch (error %d)", nf->state_path, r);
        goto fail;
    }
    /* Initialising: a backend that served an earlier run of this device
     * (now Closed) takes it as the sign to prepare again (D7). */
    if ((r = write_state(nf, 0, XenbusStateInitialising)) < 0) {
        os_log(os, OS_LOG_ERROR, "[netfront] %s/state: cannot write (error %d)", node, r);
        os_xs_unwatch(os, nf->state_path, nf->token);
        goto fail;
    }
    nf->phase = PH_WAIT_BACKEND;
    nf->recheck = true;
    *out = nf;
    return 0;
fail:
    os_free(os, nf);
    return r;
}

/* ---- transmit ----------------------------------------------------------- */

static int tx_gc(struct nf_queue *q)
{
    struct netfront *nf = q->nf;
    int progress = 0;
    for (;;) {
        RING_IDX prod = q->tx.sring->rsp_prod;
        xen_rmb();
        if (RING_RESPONSE_PROD_OVERFLOW(&q->tx, prod)) {
            nf_broken(nf, "illegal number of tx responses (producer %u, consumer %u)", prod,
                      q->tx.rsp_cons);
            return -OS_EPROTO;
        }
        for (RING_IDX i = q->tx.rsp_cons; i != prod; i++) {
            netif_tx_response_t rsp;
            RING_COPY_RESPONSE(&q->tx, i, &rsp);
            q->tx.rsp_cons = i + 1;
            progress = 1;
            if (rsp.status == NETIF_RSP_NULL)
                continue; /* answers an extra-info slot */
            if (rsp.id >= NF_RING || !q->tx_busy[rsp.id]) {
                nf_broken(nf, "tx response id %u is not outstanding (status %u)", rsp.id,
                          (unsigned)(uint16_t)rsp.status);
                return -OS_EPROTO;
            }
            if (rsp.status != NETIF_RSP_OKAY)
                nf->st.tx_errors++;
            q->tx_busy[rsp.id] = false;
            q->tx_free[q->tx_nfree++] = rsp.id;
        }
        /* Told once half of what is outstanding is answered rather than
         * at every response (as netfront has long done): a sender that
         * filled the ring wakes once per half ring, and the backend
         * notifies as often.  Never later than the last one, so whoever
         * waits for everything to be answered is told too. */
        RING_IDX outstanding = q->tx.req_prod_pvt - q->tx.rsp_cons;
        int more = RING_HAS_UNCONSUMED_RESPONSES(&q->tx);
        if (!more) {
            q->tx.sring->rsp_event = q->tx.rsp_cons + (outstanding >> 1) + 1;
            xen_mb();
            more = RING_HAS_UNCONSUMED_RESPONSES(&q->tx);
        }
        if (!more)
            break;
    }
    return progress;
}

int netfront_send(struct netfront *nf, const void *frame, size_t len,
                  const struct netfront_meta *meta)
{
    if (nf->phase == PH_BROKEN)
        return -OS_EPROTO;
    if (nf->phase != PH_CONNECTED)
        return -OS_ESHUTDOWN;
    if (len == 0)
        return -OS_EINVAL;
    if (len > NETFRONT_MAX_FRAME)
        return -OS_E2BIG;
    unsigned slots = (unsigned)((len + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE);
    if (slots > 1 && !nf->sg)
        return -OS_E2BIG;
    if (slots > NF_MAX_SLOTS)
        return -OS_E2BIG;
    bool gso = meta && meta->gso_type != XEN_NETIF_GSO_TYPE_NONE;
    if (gso && !((meta->gso_type == XEN_NETIF_GSO_TYPE_TCPV4 && nf->gso4) ||
                 (meta->gso_type == XEN_NETIF_GSO_TYPE_TCPV6 && nf->gso6)))
        return -OS_EINVAL;
    if (gso && meta->gso_size == 0)
        return -OS_EINVAL;
    const uint8_t *eth = frame;
    bool blank = meta && meta->csum_blank;
    if (blank && len >= 14 && eth[12] == 0x86 && eth[13] == 0xdd && !nf->csum6)
        return -OS_EINVAL;
    struct nf_queue *q = &nf->q[meta ? meta->queue % nf->nq : 0];
    unsigned need = slots + (gso ? 1 : 0);
    if (RING_FREE_REQUESTS(&q->tx) < need || q->tx_nfree < slots) {
        if (tx_gc(q) < 0)
            return -OS_EPROTO;
        if (RING_FREE_REQUESTS(&q->tx) < need || q->tx_nfree < slots)
            return -OS_EAGAIN;
    }
    const uint8_t *p = frame;
    size_t left = len;
    for (unsigned s = 0; s < slots; s++) {
        uint16_t id = q->tx_free[--q->tx_nfree];
        size_t chunk = left < OS_PAGE_SIZE ? left : OS_PAGE_SIZE;
        os_memcpy(q->tx_pages + (size_t)id * OS_PAGE_SIZE, p, chunk);
        q->tx_busy[id] = true;
        netif_tx_request_t *req = RING_GET_REQUEST(&q->tx, q->tx.req_prod_pvt++);
        req->gref = q->tx_refs[id];
        req->offset = 0;
        req->id = id;
        req->flags = (uint16_t)(s + 1 < slots ? NETTXF_more_data : 0);
        if (s == 0 && blank)
            req->flags |= NETTXF_csum_blank | NETTXF_data_validated;
        else if (s == 0 && meta && meta->data_validated)
            req->flags |= NETTXF_data_validated;
        /* The first slot carries the whole frame's size. */
        req->size = (uint16_t)(s == 0 ? len : chunk);
        if (s == 0 && gso) {
            req->flags |= NETTXF_extra_info;
            netif_extra_info_t *ex =
                (netif_extra_info_t *)RING_GET_REQUEST(&q->tx, q->tx.req_prod_pvt++);
            os_memset(ex, 0, sizeof *ex);
            ex->type = XEN_NETIF_EXTRA_TYPE_GSO;
            ex->flags = 0;
            ex->u.gso.size = meta->gso_size;
            ex->u.gso.type = meta->gso_type;
        }
        p += chunk;
        left -= chunk;
    }
    int notify;
    RING_PUSH_REQUESTS_AND_CHECK_NOTIFY(&q->tx, notify);
    if (notify)
        os_evtchn_notify(nf->os, q->port_tx);
    nf->st.tx_frames++;
    nf->st.tx_bytes += len;
    return 0;
}

bool netfront_tx_pending(const struct netfront *nf)
{
    if (nf->phase != PH_CONNECTED && nf->phase != PH_CLOSING)
        return false;
    for (unsigned i = 0; i < nf->nq; i++)
        if (nf->q[i].tx_nfree != NF_RING)
            return true;
    return false;
}

/* ---- receive ----------------------------------------------------------- */

/* Takes one frame from queue q if a complete one has been answered.
 * Returns its length, 0 if none, -OS_E2BIG / -OS_EIO for a dropped frame
 * (consumed), -OS_EPROTO once broken. */
static long rx_take(struct nf_queue *q, uint8_t *buf, size_t size, struct netfront_meta *meta)
{
    struct netfront *nf = q->nf;
    RING_IDX prod = q->rx.sring->rsp_prod;
    xen_rmb();
    if (RING_RESPONSE_PROD_OVERFLOW(&q->rx, prod)) {
        nf_broken(nf, "illegal number of rx responses (producer %u, consumer %u)", prod,
                  q->rx.rsp_cons);
        return -OS_EPROTO;
    }
    RING_IDX c = q->rx.rsp_cons;
    if (c == prod)
        return 0;
    netif_rx_response_t rsp[NF_MAX_SLOTS + XEN_NETIF_EXTRA_TYPE_MAX];
    bool isx[NF_MAX_SLOTS + XEN_NETIF_EXTRA_TYPE_MAX];
    unsigned n = 0, data_slots = 0;
    bool more = true, extra = false, bad = false;
    uint16_t gso_size = 0, first_flags = 0;
    uint8_t gso_type = 0;
    /* Gather the chain without consuming it: a frame is taken whole. */
    while (more || extra) {
        if (c + n == prod)
            return 0; /* rest not answered yet */
        if (n == sizeof rsp / sizeof rsp[0]) {
            nf_broken(nf, "rx frame spans more than %u slots (at slot %u)",
                      (unsigned)(sizeof rsp / sizeof rsp[0]), c);
            return -OS_EPROTO;
        }
        RING_IDX i = c + n;
        if (extra) {
            netif_extra_info_t ex;
            RING_COPY_RESPONSE(&q->rx, i, &rsp[n]);
            os_memcpy(&ex, &rsp[n], sizeof ex);
            isx[n++] = true;
            if (ex.type == XEN_NETIF_EXTRA_TYPE_NONE || ex.type >= XEN_NETIF_EXTRA_TYPE_MAX) {
                nf_broken(nf, "rx extra info of unknown type %u at slot %u", ex.type, i);
                return -OS_EPROTO;
            }
            if (ex.type == XEN_NETIF_EXTRA_TYPE_GSO) {
                gso_size = ex.u.gso.size;
                gso_type = ex.u.gso.type;
            }
            extra = (ex.flags & XEN_NETIF_EXTRA_FLAG_MORE) != 0;
            continue;
        }
        RING_COPY_RESPONSE(&q->rx, i, &rsp[n]);
        isx[n] = false;
        netif_rx_response_t *r = &rsp[n++];
#ifndef SPLITBED_BUG_NETFRONT_RX_ID
        if (r->id != (i & (NF_RING - 1))) {
            nf_broken(nf, "rx response at slot %u has id %u", i & (NF_RING - 1), r->id);
            return -OS_EPROTO;
        }
#endif
        data_slots++;
        if (data_slots == 1)
            first_flags = r->flags;
        if (data_slots > NF_MAX_SLOTS) {
            nf_broken(nf, "rx frame spans more than %u data slots (at slot %u)", NF_MAX_SLOTS, i);
            return -OS_EPROTO;
        }
        if (r->status < 0 || r->offset >= OS_PAGE_SIZE ||
            (uint32_t)r->offset + (uint32_t)r->status > OS_PAGE_SIZE)
            bad = true;
        more = (r->flags & NETRXF_more_data) != 0;
        /* Extra info only follows the first slot of a frame. */
        extra = data_slots == 1 && (r->flags & NETRXF_extra_info) != 0;
    }
    size_t total = 0;
    long ret;
    if (!bad) {
        for (unsigned k = 0; k < n; k++) {
            if (isx[k])
                continue;
            total += (size_t)rsp[k].status;
        }
    }
    /* A blank checksum we said we cannot take is the backend's fault: the
     * frame is dropped as an error, like a bad slot. */
    if ((first_flags & NETRXF_csum_blank) && nf->opts.no_csum_offload)
        bad = true;
    if (bad || total == 0) {
        /* total 0: an empty frame would read as "nothing waiting" */
        nf->st.rx_errors++;
        ret = -OS_EIO;
    } else if (total > size || total > NETFRONT_MAX_FRAME) {
        nf->st.rx_dropped++;
        ret = -OS_E2BIG;
    } else {
        size_t off = 0;
        for (unsigned k = 0; k < n; k++) {
            RING_IDX i = c + k;
            if (isx[k])
                continue;
#ifdef SPLITBED_BUG_NETFRONT_RX_ID
            (void)i;
            const uint8_t *page = q->rx_pages + (size_t)rsp[k].id * OS_PAGE_SIZE;
#else
            const uint8_t *page = q->rx_pages + (size_t)(i & (NF_RING - 1)) * OS_PAGE_SIZE;
#endif
            os_memcpy(buf + off, page + rsp[k].offset, (size_t)rsp[k].status);
            off += (size_t)rsp[k].status;
        }
        nf->st.rx_frames++;
        nf->st.rx_bytes += total;
        if (meta) {
            meta->gso_size = gso_size;
            meta->gso_type = gso_type;
            meta->queue = q->idx;
            meta->csum_blank = (first_flags & NETRXF_csum_blank) != 0;
            meta->data_validated = (first_flags & NETRXF_data_validated) != 0;
        }
        ret = (long)total;
    }
    q->rx.rsp_cons = c + n;
    rx_post(q, q->rx.rsp_cons + NF_RING);
    return ret;
}

long netfront_recv(struct netfront *nf, void *buf, size_t size, struct netfront_meta *meta)
{
    if (nf->phase == PH_BROKEN)
        return -OS_EPROTO;
    if (nf->phase != PH_CONNECTED && nf->phase != PH_CLOSING)
        return 0;
    /* Second pass only after re-arming rsp_event, for responses that
     * raced with it; a chain the backend left unfinished stays 0. */
    for (int pass = 0; pass < 2; pass++) {
        for (unsigned k = 0; k < nf->nq; k++) {
            struct nf_queue *q = &nf->q[(nf->rx_next_q + k) % nf->nq];
            long r = rx_take(q, buf, size, meta);
            if (r != 0) {
                nf->rx_next_q = (q->idx + 1) % nf->nq;
                return r;
            }
        }
        bool more_any = false;
        for (unsigned k = 0; k < nf->nq && pass == 0; k++) {
            int more;
            RING_FINAL_CHECK_FOR_RESPONSES(&nf->q[k].rx, more);
            more_any |= more != 0;
        }
        if (!more_any)
            break;
    }
    return 0;
}

/* ---- the state machine ------------------------------------------------- */

/* The backend may have looked at our rings before it bound our ports. */
static void kick(struct netfront *nf)
{
    for (unsigned i = 0; i < nf->nq; i++) {
        os_evtchn_notify(nf->os, nf->q[i].port_tx);
        if (nf->q[i].port_rx != nf->q[i].port_tx)
            os_evtchn_notify(nf->os, nf->q[i].port_rx);
    }
}

static int advance(struct netfront *nf)
{
    int be = backend_state(nf);
    if (be < 0)
        return 0;
    switch (nf->phase) {
    case PH_WAIT_BACKEND:
        if (be == XenbusStateInitWait || be == XenbusStateInitialised ||
            be == XenbusStateConnected) {
            if (nf_connect(nf) < 0) {
                nf->phase = PH_BROKEN;
                return -OS_EIO;
            }
            /* A backend already Connected (D8-style) may never say it
             * again: take it at its word. */
            nf->phase = be == XenbusStateConnected ? PH_CONNECTED : PH_WAIT_CONNECTED;
            if (nf->phase == PH_CONNECTED)
                kick(nf);
            return 1;
        }
        /* Closed: left from an earlier connection; our Initialising
         * brings it back to InitWait (D7).  Closing with an error node:
         * it cut a frontend off and is refusing.  Closing without one may
         * be an earlier connection's goodbye that our Initialising
         * overtook: the backend answers it with InitWait, so wait. */
        if (be == XenbusStateClosing && backend_has_error(nf)) {
            nf->phase = PH_CLOSING;
            return 1;
        }
        return 0;
    case PH_WAIT_CONNECTED:
        /* Closing here may follow a Connected we never saw (a backend with
         * little to say); the rings are set up, so what it sent is read. */
        if (be == XenbusStateConnected) {
            nf->phase = PH_CONNECTED;
            kick(nf);
            return 1;
        }
        if (be == XenbusStateClosing || be == XenbusStateClosed) {
            nf->phase = PH_CLOSING;
            return 1;
        }
        return 0;
    case PH_CONNECTED:
        /* Reconfiguring/Reconfigured (7/8) are not an end (D14). */
        if (be == XenbusStateClosing || be == XenbusStateClosed) {
            nf->phase = PH_CLOSING;
            return 1;
        }
        return 0;
    case PH_WAIT_BACKEND_CLOSE:
        if (be == XenbusStateClosing || be == XenbusStateClosed) {
            write_state(nf, 0, XenbusStateClosed);
            nf->phase = PH_CLOSED;
            return 1;
        }
        return 0;
    default: return 0;
    }
}

int netfront_poll(struct netfront *nf)
{
    char path[256], token[96];
    evtchn_port_t port;
    int progress = 0, events = 0;
    while (os_xs_next_watch(nf->os, path, sizeof path, token, sizeof token) == 1)
        if (os_strcmp(token, nf->token) == 0)
            nf->recheck = true;
    /* Another driver of the app may have taken our watch event: while a
     * state change is awaited, look at the backend's state every time. */
    if (nf->phase == PH_WAIT_BACKEND || nf->phase == PH_WAIT_CONNECTED ||
        nf->phase == PH_WAIT_BACKEND_CLOSE)
        nf->recheck = true;
    while (os_evtchn_next_pending(nf->os, &port) > 0) {
        for (unsigned i = 0; i < nf->nq; i++)
            if (port == nf->q[i].port_tx || port == nf->q[i].port_rx) {
                nf->q[i].event = true;
                events++;
            }
    }
    if (nf->phase == PH_BROKEN)
        return -OS_EPROTO;
    if (nf->recheck) {
        nf->recheck = false;
        int r = advance(nf);
        if (r < 0)
            return r;
        progress |= r;
    }
    if (nf->phase == PH_CONNECTED || nf->phase == PH_CLOSING) {
        bool work = false;
        for (unsigned i = 0; i < nf->nq; i++) {
            struct nf_queue *q = &nf->q[i];
            int r = tx_gc(q);
            if (r < 0)
                return r;
            if (r)
                work = true;
            q->event = false;
        }
        if (events && !work)
            nf->st.spurious_events += (uint64_t)events; /* XSA-391: counted, never spun on */
        progress |= work;
    }
    return progress;
}

enum netfront_state netfront_state(const struct netfront *nf)
{
    switch (nf->phase) {
    case PH_WAIT_BACKEND:
    case PH_WAIT_CONNECTED: return NETFRONT_CONNECTING;
    case PH_CONNECTED: return NETFRONT_CONNECTED;
    case PH_CLOSING:
    case PH_WAIT_BACKEND_CLOSE: return NETFRONT_CLOSING;
    case PH_CLOSED: return NETFRONT_CLOSED;
    default: return NETFRONT_BROKEN;
    }
}

const char *netfront_state_name(enum netfront_state s)
{
    static const char *const names[] = { "connecting", "connected", "closing", "closed", "broken" };
    return (unsigned)s < 5 ? names[s] : "?";
}

void netfront_mac(const struct netfront *nf, uint8_t mac[6])
{
    os_memcpy(mac, nf->mac, 6);
}
unsigned netfront_num_queues(const struct netfront *nf)
{
    return nf->nq;
}
bool netfront_split_evtchn(const struct netfront *nf)
{
    return nf->split;
}
bool netfront_sg(const struct netfront *nf)
{
    return nf->sg;
}
bool netfront_gso(const struct netfront *nf)
{
    return nf->gso4 || nf->gso6;
}

bool netfront_csum_offload_ipv6(const struct netfront *nf)
{
    return nf->csum6;
}
void netfront_stats(const struct netfront *nf, struct netfront_stats *st)
{
    *st = nf->st;
}

int netfront_close(struct netfront *nf)
{
    if (nf->phase == PH_CLOSED || nf->phase == PH_WAIT_BACKEND_CLOSE)
        return 0;
    int r = write_state(nf, 0, XenbusStateClosing);
    if (r < 0)
        return r;
    nf->phase = PH_WAIT_BACKEND_CLOSE;
    nf->recheck = true;
    return 0;
}

void netfront_free(struct netfront *nf)
{
    if (!nf)
        return;
    os_xs_unwatch(nf->os, nf->state_path, nf->token);
    if (nf->shared)
        for (unsigned i = 0; i < NETFRONT_MAX_QUEUES; i++)
            queue_release(nf, &nf->q[i]);
    os_free(nf->os, nf);
}

#ifdef SPLITBED_FUZZ
int netfront_rewind(struct netfront *nf)
{
    if ((nf->phase != PH_CONNECTED && nf->phase != PH_BROKEN) || !nf->shared || !nf->nq)
        return -OS_EPROTO;
    for (unsigned i = 0; i < nf->nq; i++)
        if (!nf->q[i].tx_sring || !nf->q[i].rx_sring)
            return -OS_EPROTO;
    for (unsigned i = 0; i < nf->nq; i++) {
        struct nf_queue *q = &nf->q[i];
        os_memset(q->tx_sring, 0, OS_PAGE_SIZE);
        os_memset(q->rx_sring, 0, OS_PAGE_SIZE);
        SHARED_RING_INIT((netif_tx_sring_t *)q->tx_sring);
        FRONT_RING_INIT(&q->tx, (netif_tx_sring_t *)q->tx_sring, OS_PAGE_SIZE);
        SHARED_RING_INIT((netif_rx_sring_t *)q->rx_sring);
        FRONT_RING_INIT(&q->rx, (netif_rx_sring_t *)q->rx_sring, OS_PAGE_SIZE);
        for (unsigned k = 0; k < NF_RING; k++) {
            q->tx_free[k] = (uint16_t)(NF_RING - 1 - k);
            q->tx_busy[k] = false;
        }
        q->tx_nfree = NF_RING;
        q->event = false;
    }
    /* Posted as nf_connect() posts them: before Connected, no event. */
    nf->phase = PH_WAIT_CONNECTED;
    for (unsigned i = 0; i < nf->nq; i++)
        rx_post(&nf->q[i], NF_RING);
    nf->phase = PH_CONNECTED;
    nf->rx_next_q = 0;
    nf->recheck = false;
    return 0;
}
#endif
