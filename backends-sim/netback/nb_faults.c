/*
 * nb_faults.c — faults on purpose (see nb_faults.h).
 */
#include "backends-sim/netback/nb_faults.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* splitmix64: small, and the same on every host. */
static uint64_t next(struct nb_faults *f)
{
    uint64_t z = (f->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

int nb_faults_opt(struct nb_faults *f, const char *key, const char *value)
{
    static const struct {
        const char *key;
        unsigned long long max;
    } keys[] = {
        { "fault-crash-after", UINT64_MAX },
        { "fault-delay-us", 10000000 },
        { "fault-grant-fail", 1000 },
        { "fault-seed", UINT64_MAX },
    };
    size_t k = 0;
    while (k < sizeof keys / sizeof keys[0] && strcmp(key, keys[k].key))
        k++;
    if (k == sizeof keys / sizeof keys[0])
        return 0;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(value, &end, 10);
    if (!*value || *value == '-' || *end || errno || v > keys[k].max) {
        fprintf(stderr, "splitbed-netback: --opt %s=%s: expected 0..%llu\n", key, value,
                keys[k].max);
        return -1;
    }
    switch (k) {
    case 0: f->crash_after = v; break;
    case 1: f->delay_us = (unsigned)v; break;
    case 2: f->permille = (unsigned)v; break;
    case 3: f->seed = v; break;
    }
    return 1;
}

static int x_read(void *c, const char *p, char *b, size_t s)
{
    const struct nb_faults *f = c;
    return f->inner->ops->xs_read(f->inner->ctx, p, b, s);
}
static int x_write(void *c, const char *p, const char *v)
{
    const struct nb_faults *f = c;
    return f->inner->ops->xs_write(f->inner->ctx, p, v);
}
static int x_watch(void *c, const char *p, const char *t)
{
    const struct nb_faults *f = c;
    return f->inner->ops->xs_watch(f->inner->ctx, p, t);
}
static int x_unwatch(void *c, const char *p, const char *t)
{
    const struct nb_faults *f = c;
    return f->inner->ops->xs_unwatch(f->inner->ctx, p, t);
}
static void *x_map(void *c, domid_t dom, grant_ref_t ref, int *err)
{
    const struct nb_faults *f = c;
    return f->inner->ops->map(f->inner->ctx, dom, ref, err);
}
static void x_unmap(void *c, void *page)
{
    const struct nb_faults *f = c;
    f->inner->ops->unmap(f->inner->ctx, page);
}
static int x_bind(void *c, domid_t dom, evtchn_port_t remote, evtchn_port_t *local)
{
    const struct nb_faults *f = c;
    return f->inner->ops->bind(f->inner->ctx, dom, remote, local);
}
static void x_unbind(void *c, evtchn_port_t local)
{
    const struct nb_faults *f = c;
    f->inner->ops->unbind(f->inner->ctx, local);
}
static void x_notify(void *c, evtchn_port_t local)
{
    const struct nb_faults *f = c;
    f->inner->ops->notify(f->inner->ctx, local);
}

/* The copies done, then that share of the good ones reported failed, as
 * a grant copy that Xen refused. */
static int x_copy(void *c, domid_t dom, struct nb_copy *ops, unsigned n)
{
    struct nb_faults *f = c;
    int r = f->inner->ops->copy(f->inner->ctx, dom, ops, n);
    if (r < 0)
        return r;
    for (unsigned i = 0; i < n; i++)
        if (ops[i].status == GNTST_okay && f->permille && next(f) % 1000 < f->permille) {
            fprintf(stderr, "splitbed-netback: fault: grant copy %s dom%u ref %u made to fail\n",
                    ops[i].to_guest ? "to" : "from", (unsigned)dom, (unsigned)ops[i].ref);
            ops[i].status = GNTST_general_error;
        }
    return 0;
}

/* netback's own stream of the seed */
#define NB_STREAM 0x6e65746261636bull

void nb_faults_apply(struct nb_faults *f, const char *list, uint64_t frames)
{
    char v[256];
    snprintf(v, sizeof v, "%s", list);
    char *save = NULL;
    for (char *kv = strtok_r(v, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(kv, '=');
        if (strncmp(kv, "fault-", 6) != 0 || !eq) {
            fprintf(stderr,
                    "splitbed-netback: fault: %s refused: only fault-* knobs change at "
                    "run time\n",
                    kv);
            continue;
        }
        *eq = '\0';
        if (nb_faults_opt(f, kv, eq + 1) != 1) {
            if (strcmp(kv, "fault-crash-after") && strcmp(kv, "fault-delay-us") &&
                strcmp(kv, "fault-grant-fail") && strcmp(kv, "fault-seed"))
                fprintf(stderr, "splitbed-netback: fault: %s refused: not a netback fault\n", kv);
            continue;
        }
        if (!strcmp(kv, "fault-crash-after") && f->crash_after)
            f->crash_after += frames;
        if (!strcmp(kv, "fault-seed"))
            f->rng = f->seed ^ NB_STREAM;
        fprintf(stderr, "splitbed-netback: fault: %s=%s from now on\n", kv, eq + 1);
    }
}

const struct nb_env *nb_faults_env(struct nb_faults *f, const struct nb_env *inner)
{
    if (f->inner == inner)
        return &f->env;
    f->inner = inner;
    f->rng = f->seed ^ NB_STREAM;
    f->ops = (struct nb_env_ops){ .xs_read = x_read,
                                  .xs_write = x_write,
                                  .xs_watch = x_watch,
                                  .xs_unwatch = x_unwatch,
                                  .map = x_map,
                                  .unmap = x_unmap,
                                  .copy = x_copy,
                                  .bind = x_bind,
                                  .unbind = x_unbind,
                                  .notify = x_notify };
    f->env = (struct nb_env){ .ops = &f->ops, .ctx = f };
    return &f->env;
}

void nb_faults_after_serve(struct nb_faults *f, uint64_t frames, bool between_frames)
{
    uint64_t fresh = frames > f->seen ? frames - f->seen : 0;
    f->seen = frames > f->seen ? frames : f->seen;
    if (f->delay_us && fresh) {
        uint64_t us = fresh * f->delay_us;
        struct timespec ts = { (time_t)(us / 1000000), (long)(us % 1000000) * 1000 };
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
            ;
    }
    if (f->crash_after && frames >= f->crash_after && between_frames) {
        fprintf(stderr, "splitbed-netback: fault: crashing after %llu frames\n",
                (unsigned long long)frames);
        fflush(stderr);
        kill(getpid(), SIGKILL);
    }
}
