/*
 * The seeded world (backends-sim/world/world.h): a few hundred schedules of a
 * correct blkfront/blkback pair hold every invariant, with crashes and
 * conflicting commits among them; a schedule replays byte for byte; and
 * each deliberately broken variant is caught by some schedule, which then
 * replays to the very same failure.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends-sim/world/world.h"
#include "tests/lib/check_main.h"

#define SEEDS 300u

static void run_seed(uint64_t seed, enum world_bug bug, bool trace, struct world_result *res,
                     char **t)
{
    struct world_opts o = { .bug = bug, .trace = trace };
    ck_assert_int_eq(world_run_seed(seed, &o, res, t), 0);
}

START_TEST(correct_pair_holds_on_every_seed)
{
    unsigned crashes = 0, conflicts = 0, requests = 0;
    for (uint64_t seed = 1; seed <= SEEDS; seed++) {
        struct world_result res;
        run_seed(seed, WORLD_BUG_NONE, false, &res, NULL);
        ck_assert_msg(res.ok, "seed %llu: step %llu: %s: %s (%s)", (unsigned long long)seed,
                      (unsigned long long)res.step, res.invariant, res.detail, res.config);
        crashes += res.crashes;
        conflicts += res.conflicts;
        requests += res.requests;
    }
    /* The faults must really happen, or the sweep proves little. */
    ck_assert_uint_gt(crashes, SEEDS / 20);
    ck_assert_uint_gt(conflicts, SEEDS / 20);
    ck_assert_uint_gt(requests, SEEDS * 10);
}
END_TEST

/* Seeds whose backend dies where a successor that only said InitWait
 * again went unseen: after InitWait alone (16), after a Connected the
 * frontend had not read (5), and never entering InitWait (13).  They
 * stalled until blkback's successor said Closing. */
START_TEST(restart_in_any_state_is_seen)
{
    static const uint64_t seeds[] = { 16, 5, 13 };
    for (unsigned i = 0; i < 3; i++) {
        struct world_result res;
        run_seed(seeds[i], WORLD_BUG_NONE, false, &res, NULL);
        ck_assert_msg(res.ok, "seed %llu: step %llu: %s: %s (%s)", (unsigned long long)seeds[i],
                      (unsigned long long)res.step, res.invariant, res.detail, res.config);
        ck_assert_uint_ge(res.crashes, 1);
    }
}
END_TEST

START_TEST(same_seed_same_trace)
{
    /* Seed 1 has a crash and a conflicting commit; 2 has neither. */
    for (uint64_t seed = 1; seed <= 2; seed++) {
        struct world_result a, b;
        char *ta = NULL, *tb = NULL;
        run_seed(seed, WORLD_BUG_NONE, true, &a, &ta);
        run_seed(seed, WORLD_BUG_NONE, true, &b, &tb);
        ck_assert_ptr_nonnull(ta);
        ck_assert_ptr_nonnull(tb);
        ck_assert_uint_gt(strlen(ta), 1000);
        ck_assert_msg(strcmp(ta, tb) == 0, "seed %llu: two runs traced differently",
                      (unsigned long long)seed);
        ck_assert_uint_eq(a.steps, b.steps);
        if (seed == 1) {
            ck_assert_uint_gt(a.crashes, 0);
            ck_assert_ptr_nonnull(strstr(ta, "fault: the backend dies"));
        }
        free(ta);
        free(tb);
    }
    struct world_result c, d;
    char *tc = NULL, *td = NULL;
    run_seed(3, WORLD_BUG_NONE, true, &c, &tc);
    run_seed(4, WORLD_BUG_NONE, true, &d, &td);
    ck_assert_msg(strcmp(tc, td) != 0, "seeds 3 and 4 ran the same schedule");
    free(tc);
    free(td);
}
END_TEST

START_TEST(same_bytes_same_trace)
{
    static const uint8_t sched[] = {
        4, 2, 0, 3, 0, 0, 3, 3, 3, 3, 3, 7, 7, 8, 0, 1, 5, 9, 200, 17
    };
    struct world_opts o = { .trace = true };
    struct world_result a, b, e;
    char *ta = NULL, *tb = NULL, *te = NULL;
    ck_assert_int_eq(world_run_bytes(sched, sizeof sched, &o, &a, &ta), 0);
    ck_assert_int_eq(world_run_bytes(sched, sizeof sched, &o, &b, &tb), 0);
    ck_assert_msg(a.ok, "%s: %s", a.invariant, a.detail);
    ck_assert_str_eq(ta, tb);
    /* The first bytes are the knobs: backend order 4, frontend order 2. */
    ck_assert_ptr_nonnull(strstr(ta, "using order 2"));
    /* An empty input is a whole run too. */
    ck_assert_int_eq(world_run_bytes(NULL, 0, &o, &e, &te), 0);
    ck_assert_msg(e.ok, "%s: %s", e.invariant, e.detail);
    free(ta);
    free(tb);
    free(te);
}
END_TEST

START_TEST(later_bytes_steer_only_the_schedule)
{
    /* At most 30 bytes choose the knobs, faults and workload; the rest
     * are scheduling decisions: changing them changes the interleaving
     * and nothing else. */
    uint8_t a[96], b[96];
    for (unsigned i = 0; i < sizeof a; i++)
        a[i] = b[i] = (uint8_t)(i * 37 + 11);
    for (unsigned i = 32; i < sizeof b; i++)
        b[i] ^= 0x5a;
    struct world_opts o = { .trace = true };
    struct world_result ra, rb;
    char *ta = NULL, *tb = NULL;
    ck_assert_int_eq(world_run_bytes(a, sizeof a, &o, &ra, &ta), 0);
    ck_assert_int_eq(world_run_bytes(b, sizeof b, &o, &rb, &tb), 0);
    ck_assert_msg(ra.ok && rb.ok, "%s: %s / %s: %s", ra.invariant, ra.detail, rb.invariant,
                  rb.detail);
    ck_assert_str_eq(ra.config, rb.config);
    ck_assert_uint_eq(ra.requests, rb.requests);
    ck_assert_msg(strcmp(ta, tb) != 0, "different schedule bytes ran the same interleaving");
    free(ta);
    free(tb);
}
END_TEST

/* Finds the first seed that catches `bug`, then replays it twice. */
static void caught_and_replayed(enum world_bug bug, const char *invariant, const char *detail_part)
{
    uint64_t seed = 0;
    struct world_result first;
    for (uint64_t s = 1; s <= 100 && !seed; s++) {
        run_seed(s, bug, false, &first, NULL);
        if (!first.ok)
            seed = s;
    }
    ck_assert_msg(seed, "no seed of 100 caught the %s variant", world_bug_name(bug));
    ck_assert_str_eq(first.invariant, invariant);
    ck_assert_msg(strstr(first.detail, detail_part), "detail: %s", first.detail);
    struct world_result a, b;
    char *ta = NULL, *tb = NULL;
    run_seed(seed, bug, true, &a, &ta);
    run_seed(seed, bug, true, &b, &tb);
    ck_assert(!a.ok && !b.ok);
    ck_assert_uint_eq(a.step, first.step);
    ck_assert_uint_eq(b.step, first.step);
    ck_assert_str_eq(a.invariant, first.invariant);
    ck_assert_str_eq(a.detail, first.detail);
    ck_assert_str_eq(ta, tb);
    ck_assert_ptr_nonnull(strstr(ta, "INVARIANT BROKEN"));
    free(ta);
    free(tb);
}

START_TEST(backend_answering_twice_is_caught_and_replays)
{
    caught_and_replayed(WORLD_BUG_DUP_RESPONSE, "no frontend error", "not outstanding");
}
END_TEST

START_TEST(readonly_data_grants_are_caught_and_replay)
{
    caught_and_replayed(WORLD_BUG_READONLY_GRANT, "no hypervisor rule broken",
                        "grant is read-only");
}
END_TEST

START_TEST(dup_response_depends_on_the_interleaving)
{
    /* The broken backend only misbehaves when one turn posts two responses
     * with nothing queued behind them: some schedules never give it the
     * chance, which is why the scheduler explores. */
    unsigned caught = 0;
    for (uint64_t s = 1; s <= 60; s++) {
        struct world_result res;
        run_seed(s, WORLD_BUG_DUP_RESPONSE, false, &res, NULL);
        caught += !res.ok;
    }
    ck_assert_uint_gt(caught, 0);
    ck_assert_uint_lt(caught, 60);
}
END_TEST

START_TEST(bug_names)
{
    ck_assert_int_eq(world_bug_parse("none"), WORLD_BUG_NONE);
    ck_assert_int_eq(world_bug_parse("dup-response"), WORLD_BUG_DUP_RESPONSE);
    ck_assert_int_eq(world_bug_parse("readonly-grant"), WORLD_BUG_READONLY_GRANT);
    ck_assert_int_eq(world_bug_parse("nonsense"), -1);
    ck_assert_str_eq(world_bug_name(WORLD_BUG_DUP_RESPONSE), "dup-response");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("replay");
    TCase *tc = tcase_create("world");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, correct_pair_holds_on_every_seed);
    tcase_add_test(tc, restart_in_any_state_is_seen);
    tcase_add_test(tc, same_seed_same_trace);
    tcase_add_test(tc, same_bytes_same_trace);
    tcase_add_test(tc, later_bytes_steer_only_the_schedule);
    tcase_add_test(tc, backend_answering_twice_is_caught_and_replays);
    tcase_add_test(tc, readonly_data_grants_are_caught_and_replay);
    tcase_add_test(tc, dup_response_depends_on_the_interleaving);
    tcase_add_test(tc, bug_names);
    suite_add_tcase(s, tc);
    return check_main(s);
}
