/*
 * splitbed-guest-init — what a Linux guest's kernel and init do for the
 * toolstack, for one guest app: the first process of a domain that
 * `splitbed run` starts.
 *
 * As Linux's Xen shutdown watcher does, it writes control/feature-poweroff
 * and control/feature-reboot, watches control/shutdown, acknowledges a
 * request it knows (poweroff, halt, reboot) by clearing the node in the
 * transaction that read it, and ignores any other with one line.  Then,
 * as an init system stopping a Linux guest does, it sends SIGTERM to its
 * children (the app, and orphans it adopted as the domain's child
 * subreaper), gives them --stop-timeout seconds, sends SIGKILL to those
 * left, and asks Xen to shut the domain down (SCHEDOP_shutdown, reason
 * poweroff or reboot) for the toolstack to see, as the guest kernel does
 * at the end of its power-off.  The hypervisor then stops the domain for
 * good; the toolstack destroys it.
 *
 * An app that watches control/shutdown itself (an os.h app in the Linux
 * home says so with SIGUSR1 to the init that SPLITBED_GUEST_INIT names)
 * handles power requests as a unikernel does: init leaves them to it,
 * and once it has exited acknowledges the request still there and shuts
 * the domain down with its reason, as a unikernel's exit does.
 *
 * With --start-fd N it does nothing until a line comes on N: the
 * toolstack starts it while the domain is still being built, so that
 * loading it costs no time after, and lets it go once the domain is
 * there.  When N ends without a line the run was given up: init exits
 * with 1 and no app started.
 *
 * With --wait-device TYPE/ID (repeatable) the app starts only once the
 * toolstack has given the domain that device (its frontend directory's
 * backend node exists), as a guest's init waits for a disk to appear.
 *
 * When the app exits by itself the domain stays up; init exits with the
 * app's status (128+N for a signal).  The app's wait status and the
 * shutdown reason (-1: none) also go to --status-fd as one line, before
 * the shutdown hypercall, since init never returns from it.  SIGTERM, SIGINT and SIGHUP sent to init go to the app.
 */
#include "backends-sim/procdom/procdom.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xencall.h>
#include <xenstore.h>

#include "xen_public.h" /* the current hypercall numbers, before <xen/sched.h> */
#include <xen/sched.h>

#define CONTROL "control/shutdown"

static bool quiet;
static unsigned domid;

/* One informational line (dropped with -q). */
__attribute__((format(printf, 1, 2))) static void say(const char *fmt, ...)
{
    if (quiet)
        return;
    char line[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "[guest] d%u: %s\n", domid, line);
}

/* The shutdown requests Linux's watcher knows; suspend is not offered
 * (a simulated domain cannot be saved), so it is not acknowledged. */
static int request_reason(const char *req)
{
    if (!strcmp(req, "poweroff") || !strcmp(req, "halt"))
        return SHUTDOWN_poweroff;
    if (!strcmp(req, "reboot"))
        return SHUTDOWN_reboot;
    return -1;
}

/* Reads control/shutdown and clears it if it names a request we honour,
 * in one transaction (retried on conflict, up to a point: a xenstore
 * that always conflicts must not hold init).  Returns the reason, or -1. */
static int take_request(struct xs_handle *xs)
{
    unsigned len = 0;
    char *now = xs_read(xs, XBT_NULL, CONTROL, &len);
    bool empty = !now || !*now;
    free(now);
    if (empty)
        return -1; /* the watch's first firing, or our own clearing */
    for (int attempt = 0;; attempt++) {
        if (attempt == 64) {
            fprintf(stderr, "[guest] d%u: shutdown request not acknowledged: xenstore conflicts\n",
                    domid);
            return -1;
        }
        xs_transaction_t t = xs_transaction_start(xs);
        if (t == XBT_NULL)
            return -1;
        char *v = xs_read(xs, t, CONTROL, &len);
        int reason = v && *v ? request_reason(v) : -1;
        if (reason >= 0)
            xs_write(xs, t, CONTROL, "", 0);
        if (!xs_transaction_end(xs, t, false)) {
            free(v);
            if (errno == EAGAIN)
                continue;
            return -1;
        }
        if (v && *v && reason < 0)
            say("ignoring shutdown request %s", v);
        else if (reason >= 0)
            say("shutdown request %s acknowledged; stopping the app", v);
        free(v);
        return reason;
    }
}

/* Signals every child of ours (the app and the orphans we adopted). */
static void signal_children(int sig)
{
    DIR *proc = opendir("/proc");
    if (!proc)
        return;
    pid_t self = getpid();
    for (struct dirent *e; (e = readdir(proc));) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (*end || pid <= 1)
            continue;
        char path[64], buf[512];
        snprintf(path, sizeof path, "/proc/%ld/stat", pid);
        FILE *f = fopen(path, "re");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = 0;
        const char *p = strrchr(buf, ')');
        int ppid = 0;
        if (p && sscanf(p + 2, "%*c %d", &ppid) == 1 && ppid == self)
            kill((pid_t)pid, sig);
    }
    closedir(proc);
}

/* SCHEDOP_shutdown with reason: does not return when it works. */
static void shut_down(unsigned reason)
{
    xencall_handle *xc = xencall_open(NULL, 0);
    struct sched_shutdown *s = xc ? xencall_alloc_buffer(xc, sizeof *s) : NULL;
    if (!s) {
        fprintf(stderr, "[guest] d%u: cannot ask for shutdown: %s\n", domid, strerror(errno));
        return;
    }
    s->reason = reason;
    if (xencall2(xc, __HYPERVISOR_sched_op, SCHEDOP_shutdown, (uint64_t)(uintptr_t)s) < 0)
        fprintf(stderr, "[guest] d%u: SCHEDOP_shutdown refused: %s\n", domid, strerror(errno));
    else
        pause(); /* the hypervisor stops us before this returns */
}

static long ms_left(const struct timespec *deadline)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ms =
        (deadline->tv_sec - now.tv_sec) * 1000LL + (deadline->tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : (long)ms;
}

static const char usage[] = "usage: splitbed-guest-init [-q] [--status-fd N] [--start-fd N] "
                            "[--stop-timeout S] [--wait-device TYPE/ID]... -- APP [ARGS]\n";

#define MAX_WAIT 8

/* Waits until every device in paths (device/TYPE/ID/backend) exists.
 * 0 then; 128+N when signal N (SIGTERM, SIGINT, SIGHUP) came first; 1
 * when xenstore failed. */
static int wait_devices(int sfd, char paths[][64], unsigned n)
{
    struct xs_handle *xs = xs_open(0);
    if (!xs) {
        fprintf(stderr, "[guest] d%u: cannot wait for devices: xenstore: %s\n", domid,
                strerror(errno));
        return 1;
    }
    for (unsigned i = 0; i < n; i++)
        if (!xs_watch(xs, paths[i], "device")) {
            fprintf(stderr, "[guest] d%u: cannot watch %s: %s\n", domid, paths[i], strerror(errno));
            xs_close(xs);
            return 1;
        }
    int r = 0;
    for (unsigned next = 0; next < n;) {
        unsigned len;
        char *v = xs_read(xs, XBT_NULL, paths[next], &len);
        free(v);
        if (v) {
            next++;
            continue;
        }
        say("waiting for %.*s", (int)(strlen(paths[next]) - strlen("/backend")), paths[next]);
        struct pollfd p[2] = { { .fd = sfd, .events = POLLIN },
                               { .fd = xs_fileno(xs), .events = POLLIN } };
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            r = 1;
            break;
        }
        struct signalfd_siginfo si;
        if ((p[0].revents & POLLIN) && read(sfd, &si, sizeof si) == (ssize_t)sizeof si &&
            si.ssi_signo != SIGCHLD && si.ssi_signo != SIGUSR1) {
            r = 128 + (int)si.ssi_signo;
            break;
        }
        for (char **vec; (vec = xs_check_watch(xs));)
            free(vec);
    }
    xs_close(xs);
    return r;
}

/* Waits for the toolstack's line on start_fd.  0 then; 1 when it ended
 * without one; 128+N when signal N (SIGTERM, SIGINT, SIGHUP) came first. */
static int wait_start(int sfd, int start_fd)
{
    for (;;) {
        struct pollfd p[2] = { { .fd = sfd, .events = POLLIN },
                               { .fd = start_fd, .events = POLLIN } };
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            return 1;
        struct signalfd_siginfo si;
        if ((p[0].revents & POLLIN) && read(sfd, &si, sizeof si) == (ssize_t)sizeof si &&
            si.ssi_signo != SIGCHLD && si.ssi_signo != SIGUSR1)
            return 128 + (int)si.ssi_signo;
        if (p[1].revents) {
            char line[16];
            ssize_t n = read(start_fd, line, sizeof line);
            if (n < 0 && errno == EINTR)
                continue;
            close(start_fd);
            return n > 0 ? 0 : 1;
        }
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = { { "status-fd", required_argument, NULL, 's' },
                                          { "stop-timeout", required_argument, NULL, 't' },
                                          { "quiet", no_argument, NULL, 'q' },
                                          { "wait-device", required_argument, NULL, 'w' },
                                          { "start-fd", required_argument, NULL, 'g' },
                                          { 0, 0, 0, 0 } };
    char waits[MAX_WAIT][64];
    unsigned nwaits = 0;
    int status_fd = -1, start_fd = -1;
    unsigned stop_s = 10;
    int c;
    while ((c = getopt_long(argc, argv, "+q", opts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 's':
            status_fd = (int)strtol(optarg, &end, 10);
            if (*end || status_fd < 0) {
                fprintf(stderr, "splitbed-guest-init: --status-fd %s: not a descriptor\n", optarg);
                return 2;
            }
            break;
        case 'g':
            start_fd = (int)strtol(optarg, &end, 10);
            if (*end || start_fd < 0) {
                fprintf(stderr, "splitbed-guest-init: --start-fd %s: not a descriptor\n", optarg);
                return 2;
            }
            break;
        case 't': {
            unsigned long v = strtoul(optarg, &end, 10);
            if (!*optarg || *end || v > 86400) {
                fprintf(stderr, "splitbed-guest-init: --stop-timeout %s: expected seconds\n",
                        optarg);
                return 2;
            }
            stop_s = (unsigned)v;
            break;
        }
        case 'q': quiet = true; break;
        case 'w': {
            unsigned long id;
            char type[8];
            int used = 0;
            if (nwaits == MAX_WAIT || sscanf(optarg, "%7[a-z]/%lu%n", type, &id, &used) != 2 ||
                optarg[used] || (strcmp(type, "vbd") && strcmp(type, "vif"))) {
                fprintf(stderr, "splitbed-guest-init: --wait-device %s: expected vbd/N or vif/N\n",
                        optarg);
                return 2;
            }
            snprintf(waits[nwaits++], sizeof waits[0], "device/%s/%lu/backend", type, id);
            break;
        }
        default: fputs(usage, stderr); return 2;
        }
    }
    if (optind >= argc) {
        fputs(usage, stderr);
        return 2;
    }
    const char *d = getenv("SPLITBED_DOMID");
    domid = d ? (unsigned)strtoul(d, NULL, 10) : 0;

    procdom_adopt_orphans();
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, &old);
    int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) {
        perror("splitbed-guest-init: signalfd");
        return 1;
    }
    if (start_fd >= 0) {
        int w = wait_start(sfd, start_fd);
        if (w)
            return w;
    }
    if (nwaits) {
        int w = wait_devices(sfd, waits, nwaits);
        if (w)
            return w;
    }
    pid_t self = getpid();
    pid_t app = fork();
    if (app < 0) {
        perror("splitbed-guest-init: fork");
        return 1;
    }
    if (app == 0) {
        /* Gone with init: a toolstack that kills init ends the app. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != self)
            _exit(137);
        sigprocmask(SIG_SETMASK, &old, NULL);
        if (status_fd >= 0)
            close(status_fd);
        char me[16];
        snprintf(me, sizeof me, "%d", (int)self);
        setenv("SPLITBED_GUEST_INIT", me, 1);
        execv(argv[optind], argv + optind);
        fprintf(stderr, "splitbed-guest-init: cannot run %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }

    /* Without xenstore the app still runs; only shutdown requests go
     * unanswered. */
    struct xs_handle *xs = xs_open(0);
    if (xs && (!xs_write(xs, XBT_NULL, "control/feature-poweroff", "1", 1) ||
               !xs_write(xs, XBT_NULL, "control/feature-reboot", "1", 1) ||
               !xs_watch(xs, CONTROL, "shutdown"))) {
        fprintf(stderr, "[guest] d%u: control/shutdown not watched: %s\n", domid, strerror(errno));
        xs_close(xs);
        xs = NULL;
    }

    int reason = -1;          /* a shutdown under way, its SHUTDOWN_* */
    int app_ws = -1;          /* the app's wait status, once reaped */
    bool killed = false;      /* the stop timeout ran out */
    bool app_handles = false; /* the app watches control/shutdown itself */
    struct timespec deadline = { 0, 0 };
    for (;;) {
        struct pollfd p[2] = { { .fd = sfd, .events = POLLIN },
                               { .fd = xs ? xs_fileno(xs) : -1, .events = POLLIN } };
        long wait = reason >= 0 && !killed ? ms_left(&deadline) : -1;
        int n = poll(p, 2, (int)wait);
        if (n < 0 && errno != EINTR)
            break;
        if (n == 0 && reason >= 0 && !killed) {
            say("app still running %u s after SIGTERM: SIGKILL", stop_s);
            signal_children(SIGKILL);
            killed = true;
        }
        if (p[0].revents & POLLIN) {
            struct signalfd_siginfo si;
            while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
                if (si.ssi_signo == SIGUSR1)
                    app_handles |= (pid_t)si.ssi_pid == app;
                else if (si.ssi_signo != SIGCHLD && app_ws < 0)
                    kill(app, (int)si.ssi_signo);
            }
            int ws;
            pid_t w;
            while ((w = waitpid(-1, &ws, WNOHANG)) > 0)
                if (w == app)
                    app_ws = ws;
            bool none_left = w < 0 && errno == ECHILD;
            /* Orphans of a killed child are ours now: they go too. */
            if (killed && !none_left)
                signal_children(SIGKILL);
            if (app_ws >= 0 && reason < 0 && app_handles && xs)
                reason = take_request(xs); /* the app's own power-off */
            if (app_ws >= 0 && (reason < 0 || none_left || app_handles))
                break;
        }
        if (xs && (p[1].revents & POLLIN)) {
            for (char **vec; (vec = xs_check_watch(xs));)
                free(vec);
            if (reason < 0 && app_ws < 0 && !app_handles) {
                reason = take_request(xs);
                if (reason >= 0) {
                    clock_gettime(CLOCK_MONOTONIC, &deadline);
                    deadline.tv_sec += stop_s;
                    signal_children(SIGTERM);
                }
            }
        }
    }
    if (status_fd >= 0) {
        char line[32];
        int len = snprintf(line, sizeof line, "%d %d\n", app_ws, reason);
        if (write(status_fd, line, (size_t)len) != len)
            fprintf(stderr, "splitbed-guest-init: status not reported: %s\n", strerror(errno));
        close(status_fd);
    }
    if (reason >= 0) {
        say("app stopped; shutting the domain down (reason %d)", reason);
        shut_down((unsigned)reason);
    }
    if (xs)
        xs_close(xs);
    if (app_ws < 0)
        return 1;
    return WIFEXITED(app_ws) ? WEXITSTATUS(app_ws) : 128 + WTERMSIG(app_ws);
}
