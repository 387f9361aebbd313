/*
 * splitbed fault [--dir DIR] [--seed N] DOM SPEC — a fault on a running
 * simulator, for a domain whose devices are served already (by `run` or
 * `block-attach`/`network-attach`).  Backend faults become fault-* knobs
 * written to the splitbed-fault node of each of the domain's vbds (or
 * vifs, for netback's), which their backend applies from then on; domain
 * faults are Debian's xl as dom0.
 */
#include "cli.h"
#include "fault_spec.h"
#include "toolstack.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char fault_usage[] =
    "usage: splitbed fault [--dir DIR] [--seed N] DOM SPEC\n"
    "A fault on a running simulator, for domain DOM:\n"
    "  backend-crash:after=N     its disks' blkback dies after N more requests\n"
    "                            (`splitbed run --fault` restarts it; nothing else does)\n"
    "  backend-slow:delay-ms=N   its disks' blkback sleeps N ms per request (0: no more)\n"
    "  grant-fail:rate=P         that share (0..1) of its disks' grant maps and copies fail\n"
    "  domain-pause[:for-ms=M]   xl pause DOM, and xl unpause M ms later (default 1000)\n"
    "  domain-destroy            xl destroy DOM\n"
    "  xs-conflict:rate=P        that share (0..1) of its xenstore transaction commits\n"
    "                            fail with EAGAIN (0: no more)\n"
    "  netback-crash:after=N     its vifs' netback dies after N more frames\n"
    "                            (`splitbed run --fault` restarts it; nothing else does)\n"
    "  netback-slow:delay-ms=N   its vifs' netback sleeps N ms per frame (0: no more)\n"
    "  netback-grant-fail:rate=P that share (0..1) of its vifs' grant copies fail\n"
    "  --dir DIR     the simulator's state dir (default: see splitbed --help)\n"
    "  --seed N      the draws of grant-fail, netback-grant-fail and xs-conflict\n"
    "                (printed when not given)\n"
    "  -h, --help    this text\n"
    "Exit status: 0 done, 1 failed (one line says why), 2 bad usage.\n";

static int domain_fault(const char *dir, unsigned domid, const char *spec)
{
    if (!strcmp(spec, "domain-destroy"))
        return cli_xl(dir, "destroy", domid, false) == 0 ? EXIT_OK : EXIT_FAIL;
    unsigned long ms = 1000;
    if (strcmp(spec, "domain-pause")) {
        const char *v = spec + strlen("domain-pause:for-ms=");
        char *end;
        errno = 0;
        ms = strncmp(spec, "domain-pause:for-ms=", 20) ? 0 : strtoul(v, &end, 10);
        if (strncmp(spec, "domain-pause:for-ms=", 20) || !*v || *end || errno || ms > 600000) {
            fprintf(stderr, "splitbed fault: %s: expected domain-pause[:for-ms=0..600000]\n", spec);
            return EXIT_USAGE;
        }
    }
    if (cli_xl(dir, "pause", domid, false) != 0) {
        fprintf(stderr, "splitbed fault: xl pause %u failed\n", domid);
        return EXIT_FAIL;
    }
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
    if (cli_xl(dir, "unpause", domid, false) != 0) {
        fprintf(stderr, "splitbed fault: xl unpause %u failed\n", domid);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static unsigned long long some_seed(void)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return ((unsigned long long)now.tv_nsec ^ (unsigned long long)getpid() << 16) & 0xffffff;
}

/* xenstored's conflict fault for domid's commits, on or off. */
static int xs_conflict_fault(const char *dir, unsigned domid, unsigned permille, bool seeded,
                             unsigned long long seed)
{
    if (!seeded)
        seed = some_seed();
    if (permille)
        fprintf(stderr, "splitbed fault: seed %llu\n", seed);
    struct toolstack *ts = toolstack_open(dir);
    if (!ts)
        return EXIT_FAIL;
    int r = toolstack_xs_conflicts(ts, domid, permille, seed);
    toolstack_close(ts);
    return r == 0 ? EXIT_OK : EXIT_FAIL;
}

int cmd_fault(int argc, char **argv)
{
    static const struct option opts[] = { { "dir", required_argument, NULL, 'd' },
                                          { "seed", required_argument, NULL, 's' },
                                          { "help", no_argument, NULL, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *given = NULL;
    unsigned long long seed = 0;
    bool seeded = false;
    int c;
    optind = 1;
    argv[0] = "splitbed fault";
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': given = optarg; break;
        case 'h': fputs(fault_usage, stdout); return EXIT_OK;
        case 's': {
            char *end;
            errno = 0;
            seed = strtoull(optarg, &end, 0);
            if (!*optarg || *optarg == '-' || *end || errno) {
                fprintf(stderr, "splitbed fault: --seed %s: expected a number\n", optarg);
                return EXIT_USAGE;
            }
            seeded = true;
            break;
        }
        default: return EXIT_USAGE;
        }
    }
    if (argc - optind != 2) {
        fprintf(stderr, "splitbed fault: expected DOM SPEC (see --help)\n");
        return EXIT_USAGE;
    }
    unsigned domid;
    if (!cli_parse_domid(argv[optind], &domid) || domid == 0) {
        fprintf(stderr, "splitbed fault: %s: not a guest domain id (1..32751)\n", argv[optind]);
        return EXIT_USAGE;
    }
    const char *spec = argv[optind + 1];
    char dir[4096];
    if (!cli_statedir(given, dir, sizeof dir))
        return EXIT_USAGE;
    if (!strncmp(spec, "domain-", 7))
        return domain_fault(dir, domid, spec);

    struct fault_spec f;
    /* fault_spec_parse names `splitbed run` in its line; the spec is
     * the same language. */
    if (fault_spec_parse(spec, &f) != 0)
        return EXIT_USAGE;
    if (f.kind == FAULT_NEGOTIATION) {
        fprintf(stderr,
                "splitbed fault: %s: negotiation applies when a device connects; give it "
                "to splitbed run --fault\n",
                spec);
        return EXIT_USAGE;
    }
    bool net = fault_spec_target(&f) == FAULT_ON_NETBACK;
    if (f.kind == FAULT_XS_CONFLICT)
        return xs_conflict_fault(dir, domid, f.permille, seeded, seed);
    char buf[4][48];
    const char *o[5];
    fault_spec_backend_opts(&f, buf, o);
    char value[256] = "";
    for (unsigned i = 0; o[i]; i++)
        snprintf(value + strlen(value), sizeof value - strlen(value), "%s%s", i ? "," : "", o[i]);
    if (f.kind == FAULT_GRANT_FAIL || f.kind == FAULT_NETBACK_GRANT_FAIL) {
        if (!seeded)
            seed = some_seed();
        fprintf(stderr, "splitbed fault: seed %llu\n", seed);
        snprintf(value + strlen(value), sizeof value - strlen(value), ",fault-seed=%llu", seed);
    }

    struct toolstack *ts = toolstack_open(dir);
    if (!ts)
        return EXIT_FAIL;
    char path[128];
    snprintf(path, sizeof path, "/local/domain/0/backend/%s/%u", net ? "vif" : "vbd", domid);
    unsigned n = 0;
    char **devs = toolstack_directory(ts, path, &n);
    int status = EXIT_OK;
    if (!devs || n == 0) {
        fprintf(stderr, "splitbed fault: domain %u has no %s served by a backend\n", domid,
                net ? "vif" : "disk");
        status = EXIT_FAIL;
    }
    for (unsigned i = 0; devs && i < n; i++) {
        char node[256];
        snprintf(node, sizeof node, "%s/%s/splitbed-fault", path, devs[i]);
        if (toolstack_write(ts, node, value) != 0)
            status = EXIT_FAIL;
    }
    free(devs);
    toolstack_close(ts);
    return status;
}
