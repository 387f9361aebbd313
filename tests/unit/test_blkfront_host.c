/* test_blkfront_host.c — see test_blkfront_host.h. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "test_blkfront_host.h"
#include "tests/lib/xs_path.h"
#include "tests/unit/page_pool.h"

#define TH_KV 512
#define TH_WATCHES 16
#define TH_EVQ 256
#define TH_GRANTS 8192
#define TH_SHARES 1024

struct th_kv {
    uint32_t hash; /* of path: lookups compare it first */
    char path[160];
    char val[256];
    bool used;
};
struct th_watch {
    char path[160];
    char token[32];
    bool used;
};
struct th_share {
    uint8_t *va;
    unsigned n;
    grant_ref_t first;
    bool used;
};

struct os {
    struct th_kv kv[TH_KV];
    int nkv; /* kv[nkv..] were never used: lookups stop there */
    struct th_watch w[TH_WATCHES];
    struct {
        char path[160];
        char token[32];
    } evq[TH_EVQ];
    unsigned evh, evt;
    void *gnt[TH_GRANTS];
    struct th_share sh[TH_SHARES];
    int nsh; /* sh[nsh..] were never used */
    grant_ref_t next_ref;
    bool pending[64];
    evtchn_port_t next_port;
    unsigned notifies, conflicts, commits, ro_grants;
    unsigned granted, ended; /* os_grant_access given, os_end_access */
    int ring_at_closing;     /* -1: the frontend never wrote Closing */
    void (*on_wait)(void *);
    void *wait_arg;
    char *log;
    size_t log_len;
    struct grave *graveyard;
    size_t ngrave;
    uint64_t clock_step, now; /* th_clock(): the host's own time */
};

struct grave {
    void *p;
    unsigned n;
};

/* ---- test side ---------------------------------------------------------- */

#ifdef SPLITBED_FUZZ
/* The last host freed, kept for the next th_new: clearing the parts of it
 * that were used costs less than faulting in a fresh one. */
static struct os *spare;
#endif

struct os *th_new(void)
{
    struct os *os = NULL;
#ifdef SPLITBED_FUZZ
    if (spare) {
        os = spare;
        spare = NULL;
        memset(os->kv, 0, (size_t)os->nkv * sizeof(os->kv[0]));
        memset(os->gnt, 0, (os->next_ref < TH_GRANTS ? os->next_ref : TH_GRANTS) * sizeof(void *));
        memset(os->sh, 0, (size_t)os->nsh * sizeof(os->sh[0]));
        os->nsh = 0;
        size_t head = offsetof(struct os, kv) + sizeof(os->kv);
        memset((char *)os + head, 0, offsetof(struct os, evq) - head);
        memset(&os->evh, 0, offsetof(struct os, gnt) - offsetof(struct os, evh));
        memset(&os->next_ref, 0, sizeof(*os) - offsetof(struct os, next_ref));
    }
#endif
    if (!os)
        os = calloc(1, sizeof(*os));
    os->next_ref = 8; /* refs below 8 are Xen's reserved entries */
    os->next_port = 1;
    os->ring_at_closing = -1;
    os->log = calloc(1, 1);
    return os;
}

void th_free(struct os *os)
{
    for (int i = 0; i < os->nsh; i++)
        if (os->sh[i].used)
            page_pool_give(os->sh[i].va, os->sh[i].n);
    for (size_t i = 0; i < os->ngrave; i++)
        page_pool_give(os->graveyard[i].p, os->graveyard[i].n);
    free(os->graveyard);
    free(os->log);
#ifdef SPLITBED_FUZZ
    if (!spare) {
        spare = os;
        return;
    }
#endif
    free(os);
}

const char *th_log(struct os *os)
{
    return os->log;
}
void th_clear_log(struct os *os)
{
    os->log_len = 0;
    os->log[0] = '\0';
}
void th_tx_conflicts(struct os *os, unsigned n)
{
    os->conflicts = n;
}
unsigned th_tx_commits(struct os *os)
{
    return os->commits;
}
unsigned th_notifies(struct os *os)
{
    return os->notifies;
}
void th_raise(struct os *os, evtchn_port_t port)
{
    if (port < 64)
        os->pending[port] = true;
}
void th_on_wait(struct os *os, void (*fn)(void *), void *arg)
{
    os->on_wait = fn;
    os->wait_arg = arg;
}

static void fire(struct os *os, const char *path)
{
    for (int i = 0; i < TH_WATCHES; i++) {
        if (!os->w[i].used ||
            !(xs_path_under(path, os->w[i].path) || xs_path_under(os->w[i].path, path)))
            continue;
        if (os->evt - os->evh >= TH_EVQ)
            continue; /* like a full queue: dropped */
        unsigned k = os->evt++ % TH_EVQ;
        snprintf(os->evq[k].path, sizeof(os->evq[k].path), "%s",
                 xs_path_under(path, os->w[i].path) ? path : os->w[i].path);
        snprintf(os->evq[k].token, sizeof(os->evq[k].token), "%s", os->w[i].token);
    }
}

static struct th_kv *find(struct os *os, const char *path)
{
    uint32_t h = xs_path_hash(path);
    for (int i = 0; i < os->nkv; i++)
        if (os->kv[i].used && os->kv[i].hash == h && strcmp(os->kv[i].path, path) == 0)
            return &os->kv[i];
    return NULL;
}

void th_write(struct os *os, const char *path, const char *val)
{
    struct th_kv *kv = find(os, path);
    for (int i = 0; !kv && i < TH_KV; i++)
        if (!os->kv[i].used)
            kv = &os->kv[i];
    if (!kv)
        abort();
    if (kv - os->kv >= os->nkv)
        os->nkv = (int)(kv - os->kv) + 1;
    kv->used = true;
    snprintf(kv->path, sizeof(kv->path), "%s", path);
    kv->hash = xs_path_hash(kv->path);
    snprintf(kv->val, sizeof(kv->val), "%s", val);
    fire(os, path);
}

void th_rm(struct os *os, const char *path)
{
    bool any = false;
    for (int i = 0; i < os->nkv; i++)
        if (os->kv[i].used && xs_path_under(os->kv[i].path, path)) {
            os->kv[i].used = false;
            any = true;
        }
    if (any)
        fire(os, path);
}

const char *th_read(struct os *os, const char *path)
{
    struct th_kv *kv = find(os, path);
    return kv ? kv->val : NULL;
}

void *th_gref(struct os *os, grant_ref_t ref)
{
    return ref < TH_GRANTS ? os->gnt[ref] : NULL;
}

void th_mark(struct os *os, struct th_mark *m)
{
    *m = (struct th_mark){ .next_ref = os->next_ref,
                           .ngrave = os->ngrave,
                           .next_port = os->next_port,
                           .evh = os->evh,
                           .evt = os->evt,
                           .notifies = os->notifies,
                           .conflicts = os->conflicts,
                           .commits = os->commits,
                           .ro_grants = os->ro_grants,
                           .granted = os->granted,
                           .ended = os->ended };
}

void th_rewind(struct os *os, const struct th_mark *m)
{
    for (int i = 0; i < os->nsh; i++)
        if (os->sh[i].used && os->sh[i].first >= m->next_ref) {
            page_pool_give(os->sh[i].va, os->sh[i].n);
            os->sh[i].used = false;
        }
    for (size_t i = m->ngrave; i < os->ngrave; i++)
        page_pool_give(os->graveyard[i].p, os->graveyard[i].n);
    os->ngrave = m->ngrave;
    for (grant_ref_t r = m->next_ref; r < os->next_ref && r < TH_GRANTS; r++)
        os->gnt[r] = NULL;
    os->next_ref = m->next_ref;
    /* A share the mark had, given back since, stays given back: the
     * caller rewinds only what it made after the mark. */
    os->next_port = m->next_port;
    memset(os->pending, 0, sizeof(os->pending));
    os->evh = m->evh;
    os->evt = m->evt;
    os->notifies = m->notifies;
    os->conflicts = m->conflicts;
    os->commits = m->commits;
    os->ro_grants = m->ro_grants;
    os->granted = m->granted;
    os->ended = m->ended;
    th_clear_log(os);
}

void th_toolstack(struct os *os)
{
    th_write(os, BE_DIR "/frontend", FE_DIR);
    th_write(os, BE_DIR "/frontend-id", "1");
    th_write(os, BE_DIR "/mode", "w");
    th_write(os, BE_DIR "/online", "1");
    th_write(os, BE_DIR "/state", "1");
    th_write(os, FE_DIR "/backend", BE_DIR);
    th_write(os, FE_DIR "/backend-id", "0");
    th_write(os, FE_DIR "/virtual-device", "51712");
    th_write(os, FE_DIR "/device-type", "disk");
    th_write(os, FE_DIR "/state", "1");
}

/* ---- os.h --------------------------------------------------------------- */

void os_log(struct os *os, enum os_log_level level, const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    if (getenv("TEST_VERBOSE"))
        fprintf(stderr, "%s\n", line);
    os->log = realloc(os->log, os->log_len + (size_t)n + 2);
    memcpy(os->log + os->log_len, line, (size_t)n);
    os->log_len += (size_t)n;
    os->log[os->log_len++] = '\n';
    os->log[os->log_len] = '\0';
}

int os_share_pages(struct os *os, domid_t peer, unsigned npages, bool writable, void **va,
                   grant_ref_t *refs)
{
    if (!npages || os->next_ref + npages > TH_GRANTS)
        return -OS_ENOMEM;
    for (int i = 0; i < TH_SHARES; i++) {
        if (os->sh[i].used)
            continue;
        uint8_t *p = page_pool_take(npages);
        if (!p)
            return -OS_ENOMEM;
        os->sh[i] = (struct th_share){ .va = p, .n = npages, .first = os->next_ref, .used = true };
        if (i >= os->nsh)
            os->nsh = i + 1;
        for (unsigned k = 0; k < npages; k++) {
            refs[k] = os->next_ref++;
            os->gnt[refs[k]] = p + (size_t)k * OS_PAGE_SIZE;
        }
        *va = p;
        return 0;
    }
    return -OS_ENOMEM;
}

int os_unshare_pages(struct os *os, void *va, unsigned npages)
{
    for (int i = 0; i < os->nsh; i++) {
        if (!os->sh[i].used || os->sh[i].va != va)
            continue;
        for (unsigned k = 0; k < os->sh[i].n; k++)
            os->gnt[os->sh[i].first + k] = NULL;
        /* The scripted backend may still hold a mapping, as a real one
         * can: keep the memory until the host goes. */
        os->graveyard = realloc(os->graveyard, (os->ngrave + 1) * sizeof(*os->graveyard));
        os->graveyard[os->ngrave++] = (struct grave){ os->sh[i].va, os->sh[i].n };
        os->sh[i].used = false;
        return 0;
    }
    return -OS_EINVAL;
}

unsigned th_readonly_grants(struct os *os)
{
    return os->ro_grants;
}

int os_grant_access(struct os *os, domid_t peer, const void *page, bool readonly, grant_ref_t *ref)
{
    uintptr_t a = (uintptr_t)page;
    os->ro_grants += readonly;
    if (a & (OS_PAGE_SIZE - 1)) {
        os_log(
            os, OS_LOG_ERROR,
            "[os] d1: grant of buffer 0x%lx refused: not the start of a whole page (offset 0x%lx)",
            (unsigned long)a, (unsigned long)(a & (OS_PAGE_SIZE - 1)));
        return -OS_EINVAL;
    }
    for (int i = 0; i < os->nsh; i++) {
        struct th_share *s = &os->sh[i];
        if (s->used && (uint8_t *)page >= s->va &&
            (uint8_t *)page < s->va + (size_t)s->n * OS_PAGE_SIZE) {
            /* Counted as an entry of its own (1), as the unikernel
             * hands out, so that giving each back can be checked. */
            *ref = s->first + (grant_ref_t)(((uint8_t *)page - s->va) / OS_PAGE_SIZE);
            os->granted++;
            return 1;
        }
    }
    os_log(os, OS_LOG_ERROR,
           "[os] d1: grant of buffer 0x%lx refused: not a page shared by this domain",
           (unsigned long)a);
    return -OS_EINVAL;
}

int os_end_access(struct os *os, grant_ref_t ref)
{
    os->ended++;
    return 0;
}

unsigned th_grants_not_ended(struct os *os)
{
    return os->granted - os->ended;
}
int th_ring_shared_at_closing(struct os *os)
{
    return os->ring_at_closing;
}

int os_evtchn_alloc_unbound(struct os *os, domid_t peer, evtchn_port_t *port)
{
    if (os->next_port >= 64)
        return -OS_ENOSPC;
    *port = os->next_port++;
    return 0;
}
int os_evtchn_notify(struct os *os, evtchn_port_t port)
{
    os->notifies++;
    return 0;
}
int os_evtchn_close(struct os *os, evtchn_port_t port)
{
    return 0;
}
int os_evtchn_next_pending(struct os *os, evtchn_port_t *port)
{
    for (evtchn_port_t p = 1; p < 64; p++)
        if (os->pending[p]) {
            os->pending[p] = false;
            *port = p;
            return (int)p;
        }
    return 0;
}

int os_xs_read(struct os *os, os_xs_tx tx, const char *path, char *buf, size_t size)
{
    struct th_kv *kv = find(os, path);
    if (!kv)
        return -OS_ENOENT;
    size_t n = strlen(kv->val);
    if (n + 1 > size)
        return -OS_E2BIG;
    memcpy(buf, kv->val, n + 1);
    return (int)n;
}
int os_xs_write(struct os *os, os_xs_tx tx, const char *path, const char *value)
{
    /* What a backend still mapping the ring needs: the ring still shared
     * when the frontend says Closing. */
    if (!strcmp(path, FE_DIR "/state") && !strcmp(value, "5")) {
        struct th_kv *kv = find(os, FE_DIR "/ring-ref");
        if (!kv)
            kv = find(os, FE_DIR "/ring-ref0");
        os->ring_at_closing = kv && th_gref(os, (grant_ref_t)strtoul(kv->val, NULL, 10)) != NULL;
    }
    th_write(os, path, value);
    return 0;
}
int os_xs_mkdir(struct os *os, os_xs_tx tx, const char *path)
{
    return 0;
}
int os_xs_rm(struct os *os, os_xs_tx tx, const char *path)
{
    if (!find(os, path))
        return -OS_ENOENT;
    th_rm(os, path);
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
    if (!abort && os->conflicts) {
        os->conflicts--;
        return -OS_EAGAIN;
    }
    if (!abort)
        os->commits++;
    return 0;
}
int os_xs_watch(struct os *os, const char *path, const char *token)
{
    for (int i = 0; i < TH_WATCHES; i++)
        if (!os->w[i].used) {
            os->w[i].used = true;
            snprintf(os->w[i].path, sizeof(os->w[i].path), "%s", path);
            snprintf(os->w[i].token, sizeof(os->w[i].token), "%s", token);
            unsigned k = os->evt++ % TH_EVQ;
            snprintf(os->evq[k].path, sizeof(os->evq[k].path), "%s", path);
            snprintf(os->evq[k].token, sizeof(os->evq[k].token), "%s", token);
            return 0;
        }
    return -OS_ENOSPC;
}
int os_xs_unwatch(struct os *os, const char *path, const char *token)
{
    for (int i = 0; i < TH_WATCHES; i++)
        if (os->w[i].used && !strcmp(os->w[i].path, path) && !strcmp(os->w[i].token, token))
            os->w[i].used = false;
    return 0;
}
int os_xs_next_watch(struct os *os, char *path, size_t ps, char *token, size_t ts)
{
    if (os->evh == os->evt)
        return 0;
    unsigned k = os->evh++ % TH_EVQ;
    snprintf(path, ps, "%s", os->evq[k].path);
    snprintf(token, ts, "%s", os->evq[k].token);
    return 1;
}
domid_t os_domid(struct os *os)
{
    return 1;
}

void th_clock(struct os *os, uint64_t step_ns)
{
    os->clock_step = step_ns;
    os->now = 1000000000ull;
}

uint64_t os_now_ns(struct os *os)
{
    if (os->clock_step)
        return os->now;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int os_wait(struct os *os, uint64_t deadline_ns)
{
    if (os->on_wait)
        os->on_wait(os->wait_arg);
    if (os->clock_step && os->now < deadline_ns)
        os->now = deadline_ns - os->now < os->clock_step ? deadline_ns : os->now + os->clock_step;
    return 1;
}

long os_console_write(struct os *os, const void *buf, size_t len)
{
    return (long)len;
}

/* ---- the scripted backend ----------------------------------------------- */

static void be_printf(struct fake_be *be, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void be_printf(struct fake_be *be, const char *key, const char *fmt, ...)
{
    char path[200], v[64];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v, sizeof(v), fmt, ap);
    va_end(ap);
    snprintf(path, sizeof(path), BE_DIR "/%s", key);
    th_write(be->os, path, v);
}

static int fe_u(struct fake_be *be, const char *key, unsigned long long *out)
{
    char path[200];
    snprintf(path, sizeof(path), FE_DIR "/%s", key);
    const char *v = th_read(be->os, path);
    if (!v)
        return -1;
    *out = strtoull(v, NULL, 0);
    return 0;
}

#ifdef SPLITBED_FUZZ
/* The last disk freed, kept for the next backend of the same size: a
 * disk is too big for the allocator's cache and would be fresh pages to
 * fault in every time. */
static uint8_t *spare_disk;
static uint64_t spare_sectors;

static uint8_t *disk_alloc(uint64_t sectors)
{
    if (spare_disk && spare_sectors == sectors) {
        uint8_t *d = spare_disk;
        spare_disk = NULL;
        memset(d, 0, sectors * 512);
        return d;
    }
    return calloc(sectors, 512);
}

static void disk_free(uint8_t *d, uint64_t sectors)
{
    if (!d)
        return;
    free(spare_disk);
    spare_disk = d;
    spare_sectors = sectors;
}
#else
static uint8_t *disk_alloc(uint64_t sectors)
{
    return calloc(sectors, 512);
}

static void disk_free(uint8_t *d, uint64_t sectors)
{
    (void)sectors;
    free(d);
}
#endif

void fake_be_init(struct fake_be *be, struct os *os, uint64_t sectors)
{
    memset(be, 0, sizeof(*be));
    be->os = os;
    be->sectors = sectors;
    be->sector_size = 512;
    be->disk = disk_alloc(sectors);
    be->serve = true;
    be->flush = true;
}

void fake_be_fini(struct fake_be *be)
{
    disk_free(be->disk, be->sectors);
}

static void publish_features(struct fake_be *be)
{
    be_printf(be, "sectors", "%llu", (unsigned long long)be->sectors);
    be_printf(be, "sector-size", "%u", be->sector_size);
    be_printf(be, "info", "%u", be->info);
    if (be->flush)
        be_printf(be, "feature-flush-cache", "1");
    if (be->discard) {
        be_printf(be, "feature-discard", "1");
        if (be->discard_granularity)
            be_printf(be, "discard-granularity", "%u", be->discard_granularity);
    }
    if (be->persistent)
        be_printf(be, "feature-persistent", "1");
}

static bool do_connect(struct fake_be *be)
{
    unsigned long long order = 0, ref, port;
    if (fe_u(be, "ring-page-order", &order) == 0 && order > 0) {
        if (fe_u(be, "ring-ref0", &ref) < 0) {
            snprintf(be->error, sizeof(be->error), "ring-page-order without ring-ref0");
            return false;
        }
    } else if (fe_u(be, "ring-ref", &ref) < 0) {
        snprintf(be->error, sizeof(be->error), "no ring-ref");
        return false;
    }
    if (order > be->max_order) {
        snprintf(be->error, sizeof(be->error), "ring-page-order %llu above max %u", order,
                 be->max_order);
        return false;
    }
    if (fe_u(be, "event-channel", &port) < 0) {
        snprintf(be->error, sizeof(be->error), "no event-channel");
        return false;
    }
    blkif_sring_t *s = th_gref(be->os, (grant_ref_t)ref);
    if (!s) {
        snprintf(be->error, sizeof(be->error), "ring-ref %llu not granted", ref);
        return false;
    }
    BACK_RING_INIT(&be->ring, s, (size_t)OS_PAGE_SIZE << order);
    be->order = (unsigned)order;
    be->port = (evtchn_port_t)port;
    if (be->features_late || be->never_initwait)
        publish_features(be);
    be->connected = true;
    be_printf(be, "state", "4");
    return true;
}

static void copy_seg(struct fake_be *be, uint8_t op, uint64_t *sector,
                     struct blkif_request_segment *sg)
{
    uint8_t *page = th_gref(be->os, sg->gref);
    be->last_gref = sg->gref;
    if (!page || sg->first_sect > sg->last_sect || sg->last_sect > 7) {
        snprintf(be->error, sizeof(be->error), "bad segment gref %u %u..%u", sg->gref,
                 sg->first_sect, sg->last_sect);
        return;
    }
    size_t n = (size_t)(sg->last_sect - sg->first_sect + 1) * 512;
    uint8_t *d = be->disk + *sector * 512;
    if (*sector + n / 512 > be->sectors) {
        snprintf(be->error, sizeof(be->error), "beyond the disk");
        return;
    }
    if (op == BLKIF_OP_WRITE)
        memcpy(d, page + sg->first_sect * 512, n);
    else
        memcpy(page + sg->first_sect * 512, d, n);
    *sector += n / 512;
}

static void serve(struct fake_be *be)
{
    RING_IDX rp = be->ring.sring->req_prod;
    xen_rmb();
    bool any = false;
    for (RING_IDX i = be->ring.req_cons; i != rp; i++) {
        blkif_request_t req;
        RING_COPY_REQUEST(&be->ring, i, &req);
        be->requests++;
        blkif_response_t rsp = { .id = req.id,
                                 .operation = req.operation,
                                 .status = BLKIF_RSP_OKAY };
        uint64_t sector = req.sector_number;
        if (req.operation == BLKIF_OP_INDIRECT) {
            blkif_request_indirect_t *ind = (blkif_request_indirect_t *)&req;
            be->indirect_requests++;
            rsp.operation = ind->indirect_op;
            struct blkif_request_segment *segs = th_gref(be->os, ind->indirect_grefs[0]);
            sector = ind->sector_number;
            for (unsigned k = 0; segs && k < ind->nr_segments; k++) {
                struct blkif_request_segment *pg = th_gref(be->os, ind->indirect_grefs[k / 512]);
                copy_seg(be, ind->indirect_op, &sector, &pg[k % 512]);
            }
        } else if (req.operation == BLKIF_OP_READ || req.operation == BLKIF_OP_WRITE) {
            for (unsigned k = 0; k < req.nr_segments && k < BLKIF_MAX_SEGMENTS_PER_REQUEST; k++)
                copy_seg(be, req.operation, &sector, &req.seg[k]);
        } else if (req.operation == BLKIF_OP_FLUSH_DISKCACHE) {
            be->flushes++;
        } else {
            rsp.status = BLKIF_RSP_EOPNOTSUPP;
        }
        if (be->error[0])
            rsp.status = BLKIF_RSP_ERROR;
        *RING_GET_RESPONSE(&be->ring, be->ring.rsp_prod_pvt) = rsp;
        be->ring.rsp_prod_pvt++;
        be->ring.req_cons = i + 1;
        any = true;
    }
    if (any) {
        int notify;
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&be->ring, notify);
        (void)notify;
        th_raise(be->os, be->port);
    }
}

void fake_be_step(struct fake_be *be)
{
    const char *bs = th_read(be->os, BE_DIR "/state"), *fs = th_read(be->os, FE_DIR "/state");
    int b = bs ? atoi(bs) : 0, f = fs ? atoi(fs) : 0;
    if (b == XenbusStateInitialising && !be->never_initwait) {
        if (be->max_order)
            be_printf(be, "max-ring-page-order", "%u", be->max_order);
        if (be->max_indirect)
            be_printf(be, "feature-max-indirect-segments", "%u", be->max_indirect);
        if (!be->features_late)
            publish_features(be);
        be_printf(be, "state", "2");
        return;
    }
    if (b == XenbusStateInitialising && be->never_initwait &&
        !th_read(be->os, BE_DIR "/hotplug-status")) {
        be_printf(be, "hotplug-status", "online");
        if (be->max_indirect)
            be_printf(be, "feature-max-indirect-segments", "%u", be->max_indirect);
        publish_features(be);
        return;
    }
    if ((b == XenbusStateInitWait || b == XenbusStateInitialising) &&
        (f == XenbusStateInitialised || f == XenbusStateConnected)) {
        (void)do_connect(be);
        return;
    }
    if (b == XenbusStateConnected && f == XenbusStateClosing) {
        be->connected = false;
        be_printf(be, "state", "5");
        return;
    }
    if (b == XenbusStateClosing && (f == XenbusStateClosed || f == XenbusStateClosing)) {
        be_printf(be, "state", "6");
        return;
    }
    if (b == XenbusStateClosed && f == XenbusStateInitialising) {
        be_printf(be, "state", "2");
        return;
    }
    if (be->connected && be->serve && b == XenbusStateConnected)
        serve(be);
}

void fake_be_step_cb(void *be)
{
    fake_be_step(be);
}
