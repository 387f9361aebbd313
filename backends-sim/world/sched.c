/*
 * sched.c — the seeded scheduler: at each step, the list of actors that
 * have something to do, and one of them picked by the seed.
 *
 * The actors are the two ends' event sources (a watch event queued on a
 * xenstore connection, a notification in flight to a domain), the
 * backend's own loop (a turn serving requests after an event, as
 * splitbed-blkback's poll loop does), the frontend's poll, and the
 * workload.  Faults come from the same seed: the backend dies at a
 * planned step (and a restart becomes pending), commits fail with EAGAIN,
 * and with `delays` deliveries are now and then held back while other
 * actors run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/world_priv.h"

#include <xen/io/blkif.h>
#include <xen/io/ring.h>

enum action {
    A_FE_WATCH,
    A_BE_WATCH,
    A_FE_EVENT,
    A_BE_EVENT,
    A_BE_SERVE,
    A_FE_POLL,
    A_WORKLOAD,
    A_BE_RESTART,
    A_COUNT
};

/* ---- notifications in flight -------------------------------------------- */

void w_on_notify(void *ctx, domid_t d, evtchn_port_t port)
{
    struct world *w = ctx;
    evq_push(&w->evq, d, port);
}

/* ---- faults -------------------------------------------------------------- */

bool w_tx_conflict(void *ctx)
{
    struct world *w = ctx;
    if (!w->conflicts_left || !choice_chance(&w->ch, 1, 3))
        return false;
    w->conflicts_left--;
    w_trace(w, "fault: this commit fails with EAGAIN");
    return true;
}

int w_backend_start(struct world *w)
{
    struct bb_logger lg = { .line = w_bb_line, .ctx = w };
    static const struct bbenv_ops ops = { .tx_conflict = w_tx_conflict };
    w->benv = bbenv_new(w->hv, w->xs, 0, &w->params, &lg, &ops, w);
    if (!w->benv)
        return -ENOMEM;
    w->be = bb_backend_new(bbenv_env(w->benv), "/local/domain/0");
    if (!w->be)
        return -ENOMEM;
    int rc = bb_backend_watch(w->be, "blkback-vbd");
    if (rc < 0)
        return rc;
    w->be_busy = false;
    return 0;
}

/* The process dies: no Closed, no unmap of its own; the kernel releases
 * its mappings, ports and xenstore connection. */
void w_backend_crash(struct world *w)
{
    bbenv_kill(w->benv);
    bb_backend_free(w->be, false);
    bbenv_free(w->benv);
    w->be = NULL;
    w->benv = NULL;
    w->be_busy = false;
    w->crashes++;
    w->crashed_ever = true;
    /* What was in flight to it dies with it. */
    evq_drop(&w->evq, 0);
}

/* blkback may die in any state: its successor says Closing to whatever
 * the frontend still has (README.md, "What the scheduler found"). */
static bool crash_ok(struct world *w)
{
    return w->be != NULL;
}

/* ---- the deliberately broken backend ---------------------------------------- */

/* The frontend's ring, found as the backend finds it: ring-ref or
 * ring-ref0 in its directory, through the grant entry to the frame. */
static blkif_sring_t *front_ring(struct world *w, unsigned *pages)
{
    char buf[32];
    uint64_t order = 0, ref;
    const char *dir = "/local/domain/1/device/vbd/51712";
    char path[96];
    snprintf(path, sizeof path, "%s/ring-page-order", dir);
    if (xsc_client_read(w->toolstack, 0, path, buf, sizeof buf) == 0)
        order = strtoull(buf, NULL, 10);
    snprintf(path, sizeof path, "%s/%s", dir, order ? "ring-ref0" : "ring-ref");
    if (xsc_client_read(w->toolstack, 0, path, buf, sizeof buf) != 0) {
        snprintf(path, sizeof path, "%s/ring-ref0", dir);
        if (xsc_client_read(w->toolstack, 0, path, buf, sizeof buf) != 0)
            return NULL;
    }
    ref = strtoull(buf, NULL, 10);
    grant_entry_v1_t e;
    if (order > 4 || hv_gnt_read_entry(hvhost_hv(w->hv), W_FRONT, (grant_ref_t)ref, &e) < 0 ||
        !(e.flags & GTF_permit_access))
        return NULL;
    uint64_t frames;
    uint8_t *mem = hvhost_memory(w->hv, W_FRONT, &frames);
    if (e.frame + (1ull << order) > frames)
        return NULL;
    *pages = 1u << order;
    return (blkif_sring_t *)(mem + (uint64_t)e.frame * HV_PAGE_SIZE);
}

struct ring_mark {
    blkif_sring_t *s;
    unsigned pages;
    RING_IDX rsp_prod;
};

static void mark_ring(struct world *w, struct ring_mark *m)
{
    m->s = w->opts.bug == WORLD_BUG_DUP_RESPONSE ? front_ring(w, &m->pages) : NULL;
    m->rsp_prod = m->s ? m->s->rsp_prod : 0;
}

static void maybe_duplicate(struct world *w, const struct ring_mark *m)
{
    if (!m->s || !w->be)
        return;
    blkif_sring_t *s = m->s;
    RING_IDX prod = s->rsp_prod;
    if (prod - m->rsp_prod < 2 || s->req_prod != prod)
        return;
    unsigned size = __RING_SIZE(s, (size_t)HV_PAGE_SIZE * m->pages);
    blkif_response_t *last = &s->ring[(prod - 1) % size].rsp;
    s->ring[prod % size].rsp = *last;
    s->rsp_prod = prod + 1;
    w_trace(w, "bug: the backend answers request id %llu a second time",
            (unsigned long long)last->id);
    uint32_t port = bb_vbd_port(bb_backend_find(w->be, W_FRONT, W_DEVID));
    if (port)
        (void)hv_evtchn_send(hvhost_hv(w->hv), 0, port);
}

/* ---- one step ------------------------------------------------------------- */

static bool delivery(enum action a)
{
    return a == A_FE_WATCH || a == A_BE_WATCH || a == A_FE_EVENT || a == A_BE_EVENT;
}

static unsigned candidates(struct world *w, bool inner, enum action *out)
{
    unsigned n = 0;
    if (w->os && os_world_queued_watches(w->os))
        out[n++] = A_FE_WATCH;
    if (w->be && xsc_client_events(bbenv_xs(w->benv)))
        out[n++] = A_BE_WATCH;
    if (evq_has(&w->evq, W_FRONT))
        out[n++] = A_FE_EVENT;
    if (evq_has(&w->evq, 0))
        out[n++] = A_BE_EVENT;
    if (w->be && w->be_busy)
        out[n++] = A_BE_SERVE;
    if (!w->be && w->crashes)
        out[n++] = A_BE_RESTART;
    if (!inner && w->bf && (w->fe_kick || os_world_has_input(w->os)))
        out[n++] = A_FE_POLL;
    if (!inner && wl_ready(w))
        out[n++] = A_WORKLOAD;
    return n;
}

static void run_action(struct world *w, enum action a)
{
    char path[XENSTORE_ABS_PATH_MAX + 1], token[XENSTORE_ABS_PATH_MAX + 1];
    struct ring_mark mk;
    switch (a) {
    case A_FE_WATCH:
        if (os_world_deliver_watch(w->os, path, sizeof path))
            w_trace(w, "deliver watch to frontend: %s", path);
        break;
    case A_BE_WATCH:
        xsc_client_event(bbenv_xs(w->benv), path, sizeof path, token, sizeof token);
        w_trace(w, "deliver watch to backend: %s (%s)", path, token);
        mark_ring(w, &mk);
        bb_backend_rescan(w->be);
        maybe_duplicate(w, &mk);
        w->be_busy = true;
        break;
    case A_FE_EVENT: {
        struct evq_event ev = evq_take(&w->evq, W_FRONT);
        w_trace(w, "deliver event to frontend: port %u", ev.port);
        os_world_deliver_event(w->os, ev.port);
        break;
    }
    case A_BE_EVENT: {
        struct evq_event ev = evq_take(&w->evq, 0);
        w_trace(w, "deliver event to backend: port %u", ev.port);
        if (!w->be)
            break;
        (void)hv_evtchn_clear_pending(hvhost_hv(w->hv), 0, ev.port);
        mark_ring(w, &mk);
        bb_backend_event(w->be, ev.port);
        maybe_duplicate(w, &mk);
        w->be_busy = true;
        break;
    }
    case A_BE_SERVE:
        w_trace(w, "backend serves a turn");
        mark_ring(w, &mk);
        w->be_busy = bb_backend_serve_busy(w->be);
        maybe_duplicate(w, &mk);
        break;
    case A_BE_RESTART:
        w_trace(w, "fault: the backend is restarted");
        if (w_backend_start(w) < 0)
            w_fail(w, "backend restarts", "the backend could not be started again");
        break;
    case A_FE_POLL: {
        w_trace(w, "frontend polls");
        w->fe_kick = false;
        int r = blkfront_poll(w->bf);
        if (r > 0)
            w_trace(w, "frontend: %d completion(s)", r);
        break;
    }
    case A_WORKLOAD: wl_step(w); break;
    case A_COUNT: break;
    }
}

bool w_step(struct world *w, bool inner)
{
    if (w->sched.stop)
        return false;
    w->sched.step++;
    w->sched.now += WORLD_STEP_NS;
    for (unsigned i = 0; i < w->cfg.ncrashes; i++)
        if (!(w->crashes_done & (1u << i)) && w->sched.step >= w->cfg.crash_at[i] && crash_ok(w)) {
            w->crashes_done |= 1u << i;
            w_trace(w, "fault: the backend dies");
            w_backend_crash(w);
            w_check_step(w);
            return true;
        }
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
    w_check_step(w);
    return true;
}

static bool step_fn(void *ctx, bool inner)
{
    return w_step(ctx, inner);
}

/* The frontend's os_wait: everyone else runs until it has input. */
int w_wait(void *ctx, uint64_t deadline_ns)
{
    struct world *w = ctx;
    return world_sched_wait(&w->sched, w->os, step_fn, w, deadline_ns);
}
