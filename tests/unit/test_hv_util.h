/*
 * test_hv_util.h — shared checks for the hypervisor core's unit tests:
 * every refused operation must leave exactly one trace line, and that line
 * is compared whole, so a change of wording is a deliberate test change.
 */
#ifndef SPLITBED_TEST_HV_UTIL_H
#define SPLITBED_TEST_HV_UTIL_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

#include "backends-sim/world/world_fixture.h"

/* Exactly one trace line since the last clear, equal to `want`; clears. */
#define TRACED(ip, want)                                    \
    do {                                                    \
        ck_assert_uint_eq(hvhost_trace_count(ip), 1);       \
        ck_assert_str_eq(hvhost_trace_line(ip, 0), (want)); \
        hvhost_clear(ip);                                   \
    } while (0)

/* No trace line since the last clear. */
#define UNTRACED(ip) \
    ck_assert_msg(hvhost_trace_count(ip) == 0, "unexpected trace: %s", hvhost_last_trace(ip))

#define COUNTS_EQ(c, g, m, p)                 \
    do {                                      \
        ck_assert_uint_eq((c).grants, (g));   \
        ck_assert_uint_eq((c).mappings, (m)); \
        ck_assert_uint_eq((c).ports, (p));    \
    } while (0)

static inline struct hv_counts dom_counts(struct hvhost *ip, domid_t d)
{
    struct hv_counts c;
    ck_assert_int_eq(hv_domain_counts(hvhost_hv(ip), d, &c), 0);
    return c;
}

static inline struct hv_counts total_counts(struct hvhost *ip)
{
    struct hv_counts c;
    hv_total_counts(hvhost_hv(ip), &c);
    return c;
}

/* Runs one suite; prints Check's summary; the exit status says it all. */
static inline int run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
