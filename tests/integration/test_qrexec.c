/*
 * qrexec end to end on the simulator, as a user runs it: the seed's
 * scenario kept running (`splitbed run … -- qubes-hello --stay`) and
 * `splitbed qrexec` calling services in it — a file of its tar disk,
 * 1 MB of stdin summed, stdin echoed back, qubes.WaitForSession, a service
 * it does not have — then powered off through xenstore as xl does; and
 * a dom0 that breaks the control protocol, cut off while the VM keeps
 * serving the next daemon; and the VM's own calls (qrexec-vm --call),
 * run by dom0 or refused as its allow list says.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/integration/qubes_sim.h"
#include "tests/lib/scratch.h"
#include "tests/lib/check_main.h"
#include "tests/lib/runproc.h"

static int qrexec(struct runproc *r, const char *input, size_t len, const char *service)
{
    char *argv[] = { (char *)build_path("bin/splitbed"),
                     "qrexec",
                     "--dir",
                     (char *)qs_dir(),
                     "1",
                     (char *)service,
                     NULL };
    runproc(r, input, len, 60, NULL, argv);
    return r->status;
}

static void poweroff(unsigned dom)
{
    char path[64];
    snprintf(path, sizeof path, "/local/domain/%u/control/shutdown", dom);
    struct qs_proc p;
    const char *argv[] = { "xenstore-write", path, "poweroff", NULL };
    qs_exec(&p, 0, argv);
    ck_assert_int_eq(qs_wait(&p), 0);
}

START_TEST(services_of_a_running_vm)
{
    qs_start();
    const char *src = getenv("SPLITBED_SRC");
    char cfg[4096];
    snprintf(cfg, sizeof cfg, "%s/fixtures/scenarios/qubes-hello.cfg", src && *src ? src : ".");
    const char *argv[] = { build_path("bin/splitbed"),
                           "run",
                           "--dir",
                           qs_dir(),
                           "--timeout",
                           "100",
                           "--config",
                           cfg,
                           "--",
                           "qubes-hello",
                           "--stay",
                           NULL };
    struct qs_proc vm;
    qs_spawn(&vm, argv);
    ck_assert_str_eq(qs_line(&vm), "hello world!");

    struct runproc r;
    ck_assert_int_eq(qrexec(&r, NULL, 0, "splitbed.TarCat+hello.txt"), 0);
    ck_assert_str_eq(r.out, "hello world!\n");

    /* 1 MB of stdin: sixteen 64 KiB chunks and ring refills */
    static char big[1000000];
    unsigned long long h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < sizeof big; i++) {
        big[i] = (char)('a' + (i * 7) % 26);
        h = (h ^ (unsigned char)big[i]) * 0x100000001b3ull;
    }
    char want[96];
    snprintf(want, sizeof want, "%zu bytes, fnv1a64 %016llx\n", sizeof big, h);
    ck_assert_int_eq(qrexec(&r, big, sizeof big, "splitbed.Sum"), 0);
    ck_assert_str_eq(r.out, want);
    /* and 60000 bytes there and back */
    ck_assert_int_eq(qrexec(&r, big, 60000, "splitbed.Echo"), 0);
    ck_assert_int_eq(r.out_len, 60000);
    ck_assert(memcmp(r.out, big, 60000) == 0);

    /* stdin as a stream, well past the 1 MiB a whole-stdin service gets:
     * 8 MiB there and back, and summed; Head+5 ends its call after 5
     * bytes of 4 MiB, and the caller's end stops sending */
    static char in[4200], sh[32768];
    snprintf(in, sizeof in, "%s/stream.in", qs_dir());
    FILE *f = fopen(in, "wb");
    ck_assert_ptr_nonnull(f);
    h = 0xcbf29ce484222325ull;
    size_t big_len = (8u << 20) + 13;
    for (size_t i = 0; i < big_len; i++) {
        unsigned char c = (unsigned char)((i * 2654435761u) >> 11);
        fputc(c, f);
        h = (h ^ c) * 0x100000001b3ull;
    }
    ck_assert_int_eq(fclose(f), 0);
    snprintf(sh, sizeof sh,
             "'%s' qrexec --dir '%s' 1 splitbed.Echo < '%s' > '%s.echo' && cmp '%s' '%s.echo'",
             build_path("bin/splitbed"), qs_dir(), in, in, in, in);
    char *shargv[] = { "sh", "-c", sh, NULL };
    runproc(&r, NULL, 0, 120, NULL, shargv);
    ck_assert_msg(r.status == 0, "echo of %zu bytes: %s%s", big_len, r.out, r.err);
    snprintf(sh, sizeof sh, "'%s' qrexec --dir '%s' 1 splitbed.Sum < '%s'",
             build_path("bin/splitbed"), qs_dir(), in);
    runproc(&r, NULL, 0, 120, NULL, shargv);
    snprintf(want, sizeof want, "%zu bytes, fnv1a64 %016llx\n", big_len, h);
    ck_assert_int_eq(r.status, 0);
    ck_assert_str_eq(r.out, want);
    snprintf(sh, sizeof sh, "head -c 4194304 '%s' | '%s' qrexec --dir '%s' 1 splitbed.Head+5", in,
             build_path("bin/splitbed"), qs_dir());
    runproc(&r, NULL, 0, 120, NULL, shargv);
    ck_assert_int_eq(r.status, 0);
    ck_assert_int_eq(r.out_len, 5);
    f = fopen(in, "rb");
    char first[5];
    ck_assert_int_eq(fread(first, 1, 5, f), 5);
    fclose(f);
    ck_assert(memcmp(r.out, first, 5) == 0);
    ck_assert_int_eq(qrexec(&r, NULL, 0, "splitbed.Head+x"), 2);
    ck_assert_msg(strstr(r.err, "+N must be a byte count"), "%s", r.err);

    ck_assert_int_eq(qrexec(&r, "user", 4, "qubes.WaitForSession"), 0);
    ck_assert_int_eq(r.out_len, 0);

    ck_assert_int_eq(qrexec(&r, NULL, 0, "qubes.NoSuchThing+x"), 127);
    ck_assert_msg(strstr(r.err, "qubes.NoSuchThing: not found"), "%s", r.err);
    ck_assert_int_eq(qrexec(&r, NULL, 0, "splitbed.TarCat+missing.txt"), 2);
    ck_assert_msg(strstr(r.err, "no such file"), "%s", r.err);

    /* bad usage is one line, before anything reaches the VM */
    ck_assert_int_eq(qrexec(&r, NULL, 0, "bad service"), 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);

    poweroff(1);
    ck_assert_int_eq(qs_wait(&vm), 0);
    ck_assert_msg(qs_err_count(&vm, "[qubes.rexec] client connected, using protocol version 3"),
                  "%s", vm.errbuf);
    qs_stop();
}
END_TEST

/* The VM asks dom0 for services (TRIGGER_SERVICE3): an allowed one runs
 * as a dom0 program with the VM's stdin and gives back its stdout,
 * stderr and exit code; one not on the list is refused (126) with a
 * line in the daemon's log; an allowed one dom0 has no program for is
 * 127; one for another VM is refused.  The VM keeps serving. */
START_TEST(vm_calls_dom0_by_policy)
{
    qs_start();
    static char rpc[4200], prog[4300], log[4200];
    snprintf(rpc, sizeof rpc, "%s/rpc", qs_dir());
    ck_assert_int_eq(mkdir(rpc, 0755), 0);
    snprintf(prog, sizeof prog, "%s/test.Upper", rpc);
    FILE *f = fopen(prog, "w");
    ck_assert_ptr_nonnull(f);
    fputs("#!/bin/sh\necho \"from $QREXEC_REMOTE_DOMAIN arg [$1]\"\ntr a-z A-Z\n"
          "echo oops >&2\nexit 3\n",
          f);
    fclose(f);
    ck_assert_int_eq(chmod(prog, 0755), 0);
    struct qs_proc vm;
    const char *vargv[] = { "qrexec-vm",   "--call",  "dom0",       "test.Upper+x",
                            "--input",     "hello\n", "--call",     "dom0",
                            "test.Denied", "--call",  "dom0",       "test.Missing",
                            "--call",      "vm2",     "test.Upper", NULL };
    qs_exec(&vm, 1, vargv);
    ck_assert_str_eq(qs_line(&vm), "serving");
    const char *start[] = { "qrexec",
                            "--dir",
                            qs_dir(),
                            "1",
                            "start",
                            "--allow",
                            "test.Upper@dom0",
                            "--allow",
                            "test.Missing@dom0",
                            "--allow",
                            "test.Upper@vm2",
                            "--services",
                            rpc,
                            NULL };
    ck_assert_int_eq(qs_splitbed(NULL, 0, start), 0);
    ck_assert_str_eq(qs_line(&vm), "connected");
    const char *l = qs_line(&vm);
    ck_assert_msg(!strncmp(l, "from ", 5) && strstr(l, " arg [x]"), "%s", l);
    ck_assert_str_eq(qs_line(&vm), "HELLO");
    ck_assert_str_eq(qs_line(&vm), "stderr: oops");
    ck_assert_str_eq(qs_line(&vm), "call exit 3");
    ck_assert_str_eq(qs_line(&vm), "call exit 126");
    ck_assert_str_eq(qs_line(&vm), "stderr: splitbed-qrexec: no such service in dom0");
    ck_assert_str_eq(qs_line(&vm), "call exit 127");
    ck_assert_str_eq(qs_line(&vm), "call exit 126");

    /* and dom0's calls into it still work */
    struct runproc r;
    ck_assert_int_eq(qrexec(&r, "abc", 3, "splitbed.Echo+x"), 0);
    ck_assert_str_eq(r.out, "x\nabc");

    snprintf(log, sizeof log, "%s/qrexec.1.log", qs_dir());
    char *argv[] = { "cat", log, NULL };
    runproc(&r, NULL, 0, 10, NULL, argv);
    ck_assert_msg(strstr(r.out, "test.Denied: not allowed (--allow test.Denied@dom0 would)"), "%s",
                  r.out);
    ck_assert_msg(strstr(r.out, "calls to another VM are not served here"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "calls test.Upper+x in dom0 on port 513"), "%s", r.out);
    poweroff(1);
    ck_assert_int_eq(qs_wait(&vm), 0);
    ck_assert_msg(qs_err_count(&vm, "dom0 refused call") == 2, "%s", vm.errbuf);
    qs_stop();
}
END_TEST

/* The scenario's way: splitbed_qrexec_allow and splitbed_qrexec_services
 * in the config, the VM an app under `splitbed run`; a bad allow entry
 * is one line and exit 2 before anything starts. */
START_TEST(run_takes_the_allow_list_from_the_config)
{
    static char dir[128], cfg[160], prog[160], text[512];
    scratch_dir(dir, sizeof dir);
    snprintf(prog, sizeof prog, "%s/test.Hi", dir);
    FILE *f = fopen(prog, "w");
    ck_assert_ptr_nonnull(f);
    fputs("#!/bin/sh\necho \"hi $QREXEC_REMOTE_DOMAIN\"\n", f);
    fclose(f);
    ck_assert_int_eq(chmod(prog, 0755), 0);
    snprintf(cfg, sizeof cfg, "%s/vm.cfg", dir);
    snprintf(text, sizeof text,
             "name = \"caller\"\nsplitbed_qubesdb = [ '/qubes-ip=10.137.0.7' ]\n"
             "splitbed_qrexec_allow = [ 'test.Hi@dom0' ]\nsplitbed_qrexec_services = \"%s\"\n",
             dir);
    f = fopen(cfg, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    struct runproc r;
    char *argv[] = { (char *)build_path("bin/splitbed"),
                     "run",
                     "--timeout",
                     "60",
                     "--config",
                     cfg,
                     "--",
                     "qrexec-vm",
                     "--call",
                     "dom0",
                     "test.Hi",
                     "--call",
                     "dom0",
                     "test.No",
                     "--exit",
                     NULL };
    runproc(&r, NULL, 0, 90, NULL, argv);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "hi caller\ncall exit 0\ncall exit 126\n"), "%s", r.out);

    f = fopen(cfg, "w");
    ck_assert_ptr_nonnull(f);
    fputs("name = \"bad\"\nsplitbed_qubesdb = [ '/a=b' ]\nsplitbed_qrexec_allow = [ 'test.Hi' ]\n",
          f);
    fclose(f);
    char *bad[] = {
        (char *)build_path("bin/splitbed"), "run", "--config", cfg, "--", "qrexec-vm", NULL
    };
    runproc(&r, NULL, 0, 60, NULL, bad);
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, "splitbed_qrexec_allow item 'test.Hi' is not SERVICE[+ARG]@TARGET"),
                  "%s", r.err);
    unlink(cfg);
    unlink(prog);
    rmdir(dir);
}
END_TEST

/* dom0's side breaks the control protocol: the agent names it once,
 * serves a fresh control channel, and the real daemon then works. */
static void hostile(const char *mode, const char *needle)
{
    qs_start();
    struct qs_proc vm, h;
    const char *vargv[] = { "qrexec-vm", NULL };
    qs_exec(&vm, 1, vargv);
    ck_assert_str_eq(qs_line(&vm), "serving");
    const char *hargv[] = { build_path("tests/qrexec-hostile"), mode, "1", NULL };
    qs_exec(&h, 0, hargv);
    ck_assert_str_eq(qs_line(&h), "cut");
    ck_assert_int_eq(qs_wait(&h), 0);

    const char *start[] = { "qrexec", "--dir", qs_dir(), "1", "start", NULL };
    ck_assert_int_eq(qs_splitbed(NULL, 0, start), 0);
    /* the daemon holds the call until the agent's HELLO */
    struct runproc r;
    ck_assert_int_eq(qrexec(&r, "ping", 4, "splitbed.Echo+arg"), 0);
    ck_assert_str_eq(r.out, "arg\nping");
    poweroff(1);
    ck_assert_int_eq(qs_wait(&vm), 0);
    ck_assert_msg(qs_err_count(&vm, "cutting it off") == 1, "VM said: %s", vm.errbuf);
    ck_assert_msg(qs_err_count(&vm, needle) == 1, "VM said: %s", vm.errbuf);
    qs_stop();
}

START_TEST(hostile_dom0_unterminated_cmdline)
{
    hostile("cmdline", "without a terminated command line");
}
END_TEST

START_TEST(hostile_dom0_wrong_type)
{
    hostile("type", "TRIGGER_SERVICE3, which a VM does not take");
}
END_TEST

START_TEST(hostile_dom0_short_refusal)
{
    hostile("refused", "SERVICE_REFUSED of 0 bytes; cutting it off");
}
END_TEST

START_TEST(hostile_dom0_too_long)
{
    hostile("long", "message of 70000 bytes");
}
END_TEST

START_TEST(hostile_dom0_old_version)
{
    hostile("hello", "speaks qrexec 1, below 2");
}
END_TEST

int main(void)
{
    scratch_prefix = "sbqrexec";
    Suite *s = suite_create("qrexec");
    TCase *tc = tcase_create("qrexec");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_set_timeout(tc, 150);
    tcase_add_test(tc, services_of_a_running_vm);
    tcase_add_test(tc, vm_calls_dom0_by_policy);
    tcase_add_test(tc, run_takes_the_allow_list_from_the_config);
    tcase_add_test(tc, hostile_dom0_unterminated_cmdline);
    tcase_add_test(tc, hostile_dom0_wrong_type);
    tcase_add_test(tc, hostile_dom0_short_refusal);
    tcase_add_test(tc, hostile_dom0_too_long);
    tcase_add_test(tc, hostile_dom0_old_version);
    suite_add_tcase(s, tc);
    return check_main(s);
}
