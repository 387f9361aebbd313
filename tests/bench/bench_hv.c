/*
 * bench_hv — what the simulated hypervisor costs a process, each figure
 * beside a baseline measured in the same run:
 *   grant map+unmap of 1 and 64 pages  vs  mmap+munmap of a memfd
 *   evtchn notify round trip           vs  raw eventfd ping-pong
 * between two processes.  Runs its own splitbed-hvd; linked against the
 * real -lxengnttab -lxenevtchn with a RUNPATH to the drop-in libraries.
 * Everything (daemon, both processes, baselines) is pinned to one CPU:
 * on a small shared machine cross-CPU wake-ups vary by 10x from run to
 * run, which would drown both figures.
 */
#include "backends-sim/hv/hvctl.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xenevtchn.h>
#include <xengnttab.h>

static char dir[64];
static pid_t hvd = -1;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int rm_entry(const char *p, const struct stat *st, int f, struct FTW *w)
{
    (void)st, (void)f, (void)w;
    remove(p);
    return 0;
}

static void cleanup(void)
{
    if (hvd > 0) {
        kill(hvd, SIGTERM);
        waitpid(hvd, NULL, 0);
    }
    if (dir[0])
        nftw(dir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

static void die(const char *what)
{
    fprintf(stderr, "bench_hv: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void start_hvd(void)
{
    char self[PATH_MAX], bin[PATH_MAX + 32];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n < 0)
        die("readlink");
    self[n] = 0;
    *strrchr(self, '/') = 0;
    snprintf(bin, sizeof(bin), "%s/../bin/splitbed-hvd", self);
    snprintf(dir, sizeof(dir), "/tmp/sbbench-XXXXXX");
    if (!mkdtemp(dir))
        die("mkdtemp");
    atexit(cleanup);
    int p[2];
    if (pipe(p) < 0)
        die("pipe");
    hvd = fork();
    if (hvd == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(p[1], 3);
        execl(bin, "splitbed-hvd", "--dir", dir, "--ready-fd", "3", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1) {
        fprintf(stderr, "bench_hv: %s did not start\n", bin);
        exit(1);
    }
    close(p[0]);
    if (hvctl_domain_create(dir, 1) < 0 || hvctl_domain_create(dir, 2) < 0)
        die("hvctl_domain_create");
}

static void as_domain(unsigned d)
{
    char sock[128];
    snprintf(sock, sizeof(sock), "%s/hv/dom%u", dir, d);
    setenv("SPLITBED_HV_SOCKET", sock, 1);
}

/*
 * Each figure and its baseline are measured ROUNDS times, interleaved
 * (figure then baseline, baseline then figure, ...) after one round that
 * is thrown away (warm-up: page tables, the daemon's caches, CPU
 * frequency).  What is printed is the median of each and the median of
 * the per-round ratios, with the spread of those ratios: on a loaded
 * machine load comes and goes on the scale of a round, and a ratio taken
 * within one round cancels most of it.
 */
#define ROUNDS 9

struct series {
    double fig[ROUNDS], base[ROUNDS];
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, int n)
{
    double s[ROUNDS];
    memcpy(s, v, (size_t)n * sizeof(*s));
    qsort(s, (size_t)n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void report(const char *what, const char *base, const struct series *s, const char *goal)
{
    double r[ROUNDS], lo = 1e300, hi = 0;
    for (int i = 0; i < ROUNDS; i++) {
        r[i] = s->fig[i] / s->base[i];
        lo = r[i] < lo ? r[i] : lo;
        hi = r[i] > hi ? r[i] : hi;
    }
    double m = median(r, ROUNDS);
    printf("%-26s %7.2f us   %-18s %7.2f us   ratio %4.2f (%s)   median of %d rounds, per-round ratios %.2f..%.2f\n",
           what, median(s->fig, ROUNDS) * 1e6, base, median(s->base, ROUNDS) * 1e6, m, goal,
           ROUNDS, lo, hi);
}

struct grant_bench {
    xengnttab_handle *gt;
    uint32_t *doms, *refs;
    int memfd;
    unsigned n, iters;
};

static double time_grant(const struct grant_bench *g)
{
    double t0 = now();
    for (unsigned i = 0; i < g->iters; i++) {
        uint8_t *p = xengnttab_map_grant_refs(g->gt, g->n, g->doms, g->refs, PROT_READ | PROT_WRITE);
        if (!p)
            die("map");
        p[0] = 1;   /* touch it, as a backend would */
        if (xengnttab_unmap(g->gt, p, g->n) < 0)
            die("unmap");
    }
    return (now() - t0) / g->iters;
}

static double time_memfd(const struct grant_bench *g)
{
    double t0 = now();
    for (unsigned i = 0; i < g->iters; i++) {
        uint8_t *p = mmap(NULL, g->n * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
        if (p == MAP_FAILED)
            die("mmap");
        p[0] = 1;
        munmap(p, g->n * 4096);
    }
    return (now() - t0) / g->iters;
}

static void bench_grants(void)
{
    as_domain(1);
    xengntshr_handle *gs = xengntshr_open(NULL, 0);
    uint32_t refs[64], doms[64];
    if (!gs || !xengntshr_share_pages(gs, 2, 64, refs, 1))
        die("share");
    as_domain(2);
    xengnttab_handle *gt = xengnttab_open(NULL, 0);
    if (!gt)
        die("gnttab open");
    for (int i = 0; i < 64; i++)
        doms[i] = 1;
    int memfd = memfd_create("bench", 0);
    if (memfd < 0 || ftruncate(memfd, 64 * 4096) < 0)
        die("memfd");

    const unsigned counts[2] = { 1, 64 };
    for (int k = 0; k < 2; k++) {
        struct grant_bench g = { gt, doms, refs, memfd, counts[k], counts[k] == 1 ? 2000 : 1000 };
        struct series s;
        time_grant(&g);
        time_memfd(&g);
        for (int r = 0; r < ROUNDS; r++) {
            if (r % 2) {
                s.base[r] = time_memfd(&g);
                s.fig[r] = time_grant(&g);
            } else {
                s.fig[r] = time_grant(&g);
                s.base[r] = time_memfd(&g);
            }
        }
        char what[64];
        snprintf(what, sizeof(what), "grant map+unmap, %u page%s", g.n, g.n == 1 ? "" : "s");
        report(what, "memfd mmap+munmap", &s, "goal <= 2");
    }
    xengnttab_close(gt);
    xengntshr_close(gs);
    close(memfd);
}

#define ITERS 2000      /* round trips per round */

static double time_evtchn(xenevtchn_handle *ev, evtchn_port_t port)
{
    double t0 = now();
    for (int i = 0; i < ITERS; i++) {
        xenevtchn_notify(ev, port);
        int p = xenevtchn_pending(ev);
        if (p < 0)
            die("pending");
        xenevtchn_unmask(ev, (evtchn_port_t)p);
    }
    return (now() - t0) / ITERS;
}

static double time_eventfd(int ab, int ba)
{
    double t0 = now();
    for (int i = 0; i < ITERS; i++) {
        uint64_t v = 1;
        if (write(ab, &v, 8) != 8 || read(ba, &v, 8) != 8)
            die("eventfd");
    }
    return (now() - t0) / ITERS;
}

static void bench_evtchn(void)
{
    const int total = (ROUNDS + 1) * ITERS;   /* the warm-up round too */
    as_domain(1);
    xenevtchn_handle *ev = xenevtchn_open(NULL, 0);
    if (!ev)
        die("evtchn open");
    int port = xenevtchn_bind_unbound_port(ev, 2);
    if (port < 0)
        die("bind_unbound_port");
    int go[2];
    if (pipe(go) < 0)
        die("pipe");
    pid_t child = fork();
    if (child == 0) {
        as_domain(2);
        xenevtchn_handle *ce = xenevtchn_open(NULL, 0);
        int cp = ce ? xenevtchn_bind_interdomain(ce, 1, (evtchn_port_t)port) : -1;
        if (cp < 0)
            _exit(1);
        xenevtchn_unmask(ce, (evtchn_port_t)xenevtchn_pending(ce)); /* the bind event */
        (void)!write(go[1], "g", 1);
        for (int i = 0; i < total + 1; i++) {
            int p = xenevtchn_pending(ce);
            if (p < 0)
                _exit(1);
            xenevtchn_unmask(ce, (evtchn_port_t)p);
            xenevtchn_notify(ce, (evtchn_port_t)cp);
        }
        _exit(0);
    }
    char c;
    if (read(go[0], &c, 1) != 1)
        die("child");
    xenevtchn_notify(ev, (evtchn_port_t)port);   /* warm the route */
    xenevtchn_unmask(ev, (evtchn_port_t)xenevtchn_pending(ev));

    int ab = eventfd(0, 0), ba = eventfd(0, 0);
    if (ab < 0 || ba < 0)
        die("eventfd");
    pid_t echo = fork();
    if (echo == 0) {
        uint64_t v;
        for (int i = 0; i < total; i++) {
            if (read(ab, &v, 8) != 8)
                _exit(1);
            v = 1;
            (void)!write(ba, &v, 8);
        }
        _exit(0);
    }
    struct series s;
    time_evtchn(ev, (evtchn_port_t)port);
    time_eventfd(ab, ba);
    for (int r = 0; r < ROUNDS; r++) {
        if (r % 2) {
            s.base[r] = time_eventfd(ab, ba);
            s.fig[r] = time_evtchn(ev, (evtchn_port_t)port);
        } else {
            s.fig[r] = time_evtchn(ev, (evtchn_port_t)port);
            s.base[r] = time_eventfd(ab, ba);
        }
    }
    int st;
    waitpid(child, &st, 0);
    waitpid(echo, &st, 0);
    xenevtchn_close(ev);
    close(ab);
    close(ba);
    report("evtchn notify round trip", "eventfd ping-pong", &s, "goal <= 1.3");
}

int main(void)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    sched_setaffinity(0, sizeof(one), &one);
    setvbuf(stdout, NULL, _IOLBF, 0);
    start_hvd();
    bench_grants();
    bench_evtchn();
    return 0;
}
