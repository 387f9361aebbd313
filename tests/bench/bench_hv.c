/*
 * bench_hv — what the simulated hypervisor costs a process, each figure
 * beside a baseline measured in the same run:
 *   grant map+unmap of 1 and 64 pages, the same grants each time
 *                                      vs  mmap+munmap of a memfd
 *   grant map+unmap of 1 and 64 pages, fresh grants each time
 *                                      vs  mmap+munmap of a memfd
 *   evtchn notify round trip           vs  raw eventfd ping-pong
 * between two processes.
 *
 * The two grant figures differ in what libxengnttab's kept ranges
 * (backends-sim/libxen/gntdev.h: an unmapped range is kept, 16 a handle,
 * for the next map of the same pages) can do.  "Same grants" maps the
 * same refs again and again: every map after the first is served by the
 * range kept at the previous unmap, as a backend that maps a persistent
 * frontend's pages or a remapped ring sees it.  "Fresh grants" maps the
 * next 1 or 64 pages of a pool of 4096 each time, cycling over far more
 * ranges than a handle keeps, so each map pays the mmap, fault and munmap
 * a backend pays for a page it has not mapped lately.  The pool is one
 * sharing, as our frontends share their pools (blkfront's bounce and
 * indirect pages, netfront's rx pages): its memfd is fetched once, as a
 * backend fetches it once per connection, and what is measured is the
 * map itself.
 *
 * Runs its own splitbed-hvd; linked against the
 * real -lxengnttab -lxenevtchn with a RUNPATH to the drop-in libraries.
 * Everything (daemon, both processes, baselines) is pinned to one CPU:
 * on a small shared machine cross-CPU wake-ups vary by 10x from run to
 * run, which would drown both figures.  The figures are CPU time: see
 * below.
 */
#include "backends-sim/hv/hvctl.h"
#include "tests/bench/bench_result.h"

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
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

#define POOL 4096u /* pages the fresh grants cycle over */
/* the pool and the 64 pages of the same grants, with room to spare */
#define GNTALLOC_LIMIT "8192"

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
        execl(bin, "splitbed-hvd", "--dir", dir, "--ready-fd", "3", "--gntalloc-limit",
              GNTALLOC_LIMIT, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    char c;
    if (read(p[0], &c, 1) != 1) {
        fprintf(stderr, "bench_hv: %s did not start\n", bin);
        exit(1);
    }
    close(p[0]);
    if (hvctl_domain_create(dir, 1, NULL) < 0 || hvctl_domain_create(dir, 2, NULL) < 0)
        die("hvctl_domain_create");
}

static void as_domain(unsigned d)
{
    char sock[128];
    snprintf(sock, sizeof(sock), "%s/hv/dom%u", dir, d);
    setenv("SPLITBED_HV_SOCKET", sock, 1);
}

/*
 * What is compared is CPU time: per operation, the CPU time every process
 * taking part used (the bench, the daemon, the peer), read from their
 * CPU-time clocks.  Everything runs on one CPU, so on an idle machine the
 * wall time of an operation is exactly that sum; on a loaded machine the
 * wall time also holds whatever else ran on the CPU while a process
 * waited for its turn, which varies several-fold from one second to the
 * next and has nothing to do with the simulator.  Wall-clock medians are
 * printed beside, for information.
 *
 * Each figure and its baseline are measured ROUNDS times, interleaved
 * (figure then baseline, baseline then figure, ...) after one round that
 * is thrown away (warm-up: page tables, the daemon's caches, CPU
 * frequency).  Printed: the median of each, the median of the per-round
 * ratios and the range of the middle half of those ratios.
 */
#define ROUNDS 15

/* CPU-time clocks of the processes taking part in one measurement. */
struct meter {
    clockid_t clk[3];
    int n;
};

struct sample {
    double cpu, wall;
};

static double clock_s(clockid_t c)
{
    struct timespec ts;
    if (clock_gettime(c, &ts) < 0)
        die("clock_gettime");
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double meter_cpu(const struct meter *m)
{
    double t = 0;
    for (int i = 0; i < m->n; i++)
        t += clock_s(m->clk[i]);
    return t;
}

static clockid_t cpu_clock_of(pid_t pid)
{
    clockid_t c;
    if (clock_getcpuclockid(pid, &c) != 0)
        die("clock_getcpuclockid");
    return c;
}

struct series {
    struct sample fig[ROUNDS], base[ROUNDS];
};

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void sorted(double *v)
{
    qsort(v, ROUNDS, sizeof(*v), cmp_double);
}

static double median_of(const struct sample *v, bool cpu)
{
    double s[ROUNDS];
    for (int i = 0; i < ROUNDS; i++)
        s[i] = cpu ? v[i].cpu : v[i].wall;
    sorted(s);
    return s[ROUNDS / 2];
}

static void report(const char *what, const char *base, const struct series *s, const char *goal)
{
    double r[ROUNDS];
    for (int i = 0; i < ROUNDS; i++)
        r[i] = s->fig[i].cpu / s->base[i].cpu;
    sorted(r);
    printf(
        "%-49s %6.2f us   %-18s %6.2f us   ratio %4.2f (goal %s)   CPU time, median of %d rounds, "
        "middle half of ratios %.2f..%.2f; wall %.2f / %.2f us\n",
        what, median_of(s->fig, true) * 1e6, base, median_of(s->base, true) * 1e6, r[ROUNDS / 2],
        goal, ROUNDS, r[ROUNDS / 4], r[ROUNDS - 1 - ROUNDS / 4], median_of(s->fig, false) * 1e6,
        median_of(s->base, false) * 1e6);
    bench_result(&(struct bench_figure){ what, median_of(s->fig, true) * 1e6, "us CPU", base,
                                         median_of(s->base, true) * 1e6, "us CPU", r[ROUNDS / 2],
                                         goal });
}

/* Runs op(arg) iters times; its CPU time and wall time per call. */
static struct sample measure(const struct meter *m, unsigned iters, void (*op)(void *), void *arg)
{
    double w0 = now(), c0 = meter_cpu(m);
    for (unsigned i = 0; i < iters; i++)
        op(arg);
    double c1 = meter_cpu(m), w1 = now();
    return (struct sample){ (c1 - c0) / iters, (w1 - w0) / iters };
}

/* ROUNDS interleaved rounds of fig and base, after a warm-up round. */
static void run_series(struct series *s, const struct meter *mf, void (*fig)(void *),
                       const struct meter *mb, void (*base)(void *), void *arg, unsigned iters)
{
    measure(mf, iters, fig, arg);
    measure(mb, iters, base, arg);
    for (int r = 0; r < ROUNDS; r++) {
        if (r % 2) {
            s->base[r] = measure(mb, iters, base, arg);
            s->fig[r] = measure(mf, iters, fig, arg);
        } else {
            s->fig[r] = measure(mf, iters, fig, arg);
            s->base[r] = measure(mb, iters, base, arg);
        }
    }
}

struct grant_bench {
    xengnttab_handle *gt;
    uint32_t *doms, *refs;
    int memfd;
    unsigned n;
    unsigned pool; /* refs cycled over, n at a time; n: the same refs each time */
    unsigned next; /* index in refs of the next map's first page */
};

static void grant_once(void *arg)
{
    struct grant_bench *g = arg;
    uint32_t *refs = g->refs + g->next;
    g->next = (g->next + g->n) % g->pool;
    uint8_t *p = xengnttab_map_grant_refs(g->gt, g->n, g->doms, refs, PROT_READ | PROT_WRITE);
    if (!p)
        die("map");
    p[0] = 1; /* touch it, as a backend would */
    if (xengnttab_unmap(g->gt, p, g->n) < 0)
        die("unmap");
}

static void memfd_once(void *arg)
{
    const struct grant_bench *g = arg;
    uint8_t *p = mmap(NULL, g->n * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, g->memfd, 0);
    if (p == MAP_FAILED)
        die("mmap");
    p[0] = 1;
    munmap(p, g->n * 4096);
}

static void bench_grants(void)
{
    as_domain(1);
    xengntshr_handle *gs = xengntshr_open(NULL, 0);
    static uint32_t refs[64], pool[POOL], doms[64];
    if (!gs || !xengntshr_share_pages(gs, 2, 64, refs, 1))
        die("share");
    uint8_t *pool_va = xengntshr_share_pages(gs, 2, POOL, pool, 1);
    if (!pool_va)
        die("share the pool");
    memset(pool_va, 0, (size_t)POOL * 4096); /* as a frontend clears what it shares */
    as_domain(2);
    xengnttab_handle *gt = xengnttab_open(NULL, 0);
    if (!gt)
        die("gnttab open");
    for (int i = 0; i < 64; i++)
        doms[i] = 1;
    int memfd = memfd_create("bench", 0);
    if (memfd < 0 || ftruncate(memfd, 64 * 4096) < 0)
        die("memfd");
    struct meter with_hvd = { { CLOCK_PROCESS_CPUTIME_ID, cpu_clock_of(hvd) }, 2 };
    struct meter alone = { { CLOCK_PROCESS_CPUTIME_ID }, 1 };

    const unsigned counts[2] = { 1, 64 };
    for (int fresh = 0; fresh < 2; fresh++)
        for (int k = 0; k < 2; k++) {
            unsigned n = counts[k];
            struct grant_bench g = { gt, doms, fresh ? pool : refs, memfd, n, fresh ? POOL : n, 0 };
            struct series s;
            run_series(&s, &with_hvd, grant_once, &alone, memfd_once, &g, 1000);
            char what[64];
            snprintf(what, sizeof(what), "grant map+unmap, %s grants each time, %u page%s",
                     fresh ? "fresh" : "same", n, n == 1 ? "" : "s");
            report(what, "memfd mmap+munmap", &s, "<= 2");
        }
    xengnttab_close(gt);
    xengntshr_close(gs);
    close(memfd);
}

#define ITERS 1000 /* round trips per round */

struct evt_bench {
    xenevtchn_handle *ev;
    evtchn_port_t port;
    int ab, ba;
};

static void evtchn_once(void *arg)
{
    const struct evt_bench *e = arg;
    xenevtchn_notify(e->ev, e->port);
    int p = xenevtchn_pending(e->ev);
    if (p < 0)
        die("pending");
    xenevtchn_unmask(e->ev, (evtchn_port_t)p);
}

static void eventfd_once(void *arg)
{
    const struct evt_bench *e = arg;
    uint64_t v = 1;
    if (write(e->ab, &v, 8) != 8 || read(e->ba, &v, 8) != 8)
        die("eventfd");
}

static void bench_evtchn(void)
{
    const int total = (ROUNDS + 1) * ITERS; /* the warm-up round too */
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
    xenevtchn_notify(ev, (evtchn_port_t)port); /* warm the route */
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
    /* the daemon is counted too, though a warmed route does not use it */
    struct meter mf = { { CLOCK_PROCESS_CPUTIME_ID, cpu_clock_of(child), cpu_clock_of(hvd) }, 3 };
    struct meter mb = { { CLOCK_PROCESS_CPUTIME_ID, cpu_clock_of(echo) }, 2 };
    struct evt_bench e = { ev, (evtchn_port_t)port, ab, ba };
    struct series s;
    run_series(&s, &mf, evtchn_once, &mb, eventfd_once, &e, ITERS);
    int st;
    waitpid(child, &st, 0);
    waitpid(echo, &st, 0);
    xenevtchn_close(ev);
    close(ab);
    close(ba);
    report("evtchn notify round trip", "eventfd ping-pong", &s, "<= 1.3");
}

/* bench_hv [grants|evtchn]: both figures, or one of them (to profile). */
int main(int argc, char **argv)
{
    bool grants = argc < 2 || strcmp(argv[1], "grants") == 0;
    bool evtchn = argc < 2 || strcmp(argv[1], "evtchn") == 0;
    if (argc > 2 || (!grants && !evtchn)) {
        fprintf(stderr, "bench_hv: usage: bench_hv [grants|evtchn]\n");
        return 2;
    }
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &one);
    sched_setaffinity(0, sizeof(one), &one);
    setvbuf(stdout, NULL, _IOLBF, 0);
    start_hvd();
    if (grants)
        bench_grants();
    if (evtchn)
        bench_evtchn();
    return 0;
}
