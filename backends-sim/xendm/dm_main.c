/*
 * dm_main.c — splitbed-xen-dm: takes QEMU's device-model role for a PV or
 * PVH guest on a real Xen host, so that splitbed-blkback serves the
 * guest's `backendtype=qdisk` disks, and splitbed-netback its vifs where
 * Linux's netback is not loaded (dm_vifs.h).
 *
 * xl.cfg's `device_model_override` names this program; libxl then starts
 * it for the guest (libxl__spawn_local_dm) after writing the disks'
 * backend/qdisk nodes, waits for device-model/DOMID/state = "running" in
 * xenstore, asks its QMP monitor a question or two, and on destroy sends
 * SIGHUP to the pid it recorded.  This program: opens the QMP monitors
 * libxl named, starts splitbed-blkback (from its own directory) for every
 * qdisk of that guest, says "running" once the backend watches, and stops
 * the backend when told to go.  A backend that dies is started again (it
 * reconnects its frontends, see backends-sim/blkback/README.md).
 */
#include "backends-sim/xendm/dm_args.h"
#include "backends-sim/xendm/dm_qmp.h"
#include "backends-sim/xendm/dm_vifs.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#define PROG "splitbed-xen-dm"
/* Crashes of the backend in a row after which it is left dead. */
#define MAX_RESTARTS 10

static void log_line(const char *line)
{
    char buf[600];
    int n = snprintf(buf, sizeof(buf), "%s\n", line);
    if (n > (int)sizeof(buf) - 1)
        n = (int)sizeof(buf) - 1;
    if (write(STDERR_FILENO, buf, (size_t)n) < 0) {
        /* the log is all there is */
    }
}

__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log_line(line);
}

static void usage(FILE *f)
{
    fprintf(f, "usage: " PROG " -xen-domid N [-chardev socket,id=ID,path=P,server=on,wait=off\n"
               "       -mon chardev=ID,mode=control]... [-splitbed-blkback-opt KEY=VALUE]...\n"
               "       [-splitbed-netback-opt KEY=VALUE]... [QEMU options libxl gives, ignored]\n"
               "A device model for libxl (xl.cfg: device_model_override): serves guest N's\n"
               "backendtype=qdisk disks with splitbed-blkback, its vifs with splitbed-netback\n"
               "on TAP devices when Linux's netback is not loaded, and answers libxl's QMP\n"
               "questions.  See docs/real-xen.md.\n");
}

/* PROG's directory/name: the backends are installed beside it. */
static int beside(const char *name, char *out, size_t len)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return -1;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -1;
    *slash = '\0';
    return snprintf(out, len, "%s/%s", self, name) >= (int)len ? -1 : 0;
}

/* Starts the backend; returns its pid once it watches, or -1 (the line
 * saying why is printed). */
static pid_t start_blkback(const char *path, const struct dm_args *a, unsigned self)
{
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) {
        say(PROG ": dom%ld: pipe: %s", a->domid, strerror(errno));
        return -1;
    }
    char front[16], dom[16], fd[16];
    snprintf(front, sizeof(front), "%ld", a->domid);
    snprintf(dom, sizeof(dom), "%u", self);
    snprintf(fd, sizeof(fd), "%d", 3);
    const char *argv[16 + 2 * DM_MAX_OPTS];
    unsigned n = 0;
    argv[n++] = path;
    argv[n++] = "--kind";
    argv[n++] = "qdisk";
    argv[n++] = "--frontend";
    argv[n++] = front;
    argv[n++] = "--domid";
    argv[n++] = dom;
    argv[n++] = "--ready-fd";
    argv[n++] = fd;
    for (unsigned i = 0; i < a->nblkback_opts; i++) {
        argv[n++] = "--opt";
        argv[n++] = a->blkback_opts[i];
    }
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid < 0) {
        say(PROG ": dom%ld: fork: %s", a->domid, strerror(errno));
        close(ready[0]);
        close(ready[1]);
        return -1;
    }
    if (pid == 0) {
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        if (dup2(ready[1], 3) < 0)
            _exit(127);
        execv(path, (char *const *)argv);
        say(PROG ": cannot run %s: %s", path, strerror(errno));
        _exit(127);
    }
    close(ready[1]);
    char buf[8];
    ssize_t r;
    do
        r = read(ready[0], buf, sizeof(buf));
    while (r < 0 && errno == EINTR);
    close(ready[0]);
    if (r <= 0) {
        int st = 0;
        waitpid(pid, &st, 0);
        say(PROG ": dom%ld: splitbed-blkback ended before it was ready (%s %d)", a->domid,
            WIFSIGNALED(st) ? "signal" : "status",
            WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
        return -1;
    }
    return pid;
}

/* Backends of this guest that QEMU would serve and this program does not:
 * one line each, so that a guest waiting on one is explained. */
static void report_unserved(struct xs_handle *xs, unsigned self, long domid)
{
    static const char *const kinds[] = { "vfb", "vkbd", "9pfs", "qusb" };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        char path[128];
        snprintf(path, sizeof(path), "/local/domain/%u/backend/%s/%ld", self, kinds[i], domid);
        unsigned n = 0;
        char **d = xs_directory(xs, XBT_NULL, path, &n);
        if (d && n)
            say(PROG ": dom%ld: backend/%s not served: only qdisk disks are", domid, kinds[i]);
        free(d);
    }
}

static bool write_node(struct xs_handle *xs, const char *path, const char *value)
{
    if (xs_write(xs, XBT_NULL, path, value, strlen(value)))
        return true;
    say(PROG ": cannot write %s: %s", path, strerror(errno));
    return false;
}

int main(int argc, char **argv)
{
    struct dm_args a;
    char err[512];
    int pr = dm_parse_args(argc, argv, &a, err, sizeof(err));
    if (pr == 1) {
        usage(stdout);
        return 0;
    }
    if (pr < 0) {
        fprintf(stderr, PROG ": %s\n", err);
        return 2;
    }
    char bb[PATH_MAX], nb[PATH_MAX];
    if (beside("splitbed-blkback", bb, sizeof(bb)) < 0 || access(bb, X_OK) < 0 ||
        beside("splitbed-netback", nb, sizeof(nb)) < 0 || access(nb, X_OK) < 0) {
        fprintf(stderr, PROG ": splitbed-blkback or splitbed-netback not found beside this "
                             "program\n");
        return 1;
    }

    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGCHLD);
    sigprocmask(SIG_BLOCK, &sigs, NULL);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);

    struct dm_qmp *q = dm_qmp_new(log_line);
    for (unsigned i = 0; q && i < a.nmon; i++) {
        int rc =
            a.mon[i].path ? dm_qmp_listen_path(q, a.mon[i].path) : dm_qmp_listen_fd(q, a.mon[i].fd);
        if (rc < 0) {
            if (a.mon[i].path)
                fprintf(stderr, PROG ": QMP monitor %s at %s: %s\n", a.mon[i].id, a.mon[i].path,
                        strerror(-rc));
            else
                fprintf(stderr, PROG ": QMP monitor %s on fd %d: %s\n", a.mon[i].id, a.mon[i].fd,
                        strerror(-rc));
            dm_qmp_free(q);
            return 1;
        }
    }
    if (!q || sfd < 0) {
        fprintf(stderr, PROG ": out of resources\n");
        return 1;
    }
    dm_qmp_set_running(q, !a.start_stopped);

    struct xs_handle *xs = xs_open(0);
    if (!xs) {
        fprintf(stderr, PROG ": cannot connect to xenstore: %s\n", strerror(errno));
        dm_qmp_free(q);
        return 1;
    }
    unsigned self = 0;
    unsigned len = 0;
    char *me = xs_read(xs, XBT_NULL, "domid", &len);
    if (me)
        self = (unsigned)strtoul(me, NULL, 10);
    free(me);

    say(PROG ": dom%ld%s%s: serving backend/qdisk/%ld of dom%u with %s", a.domid, a.name ? " " : "",
        a.name ? a.name : "", a.domid, self, bb);
    report_unserved(xs, self, a.domid);
    pid_t child = start_blkback(bb, &a, self);
    if (child < 0) {
        xs_close(xs);
        dm_qmp_free(q);
        return 1;
    }
    struct dm_vifs *vifs =
        dm_vifs_new(xs, self, a.domid, nb, a.netback_opts, a.nnetback_opts, log_line);
    if (!vifs) {
        kill(child, SIGTERM);
        waitpid(child, NULL, 0);
        xs_close(xs);
        dm_qmp_free(q);
        return 1;
    }
    char path[128];
    snprintf(path, sizeof(path), "/local/domain/%u/device-model/%ld/backends/qdisk", self, a.domid);
    write_node(xs, path, "");
    /* With -S, QEMU leaves "running" unsaid and libxl asks query-status. */
    snprintf(path, sizeof(path), "/local/domain/%u/device-model/%ld/state", self, a.domid);
    if (!a.start_stopped && !write_node(xs, path, "running")) {
        dm_vifs_free(vifs);
        kill(child, SIGTERM);
        waitpid(child, NULL, 0);
        xs_close(xs);
        dm_qmp_free(q);
        return 1;
    }

    int status = 0;
    unsigned restarts = 0;
    bool going = false;
    while (!going) {
        struct pollfd p[2 + 4 + 16];
        p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
        p[1] = (struct pollfd){ .fd = xs_fileno(xs), .events = POLLIN };
        unsigned n = 2 + dm_qmp_pollfds(q, p + 2, sizeof(p) / sizeof(p[0]) - 2);
        if (poll(p, n, -1) < 0) {
            if (errno == EINTR)
                continue;
            say(PROG ": poll: %s", strerror(errno));
            status = 1;
            break;
        }
        dm_qmp_handle(q, p + 2, n - 2);
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            char **w;
            bool vif_event = false;
            while ((w = xs_check_watch(xs))) {
                vif_event |= !strcmp(w[XS_WATCH_TOKEN], "dm-vifs");
                free(w);
            }
            if (errno != EAGAIN) {
                say(PROG ": dom%ld: xenstore connection lost: %s", a.domid, strerror(errno));
                status = 1;
                going = true;
            } else if (vif_event) {
                dm_vifs_scan(vifs);
            }
        }
        if (dm_qmp_quit(q))
            going = true;
        if (!(p[0].revents & POLLIN))
            continue;
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
            if (si.ssi_signo != SIGCHLD) {
                going = true;
                continue;
            }
            int st;
            pid_t w;
            while ((w = waitpid(-1, &st, WNOHANG)) > 0) {
                if (dm_vifs_reaped(vifs, w, st) || w != child)
                    continue;
                child = -1;
                say(PROG ": dom%ld: splitbed-blkback ended (%s %d)", a.domid,
                    WIFSIGNALED(st) ? "signal" : "status",
                    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
                if (going)
                    break;
                if (++restarts > MAX_RESTARTS) {
                    say(PROG ": dom%ld: splitbed-blkback ended %d times; leaving it", a.domid,
                        MAX_RESTARTS + 1);
                    status = 1;
                    continue;
                }
                child = start_blkback(bb, &a, self);
                if (child > 0)
                    say(PROG ": dom%ld: splitbed-blkback started again", a.domid);
            }
        }
    }
    dm_vifs_free(vifs);
    if (child > 0) {
        kill(child, SIGTERM);
        waitpid(child, NULL, 0);
    }
    say(PROG ": dom%ld: stopped", a.domid);
    xs_close(xs);
    dm_qmp_free(q);
    return status;
}
