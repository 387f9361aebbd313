/*
 * world_priv.h — the world's insides, shared by its own files only.
 */
#ifndef SPLITBED_WORLD_PRIV_H
#define SPLITBED_WORLD_PRIV_H

#include "backends-sim/world/home/os_world.h"
#include "frontends/blkfront.h"

#include "backends-sim/blkback/backend.h"
#include "backends-sim/blkback/params.h"
#include "backends-sim/world/bbenv.h"
#include "backends-sim/world/choice.h"
#include "backends-sim/world/evq.h"
#include "backends-sim/world/hvhost.h"
#include "backends-sim/world/trace_log.h"
#include "backends-sim/world/world.h"
#include "backends-sim/world/world_sched.h"
#include "backends-sim/xenstored/xsc_client.h"
#include "backends-sim/xenstored/xsc_core.h"

#define W_FRONT 1u     /* the guest's domid */
#define W_DEVID 51712u /* xvda */
#define W_GUEST_FRAMES 2048u
#define W_MAX_CRASHES 2u
#define W_MAX_DEPTH 8u /* workload requests in flight */
#define W_ZC_PAGES 3u  /* 16 sectors at any sector offset */

/* What the seed chose before the first step. */
struct world_config {
    int be_order;      /* backend's max-ring-page-order */
    unsigned fe_order; /* frontend's largest ring order */
    bool persistent, grant_copy, be_indirect, fe_indirect;
    bool features_at_probe, skip_initwait;
    bool skip_initialised, early_transport, explicit_order0;
    unsigned batch; /* backend requests per device per turn */
    unsigned depth; /* workload requests in flight */
    unsigned disk_sectors;
    bool flush;
    /* faults */
    unsigned ncrashes;
    uint64_t crash_at[W_MAX_CRASHES];
    unsigned conflicts; /* commits that may be failed */
    bool delays;        /* hold deliveries back at times */
};

/* One workload request. */
struct w_io {
    struct blkfront_io io; /* first: completions find us from it */
    struct world *w;
    unsigned done_count;
    int status;
    uint8_t *buf;       /* its data (or room for it) */
    bool zero_copy;     /* goes through a blkfront buffer ... */
    unsigned zc_offset; /* ... at this offset ... */
    int slot;           /* ... of this one while in flight, or -1 */
};

enum w_phase { WL_WRITE, WL_FLUSH, WL_READ, WL_CLOSE, WL_DONE };

struct workload {
    enum w_phase phase;
    uint8_t *model;   /* what the disk must hold */
    struct w_io *ios; /* writes, the flush, then reads */
    unsigned nios, nwrites, nreads;
    unsigned next; /* next to submit */
    unsigned outstanding;
    bool order_checked;
    bool zero_copy;           /* some requests use blkfront's own pages */
    uint8_t *zc[W_MAX_DEPTH]; /* blkfront_buffer_alloc regions */
    bool zc_busy[W_MAX_DEPTH];
};

struct world {
    struct choice ch;
    struct world_opts opts;
    struct world_config cfg;
    struct world_result *res;

    struct hvhost *hv;
    struct xsc_core *xs;
    struct xsc_client *toolstack;
    int disk_fd;
    char disk_path[64];

    struct bb_params params;
    struct bbenv *benv;
    struct bb_backend *be;
    bool be_busy; /* the backend loop's tail is due */
    unsigned crashes;
    unsigned crashes_done; /* bit i: crash_at[i] happened */
    bool crashed_ever;

    struct xsc_client *fxs;
    struct os *os;
    struct blkfront *bf;
    bool fe_kick; /* submitted since the last poll */

    struct evq evq; /* notifications in flight */

    struct world_sched sched; /* steps, time, the stop */
    unsigned conflicts_left;

    struct workload wl;

    struct trace_log log;
};

/* world.c */
void w_trace(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Records the first broken invariant and stops the run. */
void w_fail(struct world *w, const char *invariant, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void w_check_step(struct world *w);
/* blkback's logger: lines to the trace, a diagnosis breaks an invariant. */
void w_bb_line(void *ctx, bool diagnosis, const char *text);

/* sched.c */
/* Runs one step; returns false when nothing could run.  inner: called
 * from the frontend's os_wait, so the frontend itself may not run. */
bool w_step(struct world *w, bool inner);
int w_wait(void *ctx, uint64_t deadline_ns);
bool w_tx_conflict(void *ctx);
void w_on_notify(void *ctx, domid_t d, evtchn_port_t port);
int w_backend_start(struct world *w);
void w_backend_crash(struct world *w);

/* workload.c */
int wl_init(struct world *w);
void wl_free(struct world *w);
bool wl_ready(struct world *w);
void wl_step(struct world *w);
bool wl_done(const struct world *w);
/* Checks what can be checked once the frontend connected. */
void wl_observe(struct world *w);
void wl_final_checks(struct world *w);

#endif
