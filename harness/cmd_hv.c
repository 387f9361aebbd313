/* splitbed hv start|stop|status */
#include "cli.h"
#include "daemons.h"
#include "statedir.h"
#include "toolstack.h"
#include "backends-sim/hv/hvctl.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xenstore.h>

static bool running(const char *dir)
{
    char pidf[4200];
    statedir_path(pidf, sizeof pidf, dir, "hvd.pid");
    return daemon_alive(daemon_read_pidfile(pidf)) && hvctl_ping(dir) == 0;
}

static int hv_start(const char *dir)
{
    if (running(dir)) {
        fprintf(stderr, "splitbed: a simulator is already running in %s\n", dir);
        printf("%s\n", dir);
        return EXIT_OK;
    }
    cli_sim_stop(dir); /* leftovers of a simulator that died */
    pid_t hvd, xsd;
    if (cli_sim_start(dir, true, &hvd, &xsd) != 0)
        return EXIT_FAIL;
    printf("%s\n", dir);
    return EXIT_OK;
}

static int hv_stop(const char *dir)
{
    if (!running(dir))
        fprintf(stderr, "splitbed: no simulator running in %s\n", dir);
    return cli_sim_stop(dir) == 0 ? EXIT_OK : EXIT_FAIL;
}

static int hv_status(const char *dir)
{
    if (!running(dir)) {
        fprintf(stderr, "splitbed: no simulator running in %s\n", dir);
        return EXIT_FAIL;
    }
    char buf[16384];
    int r = hvctl_status(dir, buf, sizeof buf);
    if (r < 0) {
        fprintf(stderr, "splitbed: status of %s: %s\n", dir, strerror(-r));
        return EXIT_FAIL;
    }
    printf("dir: %s\n%s", dir, buf);
    struct toolstack *ts = toolstack_open(dir);
    unsigned n = 0;
    char **doms = ts ? toolstack_directory(ts, "/local/domain", &n) : NULL;
    for (unsigned i = 0; i < n; i++) {
        char path[300];
        snprintf(path, sizeof path, "/local/domain/%s/name", doms[i]);
        char *name = toolstack_read(ts, path);
        printf("xenstore: /local/domain/%s name=%s\n", doms[i], name ? name : "?");
        free(name);
    }
    free(doms);
    toolstack_close(ts);
    return EXIT_OK;
}

static const char hv_usage[] =
    "usage: splitbed hv start|stop|status [--dir DIR]\n"
    "  start    start a simulator (splitbed-hvd + splitbed-xenstored) in DIR; prints DIR\n"
    "  stop     stop it\n"
    "  status   per domain: grants, mappings, ports; then totals and xenstore's domains\n"
    "  --dir DIR   the state dir (default $SPLITBED_DIR, else $XDG_RUNTIME_DIR/splitbed,\n"
    "              else /tmp/splitbed-$UID)\n"
    "  -h, --help  this text\n"
    "Exit status: 0 done; 1 no simulator (status) or it could not start; 2 bad usage.\n";

int cmd_hv(int argc, char **argv)
{
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        fputs(hv_usage, stdout);
        return EXIT_OK;
    }
    if (argc < 2) {
        fprintf(stderr, "splitbed hv: missing action (start, stop or status)\n");
        return EXIT_USAGE;
    }
    const char *action = argv[1];
    const char *given = NULL;
    static const struct option opts[] = { { "dir", required_argument, NULL, 'd' },
                                          { "help", no_argument, NULL, 'h' },
                                          { 0, 0, 0, 0 } };
    optind = 1;
    int c;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "splitbed hv %s", action);
    argv[1] = prefix; /* getopt's messages start with it */
    while ((c = getopt_long(argc - 1, argv + 1, "+h", opts, NULL)) != -1) {
        if (c == 'd')
            given = optarg;
        else if (c == 'h') {
            fputs(hv_usage, stdout);
            return EXIT_OK;
        } else
            return EXIT_USAGE;
    }
    if (optind < argc - 1) {
        fprintf(stderr, "splitbed hv %s: unexpected argument '%s'\n", action, argv[optind + 1]);
        return EXIT_USAGE;
    }
    char dir[4096];
    if (!cli_statedir(given, dir, sizeof dir))
        return EXIT_USAGE;
    if ((!strcmp(action, "start") || !strcmp(action, "stop") || !strcmp(action, "status"))) {
        char cmd[64], what[64];
        snprintf(cmd, sizeof cmd, "splitbed hv %s", action);
        snprintf(what, sizeof what, "%s the simulator", action);
        if (!strcmp(action, "status"))
            snprintf(what, sizeof what, "ask the simulator's status");
        if (cli_refuse_guest(dir, cmd, what))
            return EXIT_FAIL;
    }
    if (!strcmp(action, "start"))
        return hv_start(dir);
    if (!strcmp(action, "stop"))
        return hv_stop(dir);
    if (!strcmp(action, "status"))
        return hv_status(dir);
    fprintf(stderr, "splitbed hv: unknown action '%s' (start, stop or status)\n", action);
    return EXIT_USAGE;
}
