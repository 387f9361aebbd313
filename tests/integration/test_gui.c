/*
 * The GUI handshake on the simulator: splitbed-guid (dom0's GUI daemon
 * stand-in) against VMs that break the protocol after the handshake or
 * offer a protocol it does not speak.  Each is named in one line of
 * guid's log and dropped; guid then waits for the VM to serve again.
 * (The handshake with our own agent is in test_qubesdb's seed run.)
 */
#include <check.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>

#include "tests/integration/qubes_sim.h"
#include "tests/lib/scratch.h"
#include "tests/lib/check_main.h"
#include "tests/lib/runproc.h"

static void hostile(const char *mode, const char *configured, const char *needle)
{
    qs_start();
    struct qs_proc vm, guid;
    const char *vargv[] = { build_path("tests/gui-hostile"), mode, NULL };
    qs_exec(&vm, 1, vargv);
    const char *gargv[] = { "splitbed-guid", "--domain", "1", "--screen", "1021x700x24", NULL };
    qs_exec(&guid, 0, gargv);
    if (configured)
        ck_assert_str_eq(qs_line(&vm), configured);
    ck_assert_str_eq(qs_line(&vm), "cut");
    ck_assert_int_eq(qs_wait(&vm), 0);
    kill(guid.pid, SIGTERM);
    ck_assert_int_eq(qs_wait(&guid), 0);
    ck_assert_msg(qs_err_count(&guid, "cutting it off") == 1, "guid said: %s", guid.errbuf);
    ck_assert_msg(qs_err_count(&guid, needle) == 1, "guid said: %s", guid.errbuf);
    qs_stop();
}

START_TEST(unknown_message_type)
{
    /* the width is rounded up to a multiple of 8, as guid does */
    hostile("type", "configured 1024x700", "message type 0x7b");
}
END_TEST

START_TEST(another_major_version)
{
    hostile("major", NULL, "offers GUI protocol 2.0, not 1.x");
}
END_TEST

START_TEST(version_1_4_gets_its_version_back)
{
    hostile("create", "configured 1024x700", "message type 0x7b");
}
END_TEST

int main(void)
{
    scratch_prefix = "sbgui";
    Suite *s = suite_create("gui");
    TCase *tc = tcase_create("gui");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, unknown_message_type);
    tcase_add_test(tc, another_major_version);
    tcase_add_test(tc, version_1_4_gets_its_version_back);
    suite_add_tcase(s, tc);
    return check_main(s);
}
