/*
 * ring.c — blkif request core: copy, validate, do the I/O, respond.
 */
#include "backends-sim/blkback/ring.h"

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "backends-sim/blkback/blkif_proto.h"

#define PAGE_BYTES 4096u
#define SECTORS_PER_PAGE (PAGE_BYTES / 512u)
#define SEGS_PER_INDIRECT_PAGE (PAGE_BYTES / sizeof(struct blkif_request_segment))
#define MAX_SEGS (BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST * SEGS_PER_INDIRECT_PAGE)

/* A persistent grant stays mapped until the ring closes. */
struct pgrant {
    grant_ref_t ref;
    bool used;
    void *page;
};

struct bb_ring {
    struct bb_ring_config cfg;
    struct bb_mapper *mapper;
    struct bb_image *img;
    const struct bb_logger *log;
    void *ring_va;
    blkif_back_ring_t ring;
    bool broken;
    struct bb_ring_stats st;
    uint64_t cur_id;   /* id of the request being served */
    unsigned ind_read; /* segments an indirect request's pages gave */

    struct pgrant *pg; /* open-addressed by ref */
    unsigned pg_cap, pg_count;

    /* Scratch, sized for the largest request once at open. */
    struct blkif_request_segment segs[MAX_SEGS];
    grant_ref_t refs[MAX_SEGS];
    struct iovec iov[MAX_SEGS];
    void *pages[MAX_SEGS];
    struct bb_copy copies[MAX_SEGS];
    char *bounce; /* grant copy: the request's data */
};

static void diag_prefixed(struct bb_ring *r, bool cut, const char *fmt, va_list ap)
{
    char detail[320];
    vsnprintf(detail, sizeof(detail), fmt, ap);
    bb_diag(r->log, "blkback: dom%u %s: request id 0x%llx: %s%s", (unsigned)r->cfg.frontend,
            r->cfg.device, (unsigned long long)r->cur_id, detail, cut ? "; frontend cut off" : "");
}

/* A rule only a buggy or hostile frontend breaks. */
__attribute__((format(printf, 2, 3))) static int16_t violation(struct bb_ring *r, const char *fmt,
                                                               ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_prefixed(r, r->cfg.strict, fmt, ap);
    va_end(ap);
    if (r->cfg.strict)
        r->broken = true;
    return BLKIF_RSP_ERROR;
}

/* A request that fails but that a correct frontend might send. */
__attribute__((format(printf, 3, 4))) static int16_t refuse(struct bb_ring *r, int16_t status,
                                                            const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diag_prefixed(r, false, fmt, ap);
    va_end(ap);
    return status;
}

/* ---- persistent grants ------------------------------------------------ */

static unsigned pg_slot(const struct bb_ring *r, grant_ref_t ref)
{
    return (ref * 2654435761u) & (r->pg_cap - 1);
}

/* The page kept mapped for ref, or NULL. */
static void *pg_find(struct bb_ring *r, grant_ref_t ref)
{
    if (!r->pg)
        return NULL;
    for (unsigned i = pg_slot(r, ref);; i = (i + 1) & (r->pg_cap - 1)) {
        if (!r->pg[i].used)
            return NULL;
        if (r->pg[i].ref == ref) {
            r->st.persistent_hits++;
            return r->pg[i].page;
        }
    }
}

static void pg_insert(struct bb_ring *r, grant_ref_t ref, void *page)
{
    unsigned i = pg_slot(r, ref);
    while (r->pg[i].used)
        i = (i + 1) & (r->pg_cap - 1);
    r->pg[i] = (struct pgrant){ .ref = ref, .used = true, .page = page };
    r->pg_count++;
}

/* Maps ref writable and keeps it for every later use, if there is room.
 * NULL with errno 0 when the cache is full (map it per use then), with
 * errno set when the map failed. */
static void *pg_keep(struct bb_ring *r, grant_ref_t ref)
{
    if (!r->pg || r->pg_count >= r->cfg.max_persistent_grants) {
        errno = 0;
        return NULL;
    }
    void *p = bb_map(r->mapper, r->cfg.frontend, 1, &ref, true);
    if (p)
        pg_insert(r, ref, p);
    return p;
}

/* Linux maps every page writable once persistent grants are in use. */
static bool map_all_writable(const struct bb_ring *r)
{
    return r->cfg.persistent && r->cfg.persistent_map == BB_PMAP_RW;
}

/* A map that failed fails its request only (XSA-361..365).  When the
 * backend only reads the pages but mapped them writable because of
 * persistent grants, the line says so: that is a frontend granting a
 * write's pages read-only, which Linux blkback refuses the same way. */
static int16_t map_failed(struct bb_ring *r, const char *what, unsigned n, grant_ref_t first,
                          bool writable, bool only_read, int err)
{
    return refuse(
        r, BLKIF_RSP_ERROR, "%smap of %u %s%s (first ref %u) failed (%s)%s",
        writable ? "writable " : "", n, what, n == 1 ? "" : "s", (unsigned)first, strerror(err),
        writable && only_read ? "; with persistent grants every page is mapped writable, as Linux "
                                "blkback does, so it must be granted read-write"
                              : "");
}

/* ---- open / close ------------------------------------------------------ */

/* The grant-copy bounce buffer holds the largest request's data. */
static size_t bounce_bytes(const struct bb_ring *r)
{
    unsigned most = r->cfg.max_indirect_segments > BLKIF_MAX_SEGMENTS_PER_REQUEST
                        ? r->cfg.max_indirect_segments
                        : BLKIF_MAX_SEGMENTS_PER_REQUEST;
    return (size_t)most * PAGE_BYTES;
}

#ifdef SPLITBED_FUZZ
/* Fuzz targets open and close a ring per input: the last ring closed is
 * kept for the next open, which then costs clearing its fields instead of
 * faulting in fresh memory (the scratch arrays alone are some 300 KB).
 * The scratch is written before it is read by every request, so it is
 * not cleared. */
static struct bb_ring *spare;

static struct bb_ring *ring_alloc(void)
{
    struct bb_ring *r = spare;
    if (!r)
        return calloc(1, sizeof(*r));
    spare = NULL;
    memset(r, 0, offsetof(struct bb_ring, segs));
    r->bounce = NULL;
    return r;
}

static void ring_release(struct bb_ring *r)
{
    if (spare)
        free(r);
    else
        spare = r;
}

/* The grant-copy bounce buffer (up to 16 MiB), kept the same way. */
static char *spare_bounce;
static size_t spare_bounce_len;

static char *bounce_alloc(size_t len)
{
    if (spare_bounce && spare_bounce_len >= len) {
        char *b = spare_bounce;
        spare_bounce = NULL;
        return b;
    }
    return malloc(len);
}

static void bounce_release(char *b, size_t len)
{
    if (!b)
        return;
    if (spare_bounce && spare_bounce_len >= len) {
        free(b);
        return;
    }
    free(spare_bounce);
    spare_bounce = b;
    spare_bounce_len = len;
}
#else
static struct bb_ring *ring_alloc(void)
{
    return calloc(1, sizeof(struct bb_ring));
}

static void ring_release(struct bb_ring *r)
{
    free(r);
}

static char *bounce_alloc(size_t len)
{
    return malloc(len);
}

static void bounce_release(char *b, size_t len)
{
    (void)len;
    free(b);
}
#endif

int bb_ring_open(const struct bb_ring_config *cfg, struct bb_mapper *mapper, struct bb_image *img,
                 const struct bb_logger *log, struct bb_ring **out)
{
    unsigned n = cfg->nr_ring_pages;
    if (n == 0 || n > BB_MAX_RING_PAGES || (n & (n - 1)))
        return -EINVAL;
    struct bb_ring *r = ring_alloc();
    if (!r)
        return -ENOMEM;
    r->cfg = *cfg;
    if (r->cfg.max_indirect_segments > MAX_SEGS)
        r->cfg.max_indirect_segments = MAX_SEGS;
    if (r->cfg.sector_size != 4096)
        r->cfg.sector_size = 512;
    if (r->cfg.grant_copy) {
        /* Nothing of the frontend's stays mapped: no persistent grants. */
        r->cfg.persistent = false;
        r->bounce = bounce_alloc(bounce_bytes(r));
        if (!r->bounce) {
            ring_release(r);
            return -ENOMEM;
        }
    }
    r->mapper = mapper;
    r->img = img;
    r->log = log;
    if (r->cfg.persistent && cfg->max_persistent_grants > 0) {
        unsigned cap = 1;
        while (cap < 2 * cfg->max_persistent_grants)
            cap <<= 1;
        r->pg = calloc(cap, sizeof(*r->pg));
        if (!r->pg) {
            bounce_release(r->bounce, bounce_bytes(r));
            ring_release(r);
            return -ENOMEM;
        }
        r->pg_cap = cap;
    }
    r->ring_va = bb_map(mapper, cfg->frontend, n, cfg->ring_refs, true);
    if (!r->ring_va) {
        int e = errno ? -errno : -EIO;
        bb_diag(log, "blkback: dom%u %s: cannot map ring (%u page%s, first ref %u): %s",
                (unsigned)cfg->frontend, cfg->device, n, n == 1 ? "" : "s",
                (unsigned)cfg->ring_refs[0], strerror(-e));
        free(r->pg);
        bounce_release(r->bounce, bounce_bytes(r));
        ring_release(r);
        return e;
    }
    blkif_sring_t *sring = r->ring_va;
    /* Attach where the frontend's responses stop: never re-initialise a
     * ring the frontend owns (D12), and serve what a previous backend
     * left queued. */
    RING_IDX start = sring->rsp_prod;
    xen_rmb();
    BACK_RING_ATTACH(&r->ring, sring, start, PAGE_BYTES * n);
    *out = r;
    return 0;
}

void bb_ring_close(struct bb_ring *r)
{
    if (!r)
        return;
    for (unsigned i = 0; i < r->pg_cap; i++)
        if (r->pg[i].used)
            bb_unmap(r->mapper, r->pg[i].page, 1);
    free(r->pg);
    bounce_release(r->bounce, bounce_bytes(r));
    bb_unmap(r->mapper, r->ring_va, r->cfg.nr_ring_pages);
    ring_release(r);
}

bool bb_ring_broken(const struct bb_ring *r)
{
    return r->broken;
}

void bb_ring_stats(const struct bb_ring *r, struct bb_ring_stats *st)
{
    *st = r->st;
    st->persistent_mapped = r->pg_count;
}

/* ---- requests ----------------------------------------------------------- */

static const char *op_name(uint8_t op)
{
    switch (op) {
    case BLKIF_OP_READ: return "read";
    case BLKIF_OP_WRITE: return "write";
    case BLKIF_OP_WRITE_BARRIER: return "write-barrier";
    case BLKIF_OP_FLUSH_DISKCACHE: return "flush";
    case BLKIF_OP_DISCARD: return "discard";
    case BLKIF_OP_INDIRECT: return "indirect";
    default: return "unknown";
    }
}

/* Checks that sectors [first, first+count) lie inside the image and on
 * logical-sector boundaries.  Returns BLKIF_RSP_OKAY or an error. */
static int16_t check_range(struct bb_ring *r, uint64_t first, uint64_t count)
{
    uint64_t end_sectors = bb_image_bytes(r->img) / 512;
    if (first > end_sectors || count > end_sectors - first)
        return refuse(
            r, BLKIF_RSP_ERROR, "sectors %llu..+%llu beyond the end of the device (%llu sectors)",
            (unsigned long long)first, (unsigned long long)count, (unsigned long long)end_sectors);
    uint64_t per = r->cfg.sector_size / 512;
    if (first % per || count % per)
        return refuse(r, BLKIF_RSP_ERROR,
                      "sectors %llu..+%llu not aligned to the %u-byte sector size",
                      (unsigned long long)first, (unsigned long long)count, r->cfg.sector_size);
    return BLKIF_RSP_OKAY;
}

/* Gives pages[i] an address for each segment's frame.  Pages already
 * kept are reused; with persistent grants new ones are kept while there
 * is room; the rest are mapped in one batch, whose address goes to
 * *batch (unmapped by the caller). */
static int16_t map_segments(struct bb_ring *r, unsigned n, bool write, void **batch,
                            unsigned *batch_n)
{
    *batch = NULL;
    *batch_n = 0;
    /* A read fills the frontend's pages, so needs them writable; with
     * persistent grants (by default) a write's pages are mapped so too. */
    bool writable = !write || map_all_writable(r);
    unsigned missing = 0;
    for (unsigned i = 0; i < n; i++) {
        grant_ref_t ref = r->segs[i].gref;
        void *p = pg_find(r, ref);
        if (!p && writable) {
            p = pg_keep(r, ref);
            if (!p && errno)
                return map_failed(r, "data grant", 1, ref, true, write, errno);
        }
        r->pages[i] = p;
        if (!p)
            r->refs[missing++] = ref;
    }
    if (missing == 0)
        return BLKIF_RSP_OKAY;
    void *va = bb_map(r->mapper, r->cfg.frontend, missing, r->refs, writable);
    if (!va)
        return map_failed(r, "data grant", missing, r->refs[0], writable, write, errno);
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++)
        if (!r->pages[i])
            r->pages[i] = (char *)va + (size_t)PAGE_BYTES * k++;
    *batch = va;
    *batch_n = missing;
    return BLKIF_RSP_OKAY;
}

/* Runs n grant copies in r->copies; BLKIF_RSP_OKAY or an error naming the
 * first segment that failed. */
static int16_t run_copies(struct bb_ring *r, unsigned n, const char *what)
{
    int rc = bb_copy(r->mapper, r->cfg.frontend, n, r->copies);
    if (rc < 0)
        return refuse(r, BLKIF_RSP_ERROR, "grant copy of %s failed: %s", what, strerror(-rc));
    for (unsigned i = 0; i < n; i++)
        if (r->copies[i].status != GNTST_okay)
            return refuse(r, BLKIF_RSP_ERROR, "grant copy of %s, segment %u ref %u: status %d",
                          what, i, (unsigned)r->copies[i].ref, r->copies[i].status);
    return BLKIF_RSP_OKAY;
}

/* The data of r->segs[0..n) through r->bounce, by grant copy. */
static int16_t rw_by_copy(struct bb_ring *r, bool write, uint64_t sector, unsigned n)
{
    size_t off = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct blkif_request_segment *s = &r->segs[i];
        uint16_t len = (uint16_t)((s->last_sect - s->first_sect + 1) * 512);
        r->copies[i] = (struct bb_copy){ .ref = s->gref,
                                         .offset = (uint16_t)(s->first_sect * 512),
                                         .len = len,
                                         .local = r->bounce + off,
                                         .to_grant = !write };
        off += len;
    }
    struct iovec iov = { .iov_base = r->bounce, .iov_len = off };
    if (write) {
        int16_t st = run_copies(r, n, "write data");
        if (st != BLKIF_RSP_OKAY)
            return st;
        int rc = bb_image_writev(r->img, &iov, 1, sector * 512);
        return rc < 0 ? refuse(r, BLKIF_RSP_ERROR, "write of sectors %llu..+%zu failed: %s",
                               (unsigned long long)sector, off / 512, strerror(-rc))
                      : BLKIF_RSP_OKAY;
    }
    int rc = bb_image_readv(r->img, &iov, 1, sector * 512);
    if (rc < 0)
        return refuse(r, BLKIF_RSP_ERROR, "read of sectors %llu..+%zu failed: %s",
                      (unsigned long long)sector, off / 512, strerror(-rc));
    return run_copies(r, n, "read data");
}

/* Read, write, barrier or flush over r->segs[0..n). */
static int16_t do_rw(struct bb_ring *r, uint8_t op, uint64_t sector, unsigned n)
{
    bool write = op != BLKIF_OP_READ;
    uint64_t total = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct blkif_request_segment *s = &r->segs[i];
        if (s->last_sect >= SECTORS_PER_PAGE || s->first_sect > s->last_sect)
            return violation(r,
                             "segment %u ref %u: first_sect %u last_sect %u leave the page "
                             "(rule: first_sect <= last_sect <= %u)",
                             i, (unsigned)s->gref, s->first_sect, s->last_sect,
                             SECTORS_PER_PAGE - 1);
        total += (uint64_t)(s->last_sect - s->first_sect + 1);
    }
    if (write && n > 0 && r->cfg.readonly)
        return refuse(r, BLKIF_RSP_ERROR, "%s to a read-only device", op_name(op));
    /* A flush without data has no range: its sector_number means nothing
     * (Linux checks ranges only for requests that carry sectors). */
    int16_t st = total ? check_range(r, sector, total) : BLKIF_RSP_OKAY;
    if (st != BLKIF_RSP_OKAY)
        return st;

    if (op == BLKIF_OP_WRITE_BARRIER && bb_image_flush(r->img) < 0)
        return refuse(r, BLKIF_RSP_ERROR, "flush before barrier failed");
    if (n > 0 && r->cfg.grant_copy) {
        st = rw_by_copy(r, write, sector, n);
        if (st != BLKIF_RSP_OKAY)
            return st;
    } else if (n > 0) {
        void *batch;
        unsigned batch_n;
        st = map_segments(r, n, write, &batch, &batch_n);
        if (st != BLKIF_RSP_OKAY)
            return st;
        for (unsigned i = 0; i < n; i++) {
            const struct blkif_request_segment *s = &r->segs[i];
            r->iov[i].iov_base = (char *)r->pages[i] + (size_t)s->first_sect * 512;
            r->iov[i].iov_len = (size_t)(s->last_sect - s->first_sect + 1) * 512;
        }
        int rc = write ? bb_image_writev(r->img, r->iov, (int)n, sector * 512)
                       : bb_image_readv(r->img, r->iov, (int)n, sector * 512);
        if (batch)
            bb_unmap(r->mapper, batch, batch_n);
        if (rc < 0)
            return refuse(r, BLKIF_RSP_ERROR, "%s of sectors %llu..+%llu failed: %s", op_name(op),
                          (unsigned long long)sector, (unsigned long long)total, strerror(-rc));
    }
    if ((op == BLKIF_OP_FLUSH_DISKCACHE || op == BLKIF_OP_WRITE_BARRIER) &&
        bb_image_flush(r->img) < 0)
        return refuse(r, BLKIF_RSP_ERROR, "%s failed to reach stable storage", op_name(op));
    return BLKIF_RSP_OKAY;
}

static int16_t do_direct(struct bb_ring *r, const blkif_request_t *req)
{
    uint8_t op = req->operation;
    unsigned n = req->nr_segments;
    if (op == BLKIF_OP_WRITE_BARRIER && !r->cfg.barrier)
        return refuse(r, BLKIF_RSP_EOPNOTSUPP, "write-barrier not offered (feature-barrier)");
    if (op == BLKIF_OP_FLUSH_DISKCACHE && !r->cfg.flush)
        return refuse(r, BLKIF_RSP_EOPNOTSUPP, "flush not offered (feature-flush-cache)");
#ifndef SPLITBED_BUG_BLKBACK_DIRECT_SEGS
    if (n > BLKIF_MAX_SEGMENTS_PER_REQUEST)
        return violation(r, "%s with nr_segments %u (rule: at most %u direct segments)",
                         op_name(op), n, BLKIF_MAX_SEGMENTS_PER_REQUEST);
#endif
    if (n == 0 && (op == BLKIF_OP_READ || op == BLKIF_OP_WRITE))
        return violation(r, "%s with nr_segments 0 (rule: at least one segment)", op_name(op));
    memcpy(r->segs, req->seg, sizeof(req->seg[0]) * n);
    return do_rw(r, op, req->sector_number, n);
}

static int16_t do_indirect(struct bb_ring *r, const blkif_request_indirect_t *req)
{
    uint8_t op = req->indirect_op;
    unsigned n = req->nr_segments;
    if (r->cfg.max_indirect_segments == 0)
        return violation(r, "indirect request (rule: feature-max-indirect-segments not offered)");
    if (op != BLKIF_OP_READ && op != BLKIF_OP_WRITE)
        return violation(r, "indirect_op %u (rule: indirect requests are read or write)", op);
#ifdef SPLITBED_BUG_BLKBACK_INDIRECT_SEGS
    if (n == 0)
#else
    if (n == 0 || n > r->cfg.max_indirect_segments)
#endif
        return violation(r,
                         "indirect %s with nr_segments %u (rule: 1..%u, "
                         "feature-max-indirect-segments)",
                         op_name(op), n, r->cfg.max_indirect_segments);
    unsigned npages = (n + SEGS_PER_INDIRECT_PAGE - 1) / SEGS_PER_INDIRECT_PAGE;
    grant_ref_t irefs[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    memcpy(irefs, req->indirect_grefs, sizeof(irefs[0]) * npages);
    /* With persistent grants the indirect pages are kept mapped like data
     * pages, writable (as Linux does); otherwise, or once the cache is
     * full, they are mapped for this request only. */
    if (r->cfg.grant_copy) {
        for (unsigned i = 0; i < npages; i++) {
            unsigned first = i * SEGS_PER_INDIRECT_PAGE;
            unsigned cnt = n - first < SEGS_PER_INDIRECT_PAGE ? n - first : SEGS_PER_INDIRECT_PAGE;
            r->copies[i] = (struct bb_copy){ .ref = irefs[i],
                                             .offset = 0,
                                             .len = (uint16_t)(cnt * sizeof(r->segs[0])),
                                             .local = &r->segs[first],
                                             .to_grant = false };
        }
        int16_t st = run_copies(r, npages, "indirect pages");
        if (st != BLKIF_RSP_OKAY)
            return st;
        r->ind_read = n;
        return do_rw(r, op, req->sector_number, n);
    }
    const void *ipage[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST] = { NULL };
    grant_ref_t once[BLKIF_MAX_INDIRECT_PAGES_PER_REQUEST];
    unsigned nonce = 0;
    bool writable = map_all_writable(r);
    for (unsigned i = 0; i < npages; i++) {
        ipage[i] = pg_find(r, irefs[i]);
        if (!ipage[i] && writable) {
            ipage[i] = pg_keep(r, irefs[i]);
            if (!ipage[i] && errno)
                return map_failed(r, "indirect page", 1, irefs[i], true, true, errno);
        }
        if (!ipage[i])
            once[nonce++] = irefs[i];
    }
    void *va = NULL;
    if (nonce) {
        va = bb_map(r->mapper, r->cfg.frontend, nonce, once, writable);
        if (!va)
            return map_failed(r, "indirect page", nonce, once[0], writable, true, errno);
        for (unsigned i = 0, k = 0; i < npages; i++)
            if (!ipage[i])
                ipage[i] = (const char *)va + (size_t)PAGE_BYTES * k++;
    }
#ifdef SPLITBED_BUG_BLKBACK_DOUBLE_FETCH
    /* Injected bug (make fuzz-bench, XSA-155): the count fetched again
     * after the check. */
    n = req->nr_segments;
    npages = (n + SEGS_PER_INDIRECT_PAGE - 1) / SEGS_PER_INDIRECT_PAGE;
#endif
    /* One copy out of the frontend's pages; only the copy is read. */
    for (unsigned i = 0; i < npages; i++) {
        unsigned first = i * SEGS_PER_INDIRECT_PAGE;
        unsigned cnt = n - first < SEGS_PER_INDIRECT_PAGE ? n - first : SEGS_PER_INDIRECT_PAGE;
        memcpy(&r->segs[first], ipage[i], sizeof(r->segs[0]) * cnt);
    }
    if (va)
        bb_unmap(r->mapper, va, nonce);
    r->ind_read = n;
    return do_rw(r, op, req->sector_number, n);
}

static int16_t do_discard(struct bb_ring *r, const blkif_request_discard_t *req)
{
    if (!r->cfg.discard)
        return refuse(r, BLKIF_RSP_EOPNOTSUPP, "discard not offered (feature-discard)");
    if ((req->flag & BLKIF_DISCARD_SECURE) && !r->cfg.discard_secure)
        return refuse(r, BLKIF_RSP_EOPNOTSUPP, "secure discard not offered (discard-secure)");
    if (r->cfg.readonly)
        return refuse(r, BLKIF_RSP_ERROR, "discard on a read-only device");
    int16_t st = check_range(r, req->sector_number, req->nr_sectors);
    if (st != BLKIF_RSP_OKAY)
        return st;
    uint64_t off = req->sector_number * 512, len = req->nr_sectors * 512;
    uint32_t g = r->cfg.discard_granularity;
    if (g > 512 && (off % g != r->cfg.discard_alignment % g || len % g))
        return refuse(r, BLKIF_RSP_ERROR,
                      "discard of sectors %llu..+%llu not aligned to discard-granularity %u",
                      (unsigned long long)req->sector_number, (unsigned long long)req->nr_sectors,
                      g);
    int rc = bb_image_discard(r->img, off, len);
    if (rc < 0)
        return refuse(r, BLKIF_RSP_ERROR, "discard failed: %s", strerror(-rc));
    return BLKIF_RSP_OKAY;
}

static void respond(struct bb_ring *r, uint64_t id, uint8_t op, int16_t status)
{
    /* Built in a zeroed struct so no padding byte of ours reaches the
     * frontend (XSA-216). */
#ifdef SPLITBED_BUG_BLKBACK_RSP_STALE
    /* Fields written into the slot: its padding keeps the request's bytes. */
    blkif_response_t *slot = RING_GET_RESPONSE(&r->ring, r->ring.rsp_prod_pvt);
    slot->id = id;
    slot->operation = op;
    slot->status = status;
#else
    blkif_response_t rsp;
    memset(&rsp, 0, sizeof(rsp));
    rsp.id = id;
    rsp.operation = op;
    rsp.status = status;
    memcpy(RING_GET_RESPONSE(&r->ring, r->ring.rsp_prod_pvt), &rsp, sizeof(rsp));
#endif
    r->ring.rsp_prod_pvt++;
}

static void handle(struct bb_ring *r, const blkif_request_t *req)
{
    uint8_t op = req->operation, rsp_op = op;
    int16_t st;
    r->cur_id = req->id;
    r->ind_read = 0;
    switch (op) {
    case BLKIF_OP_READ:
    case BLKIF_OP_WRITE:
    case BLKIF_OP_WRITE_BARRIER:
    case BLKIF_OP_FLUSH_DISKCACHE: st = do_direct(r, req); break;
    case BLKIF_OP_DISCARD: st = do_discard(r, (const blkif_request_discard_t *)req); break;
    case BLKIF_OP_INDIRECT: {
        const blkif_request_indirect_t *ind = (const blkif_request_indirect_t *)req;
        /* Linux blkback answers an indirect request with its inner op. */
        rsp_op = ind->indirect_op;
        st = do_indirect(r, ind);
        break;
    }
    default:
        st = violation(r,
                       "operation %u (rule: read, write, write-barrier, flush, discard "
                       "or indirect)",
                       op);
        if (!r->broken)
            st = BLKIF_RSP_EOPNOTSUPP;
        break;
    }
    r->st.requests++;
    if (st == BLKIF_RSP_EOPNOTSUPP)
        r->st.unsupported++;
    else if (st != BLKIF_RSP_OKAY)
        r->st.errors++;
    respond(r, req->id, rsp_op, st);
    if (r->cfg.record)
        r->cfg.record(r->cfg.record_ctx, &r->cfg, req, r->segs, r->ind_read);
}

/* arm: a drained ring asks the frontend for an event (the final check);
 * otherwise req_event is left where it is, for a caller that keeps
 * looking at the ring and arms it before it sleeps. */
static int serve(struct bb_ring *r, unsigned budget, bool arm, bool *notify)
{
    *notify = false;
    if (r->broken)
        return -EPROTO;
    unsigned done = 0;
    int result = 0;
    for (;;) {
        RING_IDX rc = r->ring.req_cons;
        RING_IDX rp = r->ring.sring->req_prod;
        xen_rmb(); /* see requests up to rp only after reading rp */
        if (RING_REQUEST_PROD_OVERFLOW(&r->ring, rp)) {
            r->cur_id = 0;
            bb_diag(r->log,
                    "blkback: dom%u %s: req_prod %u is %u ahead of rsp_prod %u "
                    "(rule: at most %u requests in flight on the ring); frontend cut off",
                    (unsigned)r->cfg.frontend, r->cfg.device, (unsigned)rp,
                    (unsigned)(rp - r->ring.rsp_prod_pvt), (unsigned)r->ring.rsp_prod_pvt,
                    (unsigned)RING_SIZE(&r->ring));
            r->broken = true;
            break;
        }
        while (rc != rp && !r->broken) {
            if (done == budget) {
                result = 1;
                goto push;
            }
#ifdef SPLITBED_BUG_BLKBACK_DOUBLE_FETCH
            /* Injected bug (make fuzz-bench, XSA-155): the request served
             * in place, in memory the frontend can still write. */
            r->ring.req_cons = rc + 1;
            handle(r, RING_GET_REQUEST(&r->ring, rc));
            rc++;
#else
            blkif_request_t req;
            RING_COPY_REQUEST(&r->ring, rc, &req);
            r->ring.req_cons = ++rc;
            handle(r, &req);
#endif
            done++;
        }
        if (r->broken)
            break;
        bool more_notify;
        RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r->ring, more_notify);
        *notify |= more_notify;
        int more;
        if (arm)
            RING_FINAL_CHECK_FOR_REQUESTS(&r->ring, more);
        else
            more = RING_HAS_UNCONSUMED_REQUESTS(&r->ring);
        if (!more)
            return 0;
    }
push:;
    /* Responses already produced still go out, even when cutting off. */
    bool n2;
    RING_PUSH_RESPONSES_AND_CHECK_NOTIFY(&r->ring, n2);
    *notify |= n2;
    return r->broken ? -EPROTO : result;
}

int bb_ring_serve(struct bb_ring *r, unsigned budget, bool *notify)
{
    return serve(r, budget, true, notify);
}

int bb_ring_serve_polled(struct bb_ring *r, unsigned budget, bool *notify)
{
    return serve(r, budget, false, notify);
}

bool bb_ring_has_requests(const struct bb_ring *r)
{
    return !r->broken &&
           __atomic_load_n(&r->ring.sring->req_prod, __ATOMIC_RELAXED) != r->ring.req_cons;
}

bool bb_ring_arm(struct bb_ring *r)
{
    if (r->broken)
        return false;
    int more;
    RING_FINAL_CHECK_FOR_REQUESTS(&r->ring, more);
    return more;
}
