/*
 * The VM's qrexec trigger as dom0 reads it (QUBES-FACTS §4.6) and the
 * allow list (backends-sim/qubes/qrexec_policy.h): malformed requests
 * are refused, broken messages cut the VM off, odd characters are
 * replaced, and only listed service/target pairs pass.
 */
#include <check.h>
#include <string.h>

#include "backends-sim/qubes/qrexec_policy.h"
#include "tests/lib/check_main.h"

/* A trigger payload: target, request id, then the service string. */
static uint32_t trigger(uint8_t *buf, const char *target, const char *id, const char *svc,
                        size_t svc_len)
{
    memset(buf, 0, 96);
    memcpy(buf, target, strlen(target));
    memcpy(buf + 64, id, strlen(id));
    memcpy(buf + 96, svc, svc_len);
    return (uint32_t)(96 + svc_len);
}

START_TEST(a_good_trigger_is_read)
{
    static uint8_t b[256];
    struct qrexec_trigger t;
    const char *refuse;
    uint32_t n = trigger(b, "dom0", "SOCKET7", "qubes.Filecopy+a\0", 17);
    ck_assert_ptr_null(qrexec_trigger_parse(b, n, false, &t, &refuse));
    ck_assert_ptr_null(refuse);
    ck_assert_str_eq(t.target, "dom0");
    ck_assert_str_eq(t.request_id, "SOCKET7");
    ck_assert_str_eq(t.service, "qubes.Filecopy+a");
}
END_TEST

START_TEST(a_v4_trigger_is_read_without_its_source)
{
    static uint8_t b[256];
    struct qrexec_trigger t;
    const char *refuse;
    memset(b, 0, sizeof b);
    memcpy(b, "pretends-to-be-dom0", 19);
    memcpy(b + 64, "dom0", 4);
    memcpy(b + 128, "SOCKET", 6);
    memcpy(b + 160, "test.Up+x", 10);
    ck_assert_ptr_null(qrexec_trigger_parse(b, 170, true, &t, &refuse));
    ck_assert_ptr_null(refuse);
    ck_assert_str_eq(t.target, "dom0");
    ck_assert_str_eq(t.request_id, "SOCKET");
    ck_assert_str_eq(t.service, "test.Up+x");
    ck_assert_ptr_nonnull(qrexec_trigger_parse(b, 160, true, &t, &refuse));
}
END_TEST

START_TEST(odd_characters_are_replaced)
{
    static uint8_t b[256];
    struct qrexec_trigger t;
    const char *refuse;
    uint32_t n = trigger(b, "vm/2;x", "id", "a$b+c d\0", 8);
    ck_assert_ptr_null(qrexec_trigger_parse(b, n, false, &t, &refuse));
    ck_assert_ptr_null(refuse);
    ck_assert_str_eq(t.target, "vm_2_x");
    ck_assert_str_eq(t.service, "a_b+c_d");
}
END_TEST

START_TEST(malformed_requests_are_refused)
{
    static uint8_t b[256];
    struct qrexec_trigger t;
    const char *refuse;
    uint32_t n = trigger(b, "dom0", "bad/id", "x\0", 2);
    ck_assert_ptr_null(qrexec_trigger_parse(b, n, false, &t, &refuse));
    ck_assert_ptr_nonnull(strstr(refuse, "request id"));
    n = trigger(b, "dom0", "id", "a\0b\0", 4);
    ck_assert_ptr_null(qrexec_trigger_parse(b, n, false, &t, &refuse));
    ck_assert_ptr_nonnull(strstr(refuse, "not one string"));
    n = trigger(b, "dom0", "id", "+a\0", 3);
    ck_assert_ptr_null(qrexec_trigger_parse(b, n, false, &t, &refuse));
    ck_assert_ptr_nonnull(strstr(refuse, "begins with '+'"));
    n = trigger(b, "dom0", "id", "abc", 3); /* no terminator */
    ck_assert_ptr_null(qrexec_trigger_parse(b, n, false, &t, &refuse));
    ck_assert_ptr_nonnull(refuse);
}
END_TEST

START_TEST(broken_messages_cut_the_vm_off)
{
    static uint8_t b[96 + 65002];
    struct qrexec_trigger t;
    const char *refuse;
    ck_assert_ptr_nonnull(qrexec_trigger_parse(b, 96, false, &t, &refuse));
    memset(b + 96, 'a', 65001);
    b[96 + 65001] = 0;
    ck_assert_ptr_nonnull(qrexec_trigger_parse(b, 96 + 65002, false, &t, &refuse));
}
END_TEST

START_TEST(only_listed_calls_pass)
{
    struct qrexec_policy p = { .n = 0 };
    ck_assert_ptr_null(qrexec_policy_add(&p, "qubes.Echo@dom0"));
    ck_assert_ptr_null(qrexec_policy_add(&p, "qubes.Cat+one@vm2"));
    ck_assert(qrexec_policy_allows(&p, "qubes.Echo", "dom0"));
    ck_assert(qrexec_policy_allows(&p, "qubes.Echo+anything", "dom0"));
    ck_assert(!qrexec_policy_allows(&p, "qubes.Echo", "vm2"));
    ck_assert(!qrexec_policy_allows(&p, "qubes.EchoX", "dom0"));
    ck_assert(qrexec_policy_allows(&p, "qubes.Cat+one", "vm2"));
    ck_assert(!qrexec_policy_allows(&p, "qubes.Cat+two", "vm2"));
    ck_assert(!qrexec_policy_allows(&p, "qubes.Cat", "vm2"));
    ck_assert_ptr_nonnull(qrexec_policy_add(&p, "qubes.Echo"));
    ck_assert_ptr_nonnull(qrexec_policy_add(&p, "+x@dom0"));
    ck_assert_ptr_nonnull(qrexec_policy_add(&p, "a b@dom0"));
    ck_assert_ptr_nonnull(qrexec_policy_add(&p, "a@"));
    ck_assert_uint_eq(p.n, 2);
    qrexec_policy_free(&p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qrexec_policy");
    TCase *tc = tcase_create("trigger");
    tcase_add_test(tc, a_good_trigger_is_read);
    tcase_add_test(tc, a_v4_trigger_is_read_without_its_source);
    tcase_add_test(tc, odd_characters_are_replaced);
    tcase_add_test(tc, malformed_requests_are_refused);
    tcase_add_test(tc, broken_messages_cut_the_vm_off);
    tcase_add_test(tc, only_listed_calls_pass);
    suite_add_tcase(s, tc);
    return check_main(s);
}
