/*
 * blkfront.c — opening, negotiating with and closing a block backend.
 *
 * Negotiation decisions each log one line.  The frontend's largest ring is
 * order 2 (4 pages, as Mirage's blkfront) unless opts say otherwise: big
 * enough for queue depth 128, and it exercises multi-page rings against
 * every backend that offers them.
 */
#include "blkfront_priv.h"

void blkfront_default_opts(struct blkfront_opts *opts)
{
    os_memset(opts, 0, sizeof(*opts));
    opts->max_ring_order = 2;
    opts->max_indirect = 32;
    opts->persistent = true;
    opts->timeout_ns = BF_DEFAULT_TIMEOUT;
}

void bf_log(struct blkfront *bf, enum os_log_level level, const char *fmt, ...)
{
    char msg[384];
    va_list ap;
    va_start(ap, fmt);
    os_vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    os_log(bf->os, level, "[blkfront] %s: %s", bf->name, msg);
}

static unsigned order_of_pages(uint64_t pages)
{
    unsigned o = 0;
    while (o < 31 && (1ull << (o + 1)) <= pages)
        o++;
    return o;
}

/* ---- xenbus callbacks --------------------------------------------------- */

/* Backend max ring order: max-ring-page-order, else the deprecated
 * max-ring-pages, else single page. */
static unsigned backend_max_order(struct blkfront *bf)
{
    uint64_t v;
    if (xenbus_read_backend_u64(bf->xd, "max-ring-page-order", &v) == 0)
        return v > 31 ? 31 : (unsigned)v;
    if (xenbus_read_backend_u64(bf->xd, "max-ring-pages", &v) == 0 && v > 0) {
        bf_log(bf, OS_LOG_INFO, "backend offers the deprecated max-ring-pages = %llu",
               (unsigned long long)v);
        return order_of_pages(v);
    }
    return 0;
}

static int bf_setup(void *ctx)
{
    struct blkfront *bf = ctx;
    unsigned offered = backend_max_order(bf);
#ifdef SPLITBED_BUG_RING_ORDER
    /* The backend's offer taken as is, up to what ring_refs holds. */
    unsigned order = offered < BF_MAX_RING_ORDER ? offered : BF_MAX_RING_ORDER;
#else
    unsigned order = offered < bf->opts.max_ring_order ? offered : bf->opts.max_ring_order;
#endif
    bf->info.backend_max_ring_order = offered;
    if (offered == 0)
        bf_log(bf, OS_LOG_INFO, "backend offers no multi-page ring, using a single page");
    else
        bf_log(bf, OS_LOG_INFO, "backend advertises multi-page ring (order %u), using order %u",
               offered, order);

    unsigned npages = 1u << order;
    void *va;
    int r = os_share_pages(bf->os, xenbus_backend_id(bf->xd), npages, true, &va, bf->ring_refs);
    if (r < 0)
        return r;
    /* The pages come zeroed; only the event thresholds start at 1. */
    blkif_sring_t *sring = va;
    sring->req_event = sring->rsp_event = 1;
    FRONT_RING_INIT(&bf->ring, sring, (size_t)OS_PAGE_SIZE * npages);
    bf->ring_va = va;
    bf->ring_pages = npages;
    bf->info.ring_order = order;
    bf->info.ring_slots = RING_SIZE(&bf->ring);
#ifndef SPLITBED_BUG_RING_ORDER
    if (bf->info.ring_slots > bf->max_slots)
        bf->info.ring_slots = bf->max_slots;
#endif

    r = os_evtchn_alloc_unbound(bf->os, xenbus_backend_id(bf->xd), &bf->port);
    if (r < 0) {
        if (os_unshare_pages(bf->os, bf->ring_va, bf->ring_pages) < 0)
            bf_log(bf, OS_LOG_WARN, "ring pages still mapped by the backend; leaking them");
        bf->ring_va = NULL;
        return r;
    }
    bf->have_port = true;
    bf_ring_reset_slots(bf);
    return 0;
}

static int bf_write(void *ctx, os_xs_tx tx)
{
    struct blkfront *bf = ctx;
    struct xenbus_dev *xd = bf->xd;
    int r = 0;
    char key[32];
    /* Keys of an earlier round with another ring size must not linger. */
    for (unsigned i = 0; i < (1u << BF_MAX_RING_ORDER) && r == 0; i++) {
        os_snprintf(key, sizeof(key), "ring-ref%u", i);
        if ((bf->ring_pages == 1 && !bf->opts.explicit_order0) || i >= bf->ring_pages)
            r = xenbus_rm(xd, tx, key);
    }
    if (r == 0 && bf->ring_pages == 1 && !bf->opts.explicit_order0) {
        /* One page: the legacy key only (blkif.h; Mirage, Mini-OS). */
        r = xenbus_rm(xd, tx, "ring-page-order");
        if (r == 0)
            r = xenbus_printf(xd, tx, "ring-ref", "%u", bf->ring_refs[0]);
    } else if (r == 0) {
        r = xenbus_rm(xd, tx, "ring-ref");
        if (r == 0)
            r = xenbus_printf(xd, tx, "ring-page-order", "%u", bf->info.ring_order);
        for (unsigned i = 0; i < bf->ring_pages && r == 0; i++) {
            os_snprintf(key, sizeof(key), "ring-ref%u", i);
            r = xenbus_printf(xd, tx, key, "%u", bf->ring_refs[i]);
        }
    }
    if (r == 0)
        r = xenbus_printf(xd, tx, "event-channel", "%u", bf->port);
    if (r == 0)
        r = xenbus_write(xd, tx, "protocol", XEN_IO_PROTO_ABI_NATIVE);
    if (r == 0)
        r = xenbus_write(xd, tx, "feature-persistent", bf->opts.persistent ? "1" : "0");
    return r;
}

/* Reads sectors/sector-size/info; logs and returns an error for values no
 * disk can have. */
static int read_geometry(struct blkfront *bf, bool first)
{
    struct xenbus_dev *xd = bf->xd;
    uint64_t sectors, ss = 512, pss, info = 0;
    int r = xenbus_read_backend_u64(xd, "sectors", &sectors);
    if (r < 0) {
        xenbus_fail(xd, -OS_EPROTO, "backend is Connected without a valid 'sectors'");
        return -OS_EPROTO;
    }
    if (sectors > (UINT64_MAX >> 10)) {
        xenbus_fail(xd, -OS_EPROTO, "backend sectors = %llu is beyond any disk",
                    (unsigned long long)sectors);
        return -OS_EPROTO;
    }
    r = xenbus_read_backend_u64(xd, "sector-size", &ss);
    if (r == -OS_ENOENT)
        ss = 512;
    if (ss < 512 || ss > 65536 || (ss & (ss - 1))) {
        xenbus_fail(xd, -OS_EPROTO, "backend sector-size is not a power of two from 512 to 65536");
        return -OS_EPROTO;
    }
    if (xenbus_read_backend_u64(xd, "physical-sector-size", &pss) < 0)
        pss = ss;
    if (pss < ss || pss > 65536 || (pss & (pss - 1))) {
        bf_log(bf, OS_LOG_WARN,
               "backend physical-sector-size %llu is not a power of two >= sector-size; using %llu",
               (unsigned long long)pss, (unsigned long long)ss);
        pss = ss;
    }
    if (sectors % (ss / 512)) {
        xenbus_fail(
            xd, -OS_EPROTO,
            "backend sectors = %llu (512-byte units) is not a whole number of %llu-byte blocks",
            (unsigned long long)sectors, (unsigned long long)ss);
        return -OS_EPROTO;
    }
    (void)xenbus_read_backend_u64(xd, "info", &info);
    if (!first && sectors != bf->info.sectors)
        bf_log(bf, OS_LOG_INFO, "capacity changed from %llu to %llu sectors",
               (unsigned long long)bf->info.sectors, (unsigned long long)sectors);
    bf->info.sectors = sectors;
    bf->info.sector_size = (uint32_t)ss;
    bf->info.physical_sector_size = (uint32_t)pss;
    bf->info.cdrom = info & VDISK_CDROM;
    bf->info.removable = info & VDISK_REMOVABLE;
    bf->info.readonly = info & VDISK_READONLY;
    char mode[8];
    if (xenbus_read_backend(xd, "mode", mode, sizeof(mode)) > 0 && mode[0] == 'r' &&
        mode[1] == '\0')
        bf->info.readonly = true;
    return 0;
}

static int bf_connect(void *ctx)
{
    struct blkfront *bf = ctx;
    struct xenbus_dev *xd = bf->xd;
    int r = read_geometry(bf, !bf->ever_connected);
    if (r < 0)
        return r;
    struct blkfront_info *in = &bf->info;
    /* Linux blkback publishes these only now (D1): read them here. */
    in->flush = xenbus_backend_feature(xd, "feature-flush-cache");
    in->barrier = xenbus_backend_feature(xd, "feature-barrier");
    in->persistent = bf->opts.persistent && xenbus_backend_feature(xd, "feature-persistent");
    in->discard = xenbus_backend_feature(xd, "feature-discard");
    in->discard_secure = in->discard && xenbus_backend_feature(xd, "discard-secure");
    uint64_t v;
    in->discard_granularity = in->discard &&
                                      xenbus_read_backend_u64(xd, "discard-granularity", &v) == 0 &&
                                      v <= UINT32_MAX
                                  ? (uint32_t)v
                                  : 0;
    in->discard_alignment =
        in->discard && xenbus_read_backend_u64(xd, "discard-alignment", &v) == 0 && v <= UINT32_MAX
            ? (uint32_t)v
            : 0;
    in->backend_max_indirect = 0;
    if (xenbus_read_backend_u64(xd, "feature-max-indirect-segments", &v) == 0)
        in->backend_max_indirect = v > UINT16_MAX ? UINT16_MAX : (unsigned)v;
    unsigned want =
        bf->opts.max_indirect > BF_MAX_INDIRECT ? BF_MAX_INDIRECT : bf->opts.max_indirect;
    unsigned ind = in->backend_max_indirect < want ? in->backend_max_indirect : want;
    /* Indirect only pays when it carries more than a direct request. */
    in->max_indirect = ind > BLKIF_MAX_SEGMENTS_PER_REQUEST ? ind : 0;
    in->max_segments = in->max_indirect ? in->max_indirect : BLKIF_MAX_SEGMENTS_PER_REQUEST;
    if (in->backend_max_indirect && !in->max_indirect)
        bf_log(bf, OS_LOG_INFO, "backend offers %u indirect segments; not using indirect requests",
               in->backend_max_indirect);
    else if (in->max_indirect && in->max_indirect < in->backend_max_indirect)
        bf_log(bf, OS_LOG_INFO, "backend offers %u indirect segments, using %u",
               in->backend_max_indirect, in->max_indirect);

    if (bf->ever_connected)
        in->reconnects++;
    bf->ever_connected = true;
    bf->connected = true;
    bf->spurious = 0;
    bf->storm_logged = false;
    char extra[160];
    os_snprintf(extra, sizeof(extra), "%s%s%s%s", in->readonly ? ", read-only" : "",
                in->flush     ? ", flush"
                : in->barrier ? ", barrier"
                              : "",
                in->discard ? ", discard" : "", in->persistent ? ", persistent grants" : "");
    bf_log(bf, OS_LOG_INFO,
           "%llu sectors of 512 bytes (logical %u, physical %u), ring order %u, indirect %u%s",
           (unsigned long long)in->sectors, in->sector_size, in->physical_sector_size,
           in->ring_order, in->max_indirect, extra);
    bf_ring_kick(bf);
    return 0;
}

static void bf_changed(void *ctx)
{
    struct blkfront *bf = ctx;
    (void)read_geometry(bf, false);
}

static void release_transport(struct blkfront *bf)
{
    if (bf->have_port) {
        (void)os_evtchn_close(bf->os, bf->port);
        bf->have_port = false;
    }
    if (bf->ring_va) {
        /* XSA-396: a page the backend still maps is never reused. */
        if (os_unshare_pages(bf->os, bf->ring_va, bf->ring_pages) < 0)
            bf_log(bf, OS_LOG_WARN, "ring pages still mapped by the backend; leaking them");
        bf->ring_va = NULL;
    }
}

static void bf_disconnect(void *ctx)
{
    struct blkfront *bf = ctx;
    bf->connected = false;
    /* What the old backend did not answer is asked again of the next. */
    bf_ring_requeue_in_flight(bf);
    release_transport(bf);
}

/* A backend that publishes its disk before any InitWait (Mirage's, D8)
 * waits for our ring.  hotplug-status alone says nothing: a hotplug script
 * may run before a Linux-like backend has published its limits. */
static bool bf_ready_without_initwait(void *ctx)
{
    struct blkfront *bf = ctx;
    char v[32];
    return xenbus_read_backend(bf->xd, "sectors", v, sizeof(v)) > 0;
}

static const struct xenbus_ops bf_ops = {
    .setup = bf_setup,
    .write = bf_write,
    .connect = bf_connect,
    .changed = bf_changed,
    .disconnect = bf_disconnect,
    .ready_without_initwait = bf_ready_without_initwait,
};

/* ---- public ------------------------------------------------------------- */

int blkfront_parse_vdev(const char *s, uint32_t *out)
{
    uint64_t n;
    if (!s || !*s)
        return -OS_EINVAL;
    if (os_parse_u64(s, &n) == 0) {
        if (n == 0 || n > UINT32_MAX)
            return -OS_EINVAL;
        *out = (uint32_t)n;
        return 0;
    }
    if (os_strncmp(s, "xvd", 3) != 0)
        return -OS_EINVAL;
    s += 3;
    /* Disk letters are bijective base 26: a..z, aa..zz, ... */
    uint32_t disk = 0;
    unsigned letters = 0;
    while (*s >= 'a' && *s <= 'z') {
        if (++letters > 3)
            return -OS_EINVAL;
        disk = disk * 26 + (uint32_t)(*s - 'a' + 1);
        s++;
    }
    if (!letters)
        return -OS_EINVAL;
    disk -= 1;
    uint64_t part = 0;
    if (*s && (os_parse_u64(s, &part) < 0 || part == 0 || *s == '0'))
        return -OS_EINVAL;
    if (disk < 16 && part < 16)
        *out = (202u << 8) | (disk << 4) | (uint32_t)part;
    else if (disk < (1u << 20) && part < 256)
        *out = (1u << 28) | (disk << 8) | (uint32_t)part;
    else
        return -OS_EINVAL;
    return 0;
}

int blkfront_open(struct os *os, const char *vdev, const struct blkfront_opts *opts,
                  struct blkfront **out)
{
    uint32_t id;
    if (blkfront_parse_vdev(vdev, &id) < 0) {
        os_log(os, OS_LOG_ERROR,
               "[blkfront] bad virtual device '%s': expected xvdX or a number like 51712",
               vdev ? vdev : "");
        return -OS_EINVAL;
    }
    struct blkfront *bf = os_calloc(os, 1, sizeof(*bf));
    if (!bf) {
        os_log(os, OS_LOG_ERROR, "[blkfront] %s: out of memory", vdev);
        return -OS_ENOMEM;
    }
    bf->os = os;
    if (opts)
        bf->opts = *opts;
    else
        blkfront_default_opts(&bf->opts);
    if (bf->opts.max_ring_order > BF_MAX_RING_ORDER)
        bf->opts.max_ring_order = BF_MAX_RING_ORDER;
    if (!bf->opts.timeout_ns)
        bf->opts.timeout_ns = BF_DEFAULT_TIMEOUT;
    int n = 0;
    while (vdev[n] && n < (int)sizeof(bf->name) - 1) {
        bf->name[n] = vdev[n];
        n++;
    }
    bf->info.vdev = id;
    bf->max_slots = __CONST_RING_SIZE(blkif, OS_PAGE_SIZE << bf->opts.max_ring_order);
    bf->slots = os_calloc(os, bf->max_slots, sizeof(*bf->slots));
    if (!bf->slots) {
        os_log(os, OS_LOG_ERROR, "[blkfront] %s: out of memory", vdev);
        os_free(os, bf);
        return -OS_ENOMEM;
    }
    char idstr[16];
    os_snprintf(idstr, sizeof(idstr), "%u", id);
    int r = xenbus_open(os, "vbd", idstr, bf->name, "blkfront", &bf_ops, bf, &bf->xd);
    if (r < 0) {
        os_free(os, bf->slots);
        os_free(os, bf);
        return r;
    }
    bf->info.backend_id = xenbus_backend_id(bf->xd);
    if (bf->opts.skip_initialised || bf->opts.early_transport)
        xenbus_set_quirks(bf->xd, bf->opts.skip_initialised, bf->opts.early_transport);
    *out = bf;
    return 0;
}

/* A backend that raises events with nothing behind them (XSA-391) only
 * makes the host loop spin; say so once per connection. */
static void note_spurious(struct blkfront *bf, unsigned ours)
{
    if (bf->completions) {
        bf->spurious = 0;
        return;
    }
    if (!ours)
        return;
    bf->spurious += ours;
    if (bf->spurious >= BF_STORM && !bf->storm_logged) {
        bf->storm_logged = true;
        bf_log(bf, OS_LOG_WARN,
               "backend raised %u events in a row without a response; they only wake the loop",
               bf->spurious);
    }
}

int blkfront_poll(struct blkfront *bf)
{
    bf->completions = 0;
    int r = xenbus_step(bf->xd);
    while (r > 0)
        r = xenbus_step(bf->xd);
    if (r < 0) {
        bf->connected = false;
        bf_ring_fail_all(bf, r);
        return r;
    }
    evtchn_port_t port;
    unsigned ours = 0;
    /* Events only wake us; the ring says what happened.  One per call is
     * enough: another one still pending wakes the host loop again. */
    if (os_evtchn_next_pending(bf->os, &port) > 0 && bf->have_port && port == bf->port)
        ours++;
    if (bf->connected) {
        bf_ring_consume(bf);
        if (xenbus_error(bf->xd) < 0) {
            bf->connected = false;
            bf_ring_fail_all(bf, xenbus_error(bf->xd));
            return xenbus_error(bf->xd);
        }
        bf_ring_kick(bf);
        note_spurious(bf, ours);
    }
    return (int)bf->completions;
}

bool blkfront_connected(const struct blkfront *bf)
{
    return bf->connected;
}
int blkfront_error(const struct blkfront *bf)
{
    return xenbus_error(bf->xd);
}
const char *blkfront_diagnosis(const struct blkfront *bf)
{
    return xenbus_diagnosis(bf->xd);
}
const struct blkfront_info *blkfront_get_info(struct blkfront *bf)
{
    return &bf->info;
}
unsigned blkfront_in_flight(const struct blkfront *bf)
{
    return bf->queued;
}

size_t blkfront_max_io(const struct blkfront *bf)
{
    unsigned segs = bf->info.max_segments ? bf->info.max_segments : BLKIF_MAX_SEGMENTS_PER_REQUEST;
    return (size_t)segs * OS_PAGE_SIZE;
}

void *blkfront_buffer_alloc(struct blkfront *bf, unsigned npages)
{
    struct bf_region *rg = os_calloc(bf->os, 1, sizeof(*rg));
    if (!rg)
        return NULL;
    grant_ref_t *refs = os_calloc(bf->os, npages, sizeof(*refs));
    void *va = NULL;
    if (!refs || os_share_pages(bf->os, xenbus_backend_id(bf->xd), npages, true, &va, refs) < 0) {
        os_free(bf->os, refs);
        os_free(bf->os, rg);
        return NULL;
    }
    os_free(bf->os, refs); /* os_grant_access finds them again */
    rg->va = va;
    rg->npages = npages;
    rg->next = bf->regions;
    bf->regions = rg;
    return va;
}

void blkfront_buffer_free(struct blkfront *bf, void *buf, unsigned npages)
{
    for (struct bf_region **pp = &bf->regions; *pp; pp = &(*pp)->next) {
        if ((*pp)->va != buf)
            continue;
        struct bf_region *rg = *pp;
        *pp = rg->next;
        if (os_unshare_pages(bf->os, rg->va, rg->npages) < 0)
            bf_log(bf, OS_LOG_WARN, "buffer %p still mapped by the backend; leaking it", buf);
        os_free(bf->os, rg);
        return;
    }
}

bool bf_in_region(struct blkfront *bf, const void *buf, size_t len)
{
    const uint8_t *p = buf;
    for (struct bf_region *rg = bf->regions; rg; rg = rg->next)
        if (p >= rg->va && len <= (size_t)rg->npages * OS_PAGE_SIZE &&
            (size_t)(p - rg->va) <= (size_t)rg->npages * OS_PAGE_SIZE - len)
            return true;
    return false;
}

void blkfront_close_start(struct blkfront *bf)
{
    if (xenbus_error(bf->xd) != 0)
        return;
    (void)xenbus_close_device(bf->xd);
    bf->connected = false;
}

bool blkfront_close_poll(struct blkfront *bf)
{
    while (xenbus_phase(bf->xd) == XENBUS_CLOSING)
        if (xenbus_step(bf->xd) == 0)
            return false;
    return true;
}

void blkfront_free(struct blkfront *bf)
{
    if (!bf)
        return;
    bf_ring_fail_all(bf, -OS_ESHUTDOWN);
    release_transport(bf);
    bf_ring_free_slots(bf);
    while (bf->regions)
        blkfront_buffer_free(bf, bf->regions->va, bf->regions->npages);
    xenbus_free(bf->xd);
    os_free(bf->os, bf->slots);
    os_free(bf->os, bf);
}
