/*
 * world_verdict.h — how the interleaving targets end an input: a world
 * that could not be built, or a broken invariant, aborts with one line
 * naming the target, the step, the invariant and the knobs the input
 * chose (what `splitbed replay` then shows step by step).
 */
#ifndef SPLITBED_FUZZ_WORLD_VERDICT_H
#define SPLITBED_FUZZ_WORLD_VERDICT_H

#include <stdio.h>
#include <stdlib.h>

#include "backends-sim/world/world.h"

static inline void world_verdict(const char *target, int rc, const struct world_result *res)
{
    if (rc < 0) {
        fprintf(stderr, "%s: the world could not be built (error %d)\n", target, -rc);
        abort();
    }
    if (!res->ok) {
        fprintf(stderr, "%s: step %llu: invariant \"%s\" broken: %s\n  (%s)\n", target,
                (unsigned long long)res->step, res->invariant, res->detail, res->config);
        abort();
    }
}

#endif
