/*
 * devices.h — a vbd or a vif of a guest as libxl writes it: the backend
 * (in dom0) and frontend directories with the keys xl's disk and vif
 * specs give, through toolstack_device_add.  Used by `run` and by the
 * hot-plug commands alike.
 */
#ifndef SPLITBED_DEVICES_H
#define SPLITBED_DEVICES_H

#include "disk_spec.h"
#include "toolstack.h"
#include "vif_spec.h"

/* 0, or -1 with a message (a device that exists already is refused). */
int devices_add_disk(struct toolstack *ts, unsigned domid, const struct disk_spec *d);
int devices_add_vif(struct toolstack *ts, unsigned domid, const struct vif_spec *v);

#endif
