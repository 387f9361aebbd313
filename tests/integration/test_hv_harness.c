#include "tests/integration/test_hv_harness.h"
#include "backends-sim/hv/hvctl.h"
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUARD_MS 20000 /* hang guard for any one answer */

static char dir[96];
static pid_t hvd = -1;

void hvt_suite_setup(void)
{
    scratch_prefix = "sbhv";
    scratch_setup();
}

const char *hvt_dir(void)
{
    return dir;
}

const char *hvt_build(const char *rel)
{
    static char bufs[4][PATH_MAX];
    static int slot;
    char *b = bufs[slot++ % 4], tmp[PATH_MAX];
    const char *env = getenv("SPLITBED_BUILD");
    snprintf(tmp, sizeof(tmp), "%s/%s", env && *env ? env : "build", rel);
    if (!realpath(tmp, b))
        snprintf(b, PATH_MAX, "%s", tmp);
    return b;
}

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st, (void)f, (void)w;
    remove(p);
    return 0;
}

static void cleanup(void)
{
    if (hvd > 0) {
        kill(hvd, SIGKILL);
        waitpid(hvd, NULL, 0);
        hvd = -1;
    }
    if (dir[0])
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    dir[0] = 0;
}

/* Reads until a newline or EOF with the hang guard. */
static ssize_t read_line(int fd, char *buf, size_t size, size_t *len)
{
    for (;;) {
        char *nl = memchr(buf, '\n', *len);
        if (nl)
            return nl - buf + 1;
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, GUARD_MS) <= 0)
            return -1;
        if (*len + 1 >= size)
            return -1;
        ssize_t n = read(fd, buf + *len, size - 1 - *len);
        if (n <= 0)
            return -1;
        *len += (size_t)n;
    }
}

void hvt_suite_teardown(void)
{
    scratch_teardown();
}

const char *hvt_start(void)
{
    scratch_dir(dir, sizeof(dir));
    atexit(cleanup);
    int ready[2];
    ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
    const char *bin = hvt_build("bin/splitbed-hvd");
    hvd = fork();
    ck_assert_int_ge(hvd, 0);
    if (hvd == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(ready[1], 3);
        char trace[128];
        snprintf(trace, sizeof(trace), "%s/hvd.err", dir);
        int e = open(trace, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (e >= 0)
            dup2(e, 2);
        execl(bin, "splitbed-hvd", "--dir", dir, "--ready-fd", "3", (char *)NULL);
        _exit(127);
    }
    close(ready[1]);
    char line[64];
    size_t len = 0;
    ck_assert_msg(read_line(ready[0], line, sizeof(line), &len) > 0,
                  "splitbed-hvd (%s) did not become ready", bin);
    close(ready[0]);
    return dir;
}

void hvt_stop(void)
{
    ck_assert_int_eq(kill(hvd, SIGTERM), 0);
    int st;
    ck_assert_int_eq(waitpid(hvd, &st, 0), hvd);
    hvd = -1;
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "splitbed-hvd exit status %d", st);
    char path[128];
    snprintf(path, sizeof(path), "%s/hv/dom0", dir);
    ck_assert_msg(access(path, F_OK) != 0, "%s left behind", path);
    cleanup();
}

static void spawn(struct peer *p, int d)
{
    int in[2], out[2];
    ck_assert_int_eq(pipe2(in, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    char sock[128], libs[PATH_MAX];
    snprintf(sock, sizeof(sock), "%s/hv/dom%d", dir, d);
    snprintf(libs, sizeof(libs), "%s", hvt_build("lib/splitbed"));
    const char *bin = hvt_build("tests/hv-peer");
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(in[0], 0);
        dup2(out[1], 1);
        setenv("LD_LIBRARY_PATH", libs, 1);
        if (d >= 0)
            setenv("SPLITBED_HV_SOCKET", sock, 1);
        else
            unsetenv("SPLITBED_HV_SOCKET");
        execl(bin, "hv-peer", (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    p->in = in[1];
    p->out = out[0];
    p->len = 0;
}

void hvt_peer(struct peer *p, unsigned d)
{
    int r = hvctl_domain_create(dir, d, NULL);
    ck_assert_msg(r == 0 || r == 1, "hvctl_domain_create(%u): %d", d, r);
    spawn(p, (int)d);
}

void hvt_peer_noenv(struct peer *p)
{
    spawn(p, -1);
}

static void vsend(struct peer *p, const char *fmt, va_list ap)
{
    char line[4096];
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    line[n++] = '\n';
    ck_assert_int_eq(write(p->in, line, (size_t)n), n);
}

const char *hvt_reply(struct peer *p)
{
    ssize_t k = read_line(p->out, p->buf, sizeof(p->buf), &p->len);
    ck_assert_msg(k > 0, "peer %d gave no answer", (int)p->pid);
    static char answer[8192];
    memcpy(answer, p->buf, (size_t)k - 1);
    answer[k - 1] = 0;
    memmove(p->buf, p->buf + k, p->len - (size_t)k);
    p->len -= (size_t)k;
    return answer;
}

void hvt_send(struct peer *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsend(p, fmt, ap);
    va_end(ap);
}

static const char *vcmd(struct peer *p, const char *fmt, va_list ap)
{
    vsend(p, fmt, ap);
    return hvt_reply(p);
}

const char *hvt_cmd(struct peer *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *a = vcmd(p, fmt, ap);
    va_end(ap);
    return a;
}

const char *hvt_ok(struct peer *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    const char *a = vcmd(p, fmt, ap);
    va_end(ap);
    ck_assert_msg(!strncmp(a, "ok", 2), "answer: %s", a);
    return a[2] == ' ' ? a + 3 : a + 2;
}

static void reap(struct peer *p)
{
    int st;
    ck_assert_int_eq(waitpid(p->pid, &st, 0), p->pid);
    close(p->in);
    close(p->out);
    p->pid = -1;
}

void hvt_end(struct peer *p)
{
    ck_assert_int_eq(write(p->in, "exit\n", 5), 5);
    reap(p);
}

void hvt_kill(struct peer *p, int sig)
{
    kill(p->pid, sig);
    reap(p);
}

struct hv_counts_line hvt_counts(int d)
{
    char text[8192];
    int n = hvctl_status(dir, text, sizeof(text));
    ck_assert_msg(n > 0, "hvctl_status: %d", n);
    struct hv_counts_line c = { 0, 0, 0 };
    char want[32];
    if (d < 0)
        snprintf(want, sizeof(want), "total ");
    else
        snprintf(want, sizeof(want), "dom%d ", d);
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
        if (!strncmp(l, want, strlen(want))) {
            ck_assert_int_eq(sscanf(l + strlen(want), "grants %d mappings %d ports %d", &c.grants,
                                    &c.mappings, &c.ports),
                             3);
            return c;
        }
    ck_abort_msg("no status line for %s", want);
    return c;
}

bool hvt_trace_has(const char *needle)
{
    return runproc_trace_has(dir, needle);
}
