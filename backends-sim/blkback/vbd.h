/*
 * vbd.h — the backend half of one virtual block device's xenbus life, as
 * Linux blkback lives it (drivers/block/xen-blkback/xenbus.c), with knobs
 * for the deviations other backends show.
 *
 * Probe: read the toolstack's nodes (frontend, frontend-id, params, mode,
 * discard-enable), open the image, publish what the knobs say belongs
 * before InitWait, switch to InitWait (unless skip-initwait, Mirage's
 * way) and watch the frontend's state.
 * Frontend Initialised or Connected: read ring-page-order / ring-ref%u /
 * legacy ring-ref / num-ring-pages, event-channel, protocol,
 * feature-persistent; map, bind, then in one transaction publish the
 * disk (sectors, info, sector-size, physical-sector-size) and features
 * and switch to Connected.  New ring details while Connected: reconnect.
 * Frontend Closing/Closed: disconnect and follow.  Frontend Initialising
 * while Closed: InitWait again (reconnect).  Resize: `sectors` and the
 * current state rewritten in one transaction.
 *
 * bb_vbd_step() is level-triggered: it reads the frontend's state and does
 * whatever is due, so any watch event can simply step every device.
 */
#ifndef SPLITBED_BLKBACK_VBD_H
#define SPLITBED_BLKBACK_VBD_H

#include <stdbool.h>
#include <stdint.h>

#include "backends-sim/blkback/log.h"
#include "backends-sim/blkback/mapper.h"
#include "backends-sim/blkback/params.h"
#include "backends-sim/blkback/store.h"

struct bb_env {
    struct bb_store *store;
    struct bb_evtchn *evtchn;
    struct bb_mapper *mapper;
    const struct bb_params *params;
    struct bb_logger log;
    /* The monotonic clock that spaces resize-on-io's looks at the image
     * (params: resize-check-ms); NULL looks before every batch. */
    uint64_t (*now_ns)(void);
    /* Sees every request served (ring.h); NULL: nothing recorded. */
    bb_record_fn *record;
    void *record_ctx;
    /* The caller polls the rings' memory (bb_backend_has_requests) and
     * arms them before it sleeps (bb_backend_arm): a drained ring is not
     * armed by serving (ring.h, bb_ring_serve_polled).  false: every
     * serve ends with the final check, as Linux's blkback does. */
    bool poll_rings;
};

struct bb_vbd;

/* backend_path is e.g. /local/domain/0/backend/vbd/1/51712.  NULL only
 * when out of memory; a device whose nodes are not usable yet is kept
 * and probed again at the next step. */
struct bb_vbd *bb_vbd_new(const struct bb_env *env, const char *backend_path, uint32_t frontid,
                          uint32_t devid);
void bb_vbd_step(struct bb_vbd *v);
/* Serves requests after an event (or while more are queued).  Returns 1
 * if requests remain after `budget`, 0 otherwise.  A frontend that broke
 * a rule is cut off here: the device goes to Closing with a diagnosis. */
int bb_vbd_serve(struct bb_vbd *v, unsigned budget);
/* Whether the connected ring holds requests not served yet (no side
 * effect), and its final check before sleeping (ring.h bb_ring_arm):
 * true when requests arrived.  Both false without a ring. */
bool bb_vbd_has_requests(const struct bb_vbd *v);
bool bb_vbd_arm(struct bb_vbd *v);
/* Re-reads the image size; if it changed while Connected, publishes the
 * new `sectors` and re-writes Connected in one transaction (Linux's
 * xen_vbd_resize).  Returns 1 if it published a new size. */
int bb_vbd_check_resize(struct bb_vbd *v);
/* Local event-channel port while connected, else 0. */
uint32_t bb_vbd_port(const struct bb_vbd *v);
/* Requests served since the device appeared, over every connection. */
uint64_t bb_vbd_served(const struct bb_vbd *v);
int bb_vbd_state(const struct bb_vbd *v);
bool bb_vbd_connected(const struct bb_vbd *v);
const char *bb_vbd_path(const struct bb_vbd *v);
/* Disconnects; with `closed`, also writes state Closed (clean shutdown). */
void bb_vbd_free(struct bb_vbd *v, bool closed);

#endif
