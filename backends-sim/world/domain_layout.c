/*
 * domain_layout.c — see domain_layout.h.
 */
#include "backends-sim/world/domain_layout.h"

#include <stdio.h>

enum value { V_EMPTY, V_VM, V_NAME, V_DOMID, V_MEMORY };

/* As libxl__domain_make: the domain may read its home, and owns the
 * subtrees it is expected to write to. */
static const struct {
    const char *rel;
    enum value value;
    bool guest_owned;
} nodes[] = {
    { "vm", V_VM, false },
    { "name", V_NAME, false },
    { "domid", V_DOMID, false },
    { "control", V_EMPTY, false },
    { "device", V_EMPTY, true },
    { "data", V_EMPTY, true },
    { "drivers", V_EMPTY, true },
    { "feature", V_EMPTY, true },
    { "attr", V_EMPTY, true },
    { "error", V_EMPTY, true },
    { "control/shutdown", V_EMPTY, true },
    { "control/feature-poweroff", V_EMPTY, true },
    { "control/feature-reboot", V_EMPTY, true },
    { "control/sysrq", V_EMPTY, true },
    { "memory/target", V_MEMORY, false },
};

int domain_layout_each(unsigned domid, const char *name, domain_node_fn fn, void *ctx)
{
    char base[64], path[128], val[64];
    snprintf(base, sizeof base, "/local/domain/%u", domid);
    int r = fn(ctx, base, NULL, false);
    for (size_t i = 0; !r && i < sizeof nodes / sizeof nodes[0]; i++) {
        const char *v = "";
        switch (nodes[i].value) {
        case V_EMPTY: break;
        case V_VM:
            snprintf(val, sizeof val, "/vm/splitbed-%u", domid);
            v = val;
            break;
        case V_NAME: v = name; break;
        case V_DOMID:
            snprintf(val, sizeof val, "%u", domid);
            v = val;
            break;
        case V_MEMORY: v = "262144"; break;
        }
        snprintf(path, sizeof path, "%s/%s", base, nodes[i].rel);
        r = fn(ctx, path, v, nodes[i].guest_owned);
    }
    return r;
}
