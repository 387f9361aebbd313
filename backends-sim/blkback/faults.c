/*
 * faults.c — faults on purpose (see faults.h).
 */
#include "backends-sim/blkback/faults.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct bb_faults {
    struct bb_mapper base; /* first: the ops see this */
    struct bb_mapper *inner;
    const struct bb_params *p;
    const struct bb_logger *log;
    uint64_t rng;
    uint64_t seen; /* requests already delayed for */
    int report_fd;
    bool reported;
    bool armed;
};

/* splitmix64: small, and the same on every host. */
static uint64_t next(struct bb_faults *f)
{
    uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Every grant operation takes its draw, armed or not: what the backend
 * does while disarmed (the ring's map, requests served in a rescan,
 * whose timing the processes' scheduling decides) must not shift which
 * later operation the seed makes fail. */
static bool draw(struct bb_faults *f)
{
    bool hit = next(f) % 1000 < f->p->fault_grant_fail;
    return f->armed && hit;
}

void bb_faults_arm(struct bb_faults *f, bool armed)
{
    f->armed = armed;
}

static void *fault_map(struct bb_mapper *m, domid_t dom, unsigned count, const grant_ref_t *refs,
                       bool writable)
{
    struct bb_faults *f = (struct bb_faults *)m;
    if (draw(f)) {
        bb_diag(f->log, "blkback: fault: map of %u grant%s of dom%u (first ref %u) made to fail",
                count, count == 1 ? "" : "s", (unsigned)dom, (unsigned)refs[0]);
        errno = EFAULT;
        return NULL;
    }
    return bb_map(f->inner, dom, count, refs, writable);
}

static int fault_unmap(struct bb_mapper *m, void *addr, unsigned count)
{
    struct bb_faults *f = (struct bb_faults *)m;
    return bb_unmap(f->inner, addr, count);
}

static int fault_copy(struct bb_mapper *m, domid_t dom, unsigned n, struct bb_copy *segs)
{
    struct bb_faults *f = (struct bb_faults *)m;
    int rc = bb_copy(f->inner, dom, n, segs);
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < n; i++)
        if (segs[i].status == GNTST_okay && draw(f)) {
            bb_diag(f->log, "blkback: fault: grant copy of dom%u ref %u made to fail",
                    (unsigned)dom, (unsigned)segs[i].ref);
            segs[i].status = GNTST_general_error;
        }
    return 0;
}

static const struct bb_mapper_ops fault_ops = {
    .map = fault_map,
    .unmap = fault_unmap,
    .copy = fault_copy,
};

struct bb_faults *bb_faults_new(const struct bb_params *p, struct bb_mapper *inner, int report_fd,
                                const struct bb_logger *log)
{
    struct bb_faults *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->base.ops = &fault_ops;
    f->inner = inner;
    f->p = p;
    f->log = log;
    f->rng = p->fault_seed;
    f->report_fd = report_fd;
    return f;
}

struct bb_mapper *bb_faults_mapper(struct bb_faults *f)
{
    return &f->base;
}

void bb_faults_after_serve(struct bb_faults *f, uint64_t served)
{
    const struct bb_params *p = f->p;
    if (p->fault_delay_us && served > f->seen) {
        uint64_t us = (served - f->seen) * p->fault_delay_us;
        struct timespec ts = { .tv_sec = (time_t)(us / 1000000),
                               .tv_nsec = (long)(us % 1000000) * 1000 };
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    }
    f->seen = served;
    if (p->fault_report_after && !f->reported && served >= p->fault_report_after &&
        f->report_fd >= 0) {
        char line[64];
        int n = snprintf(line, sizeof(line), "served %llu\n", (unsigned long long)served);
        if (write(f->report_fd, line, (size_t)n) < 0) {
            /* whoever asked is gone */
        }
        f->reported = true;
    }
    if (p->fault_crash_after && served >= p->fault_crash_after) {
        bb_diag(f->log, "blkback: fault: crashing after %llu requests, as asked",
                (unsigned long long)served);
        /* As a crash: no device is closed, nothing is cleaned up. */
        signal(SIGKILL, SIG_DFL);
        raise(SIGKILL);
    }
}

void bb_faults_free(struct bb_faults *f)
{
    free(f);
}
