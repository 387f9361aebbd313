/*
 * scratch.c — see scratch.h.
 *
 * The cleanup runs in a reaper process forked when the tree is made: it
 * waits for either the runner's word (the fixture's teardown) or the
 * runner's death, then ends the tree's processes and removes the tree.
 * It is in a session of its own, so a signal to the runner's process
 * group (Check forwards SIGTERM and SIGINT that way) does not reach it.
 */
#include "tests/lib/scratch.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/runproc.h"

const char *scratch_prefix = "splitbed-test";
static char base[160];
static pid_t runner = -1; /* the process that made the tree */
static pid_t reaper = -1;
static int reaper_cmd = -1; /* write end: one byte means "clean up now" */
static char *saved_tmpdir;  /* TMPDIR before the tree (NULL: unset) */

/* Does the NUL-separated file /proc/PID/WHAT name the tree? */
static int names_base(const char *pid, const char *what)
{
    char path[64];
    static char buf[1 << 16];
    snprintf(path, sizeof path, "/proc/%s/%s", pid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    for (ssize_t i = 0; i < n; i++)
        if (!buf[i])
            buf[i] = '\n';
    return strstr(buf, base) != NULL;
}

static long long now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

#define MAX_STRAYS 256

/* Ends what was run from the tree, except `spare`: SIGTERM first, so
 * that a process that cleans up after itself (splitbed run's own state
 * folder) can, SIGKILL to what is left after a grace period; returns
 * once all are gone.  Returns how many it found. */
static int kill_strays(pid_t spare)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    int pfd[MAX_STRAYS], n = 0;
    pid_t pid[MAX_STRAYS];
    struct dirent *e;
    while ((e = readdir(d)) && n < MAX_STRAYS) {
        if (e->d_name[0] < '1' || e->d_name[0] > '9')
            continue;
        pid_t p = (pid_t)atoi(e->d_name);
        if (p == getpid() || p == spare)
            continue;
        if (names_base(e->d_name, "cmdline") || names_base(e->d_name, "environ")) {
            pid[n] = p;
            pfd[n] = (int)syscall(SYS_pidfd_open, p, 0);
            kill(p, SIGTERM);
            n++;
        }
    }
    closedir(d);
    /* Wait for each to be gone, so that none writes into the tree once
     * that is being removed. */
    long long deadline = now_ms() + 3000;
    for (int i = 0; i < n; i++) {
        if (pfd[i] < 0)
            continue;
        struct pollfd p = { .fd = pfd[i], .events = POLLIN };
        long long left = deadline - now_ms();
        if (poll(&p, 1, left > 0 ? (int)left : 0) == 0) {
            kill(pid[i], SIGKILL);
            poll(&p, 1, 10000);
        }
        close(pfd[i]);
    }
    return n;
}

static void clean(pid_t spare)
{
    /* A killed process may be one that would have started another. */
    for (int round = 0; round < 5 && kill_strays(spare) > 0; round++)
        ;
    runproc_rmtree(base);
}

/* The reaper: holds the run's lock (SPLITBED_SCRATCH_LOCK, so that
 * tests/run-checks.sh can wait for every reaper to finish), says it is
 * ready, and cleans up once the runner asks or is gone. */
static void reap(int cmd, int ready, int runner_fd)
{
    setsid();
    const char *lock = getenv("SPLITBED_SCRATCH_LOCK");
    if (lock) {
        int fd = open(lock, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd >= 0)
            flock(fd, LOCK_SH);
    }
    (void)!write(ready, "r", 1);
    close(ready);
    struct pollfd p[2] = { { .fd = cmd, .events = POLLIN }, { .fd = runner_fd, .events = POLLIN } };
    while (poll(p, runner_fd >= 0 ? 2 : 1, -1) < 0 && errno == EINTR)
        ;
    clean(runner);
    _exit(0);
}

void scratch_setup(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || !*tmp)
        tmp = "/tmp";
    int len = snprintf(base, sizeof base, "%s/%s-XXXXXX", tmp, scratch_prefix);
    if (len <= 0 || (size_t)len >= sizeof base || !mkdtemp(base)) {
        fprintf(stderr, "scratch: cannot make %s/%s-XXXXXX: %s\n", tmp, scratch_prefix,
                len > 0 && (size_t)len < sizeof base ? strerror(errno) : "path too long");
        abort();
    }
    int cmd[2], ready[2];
    if (pipe2(cmd, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0) {
        perror("scratch: pipe");
        abort();
    }
    runner = getpid();
    int runner_fd = (int)syscall(SYS_pidfd_open, runner, 0);
    fflush(NULL);
    reaper = fork();
    if (reaper < 0) {
        perror("scratch: fork");
        abort();
    }
    if (reaper == 0) {
        close(cmd[1]);
        close(ready[0]);
        reap(cmd[0], ready[1], runner_fd);
    }
    close(cmd[0]);
    close(ready[1]);
    if (runner_fd >= 0)
        close(runner_fd);
    char c;
    while (read(ready[0], &c, 1) < 0 && errno == EINTR)
        ;
    close(ready[0]);
    reaper_cmd = cmd[1];
    /* What the tests start gets the tree as TMPDIR: their temporary
     * files land in it, and each such process names the tree in its
     * environment, so the teardown finds it. */
    free(saved_tmpdir);
    saved_tmpdir = getenv("TMPDIR") ? strdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", base, 1);
}

const char *scratch_base(void)
{
    return base;
}

void scratch_dir(char *out, size_t size)
{
    ck_assert_msg(base[0], "scratch_dir outside the scratch fixture");
    int n = snprintf(out, size, "%s/t-XXXXXX", base);
    ck_assert_msg(n > 0 && (size_t)n < size, "scratch: path too long for its buffer");
    ck_assert_ptr_nonnull(mkdtemp(out));
    /* In a test process Check forked: end with the binary, however that
     * ends, rather than go on filling a tree its reaper removes. */
    if (getpid() != runner) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != runner)
            raise(SIGKILL);
    }
}

void scratch_teardown(void)
{
    if (!base[0])
        return;
    if (reaper > 0) {
        (void)!write(reaper_cmd, "c", 1);
        close(reaper_cmd);
        reaper_cmd = -1;
        while (waitpid(reaper, NULL, 0) < 0 && errno == EINTR)
            ;
        reaper = -1;
    }
    if (saved_tmpdir)
        setenv("TMPDIR", saved_tmpdir, 1);
    else
        unsetenv("TMPDIR");
    free(saved_tmpdir);
    saved_tmpdir = NULL;
    base[0] = '\0';
}
