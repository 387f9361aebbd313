/* Starting and stopping a simulator: the two daemons of a state dir. */
#include "cli.h"
#include "qubes_vm.h"
#include "daemons.h"
#include "layout.h"
#include "statedir.h"
#include "toolstack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READY_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000

const char *cli_statedir(const char *given, char *buf, size_t size)
{
    char tmp[4096];
    if (!given) {
        given = statedir_default(tmp, sizeof tmp);
        if (!given) {
            fprintf(stderr, "splitbed: default state dir path is too long\n");
            return NULL;
        }
    }
    if (!*given) {
        fprintf(stderr, "splitbed: --dir: empty path\n");
        return NULL;
    }
    /* Socket paths (DIR/xenstored/domNNNNN) must fit in sun_path. */
    if (!statedir_absolute(buf, size, given) || strlen(buf) > 80) {
        fprintf(stderr, "splitbed: --dir %s: path too long for Unix sockets (80 bytes at most)\n",
                given);
        return NULL;
    }
    return buf;
}

int cli_sim_start(const char *dir, bool detach, pid_t *hvd, pid_t *xsd)
{
    char prog[4096], log[4200], pidf[4200], xsdir[4200];
    if (statedir_create(dir) != 0)
        return -1;
    statedir_path(xsdir, sizeof xsdir, dir, "xenstored");
    if (statedir_create(xsdir) != 0)
        return -1;

    if (!layout_path(prog, sizeof prog, "bin", "splitbed-hvd"))
        return -1;
    /* A guest kernel's xen_gntalloc.limit, for frontends that share more
     * than Linux's default 1024 grants. */
    const char *limit = getenv("SPLITBED_GNTALLOC_LIMIT");
    char *hv_argv[] = { prog, "--dir", (char *)dir, NULL, NULL, NULL };
    if (limit && *limit) {
        hv_argv[3] = "--gntalloc-limit";
        hv_argv[4] = (char *)limit;
    }
    statedir_path(log, sizeof log, dir, "hvd.log");
    *hvd = daemon_start(hv_argv, log, detach, READY_TIMEOUT_MS);
    if (*hvd < 0)
        return -1;
    statedir_path(pidf, sizeof pidf, dir, "hvd.pid");
    daemon_write_pidfile(pidf, *hvd);

    if (!layout_path(prog, sizeof prog, "bin", "splitbed-xenstored"))
        return -1;
    char trace[4200];
    statedir_path(trace, sizeof trace, dir, "trace");
    char *xs_argv[] = { prog, "--dir", xsdir, "--trace", trace, "--hv-dir", (char *)dir, NULL };
    statedir_path(log, sizeof log, dir, "xenstored.log");
    *xsd = daemon_start(xs_argv, log, detach, READY_TIMEOUT_MS);
    if (*xsd < 0) {
        daemon_stop(*hvd, STOP_TIMEOUT_MS);
        return -1;
    }
    statedir_path(pidf, sizeof pidf, dir, "xenstored.pid");
    daemon_write_pidfile(pidf, *xsd);

    struct toolstack *ts = toolstack_open(dir);
    int r = ts ? toolstack_init_dom0(ts) : -1;
    toolstack_close(ts);
    if (r != 0) {
        cli_sim_stop(dir);
        return -1;
    }
    return 0;
}

int cli_sim_stop(const char *dir)
{
    static const char *const names[] = { "xenstored", "hvd" };
    int status = 0;
    qubes_vm_stop_all(dir); /* dom0's Qubes daemons, before what they use */
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char pidf[4200];
        statedir_path(pidf, sizeof pidf, dir, "%s.pid", names[i]);
        pid_t pid = daemon_read_pidfile(pidf);
        if (pid && daemon_alive(pid) && daemon_stop(pid, STOP_TIMEOUT_MS) != 0)
            status = -1;
        unlink(pidf);
    }
    return status;
}
