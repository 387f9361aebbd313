/*
 * One long-running splitbed-netback process and its guests, on the real
 * daemons, with the toolstack's nodes written by xenstore-write as libxl
 * writes them:
 *  - two guests, one hostile: the hostile one (test_net_hostile_guest) is
 *    cut off with a diagnosis and an `error` node, while the other guest's
 *    pvcat, on the same process, still gets every byte and exits 0;
 *  - one guest run twice: after the first run closes the device, the same
 *    netback serves the second (the close/re-open cycle, D7).
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 60

static char dir[64];
static struct runproc r;
static pid_t netback;

static void run(char *const args[])
{
    runproc(&r, NULL, 0, TIMEOUT, NULL, args);
}
#define RUN(...) run((char *[]){ __VA_ARGS__, NULL })
#define SB (char *)build_path("bin/splitbed")

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    RUN(SB, "hv", "start", "--dir", dir);
    ck_assert_msg(r.status == 0, "hv start: %s", r.err);
    netback = 0;
}

static void teardown(void)
{
    if (netback > 0)
        runproc_wait(netback, 1); /* still running: killed */
    RUN(SB, "hv", "stop", "--dir", dir);
    runproc_rmtree(dir);
}

/* The nodes libxl writes for vif 0 of domain d. */
static void toolstack_vif(int d)
{
    char dom[8], script[1024];
    snprintf(dom, sizeof dom, "%d", d);
    RUN(SB, "exec", "--dir", dir, "--domain", dom, "--", "true");
    ck_assert_msg(r.status == 0, "exec: %s", r.err);
    snprintf(
        script, sizeof script,
        "BE=/local/domain/0/backend/vif/%d/0; FE=/local/domain/%d/device/vif/0; "
        "xenstore-write $BE/frontend $FE $BE/frontend-id %d $BE/online 1 $BE/state 1 "
        "  $BE/mac 00:16:3e:00:00:0%d $BE/handle 0 $BE/type vif && "
        "xenstore-write $FE/backend $BE $FE/backend-id 0 $FE/handle 0 $FE/mac 00:16:3e:00:00:0%d "
        "  $FE/state 1 && "
        "xenstore-chmod -r $FE n%d r0 && xenstore-chmod -r $BE n0 r%d",
        d, d, d, d, d, d, d);
    RUN(SB, "exec", "--dir", dir, "--domain", "0", "--", "sh", "-c", script);
    ck_assert_msg(r.status == 0, "toolstack: %s", r.err);
}

START_TEST(hostile_guest_cut_off_other_guest_served)
{
    toolstack_vif(1);
    toolstack_vif(2);
    char input[128], log[128], spec1[160];
    snprintf(input, sizeof input, "%s/input", dir);
    snprintf(log, sizeof log, "%s/netback.log", dir);
    snprintf(spec1, sizeof spec1, "1/0=pcap:%s/hostile.pcap", dir);
    FILE *f = fopen(input, "w");
    ck_assert_ptr_nonnull(f);
    for (int i = 0; i < 1000; i++) /* under runproc's 64 KiB of output */
        fprintf(f, "line %d of what the good guest must see\n", i);
    fclose(f);

    netback = fork();
    ck_assert_int_ge(netback, 0);
    if (netback == 0) {
        int in = open(input, O_RDONLY), lg = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(in, 0);
        dup2(lg, 1);
        dup2(lg, 2);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", dir, "--domain", "0", "--",
              build_path("libexec/splitbed/splitbed-netback"), "--once", "--vif", spec1, "--vif",
              "2/0=stdio", (char *)NULL);
        _exit(127);
    }

    RUN(SB, "exec", "--dir", dir, "--domain", "1", "--",
        (char *)build_path("tests/test_net_hostile_guest"), "device/vif/0");
    ck_assert_msg(r.status == 0, "hostile guest: %d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "cut off:") && strstr(r.out, "crosses its page"), "%s", r.out);

    RUN(SB, "exec", "--dir", dir, "--domain", "2", "--",
        (char *)build_path("libexec/splitbed/pvcat"), "-q");
    ck_assert_msg(r.status == 0, "pvcat: %d %s", r.status, r.err);
    char *want = NULL;
    size_t wl = 0;
    FILE *in = fopen(input, "r");
    ck_assert_ptr_nonnull(in);
    ck_assert_int_eq(getdelim(&want, &wl, '\0', in) > 0, 1);
    fclose(in);
    ck_assert_msg(strcmp(r.out, want) == 0, "pvcat printed %zu bytes, not the input", r.out_len);
    free(want);

    /* --once: it ends when both vifs are done; status 1 for the cut-off one. */
    int st = runproc_wait(netback, TIMEOUT * 1000);
    netback = 0;
    ck_assert_int_eq(st, 1);
    RUN("cat", log);
    ck_assert_msg(
        strstr(r.out,
               "/local/domain/0/backend/vif/1/0: frontend 1 cut off: queue 0: tx frame at slot 0"),
        "netback log: %s", r.out);
    ck_assert_msg(!strstr(r.out, "frontend 2 cut off"), "netback log: %s", r.out);
}
END_TEST

START_TEST(same_netback_serves_a_guest_run_twice)
{
    toolstack_vif(1);
    char spec[160], log[128], pcap[128];
    snprintf(pcap, sizeof pcap, "%s/blast.pcap", dir);
    snprintf(spec, sizeof spec, "1/0=pcap:%s", pcap);
    snprintf(log, sizeof log, "%s/netback.log", dir);
    netback = fork();
    ck_assert_int_ge(netback, 0);
    if (netback == 0) {
        int lg = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        dup2(lg, 1);
        dup2(lg, 2);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", dir, "--domain", "0", "--",
              build_path("libexec/splitbed/splitbed-netback"), "--vif", spec, (char *)NULL);
        _exit(127);
    }
    for (int round = 0; round < 2; round++) {
        RUN(SB, "exec", "--dir", dir, "--domain", "1", "--",
            (char *)build_path("libexec/splitbed/net-blast"), "-q", "--frames", "25", "--size",
            "100");
        ck_assert_msg(r.status == 0, "round %d: %d %s", round, r.status, r.err);
        ck_assert_msg(strstr(r.out, "net-blast: 25 frames of 100 bytes"), "round %d: %s", round,
                      r.out);
    }
    /* Stop it the way splitbed run does, then count what it recorded. */
    kill(netback, SIGTERM);
    int st = runproc_wait(netback, TIMEOUT * 1000);
    netback = 0;
    ck_assert_int_eq(st, 0);
    RUN("tshark", "-n", "-r", pcap, "-Y", "eth.type == 0x88b6", "-T", "fields", "-e", "frame.len");
    ck_assert_msg(r.status == 0, "tshark: %s", r.err);
    int frames = 0;
    for (const char *p = r.out; *p; p++)
        frames += *p == '\n';
    ck_assert_int_eq(frames, 50);
    RUN("cat", log);
    ck_assert_msg(strstr(r.out, "closed") && !strstr(r.out, "cut off"), "netback log: %s", r.out);
}
END_TEST

static Suite *suite(void)
{
    scratch_prefix = "sbnethostile";
    Suite *s = suite_create("net_hostile");
    TCase *tc = tcase_create("core");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, hostile_guest_cut_off_other_guest_served);
    tcase_add_test(tc, same_netback_serves_a_guest_run_twice);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return check_main(suite());
}
