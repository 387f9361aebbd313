/*
 * blkback_fakexs.c — see blkback_fakexs.h.
 */
#include "blkback_fakexs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 512

struct node {
    char *path, *value;
    unsigned writes;
};

struct fake_xs {
    struct bb_store base; /* first: the ops see this */
    struct node n[MAXN];
    unsigned count;
    unsigned watches, conflicts;
};

static struct node *lookup(struct fake_xs *f, const char *path)
{
    for (unsigned i = 0; i < f->count; i++)
        if (!strcmp(f->n[i].path, path))
            return &f->n[i];
    return NULL;
}

void fxs_set(struct fake_xs *f, const char *path, const char *value)
{
    struct node *n = lookup(f, path);
    if (!n) {
        if (f->count == MAXN)
            abort();
        n = &f->n[f->count++];
        n->path = strdup(path);
        n->value = NULL;
        n->writes = 0;
    }
    free(n->value);
    n->value = strdup(value);
    n->writes++;
}

const char *fxs_get(struct fake_xs *f, const char *path)
{
    struct node *n = lookup(f, path);
    return n ? n->value : NULL;
}

unsigned fxs_writes(struct fake_xs *f, const char *path)
{
    struct node *n = lookup(f, path);
    return n ? n->writes : 0;
}

void fxs_rm(struct fake_xs *f, const char *path)
{
    size_t len = strlen(path);
    for (unsigned i = 0; i < f->count;) {
        const char *p = f->n[i].path;
        if (!strncmp(p, path, len) && (p[len] == '\0' || p[len] == '/')) {
            free(f->n[i].path);
            free(f->n[i].value);
            f->n[i] = f->n[--f->count];
            continue;
        }
        i++;
    }
}

static struct fake_xs *F(struct bb_store *s)
{
    return (struct fake_xs *)s;
}

static char *op_read(struct bb_store *s, uint32_t tx, const char *path)
{
    const char *v = fxs_get(F(s), path);
    if (!v) {
        errno = ENOENT;
        return NULL;
    }
    return strdup(v);
}

static int op_write(struct bb_store *s, uint32_t tx, const char *path, const char *value)
{
    fxs_set(F(s), path, value);
    return 0;
}

static char **op_directory(struct bb_store *s, uint32_t tx, const char *path, unsigned *num)
{
    struct fake_xs *f = F(s);
    size_t len = strlen(path);
    const char *names[MAXN];
    size_t lens[MAXN];
    unsigned k = 0;
    size_t bytes = 0;
    for (unsigned i = 0; i < f->count; i++) {
        const char *p = f->n[i].path;
        if (strncmp(p, path, len) || p[len] != '/')
            continue;
        const char *c = p + len + 1, *slash = strchr(c, '/');
        size_t cl = slash ? (size_t)(slash - c) : strlen(c);
        bool dup = false;
        for (unsigned j = 0; j < k; j++)
            if (lens[j] == cl && !strncmp(names[j], c, cl))
                dup = true;
        if (dup)
            continue;
        names[k] = c;
        lens[k++] = cl;
        bytes += cl + 1;
    }
    if (k == 0) {
        errno = ENOENT;
        return NULL;
    }
    char **vec = malloc(sizeof(char *) * k + bytes);
    char *out = (char *)(vec + k);
    for (unsigned j = 0; j < k; j++) {
        memcpy(out, names[j], lens[j]);
        out[lens[j]] = '\0';
        vec[j] = out;
        out += lens[j] + 1;
    }
    *num = k;
    return vec;
}

static int op_rm(struct bb_store *s, uint32_t tx, const char *path)
{
    fxs_rm(F(s), path);
    return 0;
}

static int op_tx_start(struct bb_store *s, uint32_t *tx)
{
    *tx = 1;
    return 0;
}

static int op_tx_end(struct bb_store *s, uint32_t tx, bool abort_tx)
{
    if (!abort_tx && F(s)->conflicts) {
        F(s)->conflicts--;
        return -EAGAIN;
    }
    return 0;
}

static int op_watch(struct bb_store *s, const char *path, const char *token)
{
    F(s)->watches++;
    return 0;
}

static int op_unwatch(struct bb_store *s, const char *path, const char *token)
{
    F(s)->watches--;
    return 0;
}

static const struct bb_store_ops fake_ops = {
    .read = op_read,
    .write = op_write,
    .directory = op_directory,
    .rm = op_rm,
    .tx_start = op_tx_start,
    .tx_end = op_tx_end,
    .watch = op_watch,
    .unwatch = op_unwatch,
};

struct fake_xs *fxs_new(void)
{
    struct fake_xs *f = calloc(1, sizeof(*f));
    f->base.ops = &fake_ops;
    return f;
}

void fxs_free(struct fake_xs *f)
{
    for (unsigned i = 0; i < f->count; i++) {
        free(f->n[i].path);
        free(f->n[i].value);
    }
    free(f);
}

struct bb_store *fxs_store(struct fake_xs *f)
{
    return &f->base;
}
unsigned fxs_watches(struct fake_xs *f)
{
    return f->watches;
}
void fxs_conflicts(struct fake_xs *f, unsigned n)
{
    f->conflicts = n;
}

/* ---- event channels ---------------------------------------------------- */

struct fake_ev {
    struct bb_evtchn base;
    unsigned next, bound, bad;
    unsigned notifies[256];
};

static struct fake_ev *EV(struct bb_evtchn *e)
{
    return (struct fake_ev *)e;
}

static int ev_bind(struct bb_evtchn *e, uint32_t dom, uint32_t remote, uint32_t *local)
{
    if (remote == EV(e)->bad)
        return -EINVAL;
    *local = EV(e)->next++;
    EV(e)->bound++;
    return 0;
}

static int ev_unbind(struct bb_evtchn *e, uint32_t local)
{
    EV(e)->bound--;
    return 0;
}

static int ev_notify(struct bb_evtchn *e, uint32_t local)
{
    if (local < 256)
        EV(e)->notifies[local]++;
    return 0;
}

static const struct bb_evtchn_ops fake_ev_ops = { .bind = ev_bind,
                                                  .unbind = ev_unbind,
                                                  .notify = ev_notify };

struct fake_ev *fev_new(void)
{
    struct fake_ev *e = calloc(1, sizeof(*e));
    e->base.ops = &fake_ev_ops;
    e->next = 10;
    e->bad = ~0u;
    return e;
}

void fev_free(struct fake_ev *e)
{
    free(e);
}
struct bb_evtchn *fev_base(struct fake_ev *e)
{
    return &e->base;
}
void fev_refuse(struct fake_ev *e, unsigned bad)
{
    e->bad = bad;
}
unsigned fev_notifies(struct fake_ev *e, unsigned local)
{
    return local < 256 ? e->notifies[local] : 0;
}
unsigned fev_bound(struct fake_ev *e)
{
    return e->bound;
}
