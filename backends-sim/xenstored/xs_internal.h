/*
 * xs_internal.h — what the core's own files share: connections,
 * domains, transactions and the node operations.  Not for hosts.
 */
#ifndef SPLITBED_XS_INTERNAL_H
#define SPLITBED_XS_INTERNAL_H

#include "backends-sim/xenstored/xs_core.h"
#include "backends-sim/xenstored/xs_perms.h"
#include "backends-sim/xenstored/xs_tree.h"

struct xs_watch {
    struct xs_watch *next;
    char *path; /* absolute, or "@…" */
    char *token;
    size_t strip; /* bytes dropped from event paths (relative watch) */
};

/* A change made in a transaction, replayed on the store at commit. */
struct xs_op {
    struct xs_op *next;
    uint32_t type; /* XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS */
    char *path;
    char *data;
    size_t len;
};

struct xs_txn {
    struct xs_txn *next;
    uint32_t id;
    struct xs_tree *tree; /* snapshot, logging what it was asked */
    struct xs_op *ops, **tail;
    bool fail; /* a change failed for want of memory */
};

struct xs_domain {
    struct xs_domain *next;
    unsigned domid;
    bool introduced;
    unsigned target; /* XS_NO_TARGET or the domain it may act for */
    unsigned long mfn;
    unsigned watches, transactions;
};

struct xs_conn {
    struct xs_core *core;
    struct xs_conn *next, *prev;
    unsigned domid;
    xs_send_fn *send;
    void *ctx;
    bool dead;
    struct xs_watch *watches;
    struct xs_txn *txns;
};

struct xs_special {
    const char *name;
    struct xs_perm *perms;
    unsigned nperms;
};

struct xs_event {
    struct xs_conn *conn;
    char *body;
    size_t len;
};

struct xs_core {
    struct xs_core_hooks hooks;
    struct xs_quota quota;
    struct xs_tree *tree;
    uint64_t gen;
    struct xs_conn *conns;
    struct xs_domain *domains;
    uint32_t next_txid;
    struct xs_special special[2];
    struct xs_event *events; /* queued until the reply is out */
    size_t nevents, capevents;
};

/* Who does what, where: the context every node operation runs in. */
struct xs_opctx {
    struct xs_core *c;
    struct xs_tree *t;
    unsigned domid;
    unsigned target;
    bool check; /* enforce permissions and quotas (not on replay) */
    bool fire;  /* fire watches (not inside a transaction) */
    bool priv;
};

struct xs_domain *xs_domain_find(struct xs_core *c, unsigned domid);
struct xs_domain *xs_domain_get(struct xs_core *c, unsigned domid);
struct xs_special *xs_special_find(struct xs_core *c, const char *name);
void xs_trace(struct xs_core *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* xs_domain.c: errno results. */
int xs_domain_introduce(struct xs_core *c, unsigned domid, unsigned long mfn);
/* Kills the domain's connections, removes the nodes it owns and its
 * permission entries elsewhere, fires @releaseDomain. */
int xs_domain_release(struct xs_core *c, unsigned domid);

/* xs_txn.c */
struct xs_txn *xs_txn_find(struct xs_conn *conn, uint32_t id);
int xs_txn_start(struct xs_conn *conn, uint32_t *id);
/* Logs a change made in t, for replay at commit. */
int xs_txn_log(struct xs_txn *t, uint32_t type, const char *path, const char *data, size_t len);
/* 0, EAGAIN if anything t looked at changed meanwhile, ENOMEM. */
int xs_txn_commit(struct xs_conn *conn, struct xs_txn *t);
/* Unlinks t from its connection and frees it. */
void xs_txn_end(struct xs_conn *conn, struct xs_txn *t);
void xs_txn_free(struct xs_conn *conn, struct xs_txn *t);
void xs_txn_drop_all(struct xs_conn *conn);

/* xs_ops.c: errno results; nodes returned only with the access asked. */
const struct xs_node *xs_op_get(struct xs_opctx *x, const char *path, unsigned need, int *err);
int xs_op_write(struct xs_opctx *x, const char *path, const char *v, size_t len);
int xs_op_mkdir(struct xs_opctx *x, const char *path);
int xs_op_rm(struct xs_opctx *x, const char *path);
/* Takes ownership of perms. */
int xs_op_set_perms(struct xs_opctx *x, const char *path, struct xs_perm *perms, unsigned n);

/* xs_watch.c */
int xs_watch_add(struct xs_conn *conn, const char *path, const char *token, size_t strip);
int xs_watch_del(struct xs_conn *conn, const char *path, const char *token);
void xs_watch_drop_all(struct xs_conn *conn);
/* A node at path changed; n and parent give the permissions deciding who
 * may see it (either may be NULL).  exact: only watches on path itself. */
void xs_watch_fire(struct xs_core *c, const char *path, const struct xs_node *n,
                   const struct xs_node *parent, bool exact);
void xs_watch_fire_special(struct xs_core *c, const char *name);
/* Queues one event for conn (dropped if it would not fit a message). */
void xs_event_queue(struct xs_conn *conn, const char *path, const char *token);
void xs_events_flush(struct xs_core *c);
void xs_events_forget(struct xs_core *c, const struct xs_conn *conn);

#endif
