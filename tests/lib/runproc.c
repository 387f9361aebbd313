#include "runproc.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void runproc(struct runproc *r, const char *input, size_t input_len, int timeout_s,
             char *const extra_env[], char *const argv[])
{
    int in[2], out[2], err[2];
    memset(r, 0, sizeof *r);
    r->status = -1;
    if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
        return;
    pid_t pid = fork();
    if (pid < 0)
        return;
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        for (int i = 0; extra_env && extra_env[i]; i++)
            putenv(extra_env[i]);
        execvp(argv[0], argv);
        fprintf(stderr, "runproc: cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    signal(SIGPIPE, SIG_IGN);
    size_t sent = 0;
    if (!input || input_len == 0) {
        close(in[1]);
        in[1] = -1;
    } else {
        fcntl(in[1], F_SETFL, O_NONBLOCK);
    }
    long long deadline = now_ms() + timeout_s * 1000LL;
    int open_fds = 2;
    while (open_fds > 0 || in[1] >= 0) {
        struct pollfd p[3] = { { .fd = out[0], .events = POLLIN },
                               { .fd = err[0], .events = POLLIN },
                               { .fd = in[1], .events = POLLOUT } };
        long long left = deadline - now_ms();
        if (left <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        if (poll(p, 3, (int)left) < 0 && errno != EINTR)
            break;
        for (int i = 0; i < 2; i++) {
            if (p[i].fd < 0 || !p[i].revents)
                continue;
            char *buf = i ? r->err : r->out;
            size_t *len = i ? &r->err_len : &r->out_len;
            size_t cap = i ? sizeof r->err : sizeof r->out;
            char scratch[4096];
            ssize_t n = *len + 1 < cap ? read(p[i].fd, buf + *len, cap - 1 - *len)
                                       : read(p[i].fd, scratch, sizeof scratch);
            if (n <= 0) {
                close(p[i].fd);
                if (i)
                    err[0] = -1;
                else
                    out[0] = -1;
                open_fds--;
            } else if (*len + 1 < cap) {
                *len += (size_t)n;
            }
        }
        if (in[1] >= 0 && p[2].revents) {
            ssize_t n = write(in[1], input + sent, input_len - sent);
            if (n > 0)
                sent += (size_t)n;
            if (n < 0 || sent == input_len) {
                close(in[1]);
                in[1] = -1;
            }
        }
    }
    if (in[1] >= 0)
        close(in[1]);
    if (out[0] >= 0)
        close(out[0]);
    if (err[0] >= 0)
        close(err[0]);
    int ws;
    waitpid(pid, &ws, 0);
    r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    r->out[r->out_len] = '\0';
    r->err[r->err_len] = '\0';
}

int runproc_trace_has(const char *sim, const char *needle)
{
    char path[512];
    snprintf(path, sizeof path, "%s/trace", sim);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t len = 0, size = 1 << 16;
    char *buf = malloc(size);
    for (size_t n; buf && (n = fread(buf + len, 1, size - 1 - len, f)) > 0;) {
        len += n;
        if (len == size - 1) {
            char *more = realloc(buf, size * 2);
            if (!more) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = more;
            size *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "runproc: no memory to read %s\n", path);
        abort();
    }
    buf[len] = '\0';
    int found = strstr(buf, needle) != NULL;
    free(buf);
    return found;
}

int runproc_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

const char *build_path(const char *rel)
{
    static char bufs[8][4096];
    static int slot;
    const char *b = getenv("SPLITBED_BUILD");
    char *buf = bufs[slot++ % 8];
    snprintf(buf, sizeof bufs[0], "%s/%s", b && *b ? b : "build", rel);
    if (buf[0] != '/') {
        char cwd[2048], tmp[4096];
        if (getcwd(cwd, sizeof cwd)) {
            snprintf(tmp, sizeof tmp, "%s/%s", cwd, buf);
            snprintf(buf, sizeof bufs[0], "%s", tmp);
        }
    }
    return buf;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(p);
    return 0;
}

void runproc_rmtree(const char *path)
{
    if (path && *path)
        nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int runproc_wait(pid_t pid, int timeout_ms)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd >= 0) {
        struct pollfd p = { .fd = pfd, .events = POLLIN };
        if (poll(&p, 1, timeout_ms) == 0)
            kill(pid, SIGKILL); /* hang guard only */
        close(pfd);
    }
    int ws;
    if (waitpid(pid, &ws, 0) < 0)
        return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

void runproc_splitbed(struct runproc *r, int timeout_s, char *const extra_env[], char *const args[])
{
    char *argv[64] = { (char *)build_path("bin/splitbed") };
    int n = 0;
    while (args[n])
        n++;
    if (n > 62) {
        memset(r, 0, sizeof *r);
        r->status = -1;
        r->err_len = (size_t)snprintf(r->err, sizeof r->err,
                                      "runproc_splitbed: %d arguments, at most 62\n", n);
        return;
    }
    for (int i = 0; i < n; i++)
        argv[i + 1] = args[i];
    argv[n + 1] = NULL;
    runproc(r, NULL, 0, timeout_s, extra_env, argv);
}

void runproc_sim_remove(const char *sim, const char *tree, int timeout_s)
{
    struct runproc *r = malloc(sizeof *r);
    if (r) {
        runproc_splitbed(r, timeout_s, NULL,
                         (char *[]){ "hv", "stop", "--dir", (char *)sim, NULL });
        free(r);
    }
    runproc_rmtree(tree);
}

int runproc_pid_file(const char *path)
{
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    return pid;
}

char runproc_proc_state(pid_t pid)
{
    char path[64], stat[512];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(stat, 1, sizeof stat - 1, f);
    fclose(f);
    stat[n] = '\0';
    /* after the command name, which may itself hold ") " */
    const char *paren = strrchr(stat, ')');
    return paren && paren[1] == ' ' ? paren[2] : 0;
}

int runproc_gone(pid_t pid)
{
    char state = runproc_proc_state(pid);
    return state == 0 || state == 'Z' || state == 'X';
}
