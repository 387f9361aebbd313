/*
 * The net world (backends-sim/world/networld.h): a few hundred schedules
 * of netfront and netback hold every invariant, with failed grant
 * copies and conflicting commits among them, and frames really dropped
 * and counted; a schedule replays byte for byte; a backend that loses a
 * frame without counting it is caught, and the schedule that caught it
 * replays to the same failure.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/networld.h"
#include "tests/lib/check_main.h"

#define SEEDS 300u

static void run_seed(uint64_t seed, enum world_bug bug, bool trace, struct world_result *res,
                     char **t)
{
    struct world_opts o = { .bug = bug, .trace = trace };
    ck_assert_int_eq(networld_run_seed(seed, &o, res, t), 0);
}

START_TEST(correct_pair_holds_on_every_seed)
{
    unsigned frames = 0, conflicts = 0, dropped_runs = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        struct world_result res;
        char *t = NULL;
        run_seed(seed, WORLD_BUG_NONE, true, &res, &t);
        ck_assert_msg(res.ok, "seed %llu: step %llu: %s: %s (%s)", (unsigned long long)seed,
                      (unsigned long long)res.step, res.invariant, res.detail, res.config);
        frames += res.requests;
        conflicts += res.conflicts;
        /* A failed copy drops a frame, which the account must include. */
        const char *acct = strstr(t, "every frame accounted for: ");
        ck_assert_ptr_nonnull(acct);
        unsigned long long be = 0, fe = 0;
        ck_assert_int_eq(sscanf(acct,
                                "every frame accounted for: %llu dropped by the backend, "
                                "%llu by the guest",
                                &be, &fe),
                         2);
        dropped_runs += be + fe > 0;
        free(t);
    }
    /* The faults must really happen, or the sweep proves little. */
    ck_assert_uint_gt(dropped_runs, SEEDS / 20);
    ck_assert_uint_gt(conflicts, SEEDS / 20);
    ck_assert_uint_gt(frames, SEEDS * 10);
}
END_TEST

START_TEST(same_seed_same_trace)
{
    struct world_result a, b;
    char *ta = NULL, *tb = NULL;
    run_seed(42, WORLD_BUG_NONE, true, &a, &ta);
    run_seed(42, WORLD_BUG_NONE, true, &b, &tb);
    ck_assert(a.ok && b.ok);
    ck_assert_str_eq(ta, tb);
    ck_assert_ptr_nonnull(strstr(ta, "guest sends frame"));
    ck_assert_ptr_nonnull(strstr(ta, "the backend received frame"));
    free(ta);
    free(tb);
}
END_TEST

START_TEST(same_bytes_same_trace)
{
    static const uint8_t sched[] = { 3, 0, 1, 1, 0, 0, 1, 0, 0, 12, 9, 4, 1, 2, 1, 5, 7, 3 };
    struct world_opts o = { .trace = true };
    struct world_result a, b;
    char *ta = NULL, *tb = NULL;
    ck_assert_int_eq(networld_run_bytes(sched, sizeof sched, &o, &a, &ta), 0);
    ck_assert_int_eq(networld_run_bytes(sched, sizeof sched, &o, &b, &tb), 0);
    ck_assert_msg(a.ok, "%s: %s", a.invariant, a.detail);
    ck_assert_str_eq(ta, tb);
    free(ta);
    free(tb);
}
END_TEST

/* A backend that loses the guest's frame 1 without counting it. */
START_TEST(lost_frame_is_caught_and_replays)
{
    uint64_t seed = 0;
    struct world_result first;
    for (uint64_t s = 1; s <= 100 && !seed; s++) {
        run_seed(s, WORLD_BUG_NET_LOST_FRAME, false, &first, NULL);
        if (!first.ok)
            seed = s;
    }
    ck_assert_msg(seed, "no seed of 100 caught the net-lost-frame variant");
    ck_assert_str_eq(first.invariant, "every frame arrives once or counts as dropped");
    ck_assert_msg(strstr(first.detail, "did not arrive"), "detail: %s", first.detail);
    struct world_result a, b;
    char *ta = NULL, *tb = NULL;
    run_seed(seed, WORLD_BUG_NET_LOST_FRAME, true, &a, &ta);
    run_seed(seed, WORLD_BUG_NET_LOST_FRAME, true, &b, &tb);
    ck_assert(!a.ok && !b.ok);
    ck_assert_uint_eq(a.step, first.step);
    ck_assert_str_eq(a.detail, first.detail);
    ck_assert_str_eq(ta, tb);
    ck_assert_ptr_nonnull(strstr(ta, "bug: the backend loses frame 1"));
    ck_assert_ptr_nonnull(strstr(ta, "INVARIANT BROKEN"));
    free(ta);
    free(tb);
}
END_TEST

START_TEST(bug_name)
{
    ck_assert_int_eq(world_bug_parse("net-lost-frame"), WORLD_BUG_NET_LOST_FRAME);
    ck_assert_str_eq(world_bug_name(WORLD_BUG_NET_LOST_FRAME), "net-lost-frame");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("networld");
    TCase *tc = tcase_create("net world");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, correct_pair_holds_on_every_seed);
    tcase_add_test(tc, same_seed_same_trace);
    tcase_add_test(tc, same_bytes_same_trace);
    tcase_add_test(tc, lost_frame_is_caught_and_replays);
    tcase_add_test(tc, bug_name);
    suite_add_tcase(s, tc);
    return check_main(s);
}
