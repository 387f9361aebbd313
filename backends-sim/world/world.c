/*
 * world.c — building a world from a seed, running it, checking it, and
 * taking it down again (see world.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "backends-sim/world/toolstack_nodes.h"
#include "backends-sim/world/trace_log.h"
#include "backends-sim/world/world_core.h"
#include "backends-sim/world/world_priv.h"

static const char *const bug_names[] = { "none", "dup-response", "readonly-grant",
                                         "net-lost-frame" };

int world_bug_parse(const char *name)
{
    for (int i = 0; i < (int)(sizeof(bug_names) / sizeof(bug_names[0])); i++)
        if (!strcmp(name, bug_names[i]))
            return i;
    return -1;
}

const char *world_bug_name(enum world_bug bug)
{
    return (unsigned)bug < sizeof(bug_names) / sizeof(bug_names[0]) ? bug_names[bug] : "?";
}

/* ---- the trace ---------------------------------------------------------- */

void w_trace(struct world *w, const char *fmt, ...)
{
    if (!w->opts.trace)
        return;
    char line[640];
    va_list ap;
    va_start(ap, fmt);
    size_t len = trace_log_format(line, sizeof(line), w->sched.step, w->sched.waiting, fmt, ap);
    va_end(ap);
    /* The disk's fd number depends on what the process inherited: name it
     * so that a trace is the same in every process. */
    char *p = w->disk_path[0] ? strstr(line, w->disk_path) : NULL;
    if (p) {
        static const char name[] = "<disk>";
        size_t dl = strlen(w->disk_path), tail = len - (size_t)(p - line) - dl;
        memmove(p + sizeof(name) - 1, p + dl, tail);
        memcpy(p, name, sizeof(name) - 1);
        len = len - dl + sizeof(name) - 1;
    }
    trace_log_add(&w->log, line, len);
}

void w_fail(struct world *w, const char *invariant, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool first = world_sched_fail(&w->sched, w->res, invariant, fmt, ap);
    va_end(ap);
    if (first)
        w_trace(w, "INVARIANT BROKEN: %s: %s", invariant, w->res->detail);
}

/* ---- what the parts report ---------------------------------------------- */

static void on_hv_trace(void *ctx, domid_t d, const char *line)
{
    struct world *w = ctx;
    w_trace(w, "hv: %s", line);
    /* A backend that died cannot unbind first: its peer's notify finds
     * the port unbound, which Xen drops silently. */
    if (w->crashed_ever && strstr(line, "port is unbound, event dropped"))
        return;
    w_fail(w, "no hypervisor rule broken", "%s", line);
}

static void on_port_closed(void *ctx, domid_t d, evtchn_port_t port)
{
    w_trace(ctx, "hv: d%u port %u: peer closed its end", d, port);
}

static void on_xs_trace(void *ctx, const char *line)
{
    struct world *w = ctx;
    w_trace(w, "xenstore: %s", line);
    w_fail(w, "no xenstore rule broken", "%s", line);
}

void w_bb_line(void *ctx, bool diagnosis, const char *text)
{
    struct world *w = ctx;
    w_trace(w, "%s", text);
    if (diagnosis)
        w_fail(w, "no backend diagnosis", "%s", text);
}

static void on_fe_log(void *ctx, enum os_log_level level, const char *line)
{
    w_trace(ctx, "%s", line);
}

static uint64_t now_ns(void *ctx)
{
    return ((struct world *)ctx)->sched.now;
}

/* ---- configuration from the seed ----------------------------------------- */

static void choose_config(struct world *w)
{
    struct world_config *c = &w->cfg;
    struct choice *ch = &w->ch;
    c->be_order = (int)choice_pick(ch, 5);
    c->fe_order = choice_pick(ch, 5);
    c->persistent = choice_chance(ch, 1, 2);
    c->grant_copy = choice_chance(ch, 1, 4);
    c->be_indirect = choice_chance(ch, 1, 2);
    c->fe_indirect = choice_chance(ch, 1, 2);
    c->features_at_probe = choice_chance(ch, 1, 4);
    c->skip_initwait = choice_chance(ch, 1, 4);
    c->skip_initialised = choice_chance(ch, 1, 4);
    c->early_transport = choice_chance(ch, 1, 8);
    c->explicit_order0 = choice_chance(ch, 1, 4);
    c->batch = 1 + choice_pick(ch, 8);
    c->depth = 1 + choice_pick(ch, W_MAX_DEPTH);
    c->disk_sectors = 8 * (8 + choice_pick(ch, 25));
    c->flush = choice_chance(ch, 1, 2);
    bool faults = choice_chance(ch, 1, 2);
    c->ncrashes = faults ? choice_pick(ch, W_MAX_CRASHES + 1) : 0;
    for (unsigned i = 0; i < c->ncrashes; i++)
        c->crash_at[i] = 1 + choice_pick(ch, 300);
    c->conflicts = faults ? choice_pick(ch, 4) : 0;
    c->delays = faults && choice_chance(ch, 1, 2);

    snprintf(w->res->config, sizeof(w->res->config),
             "backend order %d%s%s%s%s batch %u; frontend order %u%s%s%s%s; %s%s; depth %u, %u "
             "sectors%s; "
             "faults: up to %u crash(es), up to %u conflict(s)%s",
             c->be_order, c->be_indirect ? " indirect" : "", c->grant_copy ? " grant-copy" : "",
             c->features_at_probe ? " features-at-probe" : "",
             c->skip_initwait ? " skip-initwait" : "", c->batch, c->fe_order,
             c->fe_indirect ? " indirect" : "", c->skip_initialised ? " skip-initialised" : "",
             c->early_transport ? " early-transport" : "",
             c->explicit_order0 ? " explicit-order0" : "",
             c->persistent ? "persistent" : "not persistent", c->flush ? ", flush" : "", c->depth,
             c->disk_sectors, w->opts.bug ? " (with a bug)" : "", c->ncrashes, c->conflicts,
             c->delays ? ", delays" : "");
    w->conflicts_left = c->conflicts;

    bb_params_default(&w->params);
    w->params.max_ring_page_order = c->be_order;
    w->params.max_indirect_segments = c->be_indirect ? 256 : 0;
    w->params.persistent = c->persistent;
    w->params.grant_copy = c->grant_copy;
    w->params.features_at = c->features_at_probe ? BB_FEATURES_AT_PROBE : BB_FEATURES_AT_CONNECTED;
    w->params.skip_initwait = c->skip_initwait;
    w->params.batch = c->batch;
}

/* ---- the toolstack's nodes ------------------------------------------------ */

/* The guest's vbd xvda, as libxl writes it. */
static int toolstack(struct world *w)
{
    char bpath[128], fpath[128];
    snprintf(bpath, sizeof bpath, "/local/domain/0/backend/vbd/%u/%u", W_FRONT, W_DEVID);
    snprintf(fpath, sizeof fpath, "/local/domain/%u/device/vbd/%u", W_FRONT, W_DEVID);
    const char *const back[] = {
        "frontend",  fpath,        "frontend-id", "1", "online", "1",    "state",          "1",
        "params",    w->disk_path, "mode",        "w", "type",   "phy",  "device-type",    "disk",
        "removable", "0",          "bootable",    "1", "dev",    "xvda", "discard-enable", "1",
        NULL
    };
    const char *const front[] = { "backend",     bpath,  "backend-id",     "0",
                                  "state",       "1",    "virtual-device", "51712",
                                  "device-type", "disk", "trusted",        "1",
                                  NULL };
    const struct tsn_device dev = { bpath, back, fpath, front };
    int e = tsn_write(w->toolstack, W_FRONT, &dev);
    if (e)
        w_trace(w, "toolstack: xenstore refused the nodes (%s)", xsc_errname(e));
    return -e;
}

/* ---- building and taking down --------------------------------------------- */

static int build(struct world *w)
{
    static const struct hvhost_ops hv_ops = { .notify = w_on_notify,
                                              .port_closed = on_port_closed,
                                              .trace = on_hv_trace };
    static const struct xsc_core_ops xs_ops = { .trace = on_xs_trace };
    const struct world_core_spec core = { .hv_ops = &hv_ops,
                                          .xs_ops = &xs_ops,
                                          .ctx = w,
                                          .guest = W_FRONT,
                                          .guest_frames = W_GUEST_FRAMES };
    int rc = world_core_build(&core, &w->hv, &w->xs, &w->toolstack);
    if (rc < 0)
        return rc;

    /* The disk: a memfd the backend opens by path, as it would a file. */
    w->disk_fd = memfd_create("splitbed-disk", MFD_CLOEXEC);
    if (w->disk_fd < 0)
        return -errno;
    if (ftruncate(w->disk_fd, (off_t)w->cfg.disk_sectors * 512) < 0)
        return -errno;
    snprintf(w->disk_path, sizeof(w->disk_path), "/proc/self/fd/%d", w->disk_fd);

    rc = toolstack(w);
    if (rc < 0)
        return rc;
    rc = w_backend_start(w);
    if (rc < 0)
        return rc;

    w->fxs = xsc_client_open(w->xs, W_FRONT);
    if (!w->fxs)
        return -ENOMEM;
    uint64_t frames;
    uint8_t *mem = hvhost_memory(w->hv, W_FRONT, &frames);
    struct os_world_host oh = {
        .hv = hvhost_hv(w->hv),
        .domid = W_FRONT,
        .mem = mem,
        .nr_frames = frames,
        .xs = w->fxs,
        .bug_readonly_data = w->opts.bug == WORLD_BUG_READONLY_GRANT,
    };
    static const struct os_world_ops fe_ops = {
        .now_ns = now_ns, .wait = w_wait, .tx_conflict = w_tx_conflict, .log = on_fe_log
    };
    w->os = os_world_new(&oh, &fe_ops, w);
    if (!w->os)
        return -ENOMEM;
    rc = wl_init(w);
    if (rc < 0)
        return rc;
    struct blkfront_opts fo;
    blkfront_default_opts(&fo);
    fo.max_ring_order = w->cfg.fe_order;
    fo.max_indirect = w->cfg.fe_indirect ? 32 : 0;
    fo.persistent = w->cfg.persistent;
    fo.skip_initialised = w->cfg.skip_initialised;
    fo.early_transport = w->cfg.early_transport;
    fo.explicit_order0 = w->cfg.explicit_order0;
    rc = blkfront_open(w->os, "xvda", &fo, &w->bf);
    if (rc < 0) {
        w->bf = NULL;
        w_fail(w, "frontend opens", "blkfront_open failed with error %d", -rc);
    }
    return 0;
}

static void teardown(struct world *w)
{
    w->sched.stop = true; /* os_wait returns at once from now on */
    if (w->bf)
        blkfront_close(w->bf);
    w->bf = NULL;
    if (w->be)
        bb_backend_free(w->be, true);
    w->be = NULL;
    bbenv_free(w->benv);
    w->benv = NULL;
    os_world_free(w->os);
    wl_free(w);
    xsc_client_close(w->fxs);
    world_core_free(w->hv, w->xs, w->toolstack);
    if (w->disk_fd >= 0)
        close(w->disk_fd);
    evq_free(&w->evq);
}

/* Invariants that hold after every step. */
void w_check_step(struct world *w)
{
    wl_observe(w);
    if (w->bf && blkfront_error(w->bf) < 0)
        w_fail(w, "no frontend error", "blkfront failed: %s", blkfront_diagnosis(w->bf));
    if (w->sched.step >= (w->opts.max_steps ? w->opts.max_steps : WORLD_DEFAULT_MAX_STEPS))
        w_fail(w, "progress", "the workload did not finish within %llu steps",
               (unsigned long long)w->sched.step);
}

static const char *const phases[] = { "writing", "flushing", "reading", "closing", "done" };

/* Nothing can run and the workload is not done: say where each end is. */
static void stalled(struct world *w)
{
    char fe[16] = "?", be[16] = "?";
    (void)xsc_client_read(w->toolstack, 0, "/local/domain/1/device/vbd/51712/state", fe, sizeof fe);
    (void)xsc_client_read(w->toolstack, 0, "/local/domain/0/backend/vbd/1/51712/state", be,
                          sizeof be);
    w_fail(w, "progress",
           "nothing can run while %s with %u request(s) outstanding: frontend state %s%s, backend "
           "state %s "
           "(a lost event?)",
           phases[w->wl.phase], w->wl.outstanding, fe,
           w->bf && blkfront_connected(w->bf) ? " (connected)" : " (not connected)", be);
}

static int run(struct world *w)
{
    w->disk_fd = -1;
    w->res->ok = true;
    choose_config(w);
    w_trace(w, "config: %s", w->res->config);
    int rc = build(w);
    if (rc < 0) {
        teardown(w);
        return rc;
    }
    while (!w->sched.stop && !wl_done(w)) {
        if (!w_step(w, false)) {
            stalled(w);
            break;
        }
    }
    if (!w->sched.stop) {
        /* Let the backend see the close through, then look at what is left. */
        while (!w->sched.stop && w_step(w, true))
            ;
        wl_final_checks(w);
    }
    w->res->steps = w->sched.step;
    w->res->crashes = w->crashes;
    w->res->conflicts = w->cfg.conflicts - w->conflicts_left;
    teardown(w);
    return 0;
}

static int finish(struct world *w, int rc, char **trace)
{
    if (trace)
        *trace = trace_log_take(&w->log);
    trace_log_free(&w->log);
    free(w);
    return rc;
}

/* A world with its options and result, before its choices are set. */
static struct world *world_new(const struct world_opts *opts, struct world_result *res)
{
    struct world *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    memset(res, 0, sizeof(*res));
    w->res = res;
    if (opts)
        w->opts = *opts;
    return w;
}

int world_run_seed(uint64_t seed, const struct world_opts *opts, struct world_result *res,
                   char **trace)
{
    struct world *w = world_new(opts, res);
    if (!w)
        return -ENOMEM;
    choice_from_seed(&w->ch, seed);
    return finish(w, run(w), trace);
}

int world_run_bytes(const uint8_t *data, size_t len, const struct world_opts *opts,
                    struct world_result *res, char **trace)
{
    struct world *w = world_new(opts, res);
    if (!w)
        return -ENOMEM;
    choice_from_bytes(&w->ch, data, len);
    return finish(w, run(w), trace);
}
