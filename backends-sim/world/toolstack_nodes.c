/*
 * toolstack_nodes.c — the xenstore nodes libxl writes for a guest and one
 * device, as harness/toolstack.c writes them on a running simulator: the
 * domain's home with its permissions, INTRODUCE, then both device
 * directories in one transaction, each end owning its own and the other
 * reading it.
 */
#include "backends-sim/world/toolstack_nodes.h"

#include <stdio.h>

#include "backends-sim/world/domain_layout.h"

static int perms(struct xsc_client *c, uint32_t tx, const char *path, const char *owner,
                 const char *reader)
{
    return reader ? xsc_client_strs(c, XS_SET_PERMS, tx, NULL, path, owner, reader, NULL)
                  : xsc_client_strs(c, XS_SET_PERMS, tx, NULL, path, owner, NULL);
}

/* A node with a value and permissions. */
static int node(struct xsc_client *c, uint32_t tx, const char *path, const char *value,
                const char *owner, const char *reader)
{
    int e = xsc_client_write(c, tx, path, value);
    return e ? e : perms(c, tx, path, owner, reader);
}

struct domain_walk {
    struct xsc_client *c;
    uint32_t tx;
    char reader[16], own[16];
};

static int domain_node(void *ctx, const char *path, const char *value, bool guest_owned)
{
    struct domain_walk *w = ctx;
    if (!value) {
        int e = xsc_client_strs(w->c, XS_MKDIR, w->tx, NULL, path, NULL);
        return e ? e : perms(w->c, w->tx, path, "n0", w->reader);
    }
    return guest_owned ? node(w->c, w->tx, path, value, w->own, NULL)
                       : node(w->c, w->tx, path, value, "n0", w->reader);
}

static int domain_nodes(struct xsc_client *c, uint32_t tx, unsigned domid)
{
    struct domain_walk w = { .c = c, .tx = tx };
    snprintf(w.reader, sizeof w.reader, "r%u", domid);
    snprintf(w.own, sizeof w.own, "n%u", domid);
    return domain_layout_each(domid, "splitbed-world", domain_node, &w);
}

static int device_nodes(struct xsc_client *c, uint32_t tx, unsigned domid,
                        const struct tsn_device *dev)
{
    char guest[16], guest_reads[16];
    snprintf(guest, sizeof guest, "n%u", domid);
    snprintf(guest_reads, sizeof guest_reads, "r%u", domid);
    int e = xsc_client_strs(c, XS_MKDIR, tx, NULL, dev->back_dir, NULL);
    if (!e)
        e = perms(c, tx, dev->back_dir, "n0", guest_reads);
    if (!e)
        e = xsc_client_strs(c, XS_MKDIR, tx, NULL, dev->front_dir, NULL);
    if (!e)
        e = perms(c, tx, dev->front_dir, guest, "r0");
    char path[192];
    for (int i = 0; !e && dev->back[i]; i += 2) {
        snprintf(path, sizeof path, "%s/%s", dev->back_dir, dev->back[i]);
        e = xsc_client_write(c, tx, path, dev->back[i + 1]);
    }
    for (int i = 0; !e && dev->front[i]; i += 2) {
        snprintf(path, sizeof path, "%s/%s", dev->front_dir, dev->front[i]);
        e = xsc_client_write(c, tx, path, dev->front[i + 1]);
    }
    return e;
}

int tsn_write(struct xsc_client *c, unsigned domid, const struct tsn_device *dev)
{
    char id[16];
    snprintf(id, sizeof id, "%u", domid);
    uint32_t tx;
    int e = xsc_client_tx_start(c, &tx);
    if (!e) {
        e = domain_nodes(c, tx, domid);
        int e2 = xsc_client_tx_end(c, tx, e == 0);
        e = e ? e : e2;
    }
    if (!e)
        e = xsc_client_strs(c, XS_INTRODUCE, 0, NULL, id, "0", "1", NULL);
    if (!e)
        e = xsc_client_tx_start(c, &tx);
    if (!e) {
        e = device_nodes(c, tx, domid, dev);
        int e2 = xsc_client_tx_end(c, tx, e == 0);
        e = e ? e : e2;
    }
    return e;
}
