/*
 * world_sched.h — what the block and the net world's schedulers keep the
 * same way: the step count and virtual time, the frontend's os_wait
 * (every other actor runs until the frontend has input), and the verdict
 * (the first broken invariant, which stops the run).
 */
#ifndef SPLITBED_WORLD_SCHED_H
#define SPLITBED_WORLD_SCHED_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include "backends-sim/world/world.h"

struct os;

#define WORLD_STEP_NS 1000000ull /* virtual time a step takes: 1 ms */

/* Zero-initialised is step 0 at time 0, running. */
struct world_sched {
    uint64_t now, step;
    unsigned waiting; /* nesting of os_wait */
    bool stop;        /* from now on os_wait returns at once */
};

/* Records invariant, and fmt's detail, in res as broken at this step and
 * stops the run.  Returns false and records nothing when res already
 * holds a break: the first one is the one to report. */
bool world_sched_fail(struct world_sched *s, struct world_result *res, const char *invariant,
                      const char *fmt, va_list ap);

/* Runs one step; false when nothing could run.  inner: called from the
 * frontend's os_wait, so the frontend itself may not run. */
typedef bool world_step_fn(void *ctx, bool inner);

/* The frontend's os_wait: step(ctx, true) runs until os has input (1),
 * the deadline passes (0; a deadline of 0 is none) or the run stops
 * (-OS_ESHUTDOWN).  At least one step runs (or time passes) on every
 * call, so a caller that leaves its input untaken does not spin in
 * place; when nothing can run, time jumps to the deadline. */
int world_sched_wait(struct world_sched *s, struct os *os, world_step_fn *step, void *ctx,
                     uint64_t deadline_ns);

#endif
