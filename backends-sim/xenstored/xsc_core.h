/*
 * xsc_core.h — a xenstore without I/O: the node tree, permissions,
 * watches, transactions, quotas and domains, driven one xs_wire message
 * at a time.
 *
 * A host (the socket server, the in-process client, a fuzzer) opens a
 * connection per client with the domain it belongs to, hands each framed
 * request to xsc_core_handle(), and receives replies and watch events
 * through the connection's send function — replies always before the
 * events a request caused.  Semantics and error strings are those of
 * Xen 4.17's C xenstored; quotas are its defaults and apply to every
 * domain but dom0.
 */
#ifndef SPLITBED_XSC_CORE_H
#define SPLITBED_XSC_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <errno.h> /* xs_wire.h names its error table only after it */
#include <xen/xen.h>
#include <xen/io/xs_wire.h>

struct xsc_core;
struct xsc_conn;

/* Xen's default quotas (C xenstored 4.17). */
struct xsc_quota {
    unsigned nodes;        /* nodes owned per domain: 1000 */
    unsigned node_size;    /* node record bytes, refused at >=: 2048 */
    unsigned watches;      /* per domain: 128 */
    unsigned transactions; /* per domain: 10 */
    unsigned perms;        /* entries per node: 5 */
    unsigned path;         /* bytes below /local/domain/N/: 2048 */
    unsigned tx_nodes;     /* nodes one transaction may touch: 1024 */
    /* Reported and settable through XS_CONTROL quota, not enforced here. */
    unsigned outstanding; /* requests in flight per domain: 20 */
    unsigned memory;      /* bytes per domain, error level: 2621440 */
    unsigned memory_soft; /* bytes per domain, warning level: 2097152 */
};

typedef void xsc_send_fn(void *ctx, const struct xsd_sockmsg *hdr, const void *body);

/* What the core tells its host; each gets the ctx given to
 * xsc_core_new() first, and any may be NULL. */
struct xsc_core_ops {
    /* A domain was introduced (return 0, or an errno to refuse) or
     * released (its connections are dead: close them). */
    int (*introduced)(void *ctx, unsigned domid);
    void (*released)(void *ctx, unsigned domid);
    /* One line naming a domain and the rule it broke, or a note. */
    void (*trace)(void *ctx, const char *line);
    /* XS_CONTROL logfile FILE: send the trace there from now on (0, or
     * an errno); NULL: accepted and ignored. */
    int (*logfile)(void *ctx, const char *path);
};

/* ops may be NULL.  The tree starts with /, /tool/xenstored and
 * /local/domain/0 (domid, name), as a dom0 toolstack leaves it. */
struct xsc_core *xsc_core_new(const struct xsc_core_ops *ops, void *ctx);
void xsc_core_free(struct xsc_core *c);
/* A copy of c as it stands, for a caller that builds one setup and
 * starts each run from it (a fuzz target): the same tree, generations
 * included, quota, domains and special nodes' permissions, with the same
 * ops.  c must have no connection open (NULL otherwise, or when out of
 * memory). */
struct xsc_core *xsc_core_fork(const struct xsc_core *c);
struct xsc_quota *xsc_core_quota(struct xsc_core *c);

struct xsc_conn *xsc_core_connect(struct xsc_core *c, unsigned domid, xsc_send_fn *send, void *ctx);
/* Drops the connection's watches and transactions and frees it. */
void xsc_core_disconnect(struct xsc_conn *conn);
/* True once the connection's domain was released. */
bool xsc_core_conn_dead(const struct xsc_conn *conn);
unsigned xsc_core_conn_domid(const struct xsc_conn *conn);
/* Watches the connection has set and not removed. */
unsigned xsc_core_conn_watches(const struct xsc_conn *conn);

/*
 * Handles one request; body holds hdr->len bytes (followed by a NUL the
 * caller guarantees).  Returns 0, or -1 when the connection must be
 * closed (dead, or a payload over XENSTORE_PAYLOAD_MAX).
 */
int xsc_core_handle(struct xsc_conn *conn, const struct xsd_sockmsg *hdr, const char *body);

bool xsc_core_is_introduced(const struct xsc_core *c, unsigned domid);
/* The introduced domains' ids, at most max of them into ids; returns how
 * many there are. */
unsigned xsc_core_introduced(const struct xsc_core *c, unsigned *ids, unsigned max);
/* The hypervisor says domid is gone: released as by XS_RELEASE (fires
 * @releaseDomain).  0 or a positive errno. */
int xsc_core_release_domain(struct xsc_core *c, unsigned domid);
/* Fires @releaseDomain: a domain shut down. */
void xsc_core_fire_release(struct xsc_core *c);
/* Nodes in the tree, and those owned by domid (for tests and quotas). */
unsigned xsc_core_nodes(const struct xsc_core *c);
unsigned xsc_core_nodes_owned(const struct xsc_core *c, unsigned domid);
/* Node records allocated and not freed by every core of this process,
 * transaction snapshots included: with no transaction open it equals the
 * sum of xsc_core_nodes() over the live cores, and 0 once every core is
 * freed.  Tests check it after each case, so a leak fails a test. */
unsigned long xsc_core_live_nodes(void);

/* The wire name of an errno value ("EACCES"), or "EINVAL" if unknown;
 * and back (0 if unknown). */
const char *xsc_errname(int err);
int xsc_errnum(const char *name);

#endif
