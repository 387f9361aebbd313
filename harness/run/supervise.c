/*
 * supervise.c — a run while its app runs: waits for the app (the guest
 * init's report of it), for a --timeout or a signal, restarts a backend
 * that crashed on purpose and ends the run when one dies otherwise,
 * destroys or pauses the domain when blkback reports the fault due, and
 * notes a guest's shutdown request and whether it was a reboot.
 */
#include "run.h"

#include "harness/toolstack.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "xen_public.h" /* before <xen/sched.h> */
#include <xen/sched.h>

volatile sig_atomic_t run_interrupted;

static void on_signal(int sig)
{
    run_interrupted = sig;
}

void run_catch_signals(void)
{
    struct sigaction sa = { .sa_handler = on_signal };
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

/* The init's line "WAITSTATUS REASON" (reason -1: the app ended by
 * itself).  False when there is none (the init was killed). */
static bool read_app_status(struct run *r, int *ws, int *reason)
{
    if (r->status_fd < 0)
        return false;
    char line[64];
    ssize_t n = read(r->status_fd, line, sizeof line - 1);
    close(r->status_fd);
    r->status_fd = -1;
    if (n <= 0)
        return false;
    line[n] = '\0';
    return sscanf(line, "%d %d", ws, reason) == 2 && *ws >= 0;
}

static int pidfd_of(pid_t pid)
{
    return pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;
}

static int exit_status_of(int ws)
{
    if (WIFEXITED(ws))
        return WEXITSTATUS(ws);
    return 128 + WTERMSIG(ws);
}

/* Debian's xl in dom0 on the run's domain (cli_xl), quietly. */
static int run_xl(struct run *r, const char *action)
{
    return cli_xl(r->dir, action, r->domid, true);
}

/* blkback's report that the domain-destroy or domain-pause fault is due.
 * Destroy: the guest's domain goes mid-I/O as `xl destroy` takes it (its
 * processes killed, its nodes and devices removed, its hypervisor state
 * released); the backends see their frontend go.  Returns true then (the
 * run ends).  Pause: `xl pause`, and `xl unpause` for-ms later. */
static bool report_fault(struct run *r, int fd)
{
    char line[64];
    ssize_t n = read(fd, line, sizeof line - 1);
    close(fd);
    if (n <= 0 || !r->on_report)
        return false;
    line[n] = '\0';
    line[strcspn(line, "\n")] = '\0';
    if (r->on_report->kind == FAULT_DOMAIN_PAUSE) {
        fprintf(stderr, "splitbed run: fault: pausing domain %u for %u ms (blkback %s requests)\n",
                r->domid, r->on_report->delay_ms, line);
        if (run_xl(r, "pause") != 0) {
            fprintf(stderr, "splitbed run: fault: xl pause %u failed\n", r->domid);
            return false;
        }
        clock_gettime(CLOCK_MONOTONIC, &r->unpause_at);
        r->unpause_at.tv_sec += r->on_report->delay_ms / 1000;
        r->unpause_at.tv_nsec += (long)(r->on_report->delay_ms % 1000) * 1000000;
        if (r->unpause_at.tv_nsec >= 1000000000) {
            r->unpause_at.tv_sec++;
            r->unpause_at.tv_nsec -= 1000000000;
        }
        r->paused = true;
        return false;
    }
    fprintf(stderr, "splitbed run: fault: destroying domain %u (blkback %s requests)\n", r->domid,
            line);
    kill(r->app, SIGKILL);
    waitpid(r->app, NULL, 0);
    r->app = 0;
    struct toolstack *ts = toolstack_open(r->dir);
    if (ts) {
        toolstack_domain_destroy(ts, r->domid);
        toolstack_close(ts);
    }
    r->created_domain = false;
    return true;
}

/* The pause fault's time is up: unpause.  Else how long until it is. */
static int pause_left_ms(struct run *r)
{
    if (!r->paused)
        return -1;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long left = (r->unpause_at.tv_sec - now.tv_sec) * 1000LL +
                     (r->unpause_at.tv_nsec - now.tv_nsec) / 1000000;
    if (left > 0)
        return (int)left;
    r->paused = false;
    fprintf(stderr, "splitbed run: fault: unpausing domain %u\n", r->domid);
    if (run_xl(r, "unpause") != 0)
        fprintf(stderr, "splitbed run: fault: xl unpause %u failed\n", r->domid);
    return -1;
}

/* Waits for the app; a backend that dies first is reported and ends the
 * run (a frontend would otherwise wait for it forever). */
int run_supervise(struct run *r)
{
    struct pollfd p[5] = { { .fd = pidfd_of(r->app), .events = POLLIN },
                           { .fd = pidfd_of(r->blkback), .events = POLLIN },
                           { .fd = pidfd_of(r->netback), .events = POLLIN },
                           { .fd = r->report_fd, .events = POLLIN },
                           { .fd = r->status_fd, .events = POLLIN } };
    const char *names[3] = { "app", "splitbed-blkback", "splitbed-netback" };
    pid_t pids[3] = { r->app, r->blkback, r->netback };
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    int status = EXIT_FAIL;
    for (;;) {
        int wait_ms = -1;
        if (r->timeout_s) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long left =
                (long long)r->timeout_s * 1000 -
                ((now.tv_sec - start.tv_sec) * 1000LL + (now.tv_nsec - start.tv_nsec) / 1000000);
            if (left <= 0) {
                fprintf(stderr, "splitbed run: app did not finish within %u s, stopping it\n",
                        r->timeout_s);
                kill(r->app, SIGKILL);
                waitpid(r->app, NULL, 0);
                r->app = 0;
                break;
            }
            wait_ms = (int)(left > 1000 ? 1000 : left);
        }
        int pause_ms = pause_left_ms(r);
        if (pause_ms >= 0 && (wait_ms < 0 || pause_ms < wait_ms))
            wait_ms = pause_ms;
        int n = poll(p, 5, wait_ms);
        if (run_interrupted) {
            kill(r->app, SIGTERM);
            waitpid(r->app, NULL, 0);
            r->app = 0;
            status = 128 + run_interrupted;
            break;
        }
        if (n < 0 && errno != EINTR)
            break;
        if (n <= 0)
            continue;
        if (p[0].revents || (p[4].fd >= 0 && p[4].revents)) {
            int ws, reason = -1;
            bool reported = read_app_status(r, &ws, &reason);
            p[4].fd = -1;
            /* After a shutdown request the init asks the hypervisor to
             * shut the domain down, which stops it for good once the
             * state is recorded: the teardown may then destroy it. */
            int iws = 0;
            pid_t w = waitpid(r->app, &iws, reported && reason >= 0 ? WUNTRACED : 0);
            if (w == r->app && WIFSTOPPED(iws)) {
                fprintf(stderr, "splitbed run: domain %u shut down on request (%s)\n", r->domid,
                        reason == SHUTDOWN_reboot ? "reboot" : "poweroff");
                r->rebooted = reason == SHUTDOWN_reboot;
            } else {
                r->app = 0;
            }
            if (!reported)
                ws = iws;
            status = exit_status_of(ws);
            if (WIFSIGNALED(ws))
                fprintf(stderr, "splitbed run: app killed by signal %d\n", WTERMSIG(ws));
            break;
        }
        if (p[3].fd >= 0 && p[3].revents) {
            if (report_fault(r, p[3].fd)) {
                p[3].fd = -1;
                status = EXIT_FAIL;
                break;
            }
            p[3].fd = -1;
        }
        for (int i = 1; i < 3; i++) {
            if (p[i].fd >= 0 && p[i].revents) {
                int ws;
                waitpid(pids[i], &ws, 0);
                if (i == 1)
                    r->blkback = 0;
                else
                    r->netback = 0;
                close(p[i].fd);
                p[i].fd = -1;
                bool *restart = i == 1 ? &r->restart_blkback : &r->restart_netback;
                if (WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL && *restart) {
                    /* The crash fault: as a driver domain's toolstack
                     * would, start the backend again; the frontend
                     * reconnects to it. */
                    fprintf(stderr, "splitbed run: fault: %s crashed as asked; starting it again\n",
                            names[i]);
                    *restart = false;
                    pid_t again =
                        i == 1 ? run_start_blkback(r, r->restart_opts, r->nrestart_opts)
                               : run_start_netback(r, r->restart_net_opts, r->nrestart_net_opts);
                    if (again < 0) {
                        kill(r->app, SIGKILL);
                        waitpid(r->app, NULL, 0);
                        r->app = 0;
                        return EXIT_FAIL;
                    }
                    *(i == 1 ? &r->blkback : &r->netback) = again;
                    pids[i] = again;
                    p[i].fd = pidfd_of(again);
                    continue;
                }
                /* A netback whose input ended moves the device to Closing
                 * and the app finishes by itself. */
                if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
                    continue;
                fprintf(stderr,
                        "splitbed run: %s exited with status %d while the app was running\n",
                        names[i], exit_status_of(ws));
                kill(r->app, SIGKILL);
                waitpid(r->app, NULL, 0);
                r->app = 0;
                return EXIT_FAIL;
            }
        }
    }
    for (int i = 0; i < 3; i++)
        if (p[i].fd >= 0)
            close(p[i].fd);
    if (p[3].fd >= 0)
        close(p[3].fd);
    /* The app may end before the pause fault's time is up (it paused
     * after the app's last request): the domain is unpaused all the
     * same. */
    if (r->paused) {
        r->unpause_at = (struct timespec){ 0, 0 };
        pause_left_ms(r);
    }
    r->report_fd = -1;
    return status;
}
