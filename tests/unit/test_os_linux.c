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
#include <sys/wait.h>
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

/* ---- hybrid_poll: the spin before os_wait sleeps ---------------------- */

START_TEST(poll_budget_grows_on_short_sleeps_and_shrinks_when_idle)
{
    struct hybrid_poll hp;
    hybrid_poll_init_us(&hp, 20);
    ck_assert_uint_eq(hp.budget_ns, 0); /* an idle process never spins */
    hybrid_poll_tune(&hp, 5000, true);
    ck_assert_uint_eq(hp.budget_ns, HYBRID_POLL_GROW_START_NS);
    hybrid_poll_tune(&hp, 5000, true);
    ck_assert_uint_eq(hp.budget_ns, 2 * HYBRID_POLL_GROW_START_NS);
    for (int i = 0; i < 10; i++)
        hybrid_poll_tune(&hp, 1000, true);
    ck_assert_uint_eq(hp.budget_ns, 20000); /* never above the largest */
    hybrid_poll_tune(&hp, 1000000, true);   /* a long sleep: halve */
    ck_assert_uint_eq(hp.budget_ns, 10000);
    hybrid_poll_tune(&hp, 1000, false); /* a timeout: halve */
    ck_assert_uint_eq(hp.budget_ns, 5000);
    for (int i = 0; i < 3; i++)
        hybrid_poll_tune(&hp, 1000000000, true);
    ck_assert_uint_eq(hp.budget_ns, 0);
    /* Off: nothing moves. */
    hybrid_poll_init_us(&hp, 0);
    hybrid_poll_tune(&hp, 1000, true);
    ck_assert_uint_eq(hp.budget_ns, 0);
}
END_TEST

static void check_poll_answers(uint64_t max_us, uint64_t budget_ns)
{
    struct hybrid_poll hp;
    hybrid_poll_init_us(&hp, max_us);
    hp.budget_ns = budget_ns;
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    struct pollfd pfd = { .fd = p[0], .events = POLLIN };
    /* Nothing ready: a zero timeout and a short one both say 0. */
    ck_assert_int_eq(hybrid_poll(&hp, &pfd, 1, 0), 0);
    ck_assert_int_eq(hybrid_poll(&hp, &pfd, 1, 2), 0);
    /* Ready before the call. */
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    ck_assert_int_eq(hybrid_poll(&hp, &pfd, 1, -1), 1);
    ck_assert(pfd.revents & POLLIN);
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    /* Made ready by another process, whether that lands in the spin or
     * in the sleep. */
    int go[2];
    ck_assert_int_eq(pipe(go), 0);
    pid_t child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        _exit(read(go[0], &c, 1) == 1 && write(p[1], "y", 1) == 1 ? 0 : 1);
    }
    ck_assert_int_eq(write(go[1], "g", 1), 1);
    pfd.revents = 0;
    ck_assert_int_eq(hybrid_poll(&hp, &pfd, 1, -1), 1);
    ck_assert(pfd.revents & POLLIN);
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    ck_assert_int_eq(c, 'y');
    int st;
    ck_assert_int_eq(waitpid(child, &st, 0), child);
    ck_assert_int_eq(st, 0);
    close(go[0]);
    close(go[1]);
    close(p[0]);
    close(p[1]);
}

START_TEST(poll_answers_as_poll_with_spinning_on_and_off)
{
    check_poll_answers(0, 0);          /* off: plain poll(2) */
    check_poll_answers(1000, 1000000); /* spins up to 1 ms first */
}
END_TEST

static bool ready_on_third_look(void *arg)
{
    return ++*(unsigned *)arg >= 3;
}

static bool never_ready(void *arg)
{
    ++*(unsigned *)arg;
    return false;
}

/* The spin over memory: answers as soon as the look does, gives up when
 * its budget is spent, and is no spin at all when off or unbudgeted. */
START_TEST(spin_over_memory_stops_at_the_answer_or_the_budget)
{
    struct hybrid_poll hp;
    unsigned looks = 0;
    hybrid_poll_init_us(&hp, 0);
    ck_assert(!hybrid_poll_spin(&hp, ready_on_third_look, &looks));
    ck_assert_uint_eq(looks, 0);
    hybrid_poll_init_us(&hp, 1000000);
    ck_assert(!hybrid_poll_spin(&hp, ready_on_third_look, &looks)); /* budget 0 yet */
    ck_assert_uint_eq(looks, 0);
    /* A yield that let another task run ends the spin (the CPU is
     * contended): on a busy machine, try again until one went through. */
    bool answered = false;
    for (int i = 0; i < 1000 && !answered; i++) {
        looks = 0;
        hp.budget_ns = 1000000000ull;
        answered = hybrid_poll_spin(&hp, ready_on_third_look, &looks);
        ck_assert(answered || hp.budget_ns == 0);
    }
    ck_assert(answered);
    ck_assert_uint_eq(looks, 3);
    looks = 0;
    hp.budget_ns = 100000;
    ck_assert(!hybrid_poll_spin(&hp, never_ready, &looks));
    ck_assert_uint_ge(looks, 1);
    /* The sleep after it is a poll that tunes the budget. */
    int p[2];
    ck_assert_int_eq(pipe(p), 0);
    struct pollfd pfd = { .fd = p[0], .events = POLLIN };
    hp.budget_ns = 0;
    ck_assert_int_eq(write(p[1], "x", 1), 1);
    ck_assert_int_eq(hybrid_poll_sleep(&hp, &pfd, 1, -1), 1);
    ck_assert_uint_eq(hp.budget_ns, HYBRID_POLL_GROW_START_NS);
    char c;
    ck_assert_int_eq(read(p[0], &c, 1), 1);
    ck_assert_int_eq(hybrid_poll_sleep(&hp, &pfd, 1, 0), 0);
    ck_assert_uint_eq(hp.budget_ns, HYBRID_POLL_GROW_START_NS); /* a look, not a sleep */
    close(p[0]);
    close(p[1]);
}
END_TEST

START_TEST(poll_env_knob)
{
    struct hybrid_poll hp;
    unsetenv("SPLITBED_POLL_US");
    ck_assert_int_eq(hybrid_poll_init(&hp), 0);
    ck_assert_uint_eq(hp.max_ns, HYBRID_POLL_DEFAULT_US * 1000ull);
    setenv("SPLITBED_POLL_US", "0", 1);
    ck_assert_int_eq(hybrid_poll_init(&hp), 0);
    ck_assert_uint_eq(hp.max_ns, 0);
    setenv("SPLITBED_POLL_US", "250", 1);
    ck_assert_int_eq(hybrid_poll_init(&hp), 0);
    ck_assert_uint_eq(hp.max_ns, 250000);
    const char *bad[] = { "", "-1", " 5", "5us", "1000001", "99999999999999999999999" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        setenv("SPLITBED_POLL_US", bad[i], 1);
        ck_assert_msg(hybrid_poll_init(&hp) == -1, "accepted '%s'", bad[i]);
        ck_assert_uint_eq(hp.max_ns, 0);
    }
    unsetenv("SPLITBED_POLL_US");
}
END_TEST

static struct os *opened;
static void try_open(struct os *os)
{
    (void)os;
    opened = os_linux_open(&(struct os_linux_opts){ 0 });
}

START_TEST(bad_poll_env_is_one_line_and_no_host)
{
    char out[512];
    setenv("SPLITBED_POLL_US", "fast", 1);
    capture(try_open, NULL, out, sizeof out);
    unsetenv("SPLITBED_POLL_US");
    ck_assert_ptr_null(opened);
    ck_assert_str_eq(out, "[os] SPLITBED_POLL_US=fast: not a number of microseconds from 0 to "
                          "1000000\n");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("os-linux");
    TCase *t = tcase_create("no xen");
    tcase_add_test(t, parse_u64);
    tcase_add_test(t, quiet_keeps_errors_and_warnings);
    tcase_add_test(t, grant_of_a_buffer_off_the_page_is_refused);
    tcase_add_test(t, poll_budget_grows_on_short_sleeps_and_shrinks_when_idle);
    tcase_add_test(t, poll_answers_as_poll_with_spinning_on_and_off);
    tcase_add_test(t, spin_over_memory_stops_at_the_answer_or_the_budget);
    tcase_add_test(t, poll_env_knob);
    tcase_add_test(t, bad_poll_env_is_one_line_and_no_host);
    suite_add_tcase(s, t);
    return check_main(s);
}
