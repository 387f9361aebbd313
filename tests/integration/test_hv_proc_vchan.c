/*
 * Debian's real libxenvchan across two domains: a server in domain 1 and
 * a client in domain 2, run through `splitbed exec` on our splitbed-hvd
 * and splitbed-xenstored, move 4 MiB each way and agree on checksums;
 * then the server closes and the client sees the channel close.  Nothing
 * stays granted, mapped or bound afterwards.
 */
#include "tests/integration/test_hv_harness.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define GUARD_MS 60000

static pid_t xsd = -1;

static void stop_xenstored(void)
{
    if (xsd > 0) {
        kill(xsd, SIGTERM);
        waitpid(xsd, NULL, 0);
        xsd = -1;
    }
}

static void start_xenstored(const char *dir)
{
    char xdir[128];
    snprintf(xdir, sizeof(xdir), "%s/xenstored", dir);
    int ready[2];
    ck_assert_int_eq(pipe2(ready, O_CLOEXEC), 0);
    const char *bin = hvt_build("bin/splitbed-xenstored");
    xsd = fork();
    ck_assert_int_ge(xsd, 0);
    if (xsd == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(ready[1], 3);
        execl(bin, "splitbed-xenstored", "--dir", xdir, "--ready-fd", "3", (char *)NULL);
        _exit(127);
    }
    atexit(stop_xenstored);
    close(ready[1]);
    struct pollfd p = { .fd = ready[0], .events = POLLIN };
    char c;
    ck_assert_msg(poll(&p, 1, GUARD_MS) == 1 && read(ready[0], &c, 1) == 1,
                  "splitbed-xenstored did not become ready");
    close(ready[0]);
}

struct proc {
    pid_t pid;
    int out;
    char buf[4096];
    size_t len;
};

/* splitbed exec --dir DIR --domain d -- vchan-peer ROLE OTHER PATH
 * (just `true` without a role: creates the domain) */
static void exec_in(struct proc *p, const char *dir, unsigned d, const char *role, unsigned other)
{
    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    char dom[16], oth[16];
    snprintf(dom, sizeof(dom), "%u", d);
    snprintf(oth, sizeof(oth), "%u", other);
    const char *sb = hvt_build("bin/splitbed"), *peer = hvt_build("tests/vchan-peer");
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(out[1], 1);
        if (!role)
            execl(sb, "splitbed", "exec", "--dir", dir, "--domain", dom, "--", "true",
                  (char *)NULL);
        else
            execl(sb, "splitbed", "exec", "--dir", dir, "--domain", dom, "--", peer, role, oth,
                  "/local/domain/1/data/vchan", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    p->out = out[0];
    p->len = 0;
}

/* The next line the process prints ("" at EOF), with the hang guard. */
static const char *line_of(struct proc *p)
{
    static char line[4096];
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
        struct pollfd pf = { .fd = p->out, .events = POLLIN };
        ck_assert_msg(poll(&pf, 1, GUARD_MS) == 1, "process %d said nothing", (int)p->pid);
        ssize_t n = read(p->out, p->buf + p->len, sizeof(p->buf) - 1 - p->len);
        if (n <= 0)
            return "";
        p->len += (size_t)n;
    }
}

static int wait_exit(struct proc *p)
{
    int st;
    ck_assert_int_eq(waitpid(p->pid, &st, 0), p->pid);
    close(p->out);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void transfer(const char *server_role)
{
    const char *dir = hvt_start();
    start_xenstored(dir);
    /* the client's domain exists before the server grants to it */
    struct proc pre;
    exec_in(&pre, dir, 2, NULL, 0);
    ck_assert_int_eq(wait_exit(&pre), 0);

    struct proc srv, cli;
    exec_in(&srv, dir, 1, server_role, 2);
    ck_assert_str_eq(line_of(&srv), "ready");
    exec_in(&cli, dir, 2, "client", 1);
    char got_cli[128], got_srv[128];
    snprintf(got_cli, sizeof(got_cli), "%s", line_of(&cli));
    snprintf(got_srv, sizeof(got_srv), "%s", line_of(&srv));
    unsigned long long cs, cr, ss, sr;
    ck_assert_msg(sscanf(got_cli, "sent %llx recv %llx", &cs, &cr) == 2, "client: %s", got_cli);
    ck_assert_msg(sscanf(got_srv, "sent %llx recv %llx", &ss, &sr) == 2, "server: %s", got_srv);
    ck_assert(cs == sr);
    ck_assert(ss == cr);
    ck_assert(cs != ss);
    /* a closing server and a crashing one look the same to the client:
     * srv_live cleared and an event, by libxenvchan or by the unmap
     * notification the simulator fires when the process dies */
    ck_assert_str_eq(line_of(&cli), "closed");
    ck_assert_int_eq(wait_exit(&srv), 0);
    ck_assert_int_eq(wait_exit(&cli), 0);
    struct hv_counts_line t = hvt_counts(-1);
    ck_assert_int_eq(t.grants, 0);
    ck_assert_int_eq(t.mappings, 0);
    ck_assert_int_eq(t.ports, 0);
    stop_xenstored();
    hvt_stop();
}

START_TEST(vchan_4mib_each_way)
{
    transfer("server");
}
END_TEST

START_TEST(vchan_server_crash_seen_as_close)
{
    transfer("crash");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hv-proc-vchan");
    TCase *tc = tcase_create("vchan");
    tcase_add_unchecked_fixture(tc, hvt_suite_setup, hvt_suite_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, vchan_4mib_each_way);
    tcase_add_test(tc, vchan_server_crash_seen_as_close);
    suite_add_tcase(s, tc);
    return check_main(s);
}
