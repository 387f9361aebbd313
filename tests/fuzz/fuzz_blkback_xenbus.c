/*
 * fuzz_blkback_xenbus — blkback's xenbus side (backend.c, vbd.c) facing a
 * frontend that writes anything into its xenstore directory, in any
 * order: ring-page-order, num-ring-pages, ring-ref and ring-ref%u,
 * event-channel, protocol, multi-queue-num-queues, feature-persistent and
 * state moves; a toolstack that rewrites or removes the backend's nodes;
 * a backend process that dies and is started again.  The peers are the
 * in-process world's real cores: xenstore (transactions, watches) and
 * the hypervisor on memfd memory, whose grants blkback maps as gntdev
 * maps them (bbenv.h).
 *
 * blkback must connect, or close with an error node, and never crash;
 * while connected it says Connected and holds one event channel, while
 * not it holds no mapping and no port, and a backend that is shut down
 * leaves no mapping, no port and no watch behind.
 *
 * The frontend (domain 1) grants dom0 its pages 0..15 as refs 0..15 (ref
 * 15 read-only) and has allocated four unbound ports before the input
 * starts, so that the values the input writes can name real ones.
 *
 * Input: byte 0 and byte 1 set blkback's knobs (see knobs()); then
 * lines, each one step, after which the backend rescans:
 *   KEY=VALUE      the frontend writes its KEY (e.g. ring-ref0, state)
 *   -KEY           the frontend removes KEY
 *   !be:KEY=VALUE  the toolstack writes the backend's KEY (not state);
 *                  !be:KEY removes it
 *   !req !bad      a read request (or one with 200 segments) is put on
 *                  the ring in page 0 and the backend is kicked
 *   !grow          the image grows by 1 MiB and the backend looks
 *   !conflict      the backend's next three commits conflict
 *   !remove        the toolstack removes the device
 *   !restart       the backend process dies and a new one starts
 *   !stop          the backend shuts down cleanly and a new one starts
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends-sim/blkback/backend.h"
#include "backends-sim/blkback/blkif_proto.h"
#include "backends-sim/world/bbenv.h"
#include "backends-sim/world/world_fixture.h"
#include "tests/fuzz/xenbus_input.h"
#include <xen/io/xenbus.h>

#define DEV 51712
#define FE_PAGES 16
#define IMAGE_BYTES (1 << 20)
#define MAX_STEPS 256
#define FE "/local/domain/1/device/vbd/51712"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_blkback_xenbus: %s\n", what);
    abort();
}

static void quiet(void *ctx, bool diagnosis, const char *text)
{
    (void)ctx;
    (void)diagnosis;
    (void)text;
}

struct world {
    struct hvhost *hv;
    struct wf_xenstore xs;
    struct bb_params params;
    struct bbenv *benv;
    struct bb_backend *be;
    const char *kind; /* "vbd" or "qdisk" */
    char be_dir[96];
    unsigned conflicts;
};

static bool tx_conflict(void *ctx)
{
    struct world *w = ctx;
    if (!w->conflicts)
        return false;
    w->conflicts--;
    return true;
}

static const struct bbenv_ops benv_ops = { .tx_conflict = tx_conflict };

/* The image: a memfd named by its /proc path, emptied and put back to
 * its size before each input. */
static int image_fd = -1;
static char image_path[64];

static void image_reset(void)
{
    if (image_fd < 0) {
        image_fd = memfd_create("fuzz_blkback_xenbus", 0);
        if (image_fd < 0)
            die("cannot make the image");
        snprintf(image_path, sizeof image_path, "/proc/self/fd/%d", image_fd);
    }
    if (ftruncate(image_fd, 0) < 0 || ftruncate(image_fd, IMAGE_BYTES) < 0)
        die("cannot size the image");
}

/* Byte 0: bits 0-2 max-ring-page-order (-1, then 0..4, 4 more), bit 3
 * persistent grants, bit 4 grant copy, bit 5 skip InitWait, bit 6 features
 * at probe, bit 7 the qdisk directory.  Byte 1: bits 0-1
 * multi-queue-max-queues (none, 1, 2, 4), bit 2 read-only, bit 3 discard,
 * bit 4 hotplug-status, bit 5 resize on I/O, bit 6 4096-byte sectors,
 * bit 7 the first two commits conflict. */
static void knobs(struct world *w, uint8_t b0, uint8_t b1)
{
    static const unsigned mq[] = { 0, 1, 2, 4 };
    struct bb_params *p = &w->params;
    bb_params_default(p);
    int order = (int)(b0 & 7) - 1;
    p->max_ring_page_order = order > 4 ? 4 : order;
    p->persistent = b0 & 8;
    p->grant_copy = b0 & 16;
    p->skip_initwait = b0 & 32;
    p->features_at = (b0 & 64) ? BB_FEATURES_AT_PROBE : BB_FEATURES_AT_CONNECTED;
    w->kind = (b0 & 128) ? "qdisk" : "vbd";
    p->max_queues = mq[b1 & 3];
    p->readonly = b1 & 4;
    p->discard = b1 & 8;
    p->hotplug_status = b1 & 16;
    p->resize_on_io = b1 & 32;
    p->resize_check_ms = 0;
    if (b1 & 64)
        p->sector_size = 4096;
    w->conflicts = (b1 & 128) ? 2 : 0;
    snprintf(w->be_dir, sizeof w->be_dir, "/local/domain/0/backend/%s/1/%u", w->kind, DEV);
}

static void xs_set(struct world *w, const char *path, const char *value)
{
    if (xsc_client_write(w->xs.dom0, 0, path, value) != 0)
        die("the toolstack cannot write");
}

static void toolstack(struct world *w)
{
    char path[160], params[96];
    snprintf(params, sizeof params, "%s%s", strcmp(w->kind, "qdisk") ? "" : "raw:", image_path);
#define BE_SET(key, val)                                      \
    do {                                                      \
        snprintf(path, sizeof path, "%s/%s", w->be_dir, key); \
        xs_set(w, path, val);                                 \
    } while (0)
    BE_SET("frontend", FE);
    BE_SET("frontend-id", "1");
    BE_SET("params", params);
    BE_SET("mode", "w");
    BE_SET("type", "file");
    BE_SET("online", "1");
    BE_SET("state", "1");
#undef BE_SET
    xs_set(w, FE "/backend", w->be_dir);
    xs_set(w, FE "/backend-id", "0");
    xs_set(w, FE "/state", "1");
}

static void backend_start(struct world *w)
{
    const struct bb_logger log = { .line = quiet };
    w->benv = bbenv_new(w->hv, w->xs.core, 0, &w->params, &log, &benv_ops, w);
    if (!w->benv)
        die("out of memory");
    w->be = bb_backend_new(bbenv_env(w->benv), "/local/domain/0");
    if (!w->be || bb_backend_set_kind(w->be, "/local/domain/0", w->kind) < 0 ||
        bb_backend_watch(w->be, "vbd") < 0)
        die("cannot start the backend");
    bb_backend_rescan(w->be);
}

/* What the backend process held goes, as when it exits or is killed. */
static void backend_stop(struct world *w, bool clean)
{
    if (!clean)
        bbenv_kill(w->benv);
    bb_backend_free(w->be, clean);
    if (clean && xsc_client_watches(bbenv_xs(w->benv)) != 0)
        die("a backend shut down left a watch");
    if (clean && bbenv_mapped(w->benv) != 0)
        die("a backend shut down left pages mapped");
    bbenv_free(w->benv);
    struct hv_counts c;
    if (hv_domain_counts(hvhost_hv(w->hv), 0, &c) < 0 || c.mappings || c.ports)
        die("a backend gone left mappings or ports in the hypervisor");
    w->be = NULL;
    w->benv = NULL;
}

/* What must hold between steps. */
static void check(struct world *w)
{
    char st[16];
    char path[160];
    snprintf(path, sizeof path, "%s/state", w->be_dir);
    int err = xsc_client_read(w->xs.dom0, 0, path, st, sizeof st);
    if (err == 0 && (strlen(st) != 1 || st[0] < '1' || st[0] > '6'))
        die("the backend wrote a state that is not one");
    struct hv_counts c;
    if (hv_domain_counts(hvhost_hv(w->hv), 0, &c) < 0)
        die("dom0 is gone");
    if (c.mappings != bbenv_mapped(w->benv))
        die("the backend's mappings and the hypervisor's disagree");
    struct bb_vbd *v = bb_backend_find(w->be, 1, DEV);
    if (v && strcmp(bb_vbd_path(v), w->be_dir) != 0)
        die("a device is not at its directory");
    if (v && err == 0 && bb_vbd_state(v) != st[0] - '0' &&
        bb_vbd_state(v) != XenbusStateInitialising)
        die("the device's state and the one it wrote differ");
    if (v && bb_vbd_connected(v)) {
        if (err == 0 && strcmp(st, "4") != 0)
            die("connected without saying Connected");
        if (!bb_vbd_port(v) || c.ports != 1)
            die("connected without exactly one event channel");
        if (!c.mappings)
            die("connected without the ring mapped");
    } else if (c.mappings || c.ports) {
        die("not connected but holding mappings or ports");
    }
}

static void write_key(struct world *w, const char *dir, const char *kv)
{
    char path[192];
    const char *value;
    if (!xi_key(dir, kv, path, sizeof path, &value))
        return;
    if (value)
        (void)xsc_client_write(w->xs.dom0, 0, path, value);
    else
        (void)xsc_client_strs(w->xs.dom0, XS_RM, 0, NULL, path, NULL);
}

/* A request in page 0, where a one-page ring at ref 0 lives; `bad` gives
 * it more segments than any request may have. */
static void request(struct world *w, bool bad)
{
    blkif_sring_t *s = hvhost_page(w->hv, 1, 0);
    if (!s)
        die("no frontend page 0");
    blkif_front_ring_t f;
    FRONT_RING_INIT(&f, s, 4096);
    f.req_prod_pvt = s->req_prod;
    blkif_request_t *r = RING_GET_REQUEST(&f, f.req_prod_pvt);
    memset(r, 0, sizeof *r);
    r->operation = BLKIF_OP_READ;
    r->nr_segments = bad ? 200 : 1;
    r->id = f.req_prod_pvt;
    r->seg[0] = (struct blkif_request_segment){ .gref = 8, .first_sect = 0, .last_sect = 7 };
    f.req_prod_pvt++;
    RING_PUSH_REQUESTS(&f);
    struct bb_vbd *v = bb_backend_find(w->be, 1, DEV);
    if (v && bb_vbd_port(v))
        bb_backend_event(w->be, bb_vbd_port(v));
}

static void drain_watches(struct world *w)
{
    char p[XENSTORE_ABS_PATH_MAX + 1], token[XENSTORE_ABS_PATH_MAX + 1];
    while (xsc_client_event(bbenv_xs(w->benv), p, sizeof p, token, sizeof token))
        ;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    struct world w;
    memset(&w, 0, sizeof w);
    knobs(&w, data[0], data[1]);
    image_reset();
    w.hv = wf_hv_open_mapped();
    if (!w.hv || hvhost_domain_create(w.hv, 0, 0) < 0 ||
        hvhost_domain_create(w.hv, 1, FE_PAGES) < 0)
        die("cannot make the domains");
    hv_t *hv = hvhost_hv(w.hv);
    for (grant_ref_t i = 0; i < FE_PAGES; i++)
        if (hv_gnt_grant(hv, 1, i, 0, i, i == FE_PAGES - 1, &w) < 0)
            die("cannot grant the frontend's pages");
    for (int i = 0; i < 4; i++) {
        evtchn_port_t port;
        if (hv_evtchn_alloc_unbound(hv, 1, 1, 0, &w, &port) < 0)
            die("cannot allocate the frontend's ports");
    }
    if (wf_xenstore_open(&w.xs) < 0)
        die("out of memory");
    toolstack(&w);
    backend_start(&w);
    check(&w);

    char line[128];
    size_t i = 2;
    for (int steps = 0; i < size && steps < MAX_STEPS; steps++) {
        if (!xi_line(data, size, &i, line, sizeof line))
            continue;
        if (!strncmp(line, "!be:", 4)) {
            /* The toolstack writes the backend's state only when it
             * makes the directory. */
            if (strncmp(line + 4, "state", 5) != 0)
                write_key(&w, w.be_dir, line + 4);
        } else if (!strcmp(line, "!req") || !strcmp(line, "!bad")) {
            request(&w, line[1] == 'b');
        } else if (!strcmp(line, "!grow")) {
            off_t now = lseek(image_fd, 0, SEEK_END);
            if (now < 0 || ftruncate(image_fd, now + IMAGE_BYTES) < 0)
                die("cannot grow the image");
            bb_backend_check_resize(w.be);
        } else if (!strcmp(line, "!conflict")) {
            w.conflicts = 3;
        } else if (!strcmp(line, "!remove")) {
            (void)xsc_client_strs(w.xs.dom0, XS_RM, 0, NULL, w.be_dir, NULL);
        } else if (!strcmp(line, "!restart") || !strcmp(line, "!stop")) {
            backend_stop(&w, line[3] == 't');
            backend_start(&w);
        } else if (line[0] == '-') {
            write_key(&w, FE, line + 1);
        } else if (strchr(line, '=')) {
            write_key(&w, FE, line);
        }
        bb_backend_rescan(w.be);
        (void)bb_backend_serve_busy(w.be);
        drain_watches(&w);
        check(&w);
    }
    backend_stop(&w, true);
    hvhost_free(w.hv);
    if (wf_xenstore_close(&w.xs) != 0)
        die("xenstore lost track of its nodes");
    return 0;
}
