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

/* One device this process is limited to (--device FRONTID/DEVID), or
 * every device of one frontend (--frontend FRONTID: all_devs). */
struct only {
    uint32_t frontid, devid;
    bool all_devs;
    bool watching;
};

struct bb_backend {
    const struct bb_env *env;
    char dir[256]; /* <home>/backend/vbd, or backend/qdisk */
    char token[64];
    struct dev *devs;
    unsigned n, cap;
    uint64_t retired;  /* requests served by devices since removed */
    struct only *only; /* NULL: every device under dir */
    unsigned nonly;
    bool watching_dir;
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

int bb_backend_limit(struct bb_backend *b, uint32_t frontid, uint32_t devid)
{
    for (unsigned i = 0; i < b->nonly; i++)
        if (b->only[i].frontid == frontid && b->only[i].devid == devid)
            return 0;
    struct only *o = realloc(b->only, (b->nonly + 1) * sizeof(*o));
    if (!o)
        return -ENOMEM;
    b->only = o;
    b->only[b->nonly++] = (struct only){ .frontid = frontid, .devid = devid };
    return 0;
}

int bb_backend_limit_frontend(struct bb_backend *b, uint32_t frontid)
{
    for (unsigned i = 0; i < b->nonly; i++)
        if (b->only[i].frontid == frontid && b->only[i].all_devs)
            return 0;
    struct only *o = realloc(b->only, (b->nonly + 1) * sizeof(*o));
    if (!o)
        return -ENOMEM;
    b->only = o;
    b->only[b->nonly++] = (struct only){ .frontid = frontid, .all_devs = true };
    return 0;
}

int bb_backend_set_kind(struct bb_backend *b, const char *home, const char *kind)
{
    if (strcmp(kind, "vbd") && strcmp(kind, "qdisk"))
        return -EINVAL;
    snprintf(b->dir, sizeof(b->dir), "%s/backend/%s", home, kind);
    return 0;
}

const char *bb_backend_dir(const struct bb_backend *b)
{
    return b->dir;
}

static void only_path(const struct bb_backend *b, const struct only *o, char *buf, size_t len)
{
    if (o->all_devs)
        snprintf(buf, len, "%s/%u", b->dir, o->frontid);
    else
        snprintf(buf, len, "%s/%u/%u", b->dir, o->frontid, o->devid);
}

/* Limited to some devices, it watches only their directories: other
 * domains' devices never wake it, so many backends on one host cost no
 * more per event than one. */
int bb_backend_watch(struct bb_backend *b, const char *token)
{
    struct bb_store *s = b->env->store;
    snprintf(b->token, sizeof(b->token), "%s", token);
    if (!b->only) {
        int r = s->ops->watch(s, b->dir, b->token);
        b->watching_dir = r == 0;
        return r;
    }
    for (unsigned i = 0; i < b->nonly; i++) {
        char path[384];
        only_path(b, &b->only[i], path, sizeof(path));
        int r = s->ops->watch(s, path, b->token);
        if (r < 0)
            return r;
        b->only[i].watching = true;
    }
    return 0;
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

static void scan_front(struct bb_backend *b, uint32_t frontid);

/* The listed devices whose directory exists. */
static void scan_only(struct bb_backend *b)
{
    struct bb_store *s = b->env->store;
    for (unsigned i = 0; i < b->nonly; i++) {
        if (b->only[i].all_devs) {
            scan_front(b, b->only[i].frontid);
            continue;
        }
        char path[384];
        only_path(b, &b->only[i], path, sizeof(path));
        unsigned nk = 0;
        char **keys = s->ops->directory(s, 0, path, &nk);
        if (!keys)
            continue;
        free(keys);
        struct dev *d = find(b, b->only[i].frontid, b->only[i].devid);
        if (d)
            d->seen = true;
        else
            add(b, b->only[i].frontid, b->only[i].devid);
    }
}

/* Every device of one frontend under dir. */
static void scan_front(struct bb_backend *b, uint32_t frontid)
{
    struct bb_store *s = b->env->store;
    char path[384];
    snprintf(path, sizeof(path), "%s/%u", b->dir, frontid);
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

/* Every device under dir. */
static void scan_all(struct bb_backend *b)
{
    struct bb_store *s = b->env->store;
    unsigned nf = 0;
    char **fronts = s->ops->directory(s, 0, b->dir, &nf);
    for (unsigned i = 0; fronts && i < nf; i++) {
        uint32_t frontid;
        if (parse_id(fronts[i], &frontid))
            scan_front(b, frontid);
    }
    free(fronts);
}

void bb_backend_rescan(struct bb_backend *b)
{
    for (unsigned i = 0; i < b->n; i++)
        b->devs[i].seen = false;
    if (b->only)
        scan_only(b);
    else
        scan_all(b);
    /* Directories the toolstack removed: the device is gone. */
    for (unsigned i = 0; i < b->n;) {
        if (!b->devs[i].seen) {
            bb_log(&b->env->log, "blkback: dom%u vbd %u: backend directory removed",
                   b->devs[i].frontid, b->devs[i].devid);
            b->retired += bb_vbd_served(b->devs[i].vbd);
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

/* Marks busy every device with requests waiting, looking with the final
 * check (which arms the ring's event) when arm is set. */
static bool mark_busy(struct bb_backend *b, bool arm)
{
    bool any = false;
    for (unsigned i = 0; i < b->n; i++) {
        struct bb_vbd *v = b->devs[i].vbd;
        if (arm ? bb_vbd_arm(v) : bb_vbd_has_requests(v))
            any = b->devs[i].busy = true;
    }
    return any;
}

bool bb_backend_has_requests(struct bb_backend *b)
{
    return mark_busy(b, false);
}

bool bb_backend_arm(struct bb_backend *b)
{
    return mark_busy(b, true);
}

void bb_backend_check_resize(struct bb_backend *b)
{
    for (unsigned i = 0; i < b->n; i++)
        bb_vbd_check_resize(b->devs[i].vbd);
}

int bb_backend_read_key(const struct bb_backend *b, const char *key, char *buf, size_t len)
{
    struct bb_store *s = b->env->store;
    for (unsigned i = 0; i < b->n; i++) {
        char path[400];
        snprintf(path, sizeof(path), "%s/%s", bb_vbd_path(b->devs[i].vbd), key);
        char *v = s->ops->read(s, 0, path);
        if (!v)
            continue;
        snprintf(buf, len, "%s", v);
        free(v);
        return 0;
    }
    return -1;
}

uint64_t bb_backend_served(const struct bb_backend *b)
{
    uint64_t n = b->retired;
    for (unsigned i = 0; i < b->n; i++)
        n += bb_vbd_served(b->devs[i].vbd);
    return n;
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
    if (b->watching_dir)
        b->env->store->ops->unwatch(b->env->store, b->dir, b->token);
    for (unsigned i = 0; i < b->nonly; i++)
        if (b->only[i].watching) {
            char path[384];
            only_path(b, &b->only[i], path, sizeof(path));
            b->env->store->ops->unwatch(b->env->store, path, b->token);
        }
    free(b->only);
    free(b->devs);
    free(b);
}
