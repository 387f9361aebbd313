/*
 * splitbed block-attach|block-detach|block-list|network-attach|
 * network-detach|network-list — xl's hot-plug commands on a running
 * simulator.
 *
 * Attach writes the device's nodes as libxl does, starts its backend in
 * dom0 for that device only (splitbed-blkback --device, splitbed-netback
 * --vif DOM/HANDLE=…), detached, with its pid in DIR/backends/, and
 * returns once the backend has taken the device (InitWait or later), as
 * xl waits for the hotplug script.  Detach goes through Closing as
 * libxl__initiate_device_generic_remove does: the backend's online=0 and
 * state=Closing, then up to 10 s for the backend to reach Closed (the
 * frontend closes first), then the backend is stopped and both
 * directories removed.  Attach also writes libxl's record of the device
 * (/libxl/DOM/device/), from which Debian's xl destroy removes it; the
 * backend runs --until-removed, so it exits then.
 *
 * Each backend runs under a small supervisor of its own (a fork of this
 * command, in its own session), as a driver domain's toolstack keeps its
 * backends: a backend that dies by a signal (a crash) while its pid file
 * still names it is started again, up to RESTARTS times, and takes the
 * device over where its frontend left it.  Whoever stops a backend on
 * purpose (detach, destroy, hv stop) removes its pid file first.
 */
#include "cli.h"
#include "daemons.h"
#include "devices.h"
#include "layout.h"
#include "statedir.h"
#include "toolstack.h"
#include "vdev.h"
#include "backends-sim/hv/hvctl.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_OPTS 64
#define ATTACH_TIMEOUT_MS 10000
#define DETACH_TIMEOUT_MS 10000 /* libxl's LIBXL_DESTROY_TIMEOUT */

struct hp {
    const char *cmd; /* "splitbed block-attach" … */
    char dir[4096];
    const char *opts[MAX_OPTS];
    unsigned nopts;
    unsigned domid;
    const char *arg; /* DISKSPEC, VIFSPEC, VDEV or DEVID */
};

static const char usage_text[] =
    "usage: splitbed block-attach [--dir DIR] [--backend-opt K=V]... DOM DISKSPEC\n"
    "       splitbed block-detach [--dir DIR] DOM VDEV\n"
    "       splitbed block-list [--dir DIR] DOM\n"
    "       splitbed network-attach [--dir DIR] [--netback-opt K=V]... DOM VIFSPEC\n"
    "       splitbed network-detach [--dir DIR] DOM DEVID\n"
    "       splitbed network-list [--dir DIR] DOM\n"
    "Hot-plug on a running simulator, as xl does it.  Attach adds the device and\n"
    "starts its backend in dom0 for it alone; it returns once the backend took\n"
    "it.  Detach asks the backend to close (online=0, Closing), waits up to 10 s\n"
    "for Closed (the frontend closes first; I/O still outstanding then fails),\n"
    "then stops the backend and removes the device.  VIFSPEC needs a backing\n"
    "other than stdio (tap:NAME, pcap:FILE, socket:PATH, fd:N).\n"
    "  --dir DIR          the simulator's state dir (default: see splitbed --help)\n"
    "  --backend-opt K=V  a splitbed-blkback knob; repeatable\n"
    "  --netback-opt K=V  a splitbed-netback knob; repeatable\n"
    "  -h, --help         this text\n"
    "Exit status: 0 done, 1 failed (one line says why), 2 bad usage.\n";

/* Options, then DOM and (for all but the lists) one more argument. */
static int parse(struct hp *h, int argc, char **argv, bool takes_arg, const char *optname)
{
    static const struct option opts[] = { { "dir", required_argument, NULL, 'd' },
                                          { "backend-opt", required_argument, NULL, 'o' },
                                          { "netback-opt", required_argument, NULL, 'O' },
                                          { "help", no_argument, NULL, 'h' },
                                          { 0, 0, 0, 0 } };
    const char *given = NULL;
    int c;
    optind = 1;
    argv[0] = (char *)h->cmd;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'd': given = optarg; break;
        case 'h': fputs(usage_text, stdout); return 1;
        case 'o':
        case 'O': {
            const char *name = c == 'o' ? "--backend-opt" : "--netback-opt";
            if (!optname || strcmp(optname, name)) {
                fprintf(stderr, "%s: %s does not apply here\n", h->cmd, name);
                return -1;
            }
            if (!strchr(optarg, '=') || *optarg == '=') {
                fprintf(stderr, "%s: %s %s: expected KEY=VALUE\n", h->cmd, name, optarg);
                return -1;
            }
            if (h->nopts == MAX_OPTS) {
                fprintf(stderr, "%s: too many %s\n", h->cmd, name);
                return -1;
            }
            h->opts[h->nopts++] = optarg;
            break;
        }
        default: return -1;
        }
    }
    int want = takes_arg ? 2 : 1;
    if (argc - optind != want) {
        fprintf(stderr, "%s: expected DOM%s (see --help)\n", h->cmd,
                !takes_arg                         ? ""
                : strstr(h->cmd, "block-attach")   ? " DISKSPEC"
                : strstr(h->cmd, "network-attach") ? " VIFSPEC"
                : strstr(h->cmd, "block-detach")   ? " VDEV"
                                                   : " DEVID");
        return -1;
    }
    if (!cli_parse_domid(argv[optind], &h->domid) || h->domid == 0) {
        fprintf(stderr, "%s: %s: not a guest domain id (1..32751)\n", h->cmd, argv[optind]);
        return -1;
    }
    h->arg = takes_arg ? argv[optind + 1] : NULL;
    if (!cli_statedir(given, h->dir, sizeof h->dir))
        return -1;
    return 0;
}

static struct toolstack *open_domain(struct hp *h)
{
    struct toolstack *ts = toolstack_open(h->dir);
    if (!ts)
        return NULL;
    char path[64];
    snprintf(path, sizeof path, "/local/domain/%u/domid", h->domid);
    char *v = toolstack_read(ts, path);
    if (!v) {
        fprintf(stderr, "%s: domain %u does not exist\n", h->cmd, h->domid);
        toolstack_close(ts);
        return NULL;
    }
    free(v);
    return ts;
}

#define RESTARTS 10

static void pidfile_of(const struct hp *h, const char *kind, unsigned devid, char *buf, size_t size)
{
    statedir_path(buf, size, h->dir, "backends/%s-%u-%u.pid", kind, h->domid, devid);
}

/* The supervisor: starts the backend, writes its pid to the pid file
 * (and the first one to ready_fd), and starts it again when it dies by a
 * signal while the pid file still names it.  Never returns. */
static _Noreturn void supervise_backend(const char *prog, char **argv, char **env, const char *pidf,
                                        int ready_fd)
{
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    for (unsigned start = 0;; start++) {
        pid_t pid = fork();
        if (pid == 0) {
            if (ready_fd >= 0)
                close(ready_fd);
            execve(prog, argv, env);
            fprintf(stderr, "splitbed: cannot run %s: %s\n", prog, strerror(errno));
            _exit(127);
        }
        if (pid < 0)
            _exit(1);
        char tmp[4300];
        snprintf(tmp, sizeof tmp, "%s.tmp", pidf);
        FILE *f = fopen(tmp, "w");
        if (f) {
            fprintf(f, "%d\n", (int)pid);
            if (fclose(f) != 0 || rename(tmp, pidf) != 0)
                unlink(tmp);
        }
        if (ready_fd >= 0) {
            int p = (int)pid;
            if (write(ready_fd, &p, sizeof p) != (ssize_t)sizeof p) {
                /* the attach reports a failed start */
            }
            close(ready_fd);
            ready_fd = -1;
        }
        int ws;
        while (waitpid(pid, &ws, 0) < 0)
            if (errno != EINTR)
                _exit(1);
        /* Stopped on purpose: its pid file went first. */
        if (!WIFSIGNALED(ws) || daemon_read_pidfile(pidf) != pid)
            _exit(0);
        if (start + 1 > RESTARTS) {
            fprintf(stderr, "splitbed: %s killed by signal %d, %u times: not started again\n", prog,
                    WTERMSIG(ws), RESTARTS + 1);
            unlink(pidf);
            _exit(1);
        }
        fprintf(stderr, "splitbed: %s (pid %d) killed by signal %d: starting it again (%u of %u)\n",
                prog, (int)pid, WTERMSIG(ws), start + 1, RESTARTS);
    }
}

/* The backend in dom0, under its supervisor in its own session, its
 * output in a log beside its pid file; returns the backend's pid. */
static pid_t start_backend(const struct hp *h, const char *name, const char *kind, unsigned devid,
                           const char *const *extra)
{
    char prog[4096], dirb[4200], log[4200], pidf[4200];
    if (!layout_path(prog, sizeof prog, "libexec/splitbed", name) || access(prog, X_OK) != 0) {
        fprintf(stderr, "%s: backend %s not found in %s/libexec/splitbed\n", h->cmd, name,
                layout_prefix());
        return -1;
    }
    statedir_path(dirb, sizeof dirb, h->dir, "backends");
    if (statedir_create(dirb) != 0)
        return -1;
    statedir_path(log, sizeof log, h->dir, "backends/%s-%u-%u.log", kind, h->domid, devid);
    pidfile_of(h, kind, devid, pidf, sizeof pidf);
    char *argv[2 * MAX_OPTS + 8];
    unsigned k = 0;
    argv[k++] = prog;
    for (unsigned i = 0; i < h->nopts; i++) {
        argv[k++] = "--opt";
        argv[k++] = (char *)h->opts[i];
    }
    for (unsigned i = 0; extra[i]; i++)
        argv[k++] = (char *)extra[i];
    argv[k] = NULL;
    char **env = cli_guest_env(h->dir, 0);
    int pfd[2];
    if (!env || pipe(pfd) != 0) {
        cli_guest_env_free(env);
        return -1;
    }
    pid_t sup = fork();
    if (sup == 0) {
        setsid();
        int null = open("/dev/null", O_RDONLY);
        int lfd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (null >= 0)
            dup2(null, 0);
        if (lfd >= 0) {
            dup2(lfd, 1);
            dup2(lfd, 2);
        }
        /* Nothing of this command's (its xenstore connection) stays. */
        int keep = dup2(pfd[1], 3) == 3 ? 3 : -1;
        close_range(4, ~0u, 0);
        supervise_backend(prog, argv, env, pidf, keep);
    }
    cli_guest_env_free(env);
    close(pfd[1]);
    int pid = -1;
    if (sup > 0 && read(pfd[0], &pid, sizeof pid) != (ssize_t)sizeof pid)
        pid = -1;
    close(pfd[0]);
    if (sup < 0 || pid <= 0) {
        fprintf(stderr, "%s: cannot start %s: %s\n", h->cmd, name,
                sup < 0 ? strerror(errno) : "its supervisor failed");
        return -1;
    }
    return (pid_t)pid;
}

/* Ends the device's backend: SIGTERM, then SIGKILL after 5 s.  A pid
 * no longer naming a splitbed program was reused and is left alone. */
static void stop_backend(const struct hp *h, const char *kind, unsigned devid)
{
    char pidf[4200];
    pidfile_of(h, kind, devid, pidf, sizeof pidf);
    pid_t pid = daemon_read_pidfile(pidf);
    unlink(pidf);
    if (pid > 0 && daemon_alive(pid))
        daemon_stop(pid, 5000);
}

/* A backend of an earlier device of this name may still run when its
 * directory went without it seeing that yet (xl destroy removes it,
 * then the backend exits on its watch): it must not meet the new
 * device, so it is stopped first.  A device that exists keeps its
 * backend (the attach is then refused). */
static void stop_stale_backend(const struct hp *h, struct toolstack *ts, const char *kind,
                               unsigned devid)
{
    char path[256];
    snprintf(path, sizeof path, "/local/domain/0/backend/%s/%u/%u", kind, h->domid, devid);
    char *v = toolstack_read(ts, path);
    if (v)
        free(v);
    else
        stop_backend(h, kind, devid);
}

static bool taken(const char *v, void *arg)
{
    (void)arg;
    /* InitWait or later: the backend has the device (Closing: it
     * refused it and says why under error/). */
    return v && atoi(v) >= 2;
}

static bool closed(const char *v, void *arg)
{
    (void)arg;
    return !v || atoi(v) >= 6;
}

/* After the backend was started: wait for it to take the device, or
 * report why not and undo. */
static int await_backend(struct hp *h, struct toolstack *ts, const char *kind, unsigned devid,
                         pid_t pid)
{
    char path[256];
    snprintf(path, sizeof path, "/local/domain/0/backend/%s/%u/%u/state", kind, h->domid, devid);
    if (toolstack_wait(ts, path, taken, NULL, ATTACH_TIMEOUT_MS) != 0) {
        fprintf(stderr, "%s: the backend (pid %d) did not take %s %u of domain %u within %d s\n",
                h->cmd, (int)pid, kind, devid, h->domid, ATTACH_TIMEOUT_MS / 1000);
        stop_backend(h, kind, devid);
        toolstack_device_remove(ts, kind, 0, h->domid, devid);
        return -1;
    }
    char *st = toolstack_read(ts, path);
    bool closing = st && atoi(st) >= 5;
    free(st);
    char err[300];
    snprintf(err, sizeof err, "/local/domain/0/error/backend/%s/%u/%u/error", kind, h->domid,
             devid);
    char *why = closing ? toolstack_read(ts, err) : NULL;
    if (closing && !why) {
        /* Closing without a reason is a refusal only while the frontend
         * is there and has not closed: a guest waiting for the device may
         * connect, use it and close it (an app that reads a disk and
         * exits), and its domain may even be going, before this look. */
        char fe[200];
        snprintf(fe, sizeof fe, "/local/domain/%u/device/%s/%u/state", h->domid, kind, devid);
        char *fst = toolstack_read(ts, fe);
        closing = fst && atoi(fst) < 5;
        free(fst);
    }
    if (closing) {
        fprintf(stderr, "%s: the backend refused %s %u of domain %u: %s\n", h->cmd, kind, devid,
                h->domid, why ? why : "it went Closing");
        free(why);
        stop_backend(h, kind, devid);
        toolstack_device_remove(ts, kind, 0, h->domid, devid);
        return -1;
    }
    return 0;
}

static int block_attach(struct hp *h)
{
    struct disk_spec d;
    if (disk_spec_parse(h->arg, 0, &d) != 0)
        return EXIT_USAGE;
    struct toolstack *ts = open_domain(h);
    if (!ts) {
        disk_spec_free(&d);
        return EXIT_FAIL;
    }
    int status = EXIT_FAIL;
    stop_stale_backend(h, ts, "vbd", d.devid);
    if (devices_add_disk(ts, h->domid, &d) == 0) {
        char dev[32];
        snprintf(dev, sizeof dev, "%u/%u", h->domid, d.devid);
        const char *extra[] = { "--device", dev, "--until-removed", "--quiet", NULL };
        pid_t pid = start_backend(h, "splitbed-blkback", "vbd", d.devid, extra);
        if (pid < 0)
            toolstack_device_remove(ts, "vbd", 0, h->domid, d.devid);
        else if (await_backend(h, ts, "vbd", d.devid, pid) == 0)
            status = EXIT_OK;
    }
    toolstack_close(ts);
    disk_spec_free(&d);
    return status;
}

static int network_attach(struct hp *h)
{
    struct vif_spec v;
    if (vif_spec_parse(h->arg, 0, &v) != 0)
        return EXIT_USAGE;
    if (v.uses_stdio) {
        fprintf(stderr, "%s: %s: a hot-plugged vif needs a backing other than stdio\n", h->cmd,
                h->arg);
        return EXIT_USAGE;
    }
    struct toolstack *ts = open_domain(h);
    if (!ts)
        return EXIT_FAIL;
    int status = EXIT_FAIL;
    stop_stale_backend(h, ts, "vif", v.handle);
    if (devices_add_vif(ts, h->domid, &v) == 0) {
        snprintf(v.netback_arg, sizeof v.netback_arg, "%u/%u=%s", h->domid, v.handle, v.backing);
        const char *extra[] = { "--vif", v.netback_arg, "--until-removed", "--quiet", NULL };
        /* netback's knobs are its --opt too. */
        pid_t pid = start_backend(h, "splitbed-netback", "vif", v.handle, extra);
        if (pid < 0)
            toolstack_device_remove(ts, "vif", 0, h->domid, v.handle);
        else if (await_backend(h, ts, "vif", v.handle, pid) == 0)
            status = EXIT_OK;
    }
    toolstack_close(ts);
    return status;
}

static bool device_id(struct hp *h, bool block, unsigned *devid)
{
    if (block ? vdev_to_devid(h->arg, devid) : cli_parse_domid(h->arg, devid))
        return true;
    fprintf(stderr, "%s: %s: not a %s\n", h->cmd, h->arg,
            block ? "disk name or device number (xvda, 51712)" : "vif device id");
    return false;
}

/* Does any process of the domain hold an event channel?  A frontend
 * driver does while it runs; once its app has exited nobody will answer
 * a close. */
static bool domain_has_ports(const struct hp *h)
{
    static char buf[65536];
    if (hvctl_status(h->dir, buf, sizeof buf) < 0)
        return true;
    char want[32];
    snprintf(want, sizeof want, "dom%u ", h->domid);
    for (char *line = buf; line && *line;
         line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
        if (strncmp(line, want, strlen(want)))
            continue;
        const char *p = strstr(line, " ports ");
        return p && atoi(p + 7) > 0;
    }
    return false;
}

static int detach(struct hp *h, bool block)
{
    const char *kind = block ? "vbd" : "vif";
    unsigned devid;
    if (!device_id(h, block, &devid))
        return EXIT_USAGE;
    struct toolstack *ts = open_domain(h);
    if (!ts)
        return EXIT_FAIL;
    char be[256], path[300];
    snprintf(be, sizeof be, "/local/domain/0/backend/%s/%u/%u", kind, h->domid, devid);
    snprintf(path, sizeof path, "%s/state", be);
    char *st = toolstack_read(ts, path);
    if (!st) {
        fprintf(stderr, "%s: domain %u has no %s %s\n", h->cmd, h->domid, kind, h->arg);
        toolstack_close(ts);
        return EXIT_FAIL;
    }
    free(st);
    /* A frontend that never started (Initialising), has closed, or whose
     * domain runs no driver any more has nothing to say: no wait for it. */
    char fe[200];
    snprintf(fe, sizeof fe, "/local/domain/%u/device/%s/%u/state", h->domid, kind, devid);
    char *fst = toolstack_read(ts, fe);
    bool driven = fst && atoi(fst) >= 2 && atoi(fst) <= 4 && domain_has_ports(h);
    free(fst);
    /* libxl__initiate_device_generic_remove: online=0, then Closing. */
    snprintf(path, sizeof path, "%s/online", be);
    int r = toolstack_write(ts, path, "0");
    snprintf(path, sizeof path, "%s/state", be);
    if (r == 0)
        r = toolstack_write(ts, path, "5");
    if (r == 0 && driven && toolstack_wait(ts, path, closed, NULL, DETACH_TIMEOUT_MS) != 0)
        fprintf(stderr,
                "%s: %s %s of domain %u did not reach Closed within %d s; removing it anyway\n",
                h->cmd, kind, h->arg, h->domid, DETACH_TIMEOUT_MS / 1000);
    stop_backend(h, kind, devid);
    int status =
        toolstack_device_remove(ts, kind, 0, h->domid, devid) == 0 && r == 0 ? EXIT_OK : EXIT_FAIL;
    toolstack_close(ts);
    return status;
}

static char *node(struct toolstack *ts, const char *dir, const char *key)
{
    char path[300];
    snprintf(path, sizeof path, "%s/%s", dir, key);
    char *v = toolstack_read(ts, path);
    return v ? v : strdup("-");
}

/* As xl block-list / network-list print them, from the frontend's nodes. */
static int list(struct hp *h, bool block)
{
    const char *kind = block ? "vbd" : "vif";
    struct toolstack *ts = open_domain(h);
    if (!ts)
        return EXIT_FAIL;
    char dir[128];
    snprintf(dir, sizeof dir, "/local/domain/%u/device/%s", h->domid, kind);
    unsigned n = 0;
    char **ids = toolstack_directory(ts, dir, &n);
    if (block)
        printf("%-8s %-3s %-6s %-5s %-6s %-8s %s\n", "Vdev", "BE", "handle", "state", "evt-ch",
               "ring-ref", "BE-path");
    else
        printf("%-3s %-3s %-17s %-6s %-5s %-6s %-15s %s\n", "Idx", "BE", "Mac Addr.", "handle",
               "state", "evt-ch", "tx-/rx-ring-ref", "BE-path");
    for (unsigned i = 0; ids && i < n; i++) {
        char fe[200];
        snprintf(fe, sizeof fe, "%s/%s", dir, ids[i]);
        char *be = node(ts, fe, "backend"), *beid = node(ts, fe, "backend-id"),
             *state = node(ts, fe, "state"), *evt = node(ts, fe, "event-channel");
        if (block) {
            char *ring = node(ts, fe, "ring-ref");
            if (!strcmp(ring, "-")) {
                free(ring);
                ring = node(ts, fe, "ring-ref0");
            }
            printf("%-8s %-3s %-6s %-5s %-6s %-8s %s\n", ids[i], beid, "0", state, evt, ring, be);
            free(ring);
        } else {
            char *mac = node(ts, fe, "mac"), *handle = node(ts, fe, "handle"),
                 *tx = node(ts, fe, "tx-ring-ref"), *rx = node(ts, fe, "rx-ring-ref");
            if (!strcmp(evt, "-")) {
                free(evt);
                evt = node(ts, fe, "event-channel-tx");
            }
            char rings[64];
            snprintf(rings, sizeof rings, "%s/%s", tx, rx);
            printf("%-3s %-3s %-17s %-6s %-5s %-6s %-15s %s\n", ids[i], beid, mac, handle, state,
                   evt, rings, be);
            free(mac);
            free(handle);
            free(tx);
            free(rx);
        }
        free(be);
        free(beid);
        free(state);
        free(evt);
    }
    free(ids);
    toolstack_close(ts);
    return EXIT_OK;
}

int cmd_hotplug(int argc, char **argv)
{
    static const struct {
        const char *name;
        bool takes_arg;
        const char *opt;
    } cmds[] = {
        { "block-attach", true, "--backend-opt" },
        { "block-detach", true, NULL },
        { "block-list", false, NULL },
        { "network-attach", true, "--netback-opt" },
        { "network-detach", true, NULL },
        { "network-list", false, NULL },
    };
    size_t i = 0;
    while (strcmp(argv[0], cmds[i].name))
        i++;
    char cmd[64];
    snprintf(cmd, sizeof cmd, "splitbed %s", cmds[i].name);
    struct hp h = { .cmd = cmd };
    int r = parse(&h, argc, argv, cmds[i].takes_arg, cmds[i].opt);
    if (r != 0)
        return r > 0 ? EXIT_OK : EXIT_USAGE;
    switch (i) {
    case 0: return block_attach(&h);
    case 1: return detach(&h, true);
    case 2: return list(&h, true);
    case 3: return network_attach(&h);
    case 4: return detach(&h, false);
    default: return list(&h, false);
    }
}

bool cli_is_hotplug(const char *name)
{
    return !strcmp(name, "block-attach") || !strcmp(name, "block-detach") ||
           !strcmp(name, "block-list") || !strcmp(name, "network-attach") ||
           !strcmp(name, "network-detach") || !strcmp(name, "network-list");
}
