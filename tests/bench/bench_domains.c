/*
 * bench_domains — how the simulator scales with guests, as a user runs
 * them: one `splitbed hv start`, then guests started one after another
 * with `splitbed run --dir D --domain k --disk … --vif stdio`, each kept
 * alive (its disk connected, its vif waiting for input) while the next
 * starts.  Prints the time from starting `run` to the guest's first line
 * (domain created, nodes written, backends started, disk connected,
 * blk-info printed) for the 1st, 16th and 64th guest, and the memory
 * (VmRSS) of splitbed-hvd + splitbed-xenstored per domain: idle domains
 * made by `splitbed exec`, and the connected guests.  The daemons' CPU
 * time per start (from /proc/PID/schedstat) says the same without the
 * machine's load in it: what a start costs them as guests accumulate.
 *
 * Each figure also goes to results.json (bench_result.h), without a
 * baseline: nothing in the same run does the same work to set it beside,
 * so these are absolute figures, to be compared between runs on one
 * machine only.
 */
#include "tests/bench/bench_result.h"
#include "tests/lib/runproc.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define GUESTS 64
#define IDLE 64

static char dir[64], sim[96];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int sb(char *const args[])
{
    static struct runproc r;
    char *argv[32] = { (char *)build_path("bin/splitbed") };
    int i = 0;
    for (; args[i] && i < 30; i++)
        argv[i + 1] = args[i];
    argv[i + 1] = NULL;
    runproc(&r, NULL, 0, 60, NULL, argv);
    if (r.status != 0)
        fprintf(stderr, "bench_domains: splitbed %s: %s", args[0], r.err);
    return r.status;
}
#define SB(...) sb((char *[]){ __VA_ARGS__, NULL })

static long rss_kib(const char *pidfile)
{
    char path[160], line[256];
    snprintf(path, sizeof path, "%s/%s", sim, pidfile);
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (!f || fscanf(f, "%d", &pid) != 1) {
        if (f)
            fclose(f);
        return -1;
    }
    fclose(f);
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    f = fopen(path, "r");
    long kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmRSS:", 6))
            kib = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kib;
}

static long daemons_kib(void)
{
    return rss_kib("hvd.pid") + rss_kib("xenstored.pid");
}

/* Nanoseconds the daemon of pidfile has run on a CPU. */
static double cpu_ns(const char *pidfile)
{
    char path[160];
    snprintf(path, sizeof path, "%s/%s", sim, pidfile);
    FILE *f = fopen(path, "r");
    int pid = 0;
    if (!f || fscanf(f, "%d", &pid) != 1) {
        if (f)
            fclose(f);
        return 0;
    }
    fclose(f);
    snprintf(path, sizeof path, "/proc/%d/schedstat", pid);
    f = fopen(path, "r");
    unsigned long long ns = 0;
    if (f && fscanf(f, "%llu", &ns) != 1)
        ns = 0;
    if (f)
        fclose(f);
    return (double)ns;
}

static double daemons_cpu_ms(void)
{
    return (cpu_ns("hvd.pid") + cpu_ns("xenstored.pid")) / 1e6;
}

/* The median of guests k-2..k+2's figures (k-1..k for the last). */
static double around(const double *v, unsigned k, unsigned last)
{
    double w[5];
    unsigned n = 0;
    for (unsigned i = k > 2 ? k - 2 : 1; i <= k + 2 && i <= last; i++)
        w[n++] = v[i];
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && w[j - 1] > w[j]; j--) {
            double t = w[j];
            w[j] = w[j - 1];
            w[j - 1] = t;
        }
    return w[n / 2];
}

/* One figure without a baseline (bench_result.h). */
static void record(const char *name, double value, const char *unit)
{
    bench_result(&(struct bench_figure){ .name = name, .value = value, .unit = unit });
}

/* The figures of the starts, t[] and cpu[] in ms, to results.json. */
static void record_starts(const double *t, const double *cpu)
{
    record("guest start to disk connected, 1st", t[1], "ms");
    record("guest start to disk connected, 16th", t[16], "ms");
    record("guest start to disk connected, 64th", t[64], "ms");
    static const unsigned around_k[3] = { 3, 16, 62 };
    static const char *const nth[3] = { "3rd", "16th", "62nd" };
    char name[128];
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "guest start to disk connected, %s, median of 5", nth[i]);
        record(name, around(t, around_k[i], GUESTS), "ms");
    }
    for (int i = 0; i < 3; i++) {
        snprintf(name, sizeof name, "hvd+xenstored CPU per guest start, %s, median of 5", nth[i]);
        record(name, around(cpu, around_k[i], GUESTS), "ms");
    }
}

struct guest {
    pid_t pid;
    int to, from;
};

/* Starts guest k and returns the seconds until its first line. */
static double start_guest(unsigned k, struct guest *g)
{
    char img[128], disk[192], domain[16], cmd[512];
    snprintf(img, sizeof img, "%s/disk%u.img", dir, k);
    int fd = open(img, O_RDWR | O_CREAT, 0600);
    if (fd < 0 || ftruncate(fd, 1 << 20) != 0)
        return -1;
    close(fd);
    snprintf(disk, sizeof disk, "vdev=xvda,access=rw,target=%s", img);
    snprintf(domain, sizeof domain, "%u", k);
    snprintf(cmd, sizeof cmd, "%s -q && exec %s -q", build_path("libexec/splitbed/blk-info"),
             build_path("libexec/splitbed/pvcat"));
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0)
        return -1;
    double t0 = now();
    g->pid = fork();
    if (g->pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(in[0], 0);
        dup2(out[1], 1);
        dup2(null, 2);
        execl(build_path("bin/splitbed"), "splitbed", "run", "--dir", sim, "--domain", domain,
              "--disk", disk, "--vif", "stdio", "--", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    g->to = in[1];
    g->from = out[0];
    char c;
    while (read(g->from, &c, 1) == 1)
        if (c == '\n')
            return now() - t0;
    return -1;
}

int main(void)
{
    snprintf(dir, sizeof dir, "/tmp/sbbench-dom-XXXXXX");
    if (!mkdtemp(dir))
        return 1;
    snprintf(sim, sizeof sim, "%s/sim", dir);
    signal(SIGPIPE, SIG_IGN);
    if (SB("hv", "start", "--dir", sim) != 0)
        return 1;
    int status = 1;
    long base = daemons_kib();

    /* Idle domains: created, introduced, nothing running. */
    for (unsigned k = 1000; k < 1000 + IDLE; k++) {
        char domain[16];
        snprintf(domain, sizeof domain, "%u", k);
        if (SB("exec", "--dir", sim, "--domain", domain, "--", "true") != 0)
            goto out;
    }
    long idle = daemons_kib();

    static struct guest g[GUESTS + 1];
    double t[GUESTS + 1], cpu[GUESTS + 1];
    for (unsigned k = 1; k <= GUESTS; k++) {
        double c0 = daemons_cpu_ms();
        t[k] = start_guest(k, &g[k]);
        cpu[k] = daemons_cpu_ms() - c0;
        if (t[k] < 0) {
            fprintf(stderr, "bench_domains: guest %u did not start\n", k);
            goto stop;
        }
    }
    long busy = daemons_kib();
    printf("start a guest and connect its disk (splitbed run --dir D --domain k --disk … "
           "--vif stdio, to blk-info's first line), with k-1 guests running:\n");
    printf("  1st %.1f ms, 16th %.1f ms, 64th %.1f ms\n", t[1] * 1e3, t[16] * 1e3, t[64] * 1e3);
    for (unsigned k = 1; k <= GUESTS; k++)
        t[k] *= 1e3;
    printf("  median of 5 around each: 3rd %.1f ms, 16th %.1f ms, 62nd %.1f ms\n",
           around(t, 3, GUESTS), around(t, 16, GUESTS), around(t, 62, GUESTS));
    printf("  splitbed-hvd + splitbed-xenstored CPU per start, median of 5 around each: "
           "3rd %.2f ms, 16th %.2f ms, 62nd %.2f ms\n",
           around(cpu, 3, GUESTS), around(cpu, 16, GUESTS), around(cpu, 62, GUESTS));
    printf("splitbed-hvd + splitbed-xenstored VmRSS: %ld KiB with dom0 only\n", base);
    printf("  %d idle domains (splitbed exec): +%ld KiB, %.1f KiB per domain\n", IDLE, idle - base,
           (double)(idle - base) / IDLE);
    printf("  %d running guests with a disk and a vif: +%ld KiB, %.1f KiB per guest\n", GUESTS,
           busy - idle, (double)(busy - idle) / GUESTS);
    record_starts(t, cpu);
    record("hvd+xenstored memory, dom0 only", (double)base, "KiB");
    record("hvd+xenstored memory per idle domain", (double)(idle - base) / IDLE, "KiB");
    record("hvd+xenstored memory per guest with disk and vif", (double)(busy - idle) / GUESTS,
           "KiB");
    status = 0;
stop:
    for (unsigned k = 1; k <= GUESTS; k++) {
        if (g[k].pid <= 0)
            continue;
        close(g[k].to);
        if (runproc_wait(g[k].pid, 60000) != 0)
            status = 1;
        close(g[k].from);
    }
out:
    SB("hv", "stop", "--dir", sim);
    runproc_rmtree(dir);
    return status;
}
