/*
 * splitbed-xen-dm as libxl runs it (docs/real-xen.md), on the simulator:
 * the test plays libxl with Debian's xenstore tools (a guest's
 * backendtype=qdisk disk written as libxl_disk.c writes it), starts the
 * device model in dom0 with the arguments libxl_dm.c gives, waits for
 * "running" as libxl does, talks QMP to it as libxl's client does, lets
 * the guest read its disk, and destroys it with SIGHUP as libxl does.
 * Bad command lines and hostile QMP clients get one line each.  A vif
 * libxl adds gets a splitbed-netback on a TAP of the name libxl hands
 * the vif's script.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include "tests/lib/skip.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT 60

static char dir[64], sim[128], qmp[100], dmlog[160];
static struct runproc r;
static pid_t dm = -1;

static void cleanup(void)
{
    if (dm > 0) {
        kill(dm, SIGKILL);
        waitpid(dm, NULL, 0);
        dm = -1;
    }
    if (sim[0])
        runproc_sim_remove(sim, dir, TIMEOUT);
    sim[0] = '\0';
}

static void setup(void)
{
    atexit(cleanup);
    scratch_dir(dir, sizeof dir);
    snprintf(sim, sizeof sim, "%s/sim", dir);
    snprintf(qmp, sizeof qmp, "%s/qmp-libxl-3", dir);
    snprintf(dmlog, sizeof dmlog, "%s/qemu-dm-g3.log", dir);
}

static void sb(char *const args[])
{
    runproc_splitbed(&r, TIMEOUT, NULL, args);
}
#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void dm_cmd(char *const args[])
{
    char *argv[40] = { (char *)build_path("libexec/splitbed/splitbed-xen-dm") };
    int n = 1;
    for (int i = 0; args[i] && n < 38; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
}
#define DM(...) dm_cmd((char *[]){ __VA_ARGS__, NULL })

static void assert_one_line(const char *needle)
{
    ck_assert_msg(r.status == 2, "status %d: %s", r.status, r.err);
    ck_assert_msg(runproc_lines(r.err) == 1, "not one line: %s", r.err);
    ck_assert_msg(strstr(r.err, "splitbed-xen-dm: ") == r.err, "%s", r.err);
    ck_assert_msg(strstr(r.err, needle), "want '%s' in: %s", needle, r.err);
}

START_TEST(bad_command_lines_get_one_line)
{
    DM("-name", "g3", "-machine", "xenpv");
    assert_one_line("no -xen-domid");
    DM("-xen-domid", "0");
    assert_one_line("-xen-domid 0: not a guest domain id");
    DM("-xen-domid", "3x");
    assert_one_line("-xen-domid 3x");
    DM("-xen-domid", "3", "stray");
    assert_one_line("unexpected argument 'stray'");
    DM("-xen-domid", "3", "-mon", "chardev=nowhere,mode=control");
    assert_one_line("-mon chardev=nowhere,mode=control: no listening -chardev");
    DM("-xen-domid", "3", "-chardev", "socket,id=c,fd=x,server=on,wait=off");
    assert_one_line("fd=x is not a descriptor number");
    DM("-xen-domid", "3", "-m");
    assert_one_line("-m needs a value");
    DM("--help");
    ck_assert_int_eq(r.status, 0);
    ck_assert_msg(strstr(r.out, "device_model_override"), "%s", r.out);
}
END_TEST

static void xs_dom0(char *const args[])
{
    char *argv[64] = { "exec", "--dir", sim, "--domain", "0", "--" };
    int n = 6;
    for (int i = 0; args[i] && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    sb(argv);
}
#define XS(...) xs_dom0((char *[]){ __VA_ARGS__, NULL })

/* A qdisk disk for domain 3 as libxl_disk.c writes it: params is
 * FORMAT:PATH, and the backend directory is backend/qdisk. */
static void libxl_writes_qdisk(const char *vdev, unsigned devid, const char *params)
{
    static char be[128], fe[128], k[16][160], id[16];
    snprintf(be, sizeof be, "/local/domain/0/backend/qdisk/3/%u", devid);
    snprintf(fe, sizeof fe, "/local/domain/3/device/vbd/%u", devid);
    snprintf(id, sizeof id, "%u", devid);
    const char *bkeys[] = { "frontend", "frontend-id", "online", "removable",   "bootable", "state",
                            "dev",      "type",        "mode",   "device-type", "params",   NULL };
    const char *bvals[] = { fe, "3", "1", "0", "1", "1", vdev, "qdisk", "r", "disk", params };
    const char *fkeys[] = {
        "backend", "backend-id", "state", "virtual-device", "device-type", NULL
    };
    const char *fvals[] = { be, "0", "1", id, "disk" };
    char *argv[64] = { "exec", "--dir", sim, "--domain", "0", "--", "xenstore-write" };
    int n = 7, j = 0;
    for (int i = 0; bkeys[i]; i++, j++) {
        snprintf(k[j], sizeof k[j], "%s/%s", be, bkeys[i]);
        argv[n++] = k[j];
        argv[n++] = (char *)bvals[i];
    }
    argv[n] = NULL;
    sb(argv);
    ck_assert_msg(r.status == 0, "%s", r.err);
    n = 7;
    for (int i = 0; fkeys[i]; i++) {
        snprintf(k[i], sizeof k[i], "%s/%s", fe, fkeys[i]);
        argv[n++] = k[i];
        argv[n++] = (char *)fvals[i];
    }
    argv[n] = NULL;
    sb(argv);
    ck_assert_msg(r.status == 0, "%s", r.err);
    XS("xenstore-chmod", "-r", be, "n0", "r3");
    XS("xenstore-chmod", "-r", fe, "n3", "r0");
}

static char *xs_read(const char *path)
{
    XS("xenstore-read", (char *)path);
    if (r.status != 0)
        return NULL;
    r.out[strcspn(r.out, "\n")] = '\0';
    return r.out;
}

/* libxl's wait for the device model: device-model/3/state = "running"
 * (libxl__spawn_spawn watches it, with a limit). */
static bool wait_running(void)
{
    for (int i = 0; i < 400; i++) {
        const char *v = xs_read("/local/domain/0/device-model/3/state");
        if (v && !strcmp(v, "running"))
            return true;
        if (waitpid(dm, NULL, WNOHANG) == dm) {
            dm = -1;
            return false;
        }
        struct timespec ts = { 0, 25 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    return false;
}

static void start_dm_with(const char *chardev_arg, char *const extra[]);

static void start_dm(char *const extra[])
{
    static char chardev[256];
    snprintf(chardev, sizeof chardev, "socket,id=libxl-cmd,path=%s,server=on,wait=off", qmp);
    start_dm_with(chardev, extra);
}

/* The device model as libxl_dm.c runs it for a PVH guest, its QMP
 * monitor on the chardev chardev_arg describes. */
static void start_dm_with(const char *chardev_arg, char *const extra[])
{
    char *argv[48] = { (char *)build_path("bin/splitbed"),
                       "exec",
                       "--dir",
                       sim,
                       "--domain",
                       "0",
                       "--",
                       (char *)build_path("libexec/splitbed/splitbed-xen-dm"),
                       "-xen-domid",
                       "3",
                       "-no-shutdown",
                       "-chardev",
                       NULL };
    const char *chardev = chardev_arg;
    int n = 12;
    const char *rest[] = { chardev,
                           "-mon",
                           "chardev=libxl-cmd,mode=control",
                           "-nodefaults",
                           "-no-user-config",
                           "-xen-attach",
                           "-name",
                           "g3",
                           "-vnc",
                           "none",
                           "-display",
                           "none",
                           "-machine",
                           "xenpv",
                           "-m",
                           "32",
                           NULL };
    for (int i = 0; rest[i]; i++)
        argv[n++] = (char *)rest[i];
    for (int i = 0; extra && extra[i]; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    dm = fork();
    ck_assert_int_ge(dm, 0);
    if (dm == 0) {
        int fd = open(dmlog, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int null = open("/dev/null", O_RDONLY);
        if (fd < 0 || null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
}

static void read_log(char *buf, size_t len)
{
    buf[0] = '\0';
    int fd = open(dmlog, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, buf, len - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
}

static int qmp_connect(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", qmp);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    ck_assert_msg(connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0, "connect %s: %s", qmp,
                  strerror(errno));
    return fd;
}

/* One message of QEMU's: up to its "\r\n", at most TIMEOUT s. */
static void qmp_line(int fd, char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ck_assert_int_eq(poll(&p, 1, TIMEOUT * 1000), 1);
        ssize_t k = read(fd, buf + n, 1);
        ck_assert_int_eq(k, 1);
        n++;
        if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n')
            break;
    }
    buf[n] = '\0';
}

static void qmp_ask(int fd, const char *cmd, const char *want)
{
    char line[1024];
    ck_assert_int_eq(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
    qmp_line(fd, line, sizeof line);
    ck_assert_msg(!strcmp(line, want), "asked %s\ngot  %s\nwant %s", cmd, line, want);
}

START_TEST(serves_a_qdisk_disk_as_libxl_starts_it)
{
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", sim, "--domain", "3", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    char params[300], qcow[300];
    char *cwd = getcwd(NULL, 0);
    snprintf(params, sizeof params, "raw:%s/fixtures/tar/hello.tar", cwd);
    snprintf(qcow, sizeof qcow, "qcow2:%s/fixtures/tar/hello.tar", cwd);
    free(cwd);
    libxl_writes_qdisk("xvda", 51712, params);
    libxl_writes_qdisk("xvdb", 51728, qcow);

    start_dm(NULL);
    char log[8192];
    read_log(log, sizeof log);
    ck_assert_msg(wait_running(), "never running; log:\n%s", log);

    /* libxl's QMP client: greeting, capabilities, query-chardev. */
    int fd = qmp_connect();
    char line[1024];
    qmp_line(fd, line, sizeof line);
    ck_assert_msg(strstr(line, "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": "
                               "2, \"major\": 7}") == line,
                  "%s", line);
    qmp_ask(fd, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n",
            "{\"return\": {}, \"id\": 1}\r\n");
    qmp_ask(fd, "{\"execute\":\"query-chardev\",\"id\":2}\r\n", "{\"return\": [], \"id\": 2}\r\n");
    qmp_ask(fd, "{\"execute\": \"query-status\", \"id\": 3}\r\n",
            "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, "
            "\"id\": 3}\r\n");
    qmp_ask(fd, "{\"execute\":\"device_add\",\"id\":4}\r\n",
            "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command device_add has "
            "not been found\"}, \"id\": 4}\r\n");
    /* libxl's commands carry an "arguments" object: the command ends at
     * the brace that closes the outer one. */
    qmp_ask(fd, "{\"execute\":\"device_del\",\"arguments\":{\"id\":\"nic1\"},\"id\":6}\r\n",
            "{\"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command device_del has "
            "not been found\"}, \"id\": 6}\r\n");
    /* A hostile client is cut off; this one goes on being answered. */
    int bad = qmp_connect();
    qmp_line(bad, line, sizeof line);
    ck_assert_int_eq(write(bad, "[1,2]\r\n", 7), 7);
    ck_assert_int_eq(read(bad, line, sizeof line), 0);
    close(bad);
    qmp_ask(fd, "{\"execute\":\"query-chardev\",\"id\":5}\r\n", "{\"return\": [], \"id\": 5}\r\n");
    close(fd);

    /* The guest reads its qdisk disk through splitbed-blkback. */
    SB("exec", "--dir", sim, "--domain", "3", "--", "tar-cat", "hello.txt");
    ck_assert_msg(r.status == 0, "%s %s", r.out, r.err);
    ck_assert_str_eq(r.out, "hello world!\n");
    /* Only raw images: the qcow2 disk was refused with its reason. */
    const char *e = xs_read("/local/domain/0/error/backend/qdisk/3/51728/error");
    ck_assert_msg(e && strstr(e, "format 'qcow2' is not served"), "%s", e ? e : r.err);

    /* libxl's destroy: device-model/3 removed, SIGHUP to the model. */
    XS("xenstore-rm", "/local/domain/0/device-model/3");
    ck_assert_int_eq(kill(dm, SIGHUP), 0);
    int st = runproc_wait(dm, TIMEOUT * 1000);
    dm = -1;
    read_log(log, sizeof log);
    ck_assert_msg(st == 0, "status %d; log:\n%s", st, log);
    ck_assert_msg(strstr(log, "dom3 g3: serving backend/qdisk/3"), "%s", log);
    ck_assert_msg(strstr(log, "dom3: stopped"), "%s", log);
    struct stat sbuf;
    ck_assert_msg(stat(qmp, &sbuf) < 0 && errno == ENOENT, "QMP socket left behind");
    /* Its backend went with it: the disk is Closed, nothing is mapped. */
    e = xs_read("/local/domain/0/backend/qdisk/3/51712/state");
    ck_assert_msg(e && !strcmp(e, "6"), "state %s", e ? e : "none");
    SB("hv", "status", "--dir", sim);
    ck_assert_msg(strstr(r.out, "total grants 0 mappings 0 "), "%s", r.out);
}
END_TEST

/* A backend that dies is started again, and the guest reads again. */
START_TEST(a_dead_backend_is_started_again)
{
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", sim, "--domain", "3", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    char params[300];
    char *cwd = getcwd(NULL, 0);
    snprintf(params, sizeof params, "raw:%s/fixtures/tar/hello.tar", cwd);
    free(cwd);
    libxl_writes_qdisk("xvda", 51712, params);
    start_dm((char *[]){ "-splitbed-blkback-opt", "persistent=0", NULL });
    char log[8192];
    ck_assert(wait_running());
    /* The backend is the model's child: find it by its parent. */
    char cmd[128];
    snprintf(cmd, sizeof cmd, "pgrep -P %d -f splitbed-blkback", (int)dm);
    FILE *p = popen(cmd, "r");
    ck_assert_ptr_nonnull(p);
    int bb = 0;
    ck_assert_int_eq(fscanf(p, "%d", &bb), 1);
    pclose(p);
    ck_assert_int_eq(kill(bb, SIGKILL), 0);
    SB("exec", "--dir", sim, "--domain", "3", "--", "tar-cat", "hello.txt");
    read_log(log, sizeof log);
    ck_assert_msg(r.status == 0, "%s %s\nlog:\n%s", r.out, r.err, log);
    ck_assert_str_eq(r.out, "hello world!\n");
    ck_assert_msg(strstr(log, "splitbed-blkback ended (signal 9)"), "%s", log);
    ck_assert_msg(strstr(log, "splitbed-blkback started again"), "%s", log);
    ck_assert_int_eq(kill(dm, SIGTERM), 0);
    ck_assert_int_eq(runproc_wait(dm, TIMEOUT * 1000), 0);
    dm = -1;
}
END_TEST

/* With dm_restrict libxl pre-opens the QMP socket, passes it as fd=N and
 * adds -S: the model says nothing in xenstore, answers query-status with
 * "prelaunch" until cont. */
START_TEST(stopped_start_on_a_preopened_socket)
{
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", sim, "--domain", "3", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", qmp);
    int lfd = socket(AF_UNIX, SOCK_STREAM, 0); /* inherited: no CLOEXEC */
    ck_assert_int_ge(lfd, 0);
    ck_assert_int_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    ck_assert_int_eq(listen(lfd, 4), 0);
    char chardev[96];
    snprintf(chardev, sizeof chardev, "socket,id=libxl-cmd,fd=%d,server=on,wait=off", lfd);
    start_dm_with(chardev, (char *[]){ "-S", NULL });
    close(lfd);
    int fd = qmp_connect();
    char line[1024];
    qmp_line(fd, line, sizeof line);
    ck_assert_msg(strstr(line, "{\"QMP\": ") == line, "%s", line);
    qmp_ask(fd, "{\"execute\":\"qmp_capabilities\",\"id\":1}\r\n",
            "{\"return\": {}, \"id\": 1}\r\n");
    qmp_ask(fd, "{\"execute\":\"query-status\",\"id\":2}\r\n",
            "{\"return\": {\"status\": \"prelaunch\", \"singlestep\": false, \"running\": "
            "false}, \"id\": 2}\r\n");
    ck_assert_ptr_null(xs_read("/local/domain/0/device-model/3/state"));
    qmp_ask(fd, "{\"execute\":\"cont\",\"id\":3}\r\n", "{\"return\": {}, \"id\": 3}\r\n");
    qmp_ask(fd, "{\"execute\":\"query-status\",\"id\":4}\r\n",
            "{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": "
            "true}, \"id\": 4}\r\n");
    /* quit ends it as QEMU's does. */
    qmp_ask(fd, "{\"execute\":\"quit\",\"id\":5}\r\n", "{\"return\": {}, \"id\": 5}\r\n");
    close(fd);
    ck_assert_int_eq(runproc_wait(dm, TIMEOUT * 1000), 0);
    dm = -1;
}
END_TEST

/* A vif as libxl_nic.c writes it, with vifname= given: the device model
 * starts a netback on a TAP of that name, which InitWaits; the TAP goes
 * with the model. */
START_TEST(serves_a_vif_on_a_tap_named_as_libxl_says)
{
    if (geteuid() != 0) {
        test_skip("TAP devices need root");
        return;
    }
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", sim, "--domain", "3", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    start_dm(NULL);
    ck_assert(wait_running());
    char name[16], tap[64], log[8192];
    snprintf(name, sizeof name, "sbxdm%d", (int)(getpid() % 100000));
    snprintf(tap, sizeof tap, "/sys/class/net/%s/tun_flags", name);
    const char *be = "/local/domain/0/backend/vif/3/0", *fe = "/local/domain/3/device/vif/0";
    static char k[16][96];
    const char *keys[] = { "frontend", "frontend-id", "online", "state",   "script",
                           "mac",      "handle",      "type",   "vifname", NULL };
    const char *vals[] = { fe,  "3",   "1", "1", "/etc/xen/scripts/vif-bridge", "00:16:3e:00:00:07",
                           "0", "vif", name };
    char *argv[64] = { "exec", "--dir", sim, "--domain", "0", "--", "xenstore-write" };
    int n = 7;
    for (int i = 0; keys[i]; i++) {
        snprintf(k[i], sizeof k[i], "%s/%s", be, keys[i]);
        argv[n++] = k[i];
        argv[n++] = (char *)vals[i];
    }
    const char *fkeys[] = { "backend", "backend-id", "handle", "mac", "state", NULL };
    const char *fvals[] = { be, "0", "0", "00:16:3e:00:00:07", "1" };
    for (int i = 0; fkeys[i]; i++) {
        snprintf(k[9 + i], sizeof k[9 + i], "%s/%s", fe, fkeys[i]);
        argv[n++] = k[9 + i];
        argv[n++] = (char *)fvals[i];
    }
    argv[n] = NULL;
    sb(argv);
    ck_assert_msg(r.status == 0, "%s", r.err);
    XS("xenstore-chmod", "-r", (char *)be, "n0", "r3");
    XS("xenstore-chmod", "-r", (char *)fe, "n3", "r0");
    /* libxl's wait: the backend at InitWait (at most 10 s there). */
    bool initwait = false;
    for (int i = 0; i < 400 && !initwait; i++) {
        const char *v = xs_read("/local/domain/0/backend/vif/3/0/state");
        initwait = v && !strcmp(v, "2") && access(tap, F_OK) == 0;
        if (!initwait) {
            struct timespec ts = { 0, 25 * 1000 * 1000 };
            nanosleep(&ts, NULL);
        }
    }
    read_log(log, sizeof log);
    ck_assert_msg(initwait, "no InitWait on TAP %s; log:\n%s", name, log);
    char want[96];
    snprintf(want, sizeof want, "vif 0 served by splitbed-netback on TAP %s", name);
    ck_assert_msg(strstr(log, want), "%s", log);
    ck_assert_int_eq(kill(dm, SIGHUP), 0);
    ck_assert_int_eq(runproc_wait(dm, TIMEOUT * 1000), 0);
    dm = -1;
    ck_assert_msg(access(tap, F_OK) < 0, "TAP %s outlived the device model", name);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbxdm";
    Suite *s = suite_create("xen_dm");
    TCase *tc = tcase_create("xen_dm");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, cleanup);
    tcase_add_test(tc, bad_command_lines_get_one_line);
    tcase_add_test(tc, serves_a_qdisk_disk_as_libxl_starts_it);
    tcase_add_test(tc, a_dead_backend_is_started_again);
    tcase_add_test(tc, stopped_start_on_a_preopened_socket);
    tcase_add_test(tc, serves_a_vif_on_a_tap_named_as_libxl_says);
    suite_add_tcase(s, tc);
    return check_main(s);
}
