/*
 * test_blkback_vbd.c — blkback's xenbus side, stepped in process: what it
 * publishes for every knob, each ring layout a frontend may choose, the
 * deviations real peers show, close/reconnect, resize, cut-off of one
 * frontend while another keeps its disk, and clean shutdown.  Its peers
 * are the in-process world's (world_fixture.h): the xenstore core, and
 * the hypervisor core on memfd memory, whose grants the backend maps
 * through the world's blkback environment (bbenv.h) as gntdev maps them;
 * the disks are real files.  The test plays the toolstack and the
 * frontend by hand.
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sys/stat.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends-sim/blkback/backend.h"
#include "backends-sim/blkback/blkif_proto.h"
#include "backends-sim/world/bbenv.h"
#include "backends-sim/world/world_fixture.h"
#include <xen/io/xenbus.h>

#define DEV 51712
#define FE_PAGES 64
#define BE_STATE "/local/domain/0/backend/vbd/1/51712/state"

/* blkback's mapper as bbenv gives it, with every unmap checked where it
 * happens: an unmap of pages not mapped as that one range (twice, a wrong
 * address or a part of a range) fails the test there, not only as pages
 * left mapped at the end. */
struct checked_mapper {
    struct bb_mapper base;
    struct bb_mapper *inner;
};

static void *cm_map(struct bb_mapper *m, domid_t dom, unsigned count, const grant_ref_t *refs,
                    bool w)
{
    struct bb_mapper *in = ((struct checked_mapper *)m)->inner;
    return in->ops->map(in, dom, count, refs, w);
}

static int cm_unmap(struct bb_mapper *m, void *addr, unsigned count)
{
    struct bb_mapper *in = ((struct checked_mapper *)m)->inner;
    int rc = in->ops->unmap(in, addr, count);
    ck_assert_msg(rc == 0, "blkback unmapped %u pages at %p, not a range it had mapped", count,
                  addr);
    return rc;
}

static int cm_copy(struct bb_mapper *m, domid_t dom, unsigned n, struct bb_copy *segs)
{
    struct bb_mapper *in = ((struct checked_mapper *)m)->inner;
    return in->ops->copy(in, dom, n, segs);
}

static const struct bb_mapper_ops cm_ops = { .map = cm_map, .unmap = cm_unmap, .copy = cm_copy };

struct world {
    char dir[96], img[3][128];
    struct hvhost *hv;
    struct wf_xenstore xs;
    struct bbenv *benv;
    struct checked_mapper mapper;
    struct bb_env env;     /* bbenv's, with the checked mapper */
    unsigned conflicts;    /* commits still to fail with EAGAIN */
    unsigned state_writes; /* of dom1's BE_STATE, seen so far */
    evtchn_port_t port[3]; /* each frontend's event channel */
    struct bb_params params;
    struct bb_backend *be;
    char diag[32][400];
    unsigned ndiag;
    char info[400];                        /* the last line that is not a diagnosis */
    char got[4][XENSTORE_PAYLOAD_MAX + 1]; /* what get() returned lately */
    unsigned ngot;
    blkif_front_ring_t front[3];
};

static void capture(void *ctx, bool diagnosis, const char *text)
{
    struct world *w = ctx;
    if (diagnosis && w->ndiag < 32)
        snprintf(w->diag[w->ndiag++], sizeof(w->diag[0]), "%s", text);
    else if (!diagnosis)
        snprintf(w->info, sizeof(w->info), "%s", text);
}

static bool diag_has(const struct world *w, const char *needle)
{
    for (unsigned i = 0; i < w->ndiag; i++)
        if (strstr(w->diag[i], needle))
            return true;
    return false;
}

/* A conflict at commit, as another writer would cause: the world asks at
 * every commit of the backend's. */
static bool tx_conflict(void *ctx)
{
    struct world *w = ctx;
    if (!w->conflicts)
        return false;
    w->conflicts--;
    return true;
}

static const struct bbenv_ops benv_ops = { .tx_conflict = tx_conflict };

/* A node's value as the toolstack reads it; NULL when absent.  The value
 * stays valid for the next three calls. */
static const char *get(struct world *w, const char *fmt, ...)
{
    char path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    char *buf = w->got[w->ngot++ % 4];
    int err = xsc_client_read(w->xs.dom0, 0, path, buf, sizeof(w->got[0]));
    if (err == ENOENT)
        return NULL;
    ck_assert_msg(err == 0, "reading %s: %s", path, strerror(err));
    return buf;
}

static void set(struct world *w, const char *value, const char *fmt, ...)
{
    char path[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(path, sizeof(path), fmt, ap);
    va_end(ap);
    ck_assert_int_eq(xsc_client_write(w->xs.dom0, 0, path, value), 0);
}

/* How many times dom1's backend state node was written, the toolstack's
 * writes included. */
static unsigned state_writes(struct world *w)
{
    w->state_writes += wf_xenstore_events_at(&w->xs, BE_STATE);
    return w->state_writes;
}

/* Pages the backend has mapped of domain dom's. */
static unsigned mapped_pages(struct world *w, domid_t dom)
{
    hv_t *hv = hvhost_hv(w->hv);
    struct hv_counts c;
    unsigned n = 0;
    ck_assert_int_eq(hv_domain_counts(hv, 0, &c), 0);
    for (grant_handle_t h = 0; c.mappings && h < 0xffff; h++) {
        struct hv_mapping_info mi;
        if (hv_gnt_mapping_info(hv, 0, h, &mi) == 0) {
            c.mappings--;
            n += mi.granter == dom;
        }
    }
    ck_assert_uint_eq(c.mappings, 0);
    return n;
}

/* Event channel ports the backend holds. */
static unsigned bound_ports(struct world *w)
{
    struct hv_counts c;
    ck_assert_int_eq(hv_domain_counts(hvhost_hv(w->hv), 0, &c), 0);
    return c.ports;
}

static unsigned watches(struct world *w)
{
    return xsc_client_watches(bbenv_xs(w->benv));
}

static void *fe_page(struct world *w, unsigned dom, unsigned gfn)
{
    void *p = hvhost_page(w->hv, (domid_t)dom, gfn);
    ck_assert_ptr_nonnull(p);
    return p;
}

#define BE "/local/domain/0/backend/vbd/%u/%u/"
#define FE "/local/domain/%u/device/vbd/%u/"

static const char *be_node(struct world *w, unsigned dom, const char *key)
{
    return get(w, BE "%s", dom, DEV, key);
}

static int be_state(struct world *w, unsigned dom)
{
    const char *s = be_node(w, dom, "state");
    return s ? atoi(s) : -1;
}

static void make_image(struct world *w, unsigned i, off_t bytes)
{
    char path[sizeof(w->img[i])];
    snprintf(path, sizeof(path), "%s/disk%u.img", w->dir, i);
    memcpy(w->img[i], path, sizeof(path));
    int fd = open(w->img[i], O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, bytes), 0);
    close(fd);
}

/* Each test's files live under one directory that the parent process
 * (Check's unchecked fixture) creates and removes, so a test that fails
 * half-way, ending its forked process, leaves nothing behind. */
static char base[64];

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *ftw)
{
    (void)st;
    (void)f;
    (void)ftw;
    remove(p);
    return 0;
}

static void base_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(base, sizeof(base), "%s/blkback-vbd.XXXXXX", tmp && *tmp ? tmp : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(base));
}

static void base_teardown(void)
{
    nftw(base, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void world_init(struct world *w)
{
    memset(w, 0, sizeof(*w));
    snprintf(w->dir, sizeof(w->dir), "%s/w.XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(w->dir));
    make_image(w, 1, 4 << 20);
    make_image(w, 2, 1 << 20);
    w->hv = wf_hv_open_mapped();
    ck_assert_ptr_nonnull(w->hv);
    ck_assert_int_eq(hvhost_domain_create(w->hv, 0, 0), 0);
    /* Each frontend grants dom0 every page of its memory, ref n for page n. */
    for (domid_t d = 1; d <= 2; d++) {
        ck_assert_int_eq(hvhost_domain_create(w->hv, d, FE_PAGES), 0);
        for (grant_ref_t i = 0; i < FE_PAGES; i++)
            ck_assert_int_eq(hv_gnt_grant(hvhost_hv(w->hv), d, i, 0, i, false, w), 0);
    }
    ck_assert_int_eq(wf_xenstore_open(&w->xs), 0);
    ck_assert_int_eq(xsc_client_strs(w->xs.dom0, XS_WATCH, 0, NULL, BE_STATE, "state", NULL), 0);
    (void)wf_xenstore_events_at(&w->xs, BE_STATE); /* the one a new watch fires */
    bb_params_default(&w->params);
    const struct bb_logger log = { .line = capture, .ctx = w };
    w->benv = bbenv_new(w->hv, w->xs.core, 0, &w->params, &log, &benv_ops, w);
    ck_assert_ptr_nonnull(w->benv);
    w->env = *bbenv_env(w->benv);
    w->mapper = (struct checked_mapper){ .base.ops = &cm_ops, .inner = w->env.mapper };
    w->env.mapper = &w->mapper.base;
}

/* What libxl writes for a disk of domain `dom`. */
static void toolstack(struct world *w, unsigned dom, const char *image, const char *mode)
{
    char fe[128], num[16];
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", dom, DEV);
    snprintf(num, sizeof(num), "%u", dom);
    set(w, fe, BE "frontend", dom, DEV);
    set(w, num, BE "frontend-id", dom, DEV);
    set(w, image, BE "params", dom, DEV);
    set(w, mode, BE "mode", dom, DEV);
    set(w, "file", BE "type", dom, DEV);
    set(w, "1", BE "online", dom, DEV);
    set(w, "1", BE "state", dom, DEV);
    set(w, "/local/domain/0/backend/vbd/1/51712", FE "backend", dom, DEV);
    set(w, "0", FE "backend-id", dom, DEV);
    set(w, "1", FE "state", dom, DEV);
}

static void start(struct world *w)
{
    w->be = bb_backend_new(&w->env, "/local/domain/0");
    ck_assert_ptr_nonnull(w->be);
    ck_assert_int_eq(bb_backend_watch(w->be, "vbd"), 0);
    bb_backend_rescan(w->be);
}

/* A fresh world with dom1's disk as libxl writes it, the backend
 * started on it. */
static void world_with_disk(struct world *w)
{
    world_init(w);
    toolstack(w, 1, w->img[1], "w");
    start(w);
}

static void world_free(struct world *w)
{
    bb_backend_free(w->be, true);
    for (domid_t d = 1; d <= 2; d++)
        ck_assert_uint_eq(mapped_pages(w, d), 0);
    ck_assert_uint_eq(bound_ports(w), 0);
    ck_assert_uint_eq(watches(w), 0);
    bbenv_free(w->benv);
    hvhost_free(w->hv);
    ck_assert_uint_eq(wf_xenstore_close(&w->xs), 0);
    for (unsigned i = 1; i <= 2; i++)
        unlink(w->img[i]);
    rmdir(w->dir);
}

/* The frontend's side: a fresh shared ring of 2^order pages (refs 0..)
 * and a new event channel for dom0 (the old one closed, as a frontend
 * does when it sets up again), written the way the chosen style says,
 * then `state`. */
enum ring_style { LEGACY_REF, ORDER_AND_REFS, ORDER0_REF0, NUM_RING_PAGES };

static void frontend_ring(struct world *w, unsigned dom, unsigned order, enum ring_style style,
                          int state)
{
    hv_t *hv = hvhost_hv(w->hv);
    evtchn_port_t old = w->port[dom];
    ck_assert_int_eq(hv_evtchn_alloc_unbound(hv, (domid_t)dom, DOMID_SELF, 0, w, &w->port[dom]), 0);
    if (old)
        ck_assert_int_eq(hv_evtchn_close(hv, (domid_t)dom, old), 0);
    blkif_sring_t *s = fe_page(w, dom, 0);
    memset(s, 0, 4096u << order);
    SHARED_RING_INIT(s);
    FRONT_RING_INIT(&w->front[dom], s, 4096u << order);
    char v[32];
    if (style == LEGACY_REF) {
        set(w, "0", FE "ring-ref", dom, DEV);
    } else if (style == NUM_RING_PAGES) {
        snprintf(v, sizeof(v), "%u", 1u << order);
        set(w, v, FE "num-ring-pages", dom, DEV);
    } else {
        snprintf(v, sizeof(v), "%u", order);
        set(w, v, FE "ring-page-order", dom, DEV);
    }
    if (style != LEGACY_REF)
        for (unsigned i = 0; i < (1u << order); i++) {
            snprintf(v, sizeof(v), "%u", i);
            set(w, v, FE "ring-ref%u", dom, DEV, i);
        }
    snprintf(v, sizeof(v), "%u", w->port[dom]);
    set(w, v, FE "event-channel", dom, DEV);
    set(w, "x86_64-abi", FE "protocol", dom, DEV);
    set(w, "1", FE "feature-persistent", dom, DEV);
    snprintf(v, sizeof(v), "%d", state);
    set(w, v, FE "state", dom, DEV);
}

static void fe_state(struct world *w, unsigned dom, int state)
{
    char v[8];
    snprintf(v, sizeof(v), "%d", state);
    set(w, v, FE "state", dom, DEV);
}

/* Queues one 4 KiB request on page `page` and kicks the backend. */
static void fe_request(struct world *w, unsigned dom, uint8_t op, uint64_t id, uint64_t sector,
                       unsigned page)
{
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = op;
    req.nr_segments = 1;
    req.id = id;
    req.sector_number = sector;
    req.seg[0] = (struct blkif_request_segment){ .gref = page, .first_sect = 0, .last_sect = 7 };
    blkif_front_ring_t *f = &w->front[dom];
    memcpy(RING_GET_REQUEST(f, f->req_prod_pvt), &req, sizeof(req));
    f->req_prod_pvt++;
    RING_PUSH_REQUESTS(f);
    struct bb_vbd *v = bb_backend_find(w->be, dom, DEV);
    ck_assert_ptr_nonnull(v);
    ck_assert_uint_ne(bb_vbd_port(v), 0);
    bb_backend_event(w->be, bb_vbd_port(v));
}

static int16_t fe_response(struct world *w, unsigned dom, uint64_t id)
{
    blkif_front_ring_t *f = &w->front[dom];
    ck_assert(RING_HAS_UNCONSUMED_RESPONSES(f));
    blkif_response_t rsp;
    RING_COPY_RESPONSE(f, f->rsp_cons, &rsp);
    f->rsp_cons++;
    ck_assert_uint_eq(rsp.id, id);
    return rsp.status;
}

static void connect_default(struct world *w, unsigned dom, unsigned order, enum ring_style style)
{
    frontend_ring(w, dom, order, style, XenbusStateInitialised);
    bb_backend_rescan(w->be);
    ck_assert_int_eq(be_state(w, dom), XenbusStateConnected);
}

static void io_roundtrip(struct world *w, unsigned dom)
{
    memset(fe_page(w, dom, 40), 0x5a, 4096);
    fe_request(w, dom, BLKIF_OP_WRITE, 1, 8, 40);
    ck_assert_int_eq(fe_response(w, dom, 1), BLKIF_RSP_OKAY);
    fe_request(w, dom, BLKIF_OP_READ, 2, 8, 41);
    ck_assert_int_eq(fe_response(w, dom, 2), BLKIF_RSP_OKAY);
    ck_assert_mem_eq(fe_page(w, dom, 41), fe_page(w, dom, 40), 4096);
}

/* ---- probe ------------------------------------------------------------- */

START_TEST(probe_is_linux_like)
{
    struct world w;
    world_with_disk(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateInitWait);
    ck_assert_str_eq(be_node(&w, 1, "max-ring-page-order"), "4");
    ck_assert_str_eq(be_node(&w, 1, "feature-max-indirect-segments"), "256");
    ck_assert_str_eq(be_node(&w, 1, "multi-queue-max-queues"), "1");
    ck_assert_str_eq(be_node(&w, 1, "hotplug-status"), "connected");
    /* D1: the rest only at Connected. */
    ck_assert_ptr_null(be_node(&w, 1, "sectors"));
    ck_assert_ptr_null(be_node(&w, 1, "feature-flush-cache"));
    ck_assert_ptr_null(be_node(&w, 1, "feature-persistent"));
    connect_default(&w, 1, 0, LEGACY_REF);
    ck_assert_str_eq(be_node(&w, 1, "sectors"), "8192");
    ck_assert_str_eq(be_node(&w, 1, "info"), "0");
    ck_assert_str_eq(be_node(&w, 1, "sector-size"), "512");
    ck_assert_str_eq(be_node(&w, 1, "physical-sector-size"), "512");
    ck_assert_str_eq(be_node(&w, 1, "feature-flush-cache"), "1");
    ck_assert_str_eq(be_node(&w, 1, "feature-barrier"), "1");
    ck_assert_str_eq(be_node(&w, 1, "feature-persistent"), "1");
    ck_assert_str_eq(be_node(&w, 1, "feature-discard"), "1");
    ck_assert_str_eq(be_node(&w, 1, "discard-granularity"), "512");
    ck_assert_str_eq(be_node(&w, 1, "discard-alignment"), "0");
    ck_assert_str_eq(be_node(&w, 1, "discard-secure"), "0");
    io_roundtrip(&w, 1);
    world_free(&w);
}
END_TEST

START_TEST(features_at_probe)
{
    struct world w;
    world_init(&w);
    ck_assert_int_eq(bb_params_set(&w.params, "features-at=probe", w.diag[0], 64), 0);
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateInitWait);
    ck_assert_str_eq(be_node(&w, 1, "sectors"), "8192");
    ck_assert_str_eq(be_node(&w, 1, "feature-flush-cache"), "1");
    ck_assert_str_eq(be_node(&w, 1, "feature-persistent"), "1");
    connect_default(&w, 1, 0, LEGACY_REF);
    world_free(&w);
}
END_TEST

/* Knobs that only change what is published. */
struct knob_case {
    const char *opts[3];
    const char *key, *want; /* want NULL: node absent */
};

static const struct knob_case knob_cases[] = {
    { { "max-ring-page-order=none" }, "max-ring-page-order", NULL },
    { { "max-ring-page-order=0" }, "max-ring-page-order", "0" },
    { { "max-ring-page-order=2" }, "max-ring-page-order", "2" },
    { { "max-indirect-segments=0" }, "feature-max-indirect-segments", NULL },
    { { "max-indirect-segments=32" }, "feature-max-indirect-segments", "32" },
    { { "multi-queue-max-queues=0" }, "multi-queue-max-queues", NULL },
    { { "hotplug-status=0" }, "hotplug-status", NULL },
    { { "persistent=0" }, "feature-persistent", "0" },
    { { "grant-copy=1" }, "feature-persistent", "0" },
    { { "flush=0" }, "feature-flush-cache", "0" },
    { { "barrier=0" }, "feature-barrier", "0" },
    { { "discard=0" }, "feature-discard", "0" },
    { { "discard=0" }, "discard-granularity", NULL },
    { { "discard-granularity=4096" }, "discard-granularity", "4096" },
    { { "discard-alignment=1024" }, "discard-alignment", "1024" },
    { { "discard-secure=1" }, "discard-secure", "1" },
    { { "sector-size=4096" }, "sector-size", "4096" },
    { { "sector-size=4096" }, "physical-sector-size", "4096" },
    { { "sector-size=4096" }, "sectors", "8192" },
    { { "physical-sector-size=4096" }, "physical-sector-size", "4096" },
    { { "physical-sector-size=4096" }, "discard-granularity", "4096" },
    { { "readonly=1" }, "info", "4" },
    { { "cdrom=1" }, "info", "1" },
    { { "removable=1" }, "info", "2" },
    { { "cdrom=1", "removable=1", "readonly=1" }, "info", "7" },
};

START_TEST(knob_publishes)
{
    const struct knob_case *k = &knob_cases[_i];
    struct world w;
    world_init(&w);
    char err[128];
    for (unsigned i = 0; i < 3 && k->opts[i]; i++)
        ck_assert_int_eq(bb_params_set(&w.params, k->opts[i], err, sizeof(err)), 0);
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    const char *got = be_node(&w, 1, k->key);
    if (k->want)
        ck_assert_msg(got && !strcmp(got, k->want), "%s: %s is %s, want %s", k->opts[0], k->key,
                      got ? got : "(absent)", k->want);
    else
        ck_assert_msg(!got, "%s: %s is %s, want absent", k->opts[0], k->key, got);
    world_free(&w);
}
END_TEST

START_TEST(bad_knobs_are_refused)
{
    struct bb_params p;
    bb_params_default(&p);
    char err[160];
    static const char *bad[] = {
        "max-ring-page-order=5",
        "max-indirect-segments=4097",
        "sector-size=1024",
        "physical-sector-size=1000",
        "features-at=later",
        "persistent=maybe",
        "nosuchknob=1",
        "noequals",
        "=1",
        "discard-granularity=100",
        "batch=0",
        "max-ring-page-order=-1",
        "persistent-map=ro",
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_int_eq(bb_params_set(&p, bad[i], err, sizeof(err)), -1);
        ck_assert_msg(strstr(err, bad[i]) != NULL, "message '%s' names '%s'", err, bad[i]);
    }
    ck_assert_int_eq(bb_params_set(&p, "persistent-map=ro", err, sizeof(err)), -1);
    ck_assert_str_eq(err, "--opt persistent-map=ro: 'ro' is not rw or op");
    ck_assert_int_eq(p.persistent_map, BB_PMAP_RW); /* Linux's, by default */
    ck_assert_int_eq(bb_params_set(&p, "persistent-map=op", err, sizeof(err)), 0);
    ck_assert_int_eq(p.persistent_map, BB_PMAP_OP);
    ck_assert_int_eq(bb_params_set(&p, "sector-size=4096", err, sizeof(err)), 0);
    ck_assert_int_eq(bb_params_set(&p, "physical-sector-size=512", err, sizeof(err)), 0);
    ck_assert_int_eq(bb_params_check(&p, err, sizeof(err)), -1);
    ck_assert(strstr(err, "physical-sector-size") != NULL);
}
END_TEST

/* ---- ring layouts ----------------------------------------------------------- */

struct layout_case {
    const char *max_order;
    unsigned order;
    enum ring_style style;
    bool ok;
    const char *why;
};

static const struct layout_case layouts[] = {
    { "4", 0, LEGACY_REF, true, NULL },
    { "4", 0, ORDER0_REF0, true, NULL }, /* explicit ring-page-order=0 (D4) */
    { "4", 1, ORDER_AND_REFS, true, NULL },
    { "4", 2, ORDER_AND_REFS, true, NULL }, /* offered 4, frontend takes 2 (D5) */
    { "4", 4, ORDER_AND_REFS, true, NULL },
    { "4", 2, NUM_RING_PAGES, true, NULL }, /* legacy num-ring-pages */
    { "2", 3, ORDER_AND_REFS, false, "exceeds max-ring-page-order 2" },
    { "none", 0, LEGACY_REF, true, NULL }, /* a backend without multi-page rings */
    { "none", 0, ORDER0_REF0, true, NULL },
    { "none", 1, ORDER_AND_REFS, false, "multi-page rings are not offered" },
};

START_TEST(ring_layouts)
{
    const struct layout_case *c = &layouts[_i];
    struct world w;
    world_init(&w);
    char opt[64], err[128];
    snprintf(opt, sizeof(opt), "max-ring-page-order=%s", c->max_order);
    ck_assert_int_eq(bb_params_set(&w.params, opt, err, sizeof(err)), 0);
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    frontend_ring(&w, 1, c->order, c->style, XenbusStateInitialised);
    bb_backend_rescan(w.be);
    if (c->ok) {
        ck_assert_int_eq(be_state(&w, 1), XenbusStateConnected);
        ck_assert_uint_eq(mapped_pages(&w, 1), 1u << c->order);
        /* Fill more than one page's worth of slots when multi-page. */
        for (unsigned i = 0; i < 3; i++)
            io_roundtrip(&w, 1);
    } else {
        ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
        ck_assert(diag_has(&w, c->why));
        ck_assert_ptr_nonnull(get(&w, "/local/domain/0/error/backend/vbd/1/%u/error", DEV));
    }
    world_free(&w);
}
END_TEST

START_TEST(missing_ring_details)
{
    struct world w;
    world_with_disk(&w);
    fe_state(&w, 1, XenbusStateInitialised); /* no ring-ref, no event-channel */
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(diag_has(&w, "ring-ref missing"));
    world_free(&w);
}
END_TEST

START_TEST(foreign_protocol_refused)
{
    struct world w;
    world_with_disk(&w);
    frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateInitWait);
    set(&w, "x86_32-abi", FE "protocol", 1, DEV);
    fe_state(&w, 1, XenbusStateInitialised);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(diag_has(&w, "protocol x86_32-abi not supported"));
    world_free(&w);
}
END_TEST

START_TEST(too_many_queues_refused)
{
    struct world w;
    world_with_disk(&w);
    frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateInitWait);
    set(&w, "2", FE "multi-queue-num-queues", 1, DEV);
    fe_state(&w, 1, XenbusStateInitialised);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(diag_has(&w, "multi-queue-num-queues must be 1"));
    world_free(&w);
}
END_TEST

/* The frontend names a port it never allocated: the hypervisor refuses
 * the bind, and the backend gives up on the ring it had not yet mapped. */
START_TEST(event_channel_bind_failure)
{
    struct world w;
    world_with_disk(&w);
    frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateInitWait);
    ck_assert_uint_ne(w.port[1], 5);
    set(&w, "5", FE "event-channel", 1, DEV);
    fe_state(&w, 1, XenbusStateInitialised);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(diag_has(&w, "binding event channel 5"));
    ck_assert_str_eq(hvhost_last_trace(w.hv),
                     "d0: bind to port 5 of d1 refused: port is not allocated");
    ck_assert_uint_eq(mapped_pages(&w, 1), 0);
    world_free(&w);
}
END_TEST

START_TEST(unmappable_ring)
{
    struct world w;
    world_init(&w);
    ck_assert_int_eq(hv_gnt_end_access(hvhost_hv(w.hv), 1, 0), 0);
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateInitialised);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(diag_has(&w, "mapping ring"));
    world_free(&w);
}
END_TEST

/* ---- deviations -------------------------------------------------------------- */

/* Mirage's blkback: no InitWait, disk info up front (D8); a frontend
 * that goes straight to Connected (D2) still connects. */
START_TEST(skip_initwait_and_frontend_skipping_initialised)
{
    struct world w;
    world_init(&w);
    char err[64];
    ck_assert_int_eq(bb_params_set(&w.params, "skip-initwait=1", err, sizeof(err)), 0);
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateInitialising);
    ck_assert_uint_eq(state_writes(&w), 1);
    ck_assert_str_eq(be_node(&w, 1, "sectors"), "8192");
    ck_assert_str_eq(be_node(&w, 1, "hotplug-status"), "connected");
    frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateConnected);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateConnected);
    io_roundtrip(&w, 1);
    world_free(&w);
}
END_TEST

/* A skip-initwait backend started where an earlier process left Closed
 * (it died in the close handshake, after the frontend had closed and
 * gone back to Initialising): it says Initialising again, or the
 * frontend would wait for ever for the backend to leave Closed. */
START_TEST(skip_initwait_restarted_over_closed_says_initialising)
{
    struct world w;
    world_init(&w);
    char err[64];
    ck_assert_int_eq(bb_params_set(&w.params, "skip-initwait=1", err, sizeof(err)), 0);
    toolstack(&w, 1, w.img[1], "w");
    set(&w, "6", "/local/domain/0/backend/vbd/1/%u/state", DEV);
    fe_state(&w, 1, XenbusStateInitialising);
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateInitialising);
    ck_assert_str_eq(be_node(&w, 1, "sectors"), "8192");
    frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateConnected);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateConnected);
    io_roundtrip(&w, 1);
    world_free(&w);
}
END_TEST

/* D3: ring details already there when the backend starts. */
START_TEST(ring_written_before_backend_starts)
{
    struct world w;
    world_init(&w);
    toolstack(&w, 1, w.img[1], "w");
    frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateConnected);
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateConnected);
    io_roundtrip(&w, 1);
    world_free(&w);
}
END_TEST

START_TEST(transaction_conflicts_are_retried)
{
    struct world w;
    world_init(&w);
    w.conflicts = 3;
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateInitWait);
    ck_assert_uint_eq(w.conflicts, 0);
    w.conflicts = 2;
    connect_default(&w, 1, 0, LEGACY_REF);
    ck_assert_uint_eq(w.conflicts, 0);
    world_free(&w);
}
END_TEST

START_TEST(read_only_mode)
{
    struct world w;
    world_init(&w);
    toolstack(&w, 1, w.img[1], "r");
    start(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    ck_assert_str_eq(be_node(&w, 1, "info"), "4");
    ck_assert_str_eq(be_node(&w, 1, "feature-discard"), "0");
    fe_request(&w, 1, BLKIF_OP_WRITE, 1, 0, 40);
    ck_assert_int_eq(fe_response(&w, 1, 1), BLKIF_RSP_ERROR);
    fe_request(&w, 1, BLKIF_OP_READ, 2, 0, 40);
    ck_assert_int_eq(fe_response(&w, 1, 2), BLKIF_RSP_OKAY);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateConnected);
    world_free(&w);
}
END_TEST

START_TEST(toolstack_discard_disable)
{
    struct world w;
    world_init(&w);
    toolstack(&w, 1, w.img[1], "w");
    set(&w, "0", BE "discard-enable", 1, DEV);
    start(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    ck_assert_str_eq(be_node(&w, 1, "feature-discard"), "0");
    world_free(&w);
}
END_TEST

START_TEST(bad_image_path)
{
    struct world w;
    world_init(&w);
    toolstack(&w, 1, "/nonexistent/disk.img", "w");
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(diag_has(&w, "cannot open params /nonexistent/disk.img"));
    const char *e = get(&w, "/local/domain/0/error/backend/vbd/1/%u/error", DEV);
    ck_assert_ptr_nonnull(e);
    ck_assert(strstr(e, "No such file") != NULL);
    world_free(&w);
}
END_TEST

START_TEST(bad_frontend_path)
{
    struct world w;
    world_init(&w);
    toolstack(&w, 1, w.img[1], "w");
    char longpath[400];
    memset(longpath, 'x', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    set(&w, _i ? "relative/path" : longpath, BE "frontend", 1, DEV);
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(diag_has(&w, "is not an absolute path under 256 bytes"));
    world_free(&w);
}
END_TEST

START_TEST(incomplete_toolstack_nodes_wait)
{
    struct world w;
    world_init(&w);
    set(&w, "1", BE "state", 1, DEV); /* directory appears before params */
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), 1);
    ck_assert_uint_eq(bb_backend_count(w.be), 1);
    toolstack(&w, 1, w.img[1], "w");
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateInitWait);
    world_free(&w);
}
END_TEST

/* ---- lifecycle ----------------------------------------------------------------- */

START_TEST(close_and_reconnect)
{
    struct world w;
    world_with_disk(&w);
    connect_default(&w, 1, 2, ORDER_AND_REFS);
    io_roundtrip(&w, 1);
    fe_state(&w, 1, XenbusStateClosing);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert_uint_eq(mapped_pages(&w, 1), 0);
    ck_assert_uint_eq(bound_ports(&w), 0);
    fe_state(&w, 1, XenbusStateClosed);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosed);
    fe_state(&w, 1, XenbusStateInitialising); /* D7 */
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateInitWait);
    connect_default(&w, 1, 0, LEGACY_REF);
    io_roundtrip(&w, 1);
    world_free(&w);
}
END_TEST

/* XSA-350/371: a frontend flapping Connected/Closing/Closed with requests
 * queued, with and without persistent grants: every cycle ends with
 * nothing mapped or bound. */
START_TEST(flapping_frontend_leaks_nothing)
{
    struct world w;
    world_init(&w);
    if (_i) {
        char err[64];
        ck_assert_int_eq(bb_params_set(&w.params, "persistent=0", err, sizeof(err)), 0);
    }
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    for (unsigned cycle = 0; cycle < 40; cycle++) {
        connect_default(&w, 1, cycle % 3, cycle % 2 ? ORDER_AND_REFS : LEGACY_REF);
        io_roundtrip(&w, 1);
        blkif_front_ring_t *f = &w.front[1];
        for (unsigned i = 0; i < 5; i++) {
            blkif_request_t req;
            memset(&req, 0, sizeof(req));
            req.operation = BLKIF_OP_READ;
            req.nr_segments = 1;
            req.id = i;
            req.seg[0] =
                (struct blkif_request_segment){ .gref = 40 + i, .first_sect = 0, .last_sect = 7 };
            memcpy(RING_GET_REQUEST(f, f->req_prod_pvt), &req, sizeof(req));
            f->req_prod_pvt++;
        }
        RING_PUSH_REQUESTS(f); /* queued, never kicked */
        fe_state(&w, 1, cycle % 4 == 3 ? XenbusStateClosed : XenbusStateClosing);
        bb_backend_rescan(w.be);
        ck_assert_uint_eq(mapped_pages(&w, 1), 0);
        ck_assert_uint_eq(bound_ports(&w), 0);
        fe_state(&w, 1, XenbusStateClosed);
        bb_backend_rescan(w.be);
        ck_assert_int_eq(be_state(&w, 1), XenbusStateClosed);
        fe_state(&w, 1, XenbusStateInitialising);
        bb_backend_rescan(w.be);
        ck_assert_int_eq(be_state(&w, 1), XenbusStateInitWait);
    }
    world_free(&w);
}
END_TEST

START_TEST(frontend_starts_over_while_connected)
{
    struct world w;
    world_with_disk(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    fe_state(&w, 1, XenbusStateInitialising);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateInitWait);
    ck_assert_uint_eq(mapped_pages(&w, 1), 0);
    connect_default(&w, 1, 1, ORDER_AND_REFS);
    io_roundtrip(&w, 1);
    world_free(&w);
}
END_TEST

START_TEST(new_ring_while_connected)
{
    struct world w;
    world_with_disk(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    /* Same state, new event channel: follow it. */
    frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateConnected);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateConnected);
    ck_assert_uint_eq(bound_ports(&w), 1);
    io_roundtrip(&w, 1);
    world_free(&w);
}
END_TEST

/* A backend killed and restarted while its frontend is still Connected:
 * the old ring may hold responses the dead process wrote but never
 * published, over the requests they answer, so the new process never
 * attaches to it.  It says Closing, which every frontend sees (another
 * InitWait would go unseen by one that only ever saw InitWait), and
 * serves the ring published after the frontend's Closed: through
 * Initialising (_i == 0) or straight from Closed to Initialised, the
 * Initialising missed as two watches fired together (_i == 1). */
START_TEST(restarted_backend_waits_for_a_new_ring)
{
    struct world w;
    world_with_disk(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    bb_backend_free(w.be, false); /* gone without a word */
    w.be = NULL;
    start(&w);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(!bb_vbd_connected(bb_backend_find(w.be, 1, DEV)));
    ck_assert_uint_eq(mapped_pages(&w, 1), 0);
    bb_backend_rescan(w.be); /* nothing new: still closing */
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(!bb_vbd_connected(bb_backend_find(w.be, 1, DEV)));
    fe_state(&w, 1, XenbusStateClosed);
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosed);
    if (_i == 0) {
        fe_state(&w, 1, XenbusStateInitialising);
        bb_backend_rescan(w.be);
        ck_assert_int_eq(be_state(&w, 1), XenbusStateInitWait);
        frontend_ring(&w, 1, 1, ORDER_AND_REFS, XenbusStateInitialised);
    } else {
        /* A new event channel: what tells this ring from the old one. */
        frontend_ring(&w, 1, 0, LEGACY_REF, XenbusStateInitialised);
    }
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateConnected);
    io_roundtrip(&w, 1);
    world_free(&w);
}
END_TEST

static uint64_t fake_now;
static uint64_t fake_clock(void)
{
    return fake_now;
}

/* With a clock, resize-on-io looks at the image at most once per
 * resize-check-ms: a resize made just after a look waits for the next
 * batch served once the interval has passed. */
START_TEST(resize_on_io_looks_once_per_interval)
{
    struct world w;
    world_init(&w);
    char err[64];
    ck_assert_int_eq(bb_params_set(&w.params, "resize-check-ms=50", err, sizeof(err)), 0);
    fake_now = 1000000000ull;
    w.env.now_ns = fake_clock;
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    fe_request(&w, 1, BLKIF_OP_READ, 1, 0, 40); /* looks now */
    ck_assert_int_eq(fe_response(&w, 1, 1), BLKIF_RSP_OKAY);
    ck_assert_int_eq(truncate(w.img[1], 8 << 20), 0);
    fake_now += 49000000ull;
    fe_request(&w, 1, BLKIF_OP_READ, 2, 0, 40);
    ck_assert_int_eq(fe_response(&w, 1, 2), BLKIF_RSP_OKAY);
    ck_assert_str_eq(be_node(&w, 1, "sectors"), "8192");
    fake_now += 1000000ull;
    fe_request(&w, 1, BLKIF_OP_READ, 3, 0, 40);
    ck_assert_int_eq(fe_response(&w, 1, 3), BLKIF_RSP_OKAY);
    ck_assert_str_eq(be_node(&w, 1, "sectors"), "16384");
    world_free(&w);
}
END_TEST

START_TEST(resize_rewrites_sectors_and_state)
{
    struct world w;
    world_init(&w);
    if (_i == 1) {
        char err[64];
        ck_assert_int_eq(bb_params_set(&w.params, "resize-on-io=0", err, sizeof(err)), 0);
    }
    toolstack(&w, 1, w.img[1], "w");
    start(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    unsigned before = state_writes(&w);
    ck_assert_int_eq(truncate(w.img[1], 8 << 20), 0);
    fe_request(&w, 1, BLKIF_OP_READ, 1, 0, 40);
    ck_assert_int_eq(fe_response(&w, 1, 1), BLKIF_RSP_OKAY);
    if (_i == 0) {
        /* Noticed on I/O, as Linux does. */
        ck_assert_str_eq(be_node(&w, 1, "sectors"), "16384");
    } else {
        ck_assert_str_eq(be_node(&w, 1, "sectors"), "8192");
        ck_assert_int_eq(bb_vbd_check_resize(bb_backend_find(w.be, 1, DEV)), 1); /* SIGHUP */
        ck_assert_str_eq(be_node(&w, 1, "sectors"), "16384");
    }
    ck_assert_uint_eq(state_writes(&w), before + 1);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateConnected);
    ck_assert_int_eq(bb_vbd_check_resize(bb_backend_find(w.be, 1, DEV)), 0);
    /* The new space is usable. */
    fe_request(&w, 1, BLKIF_OP_WRITE, 2, 16000, 40);
    ck_assert_int_eq(fe_response(&w, 1, 2), BLKIF_RSP_OKAY);
    world_free(&w);
}
END_TEST

/* One frontend breaks a rule: it is cut off with a diagnosis; the other
 * frontend's disk keeps working. */
START_TEST(cut_off_one_frontend_others_keep_running)
{
    struct world w;
    world_init(&w);
    toolstack(&w, 1, w.img[1], "w");
    toolstack(&w, 2, w.img[2], "w");
    start(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    connect_default(&w, 2, 1, ORDER_AND_REFS);
    blkif_front_ring_t *f = &w.front[1];
    blkif_request_t req;
    memset(&req, 0, sizeof(req));
    req.operation = BLKIF_OP_READ;
    req.nr_segments = 1;
    req.id = 66;
    req.seg[0] = (struct blkif_request_segment){ .gref = 40, .first_sect = 2, .last_sect = 9 };
    memcpy(RING_GET_REQUEST(f, f->req_prod_pvt), &req, sizeof(req));
    f->req_prod_pvt++;
    RING_PUSH_REQUESTS(f);
    bb_backend_event(w.be, bb_vbd_port(bb_backend_find(w.be, 1, DEV)));
    ck_assert_int_eq(fe_response(&w, 1, 66), BLKIF_RSP_ERROR);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    ck_assert(diag_has(&w, "blkback: dom1 vbd 51712: request id 0x42: segment 0 ref 40: "
                           "first_sect 2 last_sect 9 leave the page"));
    ck_assert(diag_has(&w, "dom1 vbd 51712: frontend cut off"));
    ck_assert_uint_eq(mapped_pages(&w, 1), 0);
    io_roundtrip(&w, 2);
    ck_assert_int_eq(be_state(&w, 2), XenbusStateConnected);
    /* The cut-off frontend still says Connected: no reconnect until it
     * closes. */
    bb_backend_rescan(w.be);
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosing);
    world_free(&w);
}
END_TEST

/* The toolstack removes a destroyed domain's directory before the
 * hypervisor ends its grants: a request of that domain that then fails
 * broke no rule and is told as information, while the same failure of
 * a live frontend is a diagnosis. */
START_TEST(failure_of_a_destroyed_frontend_is_not_diagnosed)
{
    struct world w;
    world_init(&w);
    toolstack(&w, 1, w.img[1], "w");
    toolstack(&w, 2, w.img[2], "w");
    start(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    connect_default(&w, 2, 0, LEGACY_REF);
    const unsigned ungranted = FE_PAGES + 7;
    fe_request(&w, 2, BLKIF_OP_READ, 7, 0, ungranted);
    ck_assert_int_eq(fe_response(&w, 2, 7), BLKIF_RSP_ERROR);
    ck_assert(diag_has(&w, "blkback: dom2 vbd 51712: request id 0x7: "));
    unsigned before = w.ndiag;
    ck_assert_int_eq(xsc_client_strs(w.xs.dom0, XS_RM, 0, NULL, "/local/domain/1", NULL), 0);
    fe_request(&w, 1, BLKIF_OP_READ, 8, 0, ungranted);
    ck_assert_int_eq(fe_response(&w, 1, 8), BLKIF_RSP_ERROR);
    ck_assert_uint_eq(w.ndiag, before);
    ck_assert_msg(strstr(w.info, "blkback: dom1 vbd 51712: request id 0x8: ") &&
                      strstr(w.info, "(its domain is gone)"),
                  "%s", w.info);
    world_free(&w);
}
END_TEST

START_TEST(event_storm_is_shared_fairly)
{
    struct world w;
    world_init(&w);
    char err[64];
    ck_assert_int_eq(bb_params_set(&w.params, "batch=4", err, sizeof(err)), 0);
    toolstack(&w, 1, w.img[1], "w");
    toolstack(&w, 2, w.img[2], "w");
    start(&w);
    connect_default(&w, 1, 2, ORDER_AND_REFS);
    connect_default(&w, 2, 0, LEGACY_REF);
    /* Dom1 queues 100 requests; one event serves only a batch. */
    blkif_front_ring_t *f = &w.front[1];
    for (unsigned i = 0; i < 100; i++) {
        blkif_request_t req;
        memset(&req, 0, sizeof(req));
        req.operation = BLKIF_OP_READ;
        req.nr_segments = 1;
        req.id = i;
        req.seg[0] = (struct blkif_request_segment){ .gref = 40, .first_sect = 0, .last_sect = 7 };
        memcpy(RING_GET_REQUEST(f, f->req_prod_pvt), &req, sizeof(req));
        f->req_prod_pvt++;
    }
    RING_PUSH_REQUESTS(f);
    bb_backend_event(w.be, bb_vbd_port(bb_backend_find(w.be, 1, DEV)));
    ck_assert_uint_eq(RING_HAS_UNCONSUMED_RESPONSES(f), 4);
    io_roundtrip(&w, 2); /* dom2 served meanwhile */
    unsigned turns = 0;
    while (bb_backend_serve_busy(w.be))
        turns++;
    ck_assert_uint_ge(turns, 20);
    ck_assert_uint_eq(RING_HAS_UNCONSUMED_RESPONSES(f), 100);
    world_free(&w);
}
END_TEST

START_TEST(backend_directory_removed)
{
    struct world w;
    world_with_disk(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    ck_assert_uint_eq(watches(&w), 2);
    ck_assert_int_eq(
        xsc_client_strs(w.xs.dom0, XS_RM, 0, NULL, "/local/domain/0/backend/vbd/1", NULL), 0);
    bb_backend_rescan(w.be);
    ck_assert_uint_eq(bb_backend_count(w.be), 0);
    ck_assert_uint_eq(mapped_pages(&w, 1), 0);
    ck_assert_uint_eq(watches(&w), 1);
    world_free(&w);
}
END_TEST

START_TEST(clean_shutdown_closes_devices)
{
    struct world w;
    world_with_disk(&w);
    connect_default(&w, 1, 0, LEGACY_REF);
    bb_backend_free(w.be, true);
    w.be = NULL;
    ck_assert_int_eq(be_state(&w, 1), XenbusStateClosed);
    ck_assert_uint_eq(mapped_pages(&w, 1), 0);
    world_free(&w);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("blkback_vbd");
    TCase *t = tcase_create("xenbus");
    tcase_add_unchecked_fixture(t, base_setup, base_teardown);
    tcase_add_test(t, probe_is_linux_like);
    tcase_add_test(t, features_at_probe);
    tcase_add_loop_test(t, knob_publishes, 0, sizeof(knob_cases) / sizeof(knob_cases[0]));
    tcase_add_test(t, bad_knobs_are_refused);
    tcase_add_loop_test(t, ring_layouts, 0, sizeof(layouts) / sizeof(layouts[0]));
    tcase_add_test(t, missing_ring_details);
    tcase_add_test(t, foreign_protocol_refused);
    tcase_add_test(t, too_many_queues_refused);
    tcase_add_test(t, event_channel_bind_failure);
    tcase_add_test(t, unmappable_ring);
    tcase_add_test(t, skip_initwait_and_frontend_skipping_initialised);
    tcase_add_test(t, skip_initwait_restarted_over_closed_says_initialising);
    tcase_add_test(t, ring_written_before_backend_starts);
    tcase_add_test(t, transaction_conflicts_are_retried);
    tcase_add_test(t, read_only_mode);
    tcase_add_test(t, toolstack_discard_disable);
    tcase_add_test(t, bad_image_path);
    tcase_add_test(t, incomplete_toolstack_nodes_wait);
    tcase_add_loop_test(t, bad_frontend_path, 0, 2);
    tcase_add_test(t, close_and_reconnect);
    tcase_add_test(t, frontend_starts_over_while_connected);
    tcase_add_loop_test(t, flapping_frontend_leaks_nothing, 0, 2);
    tcase_add_test(t, new_ring_while_connected);
    tcase_add_loop_test(t, restarted_backend_waits_for_a_new_ring, 0, 2);
    tcase_add_loop_test(t, resize_rewrites_sectors_and_state, 0, 2);
    tcase_add_test(t, resize_on_io_looks_once_per_interval);
    tcase_add_test(t, cut_off_one_frontend_others_keep_running);
    tcase_add_test(t, failure_of_a_destroyed_frontend_is_not_diagnosed);
    tcase_add_test(t, event_storm_is_shared_fairly);
    tcase_add_test(t, backend_directory_removed);
    tcase_add_test(t, clean_shutdown_closes_devices);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    return check_main(suite());
}
