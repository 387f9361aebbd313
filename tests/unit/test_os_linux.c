/*
 * test_os_linux.c — the parts of the Linux OS layer that need no Xen:
 * number parsing, log filtering, and the grant refusals with their
 * one-line diagnosis.  (Sharing, event channels and xenstore are exercised
 * end to end by tests/integration/test_blkfront_e2e.c.)
 */
#include <check.h>

#include "tests/lib/check_main.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontends/os/linux/os_linux.h"

/* Runs fn with stderr captured into buf. */
static void capture(void (*fn)(struct os *), struct os *os, char *buf, size_t size)
{
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    int saved = dup(2);
    dup2(p[1], 2);
    close(p[1]);
    fn(os);
    dup2(saved, 2);
    close(saved);
    ssize_t n = read(p[0], buf, size - 1);
    close(p[0]);
    buf[n > 0 ? n : 0] = '\0';
}

START_TEST(parse_u64)
{
    uint64_t v;
    ck_assert_int_eq(os_parse_u64("0", &v), 0);
    ck_assert_uint_eq(v, 0);
    ck_assert_int_eq(os_parse_u64("51712", &v), 0);
    ck_assert_uint_eq(v, 51712);
    ck_assert_int_eq(os_parse_u64("0x1F", &v), 0);
    ck_assert_uint_eq(v, 31);
    ck_assert_int_eq(os_parse_u64("18446744073709551615", &v), 0);
    ck_assert_uint_eq(v, UINT64_MAX);
    ck_assert_int_eq(os_parse_u64("18446744073709551616", &v), -OS_EINVAL);
    ck_assert_int_eq(os_parse_u64("", &v), -OS_EINVAL);
    ck_assert_int_eq(os_parse_u64("0x", &v), -OS_EINVAL);
    ck_assert_int_eq(os_parse_u64("12a", &v), -OS_EINVAL);
    ck_assert_int_eq(os_parse_u64("-1", &v), -OS_EINVAL);
    ck_assert_int_eq(os_parse_u64(" 1", &v), -OS_EINVAL);
}
END_TEST

static void log_levels(struct os *os)
{
    os_log(os, OS_LOG_ERROR, "[t] an error %d", 1);
    os_log(os, OS_LOG_WARN, "[t] a warning");
    os_log(os, OS_LOG_INFO, "[t] some info");
    os_log(os, OS_LOG_DEBUG, "[t] debug");
}

START_TEST(quiet_keeps_errors_and_warnings)
{
    struct os os = { .max_level = OS_LOG_WARN, .domid = 1 };
    char out[1024];
    capture(log_levels, &os, out, sizeof out);
    ck_assert_str_eq(out, "[t] an error 1\n[t] a warning\n");
    os.max_level = OS_LOG_INFO;
    capture(log_levels, &os, out, sizeof out);
    ck_assert_str_eq(out, "[t] an error 1\n[t] a warning\n[t] some info\n");
}
END_TEST

static const void *grant_target;
static int grant_result;

static void try_grant(struct os *os)
{
    grant_ref_t ref;
    grant_result = os_grant_access(os, 0, grant_target, false, &ref);
}

START_TEST(grant_of_a_buffer_off_the_page_is_refused)
{
    struct os os = { .max_level = OS_LOG_INFO, .domid = 3 };
    uint8_t *page = aligned_alloc(4096, 8192);
    char out[512], want[160];
    grant_target = page + 0x10;
    capture(try_grant, &os, out, sizeof out);
    ck_assert_int_eq(grant_result, -OS_EINVAL);
    snprintf(
        want, sizeof want,
        "[os] d3: grant of buffer 0x%lx refused: not the start of a whole page (offset 0x10)\n",
        (unsigned long)(uintptr_t)(page + 0x10));
    ck_assert_str_eq(out, want);
    /* A whole page, but not one this process shared: refused too. */
    grant_target = page;
    capture(try_grant, &os, out, sizeof out);
    ck_assert_int_eq(grant_result, -OS_EINVAL);
    ck_assert_msg(
        strstr(out, "refused: a Linux process can only grant pages it got from os_share_pages"),
        "%s", out);
    ck_assert_int_eq(strchr(out, '\n') - out + 1, (long)strlen(out)); /* one line */
    free(page);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("os-linux");
    TCase *t = tcase_create("no xen");
    tcase_add_test(t, parse_u64);
    tcase_add_test(t, quiet_keeps_errors_and_warnings);
    tcase_add_test(t, grant_of_a_buffer_off_the_page_is_refused);
    suite_add_tcase(s, t);
    return check_main(s);
}
