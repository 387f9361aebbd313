/* Starting and stopping a simulator: the two daemons of a state dir. */
#include "cli.h"
#include "qubes_vm.h"
#include "daemons.h"
#include "layout.h"
#include "statedir.h"
#include "toolstack.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
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

int cli_sim_spawn(const char *dir, bool detach, struct cli_sim *s)
{
    char xsdir[4200];
    s->hv.pid = s->xs.pid = -1;
    s->hv.ready_fd = s->xs.ready_fd = -1;
    if (statedir_create(dir) != 0)
        return -1;
    statedir_path(xsdir, sizeof xsdir, dir, "xenstored");
    if (statedir_create(xsdir) != 0)
        return -1;

    /* Both daemons start at once.  xenstored sets itself up while hvd
     * does, and binds VIRQ_DOM_EXC once hvd says on a pipe of its own
     * that it serves; each then says it is ready, and cli_sim_wait waits
     * for both. */
    char hvprog[4096], xsprog[4096], hvlog[4200], xslog[4200], trace[4200];
    if (!layout_path(hvprog, sizeof hvprog, "bin", "splitbed-hvd") ||
        !layout_path(xsprog, sizeof xsprog, "bin", "splitbed-xenstored"))
        return -1;
    int hvready[2];
    if (pipe2(hvready, O_CLOEXEC) != 0) {
        perror("splitbed: pipe");
        return -1;
    }
    char hvready_w[16], hvready_r[16];
    snprintf(hvready_w, sizeof hvready_w, "%d", hvready[1]);
    snprintf(hvready_r, sizeof hvready_r, "%d", hvready[0]);
    /* A guest kernel's xen_gntalloc.limit, for frontends that share more
     * than Linux's default 1024 grants. */
    const char *limit = getenv("SPLITBED_GNTALLOC_LIMIT");
    char *hv_argv[] = { hvprog, "--dir", (char *)dir, "--ready-fd", hvready_w, NULL, NULL, NULL };
    if (limit && *limit) {
        hv_argv[5] = "--gntalloc-limit";
        hv_argv[6] = (char *)limit;
    }
    statedir_path(hvlog, sizeof hvlog, dir, "hvd.log");
    statedir_path(trace, sizeof trace, dir, "trace");
    char *xs_argv[] = { xsprog,     "--dir",     xsdir,           "--trace", trace,
                        "--hv-dir", (char *)dir, "--hv-ready-fd", hvready_r, NULL };
    statedir_path(xslog, sizeof xslog, dir, "xenstored.log");
    int rc = daemon_spawn(&s->hv, hv_argv, hvlog, detach, &hvready[1], 1);
    close(hvready[1]);
    if (rc == 0)
        rc = daemon_spawn(&s->xs, xs_argv, xslog, detach, &hvready[0], 1);
    close(hvready[0]);
    if (rc != 0)
        cli_sim_abandon(s);
    return rc;
}

void cli_sim_abandon(struct cli_sim *s)
{
    struct daemon_spawning *d[] = { &s->xs, &s->hv };
    for (int i = 0; i < 2; i++) {
        if (d[i]->pid > 0) {
            kill(d[i]->pid, SIGKILL);
            waitpid(d[i]->pid, NULL, 0);
        }
        if (d[i]->ready_fd >= 0)
            close(d[i]->ready_fd);
        d[i]->pid = -1;
        d[i]->ready_fd = -1;
    }
}

int cli_sim_wait(const char *dir, struct cli_sim *s, pid_t *hvd, pid_t *xsd,
                 struct toolstack **keep)
{
    *hvd = *xsd = 0;
    pid_t hv = daemon_wait_ready(&s->hv, READY_TIMEOUT_MS);
    s->hv.pid = -1;
    if (hv < 0) {
        cli_sim_abandon(s); /* xenstored waits for hvd: it has nothing to add */
        return -1;
    }
    pid_t xs = daemon_wait_ready(&s->xs, READY_TIMEOUT_MS);
    s->xs.pid = -1;
    if (xs < 0) {
        daemon_stop(hv, STOP_TIMEOUT_MS);
        return -1;
    }
    *hvd = hv;
    *xsd = xs;
    char pidf[4200];
    statedir_path(pidf, sizeof pidf, dir, "hvd.pid");
    daemon_write_pidfile(pidf, hv);
    statedir_path(pidf, sizeof pidf, dir, "xenstored.pid");
    daemon_write_pidfile(pidf, xs);

    struct toolstack *ts = toolstack_open(dir);
    int r = ts ? toolstack_init_dom0(ts) : -1;
    if (r == 0 && keep)
        *keep = ts;
    else
        toolstack_close(ts);
    if (r != 0) {
        cli_sim_stop(dir);
        return -1;
    }
    return 0;
}

int cli_sim_start(const char *dir, bool detach, pid_t *hvd, pid_t *xsd)
{
    struct cli_sim s;
    if (cli_sim_spawn(dir, detach, &s) != 0)
        return -1;
    return cli_sim_wait(dir, &s, hvd, xsd, NULL);
}

int cli_sim_stop(const char *dir)
{
    static const char *const names[] = { "xenstored", "hvd" };
    int status = 0;
    qubes_vm_stop_all(dir);         /* dom0's Qubes daemons, before what they use */
    toolstack_stop_hotplugged(dir); /* likewise the hot-plugged backends */
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
