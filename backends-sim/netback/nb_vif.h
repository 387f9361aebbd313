/*
 * nb_vif.h — one vif seen from the backend: the xenbus state machine
 * Linux netback runs, over nb_env, and its queues.
 *
 * Created for a backend directory the toolstack wrote
 * (/local/domain/0/backend/vif/<frontid>/<handle>), it publishes the
 * backend features and InitWait, follows the frontend's state (the owner
 * calls nb_vif_changed() whenever the watch with token nb_vif_token()
 * fires), maps the rings and binds the event channels when the frontend
 * is Initialised or Connected, and disconnects on Closing/Closed.
 * Frontend keys it cannot accept (no request-rx-copy, no
 * feature-rx-notify, bad refs, too many queues) end the vif with one line
 * and an `error` node, as xenbus_dev_fatal does.
 */
#ifndef SPLITBED_NB_VIF_H
#define SPLITBED_NB_VIF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/netback/nb_env.h"
#include "backends-sim/netback/nb_queue.h"

#define NB_MAX_QUEUES 8u

struct nb_vif;

struct nb_vif_opts {
    unsigned max_queues;                      /* multi-queue-max-queues to offer (0 = 1) */
    bool no_split;                            /* do not offer feature-split-event-channels */
    bool no_sg, no_gso;                       /* do not offer feature-sg / feature-gso-* */
    bool pass_csum_blank;                     /* see nb_queue.pass_csum_blank */
    void (*log)(void *arg, const char *line); /* diagnostics; NULL = stderr */
    void *log_arg;
    nb_record_fn *record; /* given to each queue (nb_queue.h); NULL: none */
    void *record_ctx;
};

/* Reads and checks the backend directory, publishes features, InitWait.
 * 0 and *out, or negative after one log line. */
int nb_vif_new(const struct nb_env *env, const char *be_path, const struct nb_vif_opts *opts,
               struct nb_vif **out);
void nb_vif_free(struct nb_vif *v);

const char *nb_vif_token(const struct nb_vif *v); /* watch token */
const char *nb_vif_path(const struct nb_vif *v);
domid_t nb_vif_frontend_id(const struct nb_vif *v);
void nb_vif_mac(const struct nb_vif *v, uint8_t mac[6]); /* the guest's */

/* Follows the frontend after its state node changed.  Returns 1 if our
 * state changed, 0 if not. */
int nb_vif_changed(struct nb_vif *v);

bool nb_vif_connected(const struct nb_vif *v);
/* True once both ends are Closed, or the directory is gone. */
bool nb_vif_done(const struct nb_vif *v);
/* The backend's reason to cut the frontend off, or NULL. */
const char *nb_vif_error(const struct nb_vif *v);

/* Our side wants to end (end of input): Closing now; Closed once the
 * frontend closes. */
void nb_vif_close(struct nb_vif *v);

bool nb_vif_has_port(const struct nb_vif *v, evtchn_port_t port);

/* Serves every queue's tx ring (budget frames each).  Frames consumed, or
 * negative when a queue broke (the vif then disconnects and Closes). */
int nb_vif_tx(struct nb_vif *v, unsigned budget, nb_deliver_fn deliver, void *arg);
/* Gives one frame to the guest: as nb_queue_rx. */
int nb_vif_rx(struct nb_vif *v, const uint8_t *frame, size_t len, const struct nb_meta *meta);
/* The same in a batch, as nb_queue_rx_add: the frame's bytes stay put
 * until nb_vif_rx_flush(), which copies, answers and notifies them all. */
int nb_vif_rx_add(struct nb_vif *v, const uint8_t *frame, size_t len, const struct nb_meta *meta);
void nb_vif_rx_flush(struct nb_vif *v);

unsigned nb_vif_num_queues(const struct nb_vif *v);
struct nb_queue *nb_vif_queue(struct nb_vif *v, unsigned i);

#endif
