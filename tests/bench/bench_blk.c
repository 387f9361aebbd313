/*
 * bench_blk — block I/O through blkfront and splitbed-blkback, each figure
 * beside a baseline measured in the same run on the same machine:
 *   sequential 1 MiB reads      vs  a pread loop on the (cached) image
 *                                   (into blkfront's shared pages, and copied)
 *   4 KiB random reads, QD 32   vs  a 4 KiB random pread loop
 *   one 4 KiB read at a time    vs  an eventfd ping-pong between two processes
 * The frontend side is blk-bench as domain 1 under `splitbed run`.
 */
#include "tests/lib/runproc.h"

#include <fcntl.h>
#include <ftw.h>
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
#define SECONDS 1

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st; (void)f; (void)w;
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
    } while (t - t0 < SECONDS);
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
    } while (t - t0 < SECONDS);
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
        if (write(ping, &v, sizeof(v)) != (ssize_t)sizeof(v) || read(pong, &v, sizeof(v)) != (ssize_t)sizeof(v))
            break;
        n++;
        t = now();
    } while (t - t0 < SECONDS);
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
    double base_seq = pread_seq(fd), base_iops = pread_rand(fd), base_us = eventfd_pingpong();
    static struct runproc r, z;
    char *argv[] = { (char *)build_path("bin/splitbed"), "run", "-q", "--disk", spec, "--",
                     "blk-bench", "--seconds", "1", NULL, NULL };
    runproc(&r, NULL, 0, 60, NULL, argv);
    argv[9] = "--zero-copy";
    runproc(&z, NULL, 0, 60, NULL, argv);
    if (r.status != 0 || z.status != 0) {
        fprintf(stderr, "bench_blk: blk-bench failed (status %d/%d): %s%s", r.status, z.status, r.err, z.err);
        goto out;
    }
    double seq = field(r.out, "seq-read-MiB/s: "), iops = field(r.out, "rand-read-4k-iops: "),
           us = field(r.out, "qd1-read-4k-us: "), zseq = field(z.out, "seq-read-MiB/s: ");
    printf("blk sequential 1 MiB reads, zero copy: %.0f MiB/s, pread loop %.0f MiB/s, ratio %.2f (goal >= 0.8)\n",
           zseq, base_seq, zseq / base_seq);
    printf("blk sequential 1 MiB reads, copied: %.0f MiB/s, pread loop %.0f MiB/s, ratio %.2f\n",
           seq, base_seq, seq / base_seq);
    printf("blk 4 KiB random reads QD32: %.0f IOPS, pread loop %.0f IOPS, ratio %.2f (goal >= 0.5)\n",
           iops, base_iops, iops / base_iops);
    printf("blk 4 KiB read latency QD1: %.1f us, eventfd ping-pong %.1f us, ratio %.2f (goal <= 1.3)\n",
           us, base_us, us / base_us);
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    nftw(dir, rm_entry, 4, FTW_DEPTH | FTW_PHYS);
    return rc;
}
