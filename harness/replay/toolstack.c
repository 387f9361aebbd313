/*
 * toolstack.c — the xenstore nodes libxl writes for a guest and its vbd,
 * as harness/toolstack.c writes them on a running simulator: the domain's
 * home with its permissions, INTRODUCE, then both device directories in
 * one transaction, each end owning its own and the other reading it.
 */
#include <errno.h>
#include <stdio.h>

#include "harness/replay/world_priv.h"

static int perms(struct xs_client *c, uint32_t tx, const char *path, const char *owner,
                 const char *reader)
{
    return reader ? xs_client_strs(c, XS_SET_PERMS, tx, NULL, path, owner, reader, NULL)
                  : xs_client_strs(c, XS_SET_PERMS, tx, NULL, path, owner, NULL);
}

/* A node with a value and permissions. */
static int node(struct xs_client *c, uint32_t tx, const char *path, const char *value,
                const char *owner, const char *reader)
{
    int e = xs_client_write(c, tx, path, value);
    return e ? e : perms(c, tx, path, owner, reader);
}

static int domain_nodes(struct xs_client *c, uint32_t tx, unsigned domid)
{
    static const char *const rw_dirs[] = { "device", "data", "drivers", "feature", "attr", "error",
                                           "control/shutdown", "control/feature-poweroff",
                                           "control/feature-reboot", "control/sysrq", NULL };
    char base[64], path[128], val[64], reader[16], own[16];
    snprintf(base, sizeof base, "/local/domain/%u", domid);
    snprintf(reader, sizeof reader, "r%u", domid);
    snprintf(own, sizeof own, "n%u", domid);
    int e = xs_client_strs(c, XS_MKDIR, tx, NULL, base, NULL);
    if (!e)
        e = perms(c, tx, base, "n0", reader);
    snprintf(path, sizeof path, "%s/vm", base);
    snprintf(val, sizeof val, "/vm/splitbed-%u", domid);
    if (!e)
        e = node(c, tx, path, val, "n0", reader);
    snprintf(path, sizeof path, "%s/name", base);
    if (!e)
        e = node(c, tx, path, "splitbed-world", "n0", reader);
    snprintf(path, sizeof path, "%s/domid", base);
    snprintf(val, sizeof val, "%u", domid);
    if (!e)
        e = node(c, tx, path, val, "n0", reader);
    snprintf(path, sizeof path, "%s/control", base);
    if (!e)
        e = node(c, tx, path, "", "n0", reader);
    for (int i = 0; !e && rw_dirs[i]; i++) {
        snprintf(path, sizeof path, "%s/%s", base, rw_dirs[i]);
        e = node(c, tx, path, "", own, NULL);
    }
    snprintf(path, sizeof path, "%s/memory/target", base);
    if (!e)
        e = node(c, tx, path, "262144", "n0", reader);
    return e;
}

static int device_nodes(struct world *w, uint32_t tx)
{
    struct xs_client *c = w->toolstack;
    char bpath[128], fpath[128], path[192];
    snprintf(bpath, sizeof bpath, "/local/domain/0/backend/vbd/%u/%u", W_FRONT, W_DEVID);
    snprintf(fpath, sizeof fpath, "/local/domain/%u/device/vbd/%u", W_FRONT, W_DEVID);
    const char *const back[] = { "frontend", fpath, "frontend-id", "1", "online", "1", "state", "1",
                                 "params", w->disk_path, "mode", "w", "type", "phy",
                                 "device-type", "disk", "removable", "0", "bootable", "1",
                                 "dev", "xvda", "discard-enable", "1", NULL };
    const char *const front[] = { "backend", bpath, "backend-id", "0", "state", "1",
                                  "virtual-device", "51712", "device-type", "disk",
                                  "trusted", "1", NULL };
    int e = xs_client_strs(c, XS_MKDIR, tx, NULL, bpath, NULL);
    if (!e)
        e = perms(c, tx, bpath, "n0", "r1");
    if (!e)
        e = xs_client_strs(c, XS_MKDIR, tx, NULL, fpath, NULL);
    if (!e)
        e = perms(c, tx, fpath, "n1", "r0");
    for (int i = 0; !e && back[i]; i += 2) {
        snprintf(path, sizeof path, "%s/%s", bpath, back[i]);
        e = xs_client_write(c, tx, path, back[i + 1]);
    }
    for (int i = 0; !e && front[i]; i += 2) {
        snprintf(path, sizeof path, "%s/%s", fpath, front[i]);
        e = xs_client_write(c, tx, path, front[i + 1]);
    }
    return e;
}

int w_toolstack(struct world *w)
{
    struct xs_client *c = w->toolstack;
    uint32_t tx;
    int e = xs_client_tx_start(c, &tx);
    if (!e) {
        e = domain_nodes(c, tx, W_FRONT);
        int e2 = xs_client_tx_end(c, tx, e == 0);
        e = e ? e : e2;
    }
    if (!e)
        e = xs_client_strs(c, XS_INTRODUCE, 0, NULL, "1", "0", "0", NULL);
    if (!e)
        e = xs_client_tx_start(c, &tx);
    if (!e) {
        e = device_nodes(w, tx);
        int e2 = xs_client_tx_end(c, tx, e == 0);
        e = e ? e : e2;
    }
    if (e)
        w_trace(w, "toolstack: xenstore refused the nodes (%s)", xs_errname(e));
    return -e;
}
