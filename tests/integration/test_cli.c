/*
 * The splitbed command as a user scripts it: hv start/status/stop and
 * exec, with Debian's real xenstore tools as the programs in domains,
 * and every bad usage answered with one line and exit status 2.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 30

static char dir[64];
static struct runproc r;

static void sb(char *const args[])
{
    runproc_splitbed(&r, TIMEOUT, NULL, args);
}

#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
}

static void teardown(void)
{
    runproc_sim_remove(dir, dir, TIMEOUT);
}

static void start(void)
{
    SB("hv", "start", "--dir", dir);
    ck_assert_msg(r.status == 0, "hv start: %d %s", r.status, r.err);
    char want[128];
    snprintf(want, sizeof want, "%s\n", dir);
    ck_assert_str_eq(r.out, want);
}

static pid_t pid_in(const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return runproc_pid_file(path);
}

START_TEST(start_status_stop)
{
    start();
    pid_t hvd = pid_in("hvd.pid"), xsd = pid_in("xenstored.pid");
    ck_assert_int_gt(hvd, 0);
    ck_assert_int_gt(xsd, 0);
    ck_assert_int_eq(kill(hvd, 0), 0);
    char sock[128];
    snprintf(sock, sizeof sock, "%s/xenstored/socket", dir);
    ck_assert_int_eq(access(sock, F_OK), 0);

    /* A second start finds it running and says so. */
    SB("hv", "start", "--dir", dir);
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.err, "already running"));

    SB("hv", "status", "--dir", dir);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_ptr_nonnull(strstr(r.out, "Domain-0"));

    SB("hv", "stop", "--dir", dir);
    ck_assert_int_eq(r.status, 0);
    ck_assert(runproc_gone(hvd));
    ck_assert(runproc_gone(xsd));
    ck_assert_int_ne(access(sock, F_OK), 0);

    SB("hv", "status", "--dir", dir);
    ck_assert_int_eq(r.status, 1);
    ck_assert_int_eq(runproc_lines(r.err), 1);
}
END_TEST

START_TEST(exec_gives_each_domain_its_view)
{
    start();
    SB("exec", "--dir", dir, "--domain", "1", "--", "xenstore-read", "domid");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "1\n");
    SB("exec", "--dir", dir, "--domain", "0", "--", "xenstore-read", "/local/domain/1/name");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "splitbed-guest-1\n");
    SB("exec", "--dir", dir, "--domain", "7", "--name", "seven", "--", "xenstore-read", "name");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_str_eq(r.out, "seven\n");

    /* A guest can write its own data/ but not another domain's. */
    SB("exec", "--dir", dir, "--domain", "1", "--", "xenstore-write", "data/x", "mine");
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", dir, "--domain", "7", "--", "xenstore-write", "/local/domain/1/data/x",
       "theirs");
    ck_assert_int_ne(r.status, 0);
    SB("exec", "--dir", dir, "--domain", "7", "--", "xenstore-read", "/local/domain/1/data/x");
    ck_assert_int_ne(r.status, 0);
    SB("exec", "--dir", dir, "--domain", "0", "--", "xenstore-read", "/local/domain/1/data/x");
    ck_assert_str_eq(r.out, "mine\n");

    /* The drop-in libraries come first for programs of the domain. */
    SB("exec", "--dir", dir, "--domain", "1", "--", "sh", "-c",
       "echo $LD_LIBRARY_PATH $SPLITBED_DOMID");
    ck_assert_int_eq(r.status, 0);
    char want[4200];
    snprintf(want, sizeof want, "%s", build_path("lib/splitbed"));
    ck_assert_msg(strncmp(r.out, want, strlen(want)) == 0, "LD_LIBRARY_PATH: %s", r.out);
    ck_assert_ptr_nonnull(strstr(r.out, " 1\n"));

    /* The command's exit status is the command's. */
    SB("exec", "--dir", dir, "--domain", "1", "--", "sh", "-c", "exit 3");
    ck_assert_int_eq(r.status, 3);
}
END_TEST

/* Debian's xenstore-control against the simulator's xenstored: the
 * commands and texts of C xenstored 4.17. */
START_TEST(xenstore_control_as_on_xen)
{
    start();
    SB("exec", "--dir", dir, "--domain", "0", "--", "xenstore-control", "log", "on");
    ck_assert_msg(r.status == 0, "%s%s", r.out, r.err);
    ck_assert_str_eq(r.out, "OK\n");
    SB("exec", "--dir", dir, "--domain", "0", "--", "xenstore-control", "help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_ptr_nonnull(strstr(r.out, "quota\t[set <name> <val>|<domid>]\n"));
    SB("exec", "--dir", dir, "--domain", "0", "--", "xenstore-control", "quota", "set", "nodes",
       "50");
    ck_assert_int_eq(r.status, 0);
    SB("exec", "--dir", dir, "--domain", "0", "--", "xenstore-control", "quota");
    ck_assert_ptr_nonnull(strstr(r.out, "nodes            :       50 Nodes per domain\n"));
    SB("exec", "--dir", dir, "--domain", "0", "--", "xenstore-control", "nothing");
    ck_assert_int_eq(r.status, 3);
    ck_assert_msg(strstr(r.out, "Command not supported.") ||
                      strstr(r.err, "Command not supported."),
                  "%s%s", r.out, r.err);
    SB("exec", "--dir", dir, "--domain", "1", "--", "xenstore-control", "check");
    ck_assert_int_ne(r.status, 0); /* a guest may not */
}
END_TEST

START_TEST(exec_without_simulator_fails_with_one_line)
{
    SB("exec", "--dir", dir, "--domain", "1", "--", "true");
    ck_assert_int_eq(r.status, 1);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_ptr_nonnull(strstr(r.err, "no simulator running"));
}
END_TEST

/* Each bad usage: exit 2, exactly one line on stderr, nothing on stdout. */
static void bad_usage(char *const args[], const char *needle)
{
    sb(args);
    ck_assert_msg(r.status == 2, "status %d for %s: %s", r.status, args[0], r.err);
    ck_assert_msg(runproc_lines(r.err) == 1, "not one line: %s", r.err);
    ck_assert_str_eq(r.out, "");
    if (needle)
        ck_assert_msg(strstr(r.err, needle) != NULL, "'%s' not in: %s", needle, r.err);
}
#define BAD(needle, ...) bad_usage((char *[]){ __VA_ARGS__, NULL }, needle)

START_TEST(bad_usage_is_one_line_and_exit_2)
{
    char *none[] = { NULL };
    sb(none);
    ck_assert_int_eq(r.status, 2);
    BAD("unknown command", "frobnicate");
    BAD("missing action", "hv");
    BAD("unknown action", "hv", "reboot");
    BAD("unexpected argument", "hv", "start", "extra");
    BAD("--domain N is required", "exec", "--", "true");
    BAD("not a domain id", "exec", "--domain", "abc", "--", "true");
    BAD("not a domain id", "exec", "--domain", "99999", "--", "true");
    BAD("missing command", "exec", "--domain", "1");
    BAD("missing app", "run", "--disk", "/etc/hostname");
    BAD("No such file", "run", "--disk", "/nonexistent.img", "--", "tar-cat", "x");
    BAD("not supported", "run", "--disk", "format=qcow2,vdev=xvda,target=/etc/hostname", "--",
        "tar-cat", "x");
    BAD("KEY=VALUE", "run", "--backend-opt", "novalue", "--disk", "/etc/hostname", "--", "tar-cat",
        "x");
    BAD("--config", "run", "--config", "/nonexistent.cfg", "--", "tar-cat", "x");
    BAD("not found", "run", "--disk", "/etc/hostname", "--", "no-such-app");
    BAD("splitbed run: unrecognized option '--frobnicate'", "run", "--frobnicate", "--", "true");
    BAD("splitbed exec: unrecognized option '--frobnicate'", "exec", "--frobnicate");
    BAD("splitbed hv start: unrecognized option '--frobnicate'", "hv", "start", "--frobnicate");
    BAD("splitbed run: --backend-opt bogus=1: unknown key 'bogus'", "run", "--disk",
        "/etc/hostname", "--backend-opt", "bogus=1", "--", "tar-cat", "x");
    BAD("splitbed run: --backend-opt max-ring-page-order=9: '9' is not", "run", "--disk",
        "/etc/hostname", "--backend-opt", "max-ring-page-order=9", "--", "tar-cat", "x");
    BAD("splitbed run: --netback-opt bogus=1: unknown key", "run", "--vif", "stdio",
        "--netback-opt", "bogus=1", "--", "pvcat");
    BAD("--backend-opt persistent=0: no --disk", "run", "--backend-opt", "persistent=0", "--",
        "tar-cat", "x");
    BAD("--netback-opt sg=0: no --vif", "run", "--disk", "/etc/hostname", "--netback-opt", "sg=0",
        "--", "tar-cat", "x");
    BAD("path too long", "hv", "start", "--dir",
        "/tmp/"
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        "a");
}
END_TEST

/* The words starting with '-' in text: its options. */
static int options_in(const char *text, char opts[][32], int max)
{
    int n = 0;
    for (const char *p = text; *p && n < max; p++) {
        if (*p != '-' || (p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '-')))
            continue;
        size_t len = strspn(p, "-abcdefghijklmnopqrstuvwxyz0123456789");
        if (len < 2 || len >= 32 || !isalpha((unsigned char)p[len - 1]))
            continue;
        memcpy(opts[n], p, len);
        opts[n][len] = '\0';
        n++;
        p += len - 1;
    }
    return n;
}

/* A built manual page as its reader sees it: font escapes and the
 * escapes before '-' and '.' gone. */
static char *man_text(const char *page)
{
    char rel[128];
    snprintf(rel, sizeof rel, "share/man/man1/%s", page);
    FILE *f = fopen(build_path(rel), "r");
    ck_assert_msg(f, "no manual page %s", build_path(rel));
    static char text[65536];
    size_t n = 0;
    int c;
    while ((c = fgetc(f)) != EOF && n < sizeof text - 1) {
        if (c == '\\') {
            int d = fgetc(f);
            if (d == 'f') {
                fgetc(f);
                continue;
            }
            if (d == '&')
                continue;
            if (d != EOF)
                text[n++] = (char)d;
            continue;
        }
        text[n++] = (char)c;
    }
    text[n] = '\0';
    fclose(f);
    return text;
}

/* `splitbed [CMD] --help` is exit 0 with a usage on stdout, and every
 * option it names is in the command's manual page. */
/* dom0's Qubes daemons, as `splitbed run` starts them, read their common
 * options one way: each bad one is one line naming the daemon, exit 2,
 * before any socket or channel is opened. */
static void bad_daemon(const char *daemon, char *const args[], const char *needle)
{
    char *argv[16] = { (char *)build_path(daemon) };
    size_t n = 1;
    while (args[n - 1] && n < 15) {
        argv[n] = args[n - 1];
        n++;
    }
    argv[n] = NULL;
    runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
    ck_assert_msg(r.status == 2, "status %d for %s: %s", r.status, daemon, r.err);
    ck_assert_msg(runproc_lines(r.err) == 1, "not one line: %s", r.err);
    ck_assert_msg(strstr(r.err, needle) != NULL, "'%s' not in: %s", needle, r.err);
    ck_assert_msg(strstr(r.err, strrchr(daemon, '/') + 1) == r.err, "not named: %s", r.err);
}
#define BAD_DAEMON(d, needle, ...) \
    bad_daemon("libexec/splitbed/" d, (char *[]){ __VA_ARGS__, NULL }, needle)

START_TEST(qubes_daemons_refuse_bad_options)
{
    static const char *const daemons[] = { "splitbed-qubesdb", "splitbed-qrexec" };
    for (size_t i = 0; i < 2; i++) {
        char d[64];
        snprintf(d, sizeof d, "libexec/splitbed/%s", daemons[i]);
        bad_daemon(d, (char *[]){ "--socket", "/nonexistent/s", NULL },
                   "--domain N (a guest, not 0) and --socket PATH are required");
        bad_daemon(d, (char *[]){ "--domain", "1", NULL }, "--socket PATH are required");
        bad_daemon(d, (char *[]){ "--domain", "0", "--socket", "/nonexistent/s", NULL },
                   "a guest, not 0");
        bad_daemon(d, (char *[]){ "--domain", "1x", "--socket", "/nonexistent/s", NULL },
                   "a guest, not 0");
        bad_daemon(d, (char *[]){ "--domain", "32752", "--socket", "/nonexistent/s", NULL },
                   "a guest, not 0");
        bad_daemon(
            d, (char *[]){ "--domain", "1", "--socket", "/nonexistent/s", "--ready-fd", "x", NULL },
            "--ready-fd x: expected a descriptor number");
        bad_daemon(d, (char *[]){ "--domain", "1", "--socket", "/nonexistent/s", "--frob", NULL },
                   "unexpected argument '--frob'; usage: ");
        bad_daemon(d, (char *[]){ "--domain", "1", "--socket", NULL },
                   "unexpected argument '--socket'");
    }
    BAD_DAEMON("splitbed-qrexec", "--allow 'vm' is not SERVICE[+ARG]@TARGET", "--domain", "1",
               "--socket", "/nonexistent/s", "--allow", "vm");
    BAD_DAEMON("splitbed-guid", "unexpected argument '--allow'", "--domain", "1", "--allow",
               "a@dom0");
    BAD_DAEMON("splitbed-guid", "--domain N (a guest, not 0) is required", "--screen",
               "640x480x24");
    BAD_DAEMON("splitbed-guid", "--screen 640x480: expected WIDTHxHEIGHTxDEPTH", "--domain", "1",
               "--screen", "640x480");
    BAD_DAEMON("splitbed-guid", "unexpected argument '--socket'", "--domain", "1", "--socket",
               "/nonexistent/s");
}
END_TEST

START_TEST(help_of_each_command_matches_its_manual_page)
{
    static const struct {
        const char *cmd, *page;
    } c[] = {
        { NULL, "splitbed.1" },
        { "hv", "splitbed-hv.1" },
        { "exec", "splitbed-exec.1" },
        { "domain", "splitbed-domain.1" },
        { "run", "splitbed-run.1" },
        { "replay", "splitbed-replay.1" },
        { "block-attach", "splitbed-hotplug.1" },
        { "network-detach", "splitbed-hotplug.1" },
        { "fault", "splitbed-fault.1" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        if (c[i].cmd)
            SB((char *)c[i].cmd, "--help");
        else
            SB("--help");
        ck_assert_msg(r.status == 0, "%s --help: %d %s", c[i].cmd ? c[i].cmd : "", r.status, r.err);
        ck_assert_msg(!strncmp(r.out, "usage: ", 7), "%s --help: %s", c[i].cmd, r.out);
        static char help[sizeof r.out];
        memcpy(help, r.out, sizeof help);
        const char *man = man_text(c[i].page);
        char opts[64][32];
        int n = options_in(help, opts, 64);
        ck_assert_int_gt(n, 0);
        for (int k = 0; k < n; k++)
            ck_assert_msg(strstr(man, opts[k]), "%s names %s, %s does not",
                          c[i].cmd ? c[i].cmd : "splitbed", opts[k], c[i].page);
    }
    /* Every option of run's own parser is in splitbed --help. */
    SB("--help");
    static const char *const run_opts[] = { "--disk",        "--vif",         "--config",
                                            "--backend-opt", "--netback-opt", "--dir",
                                            "--domain",      "--timeout",     "-q",
                                            "--fault",       "--seed" };
    for (size_t i = 0; i < sizeof run_opts / sizeof run_opts[0]; i++)
        ck_assert_msg(strstr(r.out, run_opts[i]), "splitbed --help lacks %s", run_opts[i]);
}
END_TEST

/* An app killed by signal N: 128+N, as shells say, and one line. */
START_TEST(app_killed_by_a_signal_is_128_plus_n)
{
    SB("run", "--", "sh", "-c", "kill -KILL $$");
    ck_assert_int_eq(r.status, 128 + SIGKILL);
    ck_assert_msg(strstr(r.err, "splitbed run: app killed by signal 9"), "%s", r.err);
    SB("run", "--", "sh", "-c", "kill -TERM $$");
    ck_assert_int_eq(r.status, 128 + SIGTERM);
    SB("run", "--", "sh", "-c", "exit 3");
    ck_assert_int_eq(r.status, 3);
}
END_TEST

/* How many processes name path in their command line. */
static int procs_naming(const char *path)
{
    DIR *proc = opendir("/proc");
    ck_assert_ptr_nonnull(proc);
    int n = 0;
    for (struct dirent *e; (e = readdir(proc));) {
        if (!isdigit((unsigned char)e->d_name[0]) || atoi(e->d_name) == getpid())
            continue;
        char p[300], cmd[8192];
        snprintf(p, sizeof p, "/proc/%s/cmdline", e->d_name);
        FILE *f = fopen(p, "r");
        if (!f)
            continue;
        size_t len = fread(cmd, 1, sizeof cmd - 1, f);
        fclose(f);
        for (size_t i = 0; i < len; i++)
            if (!cmd[i])
                cmd[i] = ' ';
        cmd[len] = 0;
        n += strstr(cmd, path) != NULL;
    }
    closedir(proc);
    return n;
}

/* hvd and xenstored start at once; an hvd that cannot serve (its socket
 * folder is a file) ends the start with one reason, and the xenstored
 * that waited for it goes too. */
START_TEST(hvd_failing_at_start_takes_xenstored_with_it)
{
    char hv[128];
    snprintf(hv, sizeof hv, "%s/hv", dir);
    FILE *f = fopen(hv, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    SB("hv", "start", "--dir", dir);
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "splitbed-hvd exited before it was ready"), "%s", r.err);
    ck_assert_msg(strstr(r.err, "splitbed-hvd: cannot listen in"), "%s", r.err);
    ck_assert_msg(!strstr(r.err, "xenstored"), "%s", r.err);
    ck_assert_int_eq(pid_in("hvd.pid"), 0);
    ck_assert_int_eq(pid_in("xenstored.pid"), 0);
    ck_assert_int_eq(procs_naming(dir), 0);
    /* With the way cleared, the same dir starts. */
    ck_assert_int_eq(unlink(hv), 0);
    start();
    SB("hv", "stop", "--dir", dir);
    ck_assert_int_eq(r.status, 0);
}
END_TEST

/* splitbed-xenstored started beside an hvd that ends without its ready
 * line: one line naming it, exit 1; a line is all it waits for. */
START_TEST(xenstored_waits_for_the_hvd_ready_line)
{
    char xsdir[128];
    snprintf(xsdir, sizeof xsdir, "%s/xs", dir);
    for (int written = 0; written < 2; written++) {
        int p[2], e[2];
        ck_assert_int_eq(pipe(p), 0);
        ck_assert_int_eq(pipe(e), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(p[1]);
            close(e[0]);
            dup2(e[1], 2);
            char fd[16];
            snprintf(fd, sizeof fd, "%d", p[0]);
            const char *bin = build_path("bin/splitbed-xenstored");
            execl(bin, bin, "--dir", xsdir, "--hv-dir", dir, "--hv-ready-fd", fd, (char *)NULL);
            _exit(127);
        }
        close(p[0]);
        close(e[1]);
        if (written)
            ck_assert_int_eq(write(p[1], "ready\n", 6), 6);
        close(p[1]);
        char err[2048];
        size_t len = 0;
        ssize_t k;
        while (len < sizeof err - 1 && (k = read(e[0], err + len, sizeof err - 1 - len)) > 0)
            len += (size_t)k;
        err[len] = 0;
        close(e[0]);
        ck_assert_int_eq(runproc_wait(pid, TIMEOUT * 1000), 1);
        char want[200];
        snprintf(want, sizeof want, "the splitbed-hvd of %s ended before it served", dir);
        if (!written)
            ck_assert_msg(strstr(err, want), "%s", err);
        else /* past the line: it binds VIRQ_DOM_EXC on an hvd that is not there */
            ck_assert_msg(!strstr(err, want) && *err, "%s", err);
    }
}
END_TEST

/* A private run starts its simulator before xl's parser has read the
 * disk specs; a spec it refuses is still one line and exit 2, and the
 * daemons already started go with the run.  As the nearest subreaper,
 * this process would inherit any the run left behind. */
START_TEST(bad_disk_spec_takes_the_starting_simulator_with_it)
{
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    char spec[160];
    snprintf(spec, sizeof spec, "vdev=xvda,target=%s/no-such-image", dir);
    bad_usage((char *[]){ "run", "--disk", spec, "--", "true", NULL }, "no-such-image");
    bad_usage((char *[]){ "run", "--disk", "vdev=xvda,bogus=1", "--", "true", NULL },
              "unknown parameter");
    int st;
    ck_assert_int_eq(waitpid(-1, &st, WNOHANG), -1);
    ck_assert_int_eq(errno, ECHILD);
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 0), 0);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbcli";
    Suite *s = suite_create("cli");
    TCase *tc = tcase_create("cli");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, start_status_stop);
    tcase_add_test(tc, exec_gives_each_domain_its_view);
    tcase_add_test(tc, xenstore_control_as_on_xen);
    tcase_add_test(tc, exec_without_simulator_fails_with_one_line);
    tcase_add_test(tc, bad_usage_is_one_line_and_exit_2);
    tcase_add_test(tc, qubes_daemons_refuse_bad_options);
    tcase_add_test(tc, help_of_each_command_matches_its_manual_page);
    tcase_add_test(tc, app_killed_by_a_signal_is_128_plus_n);
    tcase_add_test(tc, hvd_failing_at_start_takes_xenstored_with_it);
    tcase_add_test(tc, xenstored_waits_for_the_hvd_ready_line);
    tcase_add_test(tc, bad_disk_spec_takes_the_starting_simulator_with_it);
    suite_add_tcase(s, tc);
    return check_main(s);
}
