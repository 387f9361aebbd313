/* Trees are walked with explicit stacks, never recursion: a guest may
 * build paths a thousand components deep (XSA-418). */
#include "backends-sim/xenstored/xsc_tree.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct owner_count {
    unsigned domid, count;
};

struct xsc_tree {
    struct xsc_node *root;
    uint64_t *gen;
    struct owner_count *owners;
    unsigned nowners, capowners;
    unsigned nodes;
    bool logging;
    const struct xsc_tree *origin; /* a transaction's: the store it looks at */
    struct xsc_access *acc;
    unsigned nacc, capacc;
};

/* A growable stack of pointers for the walks. */
struct stack {
    void **v;
    size_t n, cap;
};

static bool push(struct stack *s, void *p)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        void **v = realloc(s->v, cap * sizeof(*v));
        if (!v)
            return false;
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = p;
    return true;
}

static void *pop(struct stack *s)
{
    return s->n ? s->v[--s->n] : NULL;
}

static uint64_t next_gen(struct xsc_tree *t)
{
    return ++*t->gen;
}

/* A store counts the nodes each domain owns; a transaction's view counts
 * only its own changes to them (added to the store's counts when asked),
 * so that bringing its view up to date from the store counts nothing. */
static void owner_add(struct xsc_tree *t, unsigned domid, int delta)
{
    unsigned i;

    t->nodes += (unsigned)delta;
    for (i = 0; i < t->nowners; i++)
        if (t->owners[i].domid == domid)
            break;
    if (i == t->nowners) {
        if (delta < 0 && !t->origin)
            return;
        if (t->nowners == t->capowners) {
            unsigned cap = t->capowners ? t->capowners * 2 : 8;
            struct owner_count *o = realloc(t->owners, cap * sizeof(*o));
            if (!o)
                return; /* counts only feed quotas; stay usable */
            t->owners = o;
            t->capowners = cap;
        }
        t->owners[t->nowners++] = (struct owner_count){ domid, 0 };
    }
    t->owners[i].count += (unsigned)delta; /* a view's may wrap: a delta */
}

/* The same, for what a view copies from its store: not counted there. */
static void mirror_add(struct xsc_tree *t, unsigned domid, int delta)
{
    if (!t->origin)
        owner_add(t, domid, delta);
}

unsigned xsc_tree_owned(const struct xsc_tree *t, unsigned domid)
{
    unsigned n = t->origin ? xsc_tree_owned(t->origin, domid) : 0;
    for (unsigned i = 0; i < t->nowners; i++)
        if (t->owners[i].domid == domid)
            return n + t->owners[i].count;
    return n;
}

unsigned xsc_tree_count(const struct xsc_tree *t)
{
    return t->nodes;
}

static void note(struct xsc_tree *t, const char *path, const struct xsc_node *n)
{
    if (!t->logging)
        return;
    for (unsigned i = 0; i < t->nacc; i++)
        if (strcmp(t->acc[i].path, path) == 0)
            return;
    if (t->nacc == t->capacc) {
        unsigned cap = t->capacc ? t->capacc * 2 : 16;
        struct xsc_access *a = realloc(t->acc, cap * sizeof(*a));
        if (!a)
            return;
        t->acc = a;
        t->capacc = cap;
    }
    t->acc[t->nacc].path = strdup(path);
    if (!t->acc[t->nacc].path)
        return;
    t->acc[t->nacc++].gen = n ? n->gen : 0;
}

/* A logging tree notes what it is about to change first, so the log
 * holds what the snapshot had, not the transaction's own changes. */
static void note_node(struct xsc_tree *t, const struct xsc_node *n)
{
    char path[4200];

    if (t->logging && xsc_node_path(n, path, sizeof(path)))
        note(t, path, n);
}

const struct xsc_access *xsc_tree_accesses(const struct xsc_tree *t, unsigned *count)
{
    *count = t->nacc;
    return t->acc;
}

/* Nodes allocated and not yet freed, by every tree of the process. */
static unsigned long live_nodes;

unsigned long xsc_tree_live_nodes(void)
{
    return live_nodes;
}

static void node_free(struct xsc_node *n)
{
    live_nodes--;
    free(n->name);
    free(n->kids);
    free(n->value);
    free(n->perms);
    free(n);
}

static struct xsc_node *node_new(const char *name, size_t namelen, const struct xsc_perm *perms,
                                 unsigned nperms)
{
    struct xsc_node *n = calloc(1, sizeof(*n));

    if (!n)
        return NULL;
    live_nodes++;
    n->name = strndup(name, namelen);
    n->value = calloc(1, 1);
    n->perms = malloc(nperms * sizeof(*perms));
    if (!n->name || !n->value || !n->perms) {
        node_free(n);
        return NULL;
    }
    memcpy(n->perms, perms, nperms * sizeof(*perms));
    n->nperms = nperms;
    return n;
}

struct xsc_tree *xsc_tree_new(uint64_t *gen_counter)
{
    static const struct xsc_perm root_perm = { 0, 0 };
    struct xsc_tree *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    t->gen = gen_counter;
    t->root = node_new("", 0, &root_perm, 1);
    if (!t->root) {
        free(t);
        return NULL;
    }
    t->root->gen = next_gen(t);
    owner_add(t, 0, 1);
    return t;
}

static void free_nodes(struct xsc_node *root)
{
    struct stack s = { 0 };
    struct xsc_node *n = root;

    while (n) {
        for (unsigned i = 0; i < n->nkids; i++)
            if (!push(&s, n->kids[i]))
                break; /* leaks under OOM rather than crash */
        node_free(n);
        n = pop(&s);
    }
    free(s.v);
}

void xsc_tree_free(struct xsc_tree *t)
{
    if (!t)
        return;
    free_nodes(t->root);
    for (unsigned i = 0; i < t->nacc; i++)
        free(t->acc[i].path);
    free(t->acc);
    free(t->owners);
    free(t);
}

static struct xsc_node *node_copy(const struct xsc_node *src)
{
    struct xsc_node *n = node_new(src->name, strlen(src->name), src->perms, src->nperms);
    if (!n)
        return NULL;
    free(n->value);
    n->value = malloc(src->vlen + 1);
    n->kids = src->nkids ? calloc(src->nkids, sizeof(*n->kids)) : NULL;
    if (!n->value || (src->nkids && !n->kids)) {
        node_free(n);
        return NULL;
    }
    memcpy(n->value, src->value, src->vlen + 1);
    n->vlen = src->vlen;
    n->capkids = src->nkids;
    n->gen = src->gen;
    return n;
}

struct xsc_tree *xsc_tree_snapshot(const struct xsc_tree *src)
{
    struct xsc_tree *t = calloc(1, sizeof(*t));

    if (!t)
        return NULL;
    /* Nothing is copied up front: every path is brought from the store
     * at its first access (refresh()), so a transaction costs what it
     * touches, not the size of the store. */
    t->gen = src->gen;
    t->logging = true;
    t->origin = src;
    t->nodes = src->nodes;
    t->root = node_copy(src->root);
    if (!t->root) {
        free(t);
        return NULL;
    }
    return t;
}

struct xsc_tree *xsc_tree_copy(const struct xsc_tree *src, uint64_t *gen_counter)
{
    struct xsc_tree *t = calloc(1, sizeof(*t));
    struct stack s = { 0 };
    const struct xsc_node *from;

    if (!t)
        return NULL;
    t->gen = gen_counter;
    t->nodes = src->nodes;
    t->owners = malloc((src->nowners ? src->nowners : 1) * sizeof(*t->owners));
    t->root = node_copy(src->root);
    if (!t->owners || !t->root)
        goto fail;
    memcpy(t->owners, src->owners, src->nowners * sizeof(*t->owners));
    t->nowners = t->capowners = src->nowners;
    /* Pairs (source, copy) on the stack; each copy gets its kids. */
    if (!push(&s, (void *)src->root) || !push(&s, t->root))
        goto fail;
    while (s.n) {
        struct xsc_node *to = pop(&s);
        from = pop(&s);
        for (unsigned i = 0; i < from->nkids; i++) {
            struct xsc_node *k = node_copy(from->kids[i]);
            if (!k)
                goto fail;
            k->parent = to;
            to->kids[to->nkids++] = k;
            if (!push(&s, from->kids[i]) || !push(&s, k))
                goto fail;
        }
    }
    free(s.v);
    return t;
fail:
    free(s.v);
    xsc_tree_free(t);
    return NULL;
}

static struct xsc_node *child(const struct xsc_node *n, const char *name, size_t len)
{
    /* The first byte rules out most siblings without a call. */
    char first = len ? name[0] : '\0';
    for (unsigned i = 0; i < n->nkids; i++)
        if (n->kids[i]->name[0] == first && strncmp(n->kids[i]->name, name, len) == 0 &&
            n->kids[i]->name[len] == '\0')
            return n->kids[i];
    return NULL;
}

/* Walks path; returns the deepest node reached and where it stopped. */
static struct xsc_node *descend(const struct xsc_tree *t, const char *path, const char **rest)
{
    struct xsc_node *n = t->root;
    const char *p = path;

    while (*p == '/')
        p++;
    while (*p) {
        size_t len = strcspn(p, "/");
        struct xsc_node *k = child(n, p, len);
        if (!k)
            break;
        n = k;
        p += len;
        while (*p == '/')
            p++;
    }
    *rest = p;
    return n;
}

static int add_kid(struct xsc_node *parent, struct xsc_node *k)
{
    if (parent->nkids == parent->capkids) {
        unsigned cap = parent->capkids ? parent->capkids * 2 : 4;
        struct xsc_node **v = realloc(parent->kids, cap * sizeof(*v));
        if (!v)
            return ENOMEM;
        parent->kids = v;
        parent->capkids = cap;
    }
    parent->kids[parent->nkids++] = k;
    k->parent = parent;
    return 0;
}

/* ---- a transaction's view ----------------------------------------------
 * C xenstored reads a node a transaction has not touched yet from the
 * store itself, and keeps the transaction's copy from the first access
 * on.  A logging tree does the same with its snapshot: before the first
 * access to a path, the snapshot's node there (and the way to it) is
 * brought up to date from the store it was cloned from. */

static bool noted(const struct xsc_tree *t, const char *path)
{
    for (unsigned i = 0; i < t->nacc; i++)
        if (strcmp(t->acc[i].path, path) == 0)
            return true;
    return false;
}

/* Detaches n from its parent and frees its subtree, noting nothing. */
static void drop_quietly(struct xsc_tree *t, struct xsc_node *n)
{
    struct xsc_node *parent = n->parent;
    struct stack s = { 0 };

    for (unsigned i = 0; i < parent->nkids; i++)
        if (parent->kids[i] == n) {
            memmove(parent->kids + i, parent->kids + i + 1,
                    (parent->nkids - i - 1) * sizeof(*parent->kids));
            parent->nkids--;
            break;
        }
    for (struct xsc_node *cur = n; cur; cur = pop(&s)) {
        for (unsigned i = 0; i < cur->nkids; i++)
            if (!push(&s, cur->kids[i]))
                break; /* leaks under OOM rather than crash */
        mirror_add(t, cur->perms[0].domid, -1);
        node_free(cur);
    }
    free(s.v);
}

/* A copy of src without its children, made a child of parent. */
static struct xsc_node *adopt(struct xsc_tree *t, struct xsc_node *parent,
                              const struct xsc_node *src)
{
    struct xsc_node *k = node_copy(src);

    if (!k)
        return NULL;
    if (add_kid(parent, k)) {
        node_free(k);
        return NULL;
    }
    mirror_add(t, k->perms[0].domid, 1);
    return k;
}

/* mine takes live's value, permissions, generation and children, in
 * live's order; children the transaction made itself stay, after them. */
static int take(struct xsc_tree *t, struct xsc_node *mine, const struct xsc_node *live,
                const char *path)
{
    char *v = malloc(live->vlen + 1), kpath[4200];
    struct xsc_perm *p = malloc(live->nperms * sizeof(*p));
    struct xsc_node **old = mine->kids;
    unsigned nold = mine->nkids;
    size_t plen = strlen(path);

    if (!v || !p || !(mine->kids = calloc(live->nkids + nold + 1, sizeof(*mine->kids)))) {
        mine->kids = old;
        free(v);
        free(p);
        return ENOMEM;
    }
    memcpy(v, live->value, live->vlen + 1);
    memcpy(p, live->perms, live->nperms * sizeof(*p));
    free(mine->value);
    mine->value = v;
    mine->vlen = live->vlen;
    mirror_add(t, mine->perms[0].domid, -1);
    mirror_add(t, p[0].domid, 1);
    free(mine->perms);
    mine->perms = p;
    mine->nperms = live->nperms;
    mine->gen = live->gen;
    mine->nkids = 0;
    mine->capkids = live->nkids + nold + 1;
    for (unsigned i = 0; i < live->nkids; i++) {
        const char *name = live->kids[i]->name;
        struct xsc_node *k = NULL;
        for (unsigned j = 0; j < nold; j++)
            if (old[j] && strcmp(old[j]->name, name) == 0) {
                k = old[j];
                old[j] = NULL;
                break;
            }
        if (k)
            mine->kids[mine->nkids++] = k;
        else
            adopt(t, mine, live->kids[i]);
    }
    for (unsigned j = 0; j < nold; j++) {
        if (!old[j])
            continue;
        snprintf(kpath, sizeof(kpath), "%s/%s", plen > 1 ? path : "", old[j]->name);
        mine->kids[mine->nkids++] = old[j];
        if (!noted(t, kpath))
            drop_quietly(t, old[j]);
    }
    free(old);
    return 0;
}

static void refresh(struct xsc_tree *t, const char *path)
{
    const char *rest, *p = path;
    const struct xsc_node *live, *l;
    struct xsc_node *m;

    if (!t->origin || path[0] != '/' || noted(t, path))
        return;
    live = descend(t->origin, path, &rest);
    if (*rest) {
        m = descend(t, path, &rest);
        if (!*rest && m->parent)
            drop_quietly(t, m);
        return;
    }
    /* the way there, each missing step a copy of the store's */
    m = t->root;
    l = t->origin->root;
    while (*p == '/')
        p++;
    while (*p) {
        size_t len = strcspn(p, "/");
        struct xsc_node *k = child(m, p, len);
        l = child(l, p, len);
        if (!k && !(k = adopt(t, m, l)))
            return;
        m = k;
        p += len;
        while (*p == '/')
            p++;
    }
    take(t, m, live, path);
}

/* A view copies a node on the way to another without its other
 * children; before the transaction changes its children (a removal below
 * it), it gets them all, as the store has them. */
static void complete(struct xsc_tree *t, struct xsc_node *n)
{
    char path[4200];
    const char *rest;

    if (!t->origin || !xsc_node_path(n, path, sizeof(path)) || noted(t, path))
        return;
    const struct xsc_node *live = descend(t->origin, path, &rest);
    if (!*rest)
        take(t, n, live, path);
}

/* The deepest node of the view on the way to path, each step looked at
 * as refresh() would. */
static struct xsc_node *view(struct xsc_tree *t, const char *path, const char **rest)
{
    struct xsc_node *n;
    char buf[4200];

    refresh(t, path);
    for (;;) {
        n = descend(t, path, rest);
        if (!t->origin || !xsc_node_path(n, buf, sizeof(buf)) || noted(t, buf))
            return n;
        refresh(t, buf);
        if (descend(t, path, rest) == n)
            return n;
    }
}

/* Brings everything below path up to date before a removal notes it. */
static void refresh_below(struct xsc_tree *t, const char *path)
{
    struct stack s = { 0 };
    char *p = strdup(path);

    while (p) {
        const char *rest;
        struct xsc_node *n;
        refresh(t, p);
        n = descend(t, p, &rest);
        if (!*rest) {
            size_t len = strlen(p);
            for (unsigned i = 0; i < n->nkids; i++) {
                size_t k = strlen(n->kids[i]->name);
                char *c = malloc(len + k + 2);
                if (!c)
                    break;
                snprintf(c, len + k + 2, "%s/%s", len > 1 ? p : "", n->kids[i]->name);
                if (!push(&s, c)) {
                    free(c);
                    break;
                }
            }
        }
        free(p);
        p = pop(&s);
    }
    free(s.v);
}

struct xsc_node *xsc_tree_get(struct xsc_tree *t, const char *path)
{
    const char *rest;
    struct xsc_node *n = view(t, path, &rest);

    if (*rest)
        n = NULL;
    note(t, path, n);
    return n;
}

struct xsc_node *xsc_tree_nearest(struct xsc_tree *t, const char *path, unsigned *missing)
{
    const char *rest;
    struct xsc_node *n = view(t, path, &rest);
    unsigned m = 0;
    char buf[4200];

    while (*rest) {
        m++;
        rest += strcspn(rest, "/");
        while (*rest == '/')
            rest++;
    }
    *missing = m;
    if (xsc_node_path(n, buf, sizeof(buf)))
        note(t, buf, n);
    if (m)
        note(t, path, NULL);
    return n;
}

int xsc_tree_create(struct xsc_tree *t, const char *path, unsigned owner, struct xsc_node **out)
{
    const char *rest;
    struct xsc_node *n = view(t, path, &rest);

    while (*rest) {
        size_t len = strcspn(rest, "/");
        struct xsc_node *k = node_new(rest, len, n->perms, n->nperms);
        if (!k || add_kid(n, k)) {
            if (k)
                node_free(k);
            return ENOMEM;
        }
        if (owner != XSC_NO_TARGET)
            k->perms[0].domid = owner;
        owner_add(t, k->perms[0].domid, 1);
        note_node(t, n);
        if (t->logging) {
            char p[4200];
            size_t plen = (size_t)(rest - path) + len;
            if (plen < sizeof(p)) {
                memcpy(p, path, plen);
                p[plen] = '\0';
                note(t, p, NULL);
            }
        }
        n->gen = next_gen(t);
        k->gen = next_gen(t);
        n = k;
        rest += len;
        while (*rest == '/')
            rest++;
    }
    *out = n;
    return 0;
}

int xsc_tree_set_value(struct xsc_tree *t, struct xsc_node *n, const char *v, size_t len)
{
    char *copy = malloc(len + 1);

    if (!copy)
        return ENOMEM;
    memcpy(copy, v, len);
    copy[len] = '\0';
    note_node(t, n);
    free(n->value);
    n->value = copy;
    n->vlen = len;
    n->gen = next_gen(t);
    return 0;
}

void xsc_tree_set_perms(struct xsc_tree *t, struct xsc_node *n, struct xsc_perm *perms,
                        unsigned count)
{
    note_node(t, n);
    owner_add(t, n->perms[0].domid, -1);
    owner_add(t, perms[0].domid, 1);
    free(n->perms);
    n->perms = perms;
    n->nperms = count;
    n->gen = next_gen(t);
}

bool xsc_node_path(const struct xsc_node *n, char *out, size_t size)
{
    size_t len = 0;
    const struct xsc_node *p;

    if (!n->parent) {
        if (size < 2)
            return false;
        strcpy(out, "/");
        return true;
    }
    for (p = n; p->parent; p = p->parent)
        len += strlen(p->name) + 1;
    if (len + 1 > size)
        return false;
    out[len] = '\0';
    for (p = n; p->parent; p = p->parent) {
        size_t l = strlen(p->name);
        len -= l;
        memcpy(out + len, p->name, l);
        out[--len] = '/';
    }
    return true;
}

size_t xsc_node_children_size(const struct xsc_node *n)
{
    size_t s = 0;
    for (unsigned i = 0; i < n->nkids; i++)
        s += strlen(n->kids[i]->name) + 1;
    return s;
}

size_t xsc_node_record_size(const struct xsc_node *n)
{
    /* generation, three counts, then perms, value and child names */
    return 24 + 8 * (size_t)n->nperms + n->vlen + xsc_node_children_size(n);
}

void xsc_tree_remove(struct xsc_tree *t, struct xsc_node *n, xsc_tree_visit_fn *each, void *ctx)
{
    struct xsc_node *parent = n->parent, *cur;
    char path[4200];
    size_t len;
    unsigned i;

    if (!parent || !xsc_node_path(n, path, sizeof(path)))
        return;
    /* What is removed is noted as the store has it now (see view()),
     * and the parent gets its other children first. */
    complete(t, parent);
    refresh_below(t, path);
    for (i = 0; i < parent->nkids; i++)
        if (parent->kids[i] == n)
            break;
    if (i == parent->nkids)
        return;
    note_node(t, parent);
    memmove(parent->kids + i, parent->kids + i + 1,
            (parent->nkids - i - 1) * sizeof(*parent->kids));
    parent->nkids--;
    parent->gen = next_gen(t);
    len = strlen(path);
    /* Post-order over parent pointers: a node goes once its kids have;
	 * path follows cur down and back up. */
    cur = n;
    while (cur) {
        struct xsc_node *up;

        if (cur->nkids) {
            struct xsc_node *k = cur->kids[cur->nkids - 1];
            size_t l = strlen(k->name);
            if (len + l + 2 > sizeof(path)) {
                /* cannot happen for paths that came in a request */
                cur->nkids--;
                free_nodes(k);
                continue;
            }
            cur->nkids--;
            path[len] = '/';
            memcpy(path + len + 1, k->name, l + 1);
            len += l + 1;
            cur = k;
            continue;
        }
        note(t, path, cur);
        if (each)
            each(ctx, path, cur);
        owner_add(t, cur->perms[0].domid, -1);
        up = cur == n ? NULL : cur->parent;
        len -= strlen(cur->name) + 1;
        path[len] = '\0';
        node_free(cur);
        cur = up;
    }
}

void xsc_tree_walk(struct xsc_tree *t, xsc_tree_walk_fn *fn, void *ctx)
{
    struct stack s = { 0 };
    struct xsc_node *n = t->root;

    while (n) {
        if (fn(ctx, n))
            for (unsigned i = n->nkids; i-- > 0;)
                if (!push(&s, n->kids[i]))
                    break;
        n = pop(&s);
    }
    free(s.v);
}
