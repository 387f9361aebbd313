/*
 * test_os_events.c — the Linux OS layer's event path against
 * splitbed-hvd, with the spin before sleeping on and off.
 *
 * With a non-blocking event device the layer reads the device only in a
 * wait's spin or after a wait saw it readable: an event raised while
 * nobody waits is not lost but reported after the next wait, which
 * returns at once for it, and one raised by another thread while the
 * wait spins, gives up spinning or sleeps wakes it.  The guest
 * (os-event-guest) binds an event channel to itself and reports
 * each step; see its header for the lines.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT 60

static char dir[64], sim[128];
static struct runproc r;

static void sb(char *const extra_env[], char *const args[])
{
    char *argv[32] = { (char *)build_path("bin/splitbed") };
    int n = 1;
    for (int i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    runproc(&r, NULL, 0, TIMEOUT, extra_env, argv);
}

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    snprintf(sim, sizeof sim, "%s/sim", dir);
    sb(NULL, (char *[]){ "hv", "start", "--dir", sim, NULL });
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
}

static void teardown(void)
{
    runproc_sim_remove(sim, dir, TIMEOUT);
}

static long long value(const char *key)
{
    char pat[32];
    snprintf(pat, sizeof pat, "%s ", key);
    const char *at = strstr(r.out, pat);
    ck_assert_msg(at != NULL, "no '%s' line in:\n%s\n%s", key, r.out, r.err);
    return strtoll(at + strlen(pat), NULL, 10);
}

static const char *const spin[] = { "SPLITBED_POLL_US=0", "SPLITBED_POLL_US=1000", NULL };

START_TEST(event_raised_while_nobody_waits_is_reported_after_the_wait)
{
    char *env[] = { (char *)spin[_i], NULL };
    sb(env, (char *[]){ "exec", "--dir", sim, "--domain", "1", "--",
                        (char *)build_path("tests/os-event-guest"), NULL });
    ck_assert_msg(r.status == 0, "%s: status %d\n%s\n%s", spin[_i], r.status, r.out, r.err);
    long long port = value("port");
    ck_assert_int_gt(port, 0);
    ck_assert_int_eq(value("quiet"), 0);
    long long unseen = value("unseen");
    ck_assert_msg(unseen == 0 || unseen == port, "unseen %lld", unseen);
    ck_assert_int_eq(value("woke"), 1);
    ck_assert_int_eq(value("pending"), port);
    ck_assert_int_eq(value("drained"), 0);
    ck_assert_int_eq(value("idle"), 0);
    ck_assert_int_eq(value("rounds"), 1000);
    ck_assert_int_eq(value("raced"), 500);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbosev";
    Suite *s = suite_create("os-events");
    TCase *t = tcase_create("events");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, event_raised_while_nobody_waits_is_reported_after_the_wait, 0, 2);
    suite_add_tcase(s, t);
    return check_main(s);
}
