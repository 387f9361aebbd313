/*
 * fuzz_interleave_net — the net world (backends-sim/world/networld.h):
 * netfront and netback in one process with the input bytes as their
 * schedule.  The first bytes pick both ends' knobs (queues, split
 * channels, scatter-gather, GSO, checksum offload), how many frames go
 * each way and the faults (grant copies that fail, commits that fail,
 * deliveries held back); each later byte picks which pending actor runs
 * next, and a frame's size when one is sent.  A short input continues
 * with a PRNG seeded from it.  An invariant break (a frame lost,
 * duplicated or damaged and not counted as dropped, a rule broken, an
 * end cut off, a stall, something left after the close) aborts with the
 * line naming it; the crash file replays with `splitbed replay --net
 * crash-…`.
 *
 * SPLITBED_FUZZ_BUG=net-lost-frame runs a broken variant (replay it with
 * --bug net-lost-frame).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/networld.h"
#include "tests/fuzz/world_verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct world_opts opts = { .max_steps = 20000 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *bug = getenv("SPLITBED_FUZZ_BUG");
    if (bug) {
        int b = world_bug_parse(bug);
        if (b != WORLD_BUG_NONE && b != WORLD_BUG_NET_LOST_FRAME) {
            fprintf(stderr, "fuzz_interleave_net: SPLITBED_FUZZ_BUG=%s: unknown (net-lost-frame)\n",
                    bug);
            exit(2);
        }
        opts.bug = (enum world_bug)b;
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Long inputs only slow the search: the schedule is read a byte a step. */
    if (size > 4096)
        return 0;
    struct world_result res;
    int rc = networld_run_bytes(data, size, &opts, &res, NULL);
    world_verdict("fuzz_interleave_net", rc, &res);
    return 0;
}
