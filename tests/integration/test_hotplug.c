/*
 * Hot-plug on a running simulator, as a user does it with xl's commands:
 * block-attach gives a running domain a disk its apps then use,
 * block-list and network-list show the devices, block-detach and
 * network-detach take them away through Closing; a guest whose disk is
 * detached while it writes gets an I/O error naming the removal, never a
 * hang; destroying the domain stops its backends; netback faults given
 * to a running guest; afterwards the simulator holds nothing.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define TIMEOUT 60

static char dir[64], sim[96], img[96], spec[160];
static struct runproc r;

static void sb(char *const args[])
{
    runproc_splitbed(&r, TIMEOUT, NULL, args);
}
#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void setup(void)
{
    scratch_dir(dir, sizeof dir);
    snprintf(sim, sizeof sim, "%s/sim", dir);
    snprintf(img, sizeof img, "%s/disk.img", dir);
    snprintf(spec, sizeof spec, "vdev=xvdb,access=rw,target=%s", img);
    FILE *f = fopen(img, "w");
    ck_assert_ptr_nonnull(f);
    fclose(f);
    ck_assert_int_eq(truncate(img, 64 << 20), 0);
    SB("hv", "start", "--dir", sim);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", sim, "--domain", "3", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
}

static void teardown(void)
{
    runproc_sim_remove(sim, dir, TIMEOUT);
}

static void assert_has(const char *text, const char *needle)
{
    ck_assert_msg(strstr(text, needle), "want '%s' in:\n%.3000s", needle, text);
}

/* Nothing held; with `clean`, also no rule broken.  (A backend still
 * answering a request in flight when its frontend vanished notifies a
 * port the frontend's exit unbound: Xen drops that event, the simulator
 * traces it.) */
static void assert_nothing_held_(bool clean)
{
    SB("hv", "status", "--dir", sim);
    ck_assert_int_eq(r.status, 0);
    /* dom0's one port: xenstored's VIRQ_DOM_EXC. */
    assert_has(r.out, "total grants 0 mappings 0 ports 1\n");
    if (!clean)
        return;
    char path[160];
    snprintf(path, sizeof path, "%s/trace", sim);
    char line[512] = "";
    FILE *f = fopen(path, "r");
    if (f) {
        if (!fgets(line, sizeof line, f))
            line[0] = '\0';
        fclose(f);
    }
    ck_assert_msg(line[0] == '\0', "traced: %s", line);
}

static int backend_pid(const char *name)
{
    char path[200];
    snprintf(path, sizeof path, "%s/backends/%s.pid", sim, name);
    return runproc_pid_file(path);
}

#define assert_nothing_held() assert_nothing_held_(true)

START_TEST(block_attach_use_list_detach)
{
    SB("block-attach", "--dir", sim, "3", spec);
    ck_assert_msg(r.status == 0, "%s", r.err);
    int pid = backend_pid("vbd-3-51728");
    ck_assert_int_gt(pid, 0);
    SB("block-list", "--dir", sim, "3");
    ck_assert_int_eq(r.status, 0);
    assert_has(r.out, "Vdev     BE  handle state evt-ch ring-ref BE-path\n");
    assert_has(r.out, "51728    0   0      1 ");
    assert_has(r.out, "/local/domain/0/backend/vbd/3/51728\n");
    /* A second attach of the same vdev is refused: it has a backend. */
    SB("block-attach", "--dir", sim, "3", spec);
    ck_assert_int_eq(r.status, 1);
    assert_has(r.err, "domain 3 already has vbd 51728");

    SB("exec", "--dir", sim, "--domain", "3", "--", "blk-verify", "-q", "--vdev", "xvdb");
    ck_assert_msg(r.status == 0, "%s %s", r.out, r.err);
    assert_has(r.out, "xvdb: 35 cases passed");

    SB("block-detach", "--dir", sim, "3", "xvdb");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_uint_eq(r.err_len, 0);
    ck_assert_int_eq(backend_pid("vbd-3-51728"), 0);
    ck_assert_msg(runproc_gone(pid), "blkback %d still runs", pid);
    SB("block-list", "--dir", sim, "3");
    ck_assert_int_eq(runproc_lines(r.out), 1);
    SB("exec", "--dir", sim, "--domain", "3", "--", "blk-info", "--vdev", "xvdb");
    ck_assert_int_ne(r.status, 0);
    assert_has(r.err, "no vbd device 51728 for this domain");
    assert_nothing_held();
}
END_TEST

/* The disk goes while the guest writes: its write fails with ENODEV and
 * a line naming the removal, the detach does not wait for a timeout. */
START_TEST(detach_during_io_is_an_error_not_a_hang)
{
    char *args[] = { "block-attach",        "--dir", sim,  "--backend-opt",
                     "fault-delay-us=2000", "3",     spec, NULL };
    sb(args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    char err_path[160];
    snprintf(err_path, sizeof err_path, "%s/app.err", dir);
    pid_t app = fork();
    ck_assert_int_ge(app, 0);
    if (app == 0) {
        int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out[1], 1);
        dup2(efd, 2);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", sim, "--domain", "3", "--",
              "blk-verify", "--vdev", "xvdb", "--fill", "--bytes", "67108864", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    /* Mid-I/O: its first flushed megabyte. */
    FILE *f = fdopen(out[0], "r");
    char line[128];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "flushed: 1048576\n");
    SB("block-detach", "--dir", sim, "3", "xvdb");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(!strstr(r.err, "did not reach Closed"), "%s", r.err);
    while (fgets(line, sizeof line, f))
        ;
    fclose(f);
    ck_assert_int_eq(runproc_wait(app, TIMEOUT * 1000), 1);
    char err[8192];
    f = fopen(err_path, "r");
    size_t n = fread(err, 1, sizeof err - 1, f);
    fclose(f);
    err[n] = '\0';
    assert_has(err, "xvdb: the toolstack removed the device (backend "
                    "/local/domain/0/backend/vbd/3/51728)");
    assert_has(err, "failed: error 19");
    assert_nothing_held_(false);
}
END_TEST

/* splitbed fault while the guest writes: every grant map fails from
 * then on, and the guest gets I/O errors; a pause only delays it. */
START_TEST(fault_on_a_running_guest)
{
    char *args[] = { "block-attach",
                     "--dir",
                     sim,
                     "--backend-opt",
                     "persistent=0",
                     "--backend-opt",
                     "fault-delay-us=2000",
                     "3",
                     spec,
                     NULL };
    sb(args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("fault", "--dir", sim, "3", "domain-pause:for-ms=50");
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", sim, "--domain", "3", "--", "blk-info", "-q", "--vdev", "xvdb");
    ck_assert_msg(r.status == 0, "%s", r.err);
    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    char err_path[160];
    snprintf(err_path, sizeof err_path, "%s/app.err", dir);
    pid_t app = fork();
    ck_assert_int_ge(app, 0);
    if (app == 0) {
        int efd = open(err_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        dup2(out[1], 1);
        dup2(efd, 2);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", sim, "--domain", "3", "--",
              "blk-verify", "--vdev", "xvdb", "--fill", "--bytes", "67108864", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[128];
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "flushed: 1048576\n");
    SB("fault", "--dir", sim, "--seed", "5", "3", "grant-fail:rate=1");
    ck_assert_msg(r.status == 0, "%s", r.err);
    assert_has(r.err, "splitbed fault: seed 5");
    while (fgets(line, sizeof line, f))
        ;
    fclose(f);
    ck_assert_int_eq(runproc_wait(app, TIMEOUT * 1000), 1);
    char err[8192];
    f = fopen(err_path, "r");
    size_t n = fread(err, 1, sizeof err - 1, f);
    fclose(f);
    err[n] = '\0';
    assert_has(err, "failed: error 5");
    SB("fault", "--dir", sim, "3", "negotiation:mirage");
    ck_assert_int_eq(r.status, 2);
    assert_has(r.err, "negotiation applies when a device connects");
    SB("fault", "--dir", sim, "4", "backend-slow:delay-ms=1");
    ck_assert_int_eq(r.status, 1);
    assert_has(r.err, "domain 4 has no disk served by a backend");
    SB("block-detach", "--dir", sim, "3", "xvdb");
    ck_assert_msg(r.status == 0, "%s", r.err);
}
END_TEST

START_TEST(network_attach_list_detach)
{
    char vif[200];
    snprintf(vif, sizeof vif, "mac=00:16:3e:00:00:03,backing=pcap:%s/cap.pcap", dir);
    SB("network-attach", "--dir", sim, "3", vif);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_int_gt(backend_pid("vif-3-0"), 0);
    SB("network-list", "--dir", sim, "3");
    ck_assert_int_eq(r.status, 0);
    assert_has(r.out, "0   0   00:16:3e:00:00:03 0      1 ");
    SB("network-detach", "--dir", sim, "3", "0");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_int_eq(backend_pid("vif-3-0"), 0);
    SB("network-list", "--dir", sim, "3");
    ck_assert_int_eq(runproc_lines(r.out), 1);
    assert_nothing_held();
}
END_TEST

/* A destroyed domain's hot-plugged backends stop with it: they have
 * nothing left to serve, and a new domain of the same id must get fresh
 * ones. */
START_TEST(destroy_stops_hotplugged_backends)
{
    char vif[200];
    snprintf(vif, sizeof vif, "mac=00:16:3e:00:00:03,backing=pcap:%s/cap.pcap", dir);
    SB("block-attach", "--dir", sim, "3", spec);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("network-attach", "--dir", sim, "3", vif);
    ck_assert_msg(r.status == 0, "%s", r.err);
    int blk = backend_pid("vbd-3-51728"), net = backend_pid("vif-3-0");
    ck_assert_int_gt(blk, 0);
    ck_assert_int_gt(net, 0);
    SB("exec", "--dir", sim, "--domain", "3", "--", "blk-verify", "-q", "--vdev", "xvdb");
    ck_assert_msg(r.status == 0, "%s %s", r.out, r.err);

    SB("domain", "--dir", sim, "destroy", "3");
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(runproc_gone(blk), "blkback %d still runs", blk);
    ck_assert_msg(runproc_gone(net), "netback %d still runs", net);
    ck_assert_int_eq(backend_pid("vbd-3-51728"), 0);
    ck_assert_int_eq(backend_pid("vif-3-0"), 0);
    assert_nothing_held();

    /* The same id again gets the same disk with a backend of its own. */
    SB("exec", "--dir", sim, "--domain", "3", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("block-attach", "--dir", sim, "3", spec);
    ck_assert_msg(r.status == 0, "%s", r.err);
    int again = backend_pid("vbd-3-51728");
    ck_assert_int_gt(again, 0);
    ck_assert_int_ne(again, blk);
    SB("exec", "--dir", sim, "--domain", "3", "--", "blk-verify", "-q", "--vdev", "xvdb");
    ck_assert_msg(r.status == 0, "%s %s", r.out, r.err);
    assert_has(r.out, "xvdb: 35 cases passed");
}
END_TEST

/* A guest on the simulator with a stdio vif: `splitbed run --dir SIM
 * --domain 3 --vif stdio -- pvcat`, its stdin, stdout and stderr ours. */
struct pvcat {
    pid_t pid;
    int in, out, err;
    char errs[16384];
    size_t errlen;
};

static void pvcat_start(struct pvcat *g)
{
    int pi[2], po[2], pe[2];
    ck_assert_int_eq(pipe2(pi, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(po, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(pe, O_CLOEXEC), 0);
    g->pid = fork();
    ck_assert_int_ge(g->pid, 0);
    if (g->pid == 0) {
        dup2(pi[0], 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        execl(build_path("bin/splitbed"), "splitbed", "run", "--dir", sim, "--domain", "3", "--vif",
              "stdio", "--", "pvcat", (char *)NULL);
        _exit(127);
    }
    close(pi[0]);
    close(po[1]);
    close(pe[1]);
    g->in = pi[1];
    g->out = po[0];
    g->err = pe[0];
    g->errlen = 0;
    g->errs[0] = '\0';
}

/* Reads fd (stderr: into g->errs) until needle shows, within TIMEOUT. */
static void pvcat_wait_err(struct pvcat *g, const char *needle)
{
    while (!strstr(g->errs, needle)) {
        struct pollfd p = { .fd = g->err, .events = POLLIN };
        ck_assert_msg(poll(&p, 1, TIMEOUT * 1000) == 1, "no '%s' in:\n%s", needle, g->errs);
        ssize_t n = read(g->err, g->errs + g->errlen, sizeof g->errs - 1 - g->errlen);
        ck_assert_msg(n > 0, "no '%s' in:\n%s", needle, g->errs);
        g->errlen += (size_t)n;
        g->errs[g->errlen] = '\0';
    }
}

/* Exactly len bytes of the guest's output. */
static void pvcat_read(struct pvcat *g, char *buf, size_t len)
{
    for (size_t got = 0; got < len;) {
        struct pollfd p = { .fd = g->out, .events = POLLIN };
        ck_assert_msg(poll(&p, 1, TIMEOUT * 1000) == 1, "%zu of %zu bytes", got, len);
        ssize_t n = read(g->out, buf + got, len - got);
        ck_assert_msg(n > 0, "%zu of %zu bytes", got, len);
        got += (size_t)n;
    }
}

/* Ends the input; returns the run's status, with the rest of its output
 * (how much in *rest) and of its stderr read. */
static int pvcat_end(struct pvcat *g, size_t *rest)
{
    close(g->in);
    char buf[4096];
    ssize_t n;
    *rest = 0;
    while ((n = read(g->out, buf, sizeof buf)) > 0)
        *rest += (size_t)n;
    close(g->out);
    while (g->errlen < sizeof g->errs - 1 &&
           (n = read(g->err, g->errs + g->errlen, sizeof g->errs - 1 - g->errlen)) > 0)
        g->errlen += (size_t)n;
    g->errs[g->errlen] = '\0';
    close(g->err);
    return runproc_wait(g->pid, TIMEOUT * 1000);
}

/* A first line through, the fault given while the guest runs, then a
 * second line: what the guest sees of it is the case's. */
static void pvcat_fault(struct pvcat *g, char *fault, const char *applied)
{
    static const char first[] = "before the fault\n";
    char got[sizeof first];
    pvcat_start(g);
    ck_assert_int_eq(write(g->in, first, sizeof first - 1), (ssize_t)sizeof first - 1);
    pvcat_read(g, got, sizeof first - 1);
    ck_assert(!memcmp(got, first, sizeof first - 1));
    SB("fault", "--dir", sim, "--seed", "4", "3", fault);
    ck_assert_msg(r.status == 0, "%s", r.err);
    /* netback applies it once its watch fires: then the second line. */
    pvcat_wait_err(g, applied);
    static const char second[] = "after the fault\n";
    ck_assert_int_eq(write(g->in, second, sizeof second - 1), (ssize_t)sizeof second - 1);
}

/* Every copy towards the guest fails: netback answers each frame as an
 * error, netfront drops it and pvcat's closing line counts it. */
START_TEST(netback_grant_fail_on_a_running_guest)
{
    struct pvcat g;
    pvcat_fault(&g, "netback-grant-fail:rate=1", "fault-grant-fail=1000 from now on");
    size_t rest;
    ck_assert_int_eq(pvcat_end(&g, &rest), 0);
    ck_assert_uint_eq(rest, 0);
    assert_has(g.errs, "splitbed-netback: fault: grant copy to dom3 ref ");
    const char *lost = strstr(g.errs, "[netfront] frames lost: ");
    ck_assert_msg(lost, "%s", g.errs);
    unsigned long n = strtoul(lost + strlen("[netfront] frames lost: "), NULL, 10);
    ck_assert_msg(n >= 1, "%s", g.errs);
    SB("fault", "--dir", sim, "4", "netback-slow:delay-ms=1");
    ck_assert_int_eq(r.status, 1);
    assert_has(r.err, "domain 4 has no vif served by a backend");
}
END_TEST

/* A slow netback only makes the guest wait: the second line arrives. */
START_TEST(netback_slow_on_a_running_guest)
{
    struct pvcat g;
    pvcat_fault(&g, "netback-slow:delay-ms=1", "fault-delay-us=1000 from now on");
    char got[64];
    pvcat_read(&g, got, strlen("after the fault\n"));
    ck_assert(!memcmp(got, "after the fault\n", strlen("after the fault\n")));
    size_t rest;
    ck_assert_int_eq(pvcat_end(&g, &rest), 0);
    ck_assert_uint_eq(rest, 0);
    ck_assert_msg(!strstr(g.errs, "frames lost"), "%s", g.errs);
}
END_TEST

/* netback dies at the next frame; nothing restarts a backend the run
 * did not start with a crash fault, so the run ends naming it. */
START_TEST(netback_crash_on_a_running_guest)
{
    struct pvcat g;
    pvcat_fault(&g, "netback-crash:after=1", "fault-crash-after=1 from now on");
    size_t rest;
    ck_assert_int_eq(pvcat_end(&g, &rest), 1);
    assert_has(g.errs, "splitbed-netback: fault: crashing after ");
    assert_has(g.errs, "splitbed-netback exited with status 137 while the app was running");
}
END_TEST

/* Waits for a process not ours to end (pidfd), at most ms as a hang
 * guard. */
static bool ends_within(int pid, int ms)
{
    int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
    if (pfd < 0)
        return runproc_gone(pid);
    struct pollfd p = { .fd = pfd, .events = POLLIN };
    int n = poll(&p, 1, ms);
    close(pfd);
    return n == 1 || runproc_gone(pid);
}

/* The parent of pid, from /proc (0 if it is gone). */
static int parent_of(int pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')');
    int ppid = 0;
    if (!p || sscanf(p + 1, " %*c %d", &ppid) != 1)
        return 0;
    return ppid;
}

/* A hot-plugged blkback killed mid-I/O is started again by its
 * supervisor; the guest's writes complete and are on the disk; hv stop
 * then stops the backend and its supervisor. */
START_TEST(crashed_hotplugged_backend_is_restarted)
{
    char *args[] = { "block-attach",        "--dir", sim,  "--backend-opt",
                     "fault-delay-us=2000", "3",     spec, NULL };
    sb(args);
    ck_assert_msg(r.status == 0, "%s", r.err);
    int blk = backend_pid("vbd-3-51728");
    ck_assert_int_gt(blk, 0);
    int sup = parent_of(blk);
    ck_assert_int_gt(sup, 1);
    int out[2];
    ck_assert_int_eq(pipe2(out, O_CLOEXEC), 0);
    pid_t app = fork();
    ck_assert_int_ge(app, 0);
    if (app == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(out[1], 1);
        dup2(null, 2);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", sim, "--domain", "3", "--",
              "blk-verify", "--vdev", "xvdb", "--fill", "--bytes", "33554432", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[160], last[160] = "";
    ck_assert_ptr_nonnull(fgets(line, sizeof line, f));
    ck_assert_str_eq(line, "flushed: 1048576\n");
    ck_assert_int_eq(kill(blk, SIGKILL), 0);
    while (fgets(line, sizeof line, f))
        snprintf(last, sizeof last, "%s", line);
    fclose(f);
    ck_assert_int_eq(runproc_wait(app, TIMEOUT * 1000), 0);
    ck_assert_str_eq(last, "blk-verify: xvdb: filled 33554432 bytes with pattern 1\n");
    int again = backend_pid("vbd-3-51728");
    ck_assert_int_gt(again, 0);
    ck_assert_int_ne(again, blk);
    ck_assert_int_eq(parent_of(again), sup);
    char log[160], text[8192];
    snprintf(log, sizeof log, "%s/backends/vbd-3-51728.log", sim);
    f = fopen(log, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    assert_has(text, "killed by signal 9: starting it again (1 of 10)");
    SB("exec", "--dir", sim, "--domain", "3", "--", "blk-verify", "--vdev", "xvdb", "--check",
       "--bytes", "33554432");
    ck_assert_msg(r.status == 0, "%s %s", r.out, r.err);
    assert_has(r.out, "blk-verify: xvdb: 33554432 bytes match pattern 1");

    SB("hv", "stop", "--dir", sim);
    ck_assert_msg(r.status == 0, "%s", r.err);
    ck_assert_msg(ends_within(again, 10000), "blkback %d still runs", again);
    ck_assert_msg(ends_within(sup, 10000), "supervisor %d still runs", sup);
    ck_assert_int_eq(backend_pid("vbd-3-51728"), 0);
}
END_TEST

/* Debian's xl destroy finds the attached devices in libxl's record,
 * closes them and removes their directories; their backends then exit
 * on their own. */
START_TEST(xl_destroy_ends_hotplugged_backends)
{
    char vif[200];
    snprintf(vif, sizeof vif, "mac=00:16:3e:00:00:03,backing=pcap:%s/cap.pcap", dir);
    SB("block-attach", "--dir", sim, "3", spec);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("network-attach", "--dir", sim, "3", vif);
    ck_assert_msg(r.status == 0, "%s", r.err);
    int blk = backend_pid("vbd-3-51728"), net = backend_pid("vif-3-0");
    ck_assert_int_gt(blk, 0);
    ck_assert_int_gt(net, 0);
    SB("exec", "--dir", sim, "--domain", "3", "--", "blk-verify", "-q", "--vdev", "xvdb");
    ck_assert_msg(r.status == 0, "%s %s", r.out, r.err);

    SB("exec", "--dir", sim, "--domain", "0", "--", "/usr/lib/xen-4.17/bin/xl", "destroy", "3");
    ck_assert_msg(r.status == 0, "xl destroy: %s", r.err);
    ck_assert_msg(ends_within(blk, 10000), "blkback %d still runs", blk);
    ck_assert_msg(ends_within(net, 10000), "netback %d still runs", net);
    SB("exec", "--dir", sim, "--domain", "0", "--", "xenstore-ls", "/local/domain/0");
    ck_assert_msg(!strstr(r.out, "backend"), "%s", r.out);
    assert_nothing_held();

    /* The same id again: the disk gets a backend of its own. */
    SB("exec", "--dir", sim, "--domain", "3", "--", "true");
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("block-attach", "--dir", sim, "3", spec);
    ck_assert_msg(r.status == 0, "%s", r.err);
    SB("exec", "--dir", sim, "--domain", "3", "--", "blk-verify", "-q", "--vdev", "xvdb");
    ck_assert_msg(r.status == 0, "%s %s", r.out, r.err);
}
END_TEST

START_TEST(hotplug_usage_errors)
{
    static const struct {
        const char *a[6];
        int status;
        const char *want;
    } c[] = {
        { { "block-attach", "3" }, 2, "splitbed block-attach: expected DOM DISKSPEC" },
        { { "block-attach", "0", "/etc/hostname" }, 2, "0: not a guest domain id" },
        { { "block-attach", "9", "/etc/hostname" }, 1, "domain 9 does not exist" },
        { { "block-attach", "--netback-opt", "sg=0", "3", "/etc/hostname" },
          2,
          "--netback-opt does not apply here" },
        { { "block-detach", "3", "floppy" }, 2, "floppy: not a disk name" },
        { { "block-detach", "3", "xvdz" }, 1, "domain 3 has no vbd xvdz" },
        { { "network-attach", "3", "backing=stdio" }, 2, "needs a backing other than stdio" },
        { { "network-detach", "3", "7" }, 1, "domain 3 has no vif 7" },
        { { "block-list", "3", "extra" }, 2, "splitbed block-list: expected DOM" },
        { { "network-list", "--frobnicate", "3" },
          2,
          "splitbed network-list: unrecognized option '--frobnicate'" },
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *argv[12] = { (char *)c[i].a[0], "--dir", sim };
        int n = 3;
        for (int k = 1; k < 6 && c[i].a[k]; k++)
            argv[n++] = (char *)c[i].a[k];
        argv[n] = NULL;
        sb(argv);
        ck_assert_msg(r.status == c[i].status, "%s: %d %s", c[i].a[0], r.status, r.err);
        ck_assert_msg(runproc_lines(r.err) == 1, "%s: %s", c[i].a[0], r.err);
        assert_has(r.err, c[i].want);
    }
    SB("block-attach", "--help");
    ck_assert_int_eq(r.status, 0);
    assert_has(r.out, "usage: splitbed block-attach");
}
END_TEST

int main(void)
{
    scratch_prefix = "sbhp";
    Suite *s = suite_create("hotplug");
    TCase *tc = tcase_create("hotplug");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, block_attach_use_list_detach);
    tcase_add_test(tc, detach_during_io_is_an_error_not_a_hang);
    tcase_add_test(tc, fault_on_a_running_guest);
    tcase_add_test(tc, crashed_hotplugged_backend_is_restarted);
    tcase_add_test(tc, netback_grant_fail_on_a_running_guest);
    tcase_add_test(tc, netback_slow_on_a_running_guest);
    tcase_add_test(tc, netback_crash_on_a_running_guest);
    tcase_add_test(tc, network_attach_list_detach);
    tcase_add_test(tc, destroy_stops_hotplugged_backends);
    tcase_add_test(tc, xl_destroy_ends_hotplugged_backends);
    tcase_add_test(tc, hotplug_usage_errors);
    suite_add_tcase(s, tc);
    return check_main(s);
}
