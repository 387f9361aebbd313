/*
 * toolstack_nodes.h — the xenstore nodes libxl writes for a guest and one
 * of its devices, shared by the block and the net world.
 */
#ifndef SPLITBED_WORLD_TOOLSTACK_NODES_H
#define SPLITBED_WORLD_TOOLSTACK_NODES_H

#include "backends-sim/xenstored/xsc_client.h"

/* One device of the guest: its backend directory (in dom0's tree) and its
 * frontend directory (in the guest's), each with a NULL-ended list of
 * name, value pairs written under it. */
struct tsn_device {
    const char *back_dir;
    const char *const *back;
    const char *front_dir;
    const char *const *front;
};

/*
 * Writes, as toolstack client c, the guest's home with its permissions in
 * one transaction, INTRODUCEs the guest, then writes both device
 * directories in a second transaction, each end owning its own and the
 * other reading it.  Returns 0 or the xenstore errno of the first refusal.
 */
int tsn_write(struct xsc_client *c, unsigned domid, const struct tsn_device *dev);

#endif
