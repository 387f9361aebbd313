/*
 * bench_run_start — how long `splitbed run` takes from its start to the
 * start of the guest app, as a user runs it:
 *   splitbed run -q --disk IMG -- APP     a private simulator, blkback,
 *                                         one disk connected by the app
 *   splitbed run -q -- APP                the simulator alone
 * APP is this program again (`--app-start`), which prints the monotonic
 * clock first thing and exits; the figure is that time minus the time
 * just before `splitbed run` was started.  Beside it: the same program
 * started directly (fork and exec), and the goal of 5 ms as the
 * baseline, so that the ratio says how far from the goal a run is.
 * Median of ROUNDS runs after one thrown away.
 */
#include "tests/bench/bench_result.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 15
#define GOAL_US 5000.0

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Runs argv with stdout into a pipe; returns the app's printed clock
 * minus the start, in microseconds, or -1. */
static double start_to_app(char *const argv[])
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    long long t0 = now_ns();
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execv(argv[0], argv);
        _exit(127);
    }
    close(p[1]);
    char buf[256];
    size_t n = 0;
    ssize_t k;
    while (n < sizeof(buf) - 1 && (k = read(p[0], buf + n, sizeof(buf) - 1 - n)) != 0) {
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    close(p[0]);
    int st;
    waitpid(pid, &st, 0);
    const char *s = strstr(buf, "app-start-ns: ");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0 || !s) {
        fprintf(stderr, "bench_run_start: %s failed (status %d)\n", argv[0], st);
        return -1;
    }
    return (double)(atoll(s + 14) - t0) / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof(*v), cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    /* As the app: `splitbed run` may put its own options (-q) first. */
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "--app-start") == 0) {
            printf("app-start-ns: %lld\n", now_ns());
            return 0;
        }
    if (argc > 1) {
        fprintf(stderr, "bench_run_start: unknown argument '%s'\n", argv[1]);
        return 2;
    }
    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (sl <= 0) {
        perror("bench_run_start: /proc/self/exe");
        return 1;
    }
    self[sl] = '\0';
    const char *build = getenv("SPLITBED_BUILD") ? getenv("SPLITBED_BUILD") : "build";
    char sb[4096], dir[] = "/tmp/sbbench-start-XXXXXX", img[64], spec[160];
    snprintf(sb, sizeof sb, "%s/bin/splitbed", build);
    if (!mkdtemp(dir)) {
        perror("bench_run_start: mkdtemp");
        return 1;
    }
    snprintf(img, sizeof img, "%s/disk.img", dir);
    snprintf(spec, sizeof spec, "format=raw, vdev=xvda, access=ro, target=%s", img);
    int fd = open(img, O_CREAT | O_RDWR | O_TRUNC, 0600);
    int rc = 1;
    if (fd < 0 || ftruncate(fd, 1 << 20) < 0) {
        fprintf(stderr, "bench_run_start: cannot create %s\n", img);
        goto out;
    }
    char *with_disk[] = { sb, "run", "-q", "--disk", spec, "--", self, "--app-start", NULL };
    char *bare[] = { sb, "run", "-q", "--", self, "--app-start", NULL };
    char *direct[] = { self, "--app-start", NULL };
    double d[ROUNDS], b[ROUNDS], x[ROUNDS];
    for (int i = -1; i < ROUNDS; i++) {
        double vd = start_to_app(with_disk), vb = start_to_app(bare), vx = start_to_app(direct);
        if (vd < 0 || vb < 0 || vx < 0)
            goto out;
        if (i >= 0) {
            d[i] = vd;
            b[i] = vb;
            x[i] = vx;
        }
    }
    double md = median(d, ROUNDS), mb = median(b, ROUNDS), mx = median(x, ROUNDS);
    printf("run start to app start, one disk: %.0f us (goal %.0f us, ratio %.2f)   median of %d\n",
           md, GOAL_US, md / GOAL_US, ROUNDS);
    printf("run start to app start, no device: %.0f us (goal %.0f us, ratio %.2f)\n", mb, GOAL_US,
           mb / GOAL_US);
    printf("the app started directly (fork, exec): %.0f us\n", mx);
    bench_result(&(struct bench_figure){ "run start to app start, one disk", md, "us",
                                         "the 5 ms goal", GOAL_US, "us", md / GOAL_US, "<= 1" });
    bench_result(&(struct bench_figure){ "run start to app start, no device", mb, "us",
                                         "the 5 ms goal", GOAL_US, "us", mb / GOAL_US, "<= 1" });
    bench_result(&(struct bench_figure){ "app started directly (fork, exec)", mx, "us",
                                         "the 5 ms goal", GOAL_US, "us", mx / GOAL_US, NULL });
    rc = 0;
out:
    if (fd >= 0)
        close(fd);
    unlink(img);
    rmdir(dir);
    return rc;
}
