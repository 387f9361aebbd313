/*
 * `make install` as a user runs it: into a DESTDIR, then the installed
 * splitbed runs the seed scenario, and a program of the user's own is
 * built against the installed headers, archives and pkg-config file and
 * run on the simulator.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dest[64];
static char prefix[128];
static struct runproc r;

static void setup(void)
{
    scratch_dir(dest, sizeof dest);
    snprintf(prefix, sizeof prefix, "%s/opt/sb", dest);
}

static void teardown(void)
{
    runproc_rmtree(dest);
}

static void install(void)
{
    const char *b = getenv("SPLITBED_BUILD");
    char buildarg[256], destarg[128];
    snprintf(buildarg, sizeof buildarg, "BUILD=%s", b && *b ? b : "build");
    snprintf(destarg, sizeof destarg, "DESTDIR=%s", dest);
    bool san = b && strstr(b, "-san");
    char *argv[] = { "make",
                     "-s",
                     "--no-print-directory",
                     "install",
                     "PREFIX=/opt/sb",
                     destarg,
                     buildarg,
                     san ? "SAN=1" : NULL,
                     san ? "CC=clang" : NULL,
                     NULL };
    runproc(&r, NULL, 0, 240, NULL, argv);
    ck_assert_msg(r.status == 0, "make install: %d %.2000s", r.status, r.err);
}

START_TEST(installed_tree_runs_the_seed_scenario)
{
    install();
    char path[256];
    static const char *const files[] = { "bin/splitbed",
                                         "bin/splitbed-hvd",
                                         "bin/splitbed-xenstored",
                                         "lib/splitbed/libxengnttab.so.1",
                                         "lib/splitbed/libxenevtchn.so.1",
                                         "libexec/splitbed/splitbed-blkback",
                                         "libexec/splitbed/splitbed-xen-dm",
                                         "libexec/splitbed/tar-cat",
                                         "include/splitbed/os.h",
                                         "lib/pkgconfig/splitbed.pc",
                                         "share/man/man1/splitbed.1",
                                         "share/man/man1/splitbed-run.1",
                                         "share/man/man1/splitbed-exec.1",
                                         "share/man/man1/splitbed-hv.1",
                                         "share/man/man1/splitbed-replay.1",
                                         "share/man/man1/splitbed-qubesdb.1",
                                         "libexec/splitbed/splitbed-qubesdb",
                                         "libexec/splitbed/qubes-hello",
                                         "libexec/splitbed/splitbed-qrexec",
                                         "share/man/man1/splitbed-qrexec.1",
                                         NULL };
    for (int i = 0; files[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", prefix, files[i]);
        ck_assert_msg(access(path, F_OK) == 0, "not installed: %s", files[i]);
    }
    snprintf(path, sizeof path, "%s/bin/splitbed", prefix);
    char *argv[] = {
        path, "run",     "-q",        "--timeout", "60", "--disk", "fixtures/tar/hello.tar",
        "--", "tar-cat", "hello.txt", NULL
    };
    runproc(&r, NULL, 0, 90, NULL, argv);
    ck_assert_msg(r.status == 0, "installed splitbed run: %d %s", r.status, r.err);
    ck_assert_str_eq(r.out, "hello world!\n");
}
END_TEST

START_TEST(user_program_builds_against_the_installed_tree)
{
    install();
    char pcpath[256], pcenv[300], flags[2048], cmd[4096], prog[256], sb[256];
    snprintf(pcpath, sizeof pcpath, "%s/lib/pkgconfig", prefix);
    snprintf(pcenv, sizeof pcenv, "PKG_CONFIG_PATH=%s", pcpath);
    /* The .pc names the final prefix; with DESTDIR, sysroot maps it. */
    char sysroot[128];
    snprintf(sysroot, sizeof sysroot, "PKG_CONFIG_SYSROOT_DIR=%s", dest);
    char *env[] = { pcenv, sysroot, NULL };
    char *pc[] = { "pkg-config", "--cflags", "--libs", "splitbed", NULL };
    runproc(&r, NULL, 0, 30, env, pc);
    ck_assert_msg(r.status == 0, "pkg-config: %s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "/opt/sb/include/splitbed"));
    snprintf(flags, sizeof flags, "%.*s", (int)strcspn(r.out, "\n"), r.out);

    snprintf(prog, sizeof prog, "%s/user-app", dest);
    /* -lsplitbed-os-linux provides main(), which calls our app_main.  A
     * sanitizer build's archives need the same runtime in the program. */
    const char *b = getenv("SPLITBED_BUILD");
    const char *cc_cmd = b && strstr(b, "-san") ? "clang -fsanitize=address,undefined" : "cc";
    snprintf(cmd, sizeof cmd,
             "%s -std=gnu11 -Wall -Wextra -Werror -o %s tests/integration/data/user_app.c %s",
             cc_cmd, prog, flags);
    char *cc[] = { "sh", "-c", cmd, NULL };
    runproc(&r, NULL, 0, 60, NULL, cc);
    ck_assert_msg(r.status == 0, "%s: %s", cmd, r.err);

    snprintf(sb, sizeof sb, "%s/bin/splitbed", prefix);
    char *run[] = { sb,   "run", "-q", "--timeout", "60", "--disk", "fixtures/tar/hello.tar",
                    "--", prog,  NULL };
    runproc(&r, NULL, 0, 90, NULL, run);
    ck_assert_msg(r.status == 0, "user app: %d %s", r.status, r.err);
    ck_assert_str_eq(r.out, "hello.txt\n");
}
END_TEST

int main(void)
{
    scratch_prefix = "sbinst";
    Suite *s = suite_create("install");
    TCase *tc = tcase_create("install");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, installed_tree_runs_the_seed_scenario);
    tcase_add_test(tc, user_program_builds_against_the_installed_tree);
    suite_add_tcase(s, tc);
    return check_main(s);
}
