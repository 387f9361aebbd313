/*
 * bench_tar_cat — `splitbed run --disk A -- tar-cat M` beside GNU
 * `tar -xOf A M` on the same 64 MiB member, in one run.
 *
 * Both commands write to /dev/null and are timed whole (tar-cat's figure
 * includes creating its domain, the xenbus handshake and the backend).
 * Each runs three times; the best time counts.  Before timing, tar-cat's
 * bytes are checked against GNU tar's through a pipe.
 *
 * A second figure leaves the run's fixed cost out: the archive also holds
 * a one-byte member, and the time of `tar-cat` of that member (the
 * domain, the backend, the handshake, the scan of the archive's headers,
 * the teardown) is taken from the big member's.  What remains is the data
 * phase: the member's bytes through blkfront, the ring and blkback's
 * preads of the archive.  Its baseline is a data phase too, the same
 * bytes read from the archive file by a plain loop in this process:
 * pread 128 KiB at a time (coreutils cat's buffer) and write to
 * /dev/null, as tar-cat's output goes.  That is the floor under both
 * tar-cat and tar, from the same page cache blkback reads.  GNU tar's
 * time less its start-up on an empty archive would be the other choice,
 * but it is a difference of two process runs like the figure's own, so
 * it would double the noise on a phase of tens of milliseconds, and it
 * would measure tar's 10 KiB records rather than the cost of the bytes.
 * The loop's bytes are checked against GNU tar's before it is timed.
 * No goal is set for that ratio: it is how far the path through the
 * simulated devices stays from the file itself.
 */
#include "tests/bench/bench_result.h"
#include "tests/lib/runproc.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MEMBER_BYTES (64u << 20)
#define ROUNDS 3

static char dir[64];

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
    fprintf(stderr, "bench_tar_cat: %s\n", what);
    exit(1);
}

/* Runs argv with stdout to `out_fd`; returns the exit status. */
static int run(char *const argv[], int out_fd)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork failed");
    if (pid == 0) {
        dup2(out_fd, 1);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 2);
        execvp(argv[0], argv);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        die("waitpid failed");
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* FNV-1a of what argv writes on stdout. */
static uint64_t digest(char *const argv[], uint64_t *len)
{
    int fds[2];
    if (pipe(fds))
        die("pipe failed");
    pid_t pid = fork();
    if (pid == 0) {
        close(fds[0]);
        dup2(fds[1], 1);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[1]);
    uint64_t h = 0xcbf29ce484222325ull, n = 0;
    static uint8_t buf[1 << 16];
    ssize_t got;
    while ((got = read(fds[0], buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < got; i++)
            h = (h ^ buf[i]) * 0x100000001b3ull;
        n += (uint64_t)got;
    }
    close(fds[0]);
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("a command under test failed");
    *len = n;
    return h;
}

static double best_of(char *const argv[])
{
    int devnull = open("/dev/null", O_WRONLY);
    double best = 1e9;
    for (int i = 0; i < ROUNDS; i++) {
        double t0 = now_s();
        if (run(argv, devnull) != 0)
            die("a timed command failed");
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    close(devnull);
    return best;
}

/* Where the data of member `name` starts in the archive fd, or -1: walks
 * the ustar headers (name at 0, octal size at 124). */
static off_t member_offset(int fd, const char *name)
{
    char h[512];
    for (off_t off = 0; pread(fd, h, sizeof h, off) == (ssize_t)sizeof h && h[0];) {
        char size[13];
        memcpy(size, h + 124, 12);
        size[12] = 0;
        unsigned long long n = strtoull(size, NULL, 8);
        if (strncmp(h, name, 100) == 0)
            return off + 512;
        off += 512 + (off_t)((n + 511) / 512 * 512);
    }
    return -1;
}

#define PREAD_CHUNK (128u << 10)

/* The baseline's loop: len bytes from fd at off, 128 KiB a pread, each
 * chunk written to out; FNV-1a of the bytes when h is not NULL. */
static void pread_loop(int fd, off_t off, uint64_t len, int out, uint64_t *h)
{
    static uint8_t buf[PREAD_CHUNK];
    for (uint64_t done = 0; done < len;) {
        size_t want = len - done < PREAD_CHUNK ? (size_t)(len - done) : PREAD_CHUNK;
        ssize_t got = pread(fd, buf, want, off + (off_t)done);
        if (got <= 0)
            die("pread of the archive failed");
        if (write(out, buf, (size_t)got) != got)
            die("write to /dev/null failed");
        if (h)
            for (ssize_t i = 0; i < got; i++)
                *h = (*h ^ buf[i]) * 0x100000001b3ull;
        done += (uint64_t)got;
    }
}

/* The best of ROUNDS pread loops of the member, in seconds; -1 when its
 * bytes are not GNU tar's (digest want). */
static double pread_best(const char *archive, uint64_t want)
{
    int fd = open(archive, O_RDONLY);
    off_t off = fd < 0 ? -1 : member_offset(fd, "big.bin");
    if (off < 0) {
        fprintf(stderr, "bench_tar_cat: %s: no member big.bin to read\n", archive);
        exit(1);
    }
    int devnull = open("/dev/null", O_WRONLY);
    uint64_t h = 0xcbf29ce484222325ull;
    pread_loop(fd, off, MEMBER_BYTES, devnull, &h);
    double best = -1;
    if (h == want) {
        best = 1e9;
        for (int i = 0; i < ROUNDS; i++) {
            double t0 = now_s();
            pread_loop(fd, off, MEMBER_BYTES, devnull, NULL);
            double t = now_s() - t0;
            if (t < best)
                best = t;
        }
    }
    close(devnull);
    close(fd);
    return best;
}

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st;
    (void)f;
    (void)w;
    remove(p);
    return 0;
}

int main(void)
{
    char member[128], archive[128];
    snprintf(dir, sizeof dir, "/tmp/sbbench-tar-XXXXXX");
    if (!mkdtemp(dir))
        die("mkdtemp failed");
    snprintf(member, sizeof member, "%s/big.bin", dir);
    snprintf(archive, sizeof archive, "%s/big.tar", dir);

    /* A member that is not all zeros, so nothing can be skipped. */
    FILE *f = fopen(member, "wb");
    if (!f)
        die("cannot create the member");
    uint64_t x = 0x9e3779b97f4a7c15ull;
    static uint64_t words[1 << 13];
    for (unsigned done = 0; done < MEMBER_BYTES; done += sizeof words) {
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            words[i] = x;
        }
        fwrite(words, 1, sizeof words, f);
    }
    fclose(f);
    char small[160];
    snprintf(small, sizeof small, "%s/small.txt", dir);
    f = fopen(small, "wb");
    if (!f || fputc('s', f) == EOF || fclose(f) != 0)
        die("cannot create the small member");
    char *mk[] = { "tar", "-C", dir, "-cf", archive, "big.bin", "small.txt", NULL };
    int devnull = open("/dev/null", O_WRONLY);
    if (run(mk, devnull) != 0)
        die("tar -cf failed");
    close(devnull);
    unlink(member);
    unlink(small);

    const char *sb = build_path("bin/splitbed");
    char *start[] = { (char *)sb, "hv", "start", "--dir", dir, NULL };
    devnull = open("/dev/null", O_WRONLY);
    if (run(start, devnull) != 0)
        die("splitbed hv start failed");
    close(devnull);

    char *ours[] = { (char *)sb, "run", "-q",      "--dir",   dir, "--disk",
                     archive,    "--",  "tar-cat", "big.bin", NULL };
    char *theirs[] = { "tar", "-xOf", archive, "big.bin", NULL };
    uint64_t la, lb;
    uint64_t ha = digest(ours, &la), hb = digest(theirs, &lb);
    int status = 0;
    if (la != MEMBER_BYTES || la != lb || ha != hb) {
        fprintf(stderr, "bench_tar_cat: tar-cat wrote %llu bytes that differ from GNU tar's %llu\n",
                (unsigned long long)la, (unsigned long long)lb);
        status = 1;
    } else {
        double t_ours = best_of(ours), t_theirs = best_of(theirs);
        double mib = MEMBER_BYTES / 1048576.0;
        printf("tar-cat 64 MiB member: %.0f MiB/s (%.3f s); tar -xOf: %.0f MiB/s (%.3f s); "
               "ratio %.2fx (goal >= 1x)\n",
               mib / t_ours, t_ours, mib / t_theirs, t_theirs, t_theirs / t_ours);
        bench_result(&(struct bench_figure){ "tar-cat of a 64 MiB member", mib / t_ours, "MiB/s",
                                             "tar -xOf", mib / t_theirs, "MiB/s", t_theirs / t_ours,
                                             ">= 1" });
        char *ours_small[] = { (char *)sb, "run", "-q",      "--dir",     dir, "--disk",
                               archive,    "--",  "tar-cat", "small.txt", NULL };
        double t_fixed = best_of(ours_small);
        double t_data = t_ours - t_fixed;
        double t_pread = pread_best(archive, hb);
        if (t_pread < 0) {
            fprintf(stderr, "bench_tar_cat: the pread loop read other bytes than GNU tar's\n");
            status = 1;
        } else if (t_data > 0) {
            printf("tar-cat 64 MiB member, data phase (the %.3f s of a one-byte member's run "
                   "taken off): %.0f MiB/s (%.3f s); pread loop: %.0f MiB/s (%.3f s); "
                   "ratio %.2fx\n",
                   t_fixed, mib / t_data, t_data, mib / t_pread, t_pread, t_pread / t_data);
            bench_result(&(struct bench_figure){ "tar-cat of a 64 MiB member, data phase",
                                                 mib / t_data, "MiB/s", "pread loop, 128 KiB",
                                                 mib / t_pread, "MiB/s", t_pread / t_data, NULL });
        }
    }
    char *stop[] = { (char *)sb, "hv", "stop", "--dir", dir, NULL };
    devnull = open("/dev/null", O_WRONLY);
    run(stop, devnull);
    close(devnull);
    nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
    return status;
}
