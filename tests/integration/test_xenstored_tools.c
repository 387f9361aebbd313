/* Debian's real xenstore-* tools and Xen's test-xenstore against
 * splitbed-xenstored, as dom0 and as a guest domain. */
#include "tests/integration/test_xenstored_daemon.h"
#include "tests/lib/runproc.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static struct xsd d;
static struct runproc r;
static char envg[400];

static void setup(void)
{
    int fd;

    xsd_start(&d);
    fd = xsd_connect(d.sock);
    ck_assert_int_ge(fd, 0);
    xsd_make_domain(fd, 1);
    close(fd);
    xsd_dom_env(&d, 1, envg, sizeof(envg));
}

static void teardown(void)
{
    xsd_stop(&d);
}

static void run_as(const char *env, char *const argv[])
{
    char *const e[] = { (char *)env, NULL };
    runproc(&r, NULL, 0, 10, e, argv);
}

#define RUN0(...) run_as(d.env0, (char *const[]){ __VA_ARGS__, NULL })
#define RUNG(...) run_as(envg, (char *const[]){ __VA_ARGS__, NULL })

START_TEST(tools_as_dom0)
{
    RUN0("xenstore-write", "/t/a", "hello", "/t/b", "world");
    ck_assert_int_eq(r.status, 0);
    RUN0("xenstore-read", "/t/a", "/t/b");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "hello\nworld\n");
    RUN0("xenstore-list", "/t");
    ck_assert_str_eq(r.out, "a\nb\n");
    RUN0("xenstore-ls", "/t");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "a = \"hello\"\nb = \"world\"\n");
    RUN0("xenstore-exists", "/t/a");
    ck_assert_int_eq(r.status, 0);
    RUN0("xenstore-exists", "/t/zz");
    ck_assert_int_eq(r.status, 1);
    RUN0("xenstore-chmod", "/t/a", "n0", "r1");
    ck_assert_int_eq(r.status, 0);
    RUN0("xenstore-ls", "-p", "/t");
    ck_assert_ptr_nonnull(strstr(r.out, "(n0,r1)"));
    RUN0("xenstore-rm", "/t/a");
    ck_assert_int_eq(r.status, 0);
    RUN0("xenstore-read", "/t/a");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "couldn't read path /t/a"));
    RUN0("xenstore-read", "name");
    ck_assert_str_eq(r.out, "Domain-0\n");
}
END_TEST

START_TEST(tools_as_guest)
{
    RUNG("xenstore-read", "domid");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "1\n");
    RUNG("xenstore-write", "data/k", "v");
    ck_assert_int_eq(r.status, 0);
    RUN0("xenstore-read", "/local/domain/1/data/k");
    ck_assert_str_eq(r.out, "v\n");
    RUNG("xenstore-list", "/local/domain/1");
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, "device\ncontrol\ndata\ndomid\n");
    /* permission denied, each tool its own way */
    RUNG("xenstore-read", "/local/domain/0/name");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "couldn't read path"));
    RUNG("xenstore-write", "domid", "5");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "could not write path domid"));
    RUNG("xenstore-ls", "/");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "Permission denied"));
    RUNG("xenstore-rm", "/tool");
    ck_assert_int_eq(r.status, 1);
    RUNG("xenstore-exists", "/tool");
    ck_assert_int_eq(r.status, 1);
    RUNG("xenstore-chmod", "data/k", "n0");
    ck_assert_int_eq(r.status, 1);
    ck_assert_ptr_nonnull(strstr(r.err, "Operation not permitted"));
    RUNG("xenstore-chmod", "data/k", "n1", "r0");
    ck_assert_int_eq(r.status, 0);
    RUN0("xenstore-ls", "-p", "/local/domain/1/data");
    ck_assert_ptr_nonnull(strstr(r.out, "(n1,r0)"));
    RUNG("xenstore-rm", "data/k");
    ck_assert_int_eq(r.status, 0);
    RUN0("xenstore-exists", "/local/domain/1/data/k");
    ck_assert_int_eq(r.status, 1);
}
END_TEST

/* Starts xenstore-watch -n count with its stdout on a pipe. */
static pid_t watch_start(const char *env, const char *path, int count, int *out)
{
    int p[2];
    char n[16];
    pid_t pid;

    ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    snprintf(n, sizeof(n), "%d", count);
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        dup2(p[1], 1);
        putenv((char *)env);
        execlp("xenstore-watch", "xenstore-watch", "-n", n, path, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    *out = p[0];
    return pid;
}

/* Reads one line from fd (hang guard 10 s). */
static void read_line(int fd, char *buf, size_t size)
{
    size_t len = 0;

    while (len + 1 < size) {
        struct pollfd pf = { fd, POLLIN, 0 };
        ck_assert_int_eq(poll(&pf, 1, 10000), 1);
        ck_assert_int_eq(read(fd, buf + len, 1), 1);
        if (buf[len++] == '\n')
            break;
    }
    buf[len] = '\0';
}

static int reap(pid_t pid)
{
    int st;

    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

START_TEST(watch_as_guest_and_dom0)
{
    char line[256];
    int fd, fd0;
    pid_t g = watch_start(envg, "data", 3, &fd);
    pid_t z = watch_start(d.env0, "/local/domain/1", 2, &fd0);

    read_line(fd, line, sizeof(line));
    ck_assert_str_eq(line, "data\n"); /* the initial event */
    read_line(fd0, line, sizeof(line));
    ck_assert_str_eq(line, "/local/domain/1\n");
    RUN0("xenstore-write", "/local/domain/1/data/x", "1");
    read_line(fd, line, sizeof(line));
    ck_assert_str_eq(line, "data/x\n");
    read_line(fd0, line, sizeof(line));
    ck_assert_str_eq(line, "/local/domain/1/data/x\n");
    ck_assert_int_eq(reap(z), 0);
    /* an unreadable node below the guest's watch is not reported */
    RUN0("xenstore-write", "/local/domain/1/data/hidden", "h");
    RUN0("xenstore-chmod", "/local/domain/1/data/hidden", "n0");
    read_line(fd, line, sizeof(line));
    ck_assert_str_eq(line, "data/hidden\n");
    ck_assert_int_eq(reap(g), 0);
    close(fd);
    close(fd0);
}
END_TEST

START_TEST(big_directory_listed_in_parts)
{
    /* over 4096 bytes of names: libxenstore falls back to
	 * DIRECTORY_PART after DIRECTORY's E2BIG */
    int fd = xsd_connect(d.sock);
    char p[96], out[XENSTORE_PAYLOAD_MAX + 1];

    ck_assert_int_ge(fd, 0);
    for (int i = 0; i < 300; i++) {
        snprintf(p, sizeof(p), "/big/a-rather-long-child-name-%03d", i);
        ck_assert_int_eq(xsd_call(fd, XS_MKDIR, out, p, NULL), XS_MKDIR);
    }
    close(fd);
    RUN0("xenstore-list", "/big");
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(runproc_lines(r.out), 300);
    ck_assert_ptr_nonnull(strstr(r.out, "a-rather-long-child-name-000\n"));
    ck_assert_ptr_nonnull(strstr(r.out, "a-rather-long-child-name-299\n"));
}
END_TEST

START_TEST(xen_test_xenstore_passes)
{
    RUN0("/usr/lib/xen-4.17/bin/test-xenstore");
    ck_assert_msg(r.status == 0, "test-xenstore: %s%s", r.out, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "ta err"));
    /* as a guest it may not create its test node in a home libxl
	 * made read-only: refused at the first step, as on Xen */
    RUNG("/usr/lib/xen-4.17/bin/test-xenstore");
    ck_assert_int_ne(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "ret = 13"));
}
END_TEST

START_TEST(release_removes_socket_and_closes)
{
    char sock[400];
    struct stat sb;
    int fd0 = xsd_connect(d.sock), g;
    char out[XENSTORE_PAYLOAD_MAX + 1];
    struct xsd_sockmsg h;

    xsd_dom_sock(&d, 1, sock, sizeof(sock));
    ck_assert_int_eq(stat(sock, &sb), 0);
    g = xsd_connect(sock);
    ck_assert_int_ge(g, 0);
    ck_assert_int_eq(xsd_call(g, XS_READ, out, "domid", NULL), XS_READ);
    ck_assert_int_eq(xsd_call(fd0, XS_RELEASE, out, "1", NULL), XS_RELEASE);
    ck_assert_int_ne(stat(sock, &sb), 0);
    ck_assert_int_eq(xsd_recv(g, &h, out, sizeof(out)), -1); /* closed */
    RUNG("xenstore-read", "domid");
    ck_assert_int_ne(r.status, 0);
    /* the toolstack removes the home, creates it anew: it is back */
    ck_assert_int_eq(xsd_call(fd0, XS_RM, out, "/local/domain/1", NULL), XS_RM);
    xsd_make_domain(fd0, 1);
    RUNG("xenstore-read", "domid");
    ck_assert_int_eq(r.status, 0);
    close(g);
    close(fd0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("xenstored_tools");
    TCase *tc = tcase_create("tools");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, tools_as_dom0);
    tcase_add_test(tc, tools_as_guest);
    tcase_add_test(tc, watch_as_guest_and_dom0);
    tcase_add_test(tc, big_directory_listed_in_parts);
    tcase_add_test(tc, xen_test_xenstore_passes);
    tcase_add_test(tc, release_removes_socket_and_closes);
    suite_add_tcase(s, tc);
    xsd_suite_begin();
    int rc = check_main(s);
    xsd_suite_end();
    return rc;
}
