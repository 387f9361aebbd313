/*
 * world_sched.c — the verdict and the frontend's os_wait, for both
 * worlds (see world_sched.h).
 */
#include <stdio.h>

#include "backends-sim/world/home/os_world.h"
#include "backends-sim/world/world_sched.h"

bool world_sched_fail(struct world_sched *s, struct world_result *res, const char *invariant,
                      const char *fmt, va_list ap)
{
    if (!res->ok)
        return false;
    res->ok = false;
    res->step = s->step;
    snprintf(res->invariant, sizeof(res->invariant), "%s", invariant);
    vsnprintf(res->detail, sizeof(res->detail), fmt, ap);
    s->stop = true;
    return true;
}

int world_sched_wait(struct world_sched *s, struct os *os, world_step_fn *step, void *ctx,
                     uint64_t deadline_ns)
{
    int r = 0;
    bool first = true;
    s->waiting++;
    for (;;) {
        if (s->stop) {
            r = -OS_ESHUTDOWN;
            break;
        }
        if (!first && os_world_has_input(os)) {
            r = 1;
            break;
        }
        if (deadline_ns && s->now >= deadline_ns)
            break;
        first = false;
        if (!step(ctx, true)) {
            if (os_world_has_input(os)) {
                s->now += WORLD_STEP_NS;
                r = 1;
            } else if (deadline_ns > s->now) {
                s->now = deadline_ns; /* nothing will ever come */
            }
            break;
        }
    }
    s->waiting--;
    return r;
}
