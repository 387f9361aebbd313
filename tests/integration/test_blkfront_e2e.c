/*
 * blkfront end to end: the block apps as domain 1 of a private simulator
 * started by `splitbed run`, against splitbed-blkback serving a real image
 * file.  The negotiation matrix (ring order offered x frontend maximum x
 * indirect x persistent x sector size), the deviations real peers show,
 * data checked on the image file itself, a resize while connected, and a
 * backend killed with SIGKILL mid-I/O and restarted.
 */
#include "tests/lib/runproc.h"
#include "tests/lib/scratch.h"

#include <check.h>

#include "tests/lib/check_main.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define TIMEOUT 60
#define DISK_BYTES (2u * 1024 * 1024)

static char dir[64], img[128], spec[256], sim_dir[128];
static struct runproc r;
static pid_t groups[8]; /* process groups started in the background */
static int ngroups;

/* Runs at the end of every test, passed or failed (a failed assertion
 * exits the test's process): nothing started here outlives it. */
static void cleanup(void)
{
    for (int i = 0; i < ngroups; i++) {
        kill(-groups[i], SIGKILL);
        waitpid(groups[i], NULL, 0);
    }
    ngroups = 0;
    if (sim_dir[0]) {
        char *argv[] = { (char *)build_path("bin/splitbed"), "hv", "stop", "--dir", sim_dir, NULL };
        runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
        sim_dir[0] = '\0';
    }
    if (dir[0])
        runproc_rmtree(dir);
    dir[0] = '\0';
}

static void setup(void)
{
    atexit(cleanup);
    scratch_dir(dir, sizeof dir);
    snprintf(img, sizeof img, "%s/disk.img", dir);
    int fd = open(img, O_CREAT | O_RDWR | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, DISK_BYTES), 0);
    close(fd);
    snprintf(spec, sizeof spec, "format=raw, vdev=xvda, access=rw, target=%s", img);
}

static void teardown(void)
{
    cleanup();
}

/* splitbed run --disk SPEC [--backend-opt K=V]... -- APP ARGS... ; the
 * list is split at the literal "--". */
static void run_env(char *const env[], char *const args[])
{
    char *argv[64] = { (char *)build_path("bin/splitbed"), "run", "--disk", spec };
    int n = 4;
    for (int i = 0; args[i] && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    runproc(&r, NULL, 0, TIMEOUT, env, argv);
}
#define RUN(...) run_env(NULL, (char *[]){ __VA_ARGS__, NULL })
#define RUN_ENV(env, ...) run_env((char *[]){ env, NULL }, (char *[]){ __VA_ARGS__, NULL })

static unsigned long field(const char *out, const char *key)
{
    char k[64];
    snprintf(k, sizeof k, "%s: ", key);
    const char *p = strstr(out, k);
    ck_assert_msg(p, "no '%s' in:\n%s", key, out);
    return strtoul(p + strlen(k), NULL, 10);
}

/* The pattern blk-verify --fill writes (frontends/apps/blk_verify.c). */
static uint8_t pattern(uint64_t seed, uint64_t pos)
{
    uint64_t h = (pos >> 9) * 0x9e3779b97f4a7c15ull ^ seed * 0xc2b2ae3d27d4eb4full;
    h ^= h >> 29;
    return (uint8_t)(h >> ((pos & 7) * 8)) ^ (uint8_t)(pos >> 3);
}

/* Index of the first byte of the image that is not the pattern, or -1. */
static long image_mismatch(uint64_t seed, uint64_t bytes)
{
    FILE *f = fopen(img, "rb");
    ck_assert_ptr_nonnull(f);
    long bad = -1;
    for (uint64_t i = 0; i < bytes; i++) {
        int c = fgetc(f);
        if (c == EOF || (uint8_t)c != pattern(seed, i)) {
            bad = (long)i;
            break;
        }
    }
    fclose(f);
    return bad;
}

/* ---- the negotiation matrix ------------------------------------------- */

static const unsigned fe_max[] = { 0, 2, 4 };

static void matrix_case(unsigned offered, unsigned femax, unsigned combo)
{
    bool indirect = combo & 1, persistent = combo & 2, big = combo & 4;
    char o_order[48], o_ind[48], o_pers[32], o_ss[32], femax_s[8];
    snprintf(o_order, sizeof o_order, "max-ring-page-order=%u", offered);
    snprintf(o_ind, sizeof o_ind, "max-indirect-segments=%u", indirect ? 256 : 0);
    snprintf(o_pers, sizeof o_pers, "persistent=%d", persistent ? 1 : 0);
    snprintf(o_ss, sizeof o_ss, "sector-size=%d", big ? 4096 : 512);
    snprintf(femax_s, sizeof femax_s, "%u", femax);
    RUN("--backend-opt", o_order, "--backend-opt", o_ind, "--backend-opt", o_pers, "--backend-opt",
        o_ss, "--", "blk-verify", "--max-ring-order", femax_s, "--seed", femax_s);
    ck_assert_msg(r.status == 0, "%s %s %s %s femax %u: status %d\n%s\n%s", o_order, o_ind, o_pers,
                  o_ss, femax, r.status, r.out, r.err);
    unsigned want = offered < femax ? offered : femax;
    char summary[160];
    snprintf(summary, sizeof summary, "cases passed, ");
    ck_assert_msg(strstr(r.out, summary), "%s", r.out);
    snprintf(summary, sizeof summary, "(sector-size %d, ring order %u, indirect %u",
             big ? 4096 : 512, want, indirect ? 32 : 0);
    ck_assert_msg(strstr(r.out, summary), "want '%s' in %s", summary, r.out);
    if (offered > 0) {
        char line[96];
        snprintf(line, sizeof line,
                 "[blkfront] xvda: backend advertises multi-page ring (order %u), using order %u",
                 offered, want);
        ck_assert_msg(strstr(r.err, line), "want '%s' in:\n%s", line, r.err);
    } else {
        ck_assert_msg(strstr(r.err, "backend offers no multi-page ring, using a single page"), "%s",
                      r.err);
    }
    ck_assert_msg(!persistent || strstr(r.err, "persistent grants"), "%s", r.err);
}

/* The whole cross product: ring order offered 0..4 x frontend maximum
 * 0/2/4 x indirect on/off x persistent on/off x sector size 512/4096,
 * each writing and reading back real data. */
START_TEST(negotiation_matrix)
{
    unsigned combo = (unsigned)_i % 8, pair = (unsigned)_i / 8;
    matrix_case(pair / 3, fe_max[pair % 3], combo);
}
END_TEST

/* ---- deviations ------------------------------------------------------- */

START_TEST(backend_offers_order_4_frontend_takes_2)
{
    RUN("--", "blk-info");
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_msg(
        strstr(r.err,
               "[blkfront] xvda: backend advertises multi-page ring (order 4), using order 2"),
        "%s", r.err);
    ck_assert_uint_eq(field(r.out, "ring-order"), 2);
    ck_assert_uint_eq(field(r.out, "backend-max-ring-order"), 4);
    ck_assert_uint_eq(field(r.out, "sectors"), DISK_BYTES / 512);
}
END_TEST

START_TEST(backend_without_multi_page_rings)
{
    RUN("--backend-opt", "max-ring-page-order=none", "--", "blk-info");
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_uint_eq(field(r.out, "ring-order"), 0);
    ck_assert_msg(strstr(r.err, "backend offers no multi-page ring"), "%s", r.err);
}
END_TEST

START_TEST(features_only_at_connected_or_at_probe)
{
    RUN("--backend-opt", "features-at=connected", "--", "blk-info");
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_uint_eq(field(r.out, "flush"), 1);
    ck_assert_uint_eq(field(r.out, "persistent"), 1);
    RUN("--backend-opt", "features-at=probe", "--", "blk-info");
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_uint_eq(field(r.out, "flush"), 1);
}
END_TEST

START_TEST(backend_never_in_initwait)
{
    RUN("--backend-opt", "skip-initwait=1", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.err, "writing the ring without InitWait"), "%s", r.err);
    /* ...and one that does not write hotplug-status either. */
    RUN("--backend-opt", "skip-initwait=1", "--backend-opt", "hotplug-status=0", "--", "blk-verify",
        "--timeout", "10");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.err, "writing the ring without InitWait"), "%s", r.err);
}
END_TEST

/* The event path sleeps at once (SPLITBED_POLL_US=0), spins up to a
 * second before sleeping, or tunes its spin (the default): the same
 * reads and writes come back right every way, and a value that is no
 * number of microseconds stops the run with one line naming it. */
START_TEST(event_path_with_and_without_spinning)
{
    RUN_ENV("SPLITBED_POLL_US=0", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    RUN_ENV("SPLITBED_POLL_US=1000000", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    RUN("--", "blk-verify");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    RUN_ENV("SPLITBED_POLL_US=fast", "--", "blk-verify");
    ck_assert_int_ne(r.status, 0);
    ck_assert_msg(strstr(r.err, "SPLITBED_POLL_US=fast: not a number of microseconds"), "%s",
                  r.err);
}
END_TEST

START_TEST(frontend_skips_initialised)
{
    RUN("--", "blk-verify", "--skip-initialised");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.err, "skipping Initialised"), "%s", r.err);
}
END_TEST

START_TEST(frontend_writes_ring_before_initwait)
{
    RUN("--", "blk-verify", "--early-transport");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.err, "writing the ring without waiting for the backend"), "%s", r.err);
}
END_TEST

START_TEST(explicit_ring_page_order_0)
{
    RUN("--", "blk-verify", "--explicit-order0", "--max-ring-order", "0");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "ring order 0"), "%s", r.out);
}
END_TEST

START_TEST(read_only_disk)
{
    snprintf(spec, sizeof spec, "%s", img); /* a bare path: access=ro */
    RUN("--", "blk-info");
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_uint_eq(field(r.out, "readonly"), 1);
    RUN("--", "blk-verify");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "read twice and compared"), "%s", r.out);
    RUN("--", "blk-verify", "--fill");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "read-only"), "%s", r.err);
}
END_TEST

/* Backends that differ in what they offer and how they move data: the
 * frontend reads and writes through each. */
/* Each knob, what it is, and a line fragment of blkback's or blkfront's
 * log that shows it was in effect (NULL where no log line shows it). */
static const char *const variants[][4] = {
    { "flush=0", "barrier=1", "flush via barrier", "indirect 32, barrier, discard" },
    { "flush=0", "barrier=0", "no flush at all", "indirect 32, discard, persistent grants" },
    { "grant-copy=1", NULL, "grant copy", "persistent grants off, indirect 256, grant copy" },
    { "grant-copy=1", "persistent=0", "grant copy, no persistent grants",
      "persistent grants off, indirect 256, grant copy" },
    { "max-persistent-grants=0", NULL, "persistent offered, none kept", NULL },
    { "physical-sector-size=4096", NULL, "512e", "(logical 512, physical 4096)" },
    { "multi-queue-max-queues=1", NULL, "multi-queue key", NULL },
    { "max-indirect-segments=8", NULL, "indirect below a direct request",
      "ring order 2, indirect 0, flush" },
    { "max-indirect-segments=4096", NULL, "indirect above our maximum", "indirect 4096\n" },
    { "batch=1", NULL, "one request per turn", NULL },
    { "cdrom=1", "removable=1", "info bits", NULL },
    { "strict=1", NULL, "strict backend", NULL },
};

START_TEST(backend_variants)
{
    const char *const *v = variants[_i];
    if (v[1])
        RUN("--backend-opt", (char *)v[0], "--backend-opt", (char *)v[1], "--", "blk-verify",
            "--timeout", "20");
    else
        RUN("--backend-opt", (char *)v[0], "--", "blk-verify", "--timeout", "20");
    ck_assert_msg(r.status == 0, "%s: %d %s %s", v[2], r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "cases passed, "), "%s: %s", v[2], r.out);
    ck_assert_msg(!v[3] || strstr(r.err, v[3]), "%s: no '%s' in:\n%s", v[2], v[3], r.err);
}
END_TEST

/* ---- data on the image itself ----------------------------------------- */

START_TEST(fill_lands_on_the_image_and_check_reads_it)
{
    RUN("-q", "--", "blk-verify", "--fill", "--seed", "7");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_int_eq(image_mismatch(7, DISK_BYTES), -1);
    RUN("-q", "--", "blk-verify", "--check", "--seed", "7");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    /* One flipped byte on the image is found and named. */
    int fd = open(img, O_RDWR);
    uint8_t b = (uint8_t)~pattern(7, 123457);
    ck_assert_int_eq(pwrite(fd, &b, 1, 123457), 1);
    close(fd);
    RUN("-q", "--", "blk-verify", "--check", "--seed", "7");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "byte 123457"), "%s", r.err);
    ck_assert_int_eq(runproc_lines(r.err), 1);
}
END_TEST

/* blkback punches a hole for a discard: the image reads back zeroes. */
START_TEST(discard_reaches_the_image)
{
    RUN("-q", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "first 64 KiB discarded"), "%s", r.out);
    FILE *f = fopen(img, "rb");
    ck_assert_ptr_nonnull(f);
    static uint8_t b[65536 + 512];
    ck_assert_uint_eq(fread(b, 1, sizeof b, f), sizeof b);
    fclose(f);
    for (size_t i = 0; i < 65536; i++)
        ck_assert_msg(b[i] == 0, "byte %zu is 0x%02x after the discard", i, b[i]);
    /* The next sector still holds what blk-verify wrote last. */
    size_t nz = 0;
    for (size_t i = 65536; i < sizeof b; i++)
        nz += b[i] != 0;
    ck_assert_uint_gt(nz, 0);
    RUN("-q", "--backend-opt", "discard=0", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_ptr_null(strstr(r.out, "discarded"));
    /* A granularity with an offset moves the discard to where it is
     * allowed. */
    RUN("-q", "--backend-opt", "discard-granularity=65536", "--backend-opt",
        "discard-alignment=4096", "--", "blk-verify");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "64 KiB at byte 4096 discarded"), "%s", r.out);
}
END_TEST

/* Two disks: xvdb (51728) is the second image, and only it is written. */
START_TEST(second_disk_by_vdev)
{
    char img2[160], spec2[256];
    snprintf(img2, sizeof img2, "%s/disk2.img", dir);
    int fd = open(img2, O_CREAT | O_RDWR | O_TRUNC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 1024 * 1024), 0);
    close(fd);
    snprintf(spec2, sizeof spec2, "format=raw, vdev=xvdb, access=rw, target=%s", img2);
    RUN("-q", "--disk", spec2, "--", "blk-verify", "--vdev", "xvdb", "--fill", "--seed", "9");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    ck_assert_msg(strstr(r.out, "filled 1048576 bytes"), "%s", r.out);
    FILE *f = fopen(img2, "rb");
    ck_assert_ptr_nonnull(f);
    for (uint64_t i = 0; i < 1024 * 1024; i++)
        ck_assert_int_eq(fgetc(f), pattern(9, i));
    fclose(f);
    f = fopen(img, "rb");
    ck_assert_ptr_nonnull(f);
    for (int i = 0, c; (c = fgetc(f)) != EOF; i++)
        ck_assert_msg(c == 0, "xvda's image changed at byte %d", i);
    fclose(f);
}
END_TEST

/* The Linux OS layer refuses to grant a buffer that is not a whole page,
 * naming the domain, the buffer and the rule (Mirage's
 * Buffer_is_not_page_aligned, caught in a process). */
START_TEST(zero_copy_of_a_buffer_off_the_page_is_refused)
{
    RUN("-q", "--", "blk-verify", "--zero-copy-at", "0");
    ck_assert_msg(r.status == 0, "%d %s %s", r.status, r.out, r.err);
    RUN("-q", "--", "blk-verify", "--zero-copy-at", "512");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "[os] d1: grant of buffer 0x") &&
                      strstr(r.err, "refused: not the start of a whole page (offset 0x200)"),
                  "%s", r.err);
    ck_assert_msg(runproc_lines(r.err) == 1, "%s", r.err);
}
END_TEST

START_TEST(quiet_drops_info_lines)
{
    RUN("-q", "--", "blk-info");
    ck_assert_msg(r.status == 0, "%d %s", r.status, r.err);
    ck_assert_ptr_null(strstr(r.err, "[blkfront]"));
}
END_TEST

START_TEST(bad_usage)
{
    RUN("--", "blk-verify", "--max-ring-order", "9");
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "--max-ring-order '9' is not a number from 0 to 4"), "%s", r.err);
    RUN("--", "blk-info", "--bogus");
    ck_assert_int_eq(r.status, 2);
    ck_assert_msg(strstr(r.err, "unknown argument '--bogus'"), "%s", r.err);
    RUN("-q", "--", "blk-info", "--vdev", "xvdb");
    ck_assert_int_eq(r.status, 1);
    ck_assert_msg(strstr(r.err, "no vbd device 51728"), "%s", r.err);
    ck_assert_msg(runproc_lines(r.err) == 1, "%s", r.err);
}
END_TEST

/* An app that fails within a millisecond tears the run down while its
 * backend may still be starting: the backend must still stop at once
 * (a SIGTERM that reached it between fork and exec used to be lost, and
 * the run then waited 5 s and killed it, about one run in eight). */
START_TEST(app_failing_at_once_stops_the_backend)
{
    for (int i = 0; i < 25; i++) {
        RUN("-q", "--", "blk-info", "--vdev", "xvdb");
        ck_assert_int_eq(r.status, 1);
        ck_assert_msg(runproc_lines(r.err) == 1 && !strstr(r.err, "ignored SIGTERM"), "run %d:\n%s",
                      i, r.err);
    }
}
END_TEST

/* ---- a run we talk to while it goes ----------------------------------- */

struct live {
    pid_t pid;
    int out, err;
    char obuf[65536], ebuf[65536];
    size_t olen, elen;
};

static void live_exec(struct live *l, char *const argv[])
{
    int po[2], pe[2];
    ck_assert_int_eq(pipe(po), 0);
    ck_assert_int_eq(pipe(pe), 0);
    memset(l, 0, sizeof(*l));
    l->pid = fork();
    ck_assert_int_ge(l->pid, 0);
    if (l->pid == 0) {
        setpgid(0, 0);
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(po[1], 1);
        dup2(pe[1], 2);
        close(po[0]);
        close(pe[0]);
        execv(argv[0], argv);
        _exit(127);
    }
    if (ngroups < 8)
        groups[ngroups++] = l->pid;
    close(po[1]);
    close(pe[1]);
    l->out = po[0];
    l->err = pe[0];
}

/* splitbed run --disk SPEC ARGS..., in the background. */
static void live_start(struct live *l, char *const args[])
{
    char *argv[64] = { (char *)build_path("bin/splitbed"), "run", "--disk", spec };
    int n = 4;
    for (int i = 0; args[i] && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    live_exec(l, argv);
}

/* Reads until stdout holds `needle` (or EOF / a generous hang guard). */
static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Reads the child's output until stdout holds `needle` or both pipes are
 * closed; TIMEOUT seconds is only a hang guard. */
static bool live_wait_for(struct live *l, const char *needle)
{
    double end = mono() + TIMEOUT;
    while (!(needle && strstr(l->obuf, needle))) {
        struct pollfd p[2] = { { .fd = l->out, .events = POLLIN },
                               { .fd = l->err, .events = POLLIN } };
        if (p[0].fd < 0 && p[1].fd < 0)
            break;
        double left = end - mono();
        if (left <= 0)
            break;
        int k = poll(p, 2, (int)(left * 1000) + 1);
        if (k < 0 && errno != EINTR)
            break;
        int *fds[2] = { &l->out, &l->err };
        char *bufs[2] = { l->obuf, l->ebuf };
        size_t *lens[2] = { &l->olen, &l->elen };
        for (int i = 0; i < 2; i++) {
            if (*fds[i] < 0 || !p[i].revents)
                continue;
            size_t room = sizeof(l->obuf) - 1 - *lens[i];
            ssize_t n = room ? read(*fds[i], bufs[i] + *lens[i], room) : 0;
            if (n <= 0) {
                close(*fds[i]);
                *fds[i] = -1;
            } else {
                *lens[i] += (size_t)n;
                bufs[i][*lens[i]] = '\0';
            }
        }
    }
    return needle && strstr(l->obuf, needle);
}

/* Waits for the child to end (its pipes close first); a child still there
 * after the hang guard is killed. */
static int live_finish(struct live *l)
{
    live_wait_for(l, NULL);
    int st = 0, pfd = (int)syscall(SYS_pidfd_open, l->pid, 0);
    if (pfd >= 0) {
        struct pollfd p = { .fd = pfd, .events = POLLIN };
        if (poll(&p, 1, TIMEOUT * 1000) == 0)
            kill(-l->pid, SIGKILL);
        close(pfd);
    }
    waitpid(l->pid, &st, 0);
    if (l->out >= 0)
        close(l->out);
    if (l->err >= 0)
        close(l->err);
    l->out = l->err = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The blkback process among the run's descendants. */
static pid_t find_blkback(pid_t root)
{
    char path[96], name[64];
    pid_t stack[64];
    int n = 0;
    stack[n++] = root;
    while (n) {
        pid_t p = stack[--n];
        snprintf(path, sizeof path, "/proc/%d/comm", (int)p);
        FILE *f = fopen(path, "r");
        if (f) {
            if (fgets(name, sizeof name, f) && strncmp(name, "splitbed-blkbac", 15) == 0) {
                fclose(f);
                return p;
            }
            fclose(f);
        }
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)p, (int)p);
        f = fopen(path, "r");
        if (!f)
            continue;
        int c;
        while (n < 64 && fscanf(f, "%d", &c) == 1)
            stack[n++] = c;
        fclose(f);
    }
    return 0;
}

START_TEST(resize_while_connected)
{
    struct live l;
    live_start(&l, (char *[]){ "--", "blk-info", "--wait-resize", NULL });
    ck_assert_msg(live_wait_for(&l, "sectors: 4096\n"), "out: %s\nerr: %s", l.obuf, l.ebuf);
    ck_assert_int_eq(truncate(img, 2 * DISK_BYTES), 0);
    int st = live_finish(&l);
    ck_assert_msg(st == 0, "status %d\n%s\n%s", st, l.obuf, l.ebuf);
    ck_assert_msg(strstr(l.obuf, "resized-sectors: 8192\n"), "%s", l.obuf);
    ck_assert_msg(strstr(l.ebuf, "capacity changed from 4096 to 8192 sectors"), "%s", l.ebuf);
}
END_TEST

/* splitbed ARGS... (synchronously) in the test's own simulator. */
static void sb(char *const args[])
{
    char *argv[64] = { (char *)build_path("bin/splitbed") };
    int n = 1;
    for (int i = 0; args[i] && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    runproc(&r, NULL, 0, TIMEOUT, NULL, argv);
    ck_assert_msg(r.status == 0, "splitbed %s %s: %d\n%s%s", args[0], args[1] ? args[1] : "",
                  r.status, r.out, r.err);
}
#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static void start_blkback(struct live *l, const char *simdir)
{
    live_exec(l, (char *[]){ (char *)build_path("bin/splitbed"), "exec", "--dir", (char *)simdir,
                             "--domain", "0", "--",
                             (char *)build_path("libexec/splitbed/splitbed-blkback"), NULL });
}

/* The test plays the toolstack itself (with Debian's xenstore tools), so
 * that it, not `splitbed run`, owns blkback and can kill and restart it,
 * and several apps can use the same device one after the other. */
static char *manual_toolstack(void)
{
    char *sim = sim_dir;
    snprintf(sim_dir, sizeof sim_dir, "%s/sim", dir);
    SB("hv", "start", "--dir", sim);
    SB("exec", "--dir", sim, "--domain", "1", "--", "true");
    const char *be = "/local/domain/0/backend/vbd/1/51712",
               *fe = "/local/domain/1/device/vbd/51712";
    static char bk[16][128], fk[8][128];
    const char *bkeys[] = { "frontend", "frontend-id", "online",    "state",    "params", "mode",
                            "type",     "device-type", "removable", "bootable", "dev",    NULL };
    const char *bvals[] = { fe, "1", "1", "1", img, "w", "phy", "disk", "0", "1", "xvda", NULL };
    char *argv[64] = { "exec", "--dir", sim, "--domain", "0", "--", "xenstore-write" };
    int n = 7;
    for (int i = 0; bkeys[i]; i++) {
        snprintf(bk[i], sizeof bk[i], "%s/%s", be, bkeys[i]);
        argv[n++] = bk[i];
        argv[n++] = (char *)bvals[i];
    }
    const char *fkeys[] = {
        "backend", "backend-id", "state", "virtual-device", "device-type", NULL
    };
    const char *fvals[] = { be, "0", "1", "51712", "disk", NULL };
    for (int i = 0; fkeys[i]; i++) {
        snprintf(fk[i], sizeof fk[i], "%s/%s", fe, fkeys[i]);
        argv[n++] = fk[i];
        argv[n++] = (char *)fvals[i];
    }
    argv[n] = NULL;
    sb(argv);
    SB("exec", "--dir", sim, "--domain", "0", "--", "xenstore-chmod", "-r", (char *)be, "n0", "r1");
    SB("exec", "--dir", sim, "--domain", "0", "--", "xenstore-chmod", "-r", (char *)fe, "n1", "r0");
    return sim;
}

static void start_app(struct live *l, const char *sim, char *const args[])
{
    char *argv[64] = {
        (char *)build_path("bin/splitbed"), "exec", "--dir", (char *)sim, "--domain", "1", "--"
    };
    int n = 7;
    for (int i = 0; args[i] && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    live_exec(l, argv);
}

START_TEST(backend_killed_mid_io_and_restarted)
{
    const uint64_t bytes = 48u * 1024 * 1024;
    ck_assert_int_eq(truncate(img, (off_t)bytes), 0);
    char *sim = manual_toolstack();
    char *verify = (char *)build_path("libexec/splitbed/blk-verify");
    struct live bb1, bb2, app;
    start_blkback(&bb1, sim);
    start_app(&app, sim, (char *[]){ verify, "--fill", "--seed", "3", NULL });
    ck_assert_msg(live_wait_for(&app, "flushed: 4194304\n"), "out: %s\nerr: %s", app.obuf,
                  app.ebuf);
    pid_t victim = find_blkback(bb1.pid);
    ck_assert_int_gt(victim, 0);
    ck_assert_int_eq(kill(victim, SIGKILL), 0);
    live_finish(&bb1);
    /* With the backend dead, what a completed flush covered is on the
     * image already. */
    const char *last = NULL;
    for (const char *p = strstr(app.obuf, "flushed: "); p; p = strstr(p + 1, "flushed: "))
        last = p;
    ck_assert_ptr_nonnull(last);
    uint64_t flushed = strtoull(last + 9, NULL, 10);
    ck_assert_uint_ge(flushed, 4194304);
    long early = image_mismatch(3, flushed);
    ck_assert_msg(early == -1, "byte %ld of the %llu flushed ones is not on the image", early,
                  (unsigned long long)flushed);
    start_blkback(&bb2, sim);
    int st = live_finish(&app);
    ck_assert_msg(st == 0, "status %d\nout: %s\nerr: %s", st, app.obuf, app.ebuf);
    ck_assert_msg(strstr(app.ebuf, "reconnecting"), "%s", app.ebuf);
    /* Every acknowledged write is on the image: the whole pattern. */
    long bad = image_mismatch(3, bytes);
    ck_assert_msg(bad == -1, "image differs from the pattern at byte %ld", bad);
    /* A second app on the same device: Closed -> Initialising -> a new
     * connection with the restarted backend (D7). */
    start_app(&app, sim, (char *[]){ verify, "--check", "--seed", "3", NULL });
    st = live_finish(&app);
    ck_assert_msg(st == 0, "status %d\nout: %s\nerr: %s", st, app.obuf, app.ebuf);
    kill(-bb2.pid, SIGTERM);
    live_finish(&bb2);
}
END_TEST

/* An app killed mid-I/O leaves the frontend Connected; the next one
 * closes that connection with the backend and starts afresh. */
START_TEST(frontend_killed_mid_io_then_a_new_app)
{
    ck_assert_int_eq(truncate(img, 16u * 1024 * 1024), 0);
    char *sim = manual_toolstack();
    char *verify = (char *)build_path("libexec/splitbed/blk-verify");
    struct live bb, app;
    start_blkback(&bb, sim);
    start_app(&app, sim, (char *[]){ verify, "--fill", "--seed", "5", NULL });
    ck_assert_msg(live_wait_for(&app, "flushed: 2097152\n"), "out: %s\nerr: %s", app.obuf,
                  app.ebuf);
    kill(-app.pid, SIGKILL);
    live_finish(&app);
    start_app(&app, sim, (char *[]){ verify, NULL });
    int st = live_finish(&app);
    ck_assert_msg(st == 0, "status %d\nout: %s\nerr: %s", st, app.obuf, app.ebuf);
    ck_assert_msg(strstr(app.ebuf, "closing it before reconnecting"), "%s", app.ebuf);
    ck_assert_msg(strstr(app.obuf, "cases passed"), "%s", app.obuf);
    kill(-bb.pid, SIGTERM);
    live_finish(&bb);
}
END_TEST

/* No backend ever comes: the app gives up after its --timeout with one
 * line naming the state it waited in. */
START_TEST(no_backend_times_out)
{
    char *sim = manual_toolstack();
    struct live app;
    start_app(&app, sim,
              (char *[]){ (char *)build_path("libexec/splitbed/blk-info"), "-q", "--timeout", "1",
                          NULL });
    int st = live_finish(&app);
    ck_assert_msg(st == 1, "status %d\nout: %s\nerr: %s", st, app.obuf, app.ebuf);
    ck_assert_msg(strstr(app.ebuf, "no progress for 1000 ms (backend Initialising"), "%s",
                  app.ebuf);
    ck_assert_msg(runproc_lines(app.ebuf) == 1, "%s", app.ebuf);
}
END_TEST

int main(void)
{
    scratch_prefix = "sbblk";
    Suite *s = suite_create("blkfront-e2e");
    TCase *t = tcase_create("matrix");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_loop_test(t, negotiation_matrix, 0, 5 * 3 * 8);
    suite_add_tcase(s, t);
    t = tcase_create("deviations");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, backend_offers_order_4_frontend_takes_2);
    tcase_add_test(t, backend_without_multi_page_rings);
    tcase_add_test(t, features_only_at_connected_or_at_probe);
    tcase_add_test(t, backend_never_in_initwait);
    tcase_add_test(t, frontend_skips_initialised);
    tcase_add_test(t, event_path_with_and_without_spinning);
    tcase_add_test(t, frontend_writes_ring_before_initwait);
    tcase_add_test(t, explicit_ring_page_order_0);
    tcase_add_test(t, read_only_disk);
    tcase_add_loop_test(t, backend_variants, 0, sizeof(variants) / sizeof(variants[0]));
    suite_add_tcase(s, t);
    t = tcase_create("data");
    tcase_add_unchecked_fixture(t, scratch_setup, scratch_teardown);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, fill_lands_on_the_image_and_check_reads_it);
    tcase_add_test(t, quiet_drops_info_lines);
    tcase_add_test(t, second_disk_by_vdev);
    tcase_add_test(t, zero_copy_of_a_buffer_off_the_page_is_refused);
    tcase_add_test(t, discard_reaches_the_image);
    tcase_add_test(t, bad_usage);
    tcase_add_test(t, app_failing_at_once_stops_the_backend);
    tcase_add_test(t, resize_while_connected);
    tcase_add_test(t, backend_killed_mid_io_and_restarted);
    tcase_add_test(t, frontend_killed_mid_io_then_a_new_app);
    tcase_add_test(t, no_backend_times_out);
    suite_add_tcase(s, t);
    return check_main(s);
}
