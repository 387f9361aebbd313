/*
 * toolstack_nodes.c — the xenstore nodes libxl writes for a guest and its vbd,
 * as harness/toolstack.c writes them on a running simulator: the domain's
 * home with its permissions, INTRODUCE, then both device directories in
 * one transaction, each end owning its own and the other reading it.
 */
#include <errno.h>
#include <stdio.h>

#include "backends-sim/world/domain_layout.h"
#include "backends-sim/world/world_priv.h"

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

static int device_nodes(struct world *w, uint32_t tx)
{
    struct xsc_client *c = w->toolstack;
    char bpath[128], fpath[128], path[192];
    snprintf(bpath, sizeof bpath, "/local/domain/0/backend/vbd/%u/%u", W_FRONT, W_DEVID);
    snprintf(fpath, sizeof fpath, "/local/domain/%u/device/vbd/%u", W_FRONT, W_DEVID);
    const char *const back[] = {
        "frontend",  fpath,        "frontend-id", "1", "online", "1",    "state",          "1",
        "params",    w->disk_path, "mode",        "w", "type",   "phy",  "device-type",    "disk",
        "removable", "0",          "bootable",    "1", "dev",    "xvda", "discard-enable", "1",
        NULL
    };
    const char *const front[] = { "backend",     bpath,  "backend-id",     "0",
                                  "state",       "1",    "virtual-device", "51712",
                                  "device-type", "disk", "trusted",        "1",
                                  NULL };
    int e = xsc_client_strs(c, XS_MKDIR, tx, NULL, bpath, NULL);
    if (!e)
        e = perms(c, tx, bpath, "n0", "r1");
    if (!e)
        e = xsc_client_strs(c, XS_MKDIR, tx, NULL, fpath, NULL);
    if (!e)
        e = perms(c, tx, fpath, "n1", "r0");
    for (int i = 0; !e && back[i]; i += 2) {
        snprintf(path, sizeof path, "%s/%s", bpath, back[i]);
        e = xsc_client_write(c, tx, path, back[i + 1]);
    }
    for (int i = 0; !e && front[i]; i += 2) {
        snprintf(path, sizeof path, "%s/%s", fpath, front[i]);
        e = xsc_client_write(c, tx, path, front[i + 1]);
    }
    return e;
}

int w_toolstack(struct world *w)
{
    struct xsc_client *c = w->toolstack;
    uint32_t tx;
    int e = xsc_client_tx_start(c, &tx);
    if (!e) {
        e = domain_nodes(c, tx, W_FRONT);
        int e2 = xsc_client_tx_end(c, tx, e == 0);
        e = e ? e : e2;
    }
    if (!e)
        e = xsc_client_strs(c, XS_INTRODUCE, 0, NULL, "1", "0", "1", NULL);
    if (!e)
        e = xsc_client_tx_start(c, &tx);
    if (!e) {
        e = device_nodes(w, tx);
        int e2 = xsc_client_tx_end(c, tx, e == 0);
        e = e ? e : e2;
    }
    if (e)
        w_trace(w, "toolstack: xenstore refused the nodes (%s)", xsc_errname(e));
    return -e;
}
