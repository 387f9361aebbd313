/*
 * test_blkback_daemon.c — splitbed-blkback as a process on the simulator:
 * splitbed-hvd and splitbed-xenstored from `splitbed hv start`, the
 * toolstack's nodes written through the real libxenstore as dom0, and a
 * raw frontend (blkback-front) run as domain 1 or 2 by `splitbed exec`.
 * Covers the negotiation matrix, knobs seen from a frontend, malicious
 * frontends (cut off, others keep their disk), kill -9 and restart in the
 * middle of I/O with flushed writes checked on the image, resize by
 * SIGHUP, clean shutdown by SIGTERM, and bad usage.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xenstore.h>

#define DEV 51712
#define TIMEOUT 60

struct sim {
    char dir[96], img[2][128], log[128];
    pid_t blkback, front; /* processes to kill if a test fails */
    struct xs_handle *xs;
};

static struct sim S;
static struct runproc R;
static char base[64];

/* Records a process a test started, so the parent can end it if the
 * test fails before it does. */
static void note_pid(const char *name, pid_t pid)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/%s.pid", S.dir, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fprintf(f, "%d\n", (int)pid);
        fclose(f);
    }
}

static void forget_pid(const char *name)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/%s.pid", S.dir, name);
    unlink(path);
}

static void sb(char *const args[])
{
    char *argv[32] = { (char *)build_path("bin/splitbed") };
    int i = 0;
    for (; args[i] && i < 30; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    runproc(&R, NULL, 0, TIMEOUT, NULL, argv);
}

#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void make_image(const char *path, off_t bytes)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, bytes), 0);
    close(fd);
}

static void xw(xs_transaction_t t, const char *path, const char *val)
{
    ck_assert_msg(xs_write(S.xs, t, path, val, (unsigned)strlen(val)), "write %s", path);
}

/* The nodes libxl writes for a vbd, with its permissions. */
static void add_vbd(unsigned dom, const char *image, const char *mode)
{
    char be[128], fe[128], p[256], num[16];
    snprintf(be, sizeof(be), "/local/domain/0/backend/vbd/%u/%u", dom, DEV);
    snprintf(fe, sizeof(fe), "/local/domain/%u/device/vbd/%u", dom, DEV);
    snprintf(num, sizeof(num), "%u", dom);
    struct xs_permissions bperm[2] = { { .id = 0, .perms = XS_PERM_NONE },
                                       { .id = dom, .perms = XS_PERM_READ } };
    struct xs_permissions fperm[2] = { { .id = dom, .perms = XS_PERM_NONE },
                                       { .id = 0, .perms = XS_PERM_READ } };
    for (;;) {
        xs_transaction_t t = xs_transaction_start(S.xs);
        ck_assert(xs_mkdir(S.xs, t, be) && xs_set_permissions(S.xs, t, be, bperm, 2));
        ck_assert(xs_mkdir(S.xs, t, fe) && xs_set_permissions(S.xs, t, fe, fperm, 2));
        const char *bkv[] = { "frontend", fe,     "frontend-id", num, "params", image, "mode", mode,
                              "type",     "file", "online",      "1", "state",  "1",   NULL };
        for (int i = 0; bkv[i]; i += 2) {
            snprintf(p, sizeof(p), "%s/%s", be, bkv[i]);
            xw(t, p, bkv[i + 1]);
        }
        const char *fkv[] = { "backend",        be,      "backend-id",  "0",
                              "virtual-device", "51712", "device-type", "disk",
                              "state",          "1",     NULL };
        for (int i = 0; fkv[i]; i += 2) {
            snprintf(p, sizeof(p), "%s/%s", fe, fkv[i]);
            xw(t, p, fkv[i + 1]);
        }
        if (xs_transaction_end(S.xs, t, false))
            break;
        ck_assert_int_eq(errno, EAGAIN);
    }
}

static char *be_read(unsigned dom, const char *key)
{
    char p[160];
    unsigned len;
    snprintf(p, sizeof(p), "/local/domain/0/backend/vbd/%u/%u/%s", dom, DEV, key);
    return xs_read(S.xs, XBT_NULL, p, &len);
}

static bool file_has(const char *path, const char *needle)
{
    static char buf[65536];
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return false;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    buf[n > 0 ? n : 0] = '\0';
    return strstr(buf, needle) != NULL;
}

/* Starts splitbed-blkback in dom0 as the CLI would; returns once it
 * says it is ready (a hang guard only bounds the wait). */
static void blkback_start_logged(const char *const opts[], int *log_fd)
{
    int ready[2], logp[2] = { -1, -1 };
    ck_assert_int_eq(pipe(ready), 0);
    if (log_fd)
        ck_assert_int_eq(pipe(logp), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(ready[0]);
        int log = log_fd ? logp[1] : open(S.log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        dup2(log, 2);
        dup2(log, 1);
        char e[4][300];
        snprintf(e[0], sizeof(e[0]), "LD_LIBRARY_PATH=%s", build_path("lib/splitbed"));
        snprintf(e[1], sizeof(e[1]), "SPLITBED_HV_SOCKET=%s/hv/dom0", S.dir);
        snprintf(e[2], sizeof(e[2]), "XENSTORED_PATH=%s/xenstored/socket", S.dir);
        snprintf(e[3], sizeof(e[3]), "SPLITBED_DIR=%s", S.dir);
        for (int i = 0; i < 4; i++)
            putenv(e[i]);
        unsetenv("SPLITBED_DOMID");
        char fd[16];
        snprintf(fd, sizeof(fd), "%d", ready[1]);
        char *argv[40] = { (char *)build_path("libexec/splitbed/splitbed-blkback"), "--ready-fd",
                           fd };
        int k = 3;
        for (int i = 0; opts && opts[i] && k < 37; i++) {
            argv[k++] = "--opt";
            argv[k++] = (char *)opts[i];
        }
        argv[k] = NULL;
        execv(argv[0], argv);
        _exit(127);
    }
    close(ready[1]);
    if (log_fd) {
        close(logp[1]);
        *log_fd = logp[0];
    }
    struct pollfd p = { .fd = ready[0], .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, TIMEOUT * 1000), 1);
    char line[16] = { 0 };
    ck_assert_int_gt(read(ready[0], line, sizeof(line) - 1), 0);
    ck_assert_str_eq(line, "ready\n");
    close(ready[0]);
    S.blkback = pid;
    note_pid("blkback", pid);
}

static void blkback_start(const char *const opts[])
{
    blkback_start_logged(opts, NULL);
}

static int blkback_stop(int sig)
{
    if (S.blkback <= 0)
        return -1;
    kill(S.blkback, sig);
    int ws = 0;
    waitpid(S.blkback, &ws, 0);
    S.blkback = 0;
    forget_pid("blkback");
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
}

static void sim_start(void)
{
    memset(&S, 0, sizeof(S));
    snprintf(S.dir, sizeof(S.dir), "%s/sim-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(S.dir));
    snprintf(S.log, sizeof(S.log), "%s/blkback.log", S.dir);
    for (int i = 0; i < 2; i++) {
        snprintf(S.img[i], sizeof(S.img[i]), "%s/disk%d.img", S.dir, i + 1);
        make_image(S.img[i], 4 << 20);
    }
    SB("hv", "start", "--dir", S.dir);
    ck_assert_msg(R.status == 0, "hv start: %s", R.err);
    SB("exec", "--dir", S.dir, "--domain", "1", "--", "/bin/true");
    ck_assert_msg(R.status == 0, "exec dom1: %s", R.err);
    SB("exec", "--dir", S.dir, "--domain", "2", "--", "/bin/true");
    ck_assert_msg(R.status == 0, "exec dom2: %s", R.err);
    char xsp[128];
    snprintf(xsp, sizeof(xsp), "%s/xenstored/socket", S.dir);
    setenv("XENSTORED_PATH", xsp, 1);
    S.xs = xs_open(0);
    ck_assert_ptr_nonnull(S.xs);
}

static void sim_stop(void)
{
    if (S.front > 0) {
        kill(S.front, SIGKILL);
        waitpid(S.front, NULL, 0);
        S.front = 0;
        forget_pid("front");
    }
    if (S.blkback > 0)
        blkback_stop(SIGKILL);
    if (S.xs)
        xs_close(S.xs);
    S.xs = NULL;
    char *argv[] = { (char *)build_path("bin/splitbed"), "hv", "stop", "--dir", S.dir, NULL };
    static struct runproc stop;
    runproc(&stop, NULL, 0, TIMEOUT, NULL, argv);
    runproc_rmtree(S.dir);
    S.dir[0] = '\0';
}

/* Runs blkback-front as domain `dom` to completion. */
static void front(unsigned dom, const char *a1, const char *a2, const char *a3)
{
    char d[8];
    snprintf(d, sizeof(d), "%u", dom);
    SB("exec", "--dir", S.dir, "--domain", d, "--", (char *)build_path("tests/blkback-front"),
       (char *)a1, (char *)a2, (char *)a3);
}

/* ---- the negotiation matrix ------------------------------------------------ */

struct combo {
    const char *opts[3];
    const char *front_order; /* -1: legacy ring-ref */
    const char *want;
};

static const struct combo combos[] = {
    { { "max-ring-page-order=none" },
      "-1",
      "ok order 0 slots 32 sectors 8192 sector-size 512 indirect 256" },
    { { "max-ring-page-order=none" }, "0", "ok order 0 slots 32 " },
    { { "max-ring-page-order=0" }, "2", "ok order 0 slots 32 " },
    { { "max-ring-page-order=2" }, "-1", "ok order 0 slots 32 " },
    { { "max-ring-page-order=2" }, "2", "ok order 2 slots 128 " },
    { { "max-ring-page-order=3" }, "1", "ok order 1 slots 64 " },
    { { "max-ring-page-order=3" }, "3", "ok order 3 slots 256 " },
    { { NULL }, "4", "ok order 4 slots 512 " },
    { { "max-ring-page-order=4" }, "2", "ok order 2 slots 128 " },
    { { "persistent=0", "max-ring-page-order=1" }, "1", "ok order 1 slots 64 " },
    { { "max-indirect-segments=0" },
      "0",
      "ok order 0 slots 32 sectors 8192 sector-size 512 indirect 0" },
    { { "sector-size=4096", "max-ring-page-order=2" },
      "2",
      "ok order 2 slots 128 sectors 8192 sector-size 4096" },
    { { "features-at=probe", "flush=0" }, "0", "ok order 0 " },
    { { "grant-copy=1", "max-ring-page-order=2" },
      "2",
      "ok order 2 slots 128 sectors 8192 sector-size 512 indirect 256" },
};

START_TEST(negotiation_matrix)
{
    const struct combo *c = &combos[_i];
    sim_start();
    add_vbd(1, S.img[0], "w");
    blkback_start(c->opts);
    front(1, "io", "--order", c->front_order);
    ck_assert_msg(R.status == 0 && strstr(R.out, c->want), "%s/%s: status %d out '%s' err '%s'",
                  c->opts[0], c->front_order, R.status, R.out, R.err);
    char *st = be_read(1, "state");
    ck_assert_str_eq(st, "4");
    free(st);
    sim_stop();
}
END_TEST

/* ---- malicious frontends --------------------------------------------------------- */

struct evil {
    const char *scenario, *rule;
};

static const struct evil evils[] = {
    { "bad-segment", "segment 0 ref" },
    { "overflow", "(rule: at most 32 requests in flight on the ring)" },
    { "bad-op", "operation 99" },
    { "segs12", "nr_segments 12 (rule: at most 11 direct segments)" },
};

START_TEST(malicious_frontend_cut_off_others_served)
{
    const struct evil *e = &evils[_i];
    sim_start();
    add_vbd(1, S.img[0], "w");
    add_vbd(2, S.img[1], "w");
    blkback_start(NULL);
    front(1, e->scenario, NULL, NULL);
    ck_assert_msg(R.status == 0 && strstr(R.out, "cut off: backend state 5"), "%s: %d '%s' '%s'",
                  e->scenario, R.status, R.out, R.err);
    char trace[128];
    snprintf(trace, sizeof(trace), "%s/trace", S.dir);
    ck_assert_msg(file_has(S.log, "blkback: dom1 vbd 51712: "),
                  "no diagnosis naming dom1 vbd 51712");
    ck_assert_msg(file_has(trace, e->rule), "trace lacks '%s'", e->rule);
    ck_assert_msg(file_has(S.log, "frontend cut off"), "no cut-off line");
    /* The process keeps serving the other domain. */
    ck_assert_int_eq(kill(S.blkback, 0), 0);
    front(2, "io", "--order", "1");
    ck_assert_msg(R.status == 0 && strstr(R.out, "ok order 1"), "dom2 after cut-off: %s %s", R.out,
                  R.err);
    ck_assert_int_eq(blkback_stop(SIGTERM), 0);
    sim_stop();
}
END_TEST

/* ---- kill -9 in the middle of I/O, then restart ----------------------------------- */

static void fill(unsigned char *p, size_t n, unsigned seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (unsigned char)(seed * 13u + i * 7u + (i >> 12));
}

START_TEST(kill9_restart_keeps_flushed_writes)
{
    enum { TOTAL = 400 };
    sim_start();
    add_vbd(1, S.img[0], "w");
    blkback_start(NULL);
    int out[2];
    ck_assert_int_eq(pipe(out), 0);
    pid_t fp = fork();
    ck_assert_int_ge(fp, 0);
    if (fp == 0) {
        dup2(out[1], 1);
        close(out[0]);
        char total[16];
        snprintf(total, sizeof(total), "%d", TOTAL);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", S.dir, "--domain", "1", "--",
              build_path("tests/blkback-front"), "flushloop", total, (char *)NULL);
        _exit(127);
    }
    S.front = fp;
    note_pid("front", fp);
    close(out[1]);
    FILE *f = fdopen(out[0], "r");
    char line[128];
    unsigned flushed = 0, before_kill = 0;
    char last[128] = "";
    bool killed = false, finished = false, reconnected = false;
    while (fgets(line, sizeof(line), f)) {
        unsigned n;
        snprintf(last, sizeof(last), "%s", line);
        if (!strcmp(line, "reconnected\n"))
            reconnected = true;
        if (sscanf(line, "flushed %u", &n) == 1)
            flushed = n;
        if (sscanf(line, "done %u", &n) == 1) {
            finished = true;
            flushed = n;
        }
        if (!killed && flushed >= 80) {
            /* Mid-I/O: the frontend has the next writes in flight. */
            ck_assert_int_eq(blkback_stop(SIGKILL), 128 + SIGKILL);
            before_kill = flushed;
            killed = true;
            blkback_start(NULL);
        }
    }
    fclose(f);
    int ws;
    waitpid(fp, &ws, 0);
    S.front = 0;
    forget_pid("front");
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "frontend status %d, last said: %s", ws,
                  last);
    ck_assert(killed && finished);
    ck_assert_msg(reconnected, "the frontend never saw the backend restart");
    ck_assert_uint_ge(before_kill, 80);
    ck_assert_uint_eq(flushed, TOTAL);
    /* Every write acknowledged before a completed flush is on the image. */
    int fd = open(S.img[0], O_RDONLY);
    unsigned char want[4096], got[4096];
    for (unsigned i = 0; i < flushed; i++) {
        fill(want, sizeof(want), i);
        ck_assert_int_eq(pread(fd, got, sizeof(got), (off_t)i * 4096), 4096);
        ck_assert_msg(!memcmp(want, got, sizeof(want)), "block %u differs", i);
    }
    close(fd);
    ck_assert(file_has(S.log, "an earlier backend left state 4; closing the frontend's old "
                              "connection so that it starts again"));
    ck_assert_int_eq(blkback_stop(SIGTERM), 0);
    sim_stop();
}
END_TEST

/* ---- with the real blkfront ------------------------------------------------------- */

/* blk-verify (blkfront, through `splitbed run` as a user would) writes and
 * reads back patterns across offsets, lengths and alignments against each
 * backend knob. */
static const char *const blkfront_knobs[] = {
    NULL,
    "sector-size=4096",
    "skip-initwait=1",
    "max-ring-page-order=none",
    "max-ring-page-order=0",
    "features-at=probe",
    "persistent=0",
    "max-indirect-segments=0",
    "flush=0",
    "barrier=0",
    "discard=0",
    "strict=0",
    "physical-sector-size=4096",
    "grant-copy=1",
};

START_TEST(blkfront_verifies_under_each_knob)
{
    char dir[96], img[128], spec[200];
    snprintf(dir, sizeof(dir), "%s/run-XXXXXX", base);
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(img, sizeof(img), "%s/disk.img", dir);
    make_image(img, 8 << 20);
    snprintf(spec, sizeof(spec), "format=raw, vdev=xvda, access=rw, target=%s", img);
    const char *k = blkfront_knobs[_i];
    if (k)
        SB("run", "-q", "--disk", spec, "--backend-opt", (char *)k, "--", "blk-verify");
    else
        SB("run", "--disk", spec, "--", "blk-verify");
    runproc_rmtree(dir);
    ck_assert_msg(R.status == 0 && strstr(R.out, "cases passed"), "%s: status %d: %s %s",
                  k ? k : "defaults", R.status, R.out, R.err);
    if (!k) {
        /* Linux's default order 4 met by a frontend whose maximum is 2
         * (the Qubes/Mirage case), and our own line for the connection. */
        ck_assert_msg(strstr(R.err, "backend advertises multi-page ring (order 4), using order 2"),
                      "%s", R.err);
        ck_assert_msg(strstr(R.err, "blkback: dom1 vbd 51712: connected: ring 4 pages"), "%s",
                      R.err);
    } else {
        ck_assert_msg(!strstr(R.err, "blkback: dom1 vbd 51712: connected"), "-q: %s", R.err);
    }
}
END_TEST

static bool read_until(int fd, const char *needle, char *buf, size_t size)
{
    size_t n = strlen(buf);
    while (!strstr(buf, needle)) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, TIMEOUT * 1000) != 1 || n + 1 >= size)
            return false;
        ssize_t r = read(fd, buf + n, size - n - 1);
        if (r <= 0)
            return false;
        n += (size_t)r;
        buf[n] = '\0';
    }
    return true;
}

/* blk-bench keeps the ring busy for a second after connecting; blkback is
 * killed as soon as both ends say they are connected, and restarted.
 * blkfront must see the restart, reconnect and finish. */
START_TEST(blkfront_reconnects_after_kill9)
{
    /* blk-bench's persistent grants (32 indirect segments per request)
     * outgrow Linux's default xen_gntalloc.limit of 1024, as on a real
     * domU. */
    setenv("SPLITBED_GNTALLOC_LIMIT", "8192", 1);
    sim_start();
    add_vbd(1, S.img[0], "w");
    int log_fd;
    blkback_start_logged(NULL, &log_fd);
    int err[2];
    ck_assert_int_eq(pipe(err), 0);
    pid_t fp = fork();
    ck_assert_int_ge(fp, 0);
    if (fp == 0) {
        dup2(err[1], 2);
        dup2(err[1], 1);
        close(err[0]);
        execl(build_path("bin/splitbed"), "splitbed", "exec", "--dir", S.dir, "--domain", "1", "--",
              "blk-bench", "--seconds", "1", (char *)NULL);
        _exit(127);
    }
    S.front = fp;
    note_pid("front", fp);
    close(err[1]);
    static char log[16384];
    log[0] = '\0';
    ck_assert_msg(read_until(log_fd, "connected: ring", log, sizeof(log)), "blkback log: %s", log);
    /* The kill must come after blkfront too saw Connected (it says how
     * big the disk is), or it only starts over instead of reconnecting
     * with requests in flight. */
    static char out[65536];
    out[0] = '\0';
    ck_assert_msg(read_until(err[0], " sectors of 512 bytes", out, sizeof(out)), "blk-bench: %s",
                  out);
    ck_assert_int_eq(blkback_stop(SIGKILL), 128 + SIGKILL);
    close(log_fd);
    blkback_start(NULL);
    read_until(err[0], "\x01", out, sizeof(out)); /* everything, until EOF */
    close(err[0]);
    int ws;
    waitpid(fp, &ws, 0);
    S.front = 0;
    forget_pid("front");
    ck_assert_msg(WIFEXITED(ws) && WEXITSTATUS(ws) == 0, "blk-bench status %d: %s", ws, out);
    /* Whether requests were in flight at the kill is timing (the bench
     * has moments with none); their re-issue is proven in test_blkfront.
     * Here: the connected frontend saw the restart and came back. */
    ck_assert_msg(strstr(out, " while connected; "), "blkfront did not reconnect: %s", out);
    ck_assert_msg(strstr(out, "seq-read-MiB/s"), "blk-bench did not finish: %s", out);
    ck_assert(file_has(S.log, "closing the frontend's old connection so that it starts again"));
    ck_assert(file_has(S.log, "connected: ring"));
    ck_assert_int_eq(blkback_stop(SIGTERM), 0);
    sim_stop();
}
END_TEST

/* ---- signals ------------------------------------------------------------------------- */

START_TEST(sighup_resize_publishes_sectors)
{
    sim_start();
    add_vbd(1, S.img[0], "w");
    const char *opts[] = { "resize-on-io=0", NULL };
    int log_fd;
    blkback_start_logged(opts, &log_fd);
    front(1, "io", "--order", "0");
    ck_assert_msg(R.status == 0, "io: %s %s", R.out, R.err);
    char *s = be_read(1, "sectors");
    ck_assert_str_eq(s, "8192");
    free(s);
    char path[160];
    snprintf(path, sizeof(path), "/local/domain/0/backend/vbd/1/%u/sectors", DEV);
    ck_assert(xs_watch(S.xs, path, "sectors"));
    unsigned n;
    free(xs_read_watch(S.xs, &n)); /* the initial event */
    ck_assert_int_eq(truncate(S.img[0], 8 << 20), 0);
    kill(S.blkback, SIGHUP);
    struct pollfd p = { .fd = xs_fileno(S.xs), .events = POLLIN };
    ck_assert_int_eq(poll(&p, 1, TIMEOUT * 1000), 1);
    free(xs_read_watch(S.xs, &n));
    s = be_read(1, "sectors");
    ck_assert_str_eq(s, "16384");
    free(s);
    s = be_read(1, "state");
    ck_assert_str_eq(s, "4");
    free(s);
    /* blkback says so once its transaction is committed, which may be
     * after the watch fired: wait for the line itself. */
    static char log[16384];
    log[0] = '\0';
    ck_assert_msg(read_until(log_fd, "resized to 16384 sectors", log, sizeof(log)),
                  "blkback log: %s", log);
    close(log_fd);
    sim_stop();
}
END_TEST

START_TEST(sigterm_closes_devices_and_exits_zero)
{
    sim_start();
    add_vbd(1, S.img[0], "w");
    blkback_start(NULL);
    front(1, "io", "--order", "2");
    ck_assert_msg(R.status == 0, "io: %s %s", R.out, R.err);
    ck_assert_int_eq(blkback_stop(SIGTERM), 0);
    char *s = be_read(1, "state");
    ck_assert_str_eq(s, "6");
    free(s);
    sim_stop();
}
END_TEST

START_TEST(bad_usage_one_line_exit_2)
{
    static const char *bad[][3] = {
        { "--opt", "max-ring-page-order=9", NULL },
        { "--opt", "nosuch=1", NULL },
        { "--bogus", NULL, NULL },
        { "--opt", NULL, NULL },
        { "--domid", "x", NULL },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *argv[4] = { (char *)build_path("libexec/splitbed/splitbed-blkback"),
                          (char *)bad[i][0], (char *)bad[i][1], NULL };
        runproc(&R, NULL, 0, TIMEOUT, NULL, argv);
        ck_assert_msg(R.status == 2, "%s: status %d", bad[i][0], R.status);
        ck_assert_int_eq(runproc_lines(R.err), 1);
        ck_assert(strncmp(R.err, "splitbed-blkback: ", 18) == 0);
    }
    char *argv[2] = { (char *)build_path("libexec/splitbed/splitbed-blkback"), NULL };
    char *env[] = { "XENSTORED_PATH=/nonexistent/socket", NULL };
    runproc(&R, NULL, 0, TIMEOUT, env, argv);
    ck_assert_int_eq(R.status, 1);
    ck_assert_int_eq(runproc_lines(R.err), 1);
}
END_TEST

/* Every test's state dirs live under `base`, the scratch tree
 * (tests/lib/scratch.h) made and removed by the parent process (Check's
 * unchecked fixture).  A test that fails half-way ends its forked
 * process at once; this teardown then ends the processes it recorded,
 * stops its simulator, and the scratch teardown ends whatever else runs
 * from the tree and removes it. */
static void base_setup(void)
{
    scratch_setup();
    snprintf(base, sizeof(base), "%s", scratch_base());
}

static int stop_sim_dir(const char *p, const struct stat *st, int flag, struct FTW *w)
{
    (void)st;
    if (flag != FTW_D || w->level != 1)
        return 0;
    static const char *const names[] = { "front", "blkback" };
    for (int i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof(path), "%s/%s.pid", p, names[i]);
        FILE *f = fopen(path, "r");
        int pid = 0;
        if (f && fscanf(f, "%d", &pid) == 1 && pid > 0)
            kill(pid, SIGKILL);
        if (f)
            fclose(f);
    }
    char *argv[] = { (char *)build_path("bin/splitbed"), "hv", "stop", "--dir", (char *)p, NULL };
    static struct runproc stop;
    runproc(&stop, NULL, 0, TIMEOUT, NULL, argv);
    return 0;
}

static void base_teardown(void)
{
    nftw(base, stop_sim_dir, 8, FTW_PHYS);
    scratch_teardown();
}

static Suite *suite(void)
{
    Suite *s = suite_create("blkback_daemon");
    TCase *t = tcase_create("daemon");
    tcase_add_unchecked_fixture(t, base_setup, base_teardown);
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, negotiation_matrix, 0, sizeof(combos) / sizeof(combos[0]));
    tcase_add_loop_test(t, malicious_frontend_cut_off_others_served, 0,
                        sizeof(evils) / sizeof(evils[0]));
    tcase_add_test(t, kill9_restart_keeps_flushed_writes);
    tcase_add_loop_test(t, blkfront_verifies_under_each_knob, 0,
                        sizeof(blkfront_knobs) / sizeof(blkfront_knobs[0]));
    tcase_add_test(t, sigterm_closes_devices_and_exits_zero);
    tcase_add_test(t, bad_usage_one_line_exit_2);
    suite_add_tcase(s, t);
    /* A case of its own, so that CK_RUN_CASE=resize repeats it alone. */
    t = tcase_create("resize");
    tcase_add_unchecked_fixture(t, base_setup, base_teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, sighup_resize_publishes_sectors);
    suite_add_tcase(s, t);
    /* Likewise CK_RUN_CASE=kill9. */
    t = tcase_create("kill9");
    tcase_add_unchecked_fixture(t, base_setup, base_teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, blkfront_reconnects_after_kill9);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    scratch_prefix = "sbblkback";
    return check_main(suite());
}
