/*
 * xsc_tree.h — the xenstore node tree, without permissions policy or I/O.
 *
 * Every change bumps the changed node's generation from a counter the
 * trees of one store share; adding or removing a child changes the
 * parent too.  A transaction's view (a snapshot) records the generation of
 * every node it was asked about the first time (0: absent) — that log is
 * how a transaction later proves nobody changed what it looked at.
 * Node counts per owning domain are kept for quotas.
 */
#ifndef SPLITBED_XSC_TREE_H
#define SPLITBED_XSC_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/xenstored/xsc_perms.h"

struct xsc_node {
    char *name; /* last path component; "" for the root */
    struct xsc_node *parent;
    struct xsc_node **kids; /* in creation order, as listings show */
    unsigned nkids, capkids;
    char *value; /* vlen bytes, plus a NUL kept for ease */
    size_t vlen;
    struct xsc_perm *perms; /* at least one entry: the owner */
    unsigned nperms;
    uint64_t gen;
};

struct xsc_access {
    char *path;
    uint64_t gen; /* 0: did not exist */
};

struct xsc_tree;

struct xsc_tree *xsc_tree_new(uint64_t *gen_counter);
/* Deep copy for another store, whose changes draw generations from
 * gen_counter; no log. */
struct xsc_tree *xsc_tree_copy(const struct xsc_tree *t, uint64_t *gen_counter);
/* A transaction's view of t: it reads t as it is at each path's first
 * access and keeps its own copy from then on, records every access (its
 * log), and costs only what it touches.  Its node counts per owner are
 * t's plus its own changes.  t must outlive it. */
struct xsc_tree *xsc_tree_snapshot(const struct xsc_tree *t);
void xsc_tree_free(struct xsc_tree *t);

/* The node at absolute path, or NULL. */
struct xsc_node *xsc_tree_get(struct xsc_tree *t, const char *path);
/* The deepest existing node on the way to path (at least the root);
 * *missing is how many components below it do not exist. */
struct xsc_node *xsc_tree_nearest(struct xsc_tree *t, const char *path, unsigned *missing);

/*
 * Creates path and any missing parents, each with its parent's
 * permissions, owned by owner unless owner is XSC_NO_TARGET (then the
 * parent's owner is kept).  Returns 0, or ENOMEM.  *out is the node.
 */
int xsc_tree_create(struct xsc_tree *t, const char *path, unsigned owner, struct xsc_node **out);
int xsc_tree_set_value(struct xsc_tree *t, struct xsc_node *n, const char *v, size_t len);
/* Takes ownership of perms (malloc'd, n >= 1). */
void xsc_tree_set_perms(struct xsc_tree *t, struct xsc_node *n, struct xsc_perm *perms,
                        unsigned count);

/*
 * Removes n (not the root) and everything below it.  each, if not NULL,
 * is called for every removed node, deepest first, before it goes.
 */
typedef void xsc_tree_visit_fn(void *ctx, const char *path, const struct xsc_node *n);
void xsc_tree_remove(struct xsc_tree *t, struct xsc_node *n, xsc_tree_visit_fn *each, void *ctx);

/* Calls fn for every node (parents before children); fn returns false to
 * skip a node's children.  Iterative, so depth costs no stack. */
typedef bool xsc_tree_walk_fn(void *ctx, struct xsc_node *n);
void xsc_tree_walk(struct xsc_tree *t, xsc_tree_walk_fn *fn, void *ctx);

/* Writes n's absolute path into out (size bytes); false if too long. */
bool xsc_node_path(const struct xsc_node *n, char *out, size_t size);
/* What C xenstored counts against the node size quota. */
size_t xsc_node_record_size(const struct xsc_node *n);
/* Bytes a DIRECTORY reply of n needs (names with their NULs). */
size_t xsc_node_children_size(const struct xsc_node *n);

unsigned xsc_tree_owned(const struct xsc_tree *t, unsigned domid);
unsigned xsc_tree_count(const struct xsc_tree *t);
/* Nodes allocated and not freed by every tree of this process, snapshots
 * included (xsc_core_live_nodes). */
unsigned long xsc_tree_live_nodes(void);

/* The access log of a logging tree. */
const struct xsc_access *xsc_tree_accesses(const struct xsc_tree *t, unsigned *count);

#endif
