/*
 * skip.h — a test that cannot run here says so instead of passing.
 *
 * Check has no "skipped" result: a test that returns early is a pass.
 * test_skip() prints one line that tests/run-checks.sh counts: the test
 * is then reported as skipped, with its reason, and not as passed.
 */
#ifndef SPLITBED_TEST_SKIP_H
#define SPLITBED_TEST_SKIP_H

#include <stdio.h>

/* Call, then return from the test at once. */
static inline void test_skip(const char *why)
{
    printf("splitbed-skip: %s\n", why);
    fflush(stdout);
}

#endif
