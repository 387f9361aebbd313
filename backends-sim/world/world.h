/*
 * world.h — one process holding a whole split block device: the
 * hypervisor core, xenstore, splitbed's blkback and the portable blkfront,
 * driven by a seeded scheduler, so that a failing interleaving replays
 * exactly from the bytes (or the seed) that produced it.
 *
 * A run: the toolstack's nodes for vbd 51712 of domain 1 (as
 * harness/toolstack.c writes them), blkback in dom0 over an in-memory disk,
 * blkfront in domain 1; a workload that writes a pattern, reads it back
 * and closes.  At every step the scheduler picks one pending actor:
 * deliver a watch event or an event-channel notification to either end,
 * let the backend serve a turn, let the frontend poll, let the workload
 * submit.  The seed also picks both ends' knobs (ring orders, persistent
 * grants, indirect segments, deviations) and faults: the backend dying
 * without a word and being restarted, transaction commits failing with
 * EAGAIN, deliveries held back.
 *
 * Invariants, checked as the run goes and at its end: every request
 * completes exactly once and successfully; data read equals data written
 * (and the disk holds it); the negotiated ring order is the smaller of the
 * two offers; no rule-break line from the hypervisor, xenstore or blkback
 * (a correct pair breaks none) and no frontend error; the workload makes
 * progress; after the close every grant is ended, every mapping and port
 * released and no frame leaked.
 */
#ifndef SPLITBED_WORLD_H
#define SPLITBED_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Deliberately broken variants, to prove the invariants catch bugs. */
enum world_bug {
    WORLD_BUG_NONE = 0,
    /* The backend answers a request twice when it posted two or more
     * responses in one turn and no request is waiting. */
    WORLD_BUG_DUP_RESPONSE,
    /* The frontend grants its data pages read-only. */
    WORLD_BUG_READONLY_GRANT,
    /* Net world (networld.h): the backend loses the guest's frame 1
     * without counting it as dropped. */
    WORLD_BUG_NET_LOST_FRAME,
};

struct world_opts {
    enum world_bug bug;
    bool trace;         /* keep the step trace */
    uint64_t max_steps; /* 0: WORLD_DEFAULT_MAX_STEPS */
};
#define WORLD_DEFAULT_MAX_STEPS 200000u

struct world_result {
    bool ok;
    uint64_t step;      /* where an invariant broke */
    char invariant[48]; /* its name */
    char detail[320];
    uint64_t steps;   /* steps run */
    char config[400]; /* the knobs and faults the seed chose */
    unsigned requests, crashes, conflicts, reconnects;
};

/* Runs one schedule.  Returns 0 when the run took place (res says whether
 * the invariants held), or -errno when the world could not be built.
 * With opts->trace, *trace receives the step trace (malloc'd, NUL-
 * terminated; free it) — trace may be NULL otherwise. */
int world_run_seed(uint64_t seed, const struct world_opts *opts, struct world_result *res,
                   char **trace);
int world_run_bytes(const uint8_t *data, size_t len, const struct world_opts *opts,
                    struct world_result *res, char **trace);

/* "none", "dup-response", "readonly-grant", "net-lost-frame"; -1 if
 * unknown. */
int world_bug_parse(const char *name);
const char *world_bug_name(enum world_bug bug);

#endif
