/*
 * xsc_internal.h — what the core's own files share: connections,
 * domains, transactions and the node operations.  Not for hosts.
 */
#ifndef SPLITBED_XSC_INTERNAL_H
#define SPLITBED_XSC_INTERNAL_H

#include "backends-sim/xenstored/xsc_core.h"
#include "backends-sim/xenstored/xsc_perms.h"
#include "backends-sim/xenstored/xsc_tree.h"

struct xsc_watch {
    struct xsc_watch *next;
    char *path; /* absolute, or "@…" */
    char *token;
    size_t strip; /* bytes dropped from event paths (relative watch) */
};

/* A change made in a transaction, replayed on the store at commit. */
struct xsc_op {
    struct xsc_op *next;
    uint32_t type; /* XS_WRITE, XS_MKDIR, XS_RM, XS_SET_PERMS */
    char *path;
    char *data;
    size_t len;
};

struct xsc_txn {
    struct xsc_txn *next;
    uint32_t id;
    struct xsc_tree *tree; /* snapshot, logging what it was asked */
    struct xsc_op *ops, **tail;
    bool fail; /* a change failed for want of memory */
};

struct xsc_domain {
    struct xsc_domain *next;
    unsigned domid;
    bool introduced;
    unsigned target; /* XSC_NO_TARGET or the domain it may act for */
    unsigned watches, transactions;
    /* A fault on purpose (XS_CONTROL splitbed-fault): this share, in
     * thousandths, of the domain's commits fail with EAGAIN, drawn from
     * conflict_rng (seeded by the toolstack). */
    unsigned conflict_permille;
    uint64_t conflict_rng;
};

struct xsc_conn {
    struct xsc_core *core;
    struct xsc_conn *next, *prev;
    unsigned domid;
    xsc_send_fn *send;
    void *ctx;
    bool dead;
    struct xsc_watch *watches;
    struct xsc_txn *txns;
    uint32_t next_txid; /* per connection, from 1, as C xenstored numbers them */
};

struct xsc_special {
    const char *name;
    struct xsc_perm *perms;
    unsigned nperms;
};

struct xsc_event {
    struct xsc_conn *conn;
    char *body;
    size_t len;
};

struct xsc_core {
    const struct xsc_core_ops *ops; /* never NULL */
    void *ctx;
    struct xsc_quota quota;
    struct xsc_tree *tree;
    uint64_t gen;
    struct xsc_conn *conns;
    struct xsc_domain *domains;
    struct xsc_special special[2];
    struct xsc_event *events; /* queued until the reply is out */
    size_t nevents, capevents;
};

/* Who does what, where: the context every node operation runs in. */
struct xsc_opctx {
    struct xsc_core *c;
    struct xsc_tree *t;
    unsigned domid;
    unsigned target;
    bool check; /* enforce permissions and quotas (not on replay) */
    bool fire;  /* fire watches (not inside a transaction) */
    bool priv;
};

struct xsc_domain *xsc_domain_find(struct xsc_core *c, unsigned domid);
struct xsc_domain *xsc_domain_get(struct xsc_core *c, unsigned domid);
struct xsc_special *xsc_special_find(struct xsc_core *c, const char *name);
/* xsc_control.c: runs an XS_CONTROL request; 0 with the reply text in
 * out, or an errno. */
int xsc_control(struct xsc_conn *conn, const char *body, size_t len, char *out, size_t size);
void xsc_trace(struct xsc_core *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* xsc_domain.c: errno results. */
int xsc_domain_introduce(struct xsc_core *c, unsigned domid);
/* Kills the domain's connections, removes the nodes it owns and its
 * permission entries elsewhere, fires @releaseDomain. */
int xsc_domain_release(struct xsc_core *c, unsigned domid);

/* xsc_txn.c */
struct xsc_txn *xsc_txn_find(struct xsc_conn *conn, uint32_t id);
int xsc_txn_start(struct xsc_conn *conn, uint32_t *id);
/* Logs a change made in t, for replay at commit. */
int xsc_txn_log(struct xsc_txn *t, uint32_t type, const char *path, const char *data, size_t len);
/* 0, EAGAIN if anything t looked at changed meanwhile, ENOMEM. */
int xsc_txn_commit(struct xsc_conn *conn, struct xsc_txn *t);
/* Unlinks t from its connection and frees it. */
void xsc_txn_end(struct xsc_conn *conn, struct xsc_txn *t);
void xsc_txn_free(struct xsc_conn *conn, struct xsc_txn *t);
void xsc_txn_drop_all(struct xsc_conn *conn);

/* xsc_ops.c: errno results; nodes returned only with the access asked. */
const struct xsc_node *xsc_op_get(struct xsc_opctx *x, const char *path, unsigned need, int *err);
int xsc_op_write(struct xsc_opctx *x, const char *path, const char *v, size_t len);
int xsc_op_mkdir(struct xsc_opctx *x, const char *path);
int xsc_op_rm(struct xsc_opctx *x, const char *path);
/* Takes ownership of perms. */
int xsc_op_set_perms(struct xsc_opctx *x, const char *path, struct xsc_perm *perms, unsigned n);

/* xsc_watch.c */
int xsc_watch_add(struct xsc_conn *conn, const char *path, const char *token, size_t strip);
int xsc_watch_del(struct xsc_conn *conn, const char *path, const char *token);
void xsc_watch_drop_all(struct xsc_conn *conn);
/* A node at path changed; n and parent give the permissions deciding who
 * may see it (either may be NULL).  exact: only watches on path itself. */
void xsc_watch_fire(struct xsc_core *c, const char *path, const struct xsc_node *n,
                    const struct xsc_node *parent, bool exact);
void xsc_watch_fire_special(struct xsc_core *c, const char *name);
/* Queues one event for conn (dropped if it would not fit a message). */
void xsc_event_queue(struct xsc_conn *conn, const char *path, const char *token);
void xsc_events_flush(struct xsc_core *c);
void xsc_events_forget(struct xsc_core *c, const struct xsc_conn *conn);

#endif
