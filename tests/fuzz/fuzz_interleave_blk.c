/*
 * fuzz_interleave_blk — the seeded world (backends-sim/world/world.h) with the
 * input bytes as its schedule: the first bytes pick both ends' knobs and
 * the faults, each later byte picks which pending actor runs next (or
 * whether a commit fails), and a short input continues with a PRNG seeded
 * from it.  An invariant break aborts with the line naming it; the crash
 * file then replays with `splitbed replay crash-…` (or splitbed-replay).
 *
 * SPLITBED_FUZZ_BUG=dup-response|readonly-grant runs a broken variant
 * (replay it with --bug NAME).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/world.h"
#include "tests/fuzz/world_verdict.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

static struct world_opts opts = { .max_steps = 20000 };

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *bug = getenv("SPLITBED_FUZZ_BUG");
    if (bug) {
        int b = world_bug_parse(bug);
        if (b < 0) {
            fprintf(stderr,
                    "fuzz_interleave_blk: SPLITBED_FUZZ_BUG=%s: unknown (dup-response, "
                    "readonly-grant)\n",
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
    int rc = world_run_bytes(data, size, &opts, &res, NULL);
    world_verdict("fuzz_interleave_blk", rc, &res);
    return 0;
}
