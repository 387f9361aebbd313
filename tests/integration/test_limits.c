/*
 * Per-domain limits: a guest that takes everything its domain may hold
 * (limits-hog: grants, ports, handles, xenstore connections, a full
 * directory) gets Xen's and Linux's answers, each with its trace line,
 * while another guest keeps doing I/O through both daemons and the
 * toolstack keeps working.  And a daemon out of descriptors stops
 * polling its listening sockets instead of spinning, and serves its
 * clients meanwhile.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 60

static char dir[64];
static struct runproc r;

static void sb(char *const args[])
{
    static char peer[4200];
    snprintf(peer, sizeof peer, "PEER=%s", build_path("tests/hv-peer"));
    char *env[] = { peer, NULL };
    runproc_splitbed(&r, TIMEOUT, env, args);
}

#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
}

static void teardown(void)
{
    runproc_sim_remove(dir, dir, TIMEOUT);
}

/* Starts `splitbed exec --domain d -- limits-hog peer` with pipes. */
static pid_t start_hog(const char *d, const char *peer, int *in, FILE **out)
{
    int pin[2], pout[2];
    ck_assert_int_eq(pipe(pin), 0);
    ck_assert_int_eq(pipe(pout), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(pin[0], 0);
        dup2(pout[1], 1);
        close(pin[1]);
        close(pout[0]);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", dir, "--domain", d, "--",
              build_path("tests/limits-hog"), peer, (char *)NULL);
        _exit(127);
    }
    close(pin[0]);
    close(pout[1]);
    *in = pin[1];
    *out = fdopen(pout[0], "r");
    return pid;
}

START_TEST(one_guest_at_every_limit_another_keeps_working)
{
    SB("hv", "start", "--dir", dir);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", dir, "--domain", "2", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);

    int hog_in;
    FILE *hog_out;
    pid_t hog = start_hog("1", "2", &hog_in, &hog_out);
    char line[512] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, hog_out));
    unsigned grants, ports, handles, conns, children;
    char gerr[16], perr[16], herr[16], cerr[16];
    ck_assert_msg(
        sscanf(line, "grants %u %15s ports %u %15s handles %u %15s xs-conns %u children %u %15s",
               &grants, gerr, &ports, perr, &handles, herr, &conns, &children, cerr) == 9,
        "hog said: %s", line);
    /* Linux's gntalloc limit, libxl's 1023 ports, 1024 handles (two are
     * its gntshr and first evtchn handle), 128 xenstore connections, and
     * a directory whose record (24 + 8 + 5 per "cN" child name, 6 from
     * c100 on) reaches 2048 bytes */
    ck_assert_uint_eq(grants, 1024);
    ck_assert_str_eq(gerr, "ENOSPC");
    ck_assert_uint_eq(ports, 1023);
    ck_assert_str_eq(perr, "ENOSPC");
    ck_assert_uint_eq(handles, 1022);
    ck_assert_str_eq(herr, "ECONNRESET");
    ck_assert_uint_eq(conns, 128);
    ck_assert_str_eq(cerr, "ENOSPC");
    ck_assert_uint_gt(children, 300);

    /* Meanwhile domain 2 shares, binds, reads and writes xenstore, and
     * the toolstack answers. */
    SB("exec", "--dir", dir, "--domain", "2", "--", "sh", "-c",
       "printf 'share 0 1 1\\nbindu 0\\nclose\\nshare 1 16 1\\n' | \"$PEER\" && "
       "xenstore-write data/x hello && xenstore-read data/x");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "hello\n") && !strstr(r.out, "err"), "%s", r.out);
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "dom1 grants 1024 "));

    /* The hog asks again: refused again, and nothing more is traced. */
    close(hog_in);
    ck_assert_ptr_nonnull(fgets(line, sizeof line, hog_out));
    ck_assert_str_eq(line, "again refused yes\n");
    fclose(hog_out);
    ck_assert_int_eq(runproc_wait(hog, TIMEOUT * 1000), 0);

    ck_assert(runproc_trace_has(dir, "hvd: d1: gntalloc limit: 1024 grants shared, 16 more asked"));
    ck_assert(runproc_trace_has(dir, "all ports of d1 up to 1023 in use"));
    ck_assert(runproc_trace_has(dir, "hvd: d1: 1024 handles open, the most a domain may hold"));
    ck_assert(runproc_trace_has(
        dir, "xenstored: dom1: 128 connections open, the most a domain may hold"));
    ck_assert(runproc_trace_has(
        dir, "xenstored: dom1: node size quota (2048) of /local/domain/1/data reached "
             "by its child names"));
    ck_assert(!runproc_trace_has(dir, "d2"));
}
END_TEST

/* Connects to a SOCK_SEQPACKET socket without waiting: -1 once the
 * listener's backlog is full. */
static int connect_to(const char *path)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sa.sun_path)
        return -1;
    memcpy(sa.sun_path, path, strlen(path) + 1);
    int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s >= 0 && connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(s);
        return -1;
    }
    return s;
}

/* Waits (hang guard: TIMEOUT) until DIR/trace has a line with needle. */
static bool wait_trace(const char *needle)
{
    char path[128];
    snprintf(path, sizeof path, "%s/trace", dir);
    int in = inotify_init1(IN_CLOEXEC);
    ck_assert_int_ge(in, 0);
    ck_assert_int_ge(inotify_add_watch(in, path, IN_MODIFY), 0);
    bool found;
    while (!(found = runproc_trace_has(dir, needle))) {
        struct pollfd p = { .fd = in, .events = POLLIN };
        if (poll(&p, 1, TIMEOUT * 1000) <= 0)
            break;
        char ev[4096];
        (void)!read(in, ev, sizeof ev);
    }
    close(in);
    return found;
}

START_TEST(out_of_descriptors_pauses_accepting)
{
    /* The daemons inherit a small descriptor limit, hard included. */
    struct rlimit rl = { 48, 48 };
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setrlimit(RLIMIT_NOFILE, &rl);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        execl(build_path("bin/splitbed"), "splitbed", "hv", "start", "--dir", dir, (char *)NULL);
        _exit(127);
    }
    ck_assert_int_eq(runproc_wait(pid, TIMEOUT * 1000), 0);

    /* A host process fills hvd's table with connections it never uses
     * (the kernel completes them into the backlog, hvd accepts until it
     * has no descriptor left). */
    char path[128];
    snprintf(path, sizeof path, "%s/hv/dom0", dir);
    static int socks[400];
    int n = 0;
    while (n < 400 && (socks[n] = connect_to(path)) >= 0)
        n++;
    ck_assert_int_gt(n, 48);
    ck_assert(wait_trace("hvd: out of descriptors (accept on d0's socket: Too many open files): "
                         "not accepting connections for 100 ms at a time"));
    /* Free the table: hvd accepts again, and the toolstack works. */
    for (int i = 0; i < n; i++)
        close(socks[i]);
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(r.status == 0, "%s", r.err);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("limits");
    TCase *t = tcase_create("limits");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 180);
    tcase_add_test(t, one_guest_at_every_limit_another_keeps_working);
    tcase_add_test(t, out_of_descriptors_pauses_accepting);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    scratch_prefix = "sblimits";
    return check_main(suite());
}
