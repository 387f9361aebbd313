/*
 * `splitbed replay` as a user runs it after a fuzzer found something: a
 * seed or a schedule file in, exit 0 when the invariants hold, 1 with one
 * line naming the broken invariant and its step, 2 for bad usage; and the
 * same schedule traces the same in two separate processes.  The same for
 * the net world (--net): frames between netfront and netback.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/lib/check_main.h"

#define TIMEOUT 60

static struct runproc r, r2;
static char dir[64];

static void replay(struct runproc *out, char *const args[])
{
    char *argv[16] = { (char *)build_path("bin/splitbed"), "replay" };
    int i = 0;
    for (; args[i] && i < 13; i++)
        argv[i + 2] = args[i];
    argv[i + 2] = NULL;
    runproc(out, NULL, 0, TIMEOUT, NULL, argv);
}

#define REPLAY(out, ...) replay(out, (char *[]){ __VA_ARGS__, NULL })

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
}

static void teardown(void)
{
    runproc_rmtree(dir);
}

START_TEST(seed_that_holds_exits_0)
{
    REPLAY(&r, "--seed", "7");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "invariants held"));
    ck_assert_int_eq(runproc_lines(r.out), 1);
}
END_TEST

START_TEST(broken_variant_exits_1_with_one_line)
{
    REPLAY(&r, "--seed", "1", "--bug", "dup-response");
    ck_assert_int_eq(r.status, 1);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, "step ") && strstr(r.err, "invariant \"no frontend error\" broken"),
                  "%s", r.err);
    /* The same again: the same step, the same words. */
    REPLAY(&r2, "--seed", "1", "--bug", "dup-response");
    ck_assert_str_eq(r.err, r2.err);
}
END_TEST

START_TEST(schedule_file_traces_the_same_twice)
{
    char path[128];
    snprintf(path, sizeof path, "%s/crash-1234", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    static const unsigned char sched[] = { 2, 3, 0,  3, 0, 0, 3,  3, 3,   3, 3,
                                           3, 3, 16, 1, 0, 2, 40, 1, 200, 3, 0 };
    ck_assert_uint_eq(fwrite(sched, 1, sizeof sched, f), sizeof sched);
    fclose(f);
    REPLAY(&r, path, "--trace");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    REPLAY(&r2, path, "--trace");
    ck_assert_int_eq(r2.status, 0);
    ck_assert_uint_gt(r.out_len, 1000);
    ck_assert_uint_lt(r.out_len, sizeof r.out - 1); /* whole, not cut */
    ck_assert_str_eq(r.out, r2.out);
    ck_assert_ptr_nonnull(strstr(r.out, "deliver watch to backend"));
}
END_TEST

START_TEST(bad_usage_exits_2)
{
    static const char *const cases[][3] = {
        { "--seed", NULL, NULL },
        { "--seed", "x12", NULL },
        { "--seed", "-1", NULL },
        { "--bug", "nonsense", "--seed" },
        { "/nonexistent/crash-file", NULL, NULL },
        { "--frobnicate", NULL, NULL },
        { "a", "b", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *args[4] = { (char *)cases[i][0], (char *)cases[i][1], (char *)cases[i][2], NULL };
        replay(&r, args);
        ck_assert_msg(r.status == 2, "case %zu (%s): status %d", i, cases[i][0], r.status);
        ck_assert_msg(runproc_lines(r.err) == 1, "case %zu: %s", i, r.err);
    }
    char *none[] = { NULL };
    replay(&r, none);
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
}
END_TEST

START_TEST(net_world_seed_holds_and_lost_frame_is_named)
{
    REPLAY(&r, "--net", "--seed", "7");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "invariants held: ") && strstr(r.out, " frames, "), "%s", r.out);
    ck_assert_int_eq(runproc_lines(r.out), 1);

    /* A fuzz_interleave_net crash file replays as its schedule. */
    char path[128];
    snprintf(path, sizeof path, "%s/crash-net", dir);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    static const unsigned char sched[] = { 3, 0, 1, 1, 0, 0, 1, 0, 0, 12, 9, 4, 1, 2, 1, 5, 7, 3 };
    ck_assert_uint_eq(fwrite(sched, 1, sizeof sched, f), sizeof sched);
    fclose(f);
    REPLAY(&r, path, "--net", "--trace");
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    REPLAY(&r2, path, "--net", "--trace");
    ck_assert_str_eq(r.out, r2.out);
    ck_assert_ptr_nonnull(strstr(r.out, "guest sends frame"));

    /* A backend that loses a frame: exit 1, one line naming it. */
    int caught = 0;
    for (int seed = 1; seed <= 20 && !caught; seed++) {
        char s[16];
        snprintf(s, sizeof s, "%d", seed);
        REPLAY(&r, "--net", "--seed", s, "--bug", "net-lost-frame");
        if (r.status == 0)
            continue;
        caught = 1;
        ck_assert_int_eq(r.status, 1);
        ck_assert_int_eq(runproc_lines(r.err), 1);
        ck_assert_msg(
            strstr(r.err, "invariant \"every frame arrives once or counts as dropped\" broken"),
            "%s", r.err);
    }
    ck_assert_msg(caught, "no seed of 20 caught the lost frame");

    /* Each world's bugs belong to it. */
    REPLAY(&r, "--seed", "1", "--bug", "net-lost-frame");
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    REPLAY(&r, "--net", "--seed", "1", "--bug", "dup-response");
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbreplay";
    Suite *s = suite_create("replay-cli");
    TCase *tc = tcase_create("splitbed replay");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, seed_that_holds_exits_0);
    tcase_add_test(tc, broken_variant_exits_1_with_one_line);
    tcase_add_test(tc, schedule_file_traces_the_same_twice);
    tcase_add_test(tc, bad_usage_exits_2);
    tcase_add_test(tc, net_world_seed_holds_and_lost_frame_is_named);
    suite_add_tcase(s, tc);
    return check_main(s);
}
