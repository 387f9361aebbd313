/*
 * A process given a grant reaches only the memory it was granted: a
 * hostile mapper (hv-peer's "snoop": it maps every memfd among its
 * descriptors over its whole size, readable and, where it can, writable)
 * finds neither a page its granter shared with a third domain nor a page
 * whose grant ended and was reused for another sharing.
 */
#include "tests/integration/test_hv_harness.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

START_TEST(mapper_sees_only_its_grants)
{
    hvt_start();
    struct peer a, b, c;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    hvt_peer(&c, 3);
    unsigned r3, r2;
    /* a page of domain 1 for domain 3 only */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 3 1 1"), "%u", &r3), 1);
    hvt_ok(&a, "fill 0 %d", 0x5a);
    /* and one for domain 2, writable */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r2), 1);
    hvt_ok(&a, "fill 0 %d", 0x11);
    hvt_ok(&b, "map 1 1 %u", r2);
    hvt_ok(&b, "check 0 %d", 0x11);
    /* the snoop does find what it was granted: it would find more */
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x11), "1");
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x5a), "0");
    hvt_ok(&c, "map 1 0 %u", r3);
    hvt_ok(&c, "check 0 %d", 0x5a);
    hvt_ok(&c, "unmap");
    hvt_ok(&b, "unmap");
    /* a grant ends while b still holds what it was sent for it; the
     * frame goes to a sharing for domain 3 */
    hvt_ok(&a, "unshare");
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 3 1 1"), "%u", &r3), 1);
    hvt_ok(&a, "fill 0 %d", 0xa7);
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0xa7), "0");
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x11), "0");
    hvt_ok(&c, "map 1 0 %u", r3);
    hvt_ok(&c, "check 0 %d", 0xa7);
    hvt_ok(&c, "unmap");
    hvt_end(&a);
    hvt_end(&b);
    hvt_end(&c);
    hvt_stop();
}
END_TEST

START_TEST(ended_page_mapped_late_is_not_reused)
{
    hvt_start();
    struct peer a, b, c;
    hvt_peer(&a, 1);
    hvt_peer(&b, 2);
    hvt_peer(&c, 3);
    unsigned r;
    /* b still maps the page when a ends its grant (as gntalloc, the
     * frame stays with the mapper until it unmaps) */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 2 1 1"), "%u", &r), 1);
    hvt_ok(&a, "fill 0 %d", 0x33);
    hvt_ok(&b, "map 1 1 %u", r);
    hvt_ok(&a, "unshare");
    hvt_ok(&b, "check 0 %d", 0x33);
    hvt_ok(&b, "unmap");
    /* then its frame is reused for domain 3 */
    ck_assert_int_eq(sscanf(hvt_ok(&a, "share 3 1 1"), "%u", &r), 1);
    hvt_ok(&a, "fill 0 %d", 0xc4);
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0xc4), "0");
    ck_assert_str_eq(hvt_ok(&b, "snoop %d", 0x33), "0");
    hvt_ok(&c, "map 1 0 %u", r);
    hvt_ok(&c, "check 0 %d", 0xc4);
    hvt_ok(&c, "unmap");
    hvt_end(&a);
    hvt_end(&b);
    hvt_end(&c);
    hvt_stop();
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hv_proc_isolation");
    TCase *tc = tcase_create("isolation");
    tcase_add_unchecked_fixture(tc, hvt_suite_setup, hvt_suite_teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, mapper_sees_only_its_grants);
    tcase_add_test(tc, ended_page_mapped_late_is_not_reused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
