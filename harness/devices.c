/* The nodes of a vbd and of a vif, as libxl writes them (devices.h). */
#include "devices.h"

#include <stdio.h>

int devices_add_disk(struct toolstack *ts, unsigned domid, const struct disk_spec *d)
{
    char devid[16];
    snprintf(devid, sizeof devid, "%u", d->devid);
    const char *type = d->cdrom ? "cdrom" : "disk";
    const char *const back[] = { "params",
                                 d->target,
                                 "mode",
                                 d->writable ? "w" : "r",
                                 "type",
                                 "phy",
                                 "device-type",
                                 type,
                                 "removable",
                                 "0",
                                 "bootable",
                                 "1",
                                 "dev",
                                 d->vdev,
                                 "discard-enable",
                                 "1",
                                 "script",
                                 "/bin/true",
                                 NULL };
    const char *const front[] = {
        "virtual-device", devid, "device-type", type, "trusted", "1", NULL
    };
    return toolstack_device_add(ts, "vbd", 0, domid, d->devid, back, front);
}

int devices_add_vif(struct toolstack *ts, unsigned domid, const struct vif_spec *v)
{
    char handle[16];
    snprintf(handle, sizeof handle, "%u", v->handle);
    const char *const back[] = { "mac", v->mac,   "handle",    handle, "type",
                                 "vif", "script", "/bin/true", NULL };
    const char *const front[] = { "mac", v->mac, "handle", handle, "trusted", "1", NULL };
    return toolstack_device_add(ts, "vif", 0, domid, v->handle, back, front);
}
