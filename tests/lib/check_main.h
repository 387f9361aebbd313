/*
 * check_main.h — how every Check test binary ends: run the suite with
 * Check's normal output (its summary line is what tests/run-checks.sh
 * adds up) and turn the result into the exit status.
 */
#ifndef SPLITBED_CHECK_MAIN_H
#define SPLITBED_CHECK_MAIN_H

#include <check.h>

static inline int check_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}

#endif
