/* qubes_sim.c — see qubes_sim.h. */
#include "tests/integration/qubes_sim.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#define GUARD_MS 60000

static char dir[256];

const char *qs_dir(void)
{
    return dir;
}

int qs_splitbed(char *out, size_t size, const char *const args[])
{
    const char *argv[32];
    int n = 0;
    argv[n++] = build_path("bin/splitbed");
    for (int i = 0; args[i] && n < 30; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    struct runproc r;
    runproc(&r, NULL, 0, 60, NULL, (char *const *)argv);
    if (out && size) {
        size_t k = r.out_len < size - 1 ? r.out_len : size - 1;
        memcpy(out, r.out, k);
        out[k] = 0;
    }
    if (r.status != 0 && r.err_len)
        fprintf(stderr, "%.*s", (int)r.err_len, r.err);
    return r.status;
}

void qs_stop(void)
{
    if (!dir[0])
        return;
    const char *args[] = { "hv", "stop", "--dir", dir, NULL };
    (void)qs_splitbed(NULL, 0, args);
    runproc_rmtree(dir);
    dir[0] = 0;
}

const char *qs_start(void)
{
    scratch_dir(dir, sizeof dir);
    const char *args[] = { "hv", "start", "--dir", dir, NULL };
    ck_assert_int_eq(qs_splitbed(NULL, 0, args), 0);
    return dir;
}

static void start(struct qs_proc *p, const char *const env[], const char *const args[])
{
    int in[2], out[2], err[2];
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(err, O_CLOEXEC), 0);
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(err[1], 2);
        for (int i = 0; env && env[i]; i++)
            putenv((char *)env[i]);
        execv(args[0], (char *const *)args);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(err[1]);
    p->in = in[1];
    p->out = out[0];
    p->err = err[0];
    p->len = p->errlen = 0;
    fcntl(p->err, F_SETFL, O_NONBLOCK);
}

void qs_spawn(struct qs_proc *p, const char *const argv[])
{
    start(p, NULL, argv);
}

void qs_exec_env(struct qs_proc *p, unsigned dom, const char *const env[], const char *const argv[])
{
    char d[16];
    snprintf(d, sizeof d, "%u", dom);
    const char *args[48];
    int n = 0;
    args[n++] = build_path("bin/splitbed");
    args[n++] = "exec";
    args[n++] = "--dir";
    args[n++] = dir;
    args[n++] = "--domain";
    args[n++] = d;
    args[n++] = "--";
    for (int i = 0; argv[i] && n < 46; i++)
        args[n++] = argv[i];
    args[n] = NULL;
    start(p, env, args);
}

void qs_exec(struct qs_proc *p, unsigned dom, const char *const argv[])
{
    qs_exec_env(p, dom, NULL, argv);
}

/* Keeps its stderr from filling the pipe while we wait on stdout. */
static void drain_err(struct qs_proc *p)
{
    for (;;) {
        if (p->errlen + 1 >= sizeof p->errbuf) {
            char junk[512];
            if (read(p->err, junk, sizeof junk) <= 0)
                return;
            continue;
        }
        ssize_t n = read(p->err, p->errbuf + p->errlen, sizeof p->errbuf - 1 - p->errlen);
        if (n <= 0)
            return;
        p->errlen += (size_t)n;
        p->errbuf[p->errlen] = 0;
    }
}

const char *qs_line(struct qs_proc *p)
{
    static char line[8192];
    for (;;) {
        char *nl = memchr(p->buf, '\n', p->len);
        if (nl) {
            size_t k = (size_t)(nl - p->buf);
            memcpy(line, p->buf, k);
            line[k] = 0;
            memmove(p->buf, nl + 1, p->len - k - 1);
            p->len -= k + 1;
            return line;
        }
        struct pollfd pf[2] = { { .fd = p->out, .events = POLLIN },
                                { .fd = p->err, .events = POLLIN } };
        int r = poll(pf, 2, GUARD_MS);
        drain_err(p);
        ck_assert_msg(r > 0, "process %d said nothing for %d ms; stderr: %s", (int)p->pid, GUARD_MS,
                      p->errbuf);
        if (!(pf[0].revents & (POLLIN | POLLHUP)))
            continue;
        ssize_t n = read(p->out, p->buf + p->len, sizeof p->buf - 1 - p->len);
        if (n <= 0)
            return "";
        p->len += (size_t)n;
    }
}

void qs_close_in(struct qs_proc *p)
{
    if (p->in >= 0)
        close(p->in);
    p->in = -1;
}

int qs_wait(struct qs_proc *p)
{
    qs_close_in(p);
    fcntl(p->err, F_SETFL, 0);
    bool out_open = true, err_open = true;
    while (out_open || err_open) {
        struct pollfd pf[2] = { { .fd = out_open ? p->out : -1, .events = POLLIN },
                                { .fd = err_open ? p->err : -1, .events = POLLIN } };
        if (poll(pf, 2, GUARD_MS) <= 0) {
            kill(p->pid, SIGKILL);
            waitpid(p->pid, NULL, 0);
            ck_abort_msg("process %d did not exit; stderr: %s", (int)p->pid, p->errbuf);
        }
        if (pf[0].revents) {
            char junk[4096];
            bool room = p->len + 1 < sizeof p->buf;
            ssize_t n = room ? read(p->out, p->buf + p->len, sizeof p->buf - 1 - p->len)
                             : read(p->out, junk, sizeof junk);
            if (n <= 0)
                out_open = false;
            else if (room)
                p->len += (size_t)n;
        }
        if (pf[1].revents) {
            char junk[512];
            bool room = p->errlen + 1 < sizeof p->errbuf;
            ssize_t n = room ? read(p->err, p->errbuf + p->errlen, sizeof p->errbuf - 1 - p->errlen)
                             : read(p->err, junk, sizeof junk);
            if (n <= 0)
                err_open = false;
            else if (room) {
                p->errlen += (size_t)n;
                p->errbuf[p->errlen] = 0;
            }
        }
    }
    close(p->out);
    close(p->err);
    int st;
    ck_assert_int_eq(waitpid(p->pid, &st, 0), p->pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int qs_err_count(const struct qs_proc *p, const char *needle)
{
    int n = 0;
    for (const char *s = p->errbuf; (s = strstr(s, needle)); s++)
        n++;
    return n;
}
