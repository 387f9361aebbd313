/* XS_CONTROL: the commands of C xenstored 4.17 (xenstore-control), with
 * its argument rules and reply texts. */
#include "backends-sim/xenstored/xsc_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct quota_entry {
    const char *name;
    size_t offset; /* of the unsigned in struct xsc_quota */
    const char *what;
};

#define Q(field) offsetof(struct xsc_quota, field)

static const struct quota_entry hard[] = {
    { "nodes", Q(nodes), "Nodes per domain" },
    { "watches", Q(watches), "Watches per domain" },
    { "transactions", Q(transactions), "Transactions per domain" },
    { "outstanding", Q(outstanding), "Outstanding requests per domain" },
    { "transaction-nodes", Q(tx_nodes), "Max. number of accessed nodes per transaction" },
    { "memory", Q(memory), "Total Xenstore memory per domain (error level)" },
    { "node-size", Q(node_size), "Max. size of a node" },
    { "path-max", Q(path), "Max. length of a node path" },
    { "permissions", Q(perms), "Max. number of permissions per node" },
    { NULL, 0, NULL },
};

static const struct quota_entry soft[] = {
    { "memory", Q(memory_soft), "Total Xenstore memory per domain (warning level)" },
    { NULL, 0, NULL },
};

static unsigned *quota_field(struct xsc_core *c, const struct quota_entry *e)
{
    return (unsigned *)((char *)&c->quota + e->offset);
}

struct out {
    char *s;
    size_t size, used;
};

static void add(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->used >= o->size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->s + o->used, o->size - o->used, fmt, ap);
    va_end(ap);
    o->used += n > 0 ? (size_t)n : 0;
}

static int quota_cmd(struct xsc_conn *conn, const char **v, unsigned n, const struct quota_entry *q,
                     bool per_domain, struct out *o)
{
    struct xsc_core *c = conn->core;

    if (n == 0) {
        add(o, "Quota settings:\n");
        for (; q->name; q++)
            add(o, "%-17s: %8d %s\n", q->name, (int)*quota_field(c, q), q->what);
        return 0;
    }
    if (strcmp(v[0], "set") == 0) {
        int val;
        if (n != 3)
            return EINVAL;
        val = (int)strtol(v[2], NULL, 10);
        if (val < 1)
            return EINVAL;
        for (; q->name; q++)
            if (strcmp(v[1], q->name) == 0) {
                *quota_field(c, q) = (unsigned)val;
                add(o, "OK");
                return 0;
            }
        return EINVAL;
    }
    if (!per_domain || n != 1)
        return EINVAL;
    unsigned domid = (unsigned)(int)strtol(v[0], NULL, 10);
    struct xsc_domain *d = xsc_domain_find(c, domid);
    if (!d)
        return ENOENT;
    add(o, "Domain %u:\n", domid);
    add(o, "%-16s: %8d\n", "nodes", (int)xsc_tree_owned(c->tree, domid));
    add(o, "%-16s: %8d\n", "watches", (int)d->watches);
    add(o, "%-16s: %8d\n", "transactions", (int)d->transactions);
    add(o, "%-16s: %8d\n", "outstanding", 0);
    /* memory is not accounted here (see docs/xenstore-differences.md) */
    add(o, "%-16s: %8d\n", "memory", 0);
    return 0;
}

/* live-update: splitbed-xenstored cannot replace itself, so there is
 * never a session; the texts are those C xenstored gives without one. */
static int live_update(const char **v, unsigned n, struct out *o)
{
    if (n < 1)
        return EINVAL;
    if (strcmp(v[0], "-a") == 0) {
        if (n != 1)
            return EINVAL;
        add(o, "No live-update session active.");
        return 0;
    }
    if (strcmp(v[0], "-c") == 0) {
        if (n != 2)
            return EINVAL;
        add(o, "Not in live-update session.");
        return 0;
    }
    if (strcmp(v[0], "-s") == 0) {
        for (unsigned i = 1; i < n; i++) {
            if (strcmp(v[i], "-F") == 0)
                continue;
            if (strcmp(v[i], "-t") == 0 && i < n - 1) {
                i++;
                continue;
            }
            return EINVAL;
        }
        add(o, "Not in live-update session.");
        return 0;
    }
    if (n == 2 && strcmp(v[0], "-f") == 0) {
        add(o, "Live update is not supported by splitbed-xenstored.");
        return 0;
    }
    return EINVAL;
}

/* splitbed-fault DOMID xs-conflict PERMILLE SEED: a share of the
 * domain's transaction commits fail with EAGAIN (0 ends it).  Not in
 * help: C xenstored has no such command (docs/xenstore-differences.md). */
static int fault_cmd(struct xsc_conn *conn, const char **v, unsigned n)
{
    if (conn->domid != 0)
        return EACCES;
    if (n != 4 || strcmp(v[1], "xs-conflict") != 0)
        return EINVAL;
    char *end;
    unsigned long dom = strtoul(v[0], &end, 10);
    if (!*v[0] || *end || dom >= 0x7ff0)
        return EINVAL;
    unsigned long permille = strtoul(v[2], &end, 10);
    if (!*v[2] || *end || permille > 1000)
        return EINVAL;
    unsigned long long seed = strtoull(v[3], &end, 10);
    if (!*v[3] || *end)
        return EINVAL;
    struct xsc_domain *d = xsc_domain_get(conn->core, (unsigned)dom);
    if (!d)
        return ENOMEM;
    d->conflict_permille = (unsigned)permille;
    d->conflict_rng = seed ^ 0x78732d636f6e666cull; /* its own stream of the run's seed */
    return 0;
}

static const char help[] = "check\t\n"
                           "log\ton|off\n"
                           "live-update\t[-c <cmdline>] [-F] [-t <timeout>] <file>\n"
                           "    Default timeout is 60 seconds.\n"
                           "logfile\t<file>\n"
                           "memreport\t[<file>]\n"
                           "print\t<string>\n"
                           "quota\t[set <name> <val>|<domid>]\n"
                           "quota-soft\t[set <name> <val>]\n"
                           "help\t\n";

int xsc_control(struct xsc_conn *conn, const char *body, size_t len, char *reply, size_t size)
{
    struct xsc_core *c = conn->core;
    struct out o = { reply, size, 0 };
    const char *v[8] = { NULL };
    unsigned num = 0, n;
    size_t off = 0;
    int err = 0;

    reply[0] = '\0';
    if (!len || strnlen(body, len) == len)
        return EINVAL;
    for (size_t i = 0; i < len; i++)
        num += body[i] == '\0';
    /* live-update's parameters are at most five strings, command included */
    if (strcmp(body, "live-update") == 0 && num > 5)
        num = 5;
    if (num > sizeof(v) / sizeof(v[0]))
        return E2BIG;
    for (n = 0; n < num; n++) {
        v[n] = body + off;
        off += strlen(body + off) + 1;
    }
    n = num - 1;
    if (strcmp(v[0], "check") == 0) {
        err = n ? EINVAL : 0;
    } else if (strcmp(v[0], "log") == 0) {
        err = n == 1 && (strcmp(v[1], "on") == 0 || strcmp(v[1], "off") == 0) ? 0 : EINVAL;
        if (!err)
            xsc_trace(c, "control: log %s", v[1]);
    } else if (strcmp(v[0], "live-update") == 0) {
        return live_update(v + 1, n, &o);
    } else if (strcmp(v[0], "logfile") == 0) {
        err = n != 1 ? EINVAL : c->ops->logfile ? c->ops->logfile(c->ctx, v[1]) : 0;
    } else if (strcmp(v[0], "memreport") == 0) {
        if (n > 1)
            err = EINVAL;
        else if (n == 1)
            err = EBADF; /* the core writes no files of its own */
        else if (!c->ops->trace)
            err = EBADF;
        else
            xsc_trace(c, "memreport: %u nodes", xsc_core_nodes(c));
    } else if (strcmp(v[0], "print") == 0) {
        err = n == 1 ? 0 : EINVAL;
        if (!err)
            xsc_trace(c, "control: %s", v[1]);
    } else if (strcmp(v[0], "quota") == 0) {
        return quota_cmd(conn, v + 1, n, hard, true, &o);
    } else if (strcmp(v[0], "quota-soft") == 0) {
        return quota_cmd(conn, v + 1, n, soft, false, &o);
    } else if (strcmp(v[0], "splitbed-fault") == 0) {
        err = fault_cmd(conn, v + 1, n);
    } else if (strcmp(v[0], "help") == 0) {
        if (n)
            return EINVAL;
        add(&o, "%s", help);
        return 0;
    } else {
        err = EINVAL;
    }
    if (!err)
        add(&o, "OK");
    return err;
}
