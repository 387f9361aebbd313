/*
 * backend.c — the set of vbds this process serves (see backend.h).
 */
#include "backends-sim/blkback/backend.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dev {
    uint32_t frontid, devid;
    struct bb_vbd *vbd;
    bool busy; /* requests left after its last turn */
    bool seen;
};

struct bb_backend {
    const struct bb_env *env;
    char dir[256]; /* <home>/backend/vbd */
    char token[64];
    struct dev *devs;
    unsigned n, cap;
};

struct bb_backend *bb_backend_new(const struct bb_env *env, const char *home)
{
    struct bb_backend *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->env = env;
    snprintf(b->dir, sizeof(b->dir), "%s/backend/vbd", home);
    return b;
}

int bb_backend_watch(struct bb_backend *b, const char *token)
{
    snprintf(b->token, sizeof(b->token), "%s", token);
    return b->env->store->ops->watch(b->env->store, b->dir, b->token);
}

static bool parse_id(const char *s, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long x = strtoul(s, &end, 10);
    if (!*s || *end || errno || x > UINT32_MAX || *s == '-')
        return false;
    *out = (uint32_t)x;
    return true;
}

static struct dev *find(const struct bb_backend *b, uint32_t frontid, uint32_t devid)
{
    for (unsigned i = 0; i < b->n; i++)
        if (b->devs[i].frontid == frontid && b->devs[i].devid == devid)
            return &b->devs[i];
    return NULL;
}

static void add(struct bb_backend *b, uint32_t frontid, uint32_t devid)
{
    if (b->n == b->cap) {
        unsigned cap = b->cap ? 2 * b->cap : 8;
        struct dev *d = realloc(b->devs, cap * sizeof(*d));
        if (!d)
            return;
        b->devs = d;
        b->cap = cap;
    }
    char path[384];
    snprintf(path, sizeof(path), "%s/%u/%u", b->dir, frontid, devid);
    struct bb_vbd *v = bb_vbd_new(b->env, path, frontid, devid);
    if (!v)
        return;
    b->devs[b->n++] = (struct dev){ .frontid = frontid, .devid = devid, .vbd = v, .seen = true };
}

void bb_backend_rescan(struct bb_backend *b)
{
    struct bb_store *s = b->env->store;
    for (unsigned i = 0; i < b->n; i++)
        b->devs[i].seen = false;
    unsigned nf = 0;
    char **fronts = s->ops->directory(s, 0, b->dir, &nf);
    for (unsigned i = 0; fronts && i < nf; i++) {
        uint32_t frontid;
        if (!parse_id(fronts[i], &frontid))
            continue;
        char path[384];
        snprintf(path, sizeof(path), "%s/%s", b->dir, fronts[i]);
        unsigned nd = 0;
        char **devs = s->ops->directory(s, 0, path, &nd);
        for (unsigned j = 0; devs && j < nd; j++) {
            uint32_t devid;
            if (!parse_id(devs[j], &devid))
                continue;
            struct dev *d = find(b, frontid, devid);
            if (d)
                d->seen = true;
            else
                add(b, frontid, devid);
        }
        free(devs);
    }
    free(fronts);
    /* Directories the toolstack removed: the device is gone. */
    for (unsigned i = 0; i < b->n;) {
        if (!b->devs[i].seen) {
            bb_log(&b->env->log, "blkback: dom%u vbd %u: backend directory removed",
                   b->devs[i].frontid, b->devs[i].devid);
            bb_vbd_free(b->devs[i].vbd, false);
            b->devs[i] = b->devs[--b->n];
            continue;
        }
        i++;
    }
    for (unsigned i = 0; i < b->n; i++) {
        bb_vbd_step(b->devs[i].vbd);
        /* A connect may leave work queued; make sure it gets a turn. */
        b->devs[i].busy = bb_vbd_connected(b->devs[i].vbd);
    }
}

void bb_backend_event(struct bb_backend *b, uint32_t port)
{
    for (unsigned i = 0; i < b->n; i++)
        if (bb_vbd_port(b->devs[i].vbd) == port) {
            b->devs[i].busy = bb_vbd_serve(b->devs[i].vbd, b->env->params->batch) == 1;
            return;
        }
}

bool bb_backend_serve_busy(struct bb_backend *b)
{
    bool any = false;
    for (unsigned i = 0; i < b->n; i++) {
        if (!b->devs[i].busy)
            continue;
        b->devs[i].busy = bb_vbd_serve(b->devs[i].vbd, b->env->params->batch) == 1;
        any |= b->devs[i].busy;
    }
    return any;
}

void bb_backend_check_resize(struct bb_backend *b)
{
    for (unsigned i = 0; i < b->n; i++)
        bb_vbd_check_resize(b->devs[i].vbd);
}

unsigned bb_backend_count(const struct bb_backend *b)
{
    return b->n;
}

struct bb_vbd *bb_backend_find(const struct bb_backend *b, uint32_t frontid, uint32_t devid)
{
    struct dev *d = find(b, frontid, devid);
    return d ? d->vbd : NULL;
}

void bb_backend_free(struct bb_backend *b, bool closed)
{
    if (!b)
        return;
    for (unsigned i = 0; i < b->n; i++)
        bb_vbd_free(b->devs[i].vbd, closed);
    if (b->token[0])
        b->env->store->ops->unwatch(b->env->store, b->dir, b->token);
    free(b->devs);
    free(b);
}
