/*
 * Debian's own libxenctrl programs, unmodified, as dom0 (and as a guest)
 * on the simulator through our libxencall/libxenforeignmemory/
 * libxendevicemodel: xl list/pause/unpause/domid, lsevtchn and
 * vchan-socket-proxy in both modes; a guest's control hypercall is EPERM
 * and an unsimulated one ENOSYS, each with its trace line.  And the
 * lifecycle (pause, shutdown, destroy, @releaseDomain), by xl and by
 * `splitbed domain`, agreeing; and `xl list -l`, each domain's saved
 * configuration with its devices.
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
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 30
#define XENBIN "/usr/lib/xen-4.17/bin/"

static char dir[64];
static struct runproc r;

static void sb(char *const args[])
{
    runproc_splitbed(&r, TIMEOUT, NULL, args);
}

#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })
/* A program as dom0 */
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

static pid_t spawn(char *const args[], int fd3, int *out);
static void read_line(int fd, char *buf, size_t size);

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

START_TEST(xl_lists_pauses_and_names_domains)
{
    SB("exec", "--dir", dir, "--domain", "3", "--name", "web", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    DOM0(XENBIN "xl", "list");
    ck_assert_msg(r.status == 0, "xl list: %d %s", r.status, r.err);
    char line[256];
    ck_assert_msg(list_line(r.out, 0, line, sizeof line), "no dom0 in: %s", r.out);
    ck_assert_msg(strncmp(line, "Domain-0 ", 9) == 0, "%s", line);
    ck_assert_msg(list_line(r.out, 3, line, sizeof line), "no d3 in: %s", r.out);
    ck_assert_msg(strncmp(line, "web ", 4) == 0, "%s", line);
    ck_assert_msg(!strstr(line, "--p---"), "%s", line);

    DOM0(XENBIN "xl", "pause", "3");
    ck_assert_msg(r.status == 0, "xl pause: %s", r.err);
    DOM0(XENBIN "xl", "list");
    ck_assert_msg(list_line(r.out, 3, line, sizeof line) && strstr(line, "--p---"), "%s", r.out);
    DOM0(XENBIN "xl", "unpause", "3");
    ck_assert_msg(r.status == 0, "xl unpause: %s", r.err);
    DOM0(XENBIN "xl", "list");
    ck_assert_msg(list_line(r.out, 3, line, sizeof line) && !strstr(line, "--p---"), "%s", r.out);

    DOM0(XENBIN "xl", "domid", "web");
    ck_assert_str_eq(r.out, "3\n");
    DOM0(XENBIN "xl", "domname", "3");
    ck_assert_str_eq(r.out, "web\n");
}
END_TEST

/* Debian's /usr/sbin/xl and /usr/sbin/xentop are a wrapper that finds
 * the tools by /sys/hypervisor, which `splitbed exec` shows (as root). */
START_TEST(debian_wrappers_xl_and_xentop)
{
    SB("exec", "--dir", dir, "--domain", "2", "--name", "db", "--", "true");
    DOM0("/usr/sbin/xl", "list");
    ck_assert_msg(r.status == 0, "xl list: %d %s", r.status, r.err);
    char line[256];
    ck_assert_msg(list_line(r.out, 2, line, sizeof line), "no d2 in: %s", r.out);
    DOM0("/usr/sbin/xentop", "-b", "-i", "1");
    ck_assert_msg(r.status == 0, "xentop: %d %s", r.status, r.err);
    ck_assert_msg(strncmp(r.out, "      NAME  STATE ", 18) == 0, "%s", r.out);
    ck_assert_msg(strstr(r.out, "\n  Domain-0 "), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\n        db "), "%s", r.out);
    SB("exec", "--dir", dir, "--domain", "2", "--", "cat", "/sys/hypervisor/type");
    ck_assert_str_eq(r.out, "xen\n");
}
END_TEST

/* xl destroy as libxl does it: the domain is gone from hvd, from xl's
 * list and from xenstore. */
START_TEST(xl_destroy_removes_the_domain)
{
    SB("exec", "--dir", dir, "--domain", "4", "--name", "gone", "--", "true");
    DOM0(XENBIN "xl", "destroy", "4");
    ck_assert_msg(r.status == 0, "xl destroy: %d %s", r.status, r.err);
    ck_assert_str_eq(r.err, "");
    DOM0(XENBIN "xl", "list");
    char line[256];
    ck_assert_msg(!list_line(r.out, 4, line, sizeof line), "%s", r.out);
    SB("hv", "status", "--dir", dir);
    ck_assert_msg(!strstr(r.out, "dom4 "), "%s", r.out);
    DOM0("xenstore-exists", "/local/domain/4");
    ck_assert_int_ne(r.status, 0);
    DOM0("xenstore-exists", "/vm/splitbed-4");
    ck_assert_int_ne(r.status, 0);
}
END_TEST

/* Pause stops the domain's processes as a paused vCPU, unpause lets them
 * go on; destroy kills them and xenstored, told by VIRQ_DOM_EXC, fires
 * @releaseDomain. */
START_TEST(pause_stops_destroy_kills_and_release_fires)
{
    int gout;
    pid_t guest = spawn((char *[]){ "exec", "--dir", dir, "--domain", "6", "--", "sh", "-c",
                                    "echo up; exec sleep 1000", NULL },
                        -1, &gout);
    /* It said "up": it runs in domain 6 (started by splitbed exec). */
    char line[256];
    read_line(gout, line, sizeof line);
    close(gout);
    DOM0(XENBIN "xl", "list");
    ck_assert_msg(list_line(r.out, 6, line, sizeof line), "%s", r.out);

    DOM0(XENBIN "lsevtchn", "0");
    ck_assert_msg(strstr(r.out, ": VCPU 0: Virtual IRQ 3"), "xenstored binds VIRQ_DOM_EXC: %s",
                  r.out);

    DOM0(XENBIN "xl", "pause", "6");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_int_eq(runproc_proc_state(guest), 'T');
    DOM0(XENBIN "xl", "unpause", "6");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_int_ne(runproc_proc_state(guest), 'T');

    int wout;
    pid_t watch = spawn((char *[]){ "exec", "--dir", dir, "--domain", "0", "--", "xenstore-watch",
                                    "-n", "2", "@releaseDomain", NULL },
                        -1, &wout);
    read_line(wout, line, sizeof line); /* registered */
    DOM0(XENBIN "xl", "destroy", "6");
    ck_assert_msg(r.status == 0, "xl destroy: %d %s", r.status, r.err);
    ck_assert_int_eq(runproc_wait(guest, TIMEOUT * 1000), 128 + SIGKILL);
    read_line(wout, line, sizeof line);
    ck_assert_str_eq(line, "@releaseDomain\n");
    ck_assert_int_eq(runproc_wait(watch, TIMEOUT * 1000), 0);
    close(wout);
    /* Released: its xenstore socket is gone. */
    char sock[128];
    snprintf(sock, sizeof sock, "%s/xenstored/dom6", dir);
    ck_assert_int_ne(access(sock, F_OK), 0);
}
END_TEST

/* How many of hvd's descriptors are the memory of domain d. */
static int hvd_mem_fds(unsigned d)
{
    char path[160], want[64];
    snprintf(path, sizeof path, "%s/hvd.pid", dir);
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (f) {
        if (fscanf(f, "%d", &pid) != 1)
            pid = 0;
        fclose(f);
    }
    ck_assert_int_gt(pid, 0);
    snprintf(want, sizeof want, "/memfd:splitbed-dom%u ", d);
    int n = 0;
    for (int fd = 0; fd < 4096; fd++) {
        char link[64], target[256];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", pid, fd);
        ssize_t k = readlink(link, target, sizeof target - 1);
        if (k <= 0)
            continue;
        target[k] = 0;
        n += strncmp(target, want, strlen(want)) == 0;
    }
    return n;
}

/* splitbed domain list|pause|unpause|shutdown|destroy, agreeing with
 * Debian's xl on each state. */
START_TEST(domain_command_walks_the_lifecycle)
{
    int gout;
    pid_t guest = spawn((char *[]){ "exec", "--dir", dir, "--domain", "7", "--name", "app", "--",
                                    "sh", "-c", "echo up; exec sleep 1000", NULL },
                        -1, &gout);
    char line[256];
    read_line(gout, line, sizeof line);
    close(gout);
#define DOMAIN(...) SB("domain", "--dir", dir, __VA_ARGS__)
    DOMAIN("list");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(strstr(r.out, "\napp ") && strstr(r.out, "    7  running\n"), "%s", r.out);

    DOMAIN("pause", "app");
    ck_assert_msg(r.status == 0, "%s", r.err);
    DOMAIN("list");
    ck_assert_msg(strstr(r.out, "    7  paused\n"), "%s", r.out);
    ck_assert_int_eq(runproc_proc_state(guest), 'T');
    DOM0(XENBIN "xl", "list");
    ck_assert_msg(list_line(r.out, 7, line, sizeof line) && strstr(line, "--p---"), "%s", r.out);
    DOMAIN("unpause", "7");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_int_ne(runproc_proc_state(guest), 'T');
    DOMAIN("unpause", "7");
    ck_assert_int_eq(r.status, 1);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, "it is not paused"), "%s", r.err);

    int wout;
    pid_t watch = spawn((char *[]){ "exec", "--dir", dir, "--domain", "0", "--", "xenstore-watch",
                                    "-n", "2", "@releaseDomain", NULL },
                        -1, &wout);
    read_line(wout, line, sizeof line);
    DOMAIN("shutdown", "--reason", "crash", "app");
    ck_assert_msg(r.status == 0, "%s", r.err);
    read_line(wout, line, sizeof line); /* xenstored heard VIRQ_DOM_EXC */
    ck_assert_str_eq(line, "@releaseDomain\n");
    ck_assert_int_eq(runproc_wait(watch, TIMEOUT * 1000), 0);
    close(wout);
    DOMAIN("list");
    ck_assert_msg(strstr(r.out, "    7  shutdown crash\n"), "%s", r.out);
    ck_assert_int_eq(runproc_proc_state(guest), 'T');
    DOM0(XENBIN "xl", "list");
    ck_assert_msg(list_line(r.out, 7, line, sizeof line) && strstr(line, "---sc-"), "%s", r.out);

    ck_assert_int_eq(hvd_mem_fds(7), 1);
    DOMAIN("destroy", "app");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_int_eq(runproc_wait(guest, TIMEOUT * 1000), 128 + SIGKILL);
    /* Nothing mapped its pages: its memory went at once. */
    ck_assert_int_eq(hvd_mem_fds(7), 0);
    DOMAIN("list");
    ck_assert_msg(!strstr(r.out, "app"), "%s", r.out);
    DOM0("xenstore-exists", "/local/domain/7");
    ck_assert_int_ne(r.status, 0);

    DOMAIN("destroy", "nosuch");
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    DOMAIN("pause", "0");
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
    DOMAIN("frobnicate", "1");
    ck_assert_int_eq(r.status, 2);
    ck_assert_int_eq(runproc_lines(r.err), 1);
#undef DOMAIN
}
END_TEST

START_TEST(guest_control_hypercall_is_eperm_with_trace)
{
    SB("exec", "--dir", dir, "--domain", "1", "--", XENBIN "xl", "list");
    ck_assert_int_ne(r.status, 0);
    ck_assert_int_lt(r.status, 128); /* an error, not a crash */
    ck_assert(runproc_trace_has(dir, "d1: sysctl 3 (XEN_SYSCTL_physinfo) refused: only dom0 may"));
}
END_TEST

START_TEST(unsimulated_op_is_enosys_with_trace)
{
    DOM0(XENBIN "xl", "debug-keys", "h");
    ck_assert_int_ne(r.status, 0);
    ck_assert_int_lt(r.status, 128);
    ck_assert_msg(strstr(r.err, "Function not implemented"), "%s", r.err);
    ck_assert(runproc_trace_has(dir, "d0: sysctl 7 (XEN_SYSCTL_debug_keys) not simulated"));
}
END_TEST

/* xl list -l: libxl reads each domain's saved configuration, merges in
 * its devices as xenstore lists them, its CPU pool's scheduler and its
 * memory; hot-plugged devices come and go from it and a destroyed
 * domain's file goes with the domain. */
START_TEST(xl_list_long_shows_config_with_devices)
{
    char img[128], sock[128], spec[256];
    snprintf(img, sizeof img, "%s/d.img", dir);
    snprintf(sock, sizeof sock, "%s/n.sock", dir);
    FILE *f = fopen(img, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(ftruncate(fileno(f), 1 << 20), 0);
    fclose(f);
    SB("exec", "--dir", dir, "--domain", "3", "--name", "web", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    snprintf(spec, sizeof spec, "vdev=xvdb,access=rw,target=%s", img);
    SB("block-attach", "--dir", dir, "3", spec);
    ck_assert_msg(r.status == 0, "block-attach: %s", r.err);
    snprintf(spec, sizeof spec, "mac=00:16:3e:00:00:07,backing=socket:%s", sock);
    SB("network-attach", "--dir", dir, "3", spec);
    ck_assert_msg(r.status == 0, "network-attach: %s", r.err);

    DOM0(XENBIN "xl", "list", "-l", "3");
    ck_assert_msg(r.status == 0, "xl list -l: %d %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "\"domid\": 3,") && strstr(r.out, "\"name\": \"web\""), "%s",
                  r.out);
    ck_assert_msg(strstr(r.out, "\"vdev\": \"xvdb\"") && strstr(r.out, img), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\"mac\": \"00:16:3e:00:00:07\""), "%s", r.out);
    ck_assert_msg(strstr(r.out, "\"sched\": \"credit2\""), "%s", r.out);
    DOM0(XENBIN "xl", "list", "-l");
    ck_assert_msg(r.status == 0, "xl list -l: %d %s", r.status, r.err);
    ck_assert_msg(strstr(r.out, "\"name\": \"Domain-0\""), "%s", r.out);

    SB("block-detach", "--dir", dir, "3", "xvdb");
    ck_assert_msg(r.status == 0, "block-detach: %s", r.err);
    DOM0(XENBIN "xl", "list", "-l", "3");
    ck_assert_msg(r.status == 0 && !strstr(r.out, "xvdb") && strstr(r.out, "00:16:3e:00:00:07"),
                  "%d %s %s", r.status, r.out, r.err);

    SB("domain", "--dir", dir, "destroy", "3");
    ck_assert_msg(r.status == 0, "destroy: %s", r.err);
    SB("exec", "--dir", dir, "--domain", "3", "--name", "web2", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    DOM0(XENBIN "xl", "list", "-l", "3");
    ck_assert_msg(r.status == 0 && strstr(r.out, "\"name\": \"web2\"") && !strstr(r.out, "mac"),
                  "%d %s %s", r.status, r.out, r.err);
}
END_TEST

START_TEST(foreign_map_fails_with_one_line)
{
    SB("exec", "--dir", dir, "--domain", "1", "--", "true");
    char *argv[] = {
        (char *)build_path("bin/splitbed"),    "exec", "--dir", dir, "--domain", "0", "--",
        (char *)build_path("tests/fmem-peer"), "1",    NULL
    };
    runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_str_eq(r.out, "map failed: Operation not supported\n");
    ck_assert_int_eq(runproc_lines(r.err), 1);
    ck_assert_msg(strstr(r.err, "foreign map of d1 refused"), "%s", r.err);
}
END_TEST

/* splitbed exec ... with fd 3 = fd3 (-1: none) and stdout to a pipe
 * whose read end goes to *out (NULL: inherited). */
static pid_t spawn(char *const args[], int fd3, int *out)
{
    char *argv[32] = { (char *)build_path("bin/splitbed") };
    int i = 0;
    for (; args[i] && i < 30; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    int p[2] = { -1, -1 };
    if (out)
        ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (fd3 >= 0)
            dup2(fd3, 3); /* clears FD_CLOEXEC on 3 */
        if (out)
            dup2(p[1], 1);
        execv(argv[0], argv);
        _exit(127);
    }
    if (out) {
        close(p[1]);
        *out = p[0];
    }
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
        ck_assert_int_eq(n, 1);
        if (buf[len++] == '\n')
            break;
    }
    buf[len] = 0;
}

START_TEST(lsevtchn_and_vchan_socket_proxy_both_modes)
{
    SB("exec", "--dir", dir, "--domain", "1", "--", "true");
    /* Watch the server's state node first, so its "running" cannot be
     * missed: xenstore-watch prints the path once when registered, once
     * when written. */
    int wout;
    pid_t watch = spawn((char *[]){ "exec", "--dir", dir, "--domain", "0", "--", "xenstore-watch",
                                    "-n", "2", "/local/domain/1/data/vstate", NULL },
                        -1, &wout);
    char line[256];
    read_line(wout, line, sizeof line);

    int sp[2];
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp), 0);
    pid_t server =
        spawn((char *[]){ "exec", "--dir", dir, "--domain", "1", "--", XENBIN "vchan-socket-proxy",
                          "-m", "server", "-s", "/local/domain/1/data/vstate", "0",
                          "/local/domain/1/data/vchan", "3", NULL },
              sp[1], NULL);
    close(sp[1]);
    read_line(wout, line, sizeof line);
    ck_assert_int_eq(runproc_wait(watch, TIMEOUT * 1000), 0);
    close(wout);

    DOM0(XENBIN "lsevtchn", "1");
    ck_assert_msg(r.status == 0, "lsevtchn: %s", r.err);
    ck_assert_msg(strstr(r.out, ": VCPU 0: Interdomain (Waiting connection) - Remote Domain 0"),
                  "%s", r.out);

    /* The client (dom0) listens on a socket we hand it; a connection
     * there opens the vchan, whose data the server passes to sp[0]. */
    int ls = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s/client.sock", dir);
    ck_assert_int_eq(bind(ls, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(ls, 1), 0);
    pid_t client =
        spawn((char *[]){ "exec", "--dir", dir, "--domain", "0", "--", XENBIN "vchan-socket-proxy",
                          "-m", "client", "1", "/local/domain/1/data/vchan", "3", NULL },
              ls, NULL);
    close(ls);
    int cs = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(connect(cs, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(write(cs, "ping\n", 5), 5);
    read_line(sp[0], line, sizeof line);
    ck_assert_str_eq(line, "ping\n");
    ck_assert_int_eq(write(sp[0], "pong\n", 5), 5);
    read_line(cs, line, sizeof line);
    ck_assert_str_eq(line, "pong\n");

    DOM0(XENBIN "lsevtchn", "1");
    ck_assert_msg(strstr(r.out, ": VCPU 0: Interdomain (Connected) - Remote Domain 0, Port "), "%s",
                  r.out);
    close(cs);
    close(sp[0]);
    kill(client, SIGTERM);
    kill(server, SIGTERM);
    runproc_wait(client, TIMEOUT * 1000);
    runproc_wait(server, TIMEOUT * 1000);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbxc";
    Suite *s = suite_create("xenctrl-tools");
    TCase *tc = tcase_create("xenctrl-tools");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, xl_lists_pauses_and_names_domains);
    tcase_add_test(tc, debian_wrappers_xl_and_xentop);
    tcase_add_test(tc, xl_destroy_removes_the_domain);
    tcase_add_test(tc, pause_stops_destroy_kills_and_release_fires);
    tcase_add_test(tc, domain_command_walks_the_lifecycle);
    tcase_add_test(tc, guest_control_hypercall_is_eperm_with_trace);
    tcase_add_test(tc, unsimulated_op_is_enosys_with_trace);
    tcase_add_test(tc, foreign_map_fails_with_one_line);
    tcase_add_test(tc, xl_list_long_shows_config_with_devices);
    tcase_add_test(tc, lsevtchn_and_vchan_socket_proxy_both_modes);
    suite_add_tcase(s, tc);
    return check_main(s);
}
