/*
 * networld.h — the seeded world for the net path: the hypervisor core,
 * xenstore, splitbed's netback (its xenbus side and ring core over
 * nbenv.h) in dom0 and the portable netfront in domain 1 (over the
 * world's home of os.h), in one process, driven by the same kind of
 * seeded scheduler as the block world (world.h).
 *
 * A run: the toolstack's nodes for vif 0 of domain 1; both ends' knobs
 * from the seed (queues offered and asked, split event channels,
 * scatter-gather, GSO, checksum offload); a workload that sends frames
 * of chosen sizes both ways (the guest through netfront_send, the
 * backend's wire through nb_vif_rx), the guest receiving and the backend
 * delivering as the schedule says, then closes.  At every step the
 * scheduler picks one pending actor: deliver a watch event or a
 * notification to either end, give the backend a turn (its tx ring, then
 * a frame held for want of guest buffers), give the backend's wire a
 * frame, let the frontend poll and take what it received, let the
 * workload send.  Faults from the same bytes: grant copies that fail,
 * commits of the frontend's transactions that fail with EAGAIN,
 * deliveries held back.
 *
 * Invariants: every frame sent arrives once and intact, or is counted as
 * dropped for a stated reason (the backend's tx errors and drops, the
 * frontend's rx errors and drops: a grant copy that failed); no rule
 * broken by the hypervisor's or xenstore's account; the backend never
 * cuts the frontend off and the frontend never breaks; progress; both
 * ends close; nothing is left granted, mapped or bound after the close.
 */
#ifndef SPLITBED_NETWORLD_H
#define SPLITBED_NETWORLD_H

#include <stddef.h>
#include <stdint.h>

#include "backends-sim/world/world.h"

int networld_run_seed(uint64_t seed, const struct world_opts *opts, struct world_result *res,
                      char **trace);
int networld_run_bytes(const uint8_t *data, size_t len, const struct world_opts *opts,
                       struct world_result *res, char **trace);

#endif
