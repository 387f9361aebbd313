/*
 * networld_priv.h — the net world's insides, shared by networld.c (the
 * world and its scheduler) and net_workload.c (the frames and their
 * accounting) only.
 */
#ifndef SPLITBED_NETWORLD_PRIV_H
#define SPLITBED_NETWORLD_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "backends-sim/netback/nb_vif.h"
#include "backends-sim/world/choice.h"
#include "backends-sim/world/evq.h"
#include "backends-sim/world/home/os_world.h"
#include "backends-sim/world/hvhost.h"
#include "backends-sim/world/trace_log.h"
#include "backends-sim/world/nbenv.h"
#include "backends-sim/world/networld.h"
#include "backends-sim/world/world_sched.h"
#include "backends-sim/xenstored/xsc_client.h"
#include "backends-sim/xenstored/xsc_core.h"
#include "frontends/netfront.h"

#define NW_FRONT 1u
#define NW_GUEST_FRAMES 8192u /* four queues of 256 rx and 256 tx pages */
#define NW_MAX_FRAMES 24u     /* each way */
#define NW_FE "/local/domain/1/device/vif/0"
#define NW_BE "/local/domain/0/backend/vif/1/0"
#define NW_MAC "00:16:3e:00:00:01"

struct nw_config {
    unsigned be_queues, fe_queues;
    bool be_no_split, fe_no_split;
    bool be_no_sg, fe_no_sg, be_no_gso, fe_no_gso, fe_no_csum;
    unsigned ntx, nrx; /* frames each way */
    unsigned budget;   /* backend frames per tx turn */
    /* faults */
    unsigned copy_fails; /* grant copies that may fail */
    unsigned conflicts;  /* frontend commits that may fail */
    bool delays;
};

/* One frame of the workload, either way. */
struct nw_frame {
    uint32_t len;
    unsigned arrived; /* times it arrived, intact */
};

enum nw_phase { NW_RUN, NW_CLOSING, NW_DONE };

struct networld {
    struct choice ch;
    struct world_opts opts;
    struct nw_config cfg;
    struct world_result *res;

    struct hvhost *hv;
    struct xsc_core *xs;
    struct xsc_client *toolstack;

    struct nbenv *benv;
    struct nb_vif *vif;
    bool be_busy; /* the backend loop's turn is due */

    struct xsc_client *fxs;
    struct os *os;
    struct netfront *nf;
    bool fe_kick;

    struct evq evq; /* notifications in flight */

    struct world_sched sched; /* steps, time, the stop */
    unsigned conflicts_left, copy_fails_left;

    /* The workload: frames the guest sent (tx) and frames the backend's
     * wire gave it (rx), by sequence number. */
    enum nw_phase phase;
    struct nw_frame tx[NW_MAX_FRAMES], rx[NW_MAX_FRAMES];
    unsigned tx_sent, rx_given; /* accepted by netfront_send / nb_vif_rx */
    unsigned tx_tries, rx_tries;
    unsigned rx_refused;  /* -EMSGSIZE: larger than the guest takes */
    bool rx_held;         /* rx[rx_given] waits for guest buffers */
    bool tx_blocked;      /* netfront_send said EAGAIN: poll first */
    uint64_t be_dropped;  /* netback's tx errors and drops, summed */
    uint64_t fe_dropped;  /* netfront's rx errors and drops */
    unsigned frames_lost; /* the lost-frame bug's count */

    struct trace_log log;
};

/* networld.c */
void nw_trace(struct networld *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void nw_fail(struct networld *w, const char *invariant, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* net_workload.c */
#define NW_INV_FRAMES "every frame arrives once or counts as dropped"
bool nwl_ready(struct networld *w);
void nwl_step(struct networld *w);
/* The backend's wire: a new frame for the guest, or the held one again. */
bool nwl_wire_ready(const struct networld *w);
void nwl_wire(struct networld *w);
/* The guest takes every frame received. */
void nwl_receive(struct networld *w);
/* Called by netback with each frame the guest sent. */
void nwl_deliver(void *arg, struct nb_queue *q, const uint8_t *frame, size_t len,
                 const struct nb_meta *meta);
/* Counts up the drops; true once every frame is accounted for. */
bool nwl_accounted(struct networld *w);
/* Names the first frame neither arrived nor counted as dropped. */
void nwl_missing(struct networld *w);

#endif
