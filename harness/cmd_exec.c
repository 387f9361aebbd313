/* splitbed exec [--dir DIR] --domain N [--name NAME] -- CMD [ARGS] */
#include "cli.h"
#include "layout.h"
#include "toolstack.h"
#include "xen_view.h"
#include "backends-sim/procdom/procdom.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* DOMID_FIRST_RESERVED is 0x7FF0: ids from there on name special domains. */
#define MAX_GUEST_DOMID 0x7FEF

bool cli_parse_domid(const char *s, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *end || errno || v > MAX_GUEST_DOMID || s[0] == '-' || s[0] == '+')
        return false;
    *out = (unsigned)v;
    return true;
}

static const char exec_usage[] =
    "usage: splitbed exec [--dir DIR] --domain N [--name NAME] -- CMD [ARGS]\n"
    "Runs CMD as a process of domain N of the simulator in DIR, creating the\n"
    "domain (with the xenstore nodes libxl writes) if it does not exist.\n"
    "  --dir DIR      the simulator's state dir (default: see splitbed --help)\n"
    "  --domain N     the domain (0 is dom0)\n"
    "  --name NAME    the name of a domain this creates\n"
    "  -h, --help     this text\n"
    "Exit status: CMD's own; 1 when the simulator or domain is unusable; 2 bad\n"
    "usage; 127 CMD not found.\n";

int cmd_exec(int argc, char **argv)
{
    static const struct option opts[] = { { "dir", required_argument, NULL, 'd' },
                                          { "domain", required_argument, NULL, 'n' },
                                          { "name", required_argument, NULL, 'N' },
                                          { "help", no_argument, NULL, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *given = NULL, *name = NULL, *domarg = NULL;
    int c;
    optind = 1;
    argv[0] = "splitbed exec"; /* getopt's messages start with it */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(exec_usage, stdout); return EXIT_OK;
        case 'd': given = optarg; break;
        case 'n': domarg = optarg; break;
        case 'N': name = optarg; break;
        default: return EXIT_USAGE;
        }
    }
    unsigned domid;
    if (!domarg) {
        fprintf(stderr, "splitbed exec: --domain N is required\n");
        return EXIT_USAGE;
    }
    if (!cli_parse_domid(domarg, &domid)) {
        fprintf(stderr, "splitbed exec: --domain %s: not a domain id (0..%u)\n", domarg,
                MAX_GUEST_DOMID);
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        fprintf(stderr,
                "splitbed exec: missing command (splitbed exec --domain N -- CMD [ARGS])\n");
        return EXIT_USAGE;
    }
    char dir[4096];
    if (!cli_statedir(given, dir, sizeof dir))
        return EXIT_USAGE;

    /* From inside a guest, a program may be started in its own domain
     * (which exists: nothing for the toolstack to do), never in another. */
    int own = cli_own_domain(dir);
    if (own > 0 && (unsigned)own != domid) {
        char what[64];
        snprintf(what, sizeof what, "start a program in domain %u", domid);
        cli_refuse_guest(dir, "splitbed exec", what);
        return EXIT_FAIL;
    }
    if (own <= 0) {
        struct toolstack *ts = toolstack_open(dir);
        if (!ts)
            return EXIT_FAIL;
        int r = toolstack_domain_ensure(ts, domid, name);
        toolstack_close(ts);
        if (r < 0)
            return EXIT_FAIL;
    }

    char **env = cli_guest_env(dir, domid);
    if (!env) {
        fprintf(stderr, "splitbed exec: out of memory\n");
        return EXIT_FAIL;
    }
    char prog[4096];
    const char *cmd = argv[optind];
    /* Guest apps are found in libexec/splitbed too, like backends. */
    if (!layout_find_program(prog, sizeof prog, cmd)) {
        fprintf(stderr, "splitbed exec: %s: command not found\n", cmd);
        return 127;
    }
    /* The command is its domain's first process (procdom.h): orphans of
     * its descendants stay below it, in its domain. */
    procdom_adopt_orphans();
    /* /sys/hypervisor and the rest of a Xen domain's view of its host
     * (xen_view.h); without it the program runs as it would on a host
     * without Xen's files, which only some programs notice. */
    int v = xen_view_enter(dir, domid);
    if (v < 0 && getenv("SPLITBED_DEBUG"))
        fprintf(stderr, "splitbed exec: no Xen view of /sys and /run: %s\n", strerror(-v));
    execve(prog, argv + optind, env);
    fprintf(stderr, "splitbed exec: cannot run %s: %s\n", prog, strerror(errno));
    return 126;
}
