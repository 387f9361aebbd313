/*
 * xs_tree.h — the xenstore node tree, without permissions policy or I/O.
 *
 * Every change bumps the changed node's generation from a counter the
 * trees of one store share; adding or removing a child changes the
 * parent too.  A tree cloned with logging records the generation of
 * every node it was asked about the first time (0: absent) — that log is
 * how a transaction later proves nobody changed what it looked at.
 * Node counts per owning domain are kept for quotas.
 */
#ifndef SPLITBED_XS_TREE_H
#define SPLITBED_XS_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backends-sim/xenstored/xs_perms.h"

struct xs_node {
    char *name; /* last path component; "" for the root */
    struct xs_node *parent;
    struct xs_node **kids; /* in creation order, as listings show */
    unsigned nkids, capkids;
    char *value; /* vlen bytes, plus a NUL kept for ease */
    size_t vlen;
    struct xs_perm *perms; /* at least one entry: the owner */
    unsigned nperms;
    uint64_t gen;
};

struct xs_access {
    char *path;
    uint64_t gen; /* 0: did not exist */
};

struct xs_tree;

struct xs_tree *xs_tree_new(uint64_t *gen_counter);
/* Deep copy; logging trees record accesses (for transactions). */
struct xs_tree *xs_tree_clone(const struct xs_tree *t, bool logging);
void xs_tree_free(struct xs_tree *t);

/* The node at absolute path, or NULL. */
struct xs_node *xs_tree_get(struct xs_tree *t, const char *path);
/* The deepest existing node on the way to path (at least the root);
 * *missing is how many components below it do not exist. */
struct xs_node *xs_tree_nearest(struct xs_tree *t, const char *path, unsigned *missing);

/*
 * Creates path and any missing parents, each with its parent's
 * permissions, owned by owner unless owner is XS_NO_TARGET (then the
 * parent's owner is kept).  Returns 0, or ENOMEM.  *out is the node.
 */
int xs_tree_create(struct xs_tree *t, const char *path, unsigned owner, struct xs_node **out);
int xs_tree_set_value(struct xs_tree *t, struct xs_node *n, const char *v, size_t len);
/* Takes ownership of perms (malloc'd, n >= 1). */
void xs_tree_set_perms(struct xs_tree *t, struct xs_node *n, struct xs_perm *perms, unsigned count);

/*
 * Removes n (not the root) and everything below it.  each, if not NULL,
 * is called for every removed node, deepest first, before it goes.
 */
typedef void xs_tree_visit_fn(void *ctx, const char *path, const struct xs_node *n);
void xs_tree_remove(struct xs_tree *t, struct xs_node *n, xs_tree_visit_fn *each, void *ctx);

/* Calls fn for every node (parents before children); fn returns false to
 * skip a node's children.  Iterative, so depth costs no stack. */
typedef bool xs_tree_walk_fn(void *ctx, struct xs_node *n);
void xs_tree_walk(struct xs_tree *t, xs_tree_walk_fn *fn, void *ctx);

/* Writes n's absolute path into out (size bytes); false if too long. */
bool xs_node_path(const struct xs_node *n, char *out, size_t size);
/* What C xenstored counts against the node size quota. */
size_t xs_node_record_size(const struct xs_node *n);
/* Bytes a DIRECTORY reply of n needs (names with their NULs). */
size_t xs_node_children_size(const struct xs_node *n);

unsigned xs_tree_owned(const struct xs_tree *t, unsigned domid);
unsigned xs_tree_count(const struct xs_tree *t);

/* The access log of a logging tree. */
const struct xs_access *xs_tree_accesses(const struct xs_tree *t, unsigned *count);

#endif
