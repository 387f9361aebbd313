/*
 * skip.h — a test that cannot run here says so instead of passing.
 *
 * Check has no "skipped" result: a test that returns early is a pass.
 * test_skip() marks its own line as the test's last checkpoint (which
 * Check's XML report records) and prints one line naming that place and
 * the reason.  tests/run-checks.sh counts the line: the test is reported
 * as skipped, with its reason, and not as passed, in the summary and in
 * the JUnit XML (check-to-junit.py matches the place to the test).
 */
#ifndef SPLITBED_TEST_SKIP_H
#define SPLITBED_TEST_SKIP_H

#include <check.h>
#include <stdio.h>

static inline void test_skip_at(const char *file, int line, const char *why)
{
    printf("splitbed-skip: %s:%d: %s\n", file, line, why);
    fflush(stdout);
}

/* Call, then return from the test at once. */
#define test_skip(why) (mark_point(), test_skip_at(__FILE__, __LINE__, (why)))

#endif
