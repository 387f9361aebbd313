/*
 * test_scratch.c — the scratch fixture (tests/lib/scratch.h) cleans up
 * however the binary that made the tree ends: by its own teardown, by
 * SIGTERM, by SIGKILL.  A child process plays that binary: it makes the
 * tree, starts a daemon that names the tree only through its TMPDIR,
 * and then ends one of those ways; the test waits for the reaper (the
 * lock it holds) and checks that the tree and the daemon are gone.
 */
#include "tests/lib/check_main.h"
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum ending { TEARDOWN, SIGTERMED, SIGKILLED };

struct report {
    char base[160];
    pid_t daemon;
};

/* The "test binary": makes the tree, starts the daemon, reports both on
 * fd, then ends as `how` says (the signals come from the test; a
 * teardown waits until the test has seen the tree, when go closes). */
static void play_runner(int fd, int go, enum ending how)
{
    struct report rep = { .daemon = -1 };
    signal(SIGTERM, SIG_DFL); /* not the handler Check's runner left */
    scratch_prefix = "sbscratch";
    scratch_setup();
    snprintf(rep.base, sizeof rep.base, "%s", scratch_base());
    /* Reported once it runs sleep: a copy of this process that has not
     * exec'd yet does not name the tree. */
    int exec_seen[2];
    if (pipe2(exec_seen, O_CLOEXEC) < 0)
        _exit(1);
    rep.daemon = fork();
    if (rep.daemon == 0) {
        execlp("sleep", "sleep", "600", (char *)NULL);
        _exit(127);
    }
    close(exec_seen[1]);
    char c;
    if (rep.daemon < 0 || read(exec_seen[0], &c, 1) != 0)
        _exit(1);
    if (write(fd, &rep, sizeof rep) != (ssize_t)sizeof rep)
        _exit(1);
    if (how == TEARDOWN) {
        (void)!read(go, &c, 1);
        scratch_teardown();
        _exit(0);
    }
    for (;;)
        pause();
}

static void ends_cleanly(enum ending how)
{
    const char *tmp = getenv("TMPDIR");
    char lock[160];
    snprintf(lock, sizeof lock, "%s/sbscratch-lock-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    int lfd = mkstemp(lock);
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(setenv("SPLITBED_SCRATCH_LOCK", lock, 1), 0);
    int p[2], go[2];
    ck_assert_int_eq(pipe(p), 0);
    ck_assert_int_eq(pipe(go), 0);
    pid_t runner = fork();
    ck_assert_int_ge(runner, 0);
    if (runner == 0) {
        close(p[0]);
        close(go[1]);
        play_runner(p[1], go[0], how);
    }
    close(p[1]);
    close(go[0]);
    struct report rep;
    ck_assert_int_eq(read(p[0], &rep, sizeof rep), (ssize_t)sizeof rep);
    close(p[0]);
    ck_assert_int_gt(rep.daemon, 0);
    struct stat st;
    ck_assert_int_eq(stat(rep.base, &st), 0);
    close(go[1]);
    if (how != TEARDOWN)
        ck_assert_int_eq(kill(runner, how == SIGTERMED ? SIGTERM : SIGKILL), 0);
    int ws;
    ck_assert_int_eq(waitpid(runner, &ws, 0), runner);
    /* The reaper holds the lock shared until it is done. */
    ck_assert_int_eq(flock(lfd, LOCK_EX), 0);
    ck_assert_msg(stat(rep.base, &st) < 0 && errno == ENOENT, "%s is still there", rep.base);
    ck_assert_msg(kill(rep.daemon, 0) < 0 || runproc_gone(rep.daemon), "the daemon %d still runs",
                  (int)rep.daemon);
    close(lfd);
    unlink(lock);
}

START_TEST(tree_and_daemon_go_with_the_teardown)
{
    ends_cleanly(TEARDOWN);
}
END_TEST

START_TEST(tree_and_daemon_go_when_the_binary_gets_sigterm)
{
    ends_cleanly(SIGTERMED);
}
END_TEST

START_TEST(tree_and_daemon_go_when_the_binary_gets_sigkill)
{
    ends_cleanly(SIGKILLED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("scratch");
    TCase *tc = tcase_create("endings");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, tree_and_daemon_go_with_the_teardown);
    tcase_add_test(tc, tree_and_daemon_go_when_the_binary_gets_sigterm);
    tcase_add_test(tc, tree_and_daemon_go_when_the_binary_gets_sigkill);
    suite_add_tcase(s, tc);
    return check_main(s);
}
