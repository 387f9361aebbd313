/*
 * QubesDB end to end on the simulator, as a user runs it: the seed's
 * scenario through `splitbed run` (QubesDB, then blkfront, then hello
 * world!), dom0 reading and changing a running VM's QubesDB with
 * `splitbed qubesdb`, and peers that break the protocol on either side.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/qubes_sim.h"
#include "tests/lib/scratch.h"
#include "tests/lib/check_main.h"
#include "tests/lib/runproc.h"

static const char *src(const char *rel)
{
    static char b[4][4096];
    static int k;
    char *p = b[k++ % 4];
    const char *top = getenv("SPLITBED_SRC");
    snprintf(p, 4096, "%s/%s", top && *top ? top : ".", rel);
    return p;
}

/* Position of needle in hay, -1 if absent. */
static long at(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    return p ? p - hay : -1;
}

START_TEST(run_replays_the_seed_log)
{
    struct runproc r;
    char *argv[] = { (char *)build_path("bin/splitbed"),
                     "run",
                     "--timeout",
                     "60",
                     "--config",
                     (char *)src("fixtures/scenarios/qubes-hello.cfg"),
                     "--",
                     "qubes-hello",
                     "hello.txt",
                     NULL };
    runproc(&r, NULL, 0, 90, NULL, argv);
    ck_assert_msg(r.status == 0, "status %d: %s", r.status, r.err);
    ck_assert_str_eq(r.out, "hello world!\n");
    /* the seed's order: QubesDB first, blkfront's negotiation, entries */
    long a = at(r.err, "[qubes.db] connecting to server...\n");
    long b = at(r.err, "[qubes.db] connected\n");
    long c =
        at(r.err, "[blkfront] xvda: backend advertises multi-page ring (order 4), using order 2");
    long d = at(r.err, "[unikernel] QubesDB =\n");
    ck_assert_msg(a >= 0 && b > a && c > b && d > c, "log: %s", r.err);
    long q = at(r.err, "[qubes.rexec] client connected, using protocol version 3\n");
    ck_assert_msg(q > b && q < c, "log: %s", r.err);
    long g =
        at(r.err, "[qubes.gui] client connected (screen size: 1920x1080 depth: 24 mem: 8101x)\n");
    ck_assert_msg(g > q && g < c, "log: %s", r.err);
    ck_assert_msg(at(r.err, "\t/qubes-ip = 10.137.0.5\n") > d, "log: %s", r.err);
    ck_assert_msg(at(r.err, "\t/name = qubes-hello\n") > d, "log: %s", r.err);
    ck_assert_msg(at(r.err, "\t/qubes-vm-type = ProxyVM\n") > d, "log: %s", r.err);
    ck_assert_msg(at(r.err, "\t/qubes-netmask = 255.255.255.255\n") > d, "log: %s", r.err);
}
END_TEST

START_TEST(run_refuses_a_bad_qubesdb_entry)
{
    char dir[128], cfg[160];
    scratch_dir(dir, sizeof dir);
    snprintf(cfg, sizeof cfg, "%s/bad.cfg", dir);
    int fd = open(cfg, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    const char text[] = "name = \"bad\"\nsplitbed_qubesdb = [ 'qubes-ip=10.0.0.1' ]\n";
    ck_assert_int_eq(write(fd, text, sizeof text - 1), (ssize_t)sizeof text - 1);
    close(fd);
    struct runproc r;
    char *argv[] = {
        (char *)build_path("bin/splitbed"), "run", "--config", cfg, "--", "qubes-hello", NULL
    };
    runproc(&r, NULL, 0, 60, NULL, argv);
    unlink(cfg);
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, "'qubes-ip=10.0.0.1' is not /KEY=VALUE"), "%s", r.err);
}
END_TEST

static int qdb(char *out, size_t size, const char *a, const char *b, const char *c)
{
    const char *args[] = { "qubesdb", "--dir", qs_dir(), "1", a, b, c, NULL };
    return qs_splitbed(out, size, args);
}

START_TEST(dom0_reads_and_changes_a_running_vm)
{
    qs_start();
    const char *start[] = { "qubesdb", "--dir",   qs_dir(),
                            "1",       "start",   "--name",
                            "work",    "--entry", "/qubes-ip=10.137.0.9",
                            NULL };
    ck_assert_int_eq(qs_splitbed(NULL, 0, start), 0);
    struct qs_proc vm;
    const char *argv[] = { "qubesdb-watch", "--write", "/from-vm=hi", "--until", "/stop", NULL };
    qs_exec(&vm, 1, argv);
    /* the dump, ascending, then our own write */
    bool saw_ip = false, saw_name = false;
    for (;;) {
        const char *l = qs_line(&vm);
        ck_assert_msg(l[0], "the VM ended before syncing: %s", vm.errbuf);
        if (!strcmp(l, "synced"))
            break;
        saw_ip |= !strcmp(l, "/qubes-ip=10.137.0.9");
        saw_name |= !strcmp(l, "/name=work");
    }
    ck_assert(saw_ip && saw_name);

    char out[4096];
    /* the VM's write reached dom0 */
    ck_assert_int_eq(qdb(out, sizeof out, "read", "/from-vm", NULL), 0);
    ck_assert_str_eq(out, "hi\n");
    ck_assert_int_eq(qdb(out, sizeof out, "read", "/qubes-ip", NULL), 0);
    ck_assert_str_eq(out, "10.137.0.9\n");
    /* dom0's changes reach the VM while it runs */
    ck_assert_int_eq(qdb(out, sizeof out, "write", "/qubes-service/hello", "1"), 0);
    ck_assert_str_eq(qs_line(&vm), "write /qubes-service/hello=1");
    ck_assert_int_eq(qdb(out, sizeof out, "rm", "/qubes-service/hello", NULL), 0);
    ck_assert_str_eq(qs_line(&vm), "rm /qubes-service/hello");
    ck_assert_int_eq(qdb(out, sizeof out, "list", "/qubes-service/", NULL), 0);
    ck_assert_str_eq(out, "/qubes-service/meminfo-writer\n");
    ck_assert_int_eq(qdb(out, sizeof out, "multiread", "/qubes-n", NULL), 0);
    ck_assert_str_eq(out, "/qubes-netmask=255.255.255.255\n");
    /* a key fills the header's 64-byte field with its NUL: 63 characters */
    char key[65] = "/";
    memset(key + 1, 'k', 63);
    key[64] = 0;
    ck_assert_int_eq(qdb(out, sizeof out, "write", key, "long"), 2);
    key[63] = 0;
    ck_assert_int_eq(qdb(out, sizeof out, "write", key, "long"), 0);
    char seen[96];
    snprintf(seen, sizeof seen, "write %s=long", key);
    ck_assert_str_eq(qs_line(&vm), seen);
    /* a missing entry is one line and status 1 */
    ck_assert_int_eq(qdb(out, sizeof out, "read", "/nothing", NULL), 1);
    ck_assert_int_eq(qdb(out, sizeof out, "write", "/stop", "now"), 0);
    ck_assert_str_eq(qs_line(&vm), "write /stop=now");
    ck_assert_int_eq(qs_wait(&vm), 0);
    qs_stop();
}
END_TEST

/* A VM that breaks the protocol is cut off with one line; the daemon
 * serves the next VM process as if nothing happened. */
static void hostile_vm(const char *mode, const char *needle)
{
    qs_start();
    const char *start[] = { "qubesdb", "--dir", qs_dir(), "1", "start", NULL };
    ck_assert_int_eq(qs_splitbed(NULL, 0, start), 0);
    struct qs_proc h, vm;
    const char *hargv[] = { build_path("tests/qubesdb-hostile"), "vm", mode, NULL };
    qs_exec(&h, 1, hargv);
    ck_assert_str_eq(qs_line(&h), "connected");
    ck_assert_str_eq(qs_line(&h), "cut");
    ck_assert_int_eq(qs_wait(&h), 0);
    const char *argv[] = { "qubesdb-watch", "--until", "/stop", NULL };
    qs_exec(&vm, 1, argv);
    const char *l;
    while (strcmp((l = qs_line(&vm)), "synced"))
        ck_assert_msg(l[0], "no sync after the hostile VM: %s", vm.errbuf);
    ck_assert_int_eq(qdb(NULL, 0, "write", "/stop", "1"), 0);
    ck_assert_str_eq(qs_line(&vm), "write /stop=1");
    ck_assert_int_eq(qs_wait(&vm), 0);
    char log[4200], text[16384] = "";
    snprintf(log, sizeof log, "%s/qubesdb.1.log", qs_dir());
    FILE *f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    int cuts = 0;
    for (const char *p = text; (p = strstr(p, "cutting it off")); p++)
        cuts++;
    ck_assert_msg(cuts == 1 && strstr(text, needle), "daemon log: %s", text);
    qs_stop();
}

START_TEST(hostile_vm_type)
{
    hostile_vm("type", "has a type not allowed between domains");
}
END_TEST

START_TEST(hostile_vm_length)
{
    hostile_vm("len", "announces a value of 3072 bytes or more");
}
END_TEST

START_TEST(hostile_vm_second_dump)
{
    hostile_vm("twice", "asked for the whole database twice");
}
END_TEST

/* A VM that writes and never reads dom0's answers: dom0 keeps at most
 * 1 MiB of them for it, then cuts it off. */
START_TEST(hostile_vm_deaf)
{
    hostile_vm("deaf", "left over 1 MiB of replies unread");
}
END_TEST

/* A dom0 that breaks the protocol: the VM's client names it in one
 * line, closes the channel, and the app fails cleanly. */
static void hostile_dom0(const char *mode, const char *needle)
{
    qs_start();
    struct qs_proc h, vm;
    const char *hargv[] = { build_path("tests/qubesdb-hostile"), "dom0", mode, "1", NULL };
    const char *mk[] = { "true", NULL };
    qs_exec(&vm, 1, mk);
    ck_assert_int_eq(qs_wait(&vm), 0);
    qs_exec(&h, 0, hargv);
    const char *argv[] = { "qubesdb-watch", NULL };
    qs_exec(&vm, 1, argv);
    ck_assert_str_eq(qs_line(&h), "connected");
    ck_assert_str_eq(qs_line(&h), "cut");
    ck_assert_int_eq(qs_wait(&vm), 1);
    ck_assert_msg(qs_err_count(&vm, "cutting it off") == 1, "VM said: %s", vm.errbuf);
    ck_assert_msg(qs_err_count(&vm, needle) == 1, "VM said: %s", vm.errbuf);
    ck_assert_int_eq(qs_wait(&h), 0);
    qs_stop();
}

START_TEST(hostile_dom0_type)
{
    hostile_dom0("type", "has a type not allowed between domains");
}
END_TEST

START_TEST(hostile_dom0_path)
{
    hostile_dom0("path", "has a path with characters QubesDB does not allow");
}
END_TEST

START_TEST(hostile_dom0_unasked_dump)
{
    hostile_dom0("unasked", "sent database entries nobody asked for");
}
END_TEST

int main(void)
{
    scratch_prefix = "sbqdb";
    Suite *s = suite_create("qubesdb");
    TCase *tc = tcase_create("qubesdb");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, run_replays_the_seed_log);
    tcase_add_test(tc, run_refuses_a_bad_qubesdb_entry);
    tcase_add_test(tc, dom0_reads_and_changes_a_running_vm);
    tcase_add_test(tc, hostile_vm_type);
    tcase_add_test(tc, hostile_vm_length);
    tcase_add_test(tc, hostile_vm_second_dump);
    tcase_add_test(tc, hostile_vm_deaf);
    tcase_add_test(tc, hostile_dom0_type);
    tcase_add_test(tc, hostile_dom0_path);
    tcase_add_test(tc, hostile_dom0_unasked_dump);
    suite_add_tcase(s, tc);
    return check_main(s);
}
