/*
 * spawn.c — the processes a run starts: splitbed-blkback and
 * splitbed-netback in dom0 for the run's own devices (and each first
 * with --check, to try the user's knobs), and the domain's first
 * process, splitbed-guest-init, which starts the app once run_app_go
 * says the domain is there.  Only the app writes to our stdout.
 */
#include "run.h"

#include "harness/layout.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Starts argv[0] (a full path) with env; its stdout joins our stderr
 * when stdout_to_stderr, so only the app writes to our stdout.  Through
 * posix_spawn, which shares our memory with the child until it executes
 * instead of copying our page tables as fork does. */
static pid_t spawn(char *const argv[], char **env, bool stdout_to_stderr, bool stdin_too)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    /* A teardown may signal the child at once (an app that fails in a
     * millisecond).  The child takes our SIGINT and SIGTERM as their
     * default actions before it runs anything of its own, so one sent
     * early ends it rather than running our handler there and being
     * lost, which would leave a backend that never stops. */
    sigset_t dfl;
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    int e = posix_spawnattr_setsigdefault(&attr, &dfl);
    if (!e)
        e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    if (!e && stdout_to_stderr)
        e = posix_spawn_file_actions_adddup2(&fa, 2, 1);
    if (!e && !stdin_too)
        e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    pid_t pid = -1;
    if (!e)
        e = posix_spawn(&pid, argv[0], &fa, &attr, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (e) {
        fprintf(stderr, "splitbed run: cannot run %s: %s\n", argv[0], strerror(e));
        return -1;
    }
    return pid;
}

/* A backend's argv: its path (in prog, which the caller keeps), then
 * --opt and each of opts, with room for `more` arguments after them and
 * the closing NULL; *k is the first free slot.  NULL after a message
 * when the backend is not installed, or when memory runs out. */
static char **backend_argv(char *prog, size_t size, const char *name, const char *const *opts,
                           unsigned nopts, unsigned more, unsigned *k)
{
    if (!layout_path(prog, size, "libexec/splitbed", name) || access(prog, X_OK) != 0) {
        fprintf(stderr, "splitbed run: backend %s not found in %s/libexec/splitbed\n", name,
                layout_prefix());
        return NULL;
    }
    char **argv = calloc(2 * (size_t)nopts + more + 2, sizeof *argv);
    if (!argv)
        return NULL;
    *k = 0;
    argv[(*k)++] = prog;
    for (unsigned i = 0; i < nopts; i++) {
        argv[(*k)++] = "--opt";
        argv[(*k)++] = (char *)opts[i];
    }
    return argv;
}

/* Asks a backend whether it takes these options (its --check): on a
 * refusal, one line naming the option as the user gave it. */
int run_check_backend_opts(const char *name, const char *flag, const char *const *opts,
                           unsigned nopts)
{
    if (!nopts)
        return 0;
    char prog[4096];
    unsigned k;
    char **argv = backend_argv(prog, sizeof prog, name, opts, nopts, 1, &k);
    int pfd[2];
    if (!argv || pipe2(pfd, O_CLOEXEC) != 0) {
        free(argv);
        return -1;
    }
    argv[k++] = "--check";
    pid_t pid = fork();
    if (pid == 0) {
        dup2(pfd[1], 2);
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(null, 1);
        execv(prog, argv);
        _exit(127);
    }
    free(argv);
    close(pfd[1]);
    char line[512];
    size_t len = 0;
    ssize_t n;
    while (len < sizeof line - 1 && (n = read(pfd[0], line + len, sizeof line - 1 - len)) > 0)
        len += (size_t)n;
    line[len] = '\0';
    close(pfd[0]);
    int ws = 0;
    if (pid < 0 || waitpid(pid, &ws, 0) < 0)
        return -1;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0)
        return 0;
    line[strcspn(line, "\n")] = '\0';
    /* "splitbed-blkback: --opt K=V: why" names our flag instead. */
    const char *why = line;
    const char *opt = strstr(line, "--opt ");
    if (opt)
        fprintf(stderr, "splitbed run: %s %s\n", flag, opt + strlen("--opt "));
    else
        fprintf(stderr, "splitbed run: %s: %s\n", flag, *why ? why : "refused");
    return -1;
}

static pid_t start_backend(struct run *r, const char *name, const char *const *opts, unsigned nopts,
                           const char *const *extra, unsigned nextra, bool takes_stdin)
{
    char prog[4096];
    unsigned k;
    char **argv = backend_argv(prog, sizeof prog, name, opts, nopts, nextra + 1, &k);
    if (!argv)
        return -1;
    for (unsigned i = 0; i < nextra; i++)
        argv[k++] = (char *)extra[i];
    if (r->quiet)
        argv[k++] = "--quiet";
    char **env = cli_guest_env(r->dir, 0);
    /* A stdio vif is the host's stdin and stdout; other backends only
     * talk on stderr, so the app's output stays alone on stdout. */
    pid_t pid = env ? spawn(argv, env, !takes_stdin, takes_stdin) : -1;
    cli_guest_env_free(env);
    free(argv);
    return pid;
}

/* blkback for this run's disks; with a domain-destroy fault, its
 * reports come on a pipe whose read end is r->report_fd. */
pid_t run_start_blkback(struct run *r, const char *const *opts, unsigned nopts)
{
    const char *extra[2 * MAX_DEVS + 2];
    unsigned nextra = 0;
    for (unsigned i = 0; i < r->ndisks; i++) {
        snprintf(r->device_args[i], sizeof r->device_args[i], "%u/%u", r->domid, r->disks[i].devid);
        extra[nextra++] = "--device";
        extra[nextra++] = r->device_args[i];
    }
    bool reports = false;
    for (unsigned i = 0; i < r->nfaults; i++)
        if (r->faults[i].kind == FAULT_DOMAIN_DESTROY || r->faults[i].kind == FAULT_DOMAIN_PAUSE) {
            reports = true;
            r->on_report = &r->faults[i];
        }
    int pfd[2] = { -1, -1 };
    char fdarg[16];
    if (reports && r->report_fd < 0) {
        if (pipe2(pfd, O_CLOEXEC) != 0) {
            perror("splitbed run: pipe");
            return -1;
        }
        /* Only blkback gets the write end: without CLOEXEC while it
         * starts, with it again before anything else does. */
        fcntl(pfd[1], F_SETFD, 0);
        snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
        extra[nextra++] = "--report-fd";
        extra[nextra++] = fdarg;
    }
    pid_t pid = start_backend(r, "splitbed-blkback", opts, nopts, extra, nextra, false);
    if (pfd[1] >= 0) {
        close(pfd[1]);
        r->report_fd = pfd[0];
    }
    return pid;
}

/* The domain's first process: splitbed-guest-init, which answers the
 * toolstack's shutdown requests as a Linux guest does and runs the app
 * (app, then nargs args) below it.  Its report of the app's end comes on
 * r->status_fd.  It is started while the simulator and the domain are
 * being set up, so that its loading overlaps theirs, and waits for
 * run_app_go. */
pid_t run_spawn_app(struct run *r, char *app, int nargs, char **args, char **env, bool stdin_too)
{
    char init[4096];
    if (!layout_path(init, sizeof init, "libexec/splitbed", "splitbed-guest-init") ||
        access(init, X_OK) != 0) {
        fprintf(stderr, "splitbed run: splitbed-guest-init not found in %s/libexec/splitbed\n",
                layout_prefix());
        return -1;
    }
    char **argv = calloc((size_t)nargs + 14 + 2 * r->nwaits, sizeof *argv);
    int pfd[2], go[2] = { -1, -1 };
    if (!argv || pipe2(pfd, O_CLOEXEC) != 0) {
        free(argv);
        perror("splitbed run: pipe");
        return -1;
    }
    if (pipe2(go, O_CLOEXEC) != 0) {
        perror("splitbed run: pipe");
        free(argv);
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    char fdarg[16], gofd[16], stop[16];
    snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
    snprintf(gofd, sizeof gofd, "%d", go[0]);
    snprintf(stop, sizeof stop, "%u", r->stop_timeout_s);
    unsigned k = 0;
    argv[k++] = init;
    argv[k++] = "--status-fd";
    argv[k++] = fdarg;
    argv[k++] = "--start-fd";
    argv[k++] = gofd;
    argv[k++] = "--stop-timeout";
    argv[k++] = stop;
    if (r->quiet)
        argv[k++] = "-q";
    for (unsigned i = 0; i < r->nwaits; i++) {
        argv[k++] = "--wait-device";
        argv[k++] = r->waits[i];
    }
    argv[k++] = "--";
    argv[k++] = app;
    /* The frontends' Linux OS layer takes -q right after the app name
     * and drops informational lines. */
    if (r->quiet)
        argv[k++] = "-q";
    for (int i = 0; i < nargs; i++)
        argv[k++] = args[i];
    /* Only the init gets the status pipe's write end and the go pipe's
     * read end: without CLOEXEC while it starts, closed here before
     * anything else starts. */
    fcntl(pfd[1], F_SETFD, 0);
    fcntl(go[0], F_SETFD, 0);
    /* With a stdio vif, the host's stdin belongs to netback and the
     * guest's output to our stdout. */
    pid_t pid = spawn(argv, env, false, stdin_too);
    close(pfd[1]);
    close(go[0]);
    free(argv);
    if (pid < 0) {
        close(pfd[0]);
        close(go[1]);
    } else {
        r->status_fd = pfd[0];
        r->start_fd = go[1];
    }
    return pid;
}

/* Lets the waiting init start the app: the domain and its devices are
 * there.  0, or -1 when the init is gone. */
int run_app_go(struct run *r)
{
    ssize_t n = write(r->start_fd, "go\n", 3);
    close(r->start_fd);
    r->start_fd = -1;
    return n == 3 ? 0 : -1;
}

/* netback for this run's vifs. */
pid_t run_start_netback(struct run *r, const char *const *opts, unsigned nopts)
{
    return start_backend(r, "splitbed-netback", opts, nopts, r->netback_extra, r->nnetback_extra,
                         r->stdin_to_netback);
}
