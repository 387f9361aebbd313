/*
 * networld.c — the net world: building it from a seed, its scheduler,
 * its checks (see networld.h).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/networld_priv.h"
#include "backends-sim/world/toolstack_nodes.h"
#include "backends-sim/world/trace_log.h"
#include "backends-sim/world/world_core.h"

/* ---- the trace and the verdict ------------------------------------------- */

void nw_trace(struct networld *w, const char *fmt, ...)
{
    if (!w->opts.trace)
        return;
    char line[640];
    va_list ap;
    va_start(ap, fmt);
    size_t len = trace_log_format(line, sizeof(line), w->sched.step, w->sched.waiting, fmt, ap);
    va_end(ap);
    trace_log_add(&w->log, line, len);
}

void nw_fail(struct networld *w, const char *invariant, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    bool first = world_sched_fail(&w->sched, w->res, invariant, fmt, ap);
    va_end(ap);
    if (first)
        nw_trace(w, "INVARIANT BROKEN: %s: %s", invariant, w->res->detail);
}

/* ---- what the parts report ---------------------------------------------- */

static void on_hv_trace(void *ctx, domid_t d, const char *line)
{
    nw_trace(ctx, "hv: %s", line);
    nw_fail(ctx, "no hypervisor rule broken", "%s", line);
}

static void on_port_closed(void *ctx, domid_t d, evtchn_port_t port)
{
    nw_trace(ctx, "hv: d%u port %u: peer closed its end", d, port);
}

static void on_notify(void *ctx, domid_t d, evtchn_port_t port)
{
    struct networld *w = ctx;
    evq_push(&w->evq, d, port);
}

static void on_xs_trace(void *ctx, const char *line)
{
    nw_trace(ctx, "xenstore: %s", line);
    nw_fail(ctx, "no xenstore rule broken", "%s", line);
}

static void on_be_log(void *ctx, const char *line)
{
    nw_trace(ctx, "netback: %s", line);
}

static void on_fe_log(void *ctx, enum os_log_level level, const char *line)
{
    nw_trace(ctx, "%s", line);
}

static uint64_t now_ns(void *ctx)
{
    return ((struct networld *)ctx)->sched.now;
}

static bool fe_conflict(void *ctx)
{
    struct networld *w = ctx;
    if (!w->conflicts_left || !choice_chance(&w->ch, 1, 3))
        return false;
    w->conflicts_left--;
    nw_trace(w, "fault: this commit fails with EAGAIN");
    return true;
}

static bool copy_fails(void *ctx)
{
    struct networld *w = ctx;
    if (!w->copy_fails_left || !choice_chance(&w->ch, 1, 8))
        return false;
    w->copy_fails_left--;
    nw_trace(w, "fault: this grant copy fails");
    return true;
}

/* ---- configuration from the seed ----------------------------------------- */

static void choose_config(struct networld *w)
{
    struct nw_config *c = &w->cfg;
    struct choice *ch = &w->ch;
    c->be_queues = 1 + choice_pick(ch, 4);
    c->fe_queues = 1 + choice_pick(ch, 4);
    c->be_no_split = choice_chance(ch, 1, 3);
    c->fe_no_split = choice_chance(ch, 1, 3);
    c->be_no_sg = choice_chance(ch, 1, 4);
    c->fe_no_sg = choice_chance(ch, 1, 4);
    c->be_no_gso = choice_chance(ch, 1, 3);
    c->fe_no_gso = choice_chance(ch, 1, 3);
    c->fe_no_csum = choice_chance(ch, 1, 4);
    c->ntx = choice_pick(ch, NW_MAX_FRAMES + 1);
    c->nrx = choice_pick(ch, NW_MAX_FRAMES + 1);
    c->budget = 1 + choice_pick(ch, 8);
    bool faults = choice_chance(ch, 1, 2);
    c->copy_fails = faults ? choice_pick(ch, 4) : 0;
    c->conflicts = faults ? choice_pick(ch, 4) : 0;
    c->delays = faults && choice_chance(ch, 1, 2);
    snprintf(w->res->config, sizeof(w->res->config),
             "backend %u queue(s)%s%s%s budget %u; frontend %u queue(s)%s%s%s%s; %u frame(s) out, "
             "%u in%s; faults: up to %u failed copies, up to %u conflict(s)%s",
             c->be_queues, c->be_no_split ? " no-split" : "", c->be_no_sg ? " no-sg" : "",
             c->be_no_gso ? " no-gso" : "", c->budget, c->fe_queues,
             c->fe_no_split ? " no-split" : "", c->fe_no_sg ? " no-sg" : "",
             c->fe_no_gso ? " no-gso" : "", c->fe_no_csum ? " no-csum-offload" : "", c->ntx, c->nrx,
             w->opts.bug ? " (with a bug)" : "", c->copy_fails, c->conflicts,
             c->delays ? ", delays" : "");
    w->conflicts_left = c->conflicts;
    w->copy_fails_left = c->copy_fails;
}

/* ---- the toolstack's nodes ------------------------------------------------ */

/* vif 0 of domain 1, as libxl writes it. */
static int toolstack(struct networld *w)
{
    static const char *const back[] = { "frontend", NW_FE,   "frontend-id", "1",   "online",
                                        "1",        "state", "1",           "mac", NW_MAC,
                                        "handle",   "0",     "type",        "vif", NULL };
    static const char *const front[] = { "backend", NW_BE, "backend-id", "0",    "state", "1",
                                         "handle",  "0",   "mac",        NW_MAC, NULL };
    static const struct tsn_device dev = { NW_BE, back, NW_FE, front };
    int e = tsn_write(w->toolstack, NW_FRONT, &dev);
    if (e)
        nw_trace(w, "toolstack: xenstore refused the nodes (%s)", xsc_errname(e));
    return -e;
}

/* ---- building and taking down --------------------------------------------- */

static int nw_wait(void *ctx, uint64_t deadline_ns);

static int build(struct networld *w)
{
    static const struct hvhost_ops hv_ops = { .notify = on_notify,
                                              .port_closed = on_port_closed,
                                              .trace = on_hv_trace };
    static const struct xsc_core_ops xs_ops = { .trace = on_xs_trace };
    const struct world_core_spec core = { .hv_ops = &hv_ops,
                                          .xs_ops = &xs_ops,
                                          .ctx = w,
                                          .guest = NW_FRONT,
                                          .guest_frames = NW_GUEST_FRAMES };
    int rc = world_core_build(&core, &w->hv, &w->xs, &w->toolstack);
    if (rc == 0)
        rc = toolstack(w);
    if (rc < 0)
        return rc;

    w->benv = nbenv_new(w->hv, w->xs, 0, copy_fails, w);
    if (!w->benv)
        return -ENOMEM;
    struct nb_vif_opts bo = {
        .max_queues = w->cfg.be_queues,
        .no_split = w->cfg.be_no_split,
        .no_sg = w->cfg.be_no_sg,
        .no_gso = w->cfg.be_no_gso,
        .log = on_be_log,
        .log_arg = w,
    };
    rc = nb_vif_new(nbenv_env(w->benv), NW_BE, &bo, &w->vif);
    if (rc < 0) {
        w->vif = NULL;
        nw_fail(w, "the backend starts", "nb_vif_new failed with %d", rc);
        return 0;
    }

    w->fxs = xsc_client_open(w->xs, NW_FRONT);
    if (!w->fxs)
        return -ENOMEM;
    uint64_t frames;
    uint8_t *mem = hvhost_memory(w->hv, NW_FRONT, &frames);
    struct os_world_host oh = {
        .hv = hvhost_hv(w->hv), .domid = NW_FRONT, .mem = mem, .nr_frames = frames, .xs = w->fxs
    };
    static const struct os_world_ops fe_ops = {
        .now_ns = now_ns, .wait = nw_wait, .tx_conflict = fe_conflict, .log = on_fe_log
    };
    w->os = os_world_new(&oh, &fe_ops, w);
    if (!w->os)
        return -ENOMEM;
    struct netfront_opts fo = {
        .max_queues = w->cfg.fe_queues,
        .no_split_evtchn = w->cfg.fe_no_split,
        .no_sg = w->cfg.fe_no_sg,
        .no_gso = w->cfg.fe_no_gso,
        .no_csum_offload = w->cfg.fe_no_csum,
    };
    rc = netfront_open(w->os, "device/vif/0", &fo, &w->nf);
    if (rc < 0) {
        w->nf = NULL;
        nw_fail(w, "the frontend opens", "netfront_open failed with %d", rc);
    }
    return 0;
}

static void teardown(struct networld *w)
{
    w->sched.stop = true;
    netfront_free(w->nf);
    w->nf = NULL;
    nb_vif_free(w->vif);
    w->vif = NULL;
    nbenv_free(w->benv);
    w->benv = NULL;
    os_world_free(w->os);
    xsc_client_close(w->fxs);
    world_core_free(w->hv, w->xs, w->toolstack);
    evq_free(&w->evq);
}

/* ---- the scheduler -------------------------------------------------------- */

enum action {
    A_FE_WATCH,
    A_BE_WATCH,
    A_FE_EVENT,
    A_BE_EVENT,
    A_BE_SERVE,
    A_BE_WIRE,
    A_FE_POLL,
    A_WORKLOAD,
    A_COUNT
};

static bool delivery(enum action a)
{
    return a == A_FE_WATCH || a == A_BE_WATCH || a == A_FE_EVENT || a == A_BE_EVENT;
}

static unsigned candidates(struct networld *w, bool inner, enum action *out)
{
    unsigned n = 0;
    if (w->os && os_world_queued_watches(w->os))
        out[n++] = A_FE_WATCH;
    if (w->benv && xsc_client_events(nbenv_xs(w->benv)))
        out[n++] = A_BE_WATCH;
    if (evq_has(&w->evq, NW_FRONT))
        out[n++] = A_FE_EVENT;
    if (evq_has(&w->evq, 0))
        out[n++] = A_BE_EVENT;
    if (w->vif && w->be_busy)
        out[n++] = A_BE_SERVE;
    if (nwl_wire_ready(w))
        out[n++] = A_BE_WIRE;
    if (!inner && w->nf && (w->fe_kick || os_world_has_input(w->os)))
        out[n++] = A_FE_POLL;
    if (!inner && nwl_ready(w))
        out[n++] = A_WORKLOAD;
    return n;
}

static void backend_turn(struct networld *w)
{
    int r = nb_vif_tx(w->vif, w->cfg.budget, nwl_deliver, w);
    nw_trace(w, "backend serves a turn: %d frame(s)", r);
    if (r < 0 || nb_vif_error(w->vif)) {
        nw_fail(w, "the backend never cuts off an honest frontend", "%s",
                nb_vif_error(w->vif) ? nb_vif_error(w->vif) : "a queue broke");
        return;
    }
    /* A frame held for want of guest buffers is tried again, as
     * splitbed-netback's loop does on every pass. */
    if (w->rx_held)
        nwl_wire(w);
    /* Another turn while it finds frames: each queue takes `budget` a
     * turn, and more may be waiting. */
    w->be_busy = r > 0;
}

static void run_action(struct networld *w, enum action a)
{
    char path[XENSTORE_ABS_PATH_MAX + 1], token[XENSTORE_ABS_PATH_MAX + 1];
    switch (a) {
    case A_FE_WATCH:
        if (os_world_deliver_watch(w->os, path, sizeof path))
            nw_trace(w, "deliver watch to frontend: %s", path);
        break;
    case A_BE_WATCH:
        xsc_client_event(nbenv_xs(w->benv), path, sizeof path, token, sizeof token);
        nw_trace(w, "deliver watch to backend: %s (%s)", path, token);
        if (w->vif && !strcmp(token, nb_vif_token(w->vif)))
            nb_vif_changed(w->vif);
        w->be_busy = true;
        break;
    case A_FE_EVENT: {
        struct evq_event ev = evq_take(&w->evq, NW_FRONT);
        nw_trace(w, "deliver event to frontend: port %u", ev.port);
        os_world_deliver_event(w->os, ev.port);
        break;
    }
    case A_BE_EVENT: {
        struct evq_event ev = evq_take(&w->evq, 0);
        nw_trace(w, "deliver event to backend: port %u", ev.port);
        (void)hv_evtchn_clear_pending(hvhost_hv(w->hv), 0, ev.port);
        w->be_busy = true;
        break;
    }
    case A_BE_SERVE: backend_turn(w); break;
    case A_BE_WIRE: nwl_wire(w); break;
    case A_FE_POLL: {
        nw_trace(w, "frontend polls");
        w->fe_kick = false;
        w->tx_blocked = false;
        int r = netfront_poll(w->nf);
        if (r < 0 || netfront_state(w->nf) == NETFRONT_BROKEN) {
            nw_fail(w, "no frontend error", "netfront broke (%d)", r);
            break;
        }
        nwl_receive(w);
        break;
    }
    case A_WORKLOAD: nwl_step(w); break;
    case A_COUNT: break;
    }
}

static void check_step(struct networld *w)
{
    if (w->vif && nb_vif_error(w->vif))
        nw_fail(w, "the backend never cuts off an honest frontend", "%s", nb_vif_error(w->vif));
    if (w->sched.step >= (w->opts.max_steps ? w->opts.max_steps : WORLD_DEFAULT_MAX_STEPS))
        nw_fail(w, "progress", "the workload did not finish within %llu steps",
                (unsigned long long)w->sched.step);
}

static bool nw_step(struct networld *w, bool inner)
{
    if (w->sched.stop)
        return false;
    w->sched.step++;
    w->sched.now += WORLD_STEP_NS;
    enum action c[A_COUNT];
    unsigned n = candidates(w, inner, c);
    if (n == 0) {
        w->sched.step--;
        w->sched.now -= WORLD_STEP_NS;
        return false;
    }
    bool held[A_COUNT];
    for (unsigned i = 0; i < n; i++)
        held[i] = delivery(c[i]);
    run_action(w, c[choice_pick_holding(&w->ch, w->cfg.delays, held, n)]);
    check_step(w);
    return true;
}

static bool step_fn(void *ctx, bool inner)
{
    return nw_step(ctx, inner);
}

/* The frontend's os_wait: everyone else runs until it has input. */
static int nw_wait(void *ctx, uint64_t deadline_ns)
{
    struct networld *w = ctx;
    return world_sched_wait(&w->sched, w->os, step_fn, w, deadline_ns);
}

/* ---- a run ---------------------------------------------------------------- */

static void stalled(struct networld *w)
{
    char fe[16] = "?", be[16] = "?";
    (void)xsc_client_read(w->toolstack, 0, NW_FE "/state", fe, sizeof fe);
    (void)xsc_client_read(w->toolstack, 0, NW_BE "/state", be, sizeof be);
    if (w->phase == NW_RUN && w->tx_sent == w->cfg.ntx && w->rx_given == w->cfg.nrx &&
        !w->rx_held && w->nf && netfront_state(w->nf) == NETFRONT_CONNECTED) {
        nwl_missing(w);
        if (!w->res->ok)
            return;
    }
    nw_fail(w, "progress",
            "nothing can run with %u of %u frame(s) sent out and %u of %u in%s: frontend state "
            "%s (%s), backend state %s (a lost event?)",
            w->tx_sent, w->cfg.ntx, w->rx_given, w->cfg.nrx, w->rx_held ? " (one held)" : "", fe,
            w->nf ? netfront_state_name(netfront_state(w->nf)) : "none", be);
}

static bool closed(struct networld *w)
{
    return w->nf && netfront_state(w->nf) == NETFRONT_CLOSED && w->vif && nb_vif_done(w->vif);
}

static void final_checks(struct networld *w)
{
    char st[16];
    static const char *const nodes[] = { NW_FE "/state", NW_BE "/state" };
    for (int i = 0; i < 2; i++)
        if (xsc_client_read(w->toolstack, 0, nodes[i], st, sizeof st) || strcmp(st, "6"))
            nw_fail(w, "both ends close", "%s is %s after the close, not 6 (Closed)", nodes[i], st);
    /* What netfront still grants ends when it is freed, as a driver
     * unloading; then nothing of either end may be left. */
    netfront_free(w->nf);
    w->nf = NULL;
    struct hv_counts fe, be;
    hv_domain_counts(hvhost_hv(w->hv), NW_FRONT, &fe);
    hv_domain_counts(hvhost_hv(w->hv), 0, &be);
    if (fe.grants || fe.mappings || fe.ports || be.mappings || be.ports)
        nw_fail(
            w, "nothing left after the close",
            "d1 holds %u grant(s), %u mapping(s), %u port(s); d0 holds %u mapping(s), %u port(s)",
            fe.grants, fe.mappings, fe.ports, be.mappings, be.ports);
    if (nbenv_mapped(w->benv))
        nw_fail(w, "nothing left after the close", "the backend still maps %u page(s)",
                nbenv_mapped(w->benv));
    if (os_world_held_frames(w->os))
        nw_fail(w, "nothing left after the close",
                "%u frame(s) the frontend unshared are still mapped by the backend",
                os_world_held_frames(w->os));
}

static int run(struct networld *w)
{
    w->res->ok = true;
    choose_config(w);
    nw_trace(w, "config: %s", w->res->config);
    int rc = build(w);
    if (rc < 0) {
        teardown(w);
        return rc;
    }
    while (!w->sched.stop && w->phase != NW_DONE) {
        if (w->phase == NW_RUN && nwl_accounted(w)) {
            nw_trace(w, "every frame accounted for: %llu dropped by the backend, %llu by the guest",
                     (unsigned long long)w->be_dropped, (unsigned long long)w->fe_dropped);
            w->phase = NW_CLOSING;
            int r = netfront_close(w->nf);
            nw_trace(w, "guest closes the device: %d", r);
            w->fe_kick = true;
        }
        if (w->phase == NW_CLOSING && closed(w)) {
            w->phase = NW_DONE;
            break;
        }
        if (!w->sched.stop && !nw_step(w, false)) {
            stalled(w);
            break;
        }
    }
    if (!w->sched.stop) {
        while (!w->sched.stop && nw_step(w, true))
            ;
        if (!w->sched.stop)
            final_checks(w);
    }
    w->res->steps = w->sched.step;
    w->res->requests = w->tx_sent + w->rx_given;
    w->res->conflicts = w->cfg.conflicts - w->conflicts_left;
    teardown(w);
    return 0;
}

static struct networld *networld_new(const struct world_opts *opts, struct world_result *res)
{
    struct networld *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    w->opts = opts ? *opts : (struct world_opts){ 0 };
    w->res = res;
    memset(res, 0, sizeof(*res));
    return w;
}

static int finish(struct networld *w, int rc, char **trace)
{
    if (trace)
        *trace = trace_log_take(&w->log);
    trace_log_free(&w->log);
    free(w);
    return rc;
}

int networld_run_seed(uint64_t seed, const struct world_opts *opts, struct world_result *res,
                      char **trace)
{
    struct networld *w = networld_new(opts, res);
    if (!w)
        return -ENOMEM;
    choice_from_seed(&w->ch, seed);
    return finish(w, run(w), trace);
}

int networld_run_bytes(const uint8_t *data, size_t len, const struct world_opts *opts,
                       struct world_result *res, char **trace)
{
    struct networld *w = networld_new(opts, res);
    if (!w)
        return -ENOMEM;
    choice_from_bytes(&w->ch, data, len);
    return finish(w, run(w), trace);
}
