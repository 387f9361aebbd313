/*
 * A guest's life as the toolstack sees it, with Debian's real xl as dom0:
 * `xl shutdown` and `xl reboot` answered by the guest `splitbed run`
 * starts (the control/shutdown handshake, the app stopped, the domain
 * shut down with its reason, a reboot started again as xl's
 * on_reboot="restart" does), the domain reaped by the run that created
 * it, and a guest app that waits for a device the toolstack attaches
 * later.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 30
#define XL "/usr/lib/xen-4.17/bin/xl"

static char dir[4096];
static struct runproc r;

static void sb(char *const args[])
{
    runproc_splitbed(&r, TIMEOUT, NULL, args);
}

#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })
#define DOM0(...) SB("exec", "--dir", dir, "--domain", "0", "--", __VA_ARGS__)

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    SB("hv", "start", "--dir", dir);
    ck_assert_msg(r.status == 0, "hv start: %d %s", r.status, r.err);
}

static void teardown(void)
{
    runproc_sim_remove(dir, dir, TIMEOUT);
}

/* `splitbed ARGS` in the background, its stdout and stderr on pipes. */
static pid_t spawn(char *const args[], int *out, int *err)
{
    char *argv[32] = { (char *)build_path("bin/splitbed") };
    int i = 0;
    for (; args[i] && i < 30; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    int po[2], pe[2];
    ck_assert_int_eq(pipe2(po, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(pe, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execv(argv[0], argv);
        _exit(127);
    }
    close(po[1]);
    close(pe[1]);
    *out = po[0];
    *err = pe[0];
    return pid;
}

/* One line from fd within TIMEOUT, or an assertion. */
static void read_line(int fd, char *buf, size_t size)
{
    size_t len = 0;
    while (len + 1 < size) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ck_assert_msg(poll(&p, 1, TIMEOUT * 1000) == 1, "no line within %d s", TIMEOUT);
        ssize_t n = read(fd, buf + len, 1);
        ck_assert_msg(n == 1, "end of output after \"%.*s\"", (int)len, buf);
        if (buf[len++] == '\n')
            break;
    }
    buf[len] = 0;
}

/* Reads lines from fd until one contains needle; all of them in seen. */
static void read_until(int fd, const char *needle, char *seen, size_t size)
{
    size_t len = 0;
    seen[0] = 0;
    for (;;) {
        char line[512];
        read_line(fd, line, sizeof line);
        len += (size_t)snprintf(seen + len, size - len, "%s", line);
        if (strstr(line, needle) || len + 1 >= size)
            break;
    }
    ck_assert_msg(strstr(seen, needle), "no \"%s\" in: %s", needle, seen);
}

/* The rest of fd's output (until EOF). */
static void read_rest(int fd, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n;
    while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = 0;
    close(fd);
}

/* The line of `xl list` output naming domain id, or NULL. */
static const char *list_line(const char *out, unsigned id, char *line, size_t size)
{
    for (const char *p = out; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        char name[64];
        unsigned got;
        snprintf(line, size, "%.*s", (int)len, p);
        if (sscanf(line, "%63s %u", name, &got) == 2 && got == id)
            return line;
        if (!nl)
            break;
        p = nl + 1;
    }
    return NULL;
}

static void read_node(const char *path, const char *want)
{
    DOM0("xenstore-read", (char *)path);
    ck_assert_msg(r.status == 0, "%s: %s", path, r.err);
    char expect[128];
    snprintf(expect, sizeof expect, "%s\n", want);
    ck_assert_msg(!strcmp(r.out, expect), "%s: \"%s\", not \"%s\"", path, r.out, want);
}

/* xl shutdown -w: libxl writes control/shutdown and waits for the
 * guest's acknowledgement, then for the shutdown.  The guest clears the
 * node, stops its app with SIGTERM and shuts down with reason poweroff;
 * the domain (created before the run, so not the run's to destroy) stays
 * in xl's list as shut down until xl destroy. */
START_TEST(xl_shutdown_is_answered_by_the_guest)
{
    SB("exec", "--dir", dir, "--domain", "5", "--name", "web", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    int out, err;
    pid_t run = spawn((char *[]){ "run", "--dir", dir, "--domain", "5", "--", "sh", "-c",
                                  "echo up; exec sleep 1000", NULL },
                      &out, &err);
    char line[512], seen[4096];
    read_line(out, line, sizeof line);
    ck_assert_str_eq(line, "up\n");

    DOM0(XL, "shutdown", "-w", "5");
    ck_assert_msg(r.status == 0, "xl shutdown: %d %s", r.status, r.err);
    ck_assert_msg(strstr(r.err, "Domain 5 has been shut down, reason code 0"), "%s", r.err);
    ck_assert_int_eq(runproc_wait(run, TIMEOUT * 1000), 128 + SIGTERM);
    read_rest(err, seen, sizeof seen);
    ck_assert_msg(strstr(seen, "shutdown request poweroff acknowledged"), "%s", seen);
    ck_assert_msg(strstr(seen, "splitbed run: domain 5 shut down on request (poweroff)"), "%s",
                  seen);
    close(out);

    /* As a Linux guest leaves them. */
    read_node("/local/domain/5/control/shutdown", "");
    read_node("/local/domain/5/control/feature-poweroff", "1");
    read_node("/local/domain/5/control/feature-reboot", "1");

    DOM0(XL, "list");
    ck_assert_msg(list_line(r.out, 5, line, sizeof line) && strstr(line, "---s--"), "%s", r.out);
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(strstr(r.out, "dom5 grants 0 mappings 0 ports 0 state shutdown 0\n"), "%s",
                  r.out);
    DOM0(XL, "destroy", "5");
    ck_assert_msg(r.status == 0, "xl destroy: %s", r.err);
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(!strstr(r.out, "dom5"), "%s", r.out);
}
END_TEST

/* Only requests a Linux guest knows are acknowledged (it offers no
 * suspend); reboot is, and is the shutdown's reason. */
START_TEST(unknown_request_is_ignored_and_reboot_is_the_reason)
{
    SB("exec", "--dir", dir, "--domain", "6", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    /* xl.cfg's on_reboot="destroy": the reboot ends the run. */
    char cfg[4200];
    snprintf(cfg, sizeof cfg, "%s/reboot-destroys.cfg", dir);
    FILE *f = fopen(cfg, "w");
    ck_assert_ptr_nonnull(f);
    fputs("on_reboot = \"destroy\"\n", f);
    fclose(f);
    int out, err;
    pid_t run = spawn((char *[]){ "run", "--dir", dir, "--domain", "6", "--config", cfg, "--", "sh",
                                  "-c", "echo up; exec sleep 1000", NULL },
                      &out, &err);
    char line[512], seen[4096];
    read_line(out, line, sizeof line);
    DOM0("xenstore-write", "/local/domain/6/control/shutdown", "suspend");
    ck_assert_msg(r.status == 0, "%s", r.err);
    read_until(err, "ignoring shutdown request suspend", seen, sizeof seen);
    read_node("/local/domain/6/control/shutdown", "suspend");
    ck_assert_int_eq(runproc_gone(run), 0);

    DOM0(XL, "reboot", "-w", "6");
    ck_assert_msg(r.status == 0, "xl reboot: %d %s", r.status, r.err);
    ck_assert_int_eq(runproc_wait(run, TIMEOUT * 1000), 128 + SIGTERM);
    read_rest(err, seen, sizeof seen);
    ck_assert_msg(strstr(seen, "shut down on request (reboot)"), "%s", seen);
    close(out);
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(strstr(r.out, "dom6 grants 0 mappings 0 ports 0 state shutdown 1\n"), "%s",
                  r.out);
}
END_TEST

/* A reboot as xl's default on_reboot="restart": the domain is destroyed
 * and made again (same id, same disk), and the app starts again.  The app
 * counts its starts in a file and asks for a reboot itself the first two
 * times, as `reboot` in a Linux guest would. */
START_TEST(reboot_starts_the_guest_again)
{
    char img[4200], disk[4300], starts[4200], script[12000];
    snprintf(img, sizeof img, "%s/reboot.img", dir);
    int fd = open(img, O_RDWR | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 1 << 20), 0);
    close(fd);
    snprintf(disk, sizeof disk, "vdev=xvda,access=rw,target=%s", img);
    snprintf(starts, sizeof starts, "%s/starts", dir);
    snprintf(script, sizeof script,
             "echo start >> %s; n=$(wc -l < %s); echo \"start $n\"; "
             "if [ $n -lt 3 ]; then xenstore-write /local/domain/8/control/shutdown reboot; "
             "exec sleep 1000; fi; exec %s -q",
             starts, starts, build_path("libexec/splitbed/blk-info"));
    int out, err;
    pid_t run = spawn((char *[]){ "run", "--dir", dir, "--domain", "8", "--disk", disk, "--", "sh",
                                  "-c", script, NULL },
                      &out, &err);
    char seen[8192], errs[8192];
    read_rest(out, seen, sizeof seen);
    ck_assert_int_eq(runproc_wait(run, TIMEOUT * 1000), 0);
    read_rest(err, errs, sizeof errs);
    const char *s1 = strstr(seen, "start 1\n"), *s2 = strstr(seen, "start 2\n"),
               *s3 = strstr(seen, "start 3\n");
    ck_assert_msg(s1 && s2 && s3 && s1 < s2 && s2 < s3, "%s", seen);
    ck_assert_msg(!strstr(seen, "start 4"), "%s", seen);
    ck_assert_msg(strstr(seen, "vdev: 51712\nbackend-id: 0\nsectors: 2048\n"),
                  "no disk after the reboots: %s", seen);
    ck_assert_msg(strstr(errs, "domain 8 rebooting: starting it again (start 3)"), "%s", errs);
    /* The last domain was the run's: reaped at its end. */
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(!strstr(r.out, "dom8 "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "total grants 0 mappings 0"), "%s", r.out);
}
END_TEST

/* An app that ignores SIGTERM is killed after --stop-timeout, as an init
 * system stopping a guest does; the domain shuts down all the same. */
START_TEST(app_ignoring_sigterm_is_killed_after_the_stop_timeout)
{
    SB("exec", "--dir", dir, "--domain", "7", "--", "true");
    int out, err;
    pid_t run = spawn((char *[]){ "run", "--dir", dir, "--domain", "7", "--stop-timeout", "1", "--",
                                  "sh", "-c", "trap '' TERM; echo up; exec sleep 1000", NULL },
                      &out, &err);
    char line[512], seen[4096];
    read_line(out, line, sizeof line);
    DOM0(XL, "shutdown", "-w", "7");
    ck_assert_msg(r.status == 0, "xl shutdown: %d %s", r.status, r.err);
    ck_assert_int_eq(runproc_wait(run, TIMEOUT * 1000), 128 + SIGKILL);
    read_rest(err, seen, sizeof seen);
    ck_assert_msg(strstr(seen, "still running 1 s after SIGTERM: SIGKILL"), "%s", seen);
    close(out);
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(strstr(r.out, "dom7 grants 0 mappings 0 ports 0 state shutdown 0\n"), "%s",
                  r.out);
}
END_TEST

/* A domain the run created is reaped once its guest shut down, as xl's
 * on_poweroff=destroy does: destroyed, @releaseDomain fired, nothing of
 * it left in hvd or xenstore. */
START_TEST(run_reaps_the_domain_it_created)
{
    int wout, werr;
    pid_t watch = spawn((char *[]){ "exec", "--dir", dir, "--domain", "0", "--", "xenstore-watch",
                                    "@releaseDomain", NULL },
                        &wout, &werr);
    char line[512], seen[4096];
    read_line(wout, line, sizeof line); /* the watch's first firing */
    int out, err;
    pid_t run = spawn((char *[]){ "run", "--dir", dir, "--domain", "8", "--", "sh", "-c",
                                  "echo up; exec sleep 1000", NULL },
                      &out, &err);
    read_line(out, line, sizeof line);
    DOM0(XL, "shutdown", "-w", "8");
    ck_assert_msg(r.status == 0, "xl shutdown: %d %s", r.status, r.err);
    ck_assert_int_eq(runproc_wait(run, TIMEOUT * 1000), 128 + SIGTERM);
    read_rest(err, seen, sizeof seen);
    close(out);
    read_line(wout, line, sizeof line);
    ck_assert_str_eq(line, "@releaseDomain\n");
    kill(watch, SIGTERM);
    runproc_wait(watch, TIMEOUT * 1000);
    close(wout);
    close(werr);
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(!strstr(r.out, "dom8"), "%s", r.out);
    ck_assert_msg(strstr(r.out, "total grants 0 mappings 0 ports 1\n"), "%s", r.out);
    DOM0("xenstore-exists", "/local/domain/8");
    ck_assert_int_ne(r.status, 0);
}
END_TEST

/* run --wait-device: the guest's init starts the app once block-attach
 * gave the domain the disk. */
START_TEST(app_waits_for_a_device_attached_later)
{
    SB("exec", "--dir", dir, "--domain", "9", "--", "true");
    int out, err;
    pid_t run = spawn((char *[]){ "run", "--dir", dir, "--domain", "9", "--wait-device", "vbd/xvdb",
                                  "--", "blk-info", "--vdev", "xvdb", NULL },
                      &out, &err);
    char seen[4096], spec[4200];
    read_until(err, "[guest] d9: waiting for device/vbd/51728", seen, sizeof seen);
    const char *src = getenv("SPLITBED_SRC");
    snprintf(spec, sizeof spec, "vdev=xvdb,access=ro,target=%s/fixtures/tar/hello.tar",
             src && *src ? src : ".");
    SB("block-attach", "--dir", dir, "9", spec);
    ck_assert_msg(r.status == 0, "block-attach: %s", r.err);
    ck_assert_int_eq(runproc_wait(run, TIMEOUT * 1000), 0);
    char got[4096];
    read_rest(out, got, sizeof got);
    ck_assert_msg(strstr(got, "vdev: 51728\n"), "%s", got);
    read_rest(err, seen, sizeof seen);
    SB("block-detach", "--dir", dir, "9", "xvdb");
    ck_assert_msg(r.status == 0, "block-detach: %s", r.err);

    SB("run", "--dir", dir, "--domain", "9", "--wait-device", "vbd/floppy", "--", "true");
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, "--wait-device vbd/floppy: expected"), "%s", r.err);
}
END_TEST

/* `splitbed run` starts the init while it builds the domain; the init
 * starts the app only on the line it is given, and none when the line
 * never comes (the run gave up). */
START_TEST(init_starts_the_app_only_when_let_go)
{
    char mark[4200];
    snprintf(mark, sizeof mark, "%s/app-ran", dir);
    for (int go = 0; go < 2; go++) {
        int p[2];
        ck_assert_int_eq(pipe(p), 0);
        pid_t pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            close(p[1]);
            char fd[16], cmd[4300];
            snprintf(fd, sizeof fd, "%d", p[0]);
            snprintf(cmd, sizeof cmd, "echo ran > %s", mark);
            /* No xenstore: the app runs all the same. */
            setenv("XENSTORED_PATH", "/nonexistent", 1);
            const char *init = build_path("libexec/splitbed/splitbed-guest-init");
            execl(init, init, "-q", "--start-fd", fd, "--", "/bin/sh", "-c", cmd, (char *)NULL);
            _exit(127);
        }
        close(p[0]);
        if (go)
            ck_assert_int_eq(write(p[1], "go\n", 3), 3);
        close(p[1]);
        int status = runproc_wait(pid, TIMEOUT * 1000);
        ck_assert_int_eq(status, go ? 0 : 1);
        ck_assert_int_eq(access(mark, F_OK) == 0, go);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("lifecycle");
    TCase *tc = tcase_create("xl");
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 90);
    tcase_add_test(tc, xl_shutdown_is_answered_by_the_guest);
    tcase_add_test(tc, unknown_request_is_ignored_and_reboot_is_the_reason);
    tcase_add_test(tc, reboot_starts_the_guest_again);
    tcase_add_test(tc, app_ignoring_sigterm_is_killed_after_the_stop_timeout);
    tcase_add_test(tc, run_reaps_the_domain_it_created);
    tcase_add_test(tc, app_waits_for_a_device_attached_later);
    tcase_add_test(tc, init_starts_the_app_only_when_let_go);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    scratch_prefix = "sblc";
    return check_main(suite());
}
