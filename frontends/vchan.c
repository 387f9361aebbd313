/*
 * vchan.c — libxenvchan's ring format, both ends (vchan.h).
 *
 * Trust: the shared page is writable by the peer at any time.  Our own
 * indices (the consumer index of the ring we read, the producer index of
 * the ring we write) and the ring geometry are kept privately and only
 * written out; every value of the peer's is read once per use and
 * checked before it is used.
 */
#include "vchan.h"

#include "vchan_ring.h"

#include "xenbus.h"

#define SMALL_RING_ORDER 10 /* 1024 bytes at offset 1024 of the shared page */
#define MID_RING_ORDER 11   /* 2048 bytes at offset 2048 */
#define PAGE_ORDER 12
#define MAX_ORDER 20
#define HDR_SIZE ((unsigned)sizeof(struct vchan_shared))

enum { LIVE_EXITED = 0, LIVE_CONNECTED = 1, LIVE_WAITING = 2 };

struct vchan {
    struct os *os;
    bool server;
    domid_t peer;
    char base[160];
    enum vchan_state state;
    int error;
    char diag[256];

    struct vchan_shared *shr; /* the shared page; NULL until a client has mapped */
    void *rings;              /* server: the rings' own pages, left's first */
    unsigned rings_pages;
    void *map_left, *map_right; /* client: the rings' own pages, if any */
    unsigned left_pages, right_pages;

    struct vchan_ring *rd, *wr; /* in shr */
    uint8_t *rd_buf, *wr_buf;
    uint32_t rd_size, wr_size;
    uint32_t rd_cons, wr_prod; /* ours, written out, never read back */

    evtchn_port_t port;
    bool have_port;
    bool watching;
    char token[32];
};

int vchan_qubes_path(char *buf, size_t size, domid_t server, domid_t client, unsigned port)
{
    int n = os_snprintf(buf, size, "/local/domain/%u/data/vchan/%u/%u", (unsigned)server,
                        (unsigned)client, port);
    return n < 0 || (size_t)n >= size ? -OS_E2BIG : 0;
}

/* ---- the shared bytes ---------------------------------------------------- */

static uint8_t *own_live(struct vchan *v)
{
    return v->server ? &v->shr->srv_live : &v->shr->cli_live;
}
static uint8_t peer_live(const struct vchan *v)
{
    const uint8_t *p = v->server ? &v->shr->cli_live : &v->shr->srv_live;
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Asks the peer for an event when it does `bit` (it reads its request
 * byte after producing or consuming). */
static void request_notify(struct vchan *v, uint8_t bit)
{
    uint8_t *b = v->server ? &v->shr->cli_notify : &v->shr->srv_notify;
    __atomic_fetch_or(b, bit, __ATOMIC_SEQ_CST);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* After we did `bit`: an event if the peer asked for one. */
static void send_notify(struct vchan *v, uint8_t bit)
{
    uint8_t *b = v->server ? &v->shr->srv_notify : &v->shr->cli_notify;
    uint8_t prev = __atomic_fetch_and(b, (uint8_t)~bit, __ATOMIC_SEQ_CST);
    if ((prev & bit) && v->have_port)
        (void)os_evtchn_notify(v->os, v->port);
}

/* ---- errors ---------------------------------------------------------------- */

static void release(struct vchan *v);

static int cut_off(struct vchan *v, int err, const char *what)
{
    if (v->state == VCHAN_BROKEN)
        return v->error;
    os_snprintf(v->diag, sizeof v->diag, "[vchan] %s: %s d%u %s; cutting it off", v->base,
                v->server ? "client" : "server", (unsigned)v->peer, what);
    os_log(v->os, OS_LOG_ERROR, "%s", v->diag);
    v->state = VCHAN_BROKEN;
    v->error = err;
    release(v);
    return err;
}

/* ---- geometry ---------------------------------------------------------------- */

static unsigned ring_pages(unsigned order)
{
    return order >= PAGE_ORDER ? 1u << (order - PAGE_ORDER) : 0;
}

static unsigned order_for(size_t min)
{
    unsigned o = PAGE_ORDER;
    while (((size_t)1 << o) < min)
        o++;
    return o;
}

/* libxenvchan's choice: small rings go inside the shared page when both
 * fit (the server's read ring is the left one). */
static void pick_orders(size_t read_min, size_t write_min, unsigned *left, unsigned *right)
{
    *left = order_for(read_min);
    *right = order_for(write_min);
    if (read_min <= 1024 && write_min <= 2048) {
        *left = SMALL_RING_ORDER;
        *right = MID_RING_ORDER;
    } else if (read_min <= 2048 && write_min <= 1024) {
        *left = MID_RING_ORDER;
        *right = SMALL_RING_ORDER;
    } else if (read_min <= 2048) {
        *left = MID_RING_ORDER;
    } else if (write_min <= 2048) {
        *right = MID_RING_ORDER;
    }
}

static uint8_t *in_page_ring(struct vchan_shared *shr, unsigned order)
{
    return (uint8_t *)shr + (order == SMALL_RING_ORDER ? 1024 : 2048);
}

static void set_rings(struct vchan *v, uint8_t *left, unsigned lorder, uint8_t *right,
                      unsigned rorder)
{
    struct vchan_shared *s = v->shr;
    if (v->server) {
        v->rd = &s->left, v->rd_buf = left, v->rd_size = 1u << lorder;
        v->wr = &s->right, v->wr_buf = right, v->wr_size = 1u << rorder;
    } else {
        v->rd = &s->right, v->rd_buf = right, v->rd_size = 1u << rorder;
        v->wr = &s->left, v->wr_buf = left, v->wr_size = 1u << lorder;
    }
    v->rd_cons = 0;
    v->wr_prod = 0;
}

/* ---- server ------------------------------------------------------------------ */

static int publish(struct vchan *v, grant_ref_t ring_ref)
{
    char path[sizeof v->base + 32], val[16];
    for (int attempt = 0; attempt < 16; attempt++) {
        os_xs_tx tx;
        int r = os_xs_tx_start(v->os, &tx);
        if (r < 0)
            return r;
        static const char *const keys[2] = { "ring-ref", "event-channel" };
        for (int k = 0; k < 2 && r >= 0; k++) {
            os_snprintf(path, sizeof path, "%s/%s", v->base, keys[k]);
            os_snprintf(val, sizeof val, "%u", k == 0 ? (unsigned)ring_ref : (unsigned)v->port);
            r = os_xs_write(v->os, tx, path, val);
            if (r >= 0)
                r = os_xs_allow_read(v->os, tx, path, v->peer);
        }
        if (r < 0) {
            (void)os_xs_tx_end(v->os, tx, true);
            return r;
        }
        r = os_xs_tx_end(v->os, tx, false);
        if (r != -OS_EAGAIN)
            return r;
    }
    return -OS_EAGAIN;
}

int vchan_server_open(struct os *os, domid_t peer, const char *base, size_t read_min,
                      size_t write_min, struct vchan **out)
{
    if (!base || !out || read_min > VCHAN_MAX_RING || write_min > VCHAN_MAX_RING ||
        os_strlen(base) >= sizeof(((struct vchan *)0)->base)) {
        os_log(os, OS_LOG_ERROR, "[vchan] %s: bad server arguments (rings of at most %u bytes)",
               base ? base : "(null)", VCHAN_MAX_RING);
        return -OS_EINVAL;
    }
    struct vchan *v = os_calloc(os, 1, sizeof *v);
    if (!v)
        return -OS_ENOMEM;
    v->os = os;
    v->server = true;
    v->peer = peer;
    os_memcpy(v->base, base, os_strlen(base) + 1);
    unsigned lo, ro;
    pick_orders(read_min, write_min, &lo, &ro);
    unsigned lp = ring_pages(lo), rp = ring_pages(ro);
    grant_ref_t shr_ref, *refs = NULL;
    void *page;
    int r = os_evtchn_alloc_unbound(os, peer, &v->port);
    if (r < 0)
        goto fail;
    v->have_port = true;
    /* srv_live is cleared for us if this process dies */
    r = os_share_page_notify(os, peer, true, offsetof(struct vchan_shared, srv_live), v->port,
                             &page, &shr_ref);
    if (r < 0)
        goto fail;
    v->shr = page;
    uint8_t *left = in_page_ring(v->shr, lo), *right = in_page_ring(v->shr, ro);
    if (lp + rp) {
        refs = os_calloc(os, lp + rp, sizeof *refs);
        r = refs ? os_share_pages(os, peer, lp + rp, true, &v->rings, refs) : -OS_ENOMEM;
        if (r < 0)
            goto fail;
        v->rings_pages = lp + rp;
        if (lp)
            left = v->rings;
        if (rp)
            right = (uint8_t *)v->rings + (size_t)lp * OS_PAGE_SIZE;
        for (unsigned i = 0; i < lp + rp; i++)
            v->shr->grants[i] = refs[i];
        os_free(os, refs);
        refs = NULL;
    }
    set_rings(v, left, lo, right, ro);
    v->shr->left_order = (uint16_t)lo;
    v->shr->right_order = (uint16_t)ro;
    v->shr->cli_live = LIVE_WAITING;
    v->shr->cli_notify = VCHAN_NOTIFY_WRITE;
    __atomic_store_n(&v->shr->srv_live, LIVE_CONNECTED, __ATOMIC_RELEASE);
    r = publish(v, shr_ref);
    if (r < 0) {
        os_log(os, OS_LOG_ERROR, "[vchan] %s: publishing the ring for d%u failed (error %d)",
               v->base, (unsigned)peer, -r);
        goto fail;
    }
    v->state = VCHAN_WAITING;
    os_log(os, OS_LOG_DEBUG, "[vchan] %s: serving d%u, rings %u/%u bytes, event channel %u",
           v->base, (unsigned)peer, v->rd_size, v->wr_size, (unsigned)v->port);
    *out = v;
    return 0;
fail:
    os_free(os, refs);
    release(v);
    os_free(os, v);
    return r;
}

/* The client is in: the keys have done their job (Qubes removes them
 * then, so a later server on the same port starts clean). */
static void server_forget_keys(struct vchan *v)
{
    (void)os_xs_rm(v->os, 0, v->base);
}

/* ---- client ------------------------------------------------------------------ */

int vchan_client_open(struct os *os, domid_t server, const char *base, struct vchan **out)
{
    if (!base || !out || os_strlen(base) + 16 >= sizeof(((struct vchan *)0)->base)) {
        os_log(os, OS_LOG_ERROR, "[vchan] %s: bad client arguments", base ? base : "(null)");
        return -OS_EINVAL;
    }
    struct vchan *v = os_calloc(os, 1, sizeof *v);
    if (!v)
        return -OS_ENOMEM;
    v->os = os;
    v->peer = server;
    os_memcpy(v->base, base, os_strlen(base) + 1);
    v->state = VCHAN_WAITING;
    char path[sizeof v->base + 32];
    os_snprintf(path, sizeof path, "%s/event-channel", v->base);
    os_snprintf(v->token, sizeof v->token, "vchan-%p", (void *)v);
    /* The key itself: the client may not be allowed to list the
     * directory.  Without a watch the app still connects on its next
     * poll, just later. */
    v->watching = os_xs_watch(os, path, v->token) == 0;
    *out = v;
    return 0;
}

static int read_key(struct vchan *v, const char *key, uint64_t *out)
{
    char path[sizeof v->base + 32], val[32];
    os_snprintf(path, sizeof path, "%s/%s", v->base, key);
    int r = os_xs_read(v->os, 0, path, val, sizeof val);
    if (r < 0)
        return r;
    if (r == 0)
        return -OS_ENOENT; /* being written */
    if (os_parse_u64(val, out) < 0 || *out == 0 || *out > UINT32_MAX)
        return -OS_EPROTO;
    return 0;
}

/* Checks the geometry the server wrote (read once, into lo/ro/refs). */
static const char *check_geometry(unsigned lo, unsigned ro)
{
    if (lo < SMALL_RING_ORDER || lo > MAX_ORDER || ro < SMALL_RING_ORDER || ro > MAX_ORDER)
        return "gave a ring order outside 10..20";
    if (lo == ro && lo < PAGE_ORDER)
        return "put both rings in the same place of the shared page";
    unsigned grants = ring_pages(lo) + ring_pages(ro);
    unsigned limit = OS_PAGE_SIZE;
    if (lo == SMALL_RING_ORDER || ro == SMALL_RING_ORDER)
        limit = 1024;
    else if (lo == MID_RING_ORDER || ro == MID_RING_ORDER)
        limit = 2048;
    if (HDR_SIZE + 4u * grants > limit)
        return "listed more grants than fit before its rings";
    return NULL;
}

static int client_connect(struct vchan *v)
{
    uint64_t ref, port;
    int r = read_key(v, "event-channel", &port);
    if (r == 0)
        r = read_key(v, "ring-ref", &ref);
    if (r == -OS_ENOENT)
        return 0; /* not yet */
    if (r == -OS_EPROTO)
        return cut_off(v, r, "published a ring-ref or event-channel that is not a number");
    if (r < 0)
        return 0; /* e.g. not readable yet: the server sets permissions in its transaction */
    r = os_evtchn_bind_interdomain(v->os, v->peer, (evtchn_port_t)port, &v->port);
    if (r < 0)
        return cut_off(v, r, "published an event channel we cannot bind");
    v->have_port = true;
    void *page;
    /* cli_live is cleared for us if this process dies */
    r = os_map_grant_notify(v->os, v->peer, (grant_ref_t)ref, true,
                            offsetof(struct vchan_shared, cli_live), v->port, &page);
    if (r < 0)
        return cut_off(v, r, "published a shared page we cannot map");
    v->shr = page;
    unsigned lo = __atomic_load_n(&v->shr->left_order, __ATOMIC_RELAXED);
    unsigned ro = __atomic_load_n(&v->shr->right_order, __ATOMIC_RELAXED);
    const char *bad = check_geometry(lo, ro);
    if (bad)
        return cut_off(v, -OS_EPROTO, bad);
    v->left_pages = ring_pages(lo);
    v->right_pages = ring_pages(ro);
    grant_ref_t refs[512];
    for (unsigned i = 0; i < v->left_pages + v->right_pages; i++)
        refs[i] = __atomic_load_n(&v->shr->grants[i], __ATOMIC_RELAXED);
    uint8_t *left = NULL, *right = NULL;
    if (v->left_pages) {
        r = os_map_grants(v->os, v->peer, v->left_pages, refs, true, &v->map_left);
        if (r < 0) {
            v->left_pages = 0;
            return cut_off(v, r, "granted a left ring we cannot map writable");
        }
        left = v->map_left;
    } else {
        left = in_page_ring(v->shr, lo);
    }
    if (v->right_pages) {
        r = os_map_grants(v->os, v->peer, v->right_pages, refs + v->left_pages, false,
                          &v->map_right);
        if (r < 0) {
            v->right_pages = 0;
            return cut_off(v, r, "granted a right ring we cannot map");
        }
        right = v->map_right;
    } else {
        right = in_page_ring(v->shr, ro);
    }
    set_rings(v, left, lo, right, ro);
    /* Take over the indices as they are (a fresh server has zeroes). */
    v->rd_cons = __atomic_load_n(&v->rd->cons, __ATOMIC_ACQUIRE);
    v->wr_prod = __atomic_load_n(&v->wr->prod, __ATOMIC_ACQUIRE);
    if (v->watching) {
        char path[sizeof v->base + 32];
        os_snprintf(path, sizeof path, "%s/event-channel", v->base);
        (void)os_xs_unwatch(v->os, path, v->token);
        v->watching = false;
        /* Events the watch fired before it ended are queued still; left
         * there they would keep the xenstore descriptor readable and turn
         * every os_wait() into a spin. */
        xenbus_pump(v->os);
    }
    __atomic_store_n(&v->shr->cli_live, LIVE_CONNECTED, __ATOMIC_RELEASE);
    __atomic_fetch_or(&v->shr->srv_notify, VCHAN_NOTIFY_WRITE, __ATOMIC_SEQ_CST);
    (void)os_evtchn_notify(v->os, v->port);
    v->state = VCHAN_CONNECTED;
    os_log(v->os, OS_LOG_DEBUG, "[vchan] %s: connected to d%u, rings %u/%u bytes", v->base,
           (unsigned)v->peer, v->rd_size, v->wr_size);
    return 0;
}

/* ---- both ---------------------------------------------------------------------- */

/* Checks the peer's index of each ring against ours. */
static int check_indices(struct vchan *v, uint32_t *ready, uint32_t *space)
{
    uint32_t prod = __atomic_load_n(&v->rd->prod, __ATOMIC_ACQUIRE);
    uint32_t cons = __atomic_load_n(&v->wr->cons, __ATOMIC_ACQUIRE);
    uint32_t r = prod - v->rd_cons, used = v->wr_prod - cons;
    if (r > v->rd_size)
        return cut_off(v, -OS_EPROTO, "moved its producer index past the ring");
    if (used > v->wr_size)
        return cut_off(v, -OS_EPROTO, "moved its consumer index past what we wrote");
    if (ready)
        *ready = r;
    if (space)
        *space = v->wr_size - used;
    return 0;
}

static void follow_peer(struct vchan *v)
{
    uint8_t live = peer_live(v);
    if (live > LIVE_WAITING) {
        cut_off(v, -OS_EPROTO, "wrote a live byte that means nothing");
        return;
    }
    if (v->state == VCHAN_WAITING) {
        if (live == LIVE_CONNECTED) {
            v->state = VCHAN_CONNECTED;
            server_forget_keys(v);
            os_log(v->os, OS_LOG_DEBUG, "[vchan] %s: d%u connected", v->base, (unsigned)v->peer);
        } else if (live == LIVE_EXITED) {
            v->state = VCHAN_CLOSED;
            server_forget_keys(v);
        }
        return;
    }
    if (v->state == VCHAN_CONNECTED && live == LIVE_EXITED) {
        v->state = VCHAN_CLOSED;
        os_log(v->os, OS_LOG_DEBUG, "[vchan] %s: d%u closed", v->base, (unsigned)v->peer);
    }
}

int vchan_poll(struct vchan *v)
{
    if (v->state == VCHAN_BROKEN)
        return v->error;
    evtchn_port_t p;
    /* One event per call; the rings and live bytes say what happened. */
    (void)os_evtchn_next_pending(v->os, &p);
    if (!v->server && v->state == VCHAN_WAITING) {
        if (v->watching)
            xenbus_pump(v->os);
        int r = client_connect(v);
        if (r < 0)
            return r;
    }
    if (v->shr && (v->state == VCHAN_WAITING || v->state == VCHAN_CONNECTED)) {
        follow_peer(v);
        if (v->state != VCHAN_BROKEN && v->state != VCHAN_WAITING)
            (void)check_indices(v, NULL, NULL);
    }
    return v->state == VCHAN_BROKEN ? v->error : (int)v->state;
}

enum vchan_state vchan_state(const struct vchan *v)
{
    return v->state;
}

int vchan_error(const struct vchan *v)
{
    return v->state == VCHAN_BROKEN ? v->error : 0;
}

const char *vchan_diagnosis(const struct vchan *v)
{
    return v->diag;
}

static bool has_rings(const struct vchan *v)
{
    return v->state == VCHAN_CONNECTED || v->state == VCHAN_CLOSED;
}

size_t vchan_read_size(const struct vchan *v)
{
    return v->rd_buf ? v->rd_size : 0;
}

size_t vchan_write_size(const struct vchan *v)
{
    return v->wr_buf ? v->wr_size : 0;
}

static void copy_out(struct vchan *v, uint8_t *dst, uint32_t n)
{
    uint32_t off = v->rd_cons & (v->rd_size - 1), first = v->rd_size - off;
    if (first > n)
        first = n;
    os_memcpy(dst, v->rd_buf + off, first);
    os_memcpy(dst + first, v->rd_buf, n - first);
    v->rd_cons += n;
    __atomic_store_n(&v->rd->cons, v->rd_cons, __ATOMIC_RELEASE);
    send_notify(v, VCHAN_NOTIFY_READ);
}

static void copy_in(struct vchan *v, const uint8_t *src, uint32_t n)
{
    uint32_t off = v->wr_prod & (v->wr_size - 1), first = v->wr_size - off;
    if (first > n)
        first = n;
    os_memcpy(v->wr_buf + off, src, first);
    os_memcpy(v->wr_buf, src + first, n - first);
    v->wr_prod += n;
    __atomic_store_n(&v->wr->prod, v->wr_prod, __ATOMIC_RELEASE);
    send_notify(v, VCHAN_NOTIFY_WRITE);
}

/* What can be read now, asking for an event when it is less than want. */
static long readable(struct vchan *v, size_t want)
{
    if (v->state == VCHAN_BROKEN)
        return v->error;
    if (!has_rings(v))
        return 0;
    uint32_t ready;
    if (check_indices(v, &ready, NULL) < 0)
        return v->error;
    if (ready < want && v->state == VCHAN_CONNECTED) {
        request_notify(v, VCHAN_NOTIFY_WRITE);
        if (check_indices(v, &ready, NULL) < 0)
            return v->error;
    }
    if (ready == 0 && v->state == VCHAN_CLOSED)
        return -OS_ESHUTDOWN;
    return ready;
}

static long writable(struct vchan *v, size_t want)
{
    if (v->state == VCHAN_BROKEN)
        return v->error;
    if (v->state == VCHAN_CLOSED)
        return -OS_ESHUTDOWN;
    if (v->state != VCHAN_CONNECTED)
        return 0;
    uint32_t space;
    if (check_indices(v, NULL, &space) < 0)
        return v->error;
    if (space < want) {
        request_notify(v, VCHAN_NOTIFY_READ);
        if (check_indices(v, NULL, &space) < 0)
            return v->error;
    }
    return space;
}

size_t vchan_data_ready(struct vchan *v)
{
    long r = readable(v, 1);
    return r > 0 ? (size_t)r : 0;
}

size_t vchan_buffer_space(struct vchan *v)
{
    long r = writable(v, v->wr_size);
    return r > 0 ? (size_t)r : 0;
}

long vchan_read(struct vchan *v, void *buf, size_t len)
{
    long ready = readable(v, len ? 1 : 0);
    if (ready <= 0)
        return ready;
    uint32_t n = (uint32_t)((size_t)ready < len ? (size_t)ready : len);
    copy_out(v, buf, n);
    return n;
}

long vchan_write(struct vchan *v, const void *buf, size_t len)
{
    long space = writable(v, len ? 1 : 0);
    if (space <= 0)
        return space;
    uint32_t n = (uint32_t)((size_t)space < len ? (size_t)space : len);
    copy_in(v, buf, n);
    return n;
}

long vchan_recv(struct vchan *v, void *buf, size_t len)
{
    if (has_rings(v) && len > v->rd_size)
        return -OS_E2BIG;
    long ready = readable(v, len);
    if (ready < 0 || (size_t)ready < len)
        return ready < 0 ? ready : 0;
    copy_out(v, buf, (uint32_t)len);
    return (long)len;
}

long vchan_send(struct vchan *v, const void *buf, size_t len)
{
    if (v->state == VCHAN_CONNECTED && len > v->wr_size)
        return -OS_E2BIG;
    long space = writable(v, len);
    if (space < 0 || (size_t)space < len)
        return space < 0 ? space : 0;
    copy_in(v, buf, (uint32_t)len);
    return (long)len;
}

int vchan_wait_connected(struct vchan *v, uint64_t deadline_ns)
{
    for (;;) {
        int r = vchan_poll(v);
        if (r < 0 || r != VCHAN_WAITING)
            return r;
        if (deadline_ns && os_now_ns(v->os) >= deadline_ns)
            return -OS_ETIMEDOUT;
        /* a client without a watch looks again every 100 ms */
        uint64_t d = deadline_ns;
        if (!v->server && !v->watching) {
            uint64_t soon = os_now_ns(v->os) + 100000000ull;
            if (!d || soon < d)
                d = soon;
        }
        r = os_wait(v->os, d);
        if (r < 0)
            return r;
    }
}

/* ---- the end ----------------------------------------------------------------------- */

static void release(struct vchan *v)
{
    if (v->shr) {
        __atomic_store_n(own_live(v), LIVE_EXITED, __ATOMIC_RELEASE);
        if (v->have_port)
            (void)os_evtchn_notify(v->os, v->port);
    }
    if (v->watching) {
        char path[sizeof v->base + 32];
        os_snprintf(path, sizeof path, "%s/event-channel", v->base);
        (void)os_xs_unwatch(v->os, path, v->token);
        v->watching = false;
    }
    if (v->server) {
        if (v->shr) {
            server_forget_keys(v);
            (void)os_unshare_pages(v->os, v->shr, 1);
        }
        if (v->rings)
            (void)os_unshare_pages(v->os, v->rings, v->rings_pages);
    } else {
        if (v->map_left)
            (void)os_unmap_grants(v->os, v->map_left, v->left_pages);
        if (v->map_right)
            (void)os_unmap_grants(v->os, v->map_right, v->right_pages);
        if (v->shr)
            (void)os_unmap_grants(v->os, v->shr, 1);
    }
    /* the port last: the unmap notification still goes out through it */
    if (v->have_port) {
        (void)os_evtchn_close(v->os, v->port);
        v->have_port = false;
    }
    v->rings = v->map_left = v->map_right = NULL;
    v->shr = NULL;
    v->rd = v->wr = NULL;
    v->rd_buf = v->wr_buf = NULL;
}

void vchan_close(struct vchan *v)
{
    if (!v)
        return;
    release(v);
    os_free(v->os, v);
}

uint8_t *vchan_txq_reserve(struct os *os, struct vchan_txq *q, size_t n, size_t limit)
{
    size_t need = q->len + n;
    if (need > limit)
        return NULL;
    if (need > q->cap) {
        size_t cap = q->cap ? q->cap : 4096;
        while (cap < need)
            cap *= 2;
        uint8_t *t = os_malloc(os, cap);
        if (!t)
            return NULL;
        if (q->len)
            os_memcpy(t, q->buf, q->len);
        os_free(os, q->buf);
        q->buf = t;
        q->cap = cap;
    }
    return q->buf + q->len;
}

void vchan_txq_commit(struct vchan_txq *q, size_t n)
{
    q->len += n;
}

int vchan_txq_flush(struct vchan_txq *q, struct vchan *v)
{
    size_t off = 0;
    while (off < q->len) {
        long w = vchan_write(v, q->buf + off, q->len - off);
        if (w < 0)
            return (int)w;
        if (w == 0)
            break;
        off += (size_t)w;
    }
    if (off) {
        for (size_t i = off; i < q->len; i++)
            q->buf[i - off] = q->buf[i];
        q->len -= off;
    }
    return 0;
}

void vchan_txq_free(struct os *os, struct vchan_txq *q)
{
    os_free(os, q->buf);
    q->buf = NULL;
    q->len = q->cap = 0;
}
