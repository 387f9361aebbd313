/*
 * A process started in a domain stays in it: each way a guest could
 * reach another domain's powers by naming another socket (hvd's and
 * xenstored's), by running the toolstack's commands, or by changing its
 * environment is refused, with its line in DIR/trace or on stderr.  Host
 * processes (tests, backends started by hand) keep acting as any domain.
 * Guests are `splitbed exec` of sh running Debian's xenstore tools and
 * hv-peer (Debian's libxengnttab/libxenevtchn on our drop-ins).
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TIMEOUT 30

static char dir[64];
static struct runproc r;

static void sb(char *const args[])
{
    static char peer[4200], splitbed[4200];
    snprintf(peer, sizeof peer, "PEER=%s", build_path("tests/hv-peer"));
    snprintf(splitbed, sizeof splitbed, "SB=%s", build_path("bin/splitbed"));
    char *env[] = { peer, splitbed, NULL };
    runproc_splitbed(&r, TIMEOUT, env, args);
}

#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

/* Runs a shell script as the first process of domain d. */
static void in_domain(const char *d, const char *script)
{
    SB("exec", "--dir", dir, "--domain", (char *)d, "--", "sh", "-c", (char *)script);
}

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    SB("hv", "start", "--dir", dir);
    ck_assert_msg(r.status == 0, "hv start: %d %s", r.status, r.err);
    SB("exec", "--dir", dir, "--domain", "3", "--", "true");
    ck_assert_msg(r.status == 0, "exec in d3: %s", r.err);
}

static void teardown(void)
{
    runproc_sim_remove(dir, dir, TIMEOUT);
}

/* The simulator still serves dom0 and domain 3. */
static void still_serving(void)
{
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "dom3 "));
    SB("exec", "--dir", dir, "--domain", "3", "--", "xenstore-read", "domid");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "3\n");
}

START_TEST(hvd_socket_of_another_domain_is_refused)
{
    /* The guest's own socket works; domain 3's answers EPERM to every
     * handle, and its pid is named in the trace. */
    in_domain("1", "printf 'bindu 0\\n' | \"$PEER\"; "
                   "printf 'bindu 1\\nshare 1 1 1\\n' | SPLITBED_HV_SOCKET=$SPLITBED_DIR/hv/dom3 "
                   "\"$PEER\"");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(!strncmp(r.out, "ok ", 3), "%s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, "\nerr 1\nerr 1\n"));
    ck_assert(runproc_trace_has(dir, "of d1 connected to d3's socket: refused"));
    still_serving();
}
END_TEST

START_TEST(hvd_dom0_socket_is_refused_to_a_guest)
{
    in_domain("1", "printf 'bindu 0\\n' | SPLITBED_HV_SOCKET=$SPLITBED_DIR/hv/dom0 \"$PEER\"");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "err 1\n");
    ck_assert(runproc_trace_has(dir, "of d1 connected to d0's socket: refused"));
    still_serving();
}
END_TEST

START_TEST(host_process_acts_as_any_domain)
{
    /* Tests and backends started by hand name their domain's socket. */
    char sock[128];
    snprintf(sock, sizeof sock, "SPLITBED_HV_SOCKET=%s/hv/dom3", dir);
    char lib[4200];
    snprintf(lib, sizeof lib, "LD_LIBRARY_PATH=%s", build_path("lib/splitbed"));
    char *env[] = { sock, lib, NULL };
    char *argv[] = { (char *)build_path("tests/hv-peer"), NULL };
    runproc(&r, "bindu 0\n", 8, TIMEOUT, env, argv);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "ok "));
    ck_assert(!runproc_trace_has(dir, "refused"));
}
END_TEST

START_TEST(xenstored_dom0_socket_is_refused_to_a_guest)
{
    in_domain("1", "XENSTORED_PATH=$SPLITBED_DIR/xenstored/socket "
                   "xenstore-write /local/domain/3/x 1; echo rc=$?");
    ck_assert_ptr_nonnull(strstr(r.out, "rc=1"));
    ck_assert(runproc_trace_has(dir, "of d1 connected to d0's socket: refused"));
    in_domain("1", "XENSTORED_PATH=$SPLITBED_DIR/xenstored/dom3 "
                   "xenstore-write /local/domain/3/data/x 1; echo rc=$?");
    ck_assert_ptr_nonnull(strstr(r.out, "rc=1"));
    ck_assert(runproc_trace_has(dir, "of d1 connected to d3's socket: refused"));
    SB("exec", "--dir", dir, "--domain", "0", "--", "xenstore-read", "/local/domain/3/x");
    ck_assert_int_ne(r.status, 0);
    still_serving();
}
END_TEST

START_TEST(changed_environment_does_not_change_domain)
{
    /* The variables the harness sets name the domain of a domain's first
     * process only: a child that sets them is still in domain 1. */
    in_domain("1", "env SPLITBED_DIR=$SPLITBED_DIR SPLITBED_DOMID=0 "
                   "XENSTORED_PATH=$SPLITBED_DIR/xenstored/socket "
                   "xenstore-write /local/domain/3/x 1; echo rc=$?");
    ck_assert_ptr_nonnull(strstr(r.out, "rc=1"));
    ck_assert(runproc_trace_has(dir, "of d1 connected to d0's socket: refused"));
}
END_TEST

START_TEST(orphan_stays_in_its_domain)
{
    /* A grandchild whose parent exits is adopted by the domain's first
     * process, so it is still below it. */
    char fifo[128];
    snprintf(fifo, sizeof fifo, "%s/result", dir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    in_domain("1", "sh -c '(XENSTORED_PATH=$SPLITBED_DIR/xenstored/socket "
                   "xenstore-write /local/domain/3/x 1 2>/dev/null; echo rc=$? "
                   ">$SPLITBED_DIR/result) &'; cat $SPLITBED_DIR/result");
    ck_assert_msg(strstr(r.out, "rc=1"), "%s", r.out);
    ck_assert(runproc_trace_has(dir, "of d1 connected to d0's socket: refused"));
}
END_TEST

START_TEST(toolstack_commands_are_refused_in_a_guest)
{
    in_domain("1", "\"$SB\" exec --dir $SPLITBED_DIR --domain 0 -- true; echo rc=$?");
    ck_assert_ptr_nonnull(strstr(r.out, "rc=1"));
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "splitbed exec: refused: this process runs in domain 1"));
    ck_assert_ptr_nonnull(strstr(r.err, "only dom0 may start a program in domain 0"));

    in_domain("1", "\"$SB\" exec --dir $SPLITBED_DIR --domain 3 -- true; echo rc=$?");
    ck_assert_ptr_nonnull(strstr(r.out, "rc=1"));
    ck_assert_ptr_nonnull(strstr(r.err, "only dom0 may start a program in domain 3"));

    in_domain("1", "SPLITBED_DOMID=0 \"$SB\" hv stop --dir $SPLITBED_DIR; echo rc=$?");
    ck_assert_ptr_nonnull(strstr(r.out, "rc=1"));
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "splitbed hv stop: refused"));
    ck_assert_ptr_nonnull(strstr(r.err, "only dom0 may stop the simulator"));

    in_domain("1", "\"$SB\" hv status --dir $SPLITBED_DIR; echo rc=$?");
    ck_assert_ptr_nonnull(strstr(r.out, "rc=1"));
    ck_assert_ptr_nonnull(strstr(r.err, "splitbed hv status: refused"));
    still_serving();
}
END_TEST

START_TEST(guest_runs_programs_in_its_own_domain)
{
    /* Nested exec into the domain it is in needs no toolstack. */
    in_domain("1", "\"$SB\" exec --dir $SPLITBED_DIR --domain 1 -- xenstore-read domid");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "1\n");
    /* dom0's processes keep the toolstack's powers. */
    in_domain("0", "\"$SB\" exec --dir $SPLITBED_DIR --domain 4 -- xenstore-read domid");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "4\n");
    ck_assert(!runproc_trace_has(dir, "refused"));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("identity");
    TCase *t = tcase_create("crossings");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, hvd_socket_of_another_domain_is_refused);
    tcase_add_test(t, hvd_dom0_socket_is_refused_to_a_guest);
    tcase_add_test(t, host_process_acts_as_any_domain);
    tcase_add_test(t, xenstored_dom0_socket_is_refused_to_a_guest);
    tcase_add_test(t, changed_environment_does_not_change_domain);
    tcase_add_test(t, orphan_stays_in_its_domain);
    tcase_add_test(t, toolstack_commands_are_refused_in_a_guest);
    tcase_add_test(t, guest_runs_programs_in_its_own_domain);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    scratch_prefix = "sbident";
    return check_main(suite());
}
