/*
 * splitbed domain [--dir DIR] list
 * splitbed domain [--dir DIR] pause|unpause|shutdown|destroy DOM
 *
 * The toolstack's hand on a domain's lifecycle, as xl's commands of the
 * same names (DOM is an id or a name).  Shutdown is what libxl falls
 * back to for a guest without PV control: the hypervisor's remote
 * shutdown (reason poweroff, or --reason reboot|halt|crash), which stops
 * the domain's processes and tells xenstored; destroy kills them,
 * releases what the domain held and removes its xenstore directories.
 */
#include "cli.h"
#include "toolstack.h"

#include "backends-sim/hv/hvctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xen/xen.h>
#include <xen/sched.h>

static const char usage[] =
    "usage: splitbed domain [--dir DIR] list\n"
    "       splitbed domain [--dir DIR] pause|unpause|destroy DOM\n"
    "       splitbed domain [--dir DIR] shutdown [--reason poweroff|reboot|halt|crash] DOM\n"
    "DOM is a domain id or name.  list shows each domain's name, id and state\n"
    "(running, paused, shutdown REASON), as the hypervisor and xenstore agree.\n";

static const char *const reasons[] = {
    [SHUTDOWN_poweroff] = "poweroff", [SHUTDOWN_reboot] = "reboot",
    [SHUTDOWN_suspend] = "suspend",   [SHUTDOWN_crash] = "crash",
    [SHUTDOWN_watchdog] = "watchdog", [SHUTDOWN_soft_reset] = "soft_reset",
};

/* The domain named by s (an id, or a name under /local/domain/N/name);
 * -1 after one line when none. */
static int find_domain(struct toolstack *ts, const char *s)
{
    unsigned id;
    if (cli_parse_domid(s, &id))
        return (int)id;
    unsigned n = 0;
    char **ids = toolstack_directory(ts, "/local/domain", &n);
    int found = -1;
    for (unsigned i = 0; ids && i < n && found < 0; i++) {
        char path[128];
        snprintf(path, sizeof path, "/local/domain/%s/name", ids[i]);
        char *name = toolstack_read(ts, path);
        if (name && !strcmp(name, s) && cli_parse_domid(ids[i], &id))
            found = (int)id;
        free(name);
    }
    free(ids);
    if (found < 0)
        fprintf(stderr, "splitbed domain: %s: no such domain\n", s);
    return found;
}

static int list(const char *dir, struct toolstack *ts)
{
    static char status[65536];
    int r = hvctl_status(dir, status, sizeof status);
    if (r < 0) {
        fprintf(stderr, "splitbed domain: no simulator running in %s: %s\n", dir, strerror(-r));
        return EXIT_FAIL;
    }
    printf("%-32s %5s  %s\n", "Name", "ID", "State");
    for (char *l = status; *l;) {
        char *nl = strchr(l, '\n');
        if (nl)
            *nl = 0;
        unsigned id, code;
        const char *st = strstr(l, " state ");
        if (sscanf(l, "dom%u ", &id) == 1 && st) {
            char path[64], state[32];
            snprintf(path, sizeof path, "/local/domain/%u/name", id);
            char *name = toolstack_read(ts, path);
            st += 7;
            if (sscanf(st, "shutdown %u", &code) == 1)
                snprintf(state, sizeof state, "shutdown %s",
                         code < sizeof reasons / sizeof reasons[0] && reasons[code] ? reasons[code]
                                                                                    : "unknown");
            else
                snprintf(state, sizeof state, "%s", st);
            printf("%-32s %5u  %s\n", name ? name : "-", id, state);
            free(name);
        }
        if (!nl)
            break;
        l = nl + 1;
    }
    return EXIT_OK;
}

int cmd_domain(int argc, char **argv)
{
    static const struct option opts[] = { { "dir", required_argument, NULL, 'd' },
                                          { "reason", required_argument, NULL, 'r' },
                                          { "help", no_argument, NULL, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *given = NULL, *reason = "poweroff";
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': given = optarg; break;
        case 'r': reason = optarg; break;
        case 'h': fputs(usage, stdout); return EXIT_OK;
        default:
            fprintf(stderr, "splitbed domain: unrecognized option '%s'\n", argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        fprintf(stderr, "splitbed domain: missing action (list, pause, unpause, shutdown, "
                        "destroy)\n");
        return EXIT_USAGE;
    }
    const char *action = argv[optind++];
    bool is_list = !strcmp(action, "list");
    if (!is_list && strcmp(action, "pause") && strcmp(action, "unpause") &&
        strcmp(action, "shutdown") && strcmp(action, "destroy")) {
        fprintf(stderr, "splitbed domain: unknown action '%s'\n", action);
        return EXIT_USAGE;
    }
    if (argc - optind != (is_list ? 0 : 1)) {
        fprintf(stderr,
                is_list ? "splitbed domain list: unexpected argument '%s'\n"
                        : "splitbed domain %s: expects one DOM\n",
                is_list ? argv[optind] : action);
        return EXIT_USAGE;
    }
    unsigned code = 0;
    while (code < sizeof reasons / sizeof reasons[0] &&
           (!reasons[code] || strcmp(reasons[code], reason) != 0))
        code++;
    if (code == SHUTDOWN_suspend || code == SHUTDOWN_soft_reset ||
        code >= sizeof reasons / sizeof reasons[0]) {
        fprintf(stderr, "splitbed domain: --reason %s: not one of poweroff, reboot, halt, crash\n",
                reason);
        return EXIT_USAGE;
    }
    if (!strcmp(reason, "halt"))
        code = SHUTDOWN_poweroff;
    char dir[4096];
    if (!cli_statedir(given, dir, sizeof dir))
        return EXIT_USAGE;
    if (cli_refuse_guest(dir, "splitbed domain", "act on domains"))
        return EXIT_FAIL;
    struct toolstack *ts = toolstack_open(dir);
    if (!ts)
        return EXIT_FAIL;
    int ret = EXIT_OK;
    if (is_list) {
        ret = list(dir, ts);
    } else {
        int id = find_domain(ts, argv[optind]);
        int r = 0;
        if (id < 0)
            ret = EXIT_USAGE;
        else if (id == 0) {
            fprintf(stderr, "splitbed domain %s: domain 0 is the simulator's host\n", action);
            ret = EXIT_USAGE;
        } else if (!strcmp(action, "destroy"))
            ret = toolstack_domain_destroy(ts, (unsigned)id) == 0 ? EXIT_OK : EXIT_FAIL;
        else if (!strcmp(action, "pause"))
            r = hvctl_domain_pause(dir, (unsigned)id);
        else if (!strcmp(action, "unpause"))
            r = hvctl_domain_unpause(dir, (unsigned)id);
        else
            r = hvctl_domain_shutdown(dir, (unsigned)id, code);
        if (r < 0) {
            fprintf(stderr, "splitbed domain %s %d: %s\n", action, id,
                    r == -ESRCH                                  ? "no such domain"
                    : r == -EINVAL && !strcmp(action, "unpause") ? "it is not paused"
                                                                 : strerror(-r));
            ret = EXIT_FAIL;
        }
    }
    toolstack_close(ts);
    return ret;
}
