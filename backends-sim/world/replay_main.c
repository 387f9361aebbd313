/*
 * replay_main.c — splitbed-replay: runs one schedule of the seeded world
 * and says whether the invariants held.
 *
 *   splitbed-replay FILE | --seed N  [--net] [--trace] [--bug NAME] [--max-steps N]
 *
 * FILE holds the schedule's bytes, e.g. a crash file fuzz_interleave_blk
 * wrote; with --net the schedule is the net world's (networld.h), e.g. a
 * crash file of fuzz_interleave_net.  Exit status: 0 the invariants held, 1 one broke (one line names
 * it and the step), 2 bad usage or an unreadable input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/networld.h"
#include "backends-sim/world/world.h"

#define PROG "splitbed-replay"
#define MAX_INPUT (1u << 20)

static const char usage[] =
    "usage: " PROG " FILE | --seed N  [--net] [--trace] [--bug NAME] [--max-steps N]\n"
    "  FILE          the schedule's bytes (a fuzz_interleave_blk crash file)\n"
    "  --net         the net world: netfront and netback (a fuzz_interleave_net crash file)\n"
    "  --seed N      the schedule splitmix64 draws from seed N (decimal or 0x hex)\n"
    "  --trace       print every step\n"
    "  --bug NAME    run a deliberately broken variant: dup-response, readonly-grant;\n"
    "                with --net: net-lost-frame\n"
    "  --max-steps N give up after N steps (default 200000)\n";

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end)
        return -1;
    *out = v;
    return 0;
}

/* Reads FILE whole; NULL after a message. */
static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, PROG ": %s: %s\n", path, strerror(errno));
        return NULL;
    }
    uint8_t *buf = malloc(MAX_INPUT + 1);
    errno = 0;
    size_t n = buf ? fread(buf, 1, MAX_INPUT + 1, f) : 0;
    int err = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    if (!buf || err) {
        fprintf(stderr, PROG ": %s: %s\n", path, buf ? strerror(err) : "out of memory");
        free(buf);
        return NULL;
    }
    if (n > MAX_INPUT) {
        fprintf(stderr, PROG ": %s: longer than %u bytes; a schedule is much shorter\n", path,
                MAX_INPUT);
        free(buf);
        return NULL;
    }
    *len = n;
    return buf;
}

int main(int argc, char **argv)
{
    const char *file = NULL;
    uint64_t seed = 0;
    bool have_seed = false, net = false;
    struct world_opts opts = { .bug = WORLD_BUG_NONE };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--trace")) {
            opts.trace = true;
        } else if (!strcmp(a, "--net")) {
            net = true;
        } else if (!strcmp(a, "--seed") || !strcmp(a, "--bug") || !strcmp(a, "--max-steps")) {
            if (i + 1 == argc) {
                fprintf(stderr, PROG ": %s needs a value (try --help)\n", a);
                return 2;
            }
            const char *v = argv[++i];
            if (!strcmp(a, "--seed")) {
                if (parse_u64(v, &seed) < 0) {
                    fprintf(stderr, PROG ": --seed %s: not a 64-bit unsigned number\n", v);
                    return 2;
                }
                have_seed = true;
            } else if (!strcmp(a, "--bug")) {
                int b = world_bug_parse(v);
                if (b < 0) {
                    fprintf(stderr,
                            PROG ": --bug %s: unknown (none, dup-response, readonly-grant, "
                                 "net-lost-frame)\n",
                            v);
                    return 2;
                }
                opts.bug = (enum world_bug)b;
            } else if (parse_u64(v, &opts.max_steps) < 0 || opts.max_steps == 0) {
                fprintf(stderr, PROG ": --max-steps %s: not a positive number\n", v);
                return 2;
            }
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, PROG ": unknown option '%s' (try --help)\n", a);
            return 2;
        } else if (file) {
            fprintf(stderr, PROG ": more than one schedule file ('%s' and '%s')\n", file, a);
            return 2;
        } else {
            file = a;
        }
    }
    if (!file == !have_seed) {
        fprintf(stderr, PROG ": give either a schedule FILE or --seed N (try --help)\n");
        return 2;
    }
    if ((opts.bug == WORLD_BUG_NET_LOST_FRAME) != (net && opts.bug != WORLD_BUG_NONE)) {
        fprintf(stderr, PROG ": --bug %s: a bug of the %s world (try --help)\n",
                world_bug_name(opts.bug), net ? "block" : "net");
        return 2;
    }
    struct world_result res;
    char *trace = NULL;
    int rc;
    if (file) {
        size_t len = 0;
        uint8_t *data = slurp(file, &len);
        if (!data)
            return 2;
        rc = net ? networld_run_bytes(data, len, &opts, &res, opts.trace ? &trace : NULL)
                 : world_run_bytes(data, len, &opts, &res, opts.trace ? &trace : NULL);
        free(data);
    } else {
        rc = net ? networld_run_seed(seed, &opts, &res, opts.trace ? &trace : NULL)
                 : world_run_seed(seed, &opts, &res, opts.trace ? &trace : NULL);
    }
    if (rc < 0) {
        fprintf(stderr, PROG ": cannot build the world: %s\n", strerror(-rc));
        return 1;
    }
    if (trace)
        fputs(trace, stdout);
    free(trace);
    if (!res.ok) {
        fprintf(stderr, PROG ": step %llu: invariant \"%s\" broken: %s\n",
                (unsigned long long)res.step, res.invariant, res.detail);
        return 1;
    }
    if (net)
        printf("invariants held: %llu steps, %u frames, %u conflict(s); %s\n",
               (unsigned long long)res.steps, res.requests, res.conflicts, res.config);
    else
        printf("invariants held: %llu steps, %u requests, %u crash(es), %u conflict(s); %s\n",
               (unsigned long long)res.steps, res.requests, res.crashes, res.conflicts, res.config);
    return 0;
}
