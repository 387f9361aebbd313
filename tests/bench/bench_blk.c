/*
 * bench_blk — block I/O through blkfront and splitbed-blkback, each figure
 * beside a baseline measured in the same run on the same machine:
 *   sequential 1 MiB reads      vs  a pread loop on the (cached) image
 *                                   (into blkfront's shared pages, and copied)
 *   4 KiB random reads, QD 32   vs  a 4 KiB random pread loop
 *   one 4 KiB read at a time    vs  an eventfd ping-pong between two processes
 *   the same on all CPUs, with the event path's spin on and off
 *                               vs  the ping-pong on all CPUs
 * The frontend side is blk-bench as domain 1 under `splitbed run`.
 *
 * Load on a small shared machine comes and goes on the scale of seconds,
 * so one run of each side gives ratios that swing several-fold.  Instead
 * there are ROUNDS rounds, after one thrown away (warm-up); each measures
 * every baseline just before and just after its blk-bench runs (mean of
 * the two), and the ratio of a round compares figures taken within a few
 * seconds of each other.  Printed: medians and the median of the
 * per-round ratios with their range.  Everything (baselines, and the whole
 * stack under `splitbed run`) is pinned to one CPU: whether a wake-up
 * crosses CPUs or not changes a round trip several-fold from moment to
 * moment on a shared machine, which would drown the QD1 figure.  Only
 * the spin-before-sleep figures run on every CPU: a spin can only beat a
 * wake-up when the peer has a CPU of its own.
 */
#include "tests/bench/bench_result.h"
#include "tests/lib/runproc.h"

#include <fcntl.h>
#include <sched.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IMG_BYTES (64ull * 1024 * 1024)
#define BASE_SECONDS 0.25 /* per baseline, before and after each run */
#define ROUNDS 5

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st;
    (void)f;
    (void)w;
    remove(p);
    return 0;
}

static double pread_seq(int fd)
{
    static char buf[1 << 20];
    double t0 = now(), t;
    uint64_t bytes = 0, pos = 0;
    do {
        if (pos + sizeof(buf) > IMG_BYTES)
            pos = 0;
        if (pread(fd, buf, sizeof(buf), (off_t)pos) != (ssize_t)sizeof(buf))
            return -1;
        pos += sizeof(buf);
        bytes += sizeof(buf);
        t = now();
    } while (t - t0 < BASE_SECONDS);
    return (double)bytes / (1024 * 1024) / (t - t0);
}

static double pread_rand(int fd)
{
    char buf[4096];
    uint64_t s = 42, n = 0;
    double t0 = now(), t;
    do {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        if (pread(fd, buf, sizeof(buf), (off_t)((s >> 17) % (IMG_BYTES / 4096) * 4096)) != 4096)
            return -1;
        n++;
        t = now();
    } while (t - t0 < BASE_SECONDS);
    return (double)n / (t - t0);
}

/* Mean round trip, in microseconds, of a counter passed back and forth
 * between two processes through two eventfds. */
static double eventfd_pingpong(void)
{
    int ping = eventfd(0, 0), pong = eventfd(0, 0);
    if (ping < 0 || pong < 0)
        return -1;
    pid_t child = fork();
    if (child < 0)
        return -1;
    uint64_t v;
    if (child == 0) {
        while (read(ping, &v, sizeof(v)) == (ssize_t)sizeof(v)) {
            if (v == 2)
                _exit(0);
            v = 1;
            if (write(pong, &v, sizeof(v)) != (ssize_t)sizeof(v))
                _exit(1);
        }
        _exit(1);
    }
    uint64_t n = 0;
    double t0 = now(), t;
    do {
        v = 1;
        if (write(ping, &v, sizeof(v)) != (ssize_t)sizeof(v) ||
            read(pong, &v, sizeof(v)) != (ssize_t)sizeof(v))
            break;
        n++;
        t = now();
    } while (t - t0 < BASE_SECONDS);
    v = 2;
    (void)!write(ping, &v, sizeof(v));
    waitpid(child, NULL, 0);
    close(ping);
    close(pong);
    return n ? (t - t0) * 1e6 / (double)n : -1;
}

static double field(const char *out, const char *key)
{
    const char *p = strstr(out, key);
    return p ? strtod(p + strlen(key), NULL) : -1;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v)
{
    double s[ROUNDS];
    memcpy(s, v, sizeof(s));
    qsort(s, ROUNDS, sizeof(*s), cmp_double);
    return ROUNDS % 2 ? s[ROUNDS / 2] : (s[ROUNDS / 2 - 1] + s[ROUNDS / 2]) / 2;
}

/* One figure against its baseline over the rounds. */
struct series {
    double fig[ROUNDS], base[ROUNDS];
};

static void report(const char *what, const char *unit, const struct series *s, const char *baseline,
                   const char *goal)
{
    double r[ROUNDS], lo = 1e300, hi = 0;
    for (int i = 0; i < ROUNDS; i++) {
        r[i] = s->fig[i] / s->base[i];
        lo = r[i] < lo ? r[i] : lo;
        hi = r[i] > hi ? r[i] : hi;
    }
    printf("%s: %.1f %s, baseline (%s) %.1f %s, ratio %.2f%s%s%s   median of %d rounds, "
           "per-round ratios %.2f..%.2f\n",
           what, median(s->fig), unit, baseline, median(s->base), unit, median(r),
           goal ? " (goal " : "", goal ? goal : "", goal ? ")" : "", ROUNDS, lo, hi);
    bench_result(&(struct bench_figure){ what, median(s->fig), unit, baseline, median(s->base),
                                         unit, median(r), goal });
}

/* The three baselines, measured once. */
struct base {
    double seq, iops, us;
};

static int measure_base(int fd, struct base *b)
{
    b->seq = pread_seq(fd);
    b->iops = pread_rand(fd);
    b->us = eventfd_pingpong();
    return b->seq > 0 && b->iops > 0 && b->us > 0 ? 0 : -1;
}

/* blk-bench once (zero-copy or copied); its figures, or -1. */
static int run_blk_bench_env(const char *spec, bool zero_copy, char *const env[], double *seq,
                             double *iops, double *us)
{
    static struct runproc r;
    char *argv[] = { (char *)build_path("bin/splitbed"),
                     "run",
                     "-q",
                     "--disk",
                     (char *)spec,
                     "--",
                     "blk-bench",
                     "--seconds",
                     "1",
                     zero_copy ? "--zero-copy" : NULL,
                     NULL };
    runproc(&r, NULL, 0, 60, env, argv);
    if (r.status != 0) {
        fprintf(stderr, "bench_blk: blk-bench%s failed (status %d): %s",
                zero_copy ? " --zero-copy" : "", r.status, r.err);
        return -1;
    }
    *seq = field(r.out, "seq-read-MiB/s: ");
    *iops = field(r.out, "rand-read-4k-iops: ");
    *us = field(r.out, "qd1-read-4k-us: ");
    return *seq > 0 && *iops > 0 && *us > 0 ? 0 : -1;
}

static int run_blk_bench(const char *spec, bool zero_copy, double *seq, double *iops, double *us)
{
    return run_blk_bench_env(spec, zero_copy, NULL, seq, iops, us);
}

/* QD1 on every CPU the bench may use, with the event path's spin before
 * sleeping (hybrid_poll.h) on and off, and the ping-pong likewise
 * unpinned: spinning can only win when the peer runs on another CPU. */
static int measure_spread(const char *spec, const cpu_set_t *all, const cpu_set_t *one, double *on,
                          double *off, double *base)
{
    static char *const no_poll[] = { "SPLITBED_POLL_US=0", NULL };
    double s, i, b1, b2;
    sched_setaffinity(0, sizeof(*all), all);
    b1 = eventfd_pingpong();
    int rc = run_blk_bench_env(spec, false, NULL, &s, &i, on) < 0 ||
                     run_blk_bench_env(spec, false, no_poll, &s, &i, off) < 0
                 ? -1
                 : 0;
    b2 = eventfd_pingpong();
    sched_setaffinity(0, sizeof(*one), one);
    *base = (b1 + b2) / 2;
    return rc < 0 || b1 <= 0 || b2 <= 0 ? -1 : 0;
}

int main(void)
{
    char dir[] = "/tmp/sbbench-blk-XXXXXX", img[64], spec[160];
    if (!mkdtemp(dir)) {
        perror("bench_blk: mkdtemp");
        return 1;
    }
    snprintf(img, sizeof img, "%s/disk.img", dir);
    snprintf(spec, sizeof spec, "format=raw, vdev=xvda, access=ro, target=%s", img);
    int fd = open(img, O_CREAT | O_RDWR | O_TRUNC, 0600);
    static char chunk[1 << 20];
    for (size_t i = 0; i < sizeof(chunk); i++)
        chunk[i] = (char)(i * 131 + (i >> 12));
    int rc = 1;
    for (uint64_t off = 0; fd >= 0 && off < IMG_BYTES; off += sizeof(chunk))
        if (pwrite(fd, chunk, sizeof(chunk), (off_t)off) != (ssize_t)sizeof(chunk)) {
            fprintf(stderr, "bench_blk: cannot write %s\n", img);
            goto out;
        }
    if (fd < 0) {
        fprintf(stderr, "bench_blk: cannot create %s\n", img);
        goto out;
    }
    /* Written back before measuring, so that no figure pays for it. */
    if (fsync(fd) < 0) {
        perror("bench_blk: fsync");
        goto out;
    }
    cpu_set_t one, all;
    if (sched_getaffinity(0, sizeof(all), &all) < 0) {
        perror("bench_blk: sched_getaffinity");
        goto out;
    }
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    sched_setaffinity(0, sizeof(one), &one);
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct series zseq, cseq, iops, lat, lat_poll, lat_nopoll;
    for (int round = -1; round < ROUNDS; round++) {
        struct base before, after;
        double zs, zi, zu, cs, ci, cu, pon, poff, pbase;
        if (measure_base(fd, &before) < 0 || run_blk_bench(spec, true, &zs, &zi, &zu) < 0 ||
            run_blk_bench(spec, false, &cs, &ci, &cu) < 0 || measure_base(fd, &after) < 0 ||
            measure_spread(spec, &all, &one, &pon, &poff, &pbase) < 0) {
            fprintf(stderr, "bench_blk: a measurement failed\n");
            goto out;
        }
        if (round < 0)
            continue; /* warm-up */
        double bseq = (before.seq + after.seq) / 2;
        zseq.fig[round] = zs;
        zseq.base[round] = bseq;
        cseq.fig[round] = cs;
        cseq.base[round] = bseq;
        /* both runs measure random reads and QD1 the same way: take both */
        iops.fig[round] = (zi + ci) / 2;
        iops.base[round] = (before.iops + after.iops) / 2;
        lat.fig[round] = (zu + cu) / 2;
        lat.base[round] = (before.us + after.us) / 2;
        lat_poll.fig[round] = pon;
        lat_poll.base[round] = pbase;
        lat_nopoll.fig[round] = poff;
        lat_nopoll.base[round] = pbase;
    }
    report("blk sequential 1 MiB reads, zero copy", "MiB/s", &zseq, "1 MiB pread loop", ">= 0.8");
    report("blk sequential 1 MiB reads, copied", "MiB/s", &cseq, "1 MiB pread loop", NULL);
    report("blk 4 KiB random reads QD32", "IOPS", &iops, "4 KiB pread loop", ">= 0.5");
    report("blk 4 KiB read latency QD1", "us", &lat, "eventfd ping-pong", "<= 1.3");
    report("blk 4 KiB read latency QD1, all CPUs, spin before sleep", "us", &lat_poll,
           "eventfd ping-pong, all CPUs", "<= 1.3");
    report("blk 4 KiB read latency QD1, all CPUs, SPLITBED_POLL_US=0", "us", &lat_nopoll,
           "eventfd ping-pong, all CPUs", NULL);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    nftw(dir, rm_entry, 4, FTW_DEPTH | FTW_PHYS);
    return rc;
}
