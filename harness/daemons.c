#include "daemons.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
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

pid_t daemon_start(char *const argv[], const char *logfile, bool detach, int timeout_ms)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0) {
        perror("splitbed: pipe");
        return -1;
    }
    int argc = 0;
    while (argv[argc])
        argc++;
    char **args = calloc((size_t)argc + 3, sizeof *args);
    char fdarg[16];
    if (!args) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    memcpy(args, argv, (size_t)argc * sizeof *args);
    args[argc] = "--ready-fd";
    args[argc + 1] = fdarg;

    pid_t pid = fork();
    if (pid < 0) {
        perror("splitbed: fork");
        free(args);
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        close(pfd[0]);
        int wfd = fcntl(pfd[1], F_DUPFD, 3); /* a copy without CLOEXEC */
        snprintf(fdarg, sizeof fdarg, "%d", wfd);
        if (detach)
            setsid();
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0) {
            dup2(devnull, 0);
            close(devnull);
        }
        if (logfile) {
            int lfd = open(logfile, O_WRONLY | O_CREAT | O_APPEND, 0600);
            if (lfd >= 0) {
                dup2(lfd, 1);
                dup2(lfd, 2);
                close(lfd);
            }
        }
        execv(args[0], args);
        fprintf(stderr, "splitbed: cannot run %s: %s\n", args[0], strerror(errno));
        _exit(127);
    }
    free(args);
    close(pfd[1]);

    char buf[64];
    struct pollfd p = { .fd = pfd[0], .events = POLLIN };
    int r = poll(&p, 1, timeout_ms);
    ssize_t n = r > 0 ? read(pfd[0], buf, sizeof buf) : -1;
    close(pfd[0]);
    if (n > 0)
        return pid;
    if (r == 0)
        fprintf(stderr, "splitbed: %s did not become ready within %d ms\n", argv[0], timeout_ms);
    else
        fprintf(stderr, "splitbed: %s exited before it was ready\n", argv[0]);
    print_log_tail(logfile);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return -1;
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
