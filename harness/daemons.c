#include "daemons.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static int pidfd_open_(pid_t pid)
{
    return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void print_log_tail(const char *logfile)
{
    if (!logfile)
        return;
    FILE *f = fopen(logfile, "r");
    if (!f)
        return;
    char lines[5][512] = { { 0 } };
    int n = 0;
    char line[512];
    while (fgets(line, sizeof line, f))
        snprintf(lines[n++ % 5], sizeof lines[0], "%s", line);
    fclose(f);
    for (int i = n > 5 ? n - 5 : 0; i < n; i++)
        fprintf(stderr, "  %s: %s", logfile, lines[i % 5]);
}

int daemon_spawn(struct daemon_spawning *d, char *const argv[], const char *logfile, bool detach,
                 const int *pass_fds, unsigned npass)
{
    extern char **environ;
    d->pid = -1;
    d->ready_fd = -1;
    snprintf(d->name, sizeof d->name, "%s", argv[0]);
    snprintf(d->logfile, sizeof d->logfile, "%s", logfile ? logfile : "");
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        perror("splitbed: pipe");
        return -1;
    }
    /* The child's copy of the write end keeps its number, above the
     * standard descriptors the file actions below rearrange. */
    if (pfd[1] < 3) {
        int moved = fcntl(pfd[1], F_DUPFD_CLOEXEC, 3);
        close(pfd[1]);
        pfd[1] = moved;
    }
    int argc = 0;
    while (argv[argc])
        argc++;
    char **args = calloc((size_t)argc + 3, sizeof *args);
    char fdarg[16];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    bool fa_ok = false, attr_ok = false;
    int e = ENOMEM;
    if (pfd[1] < 0 || !args)
        goto fail;
    memcpy(args, argv, (size_t)argc * sizeof *args);
    snprintf(fdarg, sizeof fdarg, "%d", pfd[1]);
    args[argc] = "--ready-fd";
    args[argc + 1] = fdarg;
    /* posix_spawn rather than fork: the child shares our memory until it
     * executes, so a caller with many libraries mapped pays no copy of
     * its page tables. */
    if ((e = posix_spawn_file_actions_init(&fa)) != 0)
        goto fail;
    fa_ok = true;
    if ((e = posix_spawnattr_init(&attr)) != 0)
        goto fail;
    attr_ok = true;
    /* dup2 onto itself clears FD_CLOEXEC in the child only. */
    e = posix_spawn_file_actions_adddup2(&fa, pfd[1], pfd[1]);
    for (unsigned i = 0; !e && i < npass; i++)
        e = posix_spawn_file_actions_adddup2(&fa, pass_fds[i], pass_fds[i]);
    if (!e)
        e = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (!e && logfile) {
        e = posix_spawn_file_actions_addopen(&fa, 1, logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
        if (!e)
            e = posix_spawn_file_actions_adddup2(&fa, 1, 2);
    }
    if (!e && detach)
        e = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);
    if (e)
        goto fail;
    e = posix_spawn(&d->pid, args[0], &fa, &attr, args, environ);
    if (e) {
        d->pid = -1;
        if (logfile)
            fprintf(stderr, "splitbed: cannot run %s (log %s): %s\n", args[0], logfile,
                    strerror(e));
        else
            fprintf(stderr, "splitbed: cannot run %s: %s\n", args[0], strerror(e));
        e = 0;
        goto fail;
    }
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    free(args);
    close(pfd[1]);
    d->ready_fd = pfd[0];
    return 0;
fail:
    if (e)
        fprintf(stderr, "splitbed: cannot start %s: %s\n", argv[0], strerror(e));
    if (fa_ok)
        posix_spawn_file_actions_destroy(&fa);
    if (attr_ok)
        posix_spawnattr_destroy(&attr);
    free(args);
    close(pfd[0]);
    if (pfd[1] >= 0)
        close(pfd[1]);
    return -1;
}

pid_t daemon_wait_ready(struct daemon_spawning *d, int timeout_ms)
{
    if (d->pid < 0)
        return -1;
    char buf[64];
    struct pollfd p = { .fd = d->ready_fd, .events = POLLIN };
    int r;
    while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
        ;
    ssize_t n = r > 0 ? read(d->ready_fd, buf, sizeof buf) : -1;
    close(d->ready_fd);
    d->ready_fd = -1;
    pid_t pid = d->pid;
    if (n > 0)
        return pid;
    if (r == 0)
        fprintf(stderr, "splitbed: %s did not become ready within %d ms\n", d->name, timeout_ms);
    else
        fprintf(stderr, "splitbed: %s exited before it was ready\n", d->name);
    print_log_tail(*d->logfile ? d->logfile : NULL);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    d->pid = -1;
    return -1;
}

pid_t daemon_start(char *const argv[], const char *logfile, bool detach, int timeout_ms)
{
    struct daemon_spawning d;
    if (daemon_spawn(&d, argv, logfile, detach, NULL, 0) != 0)
        return -1;
    return daemon_wait_ready(&d, timeout_ms);
}

bool daemon_alive(pid_t pid)
{
    if (pid <= 0 || kill(pid, 0) != 0)
        return false;
    char path[64], cmd[256];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(cmd, 1, sizeof cmd - 1, f);
    fclose(f);
    cmd[n] = '\0';
    return strstr(cmd, "splitbed") != NULL;
}

int daemon_stop(pid_t pid, int timeout_ms)
{
    if (pid <= 0)
        return 0;
    int pfd = pidfd_open_(pid);
    if (pfd < 0)
        return errno == ESRCH ? 0 : -1;
    if (kill(pid, SIGTERM) != 0 && errno == ESRCH) {
        close(pfd);
        return 0;
    }
    struct pollfd p = { .fd = pfd, .events = POLLIN };
    if (poll(&p, 1, timeout_ms) <= 0) {
        char path[64], comm[64] = "?";
        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(comm, sizeof comm, f))
                comm[strcspn(comm, "\n")] = '\0';
            fclose(f);
        }
        if (getenv("SPLITBED_DEBUG_STOP")) {
            char cmd[128];
            snprintf(cmd, sizeof cmd, "gdb -batch -p %d -ex 'thread apply all bt' >&2 2>/dev/null",
                     (int)pid);
            if (system(cmd) != 0)
                fprintf(stderr, "splitbed: could not trace pid %d\n", (int)pid);
        }
        fprintf(stderr, "splitbed: %s (pid %d) ignored SIGTERM for %d ms, killing it\n", comm,
                (int)pid, timeout_ms);
        kill(pid, SIGKILL);
        poll(&p, 1, timeout_ms);
    }
    close(pfd);
    waitpid(pid, NULL, WNOHANG); /* reap it if it was our child */
    return 0;
}

int daemon_write_pidfile(const char *path, pid_t pid)
{
    FILE *f = fopen(path, "w");
    if (!f || fprintf(f, "%d\n", (int)pid) < 0 || fclose(f) != 0) {
        fprintf(stderr, "splitbed: cannot write %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

pid_t daemon_read_pidfile(const char *path)
{
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (!f)
        return 0;
    if (fscanf(f, "%d", &pid) != 1)
        pid = 0;
    fclose(f);
    return pid > 0 ? (pid_t)pid : 0;
}
